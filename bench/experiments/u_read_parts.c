/*
 * Where the time of reading dataset U whole goes, part by part, without
 * any Zarr: the experiment behind BENCHMARKS.md, "Read-all U against the
 * memcpy floor".
 *
 *   cc -O2 -pthread bench/experiments/u_read_parts.c -o /tmp/u_read_parts
 *   /tmp/u_read_parts DIR N MODE PREPOP [REPS]
 *
 * DIR is the dataset directory (e.g. /tmp/zarrio-bench-1024), N its edge.
 * MODE:
 *   clear   fault in the destination (MADV_POPULATE_WRITE), nothing else
 *   memcpy  copy the decoded bytes, preloaded in chunk order, into it
 *   files   read() every chunk file whole into it, in chunk order
 *   place   read() the chunks of each row of chunks in 256 KiB pieces into
 *           a per-thread buffer and copy their rows into C order with
 *           streaming stores (what zarrio does for U)
 *   mapped  map the chunks of each row of chunks (MAP_POPULATE) and copy
 *           their rows into C order from the mapping with streaming stores
 *           (no kernel copy; zarrio does not map files, see BENCHMARKS.md)
 *   slab    destination order: each task is one plane's rows of one row of
 *           chunks (256 rows of the whole width, contiguous in the
 *           destination); it reads that plane of each chunk (128 KiB) into
 *           a per-thread buffer and copies the rows into place with
 *           ordinary stores, so a page faulted in is filled at once, while
 *           the lines the kernel has just cleared are still in the cache
 *   slabnt  the same with streaming stores
 *   placec  as place, with the rows copied with ordinary stores (memcpy)
 *   pages   destination order by huge page: each task is the 2 MiB of the
 *           destination one huge page holds (whole planes), read plane by
 *           plane from every chunk it spans and placed with streaming
 *           stores, so each page is faulted by one thread and filled
 *           right after the kernel has cleared it
 *   pagesc  the same with ordinary stores
 *   preadv  preadv() each chunk's rows straight into their places in C
 *           order, 1024 rows a call (the kernel's copy is the only one)
 * PREPOP 1 faults the destination in before the clock starts, so the time
 * is the copy alone; 0 leaves the faults (and the kernel's clearing of
 * every page) to the copy; 2 faults it in on the clock, each thread half
 * of it, before the copy starts (what zarrio does with a fresh
 * destination). Destinations are fresh, 2 MiB aligned and advised for huge
 * pages, as the harness's floor's are; two threads take tasks (rows of
 * chunks, unless the mode says otherwise) from a shared counter. Prints
 * the median of REPS, after checking that the last one's destination holds
 * the array (exit status 1 if not).
 */
#define _GNU_SOURCE
#include <emmintrin.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#define C 256
#define PLANE ((size_t)C * C * 2)
#define CHUNK (PLANE * C)
#define PIECE ((size_t)256 << 10)
#define HUGE ((size_t)2 << 20)

static const char *dir;
static int n, nc, mode;
/* Planes of the whole array per `pages` task: 2 MiB of the destination,
 * at least one plane. */
static int pages_k;
static char *out, *src;
static size_t out_len;
static int next_task;
enum { CLEAR, MEMCPY, FILES, PLACE, MAPPED, SLAB, SLABNT, PLACEC, PREADV, PAGES, PAGESC };

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static int open_chunk(int cz, int cy, int cx) {
  char path[512];
  snprintf(path, sizeof path, "%s/U.zarr/c/%d/%d/%d", dir, cz, cy, cx);
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    perror(path);
    exit(1);
  }
  return fd;
}

static void read_all(int fd, char *dst, size_t len, off_t at) {
  while (len > 0) {
    ssize_t got = pread(fd, dst, len, at);
    if (got <= 0) {
      perror("pread");
      exit(1);
    }
    dst += got, len -= got, at += got;
  }
}

/* Rows of whole 64-byte lines, written around the cache (zarrio's
 * streaming stores, SSE2 as in src/nontemporal.rs). */
static void stream_row(char *d, const char *s, size_t len) {
  for (size_t i = 0; i < len; i += 16)
    _mm_stream_si128((__m128i *)(d + i), _mm_loadu_si128((const __m128i *)(s + i)));
}

static void row_of_chunks(int task, char *scratch) {
  int cz = task / nc, cy = task % nc;
  if (mode == MEMCPY) {
    /* The bytes are in memory already: no file is opened. */
    size_t at = (size_t)task * nc * CHUNK;
    memcpy(out + at, src + at, nc * CHUNK);
    return;
  }
  int fds[64];
  for (int cx = 0; cx < nc; cx++) fds[cx] = open_chunk(cz, cy, cx);
  if (mode == PREADV) {
    struct iovec iov[1024];
    for (int cx = 0; cx < nc; cx++)
      for (size_t r0 = 0; r0 < (size_t)C * C; r0 += 1024) {
        for (int i = 0; i < 1024; i++) {
          size_t r = r0 + i, z = r / C, y = r % C;
          iov[i].iov_base = out + (((size_t)cz * C + z) * n + (size_t)cy * C + y) * n * 2 +
                            (size_t)cx * C * 2;
          iov[i].iov_len = C * 2;
        }
        /* A short read of a regular file in the page cache does not
         * happen here; the experiment stops rather than resume one. */
        ssize_t got = preadv(fds[cx], iov, 1024, (off_t)(r0 * C * 2));
        if (got != 1024 * C * 2) {
          if (got < 0)
            perror("preadv");
          else
            fprintf(stderr, "preadv: short read (%zd bytes)\n", got);
          exit(1);
        }
      }
  } else if (mode == FILES) {
    for (int cx = 0; cx < nc; cx++) {
      size_t at = ((size_t)task * nc + cx) * CHUNK;
      read_all(fds[cx], out + at, CHUNK, 0);
    }
  } else if (mode == MAPPED) {
    char *map[64];
    for (int cx = 0; cx < nc; cx++) {
      map[cx] = mmap(NULL, CHUNK, PROT_READ, MAP_SHARED | MAP_POPULATE, fds[cx], 0);
      if (map[cx] == MAP_FAILED) {
        perror("mmap");
        exit(1);
      }
    }
    for (int z = 0; z < C; z++)
      for (int y = 0; y < C; y++) {
        size_t row = (((size_t)cz * C + z) * n + (size_t)cy * C + y) * n * 2;
        for (int cx = 0; cx < nc; cx++)
          stream_row(out + row + (size_t)cx * C * 2, map[cx] + z * PLANE + (size_t)y * C * 2,
                     C * 2);
      }
    _mm_sfence();
    for (int cx = 0; cx < nc; cx++) munmap(map[cx], CHUNK);
  } else {
    int planes = PIECE / PLANE;
    for (int z0 = 0; z0 < C; z0 += planes) {
      for (int cx = 0; cx < nc; cx++)
        read_all(fds[cx], scratch + cx * PIECE, PIECE, (off_t)z0 * PLANE);
      for (int j = 0; j < planes; j++)
        for (int y = 0; y < C; y++) {
          size_t row = (((size_t)cz * C + z0 + j) * n + (size_t)cy * C + y) * n * 2;
          for (int cx = 0; cx < nc; cx++) {
            char *t = out + row + (size_t)cx * C * 2;
            const char *s = scratch + cx * PIECE + j * PLANE + (size_t)y * C * 2;
            if (mode == PLACEC)
              memcpy(t, s, C * 2);
            else
              stream_row(t, s, C * 2);
          }
        }
    }
    _mm_sfence();
  }
  for (int cx = 0; cx < nc; cx++) close(fds[cx]);
}

/* Make `fds` (nc x nc) hold the files of layer `cz` of chunks, or none
 * for cz = -1; `open_cz` is the layer they hold now (-1: none). */
static void open_layer(int cz, int *fds, int *open_cz) {
  if (*open_cz == cz) return;
  if (*open_cz >= 0)
    for (int i = 0; i < nc * nc; i++) close(fds[i]);
  if (cz >= 0)
    for (int i = 0; i < nc * nc; i++) fds[i] = open_chunk(cz, i / nc, i % nc);
  *open_cz = cz;
}

/* One plane's rows of one row of chunks, task = plane * nc + row. */
static void slab(int task, char *scratch, int *fds, int *open_cz) {
  int z = task / nc, cy = task % nc, cz = z / C;
  open_layer(cz, fds, open_cz);
  for (int cx = 0; cx < nc; cx++)
    read_all(fds[cy * nc + cx], scratch + cx * PLANE, PLANE, (off_t)(z % C) * PLANE);
  char *d = out + ((size_t)z * n + (size_t)cy * C) * n * 2;
  for (int y = 0; y < C; y++)
    for (int cx = 0; cx < nc; cx++) {
      const char *s = scratch + cx * PLANE + (size_t)y * C * 2;
      char *t = d + ((size_t)y * n + (size_t)cx * C) * 2;
      if (mode == SLABNT)
        stream_row(t, s, C * 2);
      else
        memcpy(t, s, C * 2);
    }
}

/* Task = the planes [z0, z0 + pages_k) of the whole array. */
static void pages(int task, char *scratch, int *fds, int *open_cz) {
  int k = pages_k, z0 = task * k, cz = z0 / C;
  open_layer(cz, fds, open_cz);
  for (int cy = 0; cy < nc; cy++)
    for (int cx = 0; cx < nc; cx++) {
      read_all(fds[cy * nc + cx], scratch, k * PLANE, (off_t)(z0 % C) * PLANE);
      for (int j = 0; j < k; j++)
        for (int y = 0; y < C; y++) {
          char *t = out + (((size_t)(z0 + j) * n + (size_t)cy * C + y) * n + (size_t)cx * C) * 2;
          const char *s = scratch + j * PLANE + (size_t)y * C * 2;
          if (mode == PAGESC)
            memcpy(t, s, C * 2);
          else
            stream_row(t, s, C * 2);
        }
    }
}

static int prepop;
static pthread_barrier_t populated;

static void *worker(void *arg) {
  long id = (long)arg;
  if (mode == CLEAR || prepop == 2) {
    size_t half = out_len / 2;
    madvise(out + id * half, half, MADV_POPULATE_WRITE);
    if (mode == CLEAR) return NULL;
    pthread_barrier_wait(&populated);
  }
  /* place reads nc pieces at a time, pages pages_k planes of one chunk. */
  size_t need = nc * PIECE, pages_need = (size_t)pages_k * PLANE;
  char *scratch = aligned_alloc(4096, need > pages_need ? need : pages_need);
  if (mode == PAGES || mode == PAGESC || mode == SLAB || mode == SLABNT) {
    /* Destination order: tasks walk the layers of chunks in turn. */
    int by_page = mode == PAGES || mode == PAGESC;
    int tasks = by_page ? n / pages_k : n * nc;
    int fds[64], open_cz = -1;
    for (int t; (t = __atomic_fetch_add(&next_task, 1, __ATOMIC_RELAXED)) < tasks;)
      (by_page ? pages : slab)(t, scratch, fds, &open_cz);
    _mm_sfence();
    open_layer(-1, fds, &open_cz);
  } else {
    for (int t; (t = __atomic_fetch_add(&next_task, 1, __ATOMIC_RELAXED)) < nc * nc;)
      row_of_chunks(t, scratch);
  }
  free(scratch);
  return NULL;
}

/* Whether the destination holds the dataset, in C order or (memcpy and
 * files, which copy whole chunks) chunk after chunk as the files hold it:
 * the generator's value at every element, so that no mode is timed doing
 * the wrong copy. */
static int holds_the_array(void) {
  const uint16_t *v = (const uint16_t *)out;
  int chunk_order = mode == MEMCPY || mode == FILES;
  uint64_t c = C, e = (uint64_t)n * n * n;
  for (uint64_t p = 0; p < e; p++) {
    uint64_t z, y, x;
    if (chunk_order) {
      uint64_t k = p / (c * c * c), q = p % (c * c * c);
      z = k / nc / nc * c + q / (c * c);
      y = k / nc % nc * c + q / c % c;
      x = k % nc * c + q % c;
    } else {
      z = p / n / n, y = p / n % n, x = p % n;
    }
    if (v[p] != (uint16_t)((x + y * y / 32 + z * z * z) % 65536)) {
      fprintf(stderr, "wrong value at z=%llu y=%llu x=%llu\n", (unsigned long long)z,
              (unsigned long long)y, (unsigned long long)x);
      return 0;
    }
  }
  return 1;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: %s DIR N clear|memcpy|files|place|mapped|slab|slabnt|placec|preadv|pages|pagesc PREPOP [REPS]\n",
            argv[0]);
    return 2;
  }
  dir = argv[1];
  n = atoi(argv[2]);
  const char *names[] = {"clear", "memcpy", "files", "place", "mapped", "slab", "slabnt", "placec", "preadv", "pages", "pagesc"};
  mode = -1;
  for (int i = 0; i < 11; i++)
    if (!strcmp(argv[3], names[i])) mode = i;
  prepop = atoi(argv[4]);
  int reps = argc > 5 ? atoi(argv[5]) : 7;
  if (mode < 0 || prepop < 0 || prepop > 2 || n % C || n / C > 8 || reps < 1 || reps > 100) {
    fprintf(stderr, "bad arguments\n");
    return 2;
  }
  nc = n / C;
  size_t plane_bytes = (size_t)n * n * 2;
  pages_k = plane_bytes >= HUGE ? 1 : (int)(HUGE / plane_bytes);
  out_len = (size_t)n * n * n * 2;
  if (mode == MEMCPY) {
    /* The decoded bytes in chunk order, as the files hold them. */
    src = malloc(out_len);
    for (int t = 0; t < nc * nc; t++)
      for (int cx = 0; cx < nc; cx++) {
        int fd = open_chunk(t / nc, t % nc, cx);
        read_all(fd, src + ((size_t)t * nc + cx) * CHUNK, CHUNK, 0);
        close(fd);
      }
  }
  double times[100];
  for (int r = 0; r < reps; r++) {
    char *raw = mmap(NULL, out_len + HUGE, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) {
      perror("mmap");
      return 1;
    }
    out = (char *)(((uintptr_t)raw + HUGE - 1) & ~(uintptr_t)(HUGE - 1));
    madvise(out, out_len, MADV_HUGEPAGE);
    if (prepop == 1 && mode != CLEAR) madvise(out, out_len, MADV_POPULATE_WRITE);
    double t0 = now();
    next_task = 0;
    pthread_barrier_init(&populated, NULL, 2);
    pthread_t th[2];
    for (long i = 0; i < 2; i++) pthread_create(&th[i], NULL, worker, (void *)i);
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    times[r] = now() - t0;
    pthread_barrier_destroy(&populated);
    if (r == reps - 1 && mode != CLEAR && !holds_the_array()) return 1;
    munmap(raw, out_len + HUGE);
  }
  qsort(times, reps, sizeof times[0], cmp);
  printf("%s prepop=%d N=%d median %.4f s (min %.4f, max %.4f, %d reps)\n", names[mode],
         prepop, n, times[reps / 2], times[0], times[reps - 1], reps);
  free(src);
  return 0;
}
