/*
 * Version, status names, the last-error message (borrowed and copied, per
 * thread) and the library-wide thread count.
 *
 * Calls: zarrio_version, zarrio_version_number, zarrio_status_name,
 * zarrio_last_error, zarrio_last_error_copy, zarrio_set_threads,
 * zarrio_threads (plus a few calls that fail on purpose to set a message).
 */
#include "check.h"

#include <pthread.h>

static void test_version(void) {
    const char *v = zarrio_version();
    REQUIRE(v != NULL);
    CHECK_MSG(strcmp(v, ZARRIO_VERSION_STRING) == 0, "zarrio_version() = \"%s\", header says \"%s\"", v,
              ZARRIO_VERSION_STRING);
    CHECK_MSG(zarrio_version_number() == (uint32_t)ZARRIO_VERSION_NUMBER, "zarrio_version_number() = %u, header %u",
              (unsigned)zarrio_version_number(), (unsigned)ZARRIO_VERSION_NUMBER);
    CHECK(ZARRIO_VERSION_NUMBER == ZARRIO_VERSION_MAJOR * 10000 + ZARRIO_VERSION_MINOR * 100 + ZARRIO_VERSION_PATCH);

    /* The string is MAJOR.MINOR.PATCH and agrees with the number. */
    unsigned maj = 0, min = 0, pat = 0;
    char rest = 0;
    int n = sscanf(v, "%u.%u.%u%c", &maj, &min, &pat, &rest);
    CHECK_MSG(n == 3 || (n == 4 && rest == '-'), "version \"%s\" is not MAJOR.MINOR.PATCH", v);
    CHECK(maj == ZARRIO_VERSION_MAJOR);
    CHECK(min == ZARRIO_VERSION_MINOR);
    CHECK(pat == ZARRIO_VERSION_PATCH);
    CHECK(zarrio_version_number() == maj * 10000u + min * 100u + pat);
    /* The same static string every time. */
    CHECK(zarrio_version() == v);
}

static void test_status_names(void) {
    static const struct {
        zarrio_status code;
        int value;
        const char *name;
    } codes[] = {
        {ZARRIO_OK, 0, "ZARRIO_OK"},
        {ZARRIO_ERR_INVALID_ARGUMENT, -1, "ZARRIO_ERR_INVALID_ARGUMENT"},
        {ZARRIO_ERR_INVALID_METADATA, -2, "ZARRIO_ERR_INVALID_METADATA"},
        {ZARRIO_ERR_UNSUPPORTED, -3, "ZARRIO_ERR_UNSUPPORTED"},
        {ZARRIO_ERR_NOT_FOUND, -4, "ZARRIO_ERR_NOT_FOUND"},
        {ZARRIO_ERR_IO, -5, "ZARRIO_ERR_IO"},
        {ZARRIO_ERR_CORRUPT, -6, "ZARRIO_ERR_CORRUPT"},
        {ZARRIO_ERR_CHECKSUM, -7, "ZARRIO_ERR_CHECKSUM"},
        {ZARRIO_ERR_OUT_OF_BOUNDS, -8, "ZARRIO_ERR_OUT_OF_BOUNDS"},
        {ZARRIO_ERR_BUFFER_TOO_SMALL, -9, "ZARRIO_ERR_BUFFER_TOO_SMALL"},
        {ZARRIO_ERR_ALREADY_EXISTS, -10, "ZARRIO_ERR_ALREADY_EXISTS"},
        {ZARRIO_ERR_INTERNAL, -11, "ZARRIO_ERR_INTERNAL"},
        {ZARRIO_ERR_OUT_OF_MEMORY, -12, "ZARRIO_ERR_OUT_OF_MEMORY"},
    };
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        /* The header constants have the stable values of the plan. */
        CHECK_MSG((int)codes[i].code == codes[i].value, "%s is %d, expected %d", codes[i].name, (int)codes[i].code,
                  codes[i].value);
        const char *name = zarrio_status_name(codes[i].code);
        CHECK_MSG(name != NULL && strcmp(name, codes[i].name) == 0, "zarrio_status_name(%d) = \"%s\", expected \"%s\"",
                  (int)codes[i].code, name ? name : "(NULL)", codes[i].name);
        /* A static string: the same pointer on every call. */
        CHECK(zarrio_status_name(codes[i].code) == name);
    }
    const zarrio_status unknown[] = {1, 7, -13, -100, INT32_MIN, INT32_MAX};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        const char *name = zarrio_status_name(unknown[i]);
        CHECK_MSG(name != NULL && strcmp(name, "ZARRIO_ERR_UNKNOWN") == 0, "zarrio_status_name(%d) = \"%s\"",
                  (int)unknown[i], name ? name : "(NULL)");
    }
}

/* Make the library fail with a known message. Returns the message length. */
static size_t provoke_error(void) {
    zarrio_store *s = NULL;
    /* NULL out pointer: INVALID_ARGUMENT with a message naming "out". */
    CHECK_STATUS(zarrio_store_create_memory(NULL), ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK(s == NULL);
    const char *msg = zarrio_last_error();
    REQUIRE(msg != NULL);
    CHECK(strlen(msg) > 0);
    CHECK_MSG(strstr(msg, "out") != NULL, "message \"%s\" does not name the NULL argument", msg);
    return strlen(msg);
}

static void test_last_error_copy(void) {
    size_t len = provoke_error();
    REQUIRE(len >= 4);
    char *full = xstrdup(zarrio_last_error());

    /* Large enough buffer: the whole message, NUL-terminated. */
    char big[512];
    memset(big, 'X', sizeof big);
    size_t r = zarrio_last_error_copy(big, sizeof big);
    CHECK(r == len);
    CHECK(strcmp(big, full) == 0);

    /* Exactly len + 1: still whole. */
    char *exact = (char *)xmalloc(len + 2);
    memset(exact, 'X', len + 2);
    r = zarrio_last_error_copy(exact, len + 1);
    CHECK(r == len);
    CHECK(strcmp(exact, full) == 0);
    CHECK(exact[len + 1] == 'X'); /* nothing written past capacity */

    /* Exactly len: truncated by one character. */
    memset(exact, 'X', len + 2);
    r = zarrio_last_error_copy(exact, len);
    CHECK(r == len);
    CHECK(exact[len - 1] == '\0');
    CHECK(strncmp(exact, full, len - 1) == 0);
    CHECK(exact[len] == 'X');
    free(exact);

    /* Small buffer: truncated to capacity - 1 characters plus NUL, return value
     * is still the full length. */
    char small[5];
    memset(small, 'X', sizeof small);
    r = zarrio_last_error_copy(small, 4);
    CHECK(r == len);
    CHECK(small[3] == '\0');
    CHECK(strncmp(small, full, 3) == 0);
    CHECK(small[4] == 'X'); /* beyond the capacity given: untouched */

    /* Capacity 1: just the terminator. */
    small[0] = 'Y';
    r = zarrio_last_error_copy(small, 1);
    CHECK(r == len);
    CHECK(small[0] == '\0');

    /* Capacity 0: nothing written, full length returned. */
    memset(small, 'Z', sizeof small);
    r = zarrio_last_error_copy(small, 0);
    CHECK(r == len);
    CHECK(small[0] == 'Z');

    /* NULL buffer (with or without a capacity): just the length. */
    CHECK(zarrio_last_error_copy(NULL, 0) == len);
    CHECK(zarrio_last_error_copy(NULL, 100) == len);

    /* Reading the message does not change it. */
    CHECK(strcmp(zarrio_last_error(), full) == 0);
    free(full);

    /* A different failure replaces the message. */
    zarrio_store *store = NULL;
    CHECK_STATUS(zarrio_store_open_filesystem(NULL, &store), ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK(store == NULL);
    char *m2 = xstrdup(zarrio_last_error());
    CHECK_MSG(strstr(m2, "path") != NULL, "message \"%s\" does not name the NULL path", m2);
    CHECK(zarrio_last_error_copy(NULL, 0) == strlen(m2));
    free(m2);
}

/* The message is per thread: an error on another thread leaves ours alone,
 * and that thread sees its own message. */
struct thread_result {
    int status;
    char message[256];
    size_t copy_len;
};

static void *thread_main(void *arg) {
    struct thread_result *res = (struct thread_result *)arg;
    /* A fresh thread has an empty message. */
    const char *initial = zarrio_last_error();
    int initial_empty = initial != NULL && initial[0] == '\0';
    res->copy_len = zarrio_last_error_copy(NULL, 0);
    if (!initial_empty || res->copy_len != 0) {
        res->status = 999;
        return NULL;
    }
    size_t ndim = 0;
    res->status = zarrio_array_ndim(NULL, &ndim);
    zarrio_last_error_copy(res->message, sizeof res->message);
    res->copy_len = zarrio_last_error_copy(NULL, 0);
    return NULL;
}

static void test_last_error_threads(void) {
    provoke_error();
    char *mine = xstrdup(zarrio_last_error());
    struct thread_result res;
    memset(&res, 0, sizeof res);
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, thread_main, &res) == 0);
    REQUIRE(pthread_join(t, NULL) == 0);
    CHECK_MSG(res.status != 999, "a new thread's last error is not empty");
    CHECK_MSG(res.status == ZARRIO_ERR_INVALID_ARGUMENT, "other thread got %s", zarrio_status_name(res.status));
    CHECK(res.message[0] != '\0');
    CHECK(res.copy_len == strlen(res.message));
    CHECK_MSG(strstr(res.message, "array") != NULL, "other thread's message \"%s\" does not name the array",
              res.message);
    {
        const char *now = zarrio_last_error();
        CHECK_MSG(strcmp(now, mine) == 0, "this thread's message changed to \"%s\"", now);
    }
    free(mine);
}

static void test_threads(void) {
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    /* The initial default is one thread per core. */
    uint32_t initial = zarrio_threads();
    CHECK(initial >= 1);

    CHECK_OK(zarrio_set_threads(3));
    CHECK(zarrio_threads() == 3);
    CHECK_OK(zarrio_set_threads(1));
    CHECK(zarrio_threads() == 1);
    CHECK_OK(zarrio_set_threads(2));
    CHECK(zarrio_threads() == 2);
    /* 0 = one per core. */
    CHECK_OK(zarrio_set_threads(0));
    uint32_t dflt = zarrio_threads();
    CHECK(dflt >= 1);
    CHECK(dflt == initial);
    /* (Compared loosely: the library may honour CPU affinity or quotas.) */
    if (cores > 0)
        CHECK_MSG(dflt <= (uint32_t)cores, "zarrio_set_threads(0) gives %u threads, only %ld cores are online",
                  (unsigned)dflt, cores);

    /* Per-array thread counts. */
    zarrio_store *s = NULL;
    REQUIRE_OK(zarrio_store_create_memory(&s));
    zarrio_array *a = NULL;
    REQUIRE_OK(zarrio_array_create(
        s, "a",
        "{\"zarr_format\":3,\"node_type\":\"array\",\"shape\":[16,16],\"data_type\":\"uint8\","
        "\"chunk_grid\":{\"name\":\"regular\",\"configuration\":{\"chunk_shape\":[4,4]}},"
        "\"chunk_key_encoding\":{\"name\":\"default\",\"configuration\":{\"separator\":\"/\"}},"
        "\"fill_value\":0,\"codecs\":[{\"name\":\"bytes\"}],\"attributes\":{}}",
        &a));
    unsigned char src[256], dst[256];
    for (int i = 0; i < 256; i++) src[i] = (unsigned char)(i * 7 + 1);
    uint64_t start[2] = {0, 0}, shape[2] = {16, 16};
    const uint32_t counts[] = {1, 2, 4, 0};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        CHECK_OK(zarrio_array_set_threads(a, counts[i]));
        CHECK_OK(zarrio_array_write(a, 2, start, shape, src, sizeof src, NULL));
        memset(dst, 0, sizeof dst);
        CHECK_OK(zarrio_array_read(a, 2, start, shape, dst, sizeof dst, NULL));
        CHECK_MSG(memcmp(src, dst, sizeof src) == 0, "round trip differs with %u threads", (unsigned)counts[i]);
    }
    /* The library default affects arrays that did not set their own. */
    CHECK_OK(zarrio_set_threads(2));
    CHECK_OK(zarrio_array_set_threads(a, 0));
    memset(dst, 0, sizeof dst);
    CHECK_OK(zarrio_array_read(a, 2, start, shape, dst, sizeof dst, NULL));
    CHECK(memcmp(src, dst, sizeof src) == 0);
    CHECK_STATUS(zarrio_array_set_threads(NULL, 1), ZARRIO_ERR_INVALID_ARGUMENT);
    zarrio_array_free(a);
    zarrio_store_free(s);
    CHECK_OK(zarrio_set_threads(0));
    CHECK(zarrio_threads() == dflt);
}

/* A binding reports its own argument errors through the thread's last
 * error, as the library reports its own. */
static void test_set_last_error(void) {
    CHECK(zarrio_set_last_error(ZARRIO_ERR_OUT_OF_BOUNDS, "start(2) is 0") == ZARRIO_ERR_OUT_OF_BOUNDS);
    CHECK(strcmp(zarrio_last_error(), "start(2) is 0") == 0);
    char buf[8];
    CHECK(zarrio_last_error_copy(buf, sizeof buf) == 13 && strcmp(buf, "start(2") == 0);
    CHECK(zarrio_set_last_error(ZARRIO_ERR_INVALID_ARGUMENT, NULL) == ZARRIO_ERR_INVALID_ARGUMENT);
    CHECK(strcmp(zarrio_last_error(), "") == 0);
}

/* zarrio_array_check_element for the types held as integers, and those
 * checked by size. */
static void test_check_element(void) {
    zarrio_store *s = NULL;
    REQUIRE_OK(zarrio_store_create_memory(&s));
    static const struct {
        const char *dtype, *fill;
        size_t size;
        const char *fits[4], *refused[4];
    } cases[] = {
        {"\"int4\"", "0", 1, {"signed", "integer", NULL}, {"unsigned", "bool", "float", NULL}},
        {"\"uint2\"", "0", 1, {"unsigned", "integer", NULL}, {"signed", "bool", NULL}},
        {"{\"name\":\"numpy.datetime64\",\"configuration\":{\"unit\":\"D\",\"scale_factor\":1}}", "0", 8,
         {"signed", "integer", NULL}, {"float", "unsigned", NULL}},
        {"\"float16\"", "0.0", 2, {"unsigned", "float", "signed", NULL}, {"bool", NULL}},
        {"\"r16\"", "[0,0]", 2, {"unsigned", "float", NULL}, {"bool", NULL}},
        {"\"bool\"", "false", 1, {"bool", NULL}, {"unsigned", "integer", NULL}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char json[512];
        snprintf(json, sizeof json,
                 "{\"zarr_format\":3,\"node_type\":\"array\",\"shape\":[2],\"data_type\":%s,"
                 "\"chunk_grid\":{\"name\":\"regular\",\"configuration\":{\"chunk_shape\":[2]}},"
                 "\"chunk_key_encoding\":{\"name\":\"default\"},\"fill_value\":%s,"
                 "\"codecs\":[{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}}]}",
                 cases[i].dtype, cases[i].fill);
        char path[16];
        snprintf(path, sizeof path, "a%zu", i);
        zarrio_array *a = NULL;
        if (!CHECK_OK_CTX(zarrio_array_create(s, path, json, &a), "%s", cases[i].dtype)) continue;
        for (size_t k = 0; cases[i].fits[k]; k++)
            CHECK_OK_CTX(zarrio_array_check_element(a, cases[i].size, cases[i].fits[k]), "%s as %s",
                         cases[i].dtype, cases[i].fits[k]);
        for (size_t k = 0; cases[i].refused[k]; k++)
            CHECK_STATUS(zarrio_array_check_element(a, cases[i].size, cases[i].refused[k]),
                         ZARRIO_ERR_INVALID_ARGUMENT);
        CHECK_OK(zarrio_array_check_element(a, cases[i].size, NULL));
        CHECK_STATUS(zarrio_array_check_element(a, cases[i].size + 1, NULL), ZARRIO_ERR_INVALID_ARGUMENT);
        zarrio_array_free(a);
    }
    zarrio_store_free(s);
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    test_set_last_error();
    test_check_element();
    test_version();
    test_status_names();
    test_last_error_copy();
    test_last_error_threads();
    test_threads();
    return TEST_RETURN();
}
