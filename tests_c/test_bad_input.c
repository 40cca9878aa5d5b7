/*
 * Bad input: every error gets the right status and a non-empty message,
 * never a crash, and a failed write leaves the stored data unchanged.
 *
 * Covers: malformed / invalid zarr.json (created and found on disk),
 * unknown codecs and data types, invalid fill values, codec order,
 * sharding shapes, corrupted chunks (crc32c), truncated chunks, shard
 * indexes pointing outside the shard, NULL arguments of every kind, wrong
 * ndim, out-of-bounds regions and chunks, small buffers, bad strides.
 */
#include "check.h"
#include "nd_ref.h"

#define BYTES_LE "{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}}"
#define ZSTD "{\"name\":\"zstd\",\"configuration\":{\"level\":0,\"checksum\":false}}"
#define GZIP "{\"name\":\"gzip\",\"configuration\":{\"level\":1}}"
#define CRC32C "{\"name\":\"crc32c\"}"

static char *g_root;
static zarrio_store *g_fs;

static const uint64_t SHAPE[2] = {37, 23}, CHUNK[2] = {8, 5};

static char *json_with(const char *dtype, const char *fill, const char *codecs) {
    return make_array_json(2, SHAPE, CHUNK, dtype, fill, codecs, NULL);
}

/* An array of uint16 (fill 7) at `path` holding generated data, with its
 * reference. */
static zarrio_array *make_filled(const char *path, const char *codecs, ref_t *ref, unsigned seed) {
    char *json = json_with("uint16", "7", codecs);
    zarrio_array *a = NULL;
    REQUIRE_OK(zarrio_array_create(g_fs, path, json, &a));
    free(json);
    uint16_t fill = 7;
    ref_init(ref, 2, SHAPE, 2, (unsigned char *)&fill);
    unsigned char *src = gen_buffer("uint16", 37 * 23, seed);
    uint64_t zero[2] = {0, 0};
    REQUIRE_OK(zarrio_array_write(a, 2, zero, SHAPE, src, 37 * 23 * 2, NULL));
    ref_set(ref, zero, SHAPE, src, NULL);
    free(src);
    return a;
}

static unsigned char *load(const char *path, size_t *len) {
    unsigned char *b = read_file_bytes(path, len);
    if (!b) {
        fprintf(stderr, "cannot read %s\n", path);
        g_failures++;
    }
    return b;
}

/* 1 when the file holds exactly these bytes. */
static int file_equals(const char *path, const unsigned char *bytes, size_t len) {
    size_t n = 0;
    unsigned char *b = read_file_bytes(path, &n);
    int eq = b && n == len && memcmp(b, bytes, n) == 0;
    free(b);
    return eq;
}

/* ---- metadata ---------------------------------------------------------- */

#define OKJSON_HEAD "{\"zarr_format\":3,\"node_type\":\"array\""
#define GRID "\"chunk_grid\":{\"name\":\"regular\",\"configuration\":{\"chunk_shape\":[8,5]}}"
#define KEYS "\"chunk_key_encoding\":{\"name\":\"default\",\"configuration\":{\"separator\":\"/\"}}"
#define CODECS_OK "\"codecs\":[" BYTES_LE "]"

static void test_bad_metadata(void) {
    printf("  invalid metadata\n");
    static const struct {
        const char *what, *json;
        zarrio_status expected;
    } cases[] = {
        {"empty text", "", ZARRIO_ERR_INVALID_METADATA},
        {"truncated JSON", OKJSON_HEAD ",\"shape\":[37,", ZARRIO_ERR_INVALID_METADATA},
        {"not an object", "[1,2,3]", ZARRIO_ERR_INVALID_METADATA},
        {"null", "null", ZARRIO_ERR_INVALID_METADATA},
        {"garbage", "zarr.json", ZARRIO_ERR_INVALID_METADATA},
        {"trailing garbage", "{\"zarr_format\":3} }", ZARRIO_ERR_INVALID_METADATA},
        {"zarr_format 2",
         "{\"zarr_format\":2,\"node_type\":\"array\",\"shape\":[37,23],\"data_type\":\"uint16\"," GRID "," KEYS
         ",\"fill_value\":0," CODECS_OK "}",
         ZARRIO_ERR_INVALID_METADATA},
        {"node_type group", "{\"zarr_format\":3,\"node_type\":\"group\"}", ZARRIO_ERR_INVALID_METADATA},
        {"no shape", OKJSON_HEAD ",\"data_type\":\"uint16\"," GRID "," KEYS ",\"fill_value\":0," CODECS_OK "}",
         ZARRIO_ERR_INVALID_METADATA},
        {"negative shape",
         OKJSON_HEAD ",\"shape\":[37,-23],\"data_type\":\"uint16\"," GRID "," KEYS ",\"fill_value\":0," CODECS_OK "}",
         ZARRIO_ERR_INVALID_METADATA},
        {"no data_type", OKJSON_HEAD ",\"shape\":[37,23]," GRID "," KEYS ",\"fill_value\":0," CODECS_OK "}",
         ZARRIO_ERR_INVALID_METADATA},
        {"numeric data_type",
         OKJSON_HEAD ",\"shape\":[37,23],\"data_type\":16," GRID "," KEYS ",\"fill_value\":0," CODECS_OK "}",
         ZARRIO_ERR_INVALID_METADATA},
        {"no chunk_grid", OKJSON_HEAD ",\"shape\":[37,23],\"data_type\":\"uint16\"," KEYS ",\"fill_value\":0," CODECS_OK "}",
         ZARRIO_ERR_INVALID_METADATA},
        {"chunk rank",
         OKJSON_HEAD ",\"shape\":[37,23],\"data_type\":\"uint16\",\"chunk_grid\":{\"name\":\"regular\","
                     "\"configuration\":{\"chunk_shape\":[8]}}," KEYS ",\"fill_value\":0," CODECS_OK "}",
         ZARRIO_ERR_INVALID_METADATA},
        {"zero chunk",
         OKJSON_HEAD ",\"shape\":[37,23],\"data_type\":\"uint16\",\"chunk_grid\":{\"name\":\"regular\","
                     "\"configuration\":{\"chunk_shape\":[8,0]}}," KEYS ",\"fill_value\":0," CODECS_OK "}",
         ZARRIO_ERR_INVALID_METADATA},
        {"no chunk_key_encoding", OKJSON_HEAD ",\"shape\":[37,23],\"data_type\":\"uint16\"," GRID ",\"fill_value\":0," CODECS_OK "}",
         ZARRIO_ERR_INVALID_METADATA},
        {"bad separator",
         OKJSON_HEAD ",\"shape\":[37,23],\"data_type\":\"uint16\"," GRID ",\"chunk_key_encoding\":{\"name\":\"default\","
                     "\"configuration\":{\"separator\":\":\"}},\"fill_value\":0," CODECS_OK "}",
         ZARRIO_ERR_INVALID_METADATA},
        {"no fill_value", OKJSON_HEAD ",\"shape\":[37,23],\"data_type\":\"uint16\"," GRID "," KEYS "," CODECS_OK "}",
         ZARRIO_ERR_INVALID_METADATA},
        {"no codecs", OKJSON_HEAD ",\"shape\":[37,23],\"data_type\":\"uint16\"," GRID "," KEYS ",\"fill_value\":0}",
         ZARRIO_ERR_INVALID_METADATA},
        {"empty codecs",
         OKJSON_HEAD ",\"shape\":[37,23],\"data_type\":\"uint16\"," GRID "," KEYS ",\"fill_value\":0,\"codecs\":[]}",
         ZARRIO_ERR_INVALID_METADATA},
        {"unknown required field",
         OKJSON_HEAD ",\"shape\":[37,23],\"data_type\":\"uint16\"," GRID "," KEYS ",\"fill_value\":0," CODECS_OK
                     ",\"surprise\":{\"must_understand\":true}}",
         ZARRIO_ERR_INVALID_METADATA},
        {"attributes not an object",
         OKJSON_HEAD ",\"shape\":[37,23],\"data_type\":\"uint16\"," GRID "," KEYS ",\"fill_value\":0," CODECS_OK
                     ",\"attributes\":[1]}",
         ZARRIO_ERR_INVALID_METADATA},
        {"dimension_names length",
         OKJSON_HEAD ",\"shape\":[37,23],\"data_type\":\"uint16\"," GRID "," KEYS ",\"fill_value\":0," CODECS_OK
                     ",\"dimension_names\":[\"y\"]}",
         ZARRIO_ERR_INVALID_METADATA},
    };
    /* An existing array at the path must survive every failed create. */
    ref_t ref;
    zarrio_array *keep = make_filled("keep", "[" BYTES_LE "," ZSTD "]", &ref, 1);
    zarrio_array_free(keep);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        zarrio_array *a = NULL;
        CHECK_STATUS_CTX(zarrio_array_create(g_fs, "keep", cases[i].json, &a), cases[i].expected, "%s: %s",
                         cases[i].what, cases[i].json);
        CHECK(a == NULL);
        zarrio_array_free(a);
    }

    /* Data types, fill values, codecs. */
    static const struct {
        const char *what, *dtype, *fill, *codecs;
        zarrio_status expected;
    } typed[] = {
        {"unknown data type", "uint12", "0", "[" BYTES_LE "]", ZARRIO_ERR_UNSUPPORTED},
        {"unknown data type float128", "float128", "0", "[" BYTES_LE "]", ZARRIO_ERR_UNSUPPORTED},
        {"raw bits not a multiple of 8", "r7", "[1]", "[{\"name\":\"bytes\"}]", ZARRIO_ERR_INVALID_METADATA},
        {"fill 70000 for uint16", "uint16", "70000", "[" BYTES_LE "]", ZARRIO_ERR_INVALID_METADATA},
        {"fill -1 for uint8", "uint8", "-1", "[{\"name\":\"bytes\"}]", ZARRIO_ERR_INVALID_METADATA},
        {"fill 1.5 for int16", "int16", "1.5", "[" BYTES_LE "]", ZARRIO_ERR_INVALID_METADATA},
        /* "42" and 5.0 are integers to zarr-python (and zarrio); these are not. */
        {"fill \"0x10\" for int32", "int32", "\"0x10\"", "[" BYTES_LE "]", ZARRIO_ERR_INVALID_METADATA},
        {"fill 2.5 for int32", "int32", "2.5", "[" BYTES_LE "]", ZARRIO_ERR_INVALID_METADATA},
        {"fill \"nan\" for float32", "float32", "\"nan\"", "[" BYTES_LE "]", ZARRIO_ERR_INVALID_METADATA},
        {"fill \"inf\" for float64", "float64", "\"inf\"", "[" BYTES_LE "]", ZARRIO_ERR_INVALID_METADATA},
        {"fill 1 for bool", "bool", "1", "[{\"name\":\"bytes\"}]", ZARRIO_ERR_INVALID_METADATA},
        {"fill null", "int32", "null", "[" BYTES_LE "]", ZARRIO_ERR_INVALID_METADATA},
        {"fill [1.0] for complex64", "complex64", "[1.0]", "[" BYTES_LE "]", ZARRIO_ERR_INVALID_METADATA},
        {"unknown codec", "uint16", "0", "[" BYTES_LE ",{\"name\":\"lzma_xz\"}]", ZARRIO_ERR_UNSUPPORTED},
        {"unknown array->bytes codec", "uint16", "0", "[{\"name\":\"vlen-fancy\"}]", ZARRIO_ERR_UNSUPPORTED},
        {"gzip before bytes", "uint16", "0", "[" GZIP "," BYTES_LE "]", ZARRIO_ERR_INVALID_METADATA},
        {"transpose after bytes", "uint16", "0",
         "[" BYTES_LE ",{\"name\":\"transpose\",\"configuration\":{\"order\":[1,0]}}]", ZARRIO_ERR_INVALID_METADATA},
        {"two array->bytes codecs", "uint16", "0", "[" BYTES_LE "," BYTES_LE "]", ZARRIO_ERR_INVALID_METADATA},
        {"no array->bytes codec", "uint16", "0", "[" GZIP "]", ZARRIO_ERR_INVALID_METADATA},
        {"bytes without endian for uint16", "uint16", "0", "[{\"name\":\"bytes\"}]", ZARRIO_ERR_INVALID_METADATA},
        {"bytes with a bad endian", "uint16", "0", "[{\"name\":\"bytes\",\"configuration\":{\"endian\":\"middle\"}}]",
         ZARRIO_ERR_INVALID_METADATA},
        {"gzip level 10", "uint16", "0", "[" BYTES_LE ",{\"name\":\"gzip\",\"configuration\":{\"level\":10}}]",
         ZARRIO_ERR_INVALID_METADATA},
        {"transpose not a permutation", "uint16", "0",
         "[{\"name\":\"transpose\",\"configuration\":{\"order\":[1,1]}}," BYTES_LE "]", ZARRIO_ERR_INVALID_METADATA},
        {"sharding chunk_shape not dividing the shard", "uint16", "0",
         "[{\"name\":\"sharding_indexed\",\"configuration\":{\"chunk_shape\":[3,5],\"codecs\":[" BYTES_LE
         "],\"index_codecs\":[" BYTES_LE "," CRC32C "]}}]",
         ZARRIO_ERR_INVALID_METADATA},
        {"sharding chunk_shape rank", "uint16", "0",
         "[{\"name\":\"sharding_indexed\",\"configuration\":{\"chunk_shape\":[4],\"codecs\":[" BYTES_LE
         "],\"index_codecs\":[" BYTES_LE "]}}]",
         ZARRIO_ERR_INVALID_METADATA},
        {"sharding compressed index", "uint16", "0",
         "[{\"name\":\"sharding_indexed\",\"configuration\":{\"chunk_shape\":[4,5],\"codecs\":[" BYTES_LE
         "],\"index_codecs\":[" BYTES_LE "," GZIP "]}}]",
         ZARRIO_ERR_INVALID_METADATA},
        {"sharding index_location middle", "uint16", "0",
         "[{\"name\":\"sharding_indexed\",\"configuration\":{\"chunk_shape\":[4,5],\"codecs\":[" BYTES_LE
         "],\"index_codecs\":[" BYTES_LE "],\"index_location\":\"middle\"}}]",
         ZARRIO_ERR_INVALID_METADATA},
        {"sharding bad inner codec order", "uint16", "0",
         "[{\"name\":\"sharding_indexed\",\"configuration\":{\"chunk_shape\":[4,5],\"codecs\":[" ZSTD "," BYTES_LE
         "],\"index_codecs\":[" BYTES_LE "]}}]",
         ZARRIO_ERR_INVALID_METADATA},
    };
    for (size_t i = 0; i < sizeof typed / sizeof typed[0]; i++) {
        char *json = json_with(typed[i].dtype, typed[i].fill, typed[i].codecs);
        zarrio_array *a = NULL;
        CHECK_STATUS_CTX(zarrio_array_create(g_fs, "keep", json, &a), typed[i].expected, "%s: %s", typed[i].what, json);
        CHECK(a == NULL);
        zarrio_array_free(a);
        /* The same through a pipeline. */
        zarrio_pipeline *p = NULL;
        CHECK_STATUS_CTX(zarrio_pipeline_create(typed[i].codecs, typed[i].dtype, 2, CHUNK, typed[i].fill, &p),
                         typed[i].expected, "pipeline: %s", typed[i].what);
        CHECK(p == NULL);
        zarrio_pipeline_free(p);
        free(json);
    }

    /* "keep" is still the array it was, with its data. */
    zarrio_array *a = NULL;
    CHECK_OK(zarrio_array_open(g_fs, "keep", &a));
    if (a) {
        CHECK_READ_ALL(a, &ref, "an array after failed creates over it");
        zarrio_array_free(a);
    }
    ref_free(&ref);

    /* Invalid documents found on disk. */
    char *d = path_join(g_root, "ondisk");
    CHECK(mkdir_p(d) == 0);
    char *f = path_join(d, "zarr.json");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        REQUIRE(write_file_text(f, cases[i].json) == 0);
        a = NULL;
        CHECK_STATUS_CTX(zarrio_array_open(g_fs, "ondisk", &a), cases[i].expected, "on disk: %s", cases[i].what);
        CHECK(a == NULL);
        zarrio_array_free(a);
    }
    for (size_t i = 0; i < sizeof typed / sizeof typed[0]; i++) {
        char *json = json_with(typed[i].dtype, typed[i].fill, typed[i].codecs);
        REQUIRE(write_file_text(f, json) == 0);
        a = NULL;
        CHECK_STATUS_CTX(zarrio_array_open(g_fs, "ondisk", &a), typed[i].expected, "on disk: %s", typed[i].what);
        CHECK(a == NULL);
        zarrio_array_free(a);
        free(json);
    }
    /* A binary file. */
    unsigned char bin[6] = {0xff, 0xfe, 0x00, 0x01, 0x7b, 0x80};
    REQUIRE(write_file_bytes(f, bin, sizeof bin) == 0);
    CHECK_STATUS(zarrio_array_open(g_fs, "ondisk", &a), ZARRIO_ERR_INVALID_METADATA);
    free(f);
    free(d);
}

/* ---- arguments ---------------------------------------------------------- */

static void test_null_arguments(void) {
    printf("  NULL arguments\n");
    ref_t ref;
    zarrio_array *a = make_filled("nulls", "[" BYTES_LE "," GZIP "]", &ref, 2);
    char *json = json_with("uint16", "7", "[" BYTES_LE "]");
    zarrio_array *o = NULL;
    const zarrio_status IA = ZARRIO_ERR_INVALID_ARGUMENT;

    CHECK_STATUS(zarrio_array_create(NULL, "x", json, &o), IA);
    CHECK_STATUS(zarrio_array_create(g_fs, NULL, json, &o), IA);
    CHECK_STATUS(zarrio_array_create(g_fs, "x", NULL, &o), IA);
    CHECK_STATUS(zarrio_array_create(g_fs, "x", json, NULL), IA);
    CHECK_STATUS(zarrio_array_create(g_fs, "x/../y", json, &o), IA);
    CHECK_STATUS(zarrio_array_open(NULL, "nulls", &o), IA);
    CHECK_STATUS(zarrio_array_open(g_fs, NULL, &o), IA);
    CHECK_STATUS(zarrio_array_open(g_fs, "nulls", NULL), IA);
    CHECK(o == NULL);
    {
        /* The NULL-out create wrote nothing. */
        char *p = path_join(g_root, "x/zarr.json");
        CHECK_MSG(!file_exists(p), "zarrio_array_create with out = NULL created %s", p);
        free(p);
    }

    size_t sz;
    uint64_t shape[2];
    char *str = NULL;
    unsigned char fillv[8];
    CHECK_STATUS(zarrio_array_ndim(NULL, &sz), IA);
    CHECK_STATUS(zarrio_array_ndim(a, NULL), IA);
    CHECK_STATUS(zarrio_array_shape(NULL, shape, 2), IA);
    CHECK_STATUS(zarrio_array_shape(a, NULL, 2), IA);
    /* Misaligned outputs are refused, not written (nothing is). */
    {
        _Alignas(8) unsigned char raw[40];
        memset(raw, 0xAB, sizeof raw);
        CHECK_STATUS(zarrio_array_ndim(a, (size_t *)(void *)(raw + 1)), IA);
        CHECK_STATUS(zarrio_array_shape(a, (uint64_t *)(void *)(raw + 1), 2), IA);
        for (size_t k = 0; k < sizeof raw; k++) CHECK(raw[k] == 0xAB);
    }
    CHECK_STATUS(zarrio_array_chunk_shape(NULL, shape, 2), IA);
    CHECK_STATUS(zarrio_array_chunk_shape(a, NULL, 2), IA);
    CHECK_STATUS(zarrio_array_inner_chunk_shape(NULL, shape, 2), IA);
    CHECK_STATUS(zarrio_array_inner_chunk_shape(a, NULL, 2), IA);
    CHECK_STATUS(zarrio_array_data_type(NULL, &str), IA);
    CHECK_STATUS(zarrio_array_data_type(a, NULL), IA);
    CHECK_STATUS(zarrio_array_element_size(NULL, &sz), IA);
    CHECK_STATUS(zarrio_array_element_size(a, NULL), IA);
    CHECK_STATUS(zarrio_array_fill_value(NULL, fillv, sizeof fillv), IA);
    CHECK_STATUS(zarrio_array_fill_value(a, NULL, sizeof fillv), IA);
    CHECK_STATUS(zarrio_array_metadata(NULL, &str), IA);
    CHECK_STATUS(zarrio_array_metadata(a, NULL), IA);
    CHECK_STATUS(zarrio_array_attributes(NULL, &str), IA);
    CHECK_STATUS(zarrio_array_attributes(a, NULL), IA);
    CHECK_STATUS(zarrio_array_set_attributes(NULL, "{}"), IA);
    CHECK_STATUS(zarrio_array_set_attributes(a, NULL), IA);
    CHECK_STATUS(zarrio_array_set_threads(NULL, 2), IA);
    /* Thread and request counts past ZARRIO_MAX_THREADS are refused, and
       leave the settings as they were. */
    CHECK_STATUS(zarrio_array_set_threads(a, ZARRIO_MAX_THREADS + 1), IA);
    CHECK_STATUS(zarrio_array_set_threads(a, UINT32_MAX), IA);
    CHECK_STATUS(zarrio_array_set_io_concurrency(a, UINT32_MAX), IA);
    CHECK_OK(zarrio_array_set_threads(a, ZARRIO_MAX_THREADS));
    CHECK_OK(zarrio_array_set_threads(a, 0));
    uint32_t threads_before = zarrio_threads(), io_before = zarrio_io_concurrency();
    CHECK_STATUS(zarrio_set_threads(UINT32_MAX), IA);
    CHECK_STATUS(zarrio_set_io_concurrency(ZARRIO_MAX_THREADS + 1), IA);
    CHECK(zarrio_threads() == threads_before && zarrio_io_concurrency() == io_before);
    CHECK(str == NULL);

    uint64_t st[2] = {0, 0}, sh[2] = {2, 2}, ci[2] = {0, 0};
    uint16_t buf[8 * 5] = {0};
    int64_t strides[2] = {2, 1};
    CHECK_STATUS(zarrio_array_read(NULL, 2, st, sh, buf, sizeof buf, NULL), IA);
    CHECK_STATUS(zarrio_array_read(a, 2, NULL, sh, buf, sizeof buf, NULL), IA);
    CHECK_STATUS(zarrio_array_read(a, 2, st, NULL, buf, sizeof buf, NULL), IA);
    CHECK_STATUS(zarrio_array_read(a, 2, st, sh, NULL, sizeof buf, NULL), IA);
    CHECK_STATUS(zarrio_array_write(NULL, 2, st, sh, buf, 8, strides), IA);
    CHECK_STATUS(zarrio_array_write(a, 2, NULL, sh, buf, 8, NULL), IA);
    CHECK_STATUS(zarrio_array_write(a, 2, st, NULL, buf, 8, NULL), IA);
    CHECK_STATUS(zarrio_array_write(a, 2, st, sh, NULL, 8, NULL), IA);
    CHECK_READ_ALL(a, &ref, "after writes with NULL arguments");
    uint16_t v = 1;
    CHECK_STATUS(zarrio_array_fill(NULL, 2, st, sh, &v, 2), IA);
    CHECK_STATUS(zarrio_array_fill(a, 2, NULL, sh, &v, 2), IA);
    CHECK_STATUS(zarrio_array_fill(a, 2, st, NULL, &v, 2), IA);
    CHECK_STATUS(zarrio_array_fill(a, 2, st, sh, NULL, 2), IA);
    CHECK_STATUS(zarrio_array_fill(a, 2, st, sh, NULL, 0), IA);
    CHECK_READ_ALL(a, &ref, "after fills with NULL arguments");
    CHECK_STATUS(zarrio_array_read_chunk(NULL, 2, ci, buf, sizeof buf), IA);
    CHECK_STATUS(zarrio_array_read_chunk(a, 2, NULL, buf, sizeof buf), IA);
    CHECK_STATUS(zarrio_array_read_chunk(a, 2, ci, NULL, sizeof buf), IA);
    CHECK_STATUS(zarrio_array_write_chunk(NULL, 2, ci, buf, sizeof buf), IA);
    CHECK_STATUS(zarrio_array_write_chunk(a, 2, NULL, buf, sizeof buf), IA);
    CHECK_STATUS(zarrio_array_write_chunk(a, 2, ci, NULL, sizeof buf), IA);
    CHECK_STATUS(zarrio_array_erase_chunk(NULL, 2, ci), IA);
    CHECK_STATUS(zarrio_array_erase_chunk(a, 2, NULL), IA);
    CHECK_READ_ALL(a, &ref, "after chunk calls with NULL arguments");
    zarrio_pipeline *p = NULL;
    CHECK_STATUS(zarrio_array_pipeline(NULL, &p), IA);
    CHECK_STATUS(zarrio_array_pipeline(a, NULL), IA);
    CHECK(p == NULL);

    /* Attributes: malformed JSON is invalid metadata and changes nothing
     * (Python's bare NaN is accepted as a value, never as a key). */
    CHECK_OK(zarrio_array_set_attributes(a, "{\"keep\":true}"));
    char *zj = path_join(g_root, "nulls/zarr.json");
    size_t before_len = 0;
    unsigned char *before = load(zj, &before_len);
    const char *bad_attrs[] = {"{", "[]", "1", "{NaN:1}", "{\"a\":nan}", ""};
    for (size_t i = 0; i < sizeof bad_attrs / sizeof bad_attrs[0]; i++)
        CHECK_STATUS_CTX(zarrio_array_set_attributes(a, bad_attrs[i]), ZARRIO_ERR_INVALID_METADATA, "attributes '%s'",
                         bad_attrs[i]);
    CHECK_OK(zarrio_array_attributes(a, &str));
    CHECK_MSG(str && json_contains(str, "\"keep\":true"), "attributes after failed sets: %s", str ? str : "(NULL)");
    zarrio_string_free(str);
    if (before) CHECK_MSG(file_equals(zj, before, before_len), "zarr.json changed by a failed set_attributes");
    free(before);
    free(zj);

    CHECK_READ_ALL(a, &ref, "after all NULL-argument calls");
    free(json);
    ref_free(&ref);
    zarrio_array_free(a);
}

static void test_ndim_bounds_buffers_strides(void) {
    printf("  ndim, bounds, buffer sizes, strides\n");
    ref_t ref;
    zarrio_array *a = make_filled("args", "[" BYTES_LE "," ZSTD "]", &ref, 3);
    const zarrio_status IA = ZARRIO_ERR_INVALID_ARGUMENT, OOB = ZARRIO_ERR_OUT_OF_BOUNDS,
                        BTS = ZARRIO_ERR_BUFFER_TOO_SMALL;
    uint64_t st3[3] = {0, 0, 0}, sh3[3] = {1, 1, 1};
    uint16_t big[64 * 64];
    for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) big[i] = (uint16_t)(i * 3 + 1);
    uint16_t v = 1234;

    /* Wrong ndim for every region and chunk call. */
    for (size_t nd = 0; nd <= 3; nd += 1) {
        if (nd == 2) continue;
        CHECK_STATUS_CTX(zarrio_array_read(a, nd, st3, sh3, big, sizeof big, NULL), IA, "ndim %zu", nd);
        CHECK_STATUS_CTX(zarrio_array_write(a, nd, st3, sh3, big, sizeof big, NULL), IA, "ndim %zu", nd);
        CHECK_STATUS_CTX(zarrio_array_fill(a, nd, st3, sh3, &v, sizeof v), IA, "ndim %zu", nd);
        CHECK_STATUS_CTX(zarrio_array_read_chunk(a, nd, st3, big, sizeof big), IA, "ndim %zu", nd);
        CHECK_STATUS_CTX(zarrio_array_write_chunk(a, nd, st3, big, 8 * 5 * 2), IA, "ndim %zu", nd);
        CHECK_STATUS_CTX(zarrio_array_erase_chunk(a, nd, st3), IA, "ndim %zu", nd);
    }
    CHECK_READ_ALL(a, &ref, "after calls with the wrong ndim");

    /* Regions outside the array. */
    const struct {
        uint64_t st[2], sh[2];
    } oob[] = {
        {{0, 0}, {38, 23}}, {{0, 0}, {37, 24}}, {{36, 0}, {2, 1}},  {{0, 22}, {1, 2}},
        {{37, 0}, {1, 1}},  {{0, 23}, {1, 1}},  {{38, 0}, {0, 1}},  {{UINT64_MAX, 0}, {2, 1}},
        {{1, 0}, {UINT64_MAX, 1}}, {{UINT64_MAX, UINT64_MAX}, {UINT64_MAX, UINT64_MAX}},
    };
    for (size_t i = 0; i < sizeof oob / sizeof oob[0]; i++) {
        CHECK_STATUS_CTX(zarrio_array_read(a, 2, oob[i].st, oob[i].sh, big, sizeof big, NULL), OOB, "region %zu", i);
        CHECK_STATUS_CTX(zarrio_array_write(a, 2, oob[i].st, oob[i].sh, big, sizeof big, NULL), OOB, "region %zu", i);
        CHECK_STATUS_CTX(zarrio_array_fill(a, 2, oob[i].st, oob[i].sh, &v, sizeof v), OOB, "region %zu", i);
    }
    CHECK_READ_ALL(a, &ref, "after out-of-bounds writes");
    /* Chunks outside the grid (5 x 5). */
    const uint64_t bad_chunks[][2] = {{5, 0}, {0, 5}, {5, 5}, {UINT64_MAX, 0}};
    for (size_t i = 0; i < sizeof bad_chunks / sizeof bad_chunks[0]; i++) {
        CHECK_STATUS_CTX(zarrio_array_read_chunk(a, 2, bad_chunks[i], big, sizeof big), OOB, "chunk %zu", i);
        CHECK_STATUS_CTX(zarrio_array_write_chunk(a, 2, bad_chunks[i], big, 8 * 5 * 2), OOB, "chunk %zu", i);
        CHECK_STATUS_CTX(zarrio_array_erase_chunk(a, 2, bad_chunks[i]), OOB, "chunk %zu", i);
    }
    {
        char *f = str_printf("%s/args/c/5/0", g_root);
        CHECK_MSG(!file_exists(f), "%s was created", f);
        free(f);
    }
    CHECK_READ_ALL(a, &ref, "after out-of-grid chunk writes");

    /* Buffers too small. */
    uint64_t st[2] = {3, 2}, sh[2] = {10, 7};
    CHECK_STATUS(zarrio_array_read(a, 2, st, sh, big, 10 * 7 * 2 - 1, NULL), BTS);
    CHECK_STATUS(zarrio_array_read(a, 2, st, sh, big, 0, NULL), BTS);
    CHECK_STATUS(zarrio_array_read(a, 2, st, sh, NULL, 0, NULL), BTS);
    int64_t fstr[2] = {1, 10}; /* Fortran order: needs 70 elements too */
    CHECK_STATUS(zarrio_array_read(a, 2, st, sh, big, 69 * 2, fstr), BTS);
    CHECK_OK(zarrio_array_read(a, 2, st, sh, big, 70 * 2, fstr));
    int64_t vstr[2] = {20, 1}; /* a view: needs 9*20 + 7 elements */
    CHECK_STATUS(zarrio_array_read(a, 2, st, sh, big, (9 * 20 + 7) * 2 - 1, vstr), BTS);
    CHECK_OK(zarrio_array_read(a, 2, st, sh, big, (9 * 20 + 7) * 2, vstr));
    CHECK_STATUS(zarrio_array_write(a, 2, st, sh, big, 10 * 7 * 2 - 1, NULL), BTS);
    CHECK_STATUS(zarrio_array_write(a, 2, st, sh, big, 0, NULL), BTS);
    CHECK_STATUS(zarrio_array_write(a, 2, st, sh, big, (9 * 20 + 7) * 2 - 2, vstr), BTS);
    CHECK_READ_ALL(a, &ref, "after writes from too-small buffers");
    uint64_t c11[2] = {1, 1};
    CHECK_STATUS(zarrio_array_read_chunk(a, 2, c11, big, 8 * 5 * 2 - 1), BTS);
    CHECK_STATUS(zarrio_array_read_chunk(a, 2, c11, big, 0), BTS);
    uint64_t shp[2] = {99, 99};
    CHECK_STATUS(zarrio_array_shape(a, shp, 1), BTS);
    CHECK_STATUS(zarrio_array_shape(a, shp, 0), BTS);
    CHECK_STATUS(zarrio_array_chunk_shape(a, shp, 1), BTS);
    CHECK_STATUS(zarrio_array_inner_chunk_shape(a, shp, 1), BTS);
    CHECK(shp[0] == 99); /* nothing written */
    unsigned char fv[2] = {0xAA, 0xAA};
    CHECK_STATUS(zarrio_array_fill_value(a, fv, 1), BTS);
    CHECK_STATUS(zarrio_array_fill_value(a, fv, 0), BTS);
    CHECK(fv[0] == 0xAA);
    /* Whole chunks must be exactly one chunk's bytes; fill values one element. */
    CHECK_STATUS(zarrio_array_write_chunk(a, 2, c11, big, 8 * 5 * 2 - 2), IA);
    CHECK_STATUS(zarrio_array_write_chunk(a, 2, c11, big, 8 * 5 * 2 + 2), IA);
    CHECK_STATUS(zarrio_array_write_chunk(a, 2, c11, big, 0), IA);
    CHECK_STATUS(zarrio_array_fill(a, 2, st, sh, &v, 1), IA);
    CHECK_STATUS(zarrio_array_fill(a, 2, st, sh, big, 4), IA);
    CHECK_STATUS(zarrio_array_fill(a, 2, st, sh, &v, 0), IA);
    CHECK_READ_ALL(a, &ref, "after wrong-size chunk writes and fills");

    /* Bad strides. */
    const struct {
        const char *what;
        int64_t s[2];
    } bad[] = {
        {"negative", {-7, 1}},   {"negative last", {7, -1}}, {"zero", {0, 1}},         {"zero last", {7, 0}},
        {"overlapping", {1, 1}}, {"overlapping 2", {5, 1}},  {"overlapping 3", {1, 9}}, {"INT64_MIN", {INT64_MIN, 1}},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_STATUS_CTX(zarrio_array_read(a, 2, st, sh, big, sizeof big, bad[i].s), IA, "%s strides", bad[i].what);
        CHECK_STATUS_CTX(zarrio_array_write(a, 2, st, sh, big, sizeof big, bad[i].s), IA, "%s strides", bad[i].what);
    }
    /* Strides so large the layout cannot be addressed. */
    int64_t huge[2] = {INT64_MAX, 1};
    zarrio_status hs = zarrio_array_read(a, 2, st, sh, big, sizeof big, huge);
    CHECK_MSG(hs == IA || hs == BTS, "huge strides gave %s", zarrio_status_name(hs));
    hs = zarrio_array_write(a, 2, st, sh, big, sizeof big, huge);
    CHECK_MSG(hs == IA || hs == BTS, "huge strides gave %s", zarrio_status_name(hs));
    CHECK_READ_ALL(a, &ref, "after writes with bad strides");

    /* Extent-1 dimensions may share a stride with others (no overlap). */
    uint64_t sh1[2] = {1, 7};
    int64_t s1[2] = {1, 1};
    uint16_t row[7];
    CHECK_OK(zarrio_array_read(a, 2, st, sh1, row, sizeof row, s1));
    ref_compare(__FILE__, __LINE__, "a row read with strides (1,1)", &ref, st, sh1, (unsigned char *)row, s1);

    /* Everything still there after reopening. */
    zarrio_array *b = NULL;
    CHECK_OK(zarrio_array_open(g_fs, "args", &b));
    if (b) CHECK_READ_ALL(b, &ref, "after reopening");
    zarrio_array_free(b);
    ref_free(&ref);
    zarrio_array_free(a);
}

/* ---- corrupt storage ---------------------------------------------------- */

static void test_checksum(void) {
    printf("  crc32c mismatch\n");
    ref_t ref;
    zarrio_array *a = make_filled("crc", "[" BYTES_LE "," CRC32C "]", &ref, 4);
    uint64_t c12[2] = {1, 2};
    char *f = chunk_file(g_root, "crc", 2, c12);
    size_t len = 0;
    unsigned char *orig = load(f, &len);
    REQUIRE(orig != NULL && len == 8 * 5 * 2 + 4);
    /* Flip one data byte, then one checksum byte. */
    for (int which = 0; which < 2; which++) {
        unsigned char *bad = (unsigned char *)xmalloc(len);
        memcpy(bad, orig, len);
        bad[which == 0 ? 17 : len - 2] ^= 0x40;
        REQUIRE(write_file_bytes(f, bad, len) == 0);
        uint16_t buf[37 * 23];
        uint64_t zero[2] = {0, 0}, st[2] = {9, 11}, sh[2] = {2, 2}, other[2] = {0, 0}, osh[2] = {8, 5};
        CHECK_STATUS(zarrio_array_read(a, 2, zero, SHAPE, buf, sizeof buf, NULL), ZARRIO_ERR_CHECKSUM);
        CHECK_STATUS(zarrio_array_read(a, 2, st, sh, buf, sizeof buf, NULL), ZARRIO_ERR_CHECKSUM);
        CHECK_STATUS(zarrio_array_read_chunk(a, 2, c12, buf, sizeof buf), ZARRIO_ERR_CHECKSUM);
        zarrio_pipeline *p = NULL;
        CHECK_OK(zarrio_array_pipeline(a, &p));
        if (p) CHECK_STATUS(zarrio_pipeline_decode(p, bad, len, buf, sizeof buf), ZARRIO_ERR_CHECKSUM);
        zarrio_pipeline_free(p);
        /* Other chunks still read. */
        CHECK_READ_REGION(a, &ref, other, osh, "a good chunk next to a corrupt one");
        /* A partial write into the corrupt chunk fails and leaves it as it was. */
        uint16_t w[4] = {1, 2, 3, 4};
        CHECK_STATUS(zarrio_array_write(a, 2, st, sh, w, sizeof w, NULL), ZARRIO_ERR_CHECKSUM);
        uint16_t val = 5;
        CHECK_STATUS(zarrio_array_fill(a, 2, st, sh, &val, sizeof val), ZARRIO_ERR_CHECKSUM);
        CHECK_MSG(file_equals(f, bad, len), "a failed write changed the corrupt chunk file");
        free(bad);
    }
    /* Restore: everything reads again. */
    REQUIRE(write_file_bytes(f, orig, len) == 0);
    CHECK_READ_ALL(a, &ref, "after restoring the chunk");
    /* Overwriting a corrupt chunk completely needs no read and repairs it. */
    orig[0] ^= 1;
    REQUIRE(write_file_bytes(f, orig, len) == 0);
    uint64_t cst[2] = {8, 10}, csh[2] = {8, 5};
    uint16_t whole[40];
    for (int i = 0; i < 40; i++) whole[i] = (uint16_t)(900 + i);
    CHECK_OK(zarrio_array_write(a, 2, cst, csh, whole, sizeof whole, NULL));
    ref_set(&ref, cst, csh, (unsigned char *)whole, NULL);
    CHECK_READ_ALL(a, &ref, "after overwriting a corrupt chunk");
    free(orig);
    free(f);

    /* crc32c inside shards: the index checksum and an inner chunk checksum. */
    ref_t sref;
    zarrio_array *s = make_filled("crcshard",
                                  "[{\"name\":\"sharding_indexed\",\"configuration\":{\"chunk_shape\":[4,5],\"codecs\":["
                                  BYTES_LE "," CRC32C "],\"index_codecs\":[" BYTES_LE "," CRC32C "]}}]",
                                  &sref, 5);
    uint64_t c00[2] = {0, 0};
    f = chunk_file(g_root, "crcshard", 2, c00);
    orig = load(f, &len);
    /* 2 inner chunks of 4x5 uint16 (+4 crc) then the index (2*16 + 4). */
    REQUIRE(orig != NULL && len == 2 * 44 + 36);
    uint16_t buf[8 * 5];
    uint64_t st[2] = {0, 0}, sh[2] = {8, 5}, in0[2] = {1, 1}, in0sh[2] = {2, 2};
    for (int which = 0; which < 2; which++) {
        unsigned char *bad = (unsigned char *)xmalloc(len);
        memcpy(bad, orig, len);
        bad[which == 0 ? len - 10 : 3] ^= 0x08; /* index entry, or first inner chunk */
        REQUIRE(write_file_bytes(f, bad, len) == 0);
        CHECK_STATUS_CTX(zarrio_array_read(s, 2, st, sh, buf, sizeof buf, NULL), ZARRIO_ERR_CHECKSUM,
                         "whole shard, %s corrupt", which == 0 ? "index" : "inner chunk");
        CHECK_STATUS_CTX(zarrio_array_read(s, 2, in0, in0sh, buf, sizeof buf, NULL), ZARRIO_ERR_CHECKSUM,
                         "part of a shard, %s corrupt", which == 0 ? "index" : "inner chunk");
        CHECK_STATUS_CTX(zarrio_array_read_chunk(s, 2, c00, buf, sizeof buf), ZARRIO_ERR_CHECKSUM,
                         "read_chunk, %s corrupt", which == 0 ? "index" : "inner chunk");
        uint16_t w[4] = {1, 2, 3, 4};
        CHECK_STATUS_CTX(zarrio_array_write(s, 2, in0, in0sh, w, sizeof w, NULL), ZARRIO_ERR_CHECKSUM,
                         "write into a shard, %s corrupt", which == 0 ? "index" : "inner chunk");
        CHECK_MSG(file_equals(f, bad, len), "a failed write changed the corrupt shard");
        free(bad);
    }
    REQUIRE(write_file_bytes(f, orig, len) == 0);
    CHECK_READ_ALL(s, &sref, "after restoring the shard");
    free(orig);
    free(f);
    ref_free(&sref);
    zarrio_array_free(s);
    ref_free(&ref);
    zarrio_array_free(a);
}

static void test_truncated(void) {
    printf("  truncated chunks\n");
    /* For shards, `alt` is a second acceptable status (a cut shard with a
     * crc32c index at the end shows a wrong index, i.e. a checksum error),
     * and a read of one inner chunk may succeed when that inner chunk and
     * the index are intact. */
    static const struct {
        const char *what, *codecs;
        int sharded;
        zarrio_status alt;
    } cases[] = {
        {"bytes", "[" BYTES_LE "]", 0, ZARRIO_ERR_CORRUPT},
        {"bytes+crc32c", "[" BYTES_LE "," CRC32C "]", 0, ZARRIO_ERR_CORRUPT},
        {"bytes+gzip", "[" BYTES_LE "," GZIP "]", 0, ZARRIO_ERR_CORRUPT},
        {"bytes+zstd", "[" BYTES_LE "," ZSTD "]", 0, ZARRIO_ERR_CORRUPT},
        {"bytes+blosc", "[" BYTES_LE ",{\"name\":\"blosc\",\"configuration\":{\"cname\":\"lz4\",\"clevel\":5,"
                        "\"shuffle\":\"shuffle\",\"typesize\":2,\"blocksize\":0}}]", 0, ZARRIO_ERR_CORRUPT},
        {"transpose+bytes+zstd", "[{\"name\":\"transpose\",\"configuration\":{\"order\":[1,0]}}," BYTES_LE "," ZSTD "]",
         0, ZARRIO_ERR_CORRUPT},
        {"sharded", "[{\"name\":\"sharding_indexed\",\"configuration\":{\"chunk_shape\":[4,5],\"codecs\":[" BYTES_LE
                    "," ZSTD "],\"index_codecs\":[" BYTES_LE "," CRC32C "]}}]", 1, ZARRIO_ERR_CHECKSUM},
        {"sharded, index at start",
         "[{\"name\":\"sharding_indexed\",\"configuration\":{\"chunk_shape\":[4,5],\"codecs\":[" BYTES_LE
         "],\"index_codecs\":[" BYTES_LE "],\"index_location\":\"start\"}}]", 1, ZARRIO_ERR_CORRUPT},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char path[32];
        snprintf(path, sizeof path, "trunc%zu", k);
        ref_t ref;
        zarrio_array *a = make_filled(path, cases[k].codecs, &ref, 10 + (unsigned)k);
        uint64_t c21[2] = {2, 1};
        char *f = chunk_file(g_root, path, 2, c21);
        size_t len = 0;
        unsigned char *orig = load(f, &len);
        if (!orig) {
            free(f);
            ref_free(&ref);
            zarrio_array_free(a);
            continue;
        }
        const size_t cuts[] = {len - 1, len / 2, 1, 0};
        for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
            REQUIRE(write_file_bytes(f, orig, cuts[c]) == 0);
            uint16_t buf[8 * 5];
            uint64_t st[2] = {16, 5}, sh[2] = {8, 5}, pst[2] = {17, 6}, psh[2] = {2, 2};
            zarrio_status alt = cases[k].alt;
#define EXPECT_CUT(call, what_)                                                                                   \
    do {                                                                                                          \
        zarrio_status s_ = (call);                                                                                \
        CHECK_STATUS_CTX(s_, s_ == alt ? alt : ZARRIO_ERR_CORRUPT, "%s cut to %zu of %zu bytes: %s", cases[k].what, \
                         cuts[c], len, what_);                                                                    \
    } while (0)
            EXPECT_CUT(zarrio_array_read(a, 2, st, sh, buf, sizeof buf, NULL), "whole chunk");
            zarrio_status ps = zarrio_array_read(a, 2, pst, psh, buf, sizeof buf, NULL);
            if (cases[k].sharded && ps == ZARRIO_OK)
                ref_compare(__FILE__, __LINE__, "a read of an intact inner chunk of a cut shard", &ref, pst, psh,
                            (unsigned char *)buf, NULL);
            else
                EXPECT_CUT(ps, "part");
            EXPECT_CUT(zarrio_array_read_chunk(a, 2, c21, buf, sizeof buf), "read_chunk");
            uint16_t w[4] = {1, 2, 3, 4};
            zarrio_status ws = zarrio_array_write(a, 2, pst, psh, w, sizeof w, NULL);
            /* A damaged chunk or shard is never written over, not even by an
             * in-place patch of an intact inner chunk. */
            EXPECT_CUT(ws, "partial write");
            CHECK_MSG(file_equals(f, orig, cuts[c]), "%s: a failed write changed the truncated chunk", cases[k].what);
#undef EXPECT_CUT
        }
        REQUIRE(write_file_bytes(f, orig, len) == 0);
        CHECK_READ_ALL(a, &ref, cases[k].what);
        free(orig);
        free(f);
        ref_free(&ref);
        zarrio_array_free(a);
    }
}

static void put_le64(unsigned char *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* A shard with inner [bytes] and index [bytes] (no checksum): patch index
 * entries to point outside the shard. */
static void test_shard_index(void) {
    printf("  shard index pointing outside the shard\n");
    const char *codecs = "[{\"name\":\"sharding_indexed\",\"configuration\":{\"chunk_shape\":[4,5],\"codecs\":[" BYTES_LE
                         "],\"index_codecs\":[" BYTES_LE "],\"index_location\":\"end\"}}]";
    ref_t ref;
    zarrio_array *a = make_filled("badindex", codecs, &ref, 20);
    uint64_t c10[2] = {1, 0};
    char *f = chunk_file(g_root, "badindex", 2, c10);
    size_t len = 0;
    unsigned char *orig = load(f, &len);
    /* Shard (1,0) = rows 8..15, cols 0..4: inner chunks (0,0) and (1,0),
     * 40 bytes each, then the index of 2 entries (32 bytes). */
    REQUIRE(orig != NULL && len == 2 * 40 + 32);
    const struct {
        const char *what;
        int entry; /* 0 or 1 */
        uint64_t offset, nbytes;
    } patches[] = {
        {"huge offset", 0, 0x7fffffffffff0000ull, 40},
        {"offset just past the end", 0, 2 * 40 + 32, 40},
        {"range running past the end", 1, 80, 40},
        {"huge length", 0, 0, 0x7fffffffffffffffull},
        {"offset + length overflows", 1, UINT64_MAX - 8, 40},
        {"empty offset with a length", 0, UINT64_MAX, 40},
        {"max offset, max-1 length", 1, UINT64_MAX, UINT64_MAX - 1},
        {"length too short for the chunk", 0, 0, 39},
    };
    uint64_t whole_st[2] = {8, 0}, whole_sh[2] = {8, 5};
    for (size_t i = 0; i < sizeof patches / sizeof patches[0]; i++) {
        unsigned char *bad = (unsigned char *)xmalloc(len);
        memcpy(bad, orig, len);
        unsigned char *entry = bad + 80 + 16 * patches[i].entry;
        put_le64(entry, patches[i].offset);
        put_le64(entry + 8, patches[i].nbytes);
        REQUIRE(write_file_bytes(f, bad, len) == 0);
        /* The bad inner chunk: rows 8..11 (entry 0) or 12..15 (entry 1). */
        uint64_t part_st[2] = {8 + 4 * (uint64_t)patches[i].entry + 1, 1}, part_sh[2] = {2, 3};
        uint16_t buf[37 * 23];
        CHECK_STATUS_CTX(zarrio_array_read(a, 2, whole_st, whole_sh, buf, sizeof buf, NULL), ZARRIO_ERR_CORRUPT,
                         "%s: whole shard read", patches[i].what);
        CHECK_STATUS_CTX(zarrio_array_read(a, 2, part_st, part_sh, buf, sizeof buf, NULL), ZARRIO_ERR_CORRUPT,
                         "%s: read of the bad inner chunk", patches[i].what);
        uint64_t zero[2] = {0, 0};
        CHECK_STATUS_CTX(zarrio_array_read(a, 2, zero, SHAPE, buf, sizeof buf, NULL), ZARRIO_ERR_CORRUPT,
                         "%s: full array read", patches[i].what);
        CHECK_STATUS_CTX(zarrio_array_read_chunk(a, 2, c10, buf, sizeof buf), ZARRIO_ERR_CORRUPT,
                         "%s: read_chunk", patches[i].what);
        /* The other inner chunk: an error or the right data, never a crash. */
        uint64_t good_st[2] = {8 + 4 * (uint64_t)(1 - patches[i].entry), 0}, good_sh[2] = {4, 5};
        zarrio_status gs = zarrio_array_read(a, 2, good_st, good_sh, buf, sizeof buf, NULL);
        if (gs == ZARRIO_OK)
            ref_compare(__FILE__, __LINE__, "the intact inner chunk of a shard with a bad index", &ref, good_st,
                        good_sh, (unsigned char *)buf, NULL);
        else
            CHECK_STATUS_CTX(gs, ZARRIO_ERR_CORRUPT, "%s: read of the intact inner chunk", patches[i].what);
        /* Pipeline decode of the patched bytes. */
        zarrio_pipeline *p = NULL;
        CHECK_OK(zarrio_array_pipeline(a, &p));
        if (p)
            CHECK_STATUS_CTX(zarrio_pipeline_decode(p, bad, len, buf, sizeof buf), ZARRIO_ERR_CORRUPT,
                             "%s: pipeline decode", patches[i].what);
        zarrio_pipeline_free(p);
        /* A partial write into the shard fails and changes nothing. */
        uint16_t w[6] = {1, 2, 3, 4, 5, 6};
        CHECK_STATUS_CTX(zarrio_array_write(a, 2, part_st, part_sh, w, sizeof w, NULL), ZARRIO_ERR_CORRUPT,
                         "%s: partial write", patches[i].what);
        CHECK_MSG(file_equals(f, bad, len), "%s: a failed write changed the shard", patches[i].what);
        free(bad);
    }
    /* A shard shorter than its index. */
    REQUIRE(write_file_bytes(f, orig, 31) == 0);
    uint16_t buf[40];
    uint64_t pst[2] = {9, 1}, psh[2] = {1, 1};
    CHECK_STATUS(zarrio_array_read(a, 2, whole_st, whole_sh, buf, sizeof buf, NULL), ZARRIO_ERR_CORRUPT);
    CHECK_STATUS(zarrio_array_read(a, 2, pst, psh, buf, sizeof buf, NULL), ZARRIO_ERR_CORRUPT);
    /* Restored, it reads right; and other shards were never affected. */
    REQUIRE(write_file_bytes(f, orig, len) == 0);
    CHECK_READ_ALL(a, &ref, "after restoring the shard");
    free(orig);
    free(f);
    ref_free(&ref);
    zarrio_array_free(a);
}

int main(int argc, char **argv) {
    char *dir = make_scratch_dir(argc, argv, "bad_input");
    g_root = path_join(dir, "store");
    REQUIRE_OK(zarrio_store_open_filesystem(g_root, &g_fs));
    test_bad_metadata();
    test_null_arguments();
    test_ndim_bounds_buffers_strides();
    test_checksum();
    test_truncated();
    test_shard_index();
    zarrio_store_free(g_fs);
    int rc = TEST_RETURN();
    if (rc == 0) remove_tree(dir);
    free(g_root);
    free(dir);
    return rc;
}
