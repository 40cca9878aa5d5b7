/*
 * Host callback stores: the fallbacks for missing entries, the struct_size
 * rule, release, and misbehaving hosts (failures, short data, ranges past
 * the end): each gives a clear status and leaves stored data unchanged.
 * Consolidated metadata over a table without list.
 */
#define _DEFAULT_SOURCE
#include "check.h"

#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stddef.h>

#define MAX_ENTRIES 64

enum mode {
    MODE_OK,
    MODE_FAIL,
    MODE_SHORT,
    MODE_HUGE,
    MODE_HEADER,    /* get: read a header and the value, hand on the value */
    MODE_GROW,      /* get: resize for half the value, then for all of it */
    MODE_SET_LOST,  /* set: store nothing and answer NOT_FOUND */
    MODE_REENTER,   /* set: read the array's attributes from inside */
    MODE_BAD_DATA   /* get: a failed zarrio_io_set_data, then success */
};

typedef struct {
    pthread_mutex_t lock;
    char *keys[MAX_ENTRIES];
    unsigned char *vals[MAX_ENTRIES];
    size_t lens[MAX_ENTRIES];
    int n;
    enum mode mode;
    int releases;
    long gets, range_gets, sets, range_sets, conditional_sets;
    enum mode conditional_mode; /* set_if_absent only: MODE_FAIL or MODE_SET_LOST */
    long huge_refused; /* MODE_HUGE gets whose resize returned NULL */
    zarrio_array *reenter; /* MODE_REENTER: the array whose attributes set reads */
    zarrio_status reentered; /* what that read returned */
} table;

static int slot(table *t, const char *key) {
    for (int i = 0; i < t->n; i++)
        if (t->keys[i] && strcmp(t->keys[i], key) == 0) return i;
    return -1;
}

static int32_t t_get(void *ud, const char *key, zarrio_io *io) {
    table *t = ud;
    pthread_mutex_lock(&t->lock);
    t->gets++;
    int32_t rc = ZARRIO_CALLBACK_NOT_FOUND;
    if (t->mode == MODE_FAIL) {
        zarrio_io_set_error(io, "boom: the host store is down");
        rc = -7;
    } else if (t->mode == MODE_HUGE) {
        /* More than can be allocated: NULL, and the read fails however
           the callback ends (here it claims success). */
        t->huge_refused += zarrio_io_resize(io, SIZE_MAX) == NULL;
        rc = ZARRIO_CALLBACK_OK;
    } else if (t->mode == MODE_BAD_DATA) {
        /* Bytes set first, then a refused call: the status is ignored, but
           the read must not take the earlier bytes as the value. */
        zarrio_io_set_data(io, "stale", 5);
        zarrio_io_set_data(io, NULL, 5);
        rc = ZARRIO_CALLBACK_OK;
    } else {
        int i = slot(t, key);
        if (i >= 0 && t->mode == MODE_HEADER) {
            /* A host whose storage keeps a header before each value reads
               both into the io, then hands on the value from inside it. */
            size_t n = t->lens[i];
            unsigned char *p = zarrio_io_resize(io, 4 + n);
            memcpy(p, "HDR:", 4);
            if (n) memcpy(p + 4, t->vals[i], n);
            rc = zarrio_io_set_data(io, p + 4, n) == ZARRIO_OK ? ZARRIO_CALLBACK_OK : -3;
        } else if (i >= 0 && t->mode == MODE_GROW) {
            /* A host that grows the buffer as the bytes arrive. */
            size_t n = t->lens[i], half = n / 2;
            unsigned char *p = zarrio_io_resize(io, half);
            if (half) memcpy(p, t->vals[i], half);
            p = zarrio_io_resize(io, n);
            if (n > half) memcpy(p + half, t->vals[i] + half, n - half);
            rc = ZARRIO_CALLBACK_OK;
        } else if (i >= 0) {
            size_t n = t->lens[i] - (t->mode == MODE_SHORT && t->lens[i] ? 1 : 0);
            void *dst = zarrio_io_resize(io, n);
            if (n) memcpy(dst, t->vals[i], n);
            rc = ZARRIO_CALLBACK_OK;
        }
    }
    pthread_mutex_unlock(&t->lock);
    return rc;
}

static int32_t t_get_range(void *ud, const char *key, uint64_t off, uint64_t len, int32_t from_end, zarrio_io *io) {
    table *t = ud;
    pthread_mutex_lock(&t->lock);
    t->range_gets++;
    int32_t rc = ZARRIO_CALLBACK_NOT_FOUND;
    int i = slot(t, key);
    if (t->mode == MODE_FAIL) {
        zarrio_io_set_error(io, "boom: the host store is down");
        rc = -7;
    } else if (i >= 0) {
        uint64_t size = t->lens[i];
        if (from_end) off = len <= size ? size - len : UINT64_MAX;
        if (len == UINT64_MAX && off <= size) len = size - off;
        if (off > size || len > size - off) {
            zarrio_io_set_error(io, "range past the end");
            rc = -2;
        } else {
            if (t->mode == MODE_SHORT && len) len--;
            zarrio_io_set_data(io, t->vals[i] + off, (size_t)len);
            rc = ZARRIO_CALLBACK_OK;
        }
    }
    pthread_mutex_unlock(&t->lock);
    return rc;
}

static int32_t t_set(void *ud, const char *key, const uint8_t *data, size_t len, zarrio_io *io) {
    table *t = ud;
    pthread_mutex_lock(&t->lock);
    t->sets++;
    if (t->mode == MODE_FAIL) {
        pthread_mutex_unlock(&t->lock);
        zarrio_io_set_error(io, "boom: the host store is down");
        return -7;
    }
    if (t->mode == MODE_SET_LOST) {
        pthread_mutex_unlock(&t->lock);
        return ZARRIO_CALLBACK_NOT_FOUND;
    }
    if (t->mode == MODE_REENTER && t->reenter) {
        char *json = NULL;
        t->reentered = zarrio_array_attributes(t->reenter, &json);
        zarrio_string_free(json);
    }
    int i = slot(t, key);
    if (i < 0) {
        i = t->n++;
        t->keys[i] = xstrdup(key);
        t->vals[i] = NULL;
    }
    free(t->vals[i]);
    t->vals[i] = xmalloc(len ? len : 1);
    memcpy(t->vals[i], data, len);
    t->lens[i] = len;
    pthread_mutex_unlock(&t->lock);
    return ZARRIO_CALLBACK_OK;
}

/* A conditional put: stores only new keys, under the table's lock. */
static int32_t t_set_if_absent(void *ud, const char *key, const uint8_t *data, size_t len, zarrio_io *io) {
    table *t = ud;
    pthread_mutex_lock(&t->lock);
    t->conditional_sets++;
    int exists = slot(t, key) >= 0;
    enum mode mode = t->conditional_mode;
    pthread_mutex_unlock(&t->lock);
    if (mode == MODE_FAIL) {
        zarrio_io_set_error(io, "boom: the host store is down");
        return -7;
    }
    if (mode == MODE_SET_LOST) return ZARRIO_CALLBACK_NOT_FOUND;
    if (exists) return ZARRIO_CALLBACK_EXISTS;
    return t_set(ud, key, data, len, io);
}

static int32_t t_set_range(void *ud, const char *key, uint64_t off, const uint8_t *data, size_t len, zarrio_io *io) {
    table *t = ud;
    pthread_mutex_lock(&t->lock);
    t->range_sets++;
    int i = slot(t, key);
    int32_t rc = ZARRIO_CALLBACK_OK;
    if (t->mode == MODE_FAIL) {
        zarrio_io_set_error(io, "boom: the host store is down");
        rc = -7;
    } else if (i < 0) {
        rc = ZARRIO_CALLBACK_NOT_FOUND;
    } else if (off > t->lens[i] || len > t->lens[i] - off) {
        zarrio_io_set_error(io, "range write past the end");
        rc = -2;
    } else {
        memcpy(t->vals[i] + off, data, len);
    }
    pthread_mutex_unlock(&t->lock);
    return rc;
}

static int32_t t_erase(void *ud, const char *key, zarrio_io *io) {
    table *t = ud;
    (void)io;
    pthread_mutex_lock(&t->lock);
    int i = slot(t, key);
    if (i >= 0) {
        free(t->keys[i]);
        free(t->vals[i]);
        t->keys[i] = NULL;
        t->vals[i] = NULL;
        t->lens[i] = 0;
    }
    pthread_mutex_unlock(&t->lock);
    return ZARRIO_CALLBACK_OK;
}

static int32_t t_list(void *ud, const char *prefix, zarrio_io *io) {
    table *t = ud;
    pthread_mutex_lock(&t->lock);
    for (int i = 0; i < t->n; i++)
        if (t->keys[i] && strncmp(t->keys[i], prefix, strlen(prefix)) == 0) zarrio_io_add_key(io, t->keys[i]);
    pthread_mutex_unlock(&t->lock);
    return ZARRIO_CALLBACK_OK;
}

static void t_release(void *ud) {
    table *t = ud;
    t->releases++;
}

static void t_clear(table *t) {
    for (int i = 0; i < t->n; i++) {
        free(t->keys[i]);
        free(t->vals[i]);
    }
    t->n = 0;
}

static zarrio_store_callbacks full_table(table *t) {
    zarrio_store_callbacks cb;
    memset(&cb, 0, sizeof cb);
    cb.struct_size = sizeof cb;
    cb.user_data = t;
    cb.get = t_get;
    cb.get_range = t_get_range;
    cb.set = t_set;
    cb.set_range = t_set_range;
    cb.erase = t_erase;
    cb.list = t_list;
    cb.release = t_release;
    return cb;
}

static const char *SHARDED =
    "{\"zarr_format\":3,\"node_type\":\"array\",\"shape\":[16,16],\"data_type\":\"int32\","
    "\"chunk_grid\":{\"name\":\"regular\",\"configuration\":{\"chunk_shape\":[16,16]}},"
    "\"chunk_key_encoding\":{\"name\":\"default\"},\"fill_value\":-1,"
    "\"codecs\":[{\"name\":\"sharding_indexed\",\"configuration\":{\"chunk_shape\":[4,4],"
    "\"codecs\":[{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}}],"
    "\"index_codecs\":[{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}}]}}]}";

static int32_t data[256];

/* Snapshot of one value, to prove failed calls change nothing. */
static unsigned char *snapshot(table *t, const char *key, size_t *len) {
    int i = slot(t, key);
    if (i < 0) return NULL;
    *len = t->lens[i];
    unsigned char *c = xmalloc(*len);
    memcpy(c, t->vals[i], *len);
    return c;
}

/* A store over `cb` holding the array "x" (SHARDED) with `data` written
   whole. */
static void store_with_array(const zarrio_store_callbacks *cb, zarrio_store **s, zarrio_array **a) {
    uint64_t o[2] = {0, 0}, f[2] = {16, 16};
    REQUIRE_OK(zarrio_store_create_callbacks(cb, s));
    REQUIRE_OK(zarrio_array_create(*s, "x", SHARDED, a));
    CHECK_OK(zarrio_array_write(*a, 2, o, f, data, sizeof data, NULL));
}

static void test_round_trip_and_in_place(void) {
    table t = {.lock = PTHREAD_MUTEX_INITIALIZER};
    zarrio_store_callbacks cb = full_table(&t);
    zarrio_store *s = NULL;
    zarrio_array *a = NULL;
    REQUIRE_OK(zarrio_store_create_callbacks(&cb, &s));
    REQUIRE_OK(zarrio_array_create(s, "x", SHARDED, &a));
    for (int i = 0; i < 256; i++) data[i] = i * 3;
    uint64_t o[2] = {0, 0}, f[2] = {16, 16};
    CHECK_OK(zarrio_array_write(a, 2, o, f, data, sizeof data, NULL));
    long sets = t.sets;
    int32_t patch[4] = {7, 8, 9, 10};
    uint64_t ps[2] = {5, 5}, psh[2] = {2, 2};
    CHECK_OK(zarrio_array_write(a, 2, ps, psh, patch, sizeof patch, NULL));
    CHECK_MSG(t.sets == sets && t.range_sets == 1, "a partial write patched in place (%ld sets, %ld range sets)",
              t.sets - sets, t.range_sets);
    data[5 * 16 + 5] = 7, data[5 * 16 + 6] = 8, data[6 * 16 + 5] = 9, data[6 * 16 + 6] = 10;
    int32_t back[256];
    CHECK_OK(zarrio_array_read(a, 2, o, f, back, sizeof back, NULL));
    CHECK(memcmp(back, data, sizeof data) == 0);

    /* Group listing goes through the list callback. */
    zarrio_group *g = NULL;
    char *children = NULL;
    REQUIRE_OK(zarrio_group_create(s, "", NULL, &g));
    CHECK_OK(zarrio_group_children(g, &children));
    CHECK(children && json_contains(children, "\"x\""));
    zarrio_string_free(children);
    zarrio_group_free(g);

    zarrio_array_free(a);
    CHECK(t.releases == 0);
    zarrio_store_free(s);
    CHECK_MSG(t.releases == 1, "release is called once when the store goes (%d)", t.releases);
    t_clear(&t);
}

static void test_misbehaving_hosts(void) {
    table t = {.lock = PTHREAD_MUTEX_INITIALIZER};
    zarrio_store_callbacks cb = full_table(&t);
    zarrio_store *s = NULL;
    zarrio_array *a = NULL;
    store_with_array(&cb, &s, &a);
    uint64_t o[2] = {0, 0}, f[2] = {16, 16}, ps[2] = {1, 1}, psh[2] = {2, 2};
    size_t len0 = 0;
    unsigned char *before = snapshot(&t, "x/c/0/0", &len0);
    REQUIRE(before != NULL);
    int32_t back[256], junk[4] = {0, 0, 0, 0};

    /* A failing host: IO with the host's message, nothing changed. */
    t.mode = MODE_FAIL;
    CHECK_STATUS(zarrio_array_read(a, 2, o, f, back, sizeof back, NULL), ZARRIO_ERR_IO);
    CHECK(strstr(zarrio_last_error(), "boom") != NULL);
    CHECK_STATUS(zarrio_array_read(a, 2, ps, psh, back, sizeof back, NULL), ZARRIO_ERR_IO);
    CHECK_STATUS(zarrio_array_write(a, 2, ps, psh, junk, sizeof junk, NULL), ZARRIO_ERR_IO);
    CHECK_STATUS(zarrio_array_write(a, 2, o, f, data, sizeof data, NULL), ZARRIO_ERR_IO);

    /* Short data: fewer bytes than asked for is corrupt data, not garbage. */
    t.mode = MODE_SHORT;
    CHECK_STATUS(zarrio_array_read(a, 2, ps, psh, back, sizeof back, NULL), ZARRIO_ERR_CORRUPT);
    CHECK_STATUS(zarrio_array_read(a, 2, o, f, back, sizeof back, NULL), ZARRIO_ERR_CORRUPT);
    CHECK_STATUS(zarrio_array_write(a, 2, ps, psh, junk, sizeof junk, NULL), ZARRIO_ERR_CORRUPT);

    /* A host asking zarrio_io_resize for SIZE_MAX bytes gets NULL, not an
       abort, and the read reports the allocation failure. */
    t.mode = MODE_HUGE;
    CHECK_STATUS(zarrio_array_read(a, 2, o, f, back, sizeof back, NULL), ZARRIO_ERR_OUT_OF_MEMORY);
    CHECK(t.huge_refused > 0);
    t.mode = MODE_BAD_DATA;
    CHECK_STATUS(zarrio_array_read(a, 2, o, f, back, sizeof back, NULL), ZARRIO_ERR_INVALID_ARGUMENT);
    t.mode = MODE_OK;
    size_t len1 = 0;
    unsigned char *after = snapshot(&t, "x/c/0/0", &len1);
    CHECK(after && len1 == len0 && memcmp(before, after, len0) == 0);
    free(after);

    /* An index entry pointing past the end: the range read fails cleanly. */
    int i = slot(&t, "x/c/0/0");
    size_t idx = t.lens[i] - 16 * 16;               /* index at the end, no crc */
    memset(t.vals[i] + idx, 0x7f, 8);               /* entry 0's offset: huge */
    unsigned char *bad = snapshot(&t, "x/c/0/0", &len0);
    zarrio_status st = zarrio_array_read(a, 2, ps, psh, back, sizeof back, NULL);
    CHECK_MSG(st == ZARRIO_ERR_IO || st == ZARRIO_ERR_CORRUPT, "read past the end: %s", zarrio_status_name(st));
    st = zarrio_array_write(a, 2, ps, psh, junk, sizeof junk, NULL);
    CHECK_MSG(st == ZARRIO_ERR_IO || st == ZARRIO_ERR_CORRUPT, "write into a bad shard: %s", zarrio_status_name(st));
    after = snapshot(&t, "x/c/0/0", &len1);
    CHECK_MSG(after && len1 == len0 && memcmp(bad, after, len0) == 0, "a failed write changed the shard");
    free(after);
    free(bad);
    free(before);
    zarrio_array_free(a);
    zarrio_store_free(s);
    t_clear(&t);
}

static void test_minimal_table(void) {
    /* Only get and set: ranges fall back to whole reads, partial shard
       writes to whole rewrites. */
    table t = {.lock = PTHREAD_MUTEX_INITIALIZER};
    zarrio_store_callbacks cb;
    memset(&cb, 0, sizeof cb);
    cb.struct_size = sizeof cb;
    cb.user_data = &t;
    cb.get = t_get;
    cb.set = t_set;
    zarrio_store *s = NULL;
    zarrio_array *a = NULL;
    REQUIRE_OK(zarrio_store_create_callbacks(&cb, &s));
    /* No erase callback: replacing a node cannot remove the old one. */
    REQUIRE_OK(zarrio_array_create(s, "x", SHARDED, &a));
    uint64_t o[2] = {0, 0}, f[2] = {16, 16}, ps[2] = {1, 1}, psh[2] = {2, 2};
    CHECK_OK(zarrio_array_write(a, 2, o, f, data, sizeof data, NULL));
    int32_t patch[4] = {1, 2, 3, 4}, back[4];
    CHECK_OK(zarrio_array_write(a, 2, ps, psh, patch, sizeof patch, NULL));
    CHECK(t.range_gets == 0 && t.range_sets == 0);
    CHECK_OK(zarrio_array_read(a, 2, ps, psh, back, sizeof back, NULL));
    CHECK(memcmp(back, patch, sizeof patch) == 0);
    /* Filling with the fill value needs erase. */
    int32_t fill = -1;
    CHECK_STATUS(zarrio_array_fill(a, 2, o, f, &fill, sizeof fill), ZARRIO_ERR_UNSUPPORTED);
    zarrio_group *g = NULL;
    char *children = NULL;
    REQUIRE_OK(zarrio_group_create(s, "", NULL, &g));
    CHECK_STATUS(zarrio_group_children(g, &children), ZARRIO_ERR_UNSUPPORTED);
    zarrio_group_free(g);
    zarrio_array_free(a);
    zarrio_store_free(s);
    t_clear(&t);
}

static void test_table_errors(void) {
    table t = {.lock = PTHREAD_MUTEX_INITIALIZER};
    zarrio_store_callbacks cb = full_table(&t);
    zarrio_store *s = NULL;
    CHECK_STATUS(zarrio_store_create_callbacks(NULL, &s), ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(zarrio_store_create_callbacks(&cb, NULL), ZARRIO_ERR_INVALID_ARGUMENT);
    cb.struct_size = 4;
    CHECK_STATUS(zarrio_store_create_callbacks(&cb, &s), ZARRIO_ERR_INVALID_ARGUMENT);
    cb = full_table(&t);
    cb.get = NULL;
    CHECK_STATUS(zarrio_store_create_callbacks(&cb, &s), ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK_MSG(t.releases == 0, "release is not called when creation fails");
    /* A table from an older host that ends before `set`: the rest is NULL. */
    cb = full_table(&t);
    cb.struct_size = offsetof(zarrio_store_callbacks, set);
    REQUIRE_OK(zarrio_store_create_callbacks(&cb, &s));
    zarrio_array *a = NULL;
    CHECK_STATUS(zarrio_array_create(s, "x", SHARDED, &a), ZARRIO_ERR_UNSUPPORTED);
    CHECK_STATUS(zarrio_array_open(s, "missing", &a), ZARRIO_ERR_NOT_FOUND);
    zarrio_store_free(s);
    CHECK_MSG(t.releases == 0, "entries beyond struct_size (release) are ignored");
    /* A size that ends inside an entry: that entry counts as NULL too, and
       nothing past the size is read (the table is cut off there). */
    cb = full_table(&t);
    size_t cut = offsetof(zarrio_store_callbacks, set) + 4;
    zarrio_store_callbacks *short_table = xmalloc(cut);
    memcpy(short_table, &cb, cut);
    short_table->struct_size = cut;
    REQUIRE_OK(zarrio_store_create_callbacks(short_table, &s));
    free(short_table);
    CHECK_STATUS(zarrio_array_create(s, "x", SHARDED, &a), ZARRIO_ERR_UNSUPPORTED);
    zarrio_store_free(s);
    CHECK(zarrio_io_resize(NULL, 4) == NULL);
    CHECK_STATUS(zarrio_io_set_data(NULL, "x", 1), ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(zarrio_io_add_key(NULL, "x"), ZARRIO_ERR_INVALID_ARGUMENT);
    zarrio_io_set_error(NULL, "ignored");
    t_clear(&t);
}

static void test_io_buffer_reuse(void) {
    /* Hosts that hand on bytes from inside the io's own buffer, or grow it
       in steps, read back exactly what was written. */
    table t = {.lock = PTHREAD_MUTEX_INITIALIZER};
    zarrio_store_callbacks cb = full_table(&t);
    cb.get_range = NULL; /* every read through get */
    zarrio_store *s = NULL;
    zarrio_array *a = NULL;
    for (int i = 0; i < 256; i++) data[i] = 1000 - i * 7;
    store_with_array(&cb, &s, &a);
    uint64_t o[2] = {0, 0}, f[2] = {16, 16};
    enum mode modes[2] = {MODE_HEADER, MODE_GROW};
    for (int m = 0; m < 2; m++) {
        t.mode = modes[m];
        zarrio_array *b = NULL;
        int32_t back[256];
        memset(back, 0, sizeof back);
        REQUIRE_OK(zarrio_array_open(s, "x", &b));
        CHECK_OK(zarrio_array_read(b, 2, o, f, back, sizeof back, NULL));
        CHECK_MSG(memcmp(back, data, sizeof data) == 0, "mode %d reads back wrong", (int)modes[m]);
        zarrio_array_free(b);
    }
    t.mode = MODE_OK;
    zarrio_array_free(a);
    zarrio_store_free(s);
    t_clear(&t);
}

static void test_lost_writes_and_replacing_nodes(void) {
    table t = {.lock = PTHREAD_MUTEX_INITIALIZER};
    zarrio_store_callbacks cb = full_table(&t);
    zarrio_store *s = NULL;
    zarrio_array *a = NULL;
    store_with_array(&cb, &s, &a);
    uint64_t o[2] = {0, 0}, f[2] = {16, 16};

    /* A set that stores nothing and says NOT_FOUND is a failed write. */
    t.mode = MODE_SET_LOST;
    CHECK_STATUS(zarrio_array_write(a, 2, o, f, data, sizeof data, NULL), ZARRIO_ERR_IO);
    CHECK(strstr(zarrio_last_error(), "NOT_FOUND") != NULL);
    CHECK_STATUS(zarrio_array_set_attributes(a, "{\"k\":1}"), ZARRIO_ERR_IO);

    /* A set callback that reads the array's attributes does not deadlock. */
    t.mode = MODE_REENTER;
    t.reenter = a;
    t.reentered = -100;
    CHECK_OK(zarrio_array_set_attributes(a, "{\"k\":2}"));
    CHECK_MSG(t.reentered == ZARRIO_OK, "attributes read from a set callback: %d", (int)t.reentered);
    t.reenter = NULL;
    t.mode = MODE_OK;
    zarrio_array_free(a);
    zarrio_store_free(s);

    /* Replacing a node through a table without list fails before erasing
       anything: the old array is still whole. */
    cb = full_table(&t);
    cb.list = NULL;
    REQUIRE_OK(zarrio_store_create_callbacks(&cb, &s));
    size_t meta_len = 0, shard_len = 0, len = 0;
    unsigned char *meta = snapshot(&t, "x/zarr.json", &meta_len);
    unsigned char *shard = snapshot(&t, "x/c/0/0", &shard_len);
    REQUIRE(meta && shard);
    CHECK_STATUS(zarrio_array_create(s, "x", SHARDED, &a), ZARRIO_ERR_UNSUPPORTED);
    unsigned char *after = snapshot(&t, "x/zarr.json", &len);
    CHECK_MSG(after && len == meta_len && memcmp(after, meta, len) == 0, "zarr.json lost");
    free(after);
    after = snapshot(&t, "x/c/0/0", &len);
    CHECK_MSG(after && len == shard_len && memcmp(after, shard, len) == 0, "the shard lost");
    free(after);
    REQUIRE_OK(zarrio_array_open(s, "x", &a));
    int32_t back[256];
    CHECK_OK(zarrio_array_read(a, 2, o, f, back, sizeof back, NULL));
    CHECK(memcmp(back, data, sizeof data) == 0);
    zarrio_array_free(a);
    zarrio_store_free(s);

    /* Nor through a table that can erase and list but not set: the new
       metadata could never be stored. */
    cb = full_table(&t);
    cb.set = NULL;
    REQUIRE_OK(zarrio_store_create_callbacks(&cb, &s));
    CHECK_STATUS(zarrio_array_create(s, "x", SHARDED, &a), ZARRIO_ERR_UNSUPPORTED);
    after = snapshot(&t, "x/c/0/0", &len);
    CHECK_MSG(after && len == shard_len && memcmp(after, shard, len) == 0, "the shard lost");
    free(after);
    after = snapshot(&t, "x/zarr.json", &len);
    CHECK_MSG(after && len == meta_len && memcmp(after, meta, len) == 0, "zarr.json lost");
    free(after);
    zarrio_store_free(s);
    free(meta);
    free(shard);
    t_clear(&t);
}

/* Two store handles made from one table (no set_if_absent), one per
   thread, write disjoint inner chunks of a dense shard that does not exist
   yet: they take turns allocating it, and neither write is lost. */
static zarrio_array *turn_arrays[2];
static pthread_barrier_t turn_start;

static void *write_rows(void *arg) {
    int k = (int)(intptr_t)arg;
    int32_t rows[64];
    for (int i = 0; i < 64; i++) rows[i] = 10 + k;
    uint64_t start[2] = {4 * (uint64_t)k, 0}, shape[2] = {4, 16};
    pthread_barrier_wait(&turn_start);
    CHECK_OK(zarrio_array_write(turn_arrays[k], 2, start, shape, rows, sizeof rows, NULL));
    return NULL;
}

static void test_handles_of_one_table_take_turns(void) {
    table t = {.lock = PTHREAD_MUTEX_INITIALIZER};
    int lost = 0;
    for (int round = 0; round < 200; round++) {
        zarrio_store_callbacks cb = full_table(&t);
        zarrio_store *s[2];
        REQUIRE_OK(zarrio_store_create_callbacks(&cb, &s[0]));
        cb.release = NULL;
        REQUIRE_OK(zarrio_store_create_callbacks(&cb, &s[1]));
        zarrio_array *a = NULL;
        REQUIRE_OK(zarrio_array_create(s[0], "x", SHARDED, &a));
        zarrio_array_free(a);
        for (int k = 0; k < 2; k++) {
            REQUIRE_OK(zarrio_array_open(s[k], "x", &turn_arrays[k]));
            REQUIRE_OK(zarrio_array_set_threads(turn_arrays[k], 1));
        }
        pthread_barrier_init(&turn_start, NULL, 2);
        pthread_t threads[2];
        for (int k = 0; k < 2; k++) pthread_create(&threads[k], NULL, write_rows, (void *)(intptr_t)k);
        for (int k = 0; k < 2; k++) pthread_join(threads[k], NULL);
        pthread_barrier_destroy(&turn_start);
        int32_t back[256];
        uint64_t o[2] = {0, 0}, f[2] = {16, 16};
        CHECK_OK(zarrio_array_read(turn_arrays[0], 2, o, f, back, sizeof back, NULL));
        for (int i = 0; i < 128; i++) {
            if (back[i] != 10 + i / 64) {
                lost++;
                break;
            }
        }
        for (int k = 0; k < 2; k++) {
            zarrio_array_free(turn_arrays[k]);
            zarrio_store_free(s[k]);
        }
        t_clear(&t);
    }
    CHECK_MSG(lost == 0, "%d of 200 rounds lost a write", lost);
}

/* A host's get that reads another array (on a memory store, 4 threads)
   while it serves a chunk: the library runs that read on the callback's
   thread alone, so no other callback of the outer read runs nested on
   that thread (a host holding a lock across its callback would wait for
   itself). */
static const char *CHUNKED =
    "{\"zarr_format\":3,\"node_type\":\"array\",\"shape\":[256,256],\"data_type\":\"int32\","
    "\"chunk_grid\":{\"name\":\"regular\",\"configuration\":{\"chunk_shape\":[64,32]}},"
    "\"chunk_key_encoding\":{\"name\":\"default\"},\"fill_value\":0,"
    "\"codecs\":[{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}},"
    "{\"name\":\"zstd\",\"configuration\":{\"level\":1,\"checksum\":false}}]}";
static zarrio_array *lookup;
static __thread int serving;
static long nested_gets;
static int nested_failures;

static int32_t get_reading_another_array(void *ud, const char *key, zarrio_io *io) {
    if (serving) __atomic_add_fetch(&nested_gets, 1, __ATOMIC_SEQ_CST);
    serving++;
    if (strstr(key, "/c/")) {
        static __thread int32_t b[256 * 256];
        uint64_t o[2] = {0, 0}, f[2] = {256, 256};
        if (zarrio_array_read(lookup, 2, o, f, b, sizeof b, NULL) != ZARRIO_OK)
            __atomic_add_fetch(&nested_failures, 1, __ATOMIC_SEQ_CST);
    }
    int32_t rc = t_get(ud, key, io);
    serving--;
    return rc;
}

static void test_calls_from_callbacks_stay_on_their_thread(void) {
    table t = {.lock = PTHREAD_MUTEX_INITIALIZER};
    zarrio_store_callbacks cb = full_table(&t);
    cb.get = get_reading_another_array;
    cb.get_range = NULL;
    zarrio_store *s = NULL, *mem = NULL;
    zarrio_array *a = NULL;
    REQUIRE_OK(zarrio_store_create_callbacks(&cb, &s));
    REQUIRE_OK(zarrio_store_create_memory(&mem));
    REQUIRE_OK(zarrio_array_create(s, "a", CHUNKED, &a));
    REQUIRE_OK(zarrio_array_create(mem, "lookup", CHUNKED, &lookup));
    int32_t *values = xmalloc(sizeof(int32_t) * 256 * 256), *back = xmalloc(sizeof(int32_t) * 256 * 256);
    for (int i = 0; i < 256 * 256; i++) values[i] = i;
    uint64_t o[2] = {0, 0}, f[2] = {256, 256};
    REQUIRE_OK(zarrio_array_write(a, 2, o, f, values, sizeof(int32_t) * 256 * 256, NULL));
    REQUIRE_OK(zarrio_array_write(lookup, 2, o, f, values, sizeof(int32_t) * 256 * 256, NULL));
    REQUIRE_OK(zarrio_array_set_threads(a, 4));
    REQUIRE_OK(zarrio_array_set_threads(lookup, 4));
    for (int i = 0; i < 10; i++) {
        CHECK_OK(zarrio_array_read(a, 2, o, f, back, sizeof(int32_t) * 256 * 256, NULL));
        CHECK(memcmp(back, values, sizeof(int32_t) * 256 * 256) == 0);
    }
    CHECK_MSG(nested_gets == 0, "%ld gets ran nested in another on its thread", nested_gets);
    CHECK_MSG(nested_failures == 0, "%d reads from a callback failed", nested_failures);
    free(values);
    free(back);
    zarrio_array_free(lookup);
    zarrio_array_free(a);
    zarrio_store_free(mem);
    zarrio_store_free(s);
    t_clear(&t);
}

/* fork() while a parent thread's write holds a shard's creation turn (a
   table without set_if_absent, whose set is slow): the child's own write
   of that shard does not wait for the parent's thread, which it does not
   have. */
static int slow_sets;
static zarrio_array *turn_holder;

static int32_t slow_set(void *ud, const char *key, const uint8_t *data, size_t len, zarrio_io *io) {
    if (slow_sets && strstr(key, "/c/")) sleep(1);
    return t_set(ud, key, data, len, io);
}

static void *write_first_rows(void *arg) {
    (void)arg;
    int32_t rows[64];
    for (int i = 0; i < 64; i++) rows[i] = 7;
    uint64_t start[2] = {0, 0}, shape[2] = {4, 16};
    CHECK_OK(zarrio_array_write(turn_holder, 2, start, shape, rows, sizeof rows, NULL));
    return NULL;
}

static void test_fork_while_a_creation_turn_is_held(void) {
    table t = {.lock = PTHREAD_MUTEX_INITIALIZER};
    zarrio_store_callbacks cb = full_table(&t);
    cb.set = slow_set;
    zarrio_store *s = NULL;
    zarrio_array *a = NULL;
    REQUIRE_OK(zarrio_store_create_callbacks(&cb, &s));
    REQUIRE_OK(zarrio_array_create(s, "x", SHARDED, &a));
    zarrio_array_free(a);
    REQUIRE_OK(zarrio_array_open(s, "x", &turn_holder));
    REQUIRE_OK(zarrio_array_set_threads(turn_holder, 1));
    slow_sets = 1;
    pthread_t writer;
    pthread_create(&writer, NULL, write_first_rows, NULL);
    usleep(300000);
    fflush(stdout);
    fflush(stderr);
    /* The child says how its write went through a pipe: its exit status
       is valgrind's under valgrind, which counts the parent threads'
       memory the child never frees as leaks. */
    int said[2];
    REQUIRE(pipe(said) == 0);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        alarm(20);
        slow_sets = 0;
        /* The host's own lock may have been held by the parent's writer. */
        pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
        t.lock = fresh;
        cb.release = NULL;
        zarrio_store *cs = NULL;
        zarrio_array *b = NULL;
        int32_t rows[64];
        for (int i = 0; i < 64; i++) rows[i] = 9;
        uint64_t start[2] = {4, 0}, shape[2] = {4, 16};
        int ok = zarrio_store_create_callbacks(&cb, &cs) == ZARRIO_OK && zarrio_array_open(cs, "x", &b) == ZARRIO_OK &&
                 zarrio_array_set_threads(b, 1) == ZARRIO_OK &&
                 zarrio_array_write(b, 2, start, shape, rows, sizeof rows, NULL) == ZARRIO_OK;
        char c = ok ? 'y' : 'n';
        ssize_t w = write(said[1], &c, 1);
        _exit(w == 1 ? 0 : 1);
    }
    close(said[1]);
    char answer = 0;
    ssize_t got = read(said[0], &answer, 1);
    close(said[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK_MSG(got == 1 && answer == 'y', "the child's write %s",
              got == 1 ? "failed" : (WIFSIGNALED(status) ? "hung" : "did not finish"));
    pthread_join(writer, NULL);
    slow_sets = 0;
    zarrio_array_free(turn_holder);
    zarrio_store_free(s);
    t_clear(&t);
}

/* A host store that cannot list (as over HTTP) finds a hierarchy's
   children, attributes and arrays through its consolidated metadata, with
   one metadata request; node metadata is not written through it, chunks
   are. */
static void test_consolidated_without_list(void) {
    table t = {.lock = PTHREAD_MUTEX_INITIALIZER};
    zarrio_store_callbacks cb = full_table(&t);
    zarrio_store *s = NULL, *c = NULL;
    zarrio_array *a = NULL;
    zarrio_group *g = NULL;
    store_with_array(&cb, &s, &a);
    zarrio_array_free(a);
    REQUIRE_OK(zarrio_group_create(s, "", "{\"title\":\"root\"}", &g));
    zarrio_group *sub = NULL;
    REQUIRE_OK(zarrio_group_create(s, "sub", NULL, &sub));
    zarrio_group_free(sub);
    CHECK_STATUS(zarrio_group_consolidate_metadata(NULL), ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK_OK(zarrio_group_consolidate_metadata(g));
    zarrio_group_free(g);
    zarrio_store_free(s);

    cb = full_table(&t);
    cb.list = NULL;
    REQUIRE_OK(zarrio_store_create_callbacks(&cb, &s));
    CHECK_STATUS(zarrio_store_open_consolidated(NULL, "", &c), ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(zarrio_store_open_consolidated(s, NULL, &c), ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(zarrio_store_open_consolidated(s, "", NULL), ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(zarrio_store_open_consolidated(s, "sub", &c), ZARRIO_ERR_NOT_FOUND);
    CHECK(c == NULL);
    CHECK(strstr(zarrio_last_error(), "consolidated") != NULL);
    CHECK_STATUS(zarrio_store_open_consolidated(s, "nothing", &c), ZARRIO_ERR_NOT_FOUND);
    long gets = t.gets;
    REQUIRE_OK(zarrio_store_open_consolidated(s, "", &c));
    zarrio_store_free(s); /* the consolidated store keeps the table alive */
    CHECK(t.releases == 1);
    REQUIRE_OK(zarrio_group_open(c, "", &g));
    char *json = NULL;
    CHECK_OK(zarrio_group_children(g, &json));
    CHECK_MSG(json && strcmp(json, "[{\"name\":\"sub\",\"node_type\":\"group\"},"
                              "{\"name\":\"x\",\"node_type\":\"array\"}]") == 0,
              "children %s", json ? json : "(null)");
    zarrio_string_free(json);
    CHECK_OK(zarrio_group_attributes(g, &json));
    CHECK(json && json_contains(json, "\"title\":\"root\""));
    zarrio_string_free(json);
    CHECK_STATUS(zarrio_group_set_attributes(g, "{}"), ZARRIO_ERR_UNSUPPORTED);
    CHECK_STATUS(zarrio_group_consolidate_metadata(g), ZARRIO_ERR_UNSUPPORTED);
    zarrio_group_free(g);
    REQUIRE_OK(zarrio_array_open(c, "x", &a));
    CHECK_MSG(t.gets == gets + 1, "%ld metadata reads, expected the one of zarr.json", t.gets - gets);
    uint64_t o[2] = {0, 0}, f[2] = {16, 16};
    int32_t back[256];
    CHECK_OK(zarrio_array_read(a, 2, o, f, back, sizeof back, NULL));
    CHECK(memcmp(back, data, sizeof data) == 0);
    data[0] = 4242;
    CHECK_OK(zarrio_array_write(a, 2, o, f, data, sizeof data, NULL));
    CHECK_STATUS(zarrio_array_set_attributes(a, "{}"), ZARRIO_ERR_UNSUPPORTED);
    zarrio_array_free(a);
    a = NULL;
    CHECK_STATUS(zarrio_array_create(c, "y", SHARDED, &a), ZARRIO_ERR_UNSUPPORTED);
    CHECK(a == NULL && slot(&t, "y/zarr.json") < 0);
    zarrio_store_free(c);
    CHECK(t.releases == 2);

    /* The chunk write went through to the table. */
    cb = full_table(&t);
    REQUIRE_OK(zarrio_store_create_callbacks(&cb, &s));
    REQUIRE_OK(zarrio_array_open(s, "x", &a));
    CHECK_OK(zarrio_array_read(a, 2, o, f, back, sizeof back, NULL));
    CHECK(back[0] == 4242);
    zarrio_array_free(a);
    zarrio_store_free(s);
    t_clear(&t);
}

/* Parent groups go through set_if_absent when the table has it: a group
   already there keeps its attributes; a failing or misbehaving callback
   is an error. A table whose struct_size ends before the entry works
   without it. */
static void test_conditional_parent_groups(void) {
    table t = {.lock = PTHREAD_MUTEX_INITIALIZER};
    zarrio_store_callbacks cb = full_table(&t);
    cb.set_if_absent = t_set_if_absent;
    zarrio_store *s = NULL;
    zarrio_array *a = NULL;
    zarrio_group *g = NULL;
    REQUIRE_OK(zarrio_store_create_callbacks(&cb, &s));
    REQUIRE_OK(zarrio_group_create(s, "p", "{\"keep\":1}", &g));
    zarrio_group_free(g);
    long before = t.conditional_sets;
    REQUIRE_OK(zarrio_array_create(s, "p/q/x", SHARDED, &a));
    zarrio_array_free(a);
    CHECK_MSG(t.conditional_sets == before + 1, "%ld conditional puts for the one missing parent",
              t.conditional_sets - before);
    CHECK(slot(&t, "p/q/zarr.json") >= 0);
    g = NULL;
    REQUIRE_OK(zarrio_group_open(s, "p", &g));
    char *json = NULL;
    CHECK_OK(zarrio_group_attributes(g, &json));
    CHECK(json && json_contains(json, "\"keep\":1"));
    zarrio_string_free(json);
    zarrio_group_free(g);
    /* The root existed already (created with "p"): no conditional put. */
    before = t.conditional_sets;
    a = NULL;
    REQUIRE_OK(zarrio_array_create(s, "y", SHARDED, &a));
    zarrio_array_free(a);
    CHECK(t.conditional_sets == before);

    /* A failing or misbehaving conditional put fails the create (the
       node, written first, stays; its parent is not made). */
    t.conditional_mode = MODE_FAIL;
    a = NULL;
    CHECK_STATUS(zarrio_array_create(s, "new/x", SHARDED, &a), ZARRIO_ERR_IO);
    CHECK(strstr(zarrio_last_error(), "boom") != NULL);
    t.conditional_mode = MODE_SET_LOST;
    CHECK_STATUS(zarrio_array_create(s, "new2/x", SHARDED, &a), ZARRIO_ERR_IO);
    CHECK(strstr(zarrio_last_error(), "EXISTS") != NULL);
    t.conditional_mode = MODE_OK;
    CHECK(a == NULL && slot(&t, "new/zarr.json") < 0 && slot(&t, "new2/zarr.json") < 0);
    zarrio_store_free(s);

    /* An older table, cut before set_if_absent. */
    cb.struct_size = offsetof(zarrio_store_callbacks, set_if_absent);
    REQUIRE_OK(zarrio_store_create_callbacks(&cb, &s));
    before = t.conditional_sets;
    a = NULL;
    REQUIRE_OK(zarrio_array_create(s, "old/x", SHARDED, &a));
    zarrio_array_free(a);
    CHECK(t.conditional_sets == before && slot(&t, "old/zarr.json") >= 0);
    zarrio_store_free(s);
    t_clear(&t);
}

/* The shard the range reader below serves, and who called it. */
static struct {
    const uint8_t *bytes;
    size_t len;
    pthread_t caller;
    int other_threads;
} served;

static int32_t serve_range(void *ud, uint64_t off, uint64_t len, int32_t from_end, zarrio_io *io) {
    (void)ud;
    if (!pthread_equal(pthread_self(), served.caller)) __atomic_add_fetch(&served.other_threads, 1, __ATOMIC_SEQ_CST);
    if (from_end) off = served.len - len;
    if (len == UINT64_MAX) len = served.len - off;
    return zarrio_io_set_data(io, served.bytes + off, (size_t)len) == ZARRIO_OK ? ZARRIO_CALLBACK_OK : -1;
}

static void test_one_thread_keeps_the_reader_on_the_caller(void) {
    /* Many requests in flight for the library's other reads do not move a
       pipeline read asked for on one thread off the calling thread. The
       region's inner chunks lie 48 KiB apart in the shard, so they are
       fetched as separate requests (nearby ones would be joined into one). */
    const char *codecs =
        "[{\"name\":\"sharding_indexed\",\"configuration\":{\"chunk_shape\":[64,64],"
        "\"codecs\":[{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}}],"
        "\"index_codecs\":[{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}}]}}]";
    enum { E = 256 };
    uint64_t shape[2] = {E, E};
    zarrio_pipeline *p = NULL;
    REQUIRE_OK(zarrio_pipeline_create(codecs, "int32", 2, shape, "0", &p));
    int32_t *whole = xmalloc(sizeof(int32_t) * E * E);
    for (int i = 0; i < E * E; i++) whole[i] = i * 5 - 100;
    uint8_t *enc = NULL;
    size_t enc_len = 0;
    REQUIRE_OK(zarrio_pipeline_encode(p, whole, sizeof(int32_t) * E * E, &enc, &enc_len));
    served.bytes = enc;
    served.len = enc_len;
    served.caller = pthread_self();
    REQUIRE_OK(zarrio_set_io_concurrency(8));
    uint64_t start[2] = {0, 0}, region[2] = {E, 64};
    int32_t *back = xmalloc(sizeof(int32_t) * E * 64);
    served.other_threads = 0;
    CHECK_OK(zarrio_pipeline_decode_shard_region(p, serve_range, NULL, 2, start, region, back,
                                                 sizeof(int32_t) * E * 64, NULL, 1));
    CHECK_MSG(served.other_threads == 0, "%d reads from other threads with threads = 1", served.other_threads);
    int wrong = 0;
    for (int y = 0; y < E; y++)
        for (int x = 0; x < 64; x++) wrong += back[y * 64 + x] != whole[y * E + x];
    CHECK_MSG(wrong == 0, "%d elements read back wrong", wrong);
    REQUIRE_OK(zarrio_set_io_concurrency(0));
    free(back);
    free(whole);
    zarrio_bytes_free(enc, enc_len);
    zarrio_pipeline_free(p);
}

int main(void) {
    test_round_trip_and_in_place();
    test_misbehaving_hosts();
    test_minimal_table();
    test_table_errors();
    test_io_buffer_reuse();
    test_lost_writes_and_replacing_nodes();
    test_handles_of_one_table_take_turns();
    test_calls_from_callbacks_stay_on_their_thread();
    test_fork_while_a_creation_turn_is_held();
    test_consolidated_without_list();
    test_conditional_parent_groups();
    test_one_thread_keeps_the_reader_on_the_caller();
    return TEST_RETURN();
}
