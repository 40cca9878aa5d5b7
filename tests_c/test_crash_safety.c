/*
 * A process killed in the middle of whole-value writes leaves every chunk
 * (and shard) as the old value or the new one, never torn: the filesystem
 * store writes a temporary file and renames it into place. A child
 * rewrites two arrays over and over with alternating patterns; the parent
 * kills it at a random moment and checks every chunk reads back whole.
 */
#include "check.h"

#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#define N 64
#define CHUNK 16
#define ROUNDS 20

static int32_t pattern(int which, uint64_t i, uint64_t j) { return which ? (int32_t)(i * N + j + 1) : -(int32_t)(i + j) - 7; }

static void fill(int32_t *buf, int which) {
    for (uint64_t i = 0; i < N; i++)
        for (uint64_t j = 0; j < N; j++) buf[i * N + j] = pattern(which, i, j);
}

/* Never returns: rewrite both arrays until killed. */
static void writer(const char *dir) {
    zarrio_store *store = NULL;
    zarrio_array *a = NULL, *b = NULL;
    if (zarrio_store_open_filesystem(dir, &store) || zarrio_array_open(store, "chunked", &a) ||
        zarrio_array_open(store, "sharded", &b))
        _exit(3);
    zarrio_array_set_threads(a, 1);
    zarrio_array_set_threads(b, 1);
    static int32_t buf[N * N];
    uint64_t origin[2] = {0, 0}, full[2] = {N, N};
    for (int which = 1;; which ^= 1) {
        fill(buf, which);
        if (zarrio_array_write(a, 2, origin, full, buf, sizeof buf, NULL)) _exit(4);
        if (zarrio_array_write(b, 2, origin, full, buf, sizeof buf, NULL)) _exit(5);
    }
}

/* Each CHUNK x CHUNK block must be all pattern 0 or all pattern 1. */
static int check_whole(zarrio_array *array, const char *name, int round) {
    static int32_t out[N * N];
    uint64_t origin[2] = {0, 0}, full[2] = {N, N};
    if (!CHECK_OK(zarrio_array_read(array, 2, origin, full, out, sizeof out, NULL))) return 0;
    int torn = 0;
    for (uint64_t ci = 0; ci < N / CHUNK; ci++)
        for (uint64_t cj = 0; cj < N / CHUNK; cj++) {
            int match[2] = {1, 1};
            for (uint64_t i = ci * CHUNK; i < (ci + 1) * CHUNK; i++)
                for (uint64_t j = cj * CHUNK; j < (cj + 1) * CHUNK; j++)
                    for (int w = 0; w < 2; w++)
                        if (out[i * N + j] != pattern(w, i, j)) match[w] = 0;
            if (!match[0] && !match[1]) torn++;
        }
    return CHECK_MSG(torn == 0, "round %d: %s: %d chunks torn", round, name, torn);
}

int main(int argc, char **argv) {
    char *dir = make_scratch_dir(argc, argv, "crash");
    const char *fmt =
        "{\"zarr_format\":3,\"node_type\":\"array\",\"shape\":[%d,%d],\"data_type\":\"int32\","
        "\"chunk_grid\":{\"name\":\"regular\",\"configuration\":{\"chunk_shape\":[%d,%d]}},"
        "\"chunk_key_encoding\":{\"name\":\"default\"},\"fill_value\":0,\"codecs\":[%s]}";
    char *chunked = str_printf(fmt, N, N, CHUNK, CHUNK,
                               "{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}},"
                               "{\"name\":\"zstd\",\"configuration\":{\"level\":1}}");
    /* Compressed inner chunks: shards are rewritten whole. */
    char *sharded = str_printf(fmt, N, N, 32, 32,
                               "{\"name\":\"sharding_indexed\",\"configuration\":{\"chunk_shape\":[16,16],"
                               "\"codecs\":[{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}},"
                               "{\"name\":\"gzip\",\"configuration\":{\"level\":1}}]}}");
    zarrio_store *store = NULL;
    zarrio_array *a = NULL, *b = NULL;
    REQUIRE_OK(zarrio_store_open_filesystem(dir, &store));
    REQUIRE_OK(zarrio_array_create(store, "chunked", chunked, &a));
    REQUIRE_OK(zarrio_array_create(store, "sharded", sharded, &b));
    static int32_t init[N * N];
    fill(init, 0);
    uint64_t origin[2] = {0, 0}, full[2] = {N, N};
    REQUIRE_OK(zarrio_array_write(a, 2, origin, full, init, sizeof init, NULL));
    REQUIRE_OK(zarrio_array_write(b, 2, origin, full, init, sizeof init, NULL));

    srand((unsigned)time(NULL));
    for (int round = 0; round < ROUNDS; round++) {
        pid_t pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) writer(dir);
        struct timespec t = {0, (long)(1 + rand() % 30) * 1000000L};
        nanosleep(&t, NULL);
        kill(pid, SIGKILL);
        int status = 0;
        REQUIRE(waitpid(pid, &status, 0) == pid);
        CHECK_MSG(WIFSIGNALED(status), "round %d: the writer ended before it was killed (status %d)", round, status);
        check_whole(a, "chunked", round);
        check_whole(b, "sharded", round);
    }
    zarrio_array_free(a);
    zarrio_array_free(b);
    zarrio_store_free(store);
    free(chunked);
    free(sharded);
    remove_tree(dir);
    free(dir);
    return TEST_RETURN();
}
