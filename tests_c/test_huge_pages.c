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

/* Set the advice to `setting`, read the whole array into a fresh mapping,
 * check the values and (where the kernel has huge pages) whether the
 * mapping was advised. */
static void read_with_advice(zarrio_array *a, const uint16_t *data, uint32_t setting, int thp) {
    const int advised = setting != 0;
    CHECK_OK(zarrio_set_huge_pages(setting));
    CHECK(zarrio_huge_pages() == (uint32_t)advised);
    unsigned char *out = fresh_buffer();
    REQUIRE(out != NULL);
    const uint64_t start[3] = {0, 0, 0}, shape[3] = {N0, N1, N2};
    CHECK_OK(zarrio_array_read(a, 3, start, shape, out, NELEM * 2, NULL));
    CHECK(memcmp(out, data, NELEM * 2) == 0);
    const void *probe = (const void *)(((uintptr_t)out + HUGE - 1) / HUGE * HUGE);
    if (thp)
        CHECK_MSG(has_hugepage_flag(probe) == advised, "setting %u: the buffer's huge-page flag is %d, expected %d",
                  setting, has_hugepage_flag(probe), advised);
    munmap(out, NELEM * 2);
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

    /* Off: the read leaves the mapping as the caller made it; on (any
     * nonzero value): the read advises it. */
    read_with_advice(a, data, 0, thp);
    read_with_advice(a, data, 7, thp);
    if (!thp) printf("no transparent huge pages here: mapping flags not checked\n");

    free(data);
    free(meta);
    zarrio_array_free(a);
    zarrio_store_free(mem);
    TEST_RETURN();
}
