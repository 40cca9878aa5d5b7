"""How the page cache holds the datasets' chunk files: the share of their
pages that sit in large folios (several pages the kernel handles as one).

    page_cache.py DATA_DIR

Prints one JSON object, {dataset: share of pages in large folios, 0 to 1}
(from up to 256 chunk files of each dataset), or {} where the kernel's page
flags cannot be read (/proc/kpageflags needs root).

Why it is measured: reading a file copies it out of the page cache, and on
this kind of machine that copy costs about twice as much when the file
sits in 4 KiB pages scattered in memory as when it sits in 2 MiB folios
(BENCHMARKS.md, "Read-all U against the memcpy floor"). A file just
written with one write is held in large folios; after the machine has
evicted it and read it back in pieces it may not be. The run records the
state at its start and end so that every result is read against it.
"""

import json
import mmap
import os
import struct
import sys

PAGE = os.sysconf("SC_PAGE_SIZE")
PFN_MASK = (1 << 55) - 1
KPF_COMPOUND_HEAD, KPF_COMPOUND_TAIL = 15, 16


def large_folio_pages(path, pagemap, kpageflags):
    """(pages of the file in large folios, pages of the file)."""
    size = os.path.getsize(path)
    if size == 0:
        return 0, 0
    with open(path, "rb") as f:
        m = mmap.mmap(f.fileno(), size, prot=mmap.PROT_READ)
        try:
            # Map every page in (reading from the cache, or into it).
            for off in range(0, size, PAGE):
                m[off]
            base = None
            for line in open("/proc/self/maps"):
                if line.rstrip().endswith(path):
                    base = int(line.split("-")[0], 16)
            if base is None:
                return 0, 0
            pages = (size + PAGE - 1) // PAGE
            pagemap.seek(base // PAGE * 8)
            entries = struct.unpack(f"{pages}Q", pagemap.read(pages * 8))
            large = 0
            for e in entries:
                if not e >> 63:
                    continue
                kpageflags.seek((e & PFN_MASK) * 8)
                flags = struct.unpack("Q", kpageflags.read(8))[0]
                if flags >> KPF_COMPOUND_HEAD & 1 or flags >> KPF_COMPOUND_TAIL & 1:
                    large += 1
            return large, pages
        finally:
            m.close()


def main():
    data = sys.argv[1]
    out = {}
    try:
        pagemap = open("/proc/self/pagemap", "rb")
        kpageflags = open("/proc/kpageflags", "rb")
        kpageflags.read(8)
    except OSError:
        print(json.dumps(out))
        return
    for name in ["U", "Z", "S", "small"]:
        root = os.path.join(data, f"{name}.zarr", "c")
        files = []
        for d, _, fs in sorted(os.walk(root)):
            files += [os.path.realpath(os.path.join(d, f)) for f in sorted(fs)]
        if not files:
            continue
        step = max(1, len(files) // 256)
        large = total = 0
        for path in files[::step][:256]:
            a, b = large_folio_pages(path, pagemap, kpageflags)
            large, total = large + a, total + b
        if total:
            out[name] = round(large / total, 3)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
