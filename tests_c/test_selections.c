/*
 * Selections that are not one box, through the C API on the filesystem:
 * every other element (zarrio_array_read_stepped / _write_stepped), lists
 * of indices per dimension (_orthogonal, NULL for a whole dimension), and
 * points (_points), into C- and Fortran-order buffers, each checked
 * against the values a plain loop gives; bad selections are refused and
 * change nothing.
 */
#include "check.h"

/* 12 x 10 int32 in shards of 6 x 10 with inner chunks of 3 x 5, zstd. */
static const char *META =
    "{\"zarr_format\":3,\"node_type\":\"array\",\"shape\":[12,10],\"data_type\":\"int32\","
    "\"chunk_grid\":{\"name\":\"regular\",\"configuration\":{\"chunk_shape\":[6,10]}},"
    "\"chunk_key_encoding\":{\"name\":\"default\"},\"fill_value\":-1,"
    "\"codecs\":[{\"name\":\"sharding_indexed\",\"configuration\":{\"chunk_shape\":[3,5],"
    "\"codecs\":[{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}},"
    "{\"name\":\"zstd\",\"configuration\":{\"level\":1}}],"
    "\"index_codecs\":[{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}},{\"name\":\"crc32c\"}]}}]}";

enum { ROWS = 12, COLS = 10 };

static void test_selections(const char *dir) {
    zarrio_store *s = NULL;
    zarrio_array *a = NULL;
    REQUIRE_OK(zarrio_store_open_filesystem(dir, &s));
    REQUIRE_OK(zarrio_array_create(s, "a", META, &a));
    int32_t model[ROWS * COLS];
    for (int i = 0; i < ROWS * COLS; i++) model[i] = i * 7;
    uint64_t origin[2] = {0, 0}, full[2] = {ROWS, COLS};
    CHECK_OK(zarrio_array_write(a, 2, origin, full, model, sizeof model, NULL));

    /* Rows 1, 4, 7, 10 and columns 0, 2, ..., 8, into Fortran order. */
    uint64_t start[2] = {1, 0}, step[2] = {3, 2}, count[2] = {4, 5};
    int64_t fortran[2] = {1, 4};
    int32_t got[20];
    CHECK_OK(zarrio_array_read_stepped(a, 2, start, step, count, got, sizeof got, fortran));
    int wrong = 0;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 5; j++) wrong += got[i + 4 * j] != model[(1 + 3 * i) * COLS + 2 * j];
    CHECK_MSG(wrong == 0, "%d stepped elements differ", wrong);

    /* Rows 11, 0, 11 (any order, repeats) and every column. */
    uint64_t rows[3] = {11, 0, 11};
    const uint64_t *lists[2] = {rows, NULL};
    size_t counts[2] = {3, COLS};
    int32_t got_rows[3 * COLS];
    CHECK_OK(zarrio_array_read_orthogonal(a, 2, lists, counts, got_rows, sizeof got_rows, NULL));
    wrong = 0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < COLS; j++) wrong += got_rows[i * COLS + j] != model[rows[i] * COLS + j];
    CHECK_MSG(wrong == 0, "%d listed elements differ", wrong);

    /* An empty list may be NULL (what malloc(0) may give): nothing read. */
    const uint64_t *no_rows[2] = {NULL, NULL};
    size_t none_counts[2] = {0, COLS};
    CHECK_OK(zarrio_array_read_orthogonal(a, 2, no_rows, none_counts, NULL, 0, NULL));

    /* Points, one repeated. */
    uint64_t points[8] = {5, 9, 0, 0, 6, 4, 5, 9};
    int32_t got_points[4];
    CHECK_OK(zarrio_array_read_points(a, 2, 4, points, got_points, sizeof got_points));
    wrong = 0;
    for (int p = 0; p < 4; p++) wrong += got_points[p] != model[points[2 * p] * COLS + points[2 * p + 1]];
    CHECK_MSG(wrong == 0, "%d points differ", wrong);

    /* Writes: every third column of rows 2..6, then points (the repeated
     * one takes its last value), then the columns 9 and 1 of rows 0 and 3. */
    uint64_t wstart[2] = {2, 0}, wstep[2] = {1, 3}, wcount[2] = {5, 4};
    int32_t wdata[20];
    for (int i = 0; i < 20; i++) wdata[i] = 1000 + i;
    CHECK_OK(zarrio_array_write_stepped(a, 2, wstart, wstep, wcount, wdata, sizeof wdata, NULL));
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 4; j++) model[(2 + i) * COLS + 3 * j] = wdata[i * 4 + j];
    int32_t pdata[4] = {-10, -20, -30, -40};
    CHECK_OK(zarrio_array_write_points(a, 2, 4, points, pdata, sizeof pdata));
    for (int p = 0; p < 4; p++) model[points[2 * p] * COLS + points[2 * p + 1]] = pdata[p];
    uint64_t orows[2] = {0, 3}, ocols[2] = {9, 1};
    const uint64_t *olists[2] = {orows, ocols};
    size_t ocounts[2] = {2, 2};
    int32_t odata[4] = {7, 8, 9, 10};
    CHECK_OK(zarrio_array_write_orthogonal(a, 2, olists, ocounts, odata, sizeof odata, NULL));
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) model[orows[i] * COLS + ocols[j]] = odata[i * 2 + j];
    int32_t back[ROWS * COLS];
    CHECK_OK(zarrio_array_read(a, 2, origin, full, back, sizeof back, NULL));
    wrong = 0;
    for (int i = 0; i < ROWS * COLS; i++) wrong += back[i] != model[i];
    CHECK_MSG(wrong == 0, "%d elements differ after the writes", wrong);

    /* Refused, and nothing written. */
    uint64_t zero_step[2] = {0, 1};
    CHECK_STATUS(zarrio_array_read_stepped(a, 2, start, zero_step, count, got, sizeof got, NULL),
                 ZARRIO_ERR_INVALID_ARGUMENT);
    uint64_t far[2] = {12, 0};
    CHECK_STATUS(zarrio_array_write_points(a, 2, 1, far, pdata, sizeof pdata), ZARRIO_ERR_OUT_OF_BOUNDS);
    CHECK_STATUS(zarrio_array_read_stepped(a, 2, start, step, count, got, sizeof got - 1, NULL),
                 ZARRIO_ERR_BUFFER_TOO_SMALL);
    size_t bad_counts[2] = {3, COLS - 1};
    CHECK_STATUS(zarrio_array_read_orthogonal(a, 2, lists, bad_counts, got_rows, sizeof got_rows, NULL),
                 ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(zarrio_array_read_points(a, 1, 4, points, got_points, sizeof got_points),
                 ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(zarrio_array_read_points(a, 2, 4, NULL, got_points, sizeof got_points),
                 ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(zarrio_array_write_orthogonal(NULL, 2, olists, ocounts, odata, sizeof odata, NULL),
                 ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK_OK(zarrio_array_read(a, 2, origin, full, back, sizeof back, NULL));
    wrong = 0;
    for (int i = 0; i < ROWS * COLS; i++) wrong += back[i] != model[i];
    CHECK_MSG(wrong == 0, "%d elements changed by refused calls", wrong);

    zarrio_array_free(a);
    zarrio_store_free(s);
}

int main(int argc, char **argv) {
    char *dir = make_scratch_dir(argc, argv, "selections");
    test_selections(dir);
    int rc = TEST_RETURN();
    if (rc == 0) remove_tree(dir);
    free(dir);
    return rc;
}
