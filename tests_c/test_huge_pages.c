/*
 * The process-wide huge-page advice: zarrio_huge_pages starts at 1; a read
 * into a large buffer with the advice off leaves the buffer's mapping
 * without the kernel's huge-page flag ("hg" in /proc/self/smaps), with it
 * on the flag is set; both reads return the array's values exactly.
 * Where the kernel has no transparent huge pages the flag checks are
 * skipped (the values are still checked).
 *
 * Calls: zarrio_set_huge_pages, zarrio_huge_pages,
 * zarrio_store_create_memory, zarrio_array_create, zarrio_array_write,
 * zarrio_array_read, zarrio_array_free, zarrio_store_free.
 */
/* MAP_ANONYMOUS is not in X/Open 7, which check.h selects. */
#define _DEFAULT_SOURCE
#include "check.h"

#include <sys/mman.h>

#define N0 16
#define N1 1024
#define N2 1024
#define NELEM ((size_t)N0 * N1 * N2)
#define HUGE ((uintptr_t)2 << 20)

/* 1 if the mapping holding `addr` carries the huge-page advice flag, 0 if
 * not, -1 if /proc/self/smaps cannot say. */
static int has_hugepage_flag(const void *addr) {
    FILE *f = fopen("/proc/self/smaps", "r");
    if (!f) return -1;
    char line[512];
    int inside = 0, found = -1;
    uintptr_t a = (uintptr_t)addr;
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) {
            inside = a >= lo && a < hi;
        } else if (inside && strncmp(line, "VmFlags:", 8) == 0) {
            found = strstr(line, " hg") != NULL;
            break;
        }
    }
    fclose(f);
    return found;
}

/* A fresh mapping of the output's size; the first 2 MiB boundary inside it
 * is where the advice, if any, begins. */
static unsigned char *fresh_buffer(void) {
    void *p = mmap(NULL, NELEM * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void read_and_check(zarrio_array *a, const uint16_t *data, unsigned char *out) {
    const uint64_t start[3] = {0, 0, 0}, shape[3] = {N0, N1, N2};
    CHECK_OK(zarrio_array_read(a, 3, start, shape, out, NELEM * 2, NULL));
    CHECK(memcmp(out, data, NELEM * 2) == 0);
}

int main(void) {
    const int thp = access("/sys/kernel/mm/transparent_hugepage/enabled", F_OK) == 0;
    CHECK(zarrio_huge_pages() == 1);

    zarrio_store *mem = NULL;
    REQUIRE_OK(zarrio_store_create_memory(&mem));
    char *meta = str_printf("{\"zarr_format\":3,\"node_type\":\"array\",\"shape\":[%d,%d,%d],"
                            "\"data_type\":\"uint16\",\"chunk_key_encoding\":{\"name\":\"default\"},"
                            "\"fill_value\":0,\"chunk_grid\":{\"name\":\"regular\",\"configuration\":"
                            "{\"chunk_shape\":[%d,512,512]}},"
                            "\"codecs\":[{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}}]}",
                            N0, N1, N2, N0);
    zarrio_array *a = NULL;
    REQUIRE_OK(zarrio_array_create(mem, "a", meta, &a));
    uint16_t *data = malloc(NELEM * 2);
    REQUIRE(data != NULL);
    for (size_t i = 0; i < NELEM; i++) data[i] = (uint16_t)(i * 2654435761u >> 7);
    const uint64_t start[3] = {0, 0, 0}, shape[3] = {N0, N1, N2};
    REQUIRE_OK(zarrio_array_write(a, 3, start, shape, data, NELEM * 2, NULL));

    /* Off: the read leaves the mapping as the caller made it. */
    CHECK_OK(zarrio_set_huge_pages(0));
    CHECK(zarrio_huge_pages() == 0);
    unsigned char *off = fresh_buffer();
    REQUIRE(off != NULL);
    read_and_check(a, data, off);
    const void *off_probe = (const void *)(((uintptr_t)off + HUGE - 1) / HUGE * HUGE);
    if (thp) CHECK_MSG(has_hugepage_flag(off_probe) == 0, "advice off, yet the buffer is advised");

    /* On (any nonzero value): the read advises the buffer. */
    CHECK_OK(zarrio_set_huge_pages(7));
    CHECK(zarrio_huge_pages() == 1);
    unsigned char *on = fresh_buffer();
    REQUIRE(on != NULL);
    read_and_check(a, data, on);
    const void *on_probe = (const void *)(((uintptr_t)on + HUGE - 1) / HUGE * HUGE);
    if (thp) CHECK_MSG(has_hugepage_flag(on_probe) == 1, "advice on, yet the buffer is not advised");
    if (!thp) printf("no transparent huge pages here: mapping flags not checked\n");

    munmap(off, NELEM * 2);
    munmap(on, NELEM * 2);
    free(data);
    free(meta);
    zarrio_array_free(a);
    zarrio_store_free(mem);
    TEST_RETURN();
}
