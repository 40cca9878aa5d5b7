#!/usr/bin/env python3
"""Whole-array reads and writes through the compressors zarr users meet
besides zstd, zarrio against tensorstore and zarr-python side by side in
one process: blosc (lz4 with byte shuffle, zarr-python's default for v2
arrays; zstd with bit shuffle), gzip, and a v2 array with blosc, on the
benchmark's value pattern (`uint16`, 256^3 chunks), written here by
zarr-python; and numcodecs' zfpy on the same values as float32 (zarrio
built with the `zfp` feature; tensorstore has no zfpy).

    compressors.py [N] [REPS]      # N = 512, REPS = 7 by default

zarrio is called through its C API with ctypes (the interop suite's
wrapper; ZARRIO_LIB names the library, default target/release); ONLY
keeps the compressors whose name contains it. Reads go
into a destination each library allocates inside the clock (numpy arrays
for all three); writes write the whole array over itself. The
implementations take turns within each repetition, each turn starting
with the next one, and every read is checked against the data. Prints a
markdown table of medians and zarrio's ratio to the faster peer.
"""

import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "interop"))

import tensorstore as ts  # noqa: E402
import zarr  # noqa: E402
from zarr.codecs import BloscCodec, GzipCodec  # noqa: E402
from zarrio_ctypes import Array, Store  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from turns import medians_in_turns, print_table  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 512
REPS = int(sys.argv[2]) if len(sys.argv) > 2 else 7
DATA = Path(os.environ.get("DATA", f"/tmp/zarrio-compressors-{N}"))


def layouts():
    import numcodecs

    return {
        "blosc lz4, byte shuffle": dict(compressors=[BloscCodec(cname="lz4", clevel=5, shuffle="shuffle")]),
        "blosc zstd 1, bit shuffle": dict(compressors=[BloscCodec(cname="zstd", clevel=1, shuffle="bitshuffle")]),
        "gzip 1": dict(compressors=[GzipCodec(level=1)]),
        "v2, blosc lz4": dict(zarr_format=2, compressors=numcodecs.Blosc(cname="lz4", clevel=5, shuffle=1)),
        # float32 values; tensorstore has no zfpy, zarrio needs the zfp feature.
        "zfpy, accuracy 0.01 (float32)": dict(serializer=_zfpy(), compressors=None),
    }


def _zfpy():
    from zarr.codecs.numcodecs import ZFPY

    return ZFPY(mode=4, tolerance=0.01)


def pattern():
    x = np.arange(N, dtype=np.uint64)
    return ((x[None, None, :] + x[None, :, None] ** 2 // 32 + x[:, None, None] ** 3) % 65536).astype("<u2")


def main():
    DATA.mkdir(parents=True, exist_ok=True)
    rows = []
    only = os.environ.get("ONLY")
    for i, (name, kw) in enumerate(layouts().items()):
        if only and only not in name:
            continue
        lossy = "serializer" in kw
        data = pattern().astype("<f4") if lossy else pattern()
        path = DATA / f"a{i}"
        if not path.exists():
            a = zarr.create_array(str(path), shape=data.shape, dtype=data.dtype, fill_value=0, chunks=(256,) * 3, **kw)
            a[...] = data
        za = zarr.open_array(str(path), mode="r+")
        # A lossy codec: every read must give what zarr-python reads.
        want = za[...] if lossy else data
        driver = "zarr" if kw.get("zarr_format") == 2 else "zarr3"
        t = None if lossy else ts.open({"driver": driver, "kvstore": {"driver": "file", "path": str(path)}}).result()
        with Store.filesystem(DATA) as store, Array.open(store, f"a{i}") as arr:
            cases = {
                "read": {
                    "zarrio": lambda: arr.read(),
                    "tensorstore": lambda: t.read().result(),
                    "zarr": lambda: za[...],
                },
                "write": {
                    "zarrio": lambda: arr.write([0, 0, 0], data),
                    "tensorstore": lambda: t.write(data).result(),
                    "zarr": lambda: za.__setitem__(Ellipsis, data),
                },
            }
            for what, impls in cases.items():
                if t is None:
                    del impls["tensorstore"]
                names = list(impls)
                for k in names:  # warm-up, and the check
                    got = impls[k]()
                    if what == "read":
                        assert np.array_equal(np.asarray(got), want), (name, k)
                med = medians_in_turns(impls, REPS)
                assert np.array_equal(arr.read(), want), (name, "after the writes")
                peers = [v for k, v in med.items() if k != "zarrio"]
                rows.append((name, what, med["zarrio"], med.get("tensorstore", float("nan")), med["zarr"],
                             med["zarrio"] / min(peers)))
    print_table(N, REPS, "compressor", rows)


if __name__ == "__main__":
    main()
