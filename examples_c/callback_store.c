/*
 * A host-provided store: the program keeps values in its own hash table and
 * hands zarrio a table of callbacks (get, get_range, set, set_range, erase,
 * list, size, release). Each request sleeps a little (injected latency), and
 * a switch makes requests fail (injected failures). The program writes a
 * sharded array through it, patches single inner chunks in place, reads
 * regions back, shows a failing store's error, and decodes part of a shard
 * it fetched itself with zarrio_pipeline_decode_shard_region.
 *
 * usage: zarrio_callback_store [latency_us]   (default 200)
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zarrio.h>

/* ---- the host's storage: a locked list of key/value pairs ---- */
typedef struct entry {
    char *key;
    uint8_t *data;
    size_t len;
    struct entry *next;
} entry;

typedef struct {
    pthread_mutex_t lock;
    entry *head;
    long latency_us;
    int fail;           /* non-zero: every request fails */
    long requests;      /* counters, for the report */
    long range_reads, range_writes, whole_writes;
} host_store;

static void pause_us(long us) {
    struct timespec t = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&t, NULL);
}

static entry *find(host_store *s, const char *key) {
    for (entry *e = s->head; e; e = e->next)
        if (strcmp(e->key, key) == 0) return e;
    return NULL;
}

/* Common start of every callback: count, wait, maybe fail. */
static int begin(host_store *s, zarrio_io *io) {
    pause_us(s->latency_us);
    pthread_mutex_lock(&s->lock);
    s->requests++;
    if (s->fail) {
        pthread_mutex_unlock(&s->lock);
        zarrio_io_set_error(io, "injected failure: storage unavailable");
        return -5;
    }
    return 0;
}

static int32_t cb_get(void *ud, const char *key, zarrio_io *io) {
    host_store *s = ud;
    int rc = begin(s, io);
    if (rc) return rc;
    entry *e = find(s, key);
    if (e) zarrio_io_set_data(io, e->data, e->len);
    pthread_mutex_unlock(&s->lock);
    return e ? ZARRIO_CALLBACK_OK : ZARRIO_CALLBACK_NOT_FOUND;
}

static int32_t cb_get_range(void *ud, const char *key, uint64_t offset, uint64_t length, int32_t from_end,
                            zarrio_io *io) {
    host_store *s = ud;
    int rc = begin(s, io);
    if (rc) return rc;
    s->range_reads++;
    entry *e = find(s, key);
    if (!e) {
        pthread_mutex_unlock(&s->lock);
        return ZARRIO_CALLBACK_NOT_FOUND;
    }
    if (from_end) offset = length <= e->len ? e->len - length : UINT64_MAX;
    if (length == UINT64_MAX && offset <= e->len) length = e->len - offset;
    if (offset > e->len || length > e->len - offset) {
        pthread_mutex_unlock(&s->lock);
        zarrio_io_set_error(io, "range past the end of the value");
        return -1;
    }
    zarrio_io_set_data(io, e->data + offset, (size_t)length);
    pthread_mutex_unlock(&s->lock);
    return ZARRIO_CALLBACK_OK;
}

static int32_t cb_set(void *ud, const char *key, const uint8_t *data, size_t len, zarrio_io *io) {
    host_store *s = ud;
    int rc = begin(s, io);
    if (rc) return rc;
    s->whole_writes++;
    entry *e = find(s, key);
    if (!e) {
        e = calloc(1, sizeof *e);
        e->key = strdup(key);
        e->next = s->head;
        s->head = e;
    }
    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, data, len);
    free(e->data);
    e->data = copy;
    e->len = len;
    pthread_mutex_unlock(&s->lock);
    return ZARRIO_CALLBACK_OK;
}

static int32_t cb_set_range(void *ud, const char *key, uint64_t offset, const uint8_t *data, size_t len,
                            zarrio_io *io) {
    host_store *s = ud;
    int rc = begin(s, io);
    if (rc) return rc;
    s->range_writes++;
    entry *e = find(s, key);
    if (!e || offset > e->len || len > e->len - offset) {
        pthread_mutex_unlock(&s->lock);
        zarrio_io_set_error(io, "range write outside the value");
        return e ? -1 : ZARRIO_CALLBACK_NOT_FOUND;
    }
    memcpy(e->data + offset, data, len);
    pthread_mutex_unlock(&s->lock);
    return ZARRIO_CALLBACK_OK;
}

static int32_t cb_erase(void *ud, const char *key, zarrio_io *io) {
    host_store *s = ud;
    int rc = begin(s, io);
    if (rc) return rc;
    for (entry **p = &s->head; *p; p = &(*p)->next)
        if (strcmp((*p)->key, key) == 0) {
            entry *e = *p;
            *p = e->next;
            free(e->key);
            free(e->data);
            free(e);
            break;
        }
    pthread_mutex_unlock(&s->lock);
    return ZARRIO_CALLBACK_OK;
}

static int32_t cb_list(void *ud, const char *prefix, zarrio_io *io) {
    host_store *s = ud;
    int rc = begin(s, io);
    if (rc) return rc;
    for (entry *e = s->head; e; e = e->next)
        if (strncmp(e->key, prefix, strlen(prefix)) == 0) zarrio_io_add_key(io, e->key);
    pthread_mutex_unlock(&s->lock);
    return ZARRIO_CALLBACK_OK;
}

static int32_t cb_size(void *ud, const char *key, uint64_t *out_size, zarrio_io *io) {
    host_store *s = ud;
    int rc = begin(s, io);
    if (rc) return rc;
    entry *e = find(s, key);
    if (e) *out_size = e->len;
    pthread_mutex_unlock(&s->lock);
    return e ? ZARRIO_CALLBACK_OK : ZARRIO_CALLBACK_NOT_FOUND;
}

static void cb_release(void *ud) {
    host_store *s = ud;
    while (s->head) {
        entry *e = s->head;
        s->head = e->next;
        free(e->key);
        free(e->data);
        free(e);
    }
    pthread_mutex_destroy(&s->lock);
    free(s);
}

/* A shard the host fetched itself, for the pipeline call. */
typedef struct {
    const uint8_t *data;
    size_t len;
    int reads;
} shard_bytes;

static int32_t read_shard_range(void *ud, uint64_t offset, uint64_t length, int32_t from_end, zarrio_io *io) {
    shard_bytes *b = ud;
    b->reads++; /* no lock: the call below asks for 1 thread, so only the caller's */
    if (from_end) offset = b->len - length;
    if (length == UINT64_MAX) length = b->len - offset;
    if (offset > b->len || length > b->len - offset) return -1;
    zarrio_io_set_data(io, b->data + offset, (size_t)length);
    return ZARRIO_CALLBACK_OK;
}

#define N 64
#define SHARD 32
#define INNER 8

static int fail(const char *what, zarrio_status st) {
    fprintf(stderr, "callback_store: %s failed: %s: %s\n", what, zarrio_status_name(st), zarrio_last_error());
    return 1;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    host_store *hs = calloc(1, sizeof *hs);
    pthread_mutex_init(&hs->lock, NULL);
    hs->latency_us = argc > 1 ? atol(argv[1]) : 200;

    zarrio_store_callbacks cb = {0};
    cb.struct_size = sizeof cb;
    cb.user_data = hs;
    cb.get = cb_get;
    cb.get_range = cb_get_range;
    cb.set = cb_set;
    cb.set_range = cb_set_range;
    cb.erase = cb_erase;
    cb.list = cb_list;
    cb.size = cb_size;
    cb.release = cb_release;

    zarrio_store *store = NULL;
    zarrio_array *array = NULL;
    zarrio_status st;
    if ((st = zarrio_store_create_callbacks(&cb, &store)) != ZARRIO_OK) return fail("create store", st);

    /* Uncompressed inner chunks with a checksum: a fixed size, so partial
       writes patch inner chunks in place with set_range. */
    char meta[1024];
    snprintf(meta, sizeof meta,
             "{\"zarr_format\":3,\"node_type\":\"array\",\"shape\":[%d,%d],\"data_type\":\"int32\","
             "\"chunk_grid\":{\"name\":\"regular\",\"configuration\":{\"chunk_shape\":[%d,%d]}},"
             "\"chunk_key_encoding\":{\"name\":\"default\"},\"fill_value\":-1,"
             "\"codecs\":[{\"name\":\"sharding_indexed\",\"configuration\":{\"chunk_shape\":[%d,%d],"
             "\"codecs\":[{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}},{\"name\":\"crc32c\"}],"
             "\"index_codecs\":[{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}},{\"name\":\"crc32c\"}]}}]}",
             N, N, SHARD, SHARD, INNER, INNER);
    if ((st = zarrio_array_create(store, "grid", meta, &array)) != ZARRIO_OK) return fail("create array", st);

    static int32_t all[N * N], back[N * N];
    for (int i = 0; i < N * N; i++) all[i] = i;
    uint64_t origin[2] = {0, 0}, full[2] = {N, N};
    double t0 = now();
    if ((st = zarrio_array_write(array, 2, origin, full, all, sizeof all, NULL)) != ZARRIO_OK) return fail("write", st);
    printf("wrote %dx%d int32 (4 shards) in %.1f ms: %ld whole-value writes\n", N, N, (now() - t0) * 1e3,
           hs->whole_writes);

    /* Patch one inner chunk in each shard: in place, one range write each. */
    long rw = hs->range_writes, ww = hs->whole_writes;
    int32_t patch[INNER * INNER];
    for (int i = 0; i < INNER * INNER; i++) patch[i] = 100000 + i;
    for (int s = 0; s < 4; s++) {
        uint64_t start[2] = {(uint64_t)(s / 2) * SHARD + INNER, (uint64_t)(s % 2) * SHARD + 2 * INNER};
        uint64_t shape[2] = {INNER, INNER};
        if ((st = zarrio_array_write(array, 2, start, shape, patch, sizeof patch, NULL)) != ZARRIO_OK)
            return fail("patch", st);
        for (int i = 0; i < INNER; i++)
            for (int j = 0; j < INNER; j++) all[(start[0] + i) * N + start[1] + j] = patch[i * INNER + j];
    }
    printf("patched 4 inner chunks in place: %ld range writes, %ld whole-value writes\n", hs->range_writes - rw,
           hs->whole_writes - ww);
    if (hs->range_writes - rw != 4 || hs->whole_writes != ww) {
        fprintf(stderr, "callback_store: expected 4 in-place range writes and no whole rewrites\n");
        return 1;
    }

    long req = hs->requests;
    t0 = now();
    if ((st = zarrio_array_read(array, 2, origin, full, back, sizeof back, NULL)) != ZARRIO_OK) return fail("read", st);
    printf("read everything in %.1f ms with %ld requests of %ld us each\n", (now() - t0) * 1e3, hs->requests - req,
           hs->latency_us);
    if (memcmp(all, back, sizeof all) != 0) {
        fprintf(stderr, "callback_store: read back wrong values\n");
        return 1;
    }

    /* A failing store: a clear status with the host's message; the stored
       data is unchanged afterwards. */
    hs->fail = 1;
    int32_t junk[4] = {0, 0, 0, 0};
    uint64_t s2[2] = {3, 3}, sh2[2] = {2, 2};
    st = zarrio_array_write(array, 2, s2, sh2, junk, sizeof junk, NULL);
    printf("write with a failing store: %s: %s\n", zarrio_status_name(st), zarrio_last_error());
    if (st != ZARRIO_ERR_IO || !strstr(zarrio_last_error(), "injected failure")) return 1;
    st = zarrio_array_read(array, 2, origin, full, back, sizeof back, NULL);
    printf("read with a failing store: %s: %s\n", zarrio_status_name(st), zarrio_last_error());
    if (st != ZARRIO_ERR_IO) return 1;
    hs->fail = 0;
    if ((st = zarrio_array_read(array, 2, origin, full, back, sizeof back, NULL)) != ZARRIO_OK) return fail("reread", st);
    if (memcmp(all, back, sizeof all) != 0) {
        fprintf(stderr, "callback_store: a failed write changed stored data\n");
        return 1;
    }

    /* Decode part of a shard the host fetched itself. */
    zarrio_pipeline *pipe = NULL;
    if ((st = zarrio_array_pipeline(array, &pipe)) != ZARRIO_OK) return fail("pipeline", st);
    pthread_mutex_lock(&hs->lock);
    entry *e = find(hs, "grid/c/1/1");
    shard_bytes sb = {e ? e->data : NULL, e ? e->len : 0, 0};
    pthread_mutex_unlock(&hs->lock);
    if (!e) return 1;
    uint64_t in_shard[2] = {5, 9}, rshape[2] = {10, 12};
    int32_t region[10 * 12];
    if ((st = zarrio_pipeline_decode_shard_region(pipe, read_shard_range, &sb, 2, in_shard, rshape, region,
                                                  sizeof region, NULL, 1)) != ZARRIO_OK)
        return fail("decode shard region", st);
    for (int i = 0; i < 10; i++)
        for (int j = 0; j < 12; j++)
            if (region[i * 12 + j] != all[(SHARD + 5 + i) * N + SHARD + 9 + j]) {
                fprintf(stderr, "callback_store: shard region value wrong at (%d, %d)\n", i, j);
                return 1;
            }
    printf("decoded a 10x12 region of shard (1, 1) with %d range reads of the host's bytes\n", sb.reads);
    zarrio_pipeline_free(pipe);

    zarrio_array_free(array);
    zarrio_store_free(store); /* calls cb_release */
    printf("callback_store: ok\n");
    return 0;
}
