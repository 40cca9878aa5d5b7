/*
 * zarrio_array_resize on the filesystem: shrinking erases the chunk files
 * wholly outside the new shape and resets the cut part of edge chunks to
 * the fill value, so growing back shows the fill value; growing writes
 * only zarr.json; bad arguments change nothing.
 */
#include "check.h"

static const char *META =
    "{\"zarr_format\":3,\"node_type\":\"array\",\"shape\":[6,8],\"data_type\":\"int16\","
    "\"chunk_grid\":{\"name\":\"regular\",\"configuration\":{\"chunk_shape\":[4,4]}},"
    "\"chunk_key_encoding\":{\"name\":\"default\"},\"fill_value\":-1,"
    "\"codecs\":[{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}},"
    "{\"name\":\"zstd\",\"configuration\":{\"level\":1}}]}";

static void test_resize(const char *dir) {
    zarrio_store *s = NULL;
    zarrio_array *a = NULL;
    REQUIRE_OK(zarrio_store_open_filesystem(dir, &s));
    REQUIRE_OK(zarrio_array_create(s, "a", META, &a));
    int16_t v[48];
    for (int i = 0; i < 48; i++) v[i] = (int16_t)(i + 1);
    uint64_t o[2] = {0, 0}, full[2] = {6, 8};
    CHECK_OK(zarrio_array_write(a, 2, o, full, v, sizeof v, NULL));
    char *c01 = path_join(dir, "a/c/0/1"), *c11 = path_join(dir, "a/c/1/1"), *c10 = path_join(dir, "a/c/1/0");
    CHECK(file_exists(c01) && file_exists(c11) && file_exists(c10));

    /* Bad arguments: nothing changes. */
    uint64_t small[2] = {3, 3};
    CHECK_STATUS(zarrio_array_resize(NULL, 2, small), ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(zarrio_array_resize(a, 1, small), ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(zarrio_array_resize(a, 2, NULL), ZARRIO_ERR_INVALID_ARGUMENT);
    uint64_t shape[2] = {0, 0};
    CHECK_OK(zarrio_array_shape(a, shape, 2));
    CHECK(shape[0] == 6 && shape[1] == 8);

    /* Shrink to 3 x 3: only chunk (0, 0) is left, its cut part reset. */
    CHECK_OK(zarrio_array_resize(a, 2, small));
    CHECK_OK(zarrio_array_shape(a, shape, 2));
    CHECK(shape[0] == 3 && shape[1] == 3);
    CHECK_MSG(!file_exists(c01) && !file_exists(c11) && !file_exists(c10), "chunks outside 3 x 3 are erased");
    int16_t part[9];
    CHECK_OK(zarrio_array_read(a, 2, o, small, part, sizeof part, NULL));
    int wrong = 0;
    for (int y = 0; y < 3; y++)
        for (int x = 0; x < 3; x++) wrong += part[y * 3 + x] != v[y * 8 + x];
    CHECK_MSG(wrong == 0, "%d kept values differ", wrong);
    CHECK_STATUS(zarrio_array_read(a, 2, o, full, v, sizeof v, NULL), ZARRIO_ERR_OUT_OF_BOUNDS);

    /* Grow back, through another handle: the cut part is fill. */
    CHECK_OK(zarrio_array_resize(a, 2, full));
    zarrio_array_free(a);
    REQUIRE_OK(zarrio_array_open(s, "a", &a));
    int16_t back[48];
    CHECK_OK(zarrio_array_read(a, 2, o, full, back, sizeof back, NULL));
    wrong = 0;
    for (int y = 0; y < 6; y++)
        for (int x = 0; x < 8; x++) wrong += back[y * 8 + x] != (y < 3 && x < 3 ? v[y * 8 + x] : -1);
    CHECK_MSG(wrong == 0, "%d values differ after growing back", wrong);

    /* To nothing and back. */
    uint64_t none[2] = {0, 8};
    CHECK_OK(zarrio_array_resize(a, 2, none));
    char *c00 = path_join(dir, "a/c/0/0");
    CHECK(!file_exists(c00));
    CHECK_OK(zarrio_array_resize(a, 2, full));
    CHECK_OK(zarrio_array_read(a, 2, o, full, back, sizeof back, NULL));
    wrong = 0;
    for (int i = 0; i < 48; i++) wrong += back[i] != -1;
    CHECK(wrong == 0);

    zarrio_array_free(a);
    zarrio_store_free(s);
    free(c00);
    free(c01);
    free(c11);
    free(c10);
}

int main(int argc, char **argv) {
    char *dir = make_scratch_dir(argc, argv, "resize");
    test_resize(dir);
    int rc = TEST_RETURN();
    if (rc == 0) remove_tree(dir);
    free(dir);
    return rc;
}
