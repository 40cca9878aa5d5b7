"""numcodecs' checksums, compressors and lossy filters in v3 arrays, both ways.

zarr-python names numcodecs objects `numcodecs.<id>` in a v3 array's codecs:
the checksums crc32, adler32, crc32c, fletcher32 and jenkins_lookup3 (at
either end where numcodecs allows it), the compressors zstd, gzip and blosc
as numcodecs configures them, and the filters bitround, quantize and
packbits. zarrio reads what zarr-python writes bit for bit; and, given the
same metadata and the original values, zarrio's encoding gives what
zarr-python's does: the lossy filters round exactly as numcodecs rounds.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from test_v2_and_numcodecs import _values, assert_same_bits
from zarrio_ctypes import Array, Store

CASES = [
    # (id, dtype, filters, compressors)
    ("crc32", "<i4", [], lambda nc: [nc.CRC32()]),
    ("crc32_end", "<i4", [], lambda nc: [nc.CRC32(location="end")]),
    ("adler32", "<u2", [], lambda nc: [nc.Adler32()]),
    ("crc32c_start", "<f8", [], lambda nc: [nc.CRC32C(location="start")]),
    ("fletcher32", "|u1", [], lambda nc: [nc.Fletcher32()]),
    ("jenkins_lookup3", "<i8", [], lambda nc: [nc.JenkinsLookup3(initval=9)]),
    ("zstd", "<i4", [], lambda nc: [nc.Zstd(level=5)]),
    ("zstd_checksum", "<f4", [], lambda nc: [nc.Zstd(level=1, checksum=True)]),
    ("gzip", "<u2", [], lambda nc: [nc.GZip(level=6)]),
    ("blosc_default", "<i4", [], lambda nc: [nc.Blosc()]),
    ("blosc_zstd_bitshuffle", "<f8", [], lambda nc: [nc.Blosc(cname="zstd", clevel=3, shuffle=2)]),
    ("blosc_typesize", "<u2", [], lambda nc: [nc.Blosc(cname="lz4", shuffle=1, typesize=2)]),
    ("zstd_then_crc32", "<i2", [], lambda nc: [nc.Zstd(level=1), nc.CRC32()]),
    ("bitround_f4", "<f4", lambda nc: [nc.BitRound(keepbits=6)], lambda nc: [nc.Zstd(level=1)]),
    ("bitround_f8", "<f8", lambda nc: [nc.BitRound(keepbits=11)], lambda nc: []),
    ("quantize_f8", "<f8", lambda nc: [nc.Quantize(digits=2, dtype="<f8")], lambda nc: []),
    ("quantize_f4", "<f4", lambda nc: [nc.Quantize(digits=4, dtype="<f4")], lambda nc: [nc.Zstd(level=1)]),
    ("quantize_dtype_filled_in", "<f8", lambda nc: [nc.Quantize(digits=3)], lambda nc: []),
    ("quantize_f2", "<f2", lambda nc: [nc.Quantize(digits=1, dtype="f2")], lambda nc: []),
    ("bitround_f2", "<f2", lambda nc: [nc.BitRound(keepbits=4)], lambda nc: []),
    ("fixedscaleoffset_dtype_filled_in", "<f8",
     lambda nc: [nc.FixedScaleOffset(offset=0, scale=10, astype="i4")], lambda nc: []),
    ("blosc_typesize_300", "<i4", [], lambda nc: [nc.Blosc(typesize=300)]),
    ("packbits", "|b1", lambda nc: [nc.PackBits()], lambda nc: [nc.Zstd(level=1)]),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_numcodecs_v3_both_ways(zarrio, case, tmp_path):
    import zarr
    import zarr.codecs.numcodecs as nc

    name, dtype, filters, compressors = case
    shape, chunks = (19, 7), (8, 4)
    data = _values(np.dtype(dtype), shape, seed=len(name))
    if data.dtype.kind == "f":
        data = np.nan_to_num(data, nan=0.5, posinf=7.0, neginf=-7.0)
    if name.startswith("bitround"):
        # Ties, where rounding half to even decides: k kept bits, and the
        # dropped ones exactly half a unit of the last kept one.
        k = {"<f2": 4, "<f4": 6, "<f8": 11}[dtype]
        half, unit = 2.0 ** -(k + 1), 2.0 ** -k
        data.flat[3:9] = [1 + half, 1 + unit + half, -(1 + unit + half), 3 * (1 + half),
                          1 + unit, 1 + half / 2]
    fill = False if dtype == "|b1" else 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = zarr.create_array(store=str(tmp_path / "arr"), shape=shape, chunks=chunks, dtype=dtype,
                              filters=filters(nc) if filters else None, compressors=compressors(nc),
                              fill_value=fill)
        a[:16] = data[:16]  # the last row of chunks partly written, the rest fill
        want = np.asarray(a[...])
    with Store.filesystem(tmp_path) as store:
        with Array.open(store, "arr") as arr:
            assert_same_bits(arr.read(), want, "zarrio reading zarr-python's codecs")
            meta = arr.metadata()
        # The same metadata back as written, and the original values
        # encoded by zarrio.
        codec_names = [c["name"] for c in meta["codecs"]]
        assert any(n.startswith("numcodecs.") for n in codec_names), codec_names
        with Array.create(store, "copy", meta) as cp:
            cp.write((0, 0), data[:16])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = np.asarray(zarr.open_array(str(tmp_path / "copy"), mode="r")[...])
    assert_same_bits(got, want, "zarr-python reading zarrio's encoding")
