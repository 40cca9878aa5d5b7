/*
 * Reads into a 40 MiB destination (32 MiB and more are written with
 * streaming, non-temporal, stores where rows are whole aligned cache
 * lines): an uncompressed array read from files in pieces (into the
 * buffer 16 bytes off, a row of chunks at a time), zstd chunks
 * decompressed in pieces into rows, and shards whose inner chunks are
 * placed from a decoded buffer (into the buffer 16 bytes off, a row of
 * inner chunks at a time). Each is read into a 64-byte aligned
 * buffer and into one 16 bytes off, and checked element by element and
 * for untouched guard bytes, and into a fresh buffer the read faults in
 * first. Run under valgrind by CTest as well.
 *
 * Calls: zarrio_store_open_filesystem, zarrio_array_create,
 * zarrio_array_write, zarrio_array_read, zarrio_array_free,
 * zarrio_store_free.
 */
#include "check.h"

#define N0 40
#define N1 512
#define N2 1024
#define NELEM ((size_t)N0 * N1 * N2)
#define GUARD 64

static uint16_t value_at(size_t z, size_t y, size_t x) { return (uint16_t)(x * 3 + y * 1031 + z * 7919); }

static const char *const LAYOUTS[] = {
    /* uncompressed, 512-byte rows */
    "\"chunk_grid\":{\"name\":\"regular\",\"configuration\":{\"chunk_shape\":[20,256,256]}},"
    "\"codecs\":[{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}}]",
    /* 5 MiB zstd chunks, 1 KiB rows */
    "\"chunk_grid\":{\"name\":\"regular\",\"configuration\":{\"chunk_shape\":[40,128,512]}},"
    "\"codecs\":[{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}},"
    "{\"name\":\"zstd\",\"configuration\":{\"level\":1,\"checksum\":false}}]",
    /* shards of inner chunks with 128-byte rows */
    "\"chunk_grid\":{\"name\":\"regular\",\"configuration\":{\"chunk_shape\":[20,256,512]}},"
    "\"codecs\":[{\"name\":\"sharding_indexed\",\"configuration\":{\"chunk_shape\":[10,64,64],"
    "\"codecs\":[{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}},"
    "{\"name\":\"zstd\",\"configuration\":{\"level\":1,\"checksum\":false}}]}}]",
};

int main(int argc, char **argv) {
    char *dir = make_scratch_dir(argc, argv, "large_read");
    zarrio_store *fs = NULL;
    REQUIRE_OK(zarrio_store_open_filesystem(dir, &fs));

    uint16_t *data = malloc(NELEM * 2);
    REQUIRE(data != NULL);
    for (size_t z = 0; z < N0; z++)
        for (size_t y = 0; y < N1; y++)
            for (size_t x = 0; x < N2; x++) data[(z * N1 + y) * N2 + x] = value_at(z, y, x);
    unsigned char *space = aligned_alloc(64, NELEM * 2 + 2 * GUARD);
    REQUIRE(space != NULL);

    const uint64_t start[3] = {0, 0, 0}, shape[3] = {N0, N1, N2};
    for (size_t i = 0; i < sizeof LAYOUTS / sizeof LAYOUTS[0]; i++) {
        char *meta = str_printf("{\"zarr_format\":3,\"node_type\":\"array\",\"shape\":[%d,%d,%d],"
                                "\"data_type\":\"uint16\",\"chunk_key_encoding\":{\"name\":\"default\"},"
                                "\"fill_value\":0,%s}",
                                N0, N1, N2, LAYOUTS[i]);
        char path[16];
        snprintf(path, sizeof path, "a%zu", i);
        zarrio_array *a = NULL;
        REQUIRE_OK(zarrio_array_create(fs, path, meta, &a));
        CHECK_OK(zarrio_array_write(a, 3, start, shape, data, NELEM * 2, NULL));
        for (size_t off = 0; off <= 16; off += 16) {
            memset(space, 0xEE, NELEM * 2 + 2 * GUARD);
            unsigned char *out = space + GUARD + off;
            CHECK_OK(zarrio_array_read(a, 3, start, shape, out, NELEM * 2, NULL));
            size_t bad = 0;
            for (size_t k = 0; k < NELEM; k++) {
                uint16_t v;
                memcpy(&v, out + 2 * k, 2);
                bad += v != data[k];
            }
            if (bad) fprintf(stderr, "layout %zu, offset %zu: %zu elements differ\n", i, off, bad);
            CHECK(bad == 0);
            for (size_t k = 0; k < GUARD + off; k++) CHECK(space[k] == 0xEE);
            for (size_t k = GUARD + off + NELEM * 2; k < NELEM * 2 + 2 * GUARD; k++) CHECK(space[k] == 0xEE);
        }
        /* A fresh buffer, untouched before the read: the library faults
         * its pages in up front (pages.rs) before placing the rows. */
        unsigned char *fresh = malloc(NELEM * 2);
        REQUIRE(fresh != NULL);
        CHECK_OK(zarrio_array_read(a, 3, start, shape, fresh, NELEM * 2, NULL));
        CHECK(memcmp(fresh, data, NELEM * 2) == 0);
        free(fresh);
        zarrio_array_free(a);
        free(meta);
    }
    free(space);
    free(data);
    zarrio_store_free(fs);
    int rc = TEST_RETURN();
    if (rc == 0) remove_tree(dir);
    free(dir);
    return rc;
}
