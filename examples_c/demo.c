/*
 * zarrio demo: create a sharded, zstd-compressed uint16 array on disk,
 * write it, read a sub-region and a whole shard back, check every value
 * and report how long each step took.
 *
 * usage: zarrio_demo [directory]   (default: ./zarrio-demo-data)
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <zarrio.h>

#define N 256          /* array edge */
#define SHARD 128      /* shard edge */
#define INNER 32       /* inner chunk edge */

/* The value at (z, y, x), as in the zarr benchmark suite. */
static uint16_t value_at(uint64_t z, uint64_t y, uint64_t x) {
    return (uint16_t)((x + y * y / 32 + z * z * z) % 65536);
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int fail(const char *what, zarrio_status s) {
    fprintf(stderr, "demo: %s failed: %s: %s\n", what, zarrio_status_name(s), zarrio_last_error());
    return 1;
}

/* Compare a C-order block starting at (z0, y0, x0) with the formula. */
static int check_block(const uint16_t *buf, const uint64_t *start, const uint64_t *shape) {
    size_t i = 0;
    for (uint64_t z = 0; z < shape[0]; z++)
        for (uint64_t y = 0; y < shape[1]; y++)
            for (uint64_t x = 0; x < shape[2]; x++, i++) {
                uint16_t want = value_at(start[0] + z, start[1] + y, start[2] + x);
                if (buf[i] != want) {
                    fprintf(stderr, "demo: wrong value at (%" PRIu64 ", %" PRIu64 ", %" PRIu64 "): %u, expected %u\n",
                            start[0] + z, start[1] + y, start[2] + x, buf[i], want);
                    return 1;
                }
            }
    return 0;
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "zarrio-demo-data";
    char meta[1024];
    snprintf(meta, sizeof meta,
             "{\"zarr_format\":3,\"node_type\":\"array\",\"shape\":[%d,%d,%d],\"data_type\":\"uint16\","
             "\"chunk_grid\":{\"name\":\"regular\",\"configuration\":{\"chunk_shape\":[%d,%d,%d]}},"
             "\"chunk_key_encoding\":{\"name\":\"default\",\"configuration\":{\"separator\":\"/\"}},"
             "\"fill_value\":0,\"codecs\":[{\"name\":\"sharding_indexed\",\"configuration\":{"
             "\"chunk_shape\":[%d,%d,%d],"
             "\"codecs\":[{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}},"
             "{\"name\":\"zstd\",\"configuration\":{\"level\":0,\"checksum\":false}}],"
             "\"index_codecs\":[{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}},{\"name\":\"crc32c\"}],"
             "\"index_location\":\"end\"}}],\"attributes\":{\"description\":\"zarrio demo\"}}",
             N, N, N, SHARD, SHARD, SHARD, INNER, INNER, INNER);

    printf("zarrio %s, %u threads\n", zarrio_version(), zarrio_threads());
    zarrio_store *store = NULL;
    zarrio_array *array = NULL;
    zarrio_status s;
    double t0 = now();
    if ((s = zarrio_store_open_filesystem(dir, &store)) != ZARRIO_OK) return fail("open store", s);
    if ((s = zarrio_array_create(store, "volume", meta, &array)) != ZARRIO_OK) return fail("create array", s);
    printf("created %s/volume: %dx%dx%d uint16, %d^3 shards of %d^3 zstd chunks (%.1f ms)\n", dir, N, N, N,
           SHARD, INNER, (now() - t0) * 1e3);

    size_t n = (size_t)N * N * N;
    uint16_t *data = malloc(n * sizeof *data);
    if (!data) return 1;
    size_t i = 0;
    for (uint64_t z = 0; z < N; z++)
        for (uint64_t y = 0; y < N; y++)
            for (uint64_t x = 0; x < N; x++) data[i++] = value_at(z, y, x);

    uint64_t origin[3] = {0, 0, 0}, full[3] = {N, N, N};
    t0 = now();
    if ((s = zarrio_array_write(array, 3, origin, full, data, n * sizeof *data, NULL)) != ZARRIO_OK)
        return fail("write", s);
    double dt = now() - t0;
    printf("wrote %zu MiB in %.1f ms (%.0f MiB/s)\n", n * 2 >> 20, dt * 1e3, (double)(n * 2 >> 20) / dt);
    free(data);

    /* Reopen, as a reader would. */
    zarrio_array_free(array);
    if ((s = zarrio_array_open(store, "volume", &array)) != ZARRIO_OK) return fail("open array", s);

    uint64_t sub_start[3] = {10, 50, 3}, sub_shape[3] = {100, 200, 197};
    size_t sub_n = (size_t)(sub_shape[0] * sub_shape[1] * sub_shape[2]);
    uint16_t *sub = malloc(sub_n * sizeof *sub);
    if (!sub) return 1;
    t0 = now();
    if ((s = zarrio_array_read(array, 3, sub_start, sub_shape, sub, sub_n * sizeof *sub, NULL)) != ZARRIO_OK)
        return fail("read sub-region", s);
    dt = now() - t0;
    if (check_block(sub, sub_start, sub_shape)) return 1;
    printf("read sub-region [10:110, 50:250, 3:200] (%zu values) in %.1f ms: all values correct\n", sub_n, dt * 1e3);
    free(sub);

    uint64_t shard_idx[3] = {1, 0, 1};
    uint64_t shard_start[3] = {SHARD, 0, SHARD}, shard_shape[3] = {SHARD, SHARD, SHARD};
    size_t shard_n = (size_t)SHARD * SHARD * SHARD;
    uint16_t *shard = malloc(shard_n * sizeof *shard);
    if (!shard) return 1;
    t0 = now();
    if ((s = zarrio_array_read_chunk(array, 3, shard_idx, shard, shard_n * sizeof *shard)) != ZARRIO_OK)
        return fail("read shard", s);
    dt = now() - t0;
    if (check_block(shard, shard_start, shard_shape)) return 1;
    printf("read whole shard (1, 0, 1) (%zu values) in %.1f ms: all values correct\n", shard_n, dt * 1e3);
    free(shard);

    zarrio_array_free(array);
    zarrio_store_free(store);
    printf("demo: ok\n");
    return 0;
}
