/*
 * Arrays of variable-length items (`string` with vlen-utf8,
 * `variable_length_bytes` with vlen-bytes): writes of whole and partial
 * regions across chunk and edge-chunk boundaries against a reference,
 * reads of sub-regions, the fill value for missing chunks and chunks
 * erased when all their items are the fill value, and every error path:
 * fixed-size calls on string arrays and string calls on fixed-size arrays,
 * too few offsets, bad offsets, items that are not UTF-8, NULL arguments.
 *
 * Then point, step and index-list selections read and written.
 *
 * Calls: zarrio_array_read_strings, zarrio_array_write_strings, their
 * _points, _stepped and _orthogonal forms,
 * zarrio_array_fill (an item), zarrio_bytes_free, zarrio_array_element_size,
 * zarrio_array_fill_value, zarrio_array_fill_value_size,
 * zarrio_array_data_type, zarrio_array_pipeline and zarrio_pipeline_create
 * (refused for strings; a datetime pipeline from a data type object), and
 * the array and store calls around them.
 */
#include "check.h"

#define ROWS 7
#define COLS 5
#define N (ROWS * COLS)

static const char *STRING_JSON =
    "{\"zarr_format\":3,\"node_type\":\"array\",\"shape\":[7,5],\"data_type\":\"string\","
    "\"chunk_grid\":{\"name\":\"regular\",\"configuration\":{\"chunk_shape\":[3,2]}},"
    "\"chunk_key_encoding\":{\"name\":\"default\"},\"fill_value\":\"-\","
    "\"codecs\":[{\"name\":\"vlen-utf8\"},{\"name\":\"zstd\",\"configuration\":{\"level\":1,\"checksum\":false}}]}";

static const char *BYTES_JSON =
    "{\"zarr_format\":3,\"node_type\":\"array\",\"shape\":[7,5],\"data_type\":\"variable_length_bytes\","
    "\"chunk_grid\":{\"name\":\"regular\",\"configuration\":{\"chunk_shape\":[4,4]}},"
    "\"chunk_key_encoding\":{\"name\":\"default\"},\"fill_value\":\"\","
    "\"codecs\":[{\"name\":\"vlen-bytes\"}]}";

/* The reference: one heap string per element (NUL-terminated for text;
 * for bytes, `lens` holds the lengths). */
static char *g_ref[N];
static size_t g_len[N];

static void ref_set(size_t i, const char *s, size_t len) {
    free(g_ref[i]);
    g_ref[i] = xmalloc(len + 1);
    memcpy(g_ref[i], s, len);
    g_ref[i][len] = '\0';
    g_len[i] = len;
}

/* Items of a region in C order, packed as data + offsets. */
static void pack(const uint64_t start[2], const uint64_t shape[2], char **data, uint64_t **offsets) {
    size_t n = (size_t)(shape[0] * shape[1]), total = 0;
    *offsets = xmalloc((n + 1) * sizeof(uint64_t));
    for (uint64_t r = 0; r < shape[0]; r++)
        for (uint64_t c = 0; c < shape[1]; c++) total += g_len[(start[0] + r) * COLS + start[1] + c];
    *data = xmalloc(total + 1);
    size_t at = 0, k = 0;
    (*offsets)[0] = 0;
    for (uint64_t r = 0; r < shape[0]; r++)
        for (uint64_t c = 0; c < shape[1]; c++) {
            size_t i = (size_t)((start[0] + r) * COLS + start[1] + c);
            memcpy(*data + at, g_ref[i], g_len[i]);
            at += g_len[i];
            (*offsets)[++k] = at;
        }
}

/* Read the region and compare it with the reference. */
static void check_region(zarrio_array *a, const uint64_t start[2], const uint64_t shape[2], const char *what) {
    size_t n = (size_t)(shape[0] * shape[1]);
    uint64_t *off = xmalloc((n + 1) * sizeof(uint64_t));
    uint8_t *data = NULL;
    size_t len = 0;
    if (!CHECK_OK_CTX(zarrio_array_read_strings(a, 2, start, shape, off, n + 1, &data, &len), "%s", what)) {
        free(off);
        return;
    }
    CHECK_MSG(off[0] == 0 && off[n] == len, "%s: offsets run 0..%zu, data is %zu", what, (size_t)off[n], len);
    size_t k = 0;
    for (uint64_t r = 0; r < shape[0]; r++)
        for (uint64_t c = 0; c < shape[1]; c++, k++) {
            size_t i = (size_t)((start[0] + r) * COLS + start[1] + c);
            size_t got = (size_t)(off[k + 1] - off[k]);
            CHECK_MSG(got == g_len[i] && memcmp(data + off[k], g_ref[i], got) == 0,
                      "%s: item (%zu,%zu) is %.*s, expected %s", what, (size_t)(start[0] + r),
                      (size_t)(start[1] + c), (int)got, data ? (const char *)data + off[k] : "", g_ref[i]);
        }
    zarrio_bytes_free(data, len);
    free(off);
}

static void write_region(zarrio_array *a, const uint64_t start[2], const uint64_t shape[2]) {
    char *data;
    uint64_t *off;
    pack(start, shape, &data, &off);
    size_t n = (size_t)(shape[0] * shape[1]);
    CHECK_OK(zarrio_array_write_strings(a, 2, start, shape, data, (size_t)off[n], off, n + 1));
    free(data);
    free(off);
}

static void test_strings(const char *dir) {
    zarrio_store *s = NULL;
    REQUIRE_OK(zarrio_store_open_filesystem(dir, &s));
    zarrio_array *a = NULL;
    REQUIRE_OK(zarrio_array_create(s, "text", STRING_JSON, &a));

    char *dt = NULL;
    CHECK_OK(zarrio_array_data_type(a, &dt));
    CHECK_MSG(dt && strcmp(dt, "string") == 0, "data type %s", dt);
    zarrio_string_free(dt);
    size_t es = 99;
    CHECK_OK(zarrio_array_element_size(a, &es));
    CHECK(es == 0);
    char fill[8] = {0};
    size_t fill_size = 99;
    CHECK_OK(zarrio_array_fill_value_size(a, &fill_size));
    CHECK(fill_size == 1);
    CHECK_STATUS(zarrio_array_fill_value_size(a, NULL), ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(zarrio_array_fill_value(a, fill, 0), ZARRIO_ERR_BUFFER_TOO_SMALL);
    CHECK_OK(zarrio_array_fill_value(a, fill, sizeof fill));
    CHECK(strcmp(fill, "-") == 0);

    /* Nothing written: every item is the fill value. */
    for (size_t i = 0; i < N; i++) ref_set(i, "-", 1);
    const uint64_t all0[2] = {0, 0}, all[2] = {ROWS, COLS};
    check_region(a, all0, all, "empty array");

    /* Every element, then a region across chunks and the edge. */
    for (size_t i = 0; i < N; i++) {
        char buf[32];
        int len = snprintf(buf, sizeof buf, i % 3 ? "item %zu \xc3\xa9" : "%zu", i);
        ref_set(i, buf, (size_t)len);
    }
    ref_set(7, "", 0);
    write_region(a, all0, all);
    check_region(a, all0, all, "whole array");
    for (size_t r = 2; r < 7; r++)
        for (size_t c = 1; c < 4; c++) ref_set(r * COLS + c, "patched \xe2\x82\xac", 11);
    const uint64_t s1[2] = {2, 1}, sh1[2] = {5, 3};
    write_region(a, s1, sh1);
    check_region(a, all0, all, "after a partial write");
    const uint64_t s2[2] = {1, 3}, sh2[2] = {5, 2};
    check_region(a, s2, sh2, "a sub-region");

    /* A chunk (rows 3..5, cols 2..3) all fill value is erased. */
    for (size_t r = 3; r < 6; r++)
        for (size_t c = 2; c < 4; c++) ref_set(r * COLS + c, "-", 1);
    const uint64_t s3[2] = {3, 2}, sh3[2] = {3, 2};
    write_region(a, s3, sh3);
    char *chunk = str_printf("%s/text/c/1/1", dir);
    CHECK_MSG(!file_exists(chunk), "%s is still there", chunk);
    free(chunk);
    check_region(a, all0, all, "after erasing a chunk");

    /* A fill with one item, then with the fill value (the chunks it
     * covers whole are erased), and an empty item. */
    const uint64_t s4[2] = {0, 0}, sh4[2] = {6, 4};
    CHECK_OK(zarrio_array_fill(a, 2, s4, sh4, "\xce\xbb", 2));
    for (size_t r = 0; r < 6; r++)
        for (size_t c = 0; c < 4; c++) ref_set(r * COLS + c, "\xce\xbb", 2);
    check_region(a, all0, all, "after a fill");
    CHECK_OK(zarrio_array_fill(a, 2, s4, sh4, "-", 1));
    for (size_t r = 0; r < 6; r++)
        for (size_t c = 0; c < 4; c++) ref_set(r * COLS + c, "-", 1);
    char *c00 = str_printf("%s/text/c/0/0", dir);
    CHECK_MSG(!file_exists(c00), "%s is still there after a fill with the fill value", c00);
    free(c00);
    const uint64_t s5[2] = {6, 4}, sh5[2] = {1, 1};
    CHECK_OK(zarrio_array_fill(a, 2, s5, sh5, NULL, 0));
    ref_set(6 * COLS + 4, "", 0);
    check_region(a, all0, all, "after fills");
    CHECK_STATUS(zarrio_array_fill(a, 2, s5, sh5, "\xff", 1), ZARRIO_ERR_INVALID_ARGUMENT);

    /* Reopened, the same items. */
    zarrio_array_free(a);
    a = NULL;
    REQUIRE_OK(zarrio_array_open(s, "text", &a));
    check_region(a, all0, all, "reopened");

    /* Errors. */
    uint64_t off[N + 1];
    uint8_t *data = NULL;
    size_t len = 0;
    CHECK_STATUS(zarrio_array_read_strings(a, 2, all0, all, off, N, &data, &len), ZARRIO_ERR_BUFFER_TOO_SMALL);
    CHECK_STATUS(zarrio_array_read_strings(a, 2, all0, all, NULL, N + 1, &data, &len), ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(zarrio_array_read_strings(a, 2, all0, all, off, N + 1, NULL, &len), ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(zarrio_array_read_strings(a, 2, all0, all, off, N + 1, &data, NULL), ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(zarrio_array_read_strings(NULL, 2, all0, all, off, N + 1, &data, &len), ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(zarrio_array_read_strings(a, 1, all0, all, off, N + 1, &data, &len), ZARRIO_ERR_INVALID_ARGUMENT);
    const uint64_t past[2] = {6, 0}, two[2] = {2, 1};
    CHECK_STATUS(zarrio_array_read_strings(a, 2, past, two, off, N + 1, &data, &len), ZARRIO_ERR_OUT_OF_BOUNDS);
    uint64_t buf[4];
    CHECK_STATUS(zarrio_array_read(a, 2, all0, two, buf, sizeof buf, NULL), ZARRIO_ERR_UNSUPPORTED);
    CHECK_STATUS(zarrio_array_write(a, 2, all0, two, buf, sizeof buf, NULL), ZARRIO_ERR_UNSUPPORTED);
    CHECK_STATUS(zarrio_array_read_chunk(a, 2, all0, buf, sizeof buf), ZARRIO_ERR_UNSUPPORTED);

    /* Pipelines move fixed-size elements: none for strings. */
    zarrio_pipeline *p = NULL;
    CHECK_STATUS(zarrio_array_pipeline(a, &p), ZARRIO_ERR_UNSUPPORTED);
    CHECK(p == NULL);
    const uint64_t cs[1] = {4};
    CHECK_STATUS(zarrio_pipeline_create("[{\"name\":\"vlen-utf8\"}]", "string", 1, cs, "\"\"", &p),
                 ZARRIO_ERR_UNSUPPORTED);
    CHECK(p == NULL);
    CHECK_OK(zarrio_pipeline_create("[{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}}]",
                                    "{\"name\":\"numpy.datetime64\",\"configuration\":{\"unit\":\"s\","
                                    "\"scale_factor\":1}}",
                                    1, cs, "\"NaT\"", &p));
    zarrio_pipeline_free(p);

    /* Bad items change nothing. */
    const uint64_t one[2] = {1, 1};
    uint64_t o2[3] = {0, 2, 1};
    CHECK_STATUS(zarrio_array_write_strings(a, 2, all0, two, "abc", 3, o2, 3), ZARRIO_ERR_INVALID_ARGUMENT);
    uint64_t o3[3] = {0, 1, 2};
    CHECK_STATUS(zarrio_array_write_strings(a, 2, all0, two, "abc", 3, o3, 3), ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(zarrio_array_write_strings(a, 2, all0, two, "ab", 2, o3, 2), ZARRIO_ERR_INVALID_ARGUMENT);
    uint64_t o1[2] = {0, 2};
    CHECK_STATUS(zarrio_array_write_strings(a, 2, all0, one, "\xc3\x28", 2, o1, 2), ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(zarrio_array_write_strings(a, 2, all0, one, NULL, 2, o1, 2), ZARRIO_ERR_INVALID_ARGUMENT);
    check_region(a, all0, all, "after refused writes");
    zarrio_array_free(a);

    /* Variable-length bytes: any bytes, NUL included; fill "" */
    REQUIRE_OK(zarrio_array_create(s, "raw", BYTES_JSON, &a));
    for (size_t i = 0; i < N; i++) ref_set(i, "", 0);
    check_region(a, all0, all, "empty bytes array");
    for (size_t i = 0; i < N; i++) {
        char b[4] = {(char)i, 0, (char)0xff, (char)(i * 7)};
        ref_set(i, b, i % 5);
    }
    write_region(a, all0, all);
    check_region(a, all0, all, "bytes");
    zarrio_array_free(a);

    /* Shards of vlen-utf8 inner chunks, the index at the start. */
    const char *sharded =
        "{\"zarr_format\":3,\"node_type\":\"array\",\"shape\":[7,5],\"data_type\":\"string\","
        "\"chunk_grid\":{\"name\":\"regular\",\"configuration\":{\"chunk_shape\":[4,4]}},"
        "\"chunk_key_encoding\":{\"name\":\"default\"},\"fill_value\":\"\",\"codecs\":[{\"name\":"
        "\"sharding_indexed\",\"configuration\":{\"chunk_shape\":[2,2],\"codecs\":[{\"name\":\"vlen-utf8\"},"
        "{\"name\":\"zstd\",\"configuration\":{\"level\":1,\"checksum\":false}}],\"index_codecs\":[{\"name\":"
        "\"bytes\",\"configuration\":{\"endian\":\"little\"}},{\"name\":\"crc32c\"}],\"index_location\":"
        "\"start\"}}]}";
    REQUIRE_OK(zarrio_array_create(s, "sharded", sharded, &a));
    for (size_t i = 0; i < N; i++) ref_set(i, "", 0);
    check_region(a, all0, all, "empty sharded array");
    for (size_t i = 0; i < N; i++) {
        char buf[32];
        int len = snprintf(buf, sizeof buf, i % 4 ? "s%zu" : "", i);
        ref_set(i, buf, (size_t)len);
    }
    write_region(a, all0, all);
    check_region(a, all0, all, "sharded");
    write_region(a, s1, sh1);
    check_region(a, s2, sh2, "sharded, a sub-region");
    zarrio_array_free(a);

    /* String calls on a fixed-size array. */
    const char *fixed =
        "{\"zarr_format\":3,\"node_type\":\"array\",\"shape\":[4],\"data_type\":\"int32\","
        "\"chunk_grid\":{\"name\":\"regular\",\"configuration\":{\"chunk_shape\":[2]}},"
        "\"chunk_key_encoding\":{\"name\":\"default\"},\"fill_value\":0,\"codecs\":[{\"name\":\"bytes\","
        "\"configuration\":{\"endian\":\"little\"}}]}";
    REQUIRE_OK(zarrio_array_create(s, "ints", fixed, &a));
    const uint64_t z1[1] = {0}, n1[1] = {4};
    CHECK_STATUS(zarrio_array_read_strings(a, 1, z1, n1, off, 5, &data, &len), ZARRIO_ERR_UNSUPPORTED);
    uint64_t o5[5] = {0, 0, 0, 0, 0};
    CHECK_STATUS(zarrio_array_write_strings(a, 1, z1, n1, "", 0, o5, 5), ZARRIO_ERR_UNSUPPORTED);
    zarrio_array_free(a);

    /* A string array whose codecs do not fit its data type. */
    const char *wrong =
        "{\"zarr_format\":3,\"node_type\":\"array\",\"shape\":[4],\"data_type\":\"string\","
        "\"chunk_grid\":{\"name\":\"regular\",\"configuration\":{\"chunk_shape\":[2]}},"
        "\"chunk_key_encoding\":{\"name\":\"default\"},\"fill_value\":\"\",\"codecs\":[{\"name\":\"bytes\"}]}";
    a = NULL;
    CHECK_STATUS(zarrio_array_create(s, "wrong", wrong, &a), ZARRIO_ERR_UNSUPPORTED);
    CHECK(a == NULL);
    zarrio_store_free(s);
    for (size_t i = 0; i < N; i++) {
        free(g_ref[i]);
        g_ref[i] = NULL;
    }
}

/* Check `n` items read by a selection call against the reference elements
 * `at[0..n]` (flat indices). */
static void check_items(const uint64_t *off, const uint8_t *data, size_t len, const size_t *at, size_t n,
                        const char *what) {
    CHECK_MSG(off[0] == 0 && off[n] == len, "%s: offsets run 0..%zu, data is %zu", what, (size_t)off[n], len);
    for (size_t k = 0; k < n; k++) {
        size_t got = (size_t)(off[k + 1] - off[k]), i = at[k];
        CHECK_MSG(got == g_len[i] && memcmp(data + off[k], g_ref[i], got) == 0, "%s: item %zu is %.*s, expected %s",
                  what, k, (int)got, data ? (const char *)data + off[k] : "", g_ref[i]);
    }
}

/* Points, steps and index lists of a string array, read and written. */
static void test_string_selections(const char *dir) {
    zarrio_store *s = NULL;
    REQUIRE_OK(zarrio_store_open_filesystem(dir, &s));
    zarrio_array *a = NULL;
    REQUIRE_OK(zarrio_array_create(s, "selections", STRING_JSON, &a));
    char buf[32];
    for (size_t i = 0; i < N; i++) {
        int n = snprintf(buf, sizeof buf, "e%zu%s", i, i % 3 ? "\xc3\xa9" : "");
        ref_set(i, buf, (size_t)n);
    }
    const uint64_t z[2] = {0, 0}, all[2] = {ROWS, COLS};
    write_region(a, z, all);

    uint64_t off[16];
    uint8_t *data = NULL;
    size_t len = 0;
    /* Points in any order, one repeated. */
    const uint64_t coords[8] = {6, 4, 0, 0, 3, 1, 0, 0};
    const size_t at_points[4] = {6 * COLS + 4, 0, 3 * COLS + 1, 0};
    if (CHECK_OK(zarrio_array_read_strings_points(a, 2, 4, coords, off, 5, &data, &len))) {
        check_items(off, data, len, at_points, 4, "points");
        zarrio_bytes_free(data, len);
    }
    /* Rows 0, 3, 6 and columns 1, 3. */
    const uint64_t start[2] = {0, 1}, step[2] = {3, 2}, count[2] = {3, 2};
    const size_t at_steps[6] = {1, 3, 3 * COLS + 1, 3 * COLS + 3, 6 * COLS + 1, 6 * COLS + 3};
    if (CHECK_OK(zarrio_array_read_strings_stepped(a, 2, start, step, count, off, 7, &data, &len))) {
        check_items(off, data, len, at_steps, 6, "steps");
        zarrio_bytes_free(data, len);
    }
    /* Rows 4 and 0, every column (NULL). */
    const uint64_t rows[2] = {4, 0};
    const uint64_t *indices[2] = {rows, NULL};
    const size_t counts[2] = {2, COLS};
    size_t at_lists[10];
    for (size_t k = 0; k < 10; k++) at_lists[k] = rows[k / COLS] * COLS + k % COLS;
    if (CHECK_OK(zarrio_array_read_strings_orthogonal(a, 2, indices, counts, off, 11, &data, &len))) {
        check_items(off, data, len, at_lists, 10, "lists");
        zarrio_bytes_free(data, len);
    }
    CHECK_STATUS(zarrio_array_read_strings_points(a, 2, 4, coords, off, 4, &data, &len),
                 ZARRIO_ERR_BUFFER_TOO_SMALL);
    CHECK_STATUS(zarrio_array_read_strings_points(a, 2, 4, coords, off, 5, NULL, &len), ZARRIO_ERR_INVALID_ARGUMENT);
    const uint64_t outside[2] = {7, 0};
    CHECK_STATUS(zarrio_array_read_strings_points(a, 2, 1, outside, off, 2, &data, &len), ZARRIO_ERR_OUT_OF_BOUNDS);

    /* Writes: two points (the repeated one takes the last item), then a
     * stepped selection, then index lists. */
    const uint64_t wcoords[6] = {2, 2, 5, 0, 2, 2};
    const uint64_t woff[4] = {0, 3, 5, 7};
    CHECK_OK(zarrio_array_write_strings_points(a, 2, 3, wcoords, "abcdeXY", 7, woff, 4));
    ref_set(5 * COLS + 0, "de", 2);
    ref_set(2 * COLS + 2, "XY", 2);
    const uint64_t wstart[2] = {1, 0}, wstep[2] = {5, 4}, wcount[2] = {2, 2};
    const uint64_t soff[5] = {0, 1, 2, 3, 4};
    CHECK_OK(zarrio_array_write_strings_stepped(a, 2, wstart, wstep, wcount, "pqrs", 4, soff, 5));
    ref_set(1 * COLS + 0, "p", 1);
    ref_set(1 * COLS + 4, "q", 1);
    ref_set(6 * COLS + 0, "r", 1);
    ref_set(6 * COLS + 4, "s", 1);
    const uint64_t wrows[1] = {3}, wcols[2] = {4, 2};
    const uint64_t *windices[2] = {wrows, wcols};
    const size_t wcounts[2] = {1, 2};
    const uint64_t loff[3] = {0, 0, 1};
    CHECK_OK(zarrio_array_write_strings_orthogonal(a, 2, windices, wcounts, "-", 1, loff, 3));
    ref_set(3 * COLS + 4, "", 0);
    ref_set(3 * COLS + 2, "-", 1);
    /* Offsets that do not fit the selection: nothing is written. */
    CHECK_STATUS(zarrio_array_write_strings_points(a, 2, 3, wcoords, "abcdeXY", 7, woff, 3),
                 ZARRIO_ERR_INVALID_ARGUMENT);
    check_region(a, z, all, "after selection writes");
    zarrio_array_free(a);
    zarrio_store_free(s);
    for (size_t i = 0; i < N; i++) {
        free(g_ref[i]);
        g_ref[i] = NULL;
    }
}

int main(int argc, char **argv) {
    char *dir = make_scratch_dir(argc, argv, "strings");
    test_strings(dir);
    test_string_selections(dir);
    int rc = TEST_RETURN();
    if (rc == 0) remove_tree(dir);
    free(dir);
    return rc;
}
