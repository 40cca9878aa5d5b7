/*
 * A `struct` array read and written as a packed C struct: fields in
 * declaration order, no padding, each in native byte order, whatever the
 * stored byte order (here big-endian, so every multi-byte field is
 * swapped on the way in and out). Unwritten elements read as the fill
 * value given field by field; a region read into a stride-2 buffer
 * places whole records.
 *
 * An `optional` float64 array read and written the same way: each
 * element a packed record of the value and a validity byte (1 present,
 * 0 missing, the value then 0).
 */
#include "check.h"

#include <math.h>
#include <string.h>

#pragma pack(push, 1)
typedef struct {
    int32_t id;
    uint8_t flags;
    double value;
    char tag[3];
} record;

typedef struct {
    double value;
    uint8_t valid;
} maybe_double;
#pragma pack(pop)

static const char *META =
    "{\"zarr_format\":3,\"node_type\":\"array\",\"shape\":[5,4],"
    "\"data_type\":{\"name\":\"struct\",\"configuration\":{\"fields\":["
    "{\"name\":\"id\",\"data_type\":\"int32\"},{\"name\":\"flags\",\"data_type\":\"uint8\"},"
    "{\"name\":\"value\",\"data_type\":\"float64\"},"
    "{\"name\":\"tag\",\"data_type\":{\"name\":\"null_terminated_bytes\",\"configuration\":{\"length_bytes\":3}}}]}},"
    "\"chunk_grid\":{\"name\":\"regular\",\"configuration\":{\"chunk_shape\":[2,4]}},"
    "\"chunk_key_encoding\":{\"name\":\"default\"},"
    "\"fill_value\":{\"id\":-1,\"flags\":255,\"value\":\"NaN\",\"tag\":\"eHk=\"},"
    "\"codecs\":[{\"name\":\"bytes\",\"configuration\":{\"endian\":\"big\"}},"
    "{\"name\":\"zstd\",\"configuration\":{\"level\":1}}]}";

static int is_fill(const record *r) {
    return r->id == -1 && r->flags == 255 && isnan(r->value) && memcmp(r->tag, "xy\0", 3) == 0;
}

static void test_struct(const char *dir) {
    zarrio_store *s = NULL;
    zarrio_array *a = NULL;
    REQUIRE_OK(zarrio_store_open_filesystem(dir, &s));
    REQUIRE_OK(zarrio_array_create(s, "a", META, &a));
    size_t size = 0;
    CHECK_OK(zarrio_array_element_size(a, &size));
    CHECK_MSG(size == sizeof(record) && size == 16, "element size %zu", size);
    char *name = NULL;
    CHECK_OK(zarrio_array_data_type(a, &name));
    CHECK(name && strcmp(name, "struct") == 0);
    zarrio_string_free(name);
    record fill;
    CHECK_OK(zarrio_array_fill_value(a, &fill, sizeof fill));
    CHECK(is_fill(&fill));

    /* The first two rows (one chunk), written and read back. */
    record rows[8];
    for (int i = 0; i < 8; i++) {
        rows[i].id = 1000 * i - 3;
        rows[i].flags = (uint8_t)i;
        rows[i].value = 0.5 * i;
        memcpy(rows[i].tag, i % 2 ? "ab\0" : "cde", 3);
    }
    uint64_t o[2] = {0, 0}, two_rows[2] = {2, 4}, full[2] = {5, 4};
    CHECK_OK(zarrio_array_write(a, 2, o, two_rows, rows, sizeof rows, NULL));
    char *c00 = path_join(dir, "a/c/0/0");
    CHECK(file_exists(c00));
    free(c00);

    zarrio_array_free(a);
    REQUIRE_OK(zarrio_array_open(s, "a", &a));
    record back[20];
    CHECK_OK(zarrio_array_read(a, 2, o, full, back, sizeof back, NULL));
    int wrong = 0;
    for (int i = 0; i < 20; i++)
        wrong += i < 8 ? memcmp(&back[i], &rows[i], sizeof(record)) != 0 : !is_fill(&back[i]);
    CHECK_MSG(wrong == 0, "%d records differ", wrong);

    /* Column 1 of rows 0..2 into every other record of a buffer. */
    record strided[6];
    memset(strided, 0, sizeof strided);
    uint64_t start[2] = {0, 1}, col[2] = {3, 1};
    int64_t strides[2] = {2, 1};
    CHECK_OK(zarrio_array_read(a, 2, start, col, strided, sizeof strided, strides));
    CHECK(memcmp(&strided[0], &rows[1], sizeof(record)) == 0);
    CHECK(memcmp(&strided[2], &rows[5], sizeof(record)) == 0);
    CHECK(is_fill(&strided[4]));
    CHECK(strided[1].id == 0 && strided[3].id == 0);

    zarrio_array_free(a);
    zarrio_store_free(s);
}

static const char *OPTIONAL_META =
    "{\"zarr_format\":3,\"node_type\":\"array\",\"shape\":[10],"
    "\"data_type\":{\"name\":\"optional\",\"configuration\":{\"name\":\"float64\"}},"
    "\"chunk_grid\":{\"name\":\"regular\",\"configuration\":{\"chunk_shape\":[4]}},"
    "\"chunk_key_encoding\":{\"name\":\"default\"},\"fill_value\":[2.5],"
    "\"codecs\":[{\"name\":\"optional\",\"configuration\":{"
    "\"mask_codecs\":[{\"name\":\"packbits\"}],"
    "\"data_codecs\":[{\"name\":\"bytes\",\"configuration\":{\"endian\":\"big\"}},"
    "{\"name\":\"zstd\",\"configuration\":{\"level\":1}}]}}]}";

static void test_optional(const char *dir) {
    zarrio_store *s = NULL;
    zarrio_array *a = NULL;
    REQUIRE_OK(zarrio_store_open_filesystem(dir, &s));
    REQUIRE_OK(zarrio_array_create(s, "opt", OPTIONAL_META, &a));
    size_t size = 0;
    CHECK_OK(zarrio_array_element_size(a, &size));
    CHECK_MSG(size == sizeof(maybe_double) && size == 9, "element size %zu", size);
    char *name = NULL;
    CHECK_OK(zarrio_array_data_type(a, &name));
    CHECK(name && strcmp(name, "optional") == 0);
    zarrio_string_free(name);
    maybe_double fill;
    CHECK_OK(zarrio_array_fill_value(a, &fill, sizeof fill));
    CHECK(fill.value == 2.5 && fill.valid == 1);

    /* Elements 2..8: every third missing. */
    maybe_double in[6];
    for (int i = 0; i < 6; i++) {
        in[i].valid = i % 3 != 0;
        in[i].value = in[i].valid ? -1.25 * i : 0.0;
    }
    uint64_t start = 2, count = 6, zero = 0, all = 10;
    CHECK_OK(zarrio_array_write(a, 1, &start, &count, in, sizeof in, NULL));
    zarrio_array_free(a);
    REQUIRE_OK(zarrio_array_open(s, "opt", &a));
    maybe_double back[10];
    memset(back, 0xAB, sizeof back);
    CHECK_OK(zarrio_array_read(a, 1, &zero, &all, back, sizeof back, NULL));
    int wrong = 0;
    for (int i = 0; i < 10; i++) {
        const maybe_double *want = i >= 2 && i < 8 ? &in[i - 2] : &fill;
        wrong += back[i].valid != want->valid || back[i].value != want->value;
    }
    CHECK_MSG(wrong == 0, "%d optional elements differ", wrong);

    /* A validity byte other than 0 and 1 is refused, and nothing changes. */
    maybe_double bad = {7.0, 2};
    uint64_t one = 1;
    CHECK_STATUS(zarrio_array_write(a, 1, &start, &one, &bad, sizeof bad, NULL),
                 ZARRIO_ERR_INVALID_ARGUMENT);
    maybe_double again;
    CHECK_OK(zarrio_array_read(a, 1, &start, &one, &again, sizeof again, NULL));
    CHECK(again.valid == 0 && again.value == 0.0);

    zarrio_array_free(a);
    zarrio_store_free(s);
}

int main(int argc, char **argv) {
    char *dir = make_scratch_dir(argc, argv, "struct");
    test_struct(dir);
    test_optional(dir);
    int rc = TEST_RETURN();
    if (rc == 0) remove_tree(dir);
    free(dir);
    return rc;
}
