/*
 * Shared helpers for the C tests of zarrio.
 *
 * Every test program includes this header FIRST (it selects the POSIX
 * feature level before any system header is seen).
 *
 *   CHECK(cond)                 a condition that must hold
 *   CHECK_OK(call)              a zarrio call that must return ZARRIO_OK
 *   CHECK_STATUS(call, status)  a zarrio call that must return `status`;
 *                               for an error status the thread's last error
 *                               message must also be non-empty
 *   REQUIRE_OK(call)            as CHECK_OK, but ends the program on failure
 *                               (for calls whose result later checks need)
 *   REQUIRE(cond)               as CHECK, but ends the program on failure
 *
 * A failed check prints file:line, the call, the status name and the last
 * error message, and counts as a failure; TEST_RETURN() prints a summary and
 * gives main's exit code (0 only if no check failed).
 */
#ifndef ZARRIO_TESTS_CHECK_H
#define ZARRIO_TESTS_CHECK_H

#if !defined(_XOPEN_SOURCE) || _XOPEN_SOURCE < 700
#undef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700
#endif

#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "zarrio.h"

static int g_failures = 0;
static int g_checks = 0;

static inline void check_report_status(const char *file, int line, const char *what, zarrio_status got,
                                       const char *expected_name) {
    const char *msg = zarrio_last_error();
    fprintf(stderr, "%s:%d: FAILED: %s\n    returned %s (%d), expected %s\n    last error: \"%s\"\n", file, line,
            what, zarrio_status_name(got), (int)got, expected_name, msg ? msg : "(NULL)");
    fflush(stderr);
}

/* Returns 1 when the check passed. */
static inline int check_status_impl(const char *file, int line, const char *what, zarrio_status got,
                                    zarrio_status expected) {
    g_checks++;
    if (got != expected) {
        check_report_status(file, line, what, got, zarrio_status_name(expected));
        g_failures++;
        return 0;
    }
    if (expected != ZARRIO_OK) {
        const char *msg = zarrio_last_error();
        if (msg == NULL || msg[0] == '\0') {
            fprintf(stderr, "%s:%d: FAILED: %s\n    returned %s as expected, but the last error message is %s\n",
                    file, line, what, zarrio_status_name(got), msg == NULL ? "NULL" : "empty");
            fflush(stderr);
            g_failures++;
            return 0;
        }
    }
    return 1;
}

/* As check_status_impl, with a printf-style context line (which must not
 * call into zarrio: the call's status is taken before it is formatted). */
static inline int check_status_ctx_impl(const char *file, int line, const char *what, zarrio_status got,
                                        zarrio_status expected, const char *fmt, ...) {
    int ok = check_status_impl(file, line, what, got, expected);
    if (!ok) {
        va_list ap;
        fprintf(stderr, "    context: ");
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        fflush(stderr);
    }
    return ok;
}

static inline int check_cond_impl(const char *file, int line, const char *what, int ok) {
    g_checks++;
    if (!ok) {
        fprintf(stderr, "%s:%d: FAILED: CHECK(%s)\n", file, line, what);
        fflush(stderr);
        g_failures++;
        return 0;
    }
    return 1;
}

#define CHECK(cond) check_cond_impl(__FILE__, __LINE__, #cond, (cond) ? 1 : 0)
#define CHECK_STATUS(call, expected) check_status_impl(__FILE__, __LINE__, #call, (call), (expected))
#define CHECK_OK(call) CHECK_STATUS(call, ZARRIO_OK)
/* CHECK_STATUS with a printf-style context (arguments must not call zarrio). */
#define CHECK_STATUS_CTX(call, expected, ...) \
    check_status_ctx_impl(__FILE__, __LINE__, #call, (call), (expected), __VA_ARGS__)
#define CHECK_OK_CTX(call, ...) CHECK_STATUS_CTX(call, ZARRIO_OK, __VA_ARGS__)

/* Like CHECK but with a printf-style explanation on failure. */
static inline int check_msg_impl(const char *file, int line, const char *what, int ok, const char *fmt, ...) {
    g_checks++;
    if (!ok) {
        va_list ap;
        fprintf(stderr, "%s:%d: FAILED: CHECK(%s): ", file, line, what);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        fflush(stderr);
        g_failures++;
        return 0;
    }
    return 1;
}
#define CHECK_MSG(cond, ...) check_msg_impl(__FILE__, __LINE__, #cond, (cond) ? 1 : 0, __VA_ARGS__)

static inline void test_abort(const char *file, int line) {
    fprintf(stderr, "%s:%d: a required check failed; stopping this test program (%d failure(s) so far)\n", file,
            line, g_failures);
    fflush(stderr);
    exit(1);
}

#define REQUIRE_OK(call)                                                                                          \
    do {                                                                                                          \
        if (!check_status_impl(__FILE__, __LINE__, #call, (call), ZARRIO_OK)) test_abort(__FILE__, __LINE__);    \
    } while (0)
#define REQUIRE(cond)                                                                                             \
    do {                                                                                                          \
        if (!check_cond_impl(__FILE__, __LINE__, #cond, (cond) ? 1 : 0)) test_abort(__FILE__, __LINE__);         \
    } while (0)

static inline int test_return(const char *name) {
    if (g_failures) {
        fprintf(stderr, "%s: %d of %d checks FAILED\n", name, g_failures, g_checks);
        return 1;
    }
    printf("%s: all %d checks passed\n", name, g_checks);
    return 0;
}
#define TEST_RETURN() test_return(__FILE__)

/* ---- memory and strings ---------------------------------------------- */

static inline void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "out of memory (%zu bytes)\n", n);
        exit(2);
    }
    return p;
}

static inline char *xstrdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *p = (char *)xmalloc(n);
    memcpy(p, s, n);
    return p;
}

/* A malloc'd printf. */
static inline char *str_printf(const char *fmt, ...) {
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = (char *)xmalloc((size_t)n + 1);
    vsnprintf(s, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return s;
}

/* A malloc'd copy of JSON text without whitespace outside strings, so tests
 * can look for fragments with strstr whatever the library's formatting. */
static inline char *json_compact(const char *s) {
    char *out = (char *)xmalloc(strlen(s) + 1);
    size_t j = 0;
    int in_str = 0, esc = 0;
    for (const char *p = s; *p; p++) {
        char c = *p;
        if (in_str) {
            out[j++] = c;
            if (esc)
                esc = 0;
            else if (c == '\\')
                esc = 1;
            else if (c == '"')
                in_str = 0;
        } else if (c == '"') {
            in_str = 1;
            out[j++] = c;
        } else if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
            out[j++] = c;
        }
    }
    out[j] = '\0';
    return out;
}

/* 1 when compact(json) contains compact(fragment). */
static inline int json_contains(const char *json, const char *fragment) {
    if (!json) return 0;
    char *a = json_compact(json), *b = json_compact(fragment);
    int r = strstr(a, b) != NULL;
    free(a);
    free(b);
    return r;
}

/* ---- files and scratch directories ------------------------------------ */

static inline int mkdir_p(const char *path) {
    char *tmp = xstrdup(path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0777) != 0 && errno != EEXIST) {
                free(tmp);
                return -1;
            }
            *p = '/';
        }
    }
    int r = mkdir(tmp, 0777);
    free(tmp);
    return (r == 0 || errno == EEXIST) ? 0 : -1;
}

/* A fresh, unique directory for this program: argv[1]/<name>.XXXXXX, or
 * $TMPDIR (or /tmp)/zarrio-<name>.XXXXXX when no argument is given. */
static inline char *make_scratch_dir(int argc, char **argv, const char *name) {
    char *tmpl;
    if (argc > 1 && argv[1] && argv[1][0]) {
        if (mkdir_p(argv[1]) != 0) {
            fprintf(stderr, "cannot create scratch directory %s: %s\n", argv[1], strerror(errno));
            exit(2);
        }
        tmpl = str_printf("%s/%s.XXXXXX", argv[1], name);
    } else {
        const char *t = getenv("TMPDIR");
        tmpl = str_printf("%s/zarrio-%s.XXXXXX", (t && t[0]) ? t : "/tmp", name);
    }
    if (!mkdtemp(tmpl)) {
        fprintf(stderr, "mkdtemp(%s) failed: %s\n", tmpl, strerror(errno));
        exit(2);
    }
    return tmpl;
}

static inline char *path_join(const char *a, const char *b) { return str_printf("%s/%s", a, b); }

static inline int file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static inline int dir_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The whole file, malloc'd (NULL when it cannot be read). */
static inline unsigned char *read_file_bytes(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    unsigned char *buf = (unsigned char *)xmalloc(cap);
    size_t r;
    while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            cap *= 2;
            unsigned char *nb = (unsigned char *)realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

static inline int write_file_bytes(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = len ? fwrite(data, 1, len, f) : 0;
    int r = fclose(f);
    return (w == len && r == 0) ? 0 : -1;
}

static inline int write_file_text(const char *path, const char *text) {
    return write_file_bytes(path, text, strlen(text));
}

static inline int remove_tree_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Remove a directory tree (used to tidy up after a passing test). */
static inline void remove_tree(const char *path) { nftw(path, remove_tree_cb, 16, FTW_DEPTH | FTW_PHYS); }

#endif /* ZARRIO_TESTS_CHECK_H */
