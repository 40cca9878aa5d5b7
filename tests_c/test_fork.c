/* fork() while another thread is inside the library (starting thread
   pools of new sizes, which takes the library's pool lock): the child's
   own reads work, on pools of its own, and never wait on a lock a parent
   thread held at the fork. */
#define _DEFAULT_SOURCE
#include "check.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *META =
    "{\"zarr_format\":3,\"node_type\":\"array\",\"shape\":[64,64],\"data_type\":\"int32\","
    "\"chunk_grid\":{\"name\":\"regular\",\"configuration\":{\"chunk_shape\":[16,16]}},"
    "\"chunk_key_encoding\":{\"name\":\"default\"},\"fill_value\":0,"
    "\"codecs\":[{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}}]}";

static zarrio_array *busy;
static atomic_int stop;

/* Reads at ever new thread counts: a new pool (and the end of an old
   one) at nearly every call. */
static void *read_at_new_counts(void *arg) {
    (void)arg;
    static int32_t b[64 * 64];
    uint64_t start[2] = {0, 0}, shape[2] = {64, 64};
    unsigned k = 0;
    while (!atomic_load(&stop)) {
        zarrio_array_set_threads(busy, 2 + (k++ % 40) * 3);
        zarrio_array_read(busy, 2, start, shape, b, sizeof b, NULL);
    }
    return NULL;
}

int main(void) {
    zarrio_store *s = NULL;
    zarrio_array *a = NULL;
    REQUIRE_OK(zarrio_store_create_memory(&s));
    REQUIRE_OK(zarrio_array_create(s, "a", META, &a));
    REQUIRE_OK(zarrio_array_create(s, "b", META, &busy));
    static int32_t data[64 * 64], back[64 * 64];
    for (int i = 0; i < 64 * 64; i++) data[i] = i;
    uint64_t start[2] = {0, 0}, shape[2] = {64, 64};
    REQUIRE_OK(zarrio_array_write(a, 2, start, shape, data, sizeof data, NULL));
    pthread_t t;
    pthread_create(&t, NULL, read_at_new_counts, NULL);
    usleep(20000);
    int hung = 0, failed = 0;
    for (int i = 0; i < 20; i++) {
        fflush(stdout);
        pid_t pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            alarm(60);
            zarrio_status st = zarrio_array_read(a, 2, start, shape, back, sizeof back, NULL);
            _exit(st != ZARRIO_OK || back[64 * 64 - 1] != 64 * 64 - 1);
        }
        int status = 0;
        waitpid(pid, &status, 0);
        if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
            hung++;
        else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            failed++;
        usleep((useconds_t)(rand() % 3000));
    }
    atomic_store(&stop, 1);
    pthread_join(t, NULL);
    CHECK_MSG(hung == 0, "%d of 20 children hung", hung);
    CHECK_MSG(failed == 0, "%d of 20 children failed their read", failed);
    zarrio_array_free(busy);
    zarrio_array_free(a);
    zarrio_store_free(s);
    return TEST_RETURN();
}
