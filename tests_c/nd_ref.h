/*
 * An in-memory reference model of an N-d array (C order) for the C tests,
 * plus element generators per data type and zarr.json builders.
 * Include after check.h.
 */
#ifndef ZARRIO_TESTS_ND_REF_H
#define ZARRIO_TESTS_ND_REF_H

#include "check.h"

#define MAXD 4

/* ---- N-d index helpers ------------------------------------------------ */

static inline uint64_t nd_count(size_t ndim, const uint64_t *shape) {
    uint64_t n = 1;
    for (size_t d = 0; d < ndim; d++) n *= shape[d];
    return n;
}

/* C-order flat offset of idx in shape (in elements). */
static inline uint64_t nd_offset_c(size_t ndim, const uint64_t *shape, const uint64_t *idx) {
    uint64_t off = 0;
    for (size_t d = 0; d < ndim; d++) off = off * shape[d] + idx[d];
    return off;
}

/* Offset with explicit element strides. */
static inline uint64_t nd_offset_strided(size_t ndim, const int64_t *strides, const uint64_t *idx) {
    uint64_t off = 0;
    for (size_t d = 0; d < ndim; d++) off += idx[d] * (uint64_t)strides[d];
    return off;
}

/* Advance idx over shape in C order; 0 when done. */
static inline int nd_next(size_t ndim, const uint64_t *shape, uint64_t *idx) {
    for (size_t d = ndim; d-- > 0;) {
        if (++idx[d] < shape[d]) return 1;
        idx[d] = 0;
    }
    return 0;
}

/* C-order / Fortran-order element strides. A zero extent counts as 1 so
 * the strides stay positive (the library requires positive strides). */
static inline void nd_c_strides(size_t ndim, const uint64_t *shape, int64_t *strides) {
    int64_t s = 1;
    for (size_t d = ndim; d-- > 0;) {
        strides[d] = s;
        s *= shape[d] ? (int64_t)shape[d] : 1;
    }
}

static inline void nd_f_strides(size_t ndim, const uint64_t *shape, int64_t *strides) {
    int64_t s = 1;
    for (size_t d = 0; d < ndim; d++) {
        strides[d] = s;
        s *= shape[d] ? (int64_t)shape[d] : 1;
    }
}

/* Elements a strided buffer of `shape` spans (1 + sum (n-1)*stride). */
static inline uint64_t nd_span(size_t ndim, const uint64_t *shape, const int64_t *strides) {
    uint64_t last = 0;
    for (size_t d = 0; d < ndim; d++) {
        if (shape[d] == 0) return 0;
        last += (shape[d] - 1) * (uint64_t)strides[d];
    }
    return last + 1;
}

static inline void fmt_index(char *buf, size_t cap, size_t ndim, const uint64_t *idx) {
    size_t n = 0;
    n += (size_t)snprintf(buf + n, cap - n, "[");
    for (size_t d = 0; d < ndim && n < cap; d++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%llu", d ? "," : "", (unsigned long long)idx[d]);
    if (n < cap) snprintf(buf + n, cap - n, "]");
}

/* ---- data types ------------------------------------------------------- */

static inline size_t dtype_size(const char *dt) {
    if (!strcmp(dt, "bool") || !strcmp(dt, "uint8") || !strcmp(dt, "int8")) return 1;
    if (!strcmp(dt, "uint16") || !strcmp(dt, "int16") || !strcmp(dt, "float16")) return 2;
    if (!strcmp(dt, "uint32") || !strcmp(dt, "int32") || !strcmp(dt, "float32")) return 4;
    if (!strcmp(dt, "uint64") || !strcmp(dt, "int64") || !strcmp(dt, "float64") || !strcmp(dt, "complex64")) return 8;
    if (!strcmp(dt, "complex128")) return 16;
    fprintf(stderr, "dtype_size: unknown type %s\n", dt);
    exit(2);
}

/* One element of `dt` from a number (complex: re, im), native byte order. */
static inline void make_elem(const char *dt, double re, double im, unsigned char *out) {
    if (!strcmp(dt, "bool")) {
        out[0] = re != 0.0;
    } else if (!strcmp(dt, "uint8")) {
        uint8_t v = (uint8_t)re;
        memcpy(out, &v, 1);
    } else if (!strcmp(dt, "int8")) {
        int8_t v = (int8_t)re;
        memcpy(out, &v, 1);
    } else if (!strcmp(dt, "uint16")) {
        uint16_t v = (uint16_t)re;
        memcpy(out, &v, 2);
    } else if (!strcmp(dt, "int16")) {
        int16_t v = (int16_t)re;
        memcpy(out, &v, 2);
    } else if (!strcmp(dt, "uint32")) {
        uint32_t v = (uint32_t)re;
        memcpy(out, &v, 4);
    } else if (!strcmp(dt, "int32")) {
        int32_t v = (int32_t)re;
        memcpy(out, &v, 4);
    } else if (!strcmp(dt, "uint64")) {
        uint64_t v = (uint64_t)re;
        memcpy(out, &v, 8);
    } else if (!strcmp(dt, "int64")) {
        int64_t v = (int64_t)re;
        memcpy(out, &v, 8);
    } else if (!strcmp(dt, "float32")) {
        float v = (float)re;
        memcpy(out, &v, 4);
    } else if (!strcmp(dt, "float64")) {
        memcpy(out, &re, 8);
    } else if (!strcmp(dt, "complex64")) {
        float v[2] = {(float)re, (float)im};
        memcpy(out, v, 8);
    } else if (!strcmp(dt, "complex128")) {
        double v[2] = {re, im};
        memcpy(out, v, 16);
    } else {
        fprintf(stderr, "make_elem: unknown type %s\n", dt);
        exit(2);
    }
}

/* The canonical NaN bit patterns ("NaN" in zarr.json). */
static inline void make_nan(const char *dt, unsigned char *out) {
    if (!strcmp(dt, "float64")) {
        uint64_t b = 0x7ff8000000000000ull;
        memcpy(out, &b, 8);
    } else {
        uint32_t b = 0x7fc00000u;
        memcpy(out, &b, 4);
    }
}

/* A deterministic element for flat position i of write number `seed`. */
static inline void gen_elem(const char *dt, uint64_t i, unsigned seed, unsigned char *out) {
    uint32_t h = (uint32_t)(i * 2654435761u) ^ (seed * 40503u + 0x9e37u);
    h ^= h >> 13;
    if (!strcmp(dt, "bool"))
        make_elem(dt, (h >> 7) & 1, 0, out);
    else if (!strcmp(dt, "float32") || !strcmp(dt, "float64"))
        make_elem(dt, (double)(int32_t)h / 64.0, 0, out);
    else if (!strcmp(dt, "complex64") || !strcmp(dt, "complex128"))
        make_elem(dt, (double)(i % 1000) * 0.5 + seed, -(double)(h % 997) / 8.0, out);
    else if (!strcmp(dt, "uint8") || !strcmp(dt, "int8"))
        make_elem(dt, (double)((h >> 3) & 0x7f), 0, out);
    else if (!strcmp(dt, "uint16"))
        make_elem(dt, (double)(h & 0xffff), 0, out);
    else if (!strcmp(dt, "int16"))
        make_elem(dt, (double)(int16_t)(h & 0xffff), 0, out);
    else if (!strcmp(dt, "int32") || !strcmp(dt, "int64"))
        make_elem(dt, (double)(int32_t)h, 0, out);
    else
        make_elem(dt, (double)h, 0, out);
}

/* n generated elements (C order) in a new buffer. */
static inline unsigned char *gen_buffer(const char *dt, uint64_t n, unsigned seed) {
    size_t e = dtype_size(dt);
    unsigned char *b = (unsigned char *)xmalloc((size_t)n * e);
    for (uint64_t i = 0; i < n; i++) gen_elem(dt, i, seed, b + i * e);
    return b;
}

/* ---- the reference array ---------------------------------------------- */

typedef struct {
    size_t ndim;
    uint64_t shape[MAXD];
    size_t elem;
    unsigned char *data; /* C order */
} ref_t;

static inline void ref_init(ref_t *r, size_t ndim, const uint64_t *shape, size_t elem, const unsigned char *fill) {
    r->ndim = ndim;
    for (size_t d = 0; d < ndim; d++) r->shape[d] = shape[d];
    r->elem = elem;
    uint64_t n = nd_count(ndim, shape);
    r->data = (unsigned char *)xmalloc((size_t)n * elem);
    for (uint64_t i = 0; i < n; i++) memcpy(r->data + i * elem, fill, elem);
}

static inline void ref_free(ref_t *r) {
    free(r->data);
    r->data = NULL;
}

static inline unsigned char *ref_at(ref_t *r, const uint64_t *start, const uint64_t *idx) {
    uint64_t g[MAXD];
    for (size_t d = 0; d < r->ndim; d++) g[d] = start[d] + idx[d];
    return r->data + nd_offset_c(r->ndim, r->shape, g) * r->elem;
}

/* Copy a region out of / into the reference; `buf` uses `strides` (NULL =
 * C order of the region). */
static inline void ref_get(ref_t *r, const uint64_t *start, const uint64_t *shape, unsigned char *buf,
                           const int64_t *strides) {
    if (nd_count(r->ndim, shape) == 0) return;
    int64_t cs[MAXD];
    if (!strides) {
        nd_c_strides(r->ndim, shape, cs);
        strides = cs;
    }
    uint64_t idx[MAXD] = {0};
    do {
        memcpy(buf + nd_offset_strided(r->ndim, strides, idx) * r->elem, ref_at(r, start, idx), r->elem);
    } while (nd_next(r->ndim, shape, idx));
}

static inline void ref_set(ref_t *r, const uint64_t *start, const uint64_t *shape, const unsigned char *buf,
                           const int64_t *strides) {
    if (nd_count(r->ndim, shape) == 0) return;
    int64_t cs[MAXD];
    if (!strides) {
        nd_c_strides(r->ndim, shape, cs);
        strides = cs;
    }
    uint64_t idx[MAXD] = {0};
    do {
        memcpy(ref_at(r, start, idx), buf + nd_offset_strided(r->ndim, strides, idx) * r->elem, r->elem);
    } while (nd_next(r->ndim, shape, idx));
}

static inline void ref_fill(ref_t *r, const uint64_t *start, const uint64_t *shape, const unsigned char *value) {
    if (nd_count(r->ndim, shape) == 0) return;
    uint64_t idx[MAXD] = {0};
    do {
        memcpy(ref_at(r, start, idx), value, r->elem);
    } while (nd_next(r->ndim, shape, idx));
}

/* Compare a C-order region buffer with the reference; print the first
 * difference. Returns 1 when equal. */
static inline int ref_compare(const char *file, int line, const char *what, ref_t *r, const uint64_t *start,
                              const uint64_t *shape, const unsigned char *buf, const int64_t *strides) {
    g_checks++;
    if (nd_count(r->ndim, shape) == 0) return 1;
    int64_t cs[MAXD];
    if (!strides) {
        nd_c_strides(r->ndim, shape, cs);
        strides = cs;
    }
    uint64_t idx[MAXD] = {0};
    uint64_t ndiff = 0;
    char where[128] = "";
    do {
        const unsigned char *got = buf + nd_offset_strided(r->ndim, strides, idx) * r->elem;
        const unsigned char *exp = ref_at(r, start, idx);
        if (memcmp(got, exp, r->elem) != 0) {
            if (ndiff == 0) {
                uint64_t g[MAXD];
                for (size_t d = 0; d < r->ndim; d++) g[d] = start[d] + idx[d];
                fmt_index(where, sizeof where, r->ndim, g);
                fprintf(stderr, "%s:%d: FAILED: %s: first difference at array index %s: got", file, line, what,
                        where);
                for (size_t b = 0; b < r->elem; b++) fprintf(stderr, " %02x", got[b]);
                fprintf(stderr, ", expected");
                for (size_t b = 0; b < r->elem; b++) fprintf(stderr, " %02x", exp[b]);
                fprintf(stderr, "\n");
            }
            ndiff++;
        }
    } while (nd_next(r->ndim, shape, idx));
    if (ndiff) {
        fprintf(stderr, "    %llu of %llu elements differ\n", (unsigned long long)ndiff,
                (unsigned long long)nd_count(r->ndim, shape));
        fflush(stderr);
        g_failures++;
        return 0;
    }
    return 1;
}

/* Read a region with zarrio (C order) and compare it with the reference. */
static inline int check_read_region(const char *file, int line, const char *what, zarrio_array *a, ref_t *r,
                                    const uint64_t *start, const uint64_t *shape) {
    uint64_t n = nd_count(r->ndim, shape);
    size_t bytes = (size_t)n * r->elem;
    unsigned char *buf = (unsigned char *)xmalloc(bytes);
    memset(buf, 0xCD, bytes);
    int ok = 0;
    if (check_status_impl(file, line, "zarrio_array_read(region)",
                          zarrio_array_read(a, r->ndim, start, shape, buf, bytes, NULL), ZARRIO_OK))
        ok = ref_compare(file, line, what, r, start, shape, buf, NULL);
    free(buf);
    return ok;
}
#define CHECK_READ_REGION(a, r, start, shape, what) check_read_region(__FILE__, __LINE__, what, a, r, start, shape)

static inline int check_read_all(const char *file, int line, const char *what, zarrio_array *a, ref_t *r) {
    uint64_t zero[MAXD] = {0};
    return check_read_region(file, line, what, a, r, zero, r->shape);
}
#define CHECK_READ_ALL(a, r, what) check_read_all(__FILE__, __LINE__, what, a, r)

/* ---- zarr.json -------------------------------------------------------- */

static inline char *json_u64_list(size_t n, const uint64_t *v) {
    char buf[256];
    size_t k = 0;
    k += (size_t)snprintf(buf + k, sizeof buf - k, "[");
    for (size_t i = 0; i < n; i++) k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%llu", i ? "," : "", (unsigned long long)v[i]);
    snprintf(buf + k, sizeof buf - k, "]");
    return xstrdup(buf);
}

/* A complete array zarr.json (malloc'd). */
static inline char *make_array_json(size_t ndim, const uint64_t *shape, const uint64_t *chunk, const char *dtype,
                                    const char *fill_json, const char *codecs_json, const char *attributes_json) {
    char *s = json_u64_list(ndim, shape), *c = json_u64_list(ndim, chunk);
    char *j = str_printf("{\"zarr_format\":3,\"node_type\":\"array\",\"shape\":%s,\"data_type\":\"%s\","
                         "\"chunk_grid\":{\"name\":\"regular\",\"configuration\":{\"chunk_shape\":%s}},"
                         "\"chunk_key_encoding\":{\"name\":\"default\",\"configuration\":{\"separator\":\"/\"}},"
                         "\"fill_value\":%s,\"codecs\":%s,\"attributes\":%s}",
                         s, dtype, c, fill_json, codecs_json, attributes_json ? attributes_json : "{}");
    free(s);
    free(c);
    return j;
}

/* Path of a chunk file: root/array_path/c/i/j... (default "/" key encoding). */
static inline char *chunk_file(const char *root, const char *array_path, size_t ndim, const uint64_t *idx) {
    char buf[512];
    size_t k = (size_t)snprintf(buf, sizeof buf, "%s/%s/c", root, array_path);
    for (size_t d = 0; d < ndim; d++) k += (size_t)snprintf(buf + k, sizeof buf - k, "/%llu", (unsigned long long)idx[d]);
    return xstrdup(buf);
}

static int g_file_count;
static inline int count_files_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)path;
    (void)sb;
    (void)ftw;
    if (flag == FTW_F) g_file_count++;
    return 0;
}
/* Regular files below a directory (0 when it does not exist). */
static inline int count_files(const char *dir) {
    g_file_count = 0;
    if (!dir_exists(dir)) return 0;
    nftw(dir, count_files_cb, 16, FTW_PHYS);
    return g_file_count;
}

#endif /* ZARRIO_TESTS_ND_REF_H */
