/*
 * Several processes write disjoint inner chunks of the same shards at the
 * same time (as MPI ranks would). The shards use fixed-size inner codecs,
 * so the first writer allocates each shard densely and every later write
 * patches only its own slots. Afterwards every value must be present.
 * Repeated to give races a chance to show.
 */
#include "check.h"

#include <sys/wait.h>

#define H 40
#define W 36
#define INNER 4
#define PROCS 4
#define ROUNDS 8

static int32_t expected_at(uint64_t i, uint64_t j) { return (int32_t)(i * 1000 + j + 1); }

/* A child: write every inner chunk whose number is congruent to rank. */
static int child(const char *dir, int rank) {
    zarrio_store *store = NULL;
    zarrio_array *array = NULL;
    if (zarrio_store_open_filesystem(dir, &store) != ZARRIO_OK) return 10;
    if (zarrio_array_open(store, "arr", &array) != ZARRIO_OK) return 11;
    /* One thread: the library's pools are not used across fork(). */
    if (zarrio_array_set_threads(array, 1) != ZARRIO_OK) return 12;
    int rows = (H + INNER - 1) / INNER, cols = (W + INNER - 1) / INNER;
    for (int k = 0; k < rows * cols; k++) {
        /* Visit in a rank-dependent order so writers interleave. */
        int c = (k * 7 + rank * 13) % (rows * cols);
        if (c % PROCS != rank) continue;
        uint64_t start[2] = {(uint64_t)(c / cols) * INNER, (uint64_t)(c % cols) * INNER};
        uint64_t shape[2] = {start[0] + INNER <= H ? INNER : H - start[0], start[1] + INNER <= W ? INNER : W - start[1]};
        int32_t buf[INNER * INNER];
        for (uint64_t i = 0; i < shape[0]; i++)
            for (uint64_t j = 0; j < shape[1]; j++) buf[i * shape[1] + j] = expected_at(start[0] + i, start[1] + j);
        zarrio_status st = zarrio_array_write(array, 2, start, shape, buf, sizeof buf, NULL);
        if (st != ZARRIO_OK) {
            fprintf(stderr, "child %d: %s: %s\n", rank, zarrio_status_name(st), zarrio_last_error());
            return 13;
        }
    }
    zarrio_array_free(array);
    zarrio_store_free(store);
    return 0;
}

int main(int argc, char **argv) {
    char *scratch = make_scratch_dir(argc, argv, "multiprocess");
    for (int round = 0; round < ROUNDS; round++) {
        char *dir = str_printf("%s/round%d", scratch, round);
        const char *location = round % 2 ? "start" : "end";
        const char *inner_crc = round % 4 < 2 ? ",{\"name\":\"crc32c\"}" : "";
        char *meta = str_printf(
            "{\"zarr_format\":3,\"node_type\":\"array\",\"shape\":[%d,%d],\"data_type\":\"int32\","
            "\"chunk_grid\":{\"name\":\"regular\",\"configuration\":{\"chunk_shape\":[16,16]}},"
            "\"chunk_key_encoding\":{\"name\":\"default\"},\"fill_value\":0,"
            "\"codecs\":[{\"name\":\"sharding_indexed\",\"configuration\":{\"chunk_shape\":[%d,%d],"
            "\"codecs\":[{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}}%s],"
            "\"index_codecs\":[{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}},{\"name\":\"crc32c\"}],"
            "\"index_location\":\"%s\"}}]}",
            H, W, INNER, INNER, inner_crc, location);
        zarrio_store *store = NULL;
        zarrio_array *array = NULL;
        REQUIRE_OK(zarrio_store_open_filesystem(dir, &store));
        REQUIRE_OK(zarrio_array_create(store, "arr", meta, &array));
        zarrio_array_free(array);
        array = NULL;

        pid_t pids[PROCS];
        for (int r = 0; r < PROCS; r++) {
            pids[r] = fork();
            REQUIRE(pids[r] >= 0);
            if (pids[r] == 0) _exit(child(dir, r));
        }
        for (int r = 0; r < PROCS; r++) {
            int status = 0;
            REQUIRE(waitpid(pids[r], &status, 0) == pids[r]);
            CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "round %d: child %d exited with %d", round, r,
                      WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        }

        REQUIRE_OK(zarrio_array_open(store, "arr", &array));
        /* The parent forks again next round: keep it free of worker threads,
           so the children (which do not inherit them) start clean. */
        REQUIRE_OK(zarrio_array_set_threads(array, 1));
        static int32_t out[H * W];
        uint64_t origin[2] = {0, 0}, full[2] = {H, W};
        REQUIRE_OK(zarrio_array_read(array, 2, origin, full, out, sizeof out, NULL));
        int wrong = 0;
        for (uint64_t i = 0; i < H; i++)
            for (uint64_t j = 0; j < W; j++)
                if (out[i * W + j] != expected_at(i, j)) wrong++;
        CHECK_MSG(wrong == 0, "round %d: %d values lost or wrong", round, wrong);
        zarrio_array_free(array);
        zarrio_store_free(store);
        free(meta);
        free(dir);
    }
    remove_tree(scratch);
    free(scratch);
    return TEST_RETURN();
}
