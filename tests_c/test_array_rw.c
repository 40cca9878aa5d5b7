/*
 * Arrays: create with many data types and codec lists, write and read
 * whole arrays and regions crossing chunk boundaries against an in-memory
 * reference, strided (Fortran order, views of a bigger buffer) reads and
 * writes, fill, whole-chunk I/O, getters, attributes, 0-d arrays, arrays
 * with a zero-length dimension, and thread-count independence.
 *
 * Calls: zarrio_array_create, _open, _free, _ndim, _shape, _chunk_shape,
 * _inner_chunk_shape, _data_type, _element_size, _check_element, _fill_value, _metadata,
 * _attributes, _set_attributes, _read, _write, _fill, _read_chunk,
 * _write_chunk, _erase_chunk, _set_threads, zarrio_string_free, stores.
 */
#include "check.h"
#include "nd_ref.h"

#include <pthread.h>

#define BYTES_LE "{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}}"
#define BYTES_BE "{\"name\":\"bytes\",\"configuration\":{\"endian\":\"big\"}}"
#define GZIP "{\"name\":\"gzip\",\"configuration\":{\"level\":5}}"
#define ZSTD "{\"name\":\"zstd\",\"configuration\":{\"level\":3,\"checksum\":false}}"
#define ZSTD0 "{\"name\":\"zstd\",\"configuration\":{\"level\":0,\"checksum\":false}}"
#define CRC32C "{\"name\":\"crc32c\"}"

typedef struct {
    const char *name;
    const char *dtype;
    size_t ndim;
    uint64_t shape[MAXD];
    uint64_t chunk[MAXD]; /* the grid's chunk (shard) shape */
    uint64_t inner[MAXD]; /* inner chunk shape (= chunk when not sharded) */
    const char *fill_json;
    double fill_re, fill_im;
    int fill_nan;
    const char *codecs;
} config_t;

static const config_t CONFIGS[] = {
    {"uint16 [bytes]", "uint16", 2, {37, 23}, {8, 5}, {8, 5}, "7", 7, 0, 0, "[" BYTES_LE "]"},
    {"float64 [bytes, gzip]", "float64", 2, {37, 23}, {8, 5}, {8, 5}, "-1.5", -1.5, 0, 0, "[" BYTES_LE "," GZIP "]"},
    {"int32 [bytes, zstd]", "int32", 2, {37, 23}, {8, 5}, {8, 5}, "-3", -3, 0, 0, "[" BYTES_LE "," ZSTD "]"},
    {"complex64 [bytes, blosc lz4 shuffle]", "complex64", 2, {21, 17}, {6, 4}, {6, 4}, "[1.0,-2.0]", 1.0, -2.0, 0,
     "[" BYTES_LE ",{\"name\":\"blosc\",\"configuration\":{\"cname\":\"lz4\",\"clevel\":5,\"shuffle\":\"shuffle\","
     "\"typesize\":8,\"blocksize\":0}}]"},
    {"uint8 [bytes, blosc zstd bitshuffle]", "uint8", 2, {50, 30}, {16, 16}, {16, 16}, "0", 0, 0, 0,
     "[{\"name\":\"bytes\"},{\"name\":\"blosc\",\"configuration\":{\"cname\":\"zstd\",\"clevel\":3,"
     "\"shuffle\":\"bitshuffle\",\"typesize\":1,\"blocksize\":0}}]"},
    {"bool [bytes, crc32c]", "bool", 2, {19, 13}, {4, 3}, {4, 3}, "false", 0, 0, 0, "[{\"name\":\"bytes\"}," CRC32C "]"},
    {"float32 [bytes(big), crc32c]", "float32", 2, {37, 23}, {8, 5}, {8, 5}, "\"NaN\"", 0, 0, 1,
     "[" BYTES_BE "," CRC32C "]"},
    {"uint16 [transpose [1,0], bytes, zstd]", "uint16", 2, {37, 23}, {8, 5}, {8, 5}, "0", 0, 0, 0,
     "[{\"name\":\"transpose\",\"configuration\":{\"order\":[1,0]}}," BYTES_LE "," ZSTD0 "]"},
    {"int32 3-d [transpose [2,0,1], bytes(big), gzip]", "int32", 3, {9, 10, 11}, {4, 3, 5}, {4, 3, 5}, "11", 11, 0,
     0, "[{\"name\":\"transpose\",\"configuration\":{\"order\":[2,0,1]}}," BYTES_BE "," GZIP "]"},
    {"int32 sharded, inner [bytes, zstd], index [bytes, crc32c] at end", "int32", 2, {37, 23}, {16, 10}, {4, 5}, "0",
     0, 0, 0,
     "[{\"name\":\"sharding_indexed\",\"configuration\":{\"chunk_shape\":[4,5],\"codecs\":[" BYTES_LE "," ZSTD "],"
     "\"index_codecs\":[" BYTES_LE "," CRC32C "],\"index_location\":\"end\"}}]"},
    {"float64 sharded, inner [bytes, zstd], index [bytes, crc32c] at start", "float64", 2, {37, 23}, {8, 10}, {4, 5},
     "\"NaN\"", 0, 0, 1,
     "[{\"name\":\"sharding_indexed\",\"configuration\":{\"chunk_shape\":[4,5],\"codecs\":[" BYTES_LE "," ZSTD "],"
     "\"index_codecs\":[" BYTES_LE "," CRC32C "],\"index_location\":\"start\"}}]"},
    {"uint16 3-d sharded, inner [transpose, bytes, gzip]", "uint16", 3, {10, 9, 7}, {4, 6, 4}, {2, 3, 2}, "5", 5, 0,
     0,
     "[{\"name\":\"sharding_indexed\",\"configuration\":{\"chunk_shape\":[2,3,2],\"codecs\":[{\"name\":\"transpose\","
     "\"configuration\":{\"order\":[1,2,0]}}," BYTES_LE "," GZIP "],\"index_codecs\":[" BYTES_LE "," CRC32C "]}}]"},
    /* Fixed-size inner pipelines: shards with a dense layout (patched in place). */
    {"int16 sharded dense, inner [bytes, crc32c], index [bytes, crc32c] at end", "int16", 2, {37, 23}, {8, 10},
     {4, 5}, "3", 3, 0, 0,
     "[{\"name\":\"sharding_indexed\",\"configuration\":{\"chunk_shape\":[4,5],\"codecs\":[" BYTES_LE "," CRC32C
     "],\"index_codecs\":[" BYTES_LE "," CRC32C "],\"index_location\":\"end\"}}]"},
    {"uint32 sharded dense, inner [bytes(big)], index [bytes] at start", "uint32", 2, {37, 23}, {16, 10}, {4, 5},
     "0", 0, 0, 0,
     "[{\"name\":\"sharding_indexed\",\"configuration\":{\"chunk_shape\":[4,5],\"codecs\":[" BYTES_BE
     "],\"index_codecs\":[" BYTES_LE "],\"index_location\":\"start\"}}]"},
    {"uint8 3-d sharded dense, inner [transpose, bytes]", "uint8", 3, {10, 9, 7}, {4, 6, 4}, {2, 3, 2}, "9", 9, 0, 0,
     "[{\"name\":\"sharding_indexed\",\"configuration\":{\"chunk_shape\":[2,3,2],\"codecs\":[{\"name\":\"transpose\","
     "\"configuration\":{\"order\":[2,0,1]}},{\"name\":\"bytes\"}],\"index_codecs\":[" BYTES_LE "," CRC32C "]}}]"},
};
#define NCONFIGS (sizeof CONFIGS / sizeof CONFIGS[0])

static void config_fill(const config_t *c, unsigned char *out) {
    if (c->fill_nan)
        make_nan(c->dtype, out);
    else
        make_elem(c->dtype, c->fill_re, c->fill_im, out);
}

static char *config_json(const config_t *c, const char *attrs) {
    return make_array_json(c->ndim, c->shape, c->chunk, c->dtype, c->fill_json, c->codecs, attrs);
}

static int is_sharded(const config_t *c) { return strstr(c->codecs, "sharding_indexed") != NULL; }

/* ---- getters ----------------------------------------------------------- */

static void check_getters(const config_t *c, zarrio_array *a) {
    size_t ndim = 99;
    CHECK_OK_CTX(zarrio_array_ndim(a, &ndim), "%s", c->name);
    CHECK_MSG(ndim == c->ndim, "%s: ndim %zu", c->name, ndim);

    uint64_t got[MAXD + 2];
    for (int which = 0; which < 3; which++) {
        memset(got, 0xff, sizeof got);
        zarrio_status st = which == 0   ? zarrio_array_shape(a, got, MAXD + 2)
                           : which == 1 ? zarrio_array_chunk_shape(a, got, MAXD + 2)
                                        : zarrio_array_inner_chunk_shape(a, got, MAXD + 2);
        const uint64_t *exp = which == 0 ? c->shape : which == 1 ? c->chunk : c->inner;
        const char *what = which == 0 ? "shape" : which == 1 ? "chunk_shape" : "inner_chunk_shape";
        CHECK_OK_CTX(st, "%s: %s", c->name, what);
        for (size_t d = 0; d < c->ndim; d++)
            CHECK_MSG(got[d] == exp[d], "%s: %s[%zu] = %llu, expected %llu", c->name, what, d,
                      (unsigned long long)got[d], (unsigned long long)exp[d]);
        CHECK_MSG(got[c->ndim] == UINT64_MAX, "%s: %s wrote more than ndim entries", c->name, what);
        /* Exactly ndim entries of capacity is enough. */
        memset(got, 0xff, sizeof got);
        st = which == 0   ? zarrio_array_shape(a, got, c->ndim)
             : which == 1 ? zarrio_array_chunk_shape(a, got, c->ndim)
                          : zarrio_array_inner_chunk_shape(a, got, c->ndim);
        CHECK_OK_CTX(st, "%s: %s with capacity ndim", c->name, what);
        CHECK(c->ndim == 0 || got[c->ndim - 1] == exp[c->ndim - 1]);
    }

    char *dt = NULL;
    CHECK_OK(zarrio_array_data_type(a, &dt));
    CHECK_MSG(dt && strcmp(dt, c->dtype) == 0, "%s: data type \"%s\"", c->name, dt ? dt : "(NULL)");
    zarrio_string_free(dt);

    size_t es = 0;
    CHECK_OK(zarrio_array_element_size(a, &es));
    CHECK_MSG(es == dtype_size(c->dtype), "%s: element size %zu", c->name, es);

    /* A binding's element type: of the right size and kind, or refused. */
    const char *d = c->dtype;
    int integer = d[0] == 'i' || d[0] == 'u';
    const char *kind = strcmp(d, "bool") == 0          ? "bool"
                       : strncmp(d, "complex", 7) == 0 ? "complex"
                       : d[0] == 'f'                   ? "float"
                       : d[0] == 'u'                   ? "unsigned"
                                                       : "signed";
    const char *other = d[0] == 'f' ? "integer" : "float";
    CHECK_OK_CTX(zarrio_array_check_element(a, es, kind), "%s: %s elements", c->name, kind);
    CHECK_OK_CTX(zarrio_array_check_element(a, es, NULL), "%s: any kind", c->name);
    if (integer) CHECK_OK_CTX(zarrio_array_check_element(a, es, "integer"), "%s", c->name);
    CHECK_STATUS(zarrio_array_check_element(a, es, other), ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(zarrio_array_check_element(a, es * 2, kind), ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(zarrio_array_check_element(a, es, "quaternion"), ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(zarrio_array_check_element(NULL, es, kind), ZARRIO_ERR_INVALID_ARGUMENT);

    unsigned char fill[32], exp[32];
    memset(fill, 0xEE, sizeof fill);
    config_fill(c, exp);
    CHECK_OK(zarrio_array_fill_value(a, fill, sizeof fill));
    CHECK_MSG(memcmp(fill, exp, es) == 0, "%s: fill value bytes differ", c->name);
    CHECK_MSG(fill[es] == 0xEE, "%s: fill_value wrote past the element", c->name);
    memset(fill, 0xEE, sizeof fill);
    CHECK_OK(zarrio_array_fill_value(a, fill, es));
    CHECK(memcmp(fill, exp, es) == 0);

    char *meta = NULL;
    CHECK_OK(zarrio_array_metadata(a, &meta));
    if (meta) {
        char *frag = str_printf("\"data_type\":\"%s\"", c->dtype);
        CHECK_MSG(json_contains(meta, frag), "%s: metadata lacks %s: %s", c->name, frag, meta);
        free(frag);
        char *sh = json_u64_list(c->ndim, c->shape);
        frag = str_printf("\"shape\":%s", sh);
        CHECK_MSG(json_contains(meta, frag), "%s: metadata lacks %s: %s", c->name, frag, meta);
        free(frag);
        free(sh);
        CHECK_MSG(json_contains(meta, "\"zarr_format\":3"), "%s: metadata %s", c->name, meta);
        CHECK_MSG(json_contains(meta, "\"node_type\":\"array\""), "%s: metadata %s", c->name, meta);
        CHECK_MSG(json_contains(meta, "\"codecs\":["), "%s: metadata %s", c->name, meta);
        if (is_sharded(c)) CHECK_MSG(json_contains(meta, "\"sharding_indexed\""), "%s: metadata %s", c->name, meta);
        zarrio_string_free(meta);
    }
}

/* ---- the regions every configuration is exercised with ---------------- */

typedef struct {
    const char *what;
    uint64_t start[MAXD], shape[MAXD];
} region_t;

static uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }

static size_t make_regions(const config_t *c, region_t *r) {
    size_t n = 0, nd = c->ndim;
    /* A single element near the origin. */
    r[n].what = "single element";
    for (size_t d = 0; d < nd; d++) r[n].start[d] = min_u64(1, c->shape[d] - 1), r[n].shape[d] = 1;
    n++;
    /* Starts mid-chunk and crosses at least two chunk boundaries. */
    r[n].what = "crossing chunk boundaries";
    for (size_t d = 0; d < nd; d++) {
        r[n].start[d] = c->chunk[d] / 2 + (c->chunk[d] > 2 ? 1 : 0);
        r[n].shape[d] = min_u64(c->chunk[d] * 2 - 1, c->shape[d] - r[n].start[d]);
    }
    n++;
    /* The trailing edge (partial edge chunks). */
    r[n].what = "edge";
    for (size_t d = 0; d < nd; d++) {
        uint64_t len = min_u64(c->shape[d], c->chunk[d] + 3);
        r[n].start[d] = c->shape[d] - len;
        r[n].shape[d] = len;
    }
    n++;
    /* A slab: one index along dim 0, everything else full. */
    r[n].what = "slab";
    for (size_t d = 0; d < nd; d++) {
        r[n].start[d] = d == 0 ? c->shape[0] / 2 : 0;
        r[n].shape[d] = d == 0 ? 1 : c->shape[d];
    }
    n++;
    /* A column along the last dimension... along dim 0. */
    r[n].what = "column";
    for (size_t d = 0; d < nd; d++) {
        r[n].start[d] = d == 0 ? 0 : c->shape[d] - 1;
        r[n].shape[d] = d == 0 ? c->shape[0] : 1;
    }
    n++;
    /* Exactly one whole chunk. */
    r[n].what = "one whole chunk";
    for (size_t d = 0; d < nd; d++) {
        r[n].start[d] = c->chunk[d] < c->shape[d] ? c->chunk[d] : 0;
        r[n].shape[d] = min_u64(c->chunk[d], c->shape[d] - r[n].start[d]);
    }
    n++;
    /* Empty regions (zero extent) inside and at the far end. */
    r[n].what = "empty inside";
    for (size_t d = 0; d < nd; d++) r[n].start[d] = 1, r[n].shape[d] = d == 0 ? 0 : 2;
    n++;
    r[n].what = "empty at the end";
    for (size_t d = 0; d < nd; d++) r[n].start[d] = c->shape[d], r[n].shape[d] = 0;
    n++;
    return n;
}

/* ---- strided reads and writes ------------------------------------------ */

/* Read `rg` into a Fortran-order buffer and compare. */
static void check_fortran_read(const config_t *c, zarrio_array *a, ref_t *ref, const region_t *rg) {
    int64_t strides[MAXD];
    nd_f_strides(c->ndim, rg->shape, strides);
    uint64_t n = nd_count(c->ndim, rg->shape);
    size_t bytes = (size_t)n * ref->elem;
    unsigned char *buf = (unsigned char *)xmalloc(bytes);
    memset(buf, 0xCD, bytes);
    if (CHECK_OK_CTX(zarrio_array_read(a, c->ndim, rg->start, rg->shape, buf, bytes, strides), "%s: %s (Fortran)",
                     c->name, rg->what)) {
        char what[200];
        snprintf(what, sizeof what, "%s: Fortran-order read of %s", c->name, rg->what);
        ref_compare(__FILE__, __LINE__, what, ref, rg->start, rg->shape, buf, strides);
    }
    free(buf);
}

/* Read `rg` into a view at offset `pad` of a bigger C-order buffer (the
 * region's shape plus 2*pad[d] along each dimension) and check that only the
 * view's elements changed. */
static void check_view_read(const config_t *c, zarrio_array *a, ref_t *ref, const region_t *rg) {
    size_t nd = c->ndim, e = ref->elem;
    uint64_t big_shape[MAXD], pad[MAXD];
    for (size_t d = 0; d < nd; d++) {
        pad[d] = d + 1;
        big_shape[d] = rg->shape[d] + 2 * pad[d] + d; /* uneven padding */
    }
    int64_t big_strides[MAXD];
    nd_c_strides(nd, big_shape, big_strides);
    uint64_t big_n = nd_count(nd, big_shape);
    unsigned char *big = (unsigned char *)xmalloc((size_t)big_n * e);
    memset(big, 0xAB, (size_t)big_n * e);
    uint64_t view_off = nd_offset_c(nd, big_shape, pad);
    size_t cap = (size_t)(big_n - view_off) * e;
    if (CHECK_OK_CTX(zarrio_array_read(a, nd, rg->start, rg->shape, big + view_off * e, cap, big_strides),
                     "%s: %s (view)", c->name, rg->what)) {
        char what[200];
        snprintf(what, sizeof what, "%s: view read of %s", c->name, rg->what);
        ref_compare(__FILE__, __LINE__, what, ref, rg->start, rg->shape, big + view_off * e, big_strides);
        /* Everything outside the view is untouched. */
        uint64_t idx[MAXD] = {0}, touched_outside = 0;
        do {
            int inside = 1;
            for (size_t d = 0; d < nd; d++)
                if (idx[d] < pad[d] || idx[d] >= pad[d] + rg->shape[d]) inside = 0;
            if (!inside) {
                const unsigned char *p = big + nd_offset_c(nd, big_shape, idx) * e;
                for (size_t b = 0; b < e; b++)
                    if (p[b] != 0xAB) {
                        touched_outside++;
                        break;
                    }
            }
        } while (nd_next(nd, big_shape, idx));
        CHECK_MSG(touched_outside == 0, "%s: view read of %s changed %llu elements outside the view", c->name,
                  rg->what, (unsigned long long)touched_outside);
    }
    /* The exact capacity (up to the view's last element) is enough. */
    if (nd_count(nd, rg->shape) > 0) {
        size_t exact = (size_t)nd_span(nd, rg->shape, big_strides) * e;
        CHECK_OK_CTX(zarrio_array_read(a, nd, rg->start, rg->shape, big + view_off * e, exact, big_strides),
                     "%s: %s (view, exact capacity %zu)", c->name, rg->what, exact);
        CHECK_STATUS_CTX(zarrio_array_read(a, nd, rg->start, rg->shape, big + view_off * e, exact - 1, big_strides),
                         ZARRIO_ERR_BUFFER_TOO_SMALL, "%s: %s (view, capacity %zu)", c->name, rg->what, exact - 1);
    }
    free(big);
}

/* Write `rg` from a Fortran-order buffer, then from a view of a bigger
 * buffer, updating the reference. */
static void strided_writes(const config_t *c, zarrio_array *a, ref_t *ref, const region_t *rg, unsigned seed) {
    size_t nd = c->ndim, e = ref->elem;
    uint64_t n = nd_count(nd, rg->shape);
    /* Fortran order: element (i0,i1,..) at i0 + n0*i1 + ... */
    int64_t fs[MAXD];
    nd_f_strides(nd, rg->shape, fs);
    unsigned char *fbuf = gen_buffer(c->dtype, n, seed);
    if (CHECK_OK_CTX(zarrio_array_write(a, nd, rg->start, rg->shape, fbuf, (size_t)n * e, fs), "%s: %s (Fortran write)",
                     c->name, rg->what))
        ref_set(ref, rg->start, rg->shape, fbuf, fs);
    free(fbuf);
    CHECK_READ_ALL(a, ref, "after a Fortran-order write");

    /* A view of a bigger buffer: every third element along the last dim. */
    uint64_t big_shape[MAXD];
    for (size_t d = 0; d < nd; d++) big_shape[d] = rg->shape[d] + 1;
    if (nd) big_shape[nd - 1] = rg->shape[nd - 1] * 3 + 1;
    int64_t bs[MAXD];
    nd_c_strides(nd, big_shape, bs);
    if (nd) bs[nd - 1] = 3; /* skip two elements between neighbours */
    uint64_t big_n = nd_count(nd, big_shape);
    unsigned char *big = gen_buffer(c->dtype, big_n, seed + 1000);
    if (CHECK_OK_CTX(zarrio_array_write(a, nd, rg->start, rg->shape, big + e, (size_t)(big_n - 1) * e, bs),
                     "%s: %s (view write)", c->name, rg->what))
        ref_set(ref, rg->start, rg->shape, big + e, bs);
    free(big);
    CHECK_READ_ALL(a, ref, "after a strided view write");
}

/* ---- one configuration, start to finish -------------------------------- */

static void exercise(zarrio_store *s, const char *root, const config_t *c, const char *path) {
    printf("  %s (%s store)\n", c->name, root ? "filesystem" : "memory");
    fflush(stdout);
    char *json = config_json(c, "{\"created_by\":\"test_array_rw\"}");
    zarrio_array *a = NULL;
    CHECK_OK_CTX(zarrio_array_create(s, path, json, &a), "%s: %s", c->name, json);
    free(json);
    if (!a) return;
    check_getters(c, a);

    size_t nd = c->ndim, e = dtype_size(c->dtype);
    unsigned char fill[32];
    config_fill(c, fill);
    ref_t ref;
    ref_init(&ref, nd, c->shape, e, fill);
    region_t regions[16];
    size_t nreg = make_regions(c, regions);

    /* A fresh array reads as the fill value everywhere. */
    CHECK_READ_ALL(a, &ref, c->name);
    if (root) {
        char *dir = str_printf("%s/%s/c", root, path);
        CHECK_MSG(count_files(dir) == 0, "%s: a new array has chunk files", c->name);
        free(dir);
    }

    /* A partial write into the empty array, from the middle of chunk 0
     * into chunk 1 along every dimension: only the chunks it touches are
     * stored. */
    {
        region_t first_region = {"first partial write", {0}, {0}};
        for (size_t d = 0; d < nd; d++) {
            first_region.start[d] = c->chunk[d] / 2;
            first_region.shape[d] = min_u64(c->chunk[d], c->shape[d] - first_region.start[d]);
        }
        const region_t *rg = &first_region;
        uint64_t n = nd_count(nd, rg->shape);
        unsigned char *src = gen_buffer(c->dtype, n, 1);
        CHECK_OK_CTX(zarrio_array_write(a, nd, rg->start, rg->shape, src, (size_t)n * e, NULL), "%s", c->name);
        ref_set(&ref, rg->start, rg->shape, src, NULL);
        free(src);
        CHECK_READ_ALL(a, &ref, "after the first partial write");
        if (root) {
            /* A chunk outside the region's chunk range is not stored. */
            uint64_t untouched[MAXD] = {0};
            int found = 0;
            for (size_t d = 0; d < nd && !found; d++) {
                uint64_t first = rg->start[d] / c->chunk[d];
                uint64_t last = (rg->start[d] + rg->shape[d] - 1) / c->chunk[d];
                uint64_t grid = (c->shape[d] + c->chunk[d] - 1) / c->chunk[d];
                if (first > 0)
                    untouched[d] = 0, found = 1;
                else if (last + 1 < grid)
                    untouched[d] = grid - 1, found = 1;
            }
            CHECK(found); /* (the configurations are chosen so there is one) */
            char *f = chunk_file(root, path, nd, untouched);
            CHECK_MSG(!file_exists(f), "%s: untouched chunk %s exists", c->name, f);
            free(f);
            /* Something was stored. */
            char *dir = str_printf("%s/%s/c", root, path);
            CHECK_MSG(count_files(dir) > 0, "%s: no chunk stored by a partial write", c->name);
            free(dir);
        }
    }

    /* The whole array at once. */
    {
        uint64_t n = nd_count(nd, c->shape);
        unsigned char *src = gen_buffer(c->dtype, n, 2);
        uint64_t zero[MAXD] = {0};
        CHECK_OK_CTX(zarrio_array_write(a, nd, zero, c->shape, src, (size_t)n * e, NULL), "%s: whole", c->name);
        ref_set(&ref, zero, c->shape, src, NULL);
        free(src);
        CHECK_READ_ALL(a, &ref, "after writing the whole array");
    }

    /* Partial writes of every region shape, alternating thread counts;
     * after each, the whole array and every region read back right. */
    for (size_t i = 0; i < nreg; i++) {
        const region_t *rg = &regions[i];
        uint64_t n = nd_count(nd, rg->shape);
        unsigned char *src = gen_buffer(c->dtype, n, 10 + (unsigned)i);
        CHECK_OK(zarrio_array_set_threads(a, (i % 2) ? 2 : 1));
        CHECK_OK_CTX(zarrio_array_write(a, nd, rg->start, rg->shape, src, (size_t)n * e, NULL), "%s: write %s",
                     c->name, rg->what);
        ref_set(&ref, rg->start, rg->shape, src, NULL);
        free(src);
        char what[200];
        snprintf(what, sizeof what, "%s: full read after writing %s", c->name, rg->what);
        CHECK_READ_ALL(a, &ref, what);
    }
    CHECK_OK(zarrio_array_set_threads(a, 0));
    for (size_t i = 0; i < nreg; i++) {
        char what[200];
        snprintf(what, sizeof what, "%s: read of %s", c->name, regions[i].what);
        CHECK_READ_REGION(a, &ref, regions[i].start, regions[i].shape, what);
    }

    /* Strided reads: Fortran order and views of a bigger buffer. */
    for (size_t i = 0; i < nreg; i++) {
        check_fortran_read(c, a, &ref, &regions[i]);
        check_view_read(c, a, &ref, &regions[i]);
    }
    {
        /* The whole array in Fortran order too. */
        region_t all = {"whole array", {0}, {0}};
        for (size_t d = 0; d < nd; d++) all.shape[d] = c->shape[d];
        check_fortran_read(c, a, &ref, &all);
        check_view_read(c, a, &ref, &all);
    }
    /* Strided writes. */
    strided_writes(c, a, &ref, &regions[1], 50);
    strided_writes(c, a, &ref, &regions[2], 60);

    /* Thread counts 1 and 2 read identical bytes. */
    {
        uint64_t n = nd_count(nd, c->shape);
        size_t bytes = (size_t)n * e;
        unsigned char *b1 = (unsigned char *)xmalloc(bytes), *b2 = (unsigned char *)xmalloc(bytes);
        memset(b1, 1, bytes);
        memset(b2, 2, bytes);
        uint64_t zero[MAXD] = {0};
        CHECK_OK(zarrio_array_set_threads(a, 1));
        CHECK_OK(zarrio_array_read(a, nd, zero, c->shape, b1, bytes, NULL));
        CHECK_OK(zarrio_array_set_threads(a, 2));
        CHECK_OK(zarrio_array_read(a, nd, zero, c->shape, b2, bytes, NULL));
        CHECK_MSG(memcmp(b1, b2, bytes) == 0, "%s: reads with 1 and 2 threads differ", c->name);
        CHECK_OK(zarrio_array_set_threads(a, 0));
        free(b1);
        free(b2);
    }

    /* Reopening sees the same data and metadata. */
    {
        zarrio_array *b = NULL;
        CHECK_OK_CTX(zarrio_array_open(s, path, &b), "%s: reopen", c->name);
        if (b) {
            check_getters(c, b);
            CHECK_READ_ALL(b, &ref, "after reopening");
            char *attrs = NULL;
            CHECK_OK(zarrio_array_attributes(b, &attrs));
            CHECK_MSG(json_contains(attrs, "\"created_by\":\"test_array_rw\""), "%s: attributes %s", c->name,
                      attrs ? attrs : "(NULL)");
            zarrio_string_free(attrs);
            zarrio_array_free(b);
        }
    }

    /* fill: a region crossing chunks with a value, then everything with the
     * fill value, which leaves no chunk stored. */
    {
        unsigned char v[32];
        gen_elem(c->dtype, 12345, 99, v);
        const region_t *rg = &regions[1];
        CHECK_OK_CTX(zarrio_array_fill(a, nd, rg->start, rg->shape, v, e), "%s: fill", c->name);
        ref_fill(&ref, rg->start, rg->shape, v);
        CHECK_READ_ALL(a, &ref, "after fill with a value");
        uint64_t zero[MAXD] = {0};
        CHECK_OK_CTX(zarrio_array_fill(a, nd, zero, c->shape, v, e), "%s: fill all", c->name);
        ref_fill(&ref, zero, c->shape, v);
        CHECK_READ_ALL(a, &ref, "after filling everything with a value");
        CHECK_OK_CTX(zarrio_array_fill(a, nd, zero, c->shape, fill, e), "%s: fill all with the fill value", c->name);
        ref_fill(&ref, zero, c->shape, fill);
        CHECK_READ_ALL(a, &ref, "after filling everything with the fill value");
        if (root) {
            char *dir = str_printf("%s/%s/c", root, path);
            int nf = count_files(dir);
            CHECK_MSG(nf == 0, "%s: %d chunk files remain after filling with the fill value", c->name, nf);
            free(dir);
        }
    }
    ref_free(&ref);
    zarrio_array_free(a);
}

/* ---- fill, chunk files and whole-chunk I/O on a filesystem store ------- */

static void test_fill_and_chunks(zarrio_store *s, const char *root) {
    printf("  fill and whole-chunk I/O\n");
    const config_t *c = &CONFIGS[2]; /* int32 [bytes, zstd], 37x23 in 8x5, fill -3 */
    const char *path = "chunks";
    char *json = config_json(c, NULL);
    zarrio_array *a = NULL;
    REQUIRE_OK(zarrio_array_create(s, path, json, &a));
    free(json);
    size_t nd = 2, e = 4;
    int32_t fill = -3;
    ref_t ref;
    ref_init(&ref, nd, c->shape, e, (unsigned char *)&fill);
    uint64_t zero[2] = {0, 0};
    unsigned char *src = gen_buffer("int32", 37 * 23, 7);
    CHECK_OK(zarrio_array_write(a, nd, zero, c->shape, src, 37 * 23 * 4, NULL));
    ref_set(&ref, zero, c->shape, src, NULL);
    free(src);

    /* Filling chunk (0,0) completely with the fill value removes its file. */
    uint64_t c00[2] = {0, 0};
    char *f00 = chunk_file(root, path, 2, c00);
    CHECK_MSG(file_exists(f00), "%s missing after a full write", f00);
    {
        uint64_t st[2] = {0, 0}, sh[2] = {8, 5};
        CHECK_OK(zarrio_array_fill(a, 2, st, sh, &fill, sizeof fill));
        ref_fill(&ref, st, sh, (unsigned char *)&fill);
        CHECK_MSG(!file_exists(f00), "%s still exists after filling its chunk with the fill value", f00);
        CHECK_READ_ALL(a, &ref, "after filling chunk (0,0) with the fill value");
    }
    /* Filling part of a chunk with the fill value keeps it while other
     * elements differ, and removes it once all of it is the fill value. */
    uint64_t c12[2] = {1, 2};
    char *f12 = chunk_file(root, path, 2, c12);
    {
        uint64_t st[2] = {8, 10}, sh[2] = {4, 5};
        CHECK_OK(zarrio_array_fill(a, 2, st, sh, &fill, sizeof fill));
        ref_fill(&ref, st, sh, (unsigned char *)&fill);
        CHECK_MSG(file_exists(f12), "%s removed although half of it is not the fill value", f12);
        uint64_t st2[2] = {12, 10};
        CHECK_OK(zarrio_array_fill(a, 2, st2, sh, &fill, sizeof fill));
        ref_fill(&ref, st2, sh, (unsigned char *)&fill);
        CHECK_MSG(!file_exists(f12), "%s still exists although all of it is the fill value", f12);
        CHECK_READ_ALL(a, &ref, "after filling chunk (1,2) in two halves");
    }
    /* An edge chunk: filling its in-bounds part with the fill value removes it. */
    uint64_t c44[2] = {4, 4};
    char *f44 = chunk_file(root, path, 2, c44);
    {
        CHECK_MSG(file_exists(f44), "edge chunk %s missing", f44);
        uint64_t st[2] = {32, 20}, sh[2] = {5, 3};
        CHECK_OK(zarrio_array_fill(a, 2, st, sh, &fill, sizeof fill));
        ref_fill(&ref, st, sh, (unsigned char *)&fill);
        CHECK_MSG(!file_exists(f44), "edge chunk %s still exists after filling it with the fill value", f44);
        CHECK_READ_ALL(a, &ref, "after filling the edge chunk");
    }
    /* Filling with another value stores the chunks (a whole-chunk fill and
     * partial ones). */
    {
        int32_t v = 424242;
        uint64_t st[2] = {0, 0}, sh[2] = {13, 7};
        CHECK_OK(zarrio_array_fill(a, 2, st, sh, &v, sizeof v));
        ref_fill(&ref, st, sh, (unsigned char *)&v);
        CHECK_MSG(file_exists(f00), "%s not stored after filling it with a value", f00);
        CHECK_READ_ALL(a, &ref, "after fill with 424242");
        /* Writing the fill value through zarrio_array_write also erases. */
        int32_t fills[8 * 5];
        for (int i = 0; i < 40; i++) fills[i] = fill;
        uint64_t sh2[2] = {8, 5};
        CHECK_OK(zarrio_array_write(a, 2, st, sh2, fills, sizeof fills, NULL));
        ref_fill(&ref, st, sh2, (unsigned char *)&fill);
        CHECK_MSG(!file_exists(f00), "%s exists after writing the fill value over it", f00);
        CHECK_READ_ALL(a, &ref, "after writing fill values");
    }

    /* Whole-chunk I/O. */
    {
        int32_t chunk[8 * 5], out[8 * 5 + 4];
        /* A stored chunk reads as the reference block. */
        uint64_t c21[2] = {2, 1}, st[2] = {16, 5}, sh[2] = {8, 5};
        memset(out, 0, sizeof out);
        CHECK_OK(zarrio_array_read_chunk(a, 2, c21, out, sizeof out));
        ref_compare(__FILE__, __LINE__, "read_chunk (2,1)", &ref, st, sh, (unsigned char *)out, NULL);
        /* A missing chunk reads as the fill value. */
        CHECK_OK(zarrio_array_erase_chunk(a, 2, c21));
        uint64_t c21_[2] = {2, 1};
        char *f21 = chunk_file(root, path, 2, c21_);
        CHECK_MSG(!file_exists(f21), "%s exists after erase_chunk", f21);
        ref_fill(&ref, st, sh, (unsigned char *)&fill);
        memset(out, 0, sizeof out);
        CHECK_OK(zarrio_array_read_chunk(a, 2, c21, out, sizeof out));
        int all_fill = 1;
        for (int i = 0; i < 40; i++) all_fill &= out[i] == fill;
        CHECK_MSG(all_fill, "an erased chunk does not read as the fill value");
        CHECK_READ_ALL(a, &ref, "after erase_chunk");
        /* Erasing a missing chunk is fine. */
        CHECK_OK(zarrio_array_erase_chunk(a, 2, c21));
        /* write_chunk then read it back three ways. */
        for (int i = 0; i < 40; i++) chunk[i] = 1000 + i;
        CHECK_OK(zarrio_array_write_chunk(a, 2, c21, chunk, sizeof chunk));
        CHECK_MSG(file_exists(f21), "%s missing after write_chunk", f21);
        ref_set(&ref, st, sh, (unsigned char *)chunk, NULL);
        memset(out, 0, sizeof out);
        CHECK_OK(zarrio_array_read_chunk(a, 2, c21, out, sizeof chunk)); /* exact capacity */
        CHECK(memcmp(out, chunk, sizeof chunk) == 0);
        CHECK_READ_REGION(a, &ref, st, sh, "region of a chunk written with write_chunk");
        CHECK_READ_ALL(a, &ref, "after write_chunk");
        /* write_chunk of the fill value erases. */
        for (int i = 0; i < 40; i++) chunk[i] = fill;
        CHECK_OK(zarrio_array_write_chunk(a, 2, c21, chunk, sizeof chunk));
        CHECK_MSG(!file_exists(f21), "%s exists after write_chunk of fill values", f21);
        ref_fill(&ref, st, sh, (unsigned char *)&fill);
        free(f21);

        /* The edge chunk (4,4): in bounds are rows 32..36, cols 20..22. */
        for (int i = 0; i < 40; i++) chunk[i] = 5000 + i;
        CHECK_OK(zarrio_array_write_chunk(a, 2, c44, chunk, sizeof chunk));
        uint64_t est[2] = {32, 20}, esh[2] = {5, 3};
        int32_t inb[15];
        for (int r = 0; r < 5; r++)
            for (int q = 0; q < 3; q++) inb[r * 3 + q] = chunk[r * 5 + q];
        ref_set(&ref, est, esh, (unsigned char *)inb, NULL);
        CHECK_READ_ALL(a, &ref, "after write_chunk of the edge chunk");
        memset(out, 0, sizeof out);
        CHECK_OK(zarrio_array_read_chunk(a, 2, c44, out, sizeof out));
        CHECK_MSG(memcmp(out, chunk, sizeof chunk) == 0, "read_chunk of the edge chunk differs from what was written");
        /* A region write into the edge chunk pads the out-of-bounds part
         * with the fill value. */
        CHECK_OK(zarrio_array_erase_chunk(a, 2, c44));
        uint64_t one[2] = {1, 1}, pos[2] = {33, 21};
        int32_t val = 77;
        CHECK_OK(zarrio_array_write(a, 2, pos, one, &val, sizeof val, NULL));
        memset(out, 0, sizeof out);
        CHECK_OK(zarrio_array_read_chunk(a, 2, c44, out, sizeof out));
        int ok = 1;
        for (int r = 0; r < 8; r++)
            for (int q = 0; q < 5; q++) ok &= out[r * 5 + q] == ((r == 1 && q == 1) ? 77 : fill);
        CHECK_MSG(ok, "an edge chunk written by a region write is not padded with the fill value");
        ref_fill(&ref, est, esh, (unsigned char *)&fill);
        ref_set(&ref, pos, one, (unsigned char *)&val, NULL);
        CHECK_READ_ALL(a, &ref, "after the edge chunk region write");
    }

    /* Attributes: set, read, in the metadata, in zarr.json, after reopening. */
    {
        char *attrs = NULL;
        CHECK_OK(zarrio_array_attributes(a, &attrs));
        CHECK_MSG(attrs && strcmp(attrs, "{}") == 0, "attributes of a new array: %s", attrs ? attrs : "(NULL)");
        zarrio_string_free(attrs);
        CHECK_OK(zarrio_array_set_attributes(a, "{\"units\":\"m/s\",\"scale\":0.5,\"axes\":[\"y\",\"x\"]}"));
        attrs = NULL;
        CHECK_OK(zarrio_array_attributes(a, &attrs));
        CHECK_MSG(json_contains(attrs, "\"units\":\"m/s\"") && json_contains(attrs, "\"scale\":0.5") &&
                      json_contains(attrs, "\"axes\":[\"y\",\"x\"]"),
                  "attributes after set: %s", attrs ? attrs : "(NULL)");
        zarrio_string_free(attrs);
        char *meta = NULL;
        CHECK_OK(zarrio_array_metadata(a, &meta));
        CHECK_MSG(json_contains(meta, "\"attributes\":{\"units\":\"m/s\""), "metadata: %s", meta ? meta : "(NULL)");
        CHECK_MSG(json_contains(meta, "\"fill_value\":-3"), "metadata: %s", meta ? meta : "(NULL)");
        CHECK_MSG(json_contains(meta, "\"chunk_shape\":[8,5]"), "metadata: %s", meta ? meta : "(NULL)");
        CHECK_MSG(json_contains(meta, "\"name\":\"zstd\""), "metadata: %s", meta ? meta : "(NULL)");
        zarrio_string_free(meta);
        char *zj = str_printf("%s/%s/zarr.json", root, path);
        size_t n = 0;
        unsigned char *text = read_file_bytes(zj, &n);
        CHECK(text != NULL);
        if (text) {
            char *t = (char *)xmalloc(n + 1);
            memcpy(t, text, n);
            t[n] = 0;
            CHECK_MSG(json_contains(t, "\"units\":\"m/s\""), "zarr.json on disk: %s", t);
            free(t);
            free(text);
        }
        free(zj);
        zarrio_array *b = NULL;
        CHECK_OK(zarrio_array_open(s, path, &b));
        if (b) {
            attrs = NULL;
            CHECK_OK(zarrio_array_attributes(b, &attrs));
            CHECK_MSG(json_contains(attrs, "\"units\":\"m/s\"") && json_contains(attrs, "\"scale\":0.5"),
                      "attributes after reopen: %s", attrs ? attrs : "(NULL)");
            zarrio_string_free(attrs);
            /* Setting attributes kept the data. */
            CHECK_READ_ALL(b, &ref, "after set_attributes and reopen");
            zarrio_array_free(b);
        }
        /* Replace, not merge. */
        CHECK_OK(zarrio_array_set_attributes(a, "{\"only\":1}"));
        attrs = NULL;
        CHECK_OK(zarrio_array_attributes(a, &attrs));
        CHECK_MSG(attrs && json_contains(attrs, "\"only\":1") && !json_contains(attrs, "units"),
                  "attributes after a second set: %s", attrs ? attrs : "(NULL)");
        zarrio_string_free(attrs);
    }

    /* The same data written with 1 and 2 threads gives identical chunk files. */
    {
        char *j = config_json(c, NULL);
        zarrio_array *t1 = NULL, *t2 = NULL;
        CHECK_OK(zarrio_array_create(s, "threads1", j, &t1));
        CHECK_OK(zarrio_array_create(s, "threads2", j, &t2));
        free(j);
        if (t1 && t2) {
            CHECK_OK(zarrio_array_set_threads(t1, 1));
            CHECK_OK(zarrio_array_set_threads(t2, 2));
            unsigned char *d = gen_buffer("int32", 37 * 23, 77);
            CHECK_OK(zarrio_array_write(t1, 2, zero, c->shape, d, 37 * 23 * 4, NULL));
            CHECK_OK(zarrio_array_write(t2, 2, zero, c->shape, d, 37 * 23 * 4, NULL));
            uint64_t rs[2] = {3, 4}, rsh[2] = {30, 17};
            CHECK_OK(zarrio_array_fill(t1, 2, rs, rsh, &fill, 4));
            CHECK_OK(zarrio_array_fill(t2, 2, rs, rsh, &fill, 4));
            free(d);
            uint64_t idx[2];
            int same = 1, count = 0;
            for (idx[0] = 0; idx[0] < 5; idx[0]++)
                for (idx[1] = 0; idx[1] < 5; idx[1]++) {
                    char *p1 = chunk_file(root, "threads1", 2, idx), *p2 = chunk_file(root, "threads2", 2, idx);
                    size_t n1 = 0, n2 = 0;
                    unsigned char *b1 = read_file_bytes(p1, &n1), *b2 = read_file_bytes(p2, &n2);
                    if ((b1 == NULL) != (b2 == NULL) || (b1 && (n1 != n2 || memcmp(b1, b2, n1) != 0))) same = 0;
                    count += b1 != NULL;
                    free(b1);
                    free(b2);
                    free(p1);
                    free(p2);
                }
            CHECK_MSG(same, "chunk files written with 1 and 2 threads differ");
            CHECK(count > 0);
        }
        zarrio_array_free(t1);
        zarrio_array_free(t2);
    }

    free(f00);
    free(f12);
    free(f44);
    ref_free(&ref);
    zarrio_array_free(a);
}

/* Whole-shard I/O on a sharded array. */
static void test_sharded_chunks(zarrio_store *s, const char *root) {
    printf("  sharded whole-chunk I/O\n");
    const config_t *c = &CONFIGS[9]; /* int32 37x23, shards 16x10, inner 4x5, fill 0 */
    const char *path = "sharded_chunks";
    char *json = config_json(c, NULL);
    zarrio_array *a = NULL;
    REQUIRE_OK(zarrio_array_create(s, path, json, &a));
    free(json);
    int32_t fill = 0;
    ref_t ref;
    ref_init(&ref, 2, c->shape, 4, (unsigned char *)&fill);
    int32_t shard[16 * 10], out[16 * 10];
    for (int i = 0; i < 160; i++) shard[i] = i % 7 == 0 ? 0 : 100 + i; /* some zeros */
    uint64_t s10[2] = {1, 0}, st[2] = {16, 0}, sh[2] = {16, 10};
    CHECK_OK(zarrio_array_write_chunk(a, 2, s10, shard, sizeof shard));
    ref_set(&ref, st, sh, (unsigned char *)shard, NULL);
    char *f10 = chunk_file(root, path, 2, s10);
    CHECK_MSG(file_exists(f10), "shard %s missing after write_chunk", f10);
    memset(out, 0xff, sizeof out);
    CHECK_OK(zarrio_array_read_chunk(a, 2, s10, out, sizeof out));
    CHECK(memcmp(out, shard, sizeof shard) == 0);
    CHECK_READ_ALL(a, &ref, "sharded: after write_chunk");
    /* A read of one inner chunk and of a region crossing inner chunks and shards. */
    uint64_t ist[2] = {20, 5}, ish[2] = {4, 5};
    CHECK_READ_REGION(a, &ref, ist, ish, "sharded: one inner chunk");
    uint64_t xst[2] = {13, 7}, xsh[2] = {9, 12};
    CHECK_READ_REGION(a, &ref, xst, xsh, "sharded: region crossing shards");
    /* A partial write into the shard keeps the rest. */
    int32_t small[3 * 4];
    for (int i = 0; i < 12; i++) small[i] = -i - 1;
    uint64_t pst[2] = {18, 3}, psh[2] = {3, 4};
    CHECK_OK(zarrio_array_write(a, 2, pst, psh, small, sizeof small, NULL));
    ref_set(&ref, pst, psh, (unsigned char *)small, NULL);
    CHECK_READ_ALL(a, &ref, "sharded: after a partial write");
    /* The last shard is an edge shard: rows 32..36, cols 20..22. */
    uint64_t s22[2] = {2, 2};
    memset(out, 0xff, sizeof out);
    CHECK_OK(zarrio_array_read_chunk(a, 2, s22, out, sizeof out));
    int all_fill = 1;
    for (int i = 0; i < 160; i++) all_fill &= out[i] == 0;
    CHECK_MSG(all_fill, "a missing shard does not read as the fill value");
    uint64_t est[2] = {35, 21}, esh[2] = {2, 2};
    int32_t ev[4] = {1, 2, 3, 4};
    CHECK_OK(zarrio_array_write(a, 2, est, esh, ev, sizeof ev, NULL));
    ref_set(&ref, est, esh, (unsigned char *)ev, NULL);
    CHECK_READ_ALL(a, &ref, "sharded: after writing into the edge shard");
    memset(out, 0xff, sizeof out);
    CHECK_OK(zarrio_array_read_chunk(a, 2, s22, out, sizeof out));
    /* In the shard: rows 3..4, cols 1..2; everything else is fill. */
    int ok = 1;
    for (int r = 0; r < 16; r++)
        for (int q = 0; q < 10; q++) {
            int32_t exp = (r >= 3 && r < 5 && q >= 1 && q < 3) ? ev[(r - 3) * 2 + (q - 1)] : 0;
            ok &= out[r * 10 + q] == exp;
        }
    CHECK_MSG(ok, "read_chunk of the edge shard is wrong");
    /* Erase the shard, and a shard written as all fill is not stored. */
    CHECK_OK(zarrio_array_erase_chunk(a, 2, s10));
    CHECK_MSG(!file_exists(f10), "shard %s exists after erase_chunk", f10);
    ref_fill(&ref, st, sh, (unsigned char *)&fill);
    CHECK_READ_ALL(a, &ref, "sharded: after erase_chunk");
    memset(shard, 0, sizeof shard);
    CHECK_OK(zarrio_array_write_chunk(a, 2, s10, shard, sizeof shard));
    CHECK_MSG(!file_exists(f10), "an all-fill shard %s was stored", f10);
    /* Filling a whole shard with a value, then the part of the edge shard
     * with the fill value removes the edge shard file. */
    int32_t v = 9;
    CHECK_OK(zarrio_array_fill(a, 2, st, sh, &v, sizeof v));
    ref_fill(&ref, st, sh, (unsigned char *)&v);
    CHECK_MSG(file_exists(f10), "shard %s missing after fill with 9", f10);
    CHECK_READ_ALL(a, &ref, "sharded: after fill");
    char *f22 = chunk_file(root, path, 2, s22);
    CHECK_MSG(file_exists(f22), "edge shard %s missing", f22);
    uint64_t e2st[2] = {32, 20}, e2sh[2] = {5, 3};
    CHECK_OK(zarrio_array_fill(a, 2, e2st, e2sh, &fill, sizeof fill));
    ref_fill(&ref, e2st, e2sh, (unsigned char *)&fill);
    CHECK_MSG(!file_exists(f22), "edge shard %s exists after filling it with the fill value", f22);
    CHECK_READ_ALL(a, &ref, "sharded: after fill of the edge shard");
    free(f22);
    free(f10);
    ref_free(&ref);
    zarrio_array_free(a);
}

/* ---- 0-d and zero-length arrays ---------------------------------------- */

static void test_zero_d(zarrio_store *s, const char *root) {
    printf("  0-d array\n");
    const char *json =
        "{\"zarr_format\":3,\"node_type\":\"array\",\"shape\":[],\"data_type\":\"float32\","
        "\"chunk_grid\":{\"name\":\"regular\",\"configuration\":{\"chunk_shape\":[]}},"
        "\"chunk_key_encoding\":{\"name\":\"default\",\"configuration\":{\"separator\":\"/\"}},"
        "\"fill_value\":0.5,\"codecs\":[" BYTES_LE "," ZSTD "],\"attributes\":{}}";
    zarrio_array *a = NULL;
    REQUIRE_OK(zarrio_array_create(s, "scalar", json, &a));
    size_t nd = 9;
    CHECK_OK(zarrio_array_ndim(a, &nd));
    CHECK(nd == 0);
    uint64_t dummy[1] = {12345};
    CHECK_OK(zarrio_array_shape(a, dummy, 0));
    CHECK_OK(zarrio_array_chunk_shape(a, dummy, 1));
    CHECK_OK(zarrio_array_inner_chunk_shape(a, dummy, 1));
    CHECK(dummy[0] == 12345);
    float v = 0;
    CHECK_OK(zarrio_array_read(a, 0, NULL, NULL, &v, sizeof v, NULL));
    CHECK_MSG(v == 0.5f, "0-d array reads %g before any write, expected the fill value 0.5", v);
    char *cf = str_printf("%s/scalar/c", root);
    CHECK(!file_exists(cf));
    float w = 3.25f;
    CHECK_OK(zarrio_array_write(a, 0, NULL, NULL, &w, sizeof w, NULL));
    CHECK_MSG(file_exists(cf), "0-d chunk file %s missing", cf);
    v = 0;
    CHECK_OK(zarrio_array_read(a, 0, NULL, NULL, &v, sizeof v, NULL));
    CHECK(v == 3.25f);
    /* Non-NULL (ignored) start/shape/strides pointers work too. */
    uint64_t st[1] = {0}, sh[1] = {0};
    int64_t strd[1] = {1};
    v = 0;
    CHECK_OK(zarrio_array_read(a, 0, st, sh, &v, sizeof v, strd));
    CHECK(v == 3.25f);
    v = 0;
    CHECK_OK(zarrio_array_read_chunk(a, 0, NULL, &v, sizeof v));
    CHECK(v == 3.25f);
    CHECK_STATUS(zarrio_array_read(a, 0, NULL, NULL, &v, sizeof v - 1, NULL), ZARRIO_ERR_BUFFER_TOO_SMALL);
    CHECK_STATUS(zarrio_array_read(a, 1, st, sh, &v, sizeof v, NULL), ZARRIO_ERR_INVALID_ARGUMENT);
    float f = 0.5f;
    CHECK_OK(zarrio_array_fill(a, 0, NULL, NULL, &f, sizeof f));
    CHECK_MSG(!file_exists(cf), "0-d chunk file exists after filling with the fill value");
    v = 0;
    CHECK_OK(zarrio_array_read(a, 0, NULL, NULL, &v, sizeof v, NULL));
    CHECK(v == 0.5f);
    float g = -8.0f;
    CHECK_OK(zarrio_array_fill(a, 0, NULL, NULL, &g, sizeof g));
    CHECK(file_exists(cf));
    CHECK_OK(zarrio_array_read(a, 0, NULL, NULL, &v, sizeof v, NULL));
    CHECK(v == -8.0f);
    float h = 1.0f;
    CHECK_OK(zarrio_array_write_chunk(a, 0, NULL, &h, sizeof h));
    CHECK_OK(zarrio_array_read(a, 0, NULL, NULL, &v, sizeof v, NULL));
    CHECK(v == 1.0f);
    CHECK_OK(zarrio_array_erase_chunk(a, 0, NULL));
    CHECK(!file_exists(cf));
    CHECK_OK(zarrio_array_read(a, 0, NULL, NULL, &v, sizeof v, NULL));
    CHECK(v == 0.5f);
    zarrio_array *b = NULL;
    CHECK_OK(zarrio_array_open(s, "scalar", &b));
    if (b) {
        char *meta = NULL;
        CHECK_OK(zarrio_array_metadata(b, &meta));
        CHECK_MSG(json_contains(meta, "\"shape\":[]"), "0-d metadata: %s", meta ? meta : "(NULL)");
        zarrio_string_free(meta);
        zarrio_array_free(b);
    }
    free(cf);
    zarrio_array_free(a);
}

static void test_zero_length(zarrio_store *s, const char *root) {
    printf("  zero-length dimension\n");
    uint64_t shape[2] = {0, 5}, chunk[2] = {2, 5};
    char *json = make_array_json(2, shape, chunk, "int16", "3", "[" BYTES_LE "," GZIP "]", NULL);
    zarrio_array *a = NULL;
    REQUIRE_OK(zarrio_array_create(s, "empty", json, &a));
    free(json);
    uint64_t got[2] = {9, 9};
    CHECK_OK(zarrio_array_shape(a, got, 2));
    CHECK(got[0] == 0 && got[1] == 5);
    uint64_t st[2] = {0, 0}, sh[2] = {0, 5};
    int16_t buf[4] = {1, 2, 3, 4};
    CHECK_OK(zarrio_array_read(a, 2, st, sh, NULL, 0, NULL));
    CHECK_OK(zarrio_array_read(a, 2, st, sh, buf, sizeof buf, NULL));
    CHECK(buf[0] == 1 && buf[3] == 4); /* nothing written */
    CHECK_OK(zarrio_array_write(a, 2, st, sh, NULL, 0, NULL));
    CHECK_OK(zarrio_array_write(a, 2, st, sh, buf, sizeof buf, NULL));
    int16_t v = 8;
    CHECK_OK(zarrio_array_fill(a, 2, st, sh, &v, sizeof v));
    char *dir = str_printf("%s/empty/c", root);
    CHECK_MSG(count_files(dir) == 0, "an array with a zero-length dimension has chunk files");
    free(dir);
    uint64_t sh1[2] = {1, 5}, c00[2] = {0, 0};
    int16_t big[64];
    CHECK_STATUS(zarrio_array_read(a, 2, st, sh1, big, sizeof big, NULL), ZARRIO_ERR_OUT_OF_BOUNDS);
    CHECK_STATUS(zarrio_array_read_chunk(a, 2, c00, big, sizeof big), ZARRIO_ERR_OUT_OF_BOUNDS);
    zarrio_array_free(a);

    /* Zero length in the last dimension, on a non-empty first one. */
    uint64_t shape2[2] = {6, 0}, chunk2[2] = {4, 3};
    json = make_array_json(2, shape2, chunk2, "uint32", "0", "[" BYTES_LE "]", NULL);
    REQUIRE_OK(zarrio_array_create(s, "empty2", json, &a));
    free(json);
    uint64_t st2[2] = {3, 0}, sh2[2] = {3, 0};
    CHECK_OK(zarrio_array_read(a, 2, st2, sh2, NULL, 0, NULL));
    CHECK_OK(zarrio_array_write(a, 2, st2, sh2, NULL, 0, NULL));
    uint64_t sh3[2] = {4, 0};
    CHECK_STATUS(zarrio_array_read(a, 2, st2, sh3, NULL, 0, NULL), ZARRIO_ERR_OUT_OF_BOUNDS);
    zarrio_array *b = NULL;
    CHECK_OK(zarrio_array_open(s, "empty2", &b));
    zarrio_array_free(b);
    zarrio_array_free(a);
}

/* Creating over an existing array replaces it (and drops its chunks). */
static void test_replace(zarrio_store *s, const char *root) {
    printf("  create replaces an existing node\n");
    const config_t *c = &CONFIGS[0];
    char *json = config_json(c, NULL);
    zarrio_array *a = NULL;
    REQUIRE_OK(zarrio_array_create(s, "replace", json, &a));
    uint16_t v = 1;
    uint64_t zero[2] = {0, 0};
    CHECK_OK(zarrio_array_fill(a, 2, zero, c->shape, &v, sizeof v));
    zarrio_array_free(a);
    char *dir = str_printf("%s/replace/c", root);
    CHECK(count_files(dir) == 25);
    a = NULL;
    CHECK_OK(zarrio_array_create(s, "replace", json, &a));
    CHECK_MSG(count_files(dir) == 0, "chunks of the replaced array remain");
    if (a) {
        uint16_t fill = 7;
        ref_t ref;
        ref_init(&ref, 2, c->shape, 2, (unsigned char *)&fill);
        CHECK_READ_ALL(a, &ref, "a replaced array reads as the fill value");
        ref_free(&ref);
    }
    zarrio_array_free(a);
    free(dir);
    free(json);
}

/* -0.0 is not the fill value 0.0: empty-chunk detection compares bits. */
static void test_negative_zero(zarrio_store *s, const char *root) {
    printf("  -0.0 against a 0.0 fill value, NaN against a NaN fill value\n");
    uint64_t shape[1] = {12}, chunk[1] = {4};
    char *json = make_array_json(1, shape, chunk, "float64", "0.0", "[" BYTES_LE "]", NULL);
    zarrio_array *a = NULL;
    REQUIRE_OK(zarrio_array_create(s, "negzero", json, &a));
    free(json);
    double nz[4] = {-0.0, -0.0, -0.0, -0.0}, out[12];
    uint64_t st[1] = {4}, sh[1] = {4}, c1[1] = {1}, zero[1] = {0};
    CHECK_OK(zarrio_array_write(a, 1, st, sh, nz, sizeof nz, NULL));
    char *f = chunk_file(root, "negzero", 1, c1);
    CHECK_MSG(file_exists(f), "a chunk of -0.0 was treated as the fill value 0.0 and not stored");
    memset(out, 0, sizeof out);
    CHECK_OK(zarrio_array_read(a, 1, zero, shape, out, sizeof out, NULL));
    int ok = 1;
    for (int i = 0; i < 12; i++) {
        uint64_t bits;
        memcpy(&bits, &out[i], 8);
        ok &= bits == ((i >= 4 && i < 8) ? 0x8000000000000000ull : 0);
    }
    CHECK_MSG(ok, "-0.0 did not survive the round trip bit-exactly");
    double pz = 0.0;
    CHECK_OK(zarrio_array_fill(a, 1, st, sh, &pz, sizeof pz));
    CHECK_MSG(!file_exists(f), "a chunk of 0.0 (the fill value) is still stored");
    free(f);
    zarrio_array_free(a);

    /* A NaN fill value: a chunk of NaN (same bits) is not stored; another NaN payload is. */
    json = make_array_json(1, shape, chunk, "float32", "\"NaN\"", "[" BYTES_LE "]", NULL);
    REQUIRE_OK(zarrio_array_create(s, "nanfill", json, &a));
    free(json);
    uint32_t canon = 0x7fc00000u, payload = 0x7fc00001u;
    float fn, fp;
    memcpy(&fn, &canon, 4);
    memcpy(&fp, &payload, 4);
    float four[4] = {fn, fn, fn, fn};
    CHECK_OK(zarrio_array_write(a, 1, st, sh, four, sizeof four, NULL));
    f = chunk_file(root, "nanfill", 1, c1);
    CHECK_MSG(!file_exists(f), "a chunk of NaN equal to the NaN fill value was stored");
    four[2] = fp;
    CHECK_OK(zarrio_array_write(a, 1, st, sh, four, sizeof four, NULL));
    CHECK_MSG(file_exists(f), "a chunk with a different NaN payload was not stored");
    float back[4];
    CHECK_OK(zarrio_array_read(a, 1, st, sh, back, sizeof back, NULL));
    uint32_t b2;
    memcpy(&b2, &back[2], 4);
    CHECK_MSG(b2 == payload, "NaN payload 0x7fc00001 read back as 0x%08x", b2);
    free(f);
    zarrio_array_free(a);
}

/* Many threads on one handle: each writes its own band of chunks and reads
 * it back, and reads the whole array (other bands old or new, never torn). */
#define CT_THREADS 4
#define CT_N 64
typedef struct {
    zarrio_array *a;
    int k;
    int errors;
    char message[256];
} ct_arg;

static int32_t ct_old(uint64_t r, uint64_t q) { return (int32_t)(r * CT_N + q); }
static int32_t ct_new(uint64_t r, uint64_t q) { return -(int32_t)(r * CT_N + q) - 1; }

static void *ct_main(void *p) {
    ct_arg *arg = (ct_arg *)p;
    int32_t *band = (int32_t *)xmalloc(16 * CT_N * 4), *all = (int32_t *)xmalloc(CT_N * CT_N * 4);
    uint64_t st[2] = {16 * (uint64_t)arg->k, 0}, sh[2] = {16, CT_N}, zero[2] = {0, 0}, full[2] = {CT_N, CT_N};
    for (int round = 0; round < 3; round++) {
        for (uint64_t r = 0; r < 16; r++)
            for (uint64_t q = 0; q < CT_N; q++) band[r * CT_N + q] = ct_new(st[0] + r, q);
        zarrio_status s = zarrio_array_write(arg->a, 2, st, sh, band, 16 * CT_N * 4, NULL);
        if (s != ZARRIO_OK) {
            arg->errors++;
            zarrio_last_error_copy(arg->message, sizeof arg->message);
            break;
        }
        memset(band, 0, 16 * CT_N * 4);
        s = zarrio_array_read(arg->a, 2, st, sh, band, 16 * CT_N * 4, NULL);
        if (s != ZARRIO_OK) {
            arg->errors++;
            zarrio_last_error_copy(arg->message, sizeof arg->message);
            break;
        }
        for (uint64_t r = 0; r < 16; r++)
            for (uint64_t q = 0; q < CT_N; q++)
                if (band[r * CT_N + q] != ct_new(st[0] + r, q)) {
                    arg->errors++;
                    snprintf(arg->message, sizeof arg->message, "own band reads wrong at (%llu,%llu)",
                             (unsigned long long)(st[0] + r), (unsigned long long)q);
                    goto done;
                }
        s = zarrio_array_read(arg->a, 2, zero, full, all, CT_N * CT_N * 4, NULL);
        if (s != ZARRIO_OK) {
            arg->errors++;
            zarrio_last_error_copy(arg->message, sizeof arg->message);
            break;
        }
        /* Every 8x8 chunk is wholly old or wholly new. */
        for (uint64_t cr = 0; cr < CT_N / 8; cr++)
            for (uint64_t cq = 0; cq < CT_N / 8; cq++) {
                int is_old = 1, is_new = 1;
                for (uint64_t r = cr * 8; r < cr * 8 + 8; r++)
                    for (uint64_t q = cq * 8; q < cq * 8 + 8; q++) {
                        is_old &= all[r * CT_N + q] == ct_old(r, q);
                        is_new &= all[r * CT_N + q] == ct_new(r, q);
                    }
                if (!is_old && !is_new) {
                    arg->errors++;
                    snprintf(arg->message, sizeof arg->message, "chunk (%llu,%llu) is neither old nor new",
                             (unsigned long long)cr, (unsigned long long)cq);
                    goto done;
                }
            }
    }
done:
    free(band);
    free(all);
    return NULL;
}

static void test_concurrent(zarrio_store *s) {
    printf("  concurrent reads and writes on one handle\n");
    uint64_t shape[2] = {CT_N, CT_N}, chunk[2] = {8, 8}, zero[2] = {0, 0};
    char *json = make_array_json(2, shape, chunk, "int32", "0", "[" BYTES_LE "," ZSTD "]", NULL);
    zarrio_array *a = NULL;
    REQUIRE_OK(zarrio_array_create(s, "concurrent", json, &a));
    free(json);
    int32_t *init = (int32_t *)xmalloc(CT_N * CT_N * 4);
    for (uint64_t r = 0; r < CT_N; r++)
        for (uint64_t q = 0; q < CT_N; q++) init[r * CT_N + q] = ct_old(r, q);
    CHECK_OK(zarrio_array_write(a, 2, zero, shape, init, CT_N * CT_N * 4, NULL));
    CHECK_OK(zarrio_array_set_threads(a, 2));
    pthread_t th[CT_THREADS];
    ct_arg args[CT_THREADS];
    int started[CT_THREADS] = {0};
    for (int k = 0; k < CT_THREADS; k++) {
        memset(&args[k], 0, sizeof args[k]);
        args[k].a = a;
        args[k].k = k;
        started[k] = pthread_create(&th[k], NULL, ct_main, &args[k]) == 0;
        CHECK(started[k]);
    }
    for (int k = 0; k < CT_THREADS; k++) {
        if (started[k]) CHECK(pthread_join(th[k], NULL) == 0);
        CHECK_MSG(args[k].errors == 0, "thread %d: %s", k, args[k].message);
    }
    memset(init, 0, CT_N * CT_N * 4);
    CHECK_OK(zarrio_array_read(a, 2, zero, shape, init, CT_N * CT_N * 4, NULL));
    int ok = 1;
    for (uint64_t r = 0; r < CT_N; r++)
        for (uint64_t q = 0; q < CT_N; q++) ok &= init[r * CT_N + q] == ct_new(r, q);
    CHECK_MSG(ok, "after concurrent writes of disjoint bands the array is wrong");
    free(init);
    zarrio_array_free(a);
}

/* A shard written by hand the way other implementations may write one:
 * inner chunks out of order, with a gap, an empty inner chunk and two
 * entries sharing bytes. */
static void put_le64(unsigned char *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static void test_handmade_shard(zarrio_store *s, const char *root) {
    printf("  a hand-made shard (out of order, gap, empty and shared inner chunks)\n");
    uint64_t shape[2] = {12, 10}, chunk[2] = {12, 10};
    const char *codecs = "[{\"name\":\"sharding_indexed\",\"configuration\":{\"chunk_shape\":[4,5],\"codecs\":[" BYTES_LE
                         "],\"index_codecs\":[" BYTES_LE "],\"index_location\":\"end\"}}]";
    char *json = make_array_json(2, shape, chunk, "uint16", "0", codecs, NULL);
    zarrio_array *a = NULL;
    REQUIRE_OK(zarrio_array_create(s, "handmade", json, &a));
    free(json);
    /* Inner chunks (3 x 2 grid, C order) 0..5; each 4x5 uint16 = 40 bytes. */
    uint16_t inner[6][20];
    for (int k = 0; k < 6; k++)
        for (int i = 0; i < 20; i++) inner[k][i] = (uint16_t)(100 * (k + 1) + i);
    /* Body: 7 junk bytes, then inner 5, 4, 1, 0; inner 3 shares inner 0's
     * bytes; inner 2 is empty. */
    unsigned char file[7 + 4 * 40 + 6 * 16];
    memset(file, 0xEE, 7);
    size_t off = 7;
    uint64_t offsets[6];
    const int order[4] = {5, 4, 1, 0};
    for (int j = 0; j < 4; j++) {
        int k = order[j];
        for (int i = 0; i < 20; i++) {
            file[off + 2 * i] = (unsigned char)(inner[k][i] & 0xff);
            file[off + 2 * i + 1] = (unsigned char)(inner[k][i] >> 8);
        }
        offsets[k] = off;
        off += 40;
    }
    offsets[3] = offsets[0];
    unsigned char *idx = file + off;
    for (int k = 0; k < 6; k++) {
        put_le64(idx + 16 * k, k == 2 ? UINT64_MAX : offsets[k]);
        put_le64(idx + 16 * k + 8, k == 2 ? UINT64_MAX : 40);
    }
    uint64_t c00[2] = {0, 0};
    char *f = chunk_file(root, "handmade", 2, c00);
    char *d = str_printf("%s/handmade/c/0", root);
    REQUIRE(mkdir_p(d) == 0);
    REQUIRE(write_file_bytes(f, file, sizeof file) == 0);
    free(d);

    uint16_t fill = 0;
    ref_t ref;
    ref_init(&ref, 2, shape, 2, (unsigned char *)&fill);
    for (int k = 0; k < 6; k++) {
        if (k == 2) continue;
        uint64_t st[2] = {(uint64_t)(k / 2) * 4, (uint64_t)(k % 2) * 5}, sh[2] = {4, 5};
        ref_set(&ref, st, sh, (unsigned char *)(k == 3 ? inner[0] : inner[k]), NULL);
    }
    CHECK_READ_ALL(a, &ref, "a hand-made shard");
    uint64_t st[2] = {2, 3}, sh[2] = {9, 5};
    CHECK_READ_REGION(a, &ref, st, sh, "part of a hand-made shard");
    uint64_t st2[2] = {5, 6}, sh2[2] = {2, 2};
    CHECK_READ_REGION(a, &ref, st2, sh2, "an inner chunk that shares bytes");
    uint64_t st3[2] = {8, 1}, sh3[2] = {3, 3};
    CHECK_READ_REGION(a, &ref, st3, sh3, "an empty inner chunk");
    uint16_t whole[12 * 10];
    CHECK_OK(zarrio_array_read_chunk(a, 2, c00, whole, sizeof whole));
    uint64_t zero[2] = {0, 0};
    ref_compare(__FILE__, __LINE__, "read_chunk of a hand-made shard", &ref, zero, shape, (unsigned char *)whole, NULL);
    /* A partial write across inner chunks 0, 1, 2 and 3. */
    uint16_t w[6 * 4];
    for (int i = 0; i < 24; i++) w[i] = (uint16_t)(9000 + i);
    uint64_t wst[2] = {2, 3}, wsh[2] = {6, 4};
    CHECK_OK(zarrio_array_write(a, 2, wst, wsh, w, sizeof w, NULL));
    ref_set(&ref, wst, wsh, (unsigned char *)w, NULL);
    CHECK_READ_ALL(a, &ref, "after writing into a hand-made shard");
    /* Only inner chunk 0 written partly: inner 3 (which shared its bytes)
     * keeps the old values. */
    uint16_t w0 = 4242;
    uint64_t pst[2] = {0, 0}, one[2] = {1, 1};
    CHECK_OK(zarrio_array_write(a, 2, pst, one, &w0, sizeof w0, NULL));
    ref_set(&ref, pst, one, (unsigned char *)&w0, NULL);
    CHECK_READ_ALL(a, &ref, "after a one-element write into a hand-made shard");
    zarrio_array *b = NULL;
    CHECK_OK(zarrio_array_open(s, "handmade", &b));
    if (b) CHECK_READ_ALL(b, &ref, "a hand-made shard after reopening");
    zarrio_array_free(b);
    free(f);
    ref_free(&ref);
    zarrio_array_free(a);
}

int main(int argc, char **argv) {
    char *dir = make_scratch_dir(argc, argv, "array_rw");
    char *root = path_join(dir, "store");
    zarrio_store *fs = NULL, *mem = NULL;
    REQUIRE_OK(zarrio_store_open_filesystem(root, &fs));
    REQUIRE_OK(zarrio_store_create_memory(&mem));

    for (size_t i = 0; i < NCONFIGS; i++) {
        char path[32];
        snprintf(path, sizeof path, "g/arr%zu", i);
        exercise(fs, root, &CONFIGS[i], path);
    }
    /* A few on a memory store too. */
    exercise(mem, NULL, &CONFIGS[0], "m0");
    exercise(mem, NULL, &CONFIGS[5], "m5");
    exercise(mem, NULL, &CONFIGS[9], "deep/m9");
    exercise(mem, NULL, &CONFIGS[12], "m12");
    exercise(mem, NULL, &CONFIGS[14], "m14");

    test_fill_and_chunks(fs, root);
    test_sharded_chunks(fs, root);
    test_zero_d(fs, root);
    test_zero_length(fs, root);
    test_replace(fs, root);
    test_negative_zero(fs, root);
    test_handmade_shard(fs, root);
    test_concurrent(fs);
    test_concurrent(mem);

    zarrio_store_free(fs);
    zarrio_store_free(mem);
    int rc = TEST_RETURN();
    if (rc == 0) remove_tree(dir);
    free(root);
    free(dir);
    return rc;
}
