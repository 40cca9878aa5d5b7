"""The interoperability matrix: Zarr v3 arrays written by zarr-python and tensorstore.

Each :class:`Case` describes one array (its zarr.json parameters in v3 JSON form,
the data written and the regions written) and knows the array every reader must
see (:attr:`Case.expected`).  The module is used by the pytest suite and can be
run on its own to check the matrix against zarr-python and tensorstore, without
zarrio::

    python make_matrix.py [OUTDIR]          # write everything, cross-read, report

Writers:

* ``zarr``        -- zarr-python 3 (``zarr.create_array`` with explicit
                     ``zarr.codecs.*`` objects for filters / serializer / compressors)
* ``tensorstore`` -- tensorstore ``zarr3`` driver with the codecs JSON in the metadata

A writer that cannot express a case says so through :func:`writer_skip_reason`.
"""

from __future__ import annotations

import base64
import json
import math
import os
import shutil
import sys
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

WRITERS = ("zarr", "tensorstore")

# --------------------------------------------------------------------------
# data types
# --------------------------------------------------------------------------

INT_TYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
FLOAT_TYPES = ("float16", "float32", "float64")
COMPLEX_TYPES = ("complex64", "complex128")
ALL_TYPES = ("bool",) + INT_TYPES + FLOAT_TYPES + COMPLEX_TYPES


def numpy_dtype(data_type: str) -> np.dtype:
    """numpy dtype (native byte order) for a Zarr v3 data type name."""
    if data_type.startswith("r") and data_type[1:].isdigit():
        bits = int(data_type[1:])
        if bits <= 0 or bits % 8:
            raise ValueError(f"bad raw type {data_type}")
        return np.dtype(f"V{bits // 8}")
    return np.dtype(data_type).newbyteorder("=")


def is_raw(data_type: str) -> bool:
    return data_type.startswith("r") and data_type[1:].isdigit()


_UINT_OF_SIZE = {2: np.uint16, 4: np.uint32, 8: np.uint64}
_CANONICAL_NAN_BITS = {2: 0x7E00, 4: 0x7FC00000, 8: 0x7FF8000000000000}


def _float_from_bits(bits: int, dtype: np.dtype) -> np.ndarray:
    return np.array(bits, dtype=_UINT_OF_SIZE[dtype.itemsize]).view(dtype)


def _float_fill_bytes(v: Any, dtype: np.dtype) -> bytes:
    if isinstance(v, str):
        if v == "NaN":
            return _float_from_bits(_CANONICAL_NAN_BITS[dtype.itemsize], dtype).tobytes()
        if v == "Infinity":
            return np.array(np.inf, dtype).tobytes()
        if v == "-Infinity":
            return np.array(-np.inf, dtype).tobytes()
        if v.startswith("0x"):
            return _float_from_bits(int(v, 16), dtype).tobytes()
        raise ValueError(f"bad float fill {v!r}")
    return np.array(float(v), dtype).tobytes()


def fill_bytes(data_type: str, fill_json: Any) -> bytes:
    """One element of the fill value, native byte order, from its v3 JSON form."""
    dt = numpy_dtype(data_type)
    if data_type == "bool":
        if not isinstance(fill_json, bool):
            raise ValueError("bool fill must be true/false")
        return np.array(fill_json, np.bool_).tobytes()
    if data_type in INT_TYPES:
        return np.array(int(fill_json), dt).tobytes()
    if data_type in FLOAT_TYPES:
        return _float_fill_bytes(fill_json, dt)
    if data_type in COMPLEX_TYPES:
        part = np.dtype(f"f{dt.itemsize // 2}")
        return _float_fill_bytes(fill_json[0], part) + _float_fill_bytes(fill_json[1], part)
    if is_raw(data_type):
        if isinstance(fill_json, str):  # tensorstore's base64 dialect
            b = base64.b64decode(fill_json)
        else:
            b = bytes(fill_json)
        if len(b) != dt.itemsize:
            raise ValueError("raw fill has the wrong length")
        return b
    raise ValueError(data_type)


def fill_scalar(data_type: str, fill_json: Any) -> np.ndarray:
    """0-d numpy array holding the exact fill value bits."""
    return np.frombuffer(fill_bytes(data_type, fill_json), numpy_dtype(data_type)).reshape(())


# --------------------------------------------------------------------------
# deterministic data
# --------------------------------------------------------------------------

_F_SPECIAL_BITS = {
    # quiet NaN with payload, negative quiet NaN, signalling NaN (payload 1)
    2: (0x7E01, 0xFE00, 0x7C01),
    4: (0x7FC01234, 0xFFC00000, 0x7F800001),
    8: (0x7FF8DEADBEEF0001, 0xFFF8000000000000, 0x7FF0000000000001),
}


def _float_values(n: int, dt: np.dtype, seed: int, specials: bool) -> np.ndarray:
    i = np.arange(n, dtype=np.float64)
    if dt.itemsize == 2:
        v = ((i * 7 + seed) % 4001 - 2000) * 0.125  # exactly representable in float16
    else:
        v = (i - n / 2) * 0.731 + seed * 0.0137 + np.sin(i + seed) * 1e-3
    out = v.astype(dt)
    if specials and n >= 24:
        fi = np.finfo(dt)
        sp = [np.nan, np.inf, -np.inf, -0.0, fi.smallest_subnormal, -fi.smallest_subnormal,
              fi.max, fi.min, fi.tiny]
        bits = [_float_from_bits(b, dt) for b in _F_SPECIAL_BITS[dt.itemsize]]
        count = len(sp) + len(bits)
        pos = [((k * n) // count + (seed % 3)) % n for k in range(count)]
        for p, val in zip(pos, sp):
            out[p] = val
        u = out.view(_UINT_OF_SIZE[dt.itemsize])
        for p, b in zip(pos[len(sp):], bits):
            u[p] = b.view(_UINT_OF_SIZE[dt.itemsize])
    return out


def make_values(data_type: str, shape: tuple, seed: int = 0, specials: bool = True) -> np.ndarray:
    """Deterministic test data of a data type: varied patterns, extremes, special floats."""
    dt = numpy_dtype(data_type)
    n = int(np.prod(shape, dtype=np.int64))
    i = np.arange(n, dtype=np.uint64)
    if data_type == "bool":
        out = ((i * 7 + seed) % 3 == 0) ^ ((i // 5) % 2 == 1)
    elif data_type in INT_TYPES:
        hashed = (i * np.uint64(2654435761) + np.uint64(seed * 977 + 12345)) ^ (i << np.uint64(17))
        ramp = i // np.uint64(3) + np.uint64(seed)
        # mostly a compressible ramp, every 5th element pseudo-random (all bit patterns)
        out = np.where(i % np.uint64(5) == 0, hashed, ramp).astype(dt)  # wraps
        if n >= 4:
            info = np.iinfo(dt)
            out[n // 3] = info.min
            out[(2 * n) // 3] = info.max
            out[n - 1] = 0
    elif data_type in FLOAT_TYPES:
        out = _float_values(n, dt, seed, specials)
    elif data_type in COMPLEX_TYPES:
        part = np.dtype(f"f{dt.itemsize // 2}")
        re = _float_values(n, part, seed, specials)
        im = _float_values(n, part, seed + 5, specials)[::-1].copy()
        out = np.empty(n, dt)
        v = out.view(part).reshape(n, 2) if n else np.empty((0, 2), part)
        v[:, 0] = re
        v[:, 1] = im
    elif is_raw(data_type):
        nb = dt.itemsize
        b = ((np.arange(n * nb, dtype=np.uint64) * 31 + seed * 7 + 3) % 251).astype(np.uint8)
        out = b.view(dt) if n else np.empty(0, dt)
    else:
        raise ValueError(data_type)
    return np.ascontiguousarray(out).reshape(shape)


# --------------------------------------------------------------------------
# codec JSON helpers (v3 JSON, as zarr-python writes it)
# --------------------------------------------------------------------------


def bytes_codec(endian: str | None = "little") -> dict:
    if endian is None:
        return {"name": "bytes"}
    return {"name": "bytes", "configuration": {"endian": endian}}


def transpose(order) -> dict:
    return {"name": "transpose", "configuration": {"order": list(order)}}


def gzip(level: int = 5) -> dict:
    return {"name": "gzip", "configuration": {"level": level}}


def zstd(level: int = 0, checksum: bool = False) -> dict:
    return {"name": "zstd", "configuration": {"level": level, "checksum": checksum}}


def blosc(cname="lz4", clevel=5, shuffle="shuffle", typesize=4, blocksize=0) -> dict:
    return {"name": "blosc", "configuration": {"typesize": typesize, "cname": cname,
                                                "clevel": clevel, "shuffle": shuffle,
                                                "blocksize": blocksize}}


def crc32c() -> dict:
    return {"name": "crc32c"}


def sharding(chunk_shape, codecs=None, index_codecs=None, index_location="end") -> dict:
    return {"name": "sharding_indexed", "configuration": {
        "chunk_shape": list(chunk_shape),
        "codecs": codecs if codecs is not None else [bytes_codec()],
        "index_codecs": index_codecs if index_codecs is not None else [bytes_codec(), crc32c()],
        "index_location": index_location}}


def key_default(sep: str | None = "/") -> dict:
    if sep is None:
        return {"name": "default"}
    return {"name": "default", "configuration": {"separator": sep}}


def key_v2(sep: str | None = ".") -> dict:
    if sep is None:
        return {"name": "v2"}
    return {"name": "v2", "configuration": {"separator": sep}}


# --------------------------------------------------------------------------
# cases
# --------------------------------------------------------------------------


def full_region(shape) -> tuple:
    return tuple(slice(0, n) for n in shape)


@dataclass
class Case:
    name: str
    data_type: str
    shape: tuple
    chunk_shape: tuple
    codecs: list
    fill_value: Any  # v3 JSON form (spec form; r<N> as a list of bytes)
    data: np.ndarray | None = None  # source values (regions of it are written)
    chunk_key_encoding: dict = field(default_factory=key_default)
    attributes: dict | None = None
    dimension_names: list | None = None
    # regions (tuples of slices) written, in order; None = the whole array in one write
    regions: list | None = None
    # sub-region read back in Fortran order: (start, shape); None = derived
    sub_region: tuple | None = None
    # writer name -> reason the writer cannot express this case
    skip: dict = field(default_factory=dict)
    # reader name -> reason the reader cannot read this case (zarrio-written arrays)
    read_skip: dict = field(default_factory=dict)
    # zarrio-write test: also write the case as irregular tiles (read-modify-write paths)
    tiled_write: bool = True
    note: str = ""

    def __post_init__(self):
        self.shape = tuple(self.shape)
        self.chunk_shape = tuple(self.chunk_shape)
        if self.data is None:
            self.data = make_values(self.data_type, self.shape, seed=len(self.name))
        assert self.data.shape == self.shape, self.name
        assert self.data.dtype == numpy_dtype(self.data_type), self.name
        assert len(self.chunk_shape) == len(self.shape), self.name

    # ---- derived -------------------------------------------------------
    @property
    def dtype(self) -> np.dtype:
        return numpy_dtype(self.data_type)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def write_regions(self) -> list:
        return self.regions if self.regions is not None else [full_region(self.shape)]

    @property
    def fill(self) -> np.ndarray:
        return fill_scalar(self.data_type, self.fill_value)

    @property
    def expected(self) -> np.ndarray:
        """The array every reader must return (fill value where nothing was written)."""
        out = np.empty(self.shape, self.dtype)
        out[...] = self.fill  # copies bits (no float arithmetic)
        for r in self.write_regions:
            out[r] = self.data[r]
        return out

    def sub(self) -> tuple:
        """(start, shape) of the Fortran-order sub-region read."""
        if self.sub_region is not None:
            return self.sub_region
        start, shp = [], []
        for n in self.shape:
            if n <= 1:
                start.append(0)
                shp.append(n)
            else:
                a = n // 3
                b = max(a + 1, n - n // 4)
                start.append(a)
                shp.append(b - a)
        return tuple(start), tuple(shp)

    def metadata(self, fill_json: Any = None) -> dict:
        """The v3 zarr.json document of this case."""
        md = {
            "zarr_format": 3,
            "node_type": "array",
            "shape": list(self.shape),
            "data_type": self.data_type,
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": list(self.chunk_shape)}},
            "chunk_key_encoding": self.chunk_key_encoding,
            "fill_value": self.fill_value if fill_json is None else fill_json,
            "codecs": self.codecs,
        }
        if self.attributes is not None:
            md["attributes"] = self.attributes
        if self.dimension_names is not None:
            md["dimension_names"] = self.dimension_names
        return md

    def zarr_json(self) -> str:
        return json.dumps(self.metadata())


def tiles(shape) -> list:
    """Irregular, chunk-misaligned non-overlapping tiles covering the array."""
    per_dim = []
    for n in shape:
        pts = sorted({0, n, min(n, 3), n // 2 + 1 if n > 2 else n, max(0, n - 2)})
        per_dim.append([(a, b) for a, b in zip(pts, pts[1:]) if b > a])
    out = [()]
    for ranges in per_dim:
        out = [t + (slice(a, b),) for t in out for (a, b) in ranges]
    return out


def _blocks(shape, block, pred) -> list:
    """Regions of a block grid whose block index satisfies pred."""
    grid = [math.ceil(n / b) for n, b in zip(shape, block)]
    out = []
    for idx in np.ndindex(*grid):
        if pred(idx):
            out.append(tuple(slice(i * b, min((i + 1) * b, n)) for i, b, n in zip(idx, block, shape)))
    return out


def _set_fill(data: np.ndarray, regions, fill: np.ndarray) -> np.ndarray:
    data = data.copy()
    for r in regions:
        data[r] = fill
    return data


RAW_NOTE_TS = ("tensorstore: zarr3 r<N> needs a base64 fill_value and its Python API cannot "
               "create r<N> arrays from a spec (abort in GetEffectiveDomain) nor read them "
               "(numpy |V0); the metadata is written by hand in tensorstore's dialect and the "
               "chunks by tensorstore from uint8 data")
TS_SHARD_THEN_BB = ("tensorstore refuses bytes->bytes codecs after sharding_indexed "
                    "(\"not compatible with subsequent bytes -> bytes codecs\")")
ZARR_TRANSPOSE_SHARD = ("zarr-python checks the sharding chunk_shape against the untransposed chunk "
                        "shape and rejects this spec-valid transpose-before-sharding metadata")
RAW_SKIP_TS_READ = ("tensorstore rejects the spec's r<N> fill_value (an array of bytes; it wants base64) "
                    "and its Python API cannot return r<N> data (dtype 'byte' -> numpy |V0)")
RAW_SKIP_ZARR = "zarr-python 3 has no r<N> data type (its raw type is the extension 'raw_bytes')"


def build_cases() -> list[Case]:
    cases: list[Case] = []
    add = cases.append

    # ---- every data type, little endian (+ zstd) -------------------------
    for dt in ALL_TYPES:
        it = numpy_dtype(dt).itemsize
        bc = bytes_codec(None) if it == 1 and dt != "uint8" else bytes_codec("little")
        fv = False if dt == "bool" else ([0.0, 0.0] if dt in COMPLEX_TYPES else 0)
        add(Case(f"dtype_{dt}", dt, (20, 13), (8, 5), [bc, zstd(1)], fv))
    # ---- big endian, uncompressed ----------------------------------------
    for dt in ALL_TYPES:
        if numpy_dtype(dt).itemsize == 1:
            continue
        fv = [0.0, 0.0] if dt in COMPLEX_TYPES else 0
        add(Case(f"dtype_{dt}_big", dt, (20, 13), (8, 5), [bytes_codec("big")], fv))
    add(Case("dtype_int8_big_explicit", "int8", (17,), (5,), [bytes_codec("big")], -3))
    # ---- raw bits ----------------------------------------------------------
    for dt, fill in (("r16", [1, 2]), ("r24", [0, 0, 0])):
        add(Case(f"dtype_{dt}", dt, (9, 7), (4, 3), [bytes_codec(None)], fill,
                 regions=[(slice(0, 9), slice(0, 3)), (slice(0, 4), slice(3, 7))],
                 skip={"zarr": RAW_SKIP_ZARR}, note=RAW_NOTE_TS,
                 read_skip={"zarr": RAW_SKIP_ZARR, "tensorstore": RAW_SKIP_TS_READ}))

    # ---- transpose -----------------------------------------------------------
    add(Case("transpose_10_f32", "float32", (20, 13), (8, 5), [transpose([1, 0]), bytes_codec()], 0.0))
    add(Case("transpose_201_i16", "int16", (9, 10, 11), (4, 5, 3), [transpose([2, 0, 1]), bytes_codec()], 0))
    add(Case("transpose_120_i16", "int16", (9, 10, 11), (4, 5, 3), [transpose([1, 2, 0]), bytes_codec()], 0))
    add(Case("transpose_120_u8", "uint8", (9, 10, 11), (4, 5, 3), [transpose([1, 2, 0]), bytes_codec(None)], 0))
    add(Case("transpose_201_f64_big_gzip", "float64", (9, 10, 11), (4, 5, 3),
             [transpose([2, 0, 1]), bytes_codec("big"), gzip(6)], 0.0))
    add(Case("transpose_twice_c64", "complex64", (9, 10, 11), (4, 5, 3),
             [transpose([1, 2, 0]), transpose([1, 0, 2]), bytes_codec()], [0.0, 0.0]))
    add(Case("transpose_4d_3102", "uint16", (5, 6, 7, 8), (2, 3, 4, 5), [transpose([3, 1, 0, 2]), bytes_codec(), zstd(2)], 0))

    # ---- gzip / zstd ----------------------------------------------------------
    for lvl in (0, 1, 9):
        add(Case(f"gzip_{lvl}", "float64", (30, 17), (16, 8), [bytes_codec(), gzip(lvl)], 0.0))
    for lvl in (0, 3, 19, -1, -7):
        name = f"zstd_{lvl}".replace("-", "m")
        add(Case(name, "int32", (30, 17), (16, 8), [bytes_codec(), zstd(lvl)], 0))
    add(Case("zstd_checksum", "uint16", (30, 17), (16, 8), [bytes_codec(), zstd(5, True)], 0))
    add(Case("gzip_zstd_chain", "float32", (30, 17), (16, 8), [bytes_codec("big"), gzip(1), zstd(1)], 0.0))

    # ---- blosc ------------------------------------------------------------------
    dts = ("int32", "float64", "uint16")
    k = 0
    for cname in ("lz4", "lz4hc", "blosclz", "zstd", "zlib"):
        for shuffle in ("noshuffle", "shuffle", "bitshuffle"):
            dt = dts[k % len(dts)]
            k += 1
            it = numpy_dtype(dt).itemsize
            add(Case(f"blosc_{cname}_{shuffle}_{dt}", dt, (40, 31), (16, 16),
                     [bytes_codec(), blosc(cname, 5, shuffle, it)], 0))
    add(Case("blosc_clevel0_memcpy", "float32", (40, 31), (16, 16),
             [bytes_codec(), blosc("lz4", 0, "shuffle", 4)], 0.0))
    add(Case("blosc_typesize_mismatch", "float64", (40, 31), (16, 16),
             [bytes_codec(), blosc("zstd", 3, "shuffle", 4)], 0.0,
             note="metadata typesize 4 for an 8-byte type: decoders must use the blosc header"))
    add(Case("blosc_big_endian_bitshuffle", "int64", (40, 31), (16, 16),
             [bytes_codec("big"), blosc("lz4", 5, "bitshuffle", 8)], 0))
    add(Case("blosc_blocksize", "uint32", (64, 64), (64, 64),
             [bytes_codec(), blosc("blosclz", 9, "shuffle", 4, 1024)], 0))

    # ---- crc32c -----------------------------------------------------------------
    add(Case("crc32c_only", "int16", (30, 17), (16, 8), [bytes_codec(), crc32c()], 0))
    add(Case("crc32c_after_zstd", "float64", (30, 17), (16, 8), [bytes_codec(), zstd(0), crc32c()], 0.0))
    add(Case("crc32c_before_gzip", "uint32", (30, 17), (16, 8), [bytes_codec(), crc32c(), gzip(5)], 0))
    add(Case("crc32c_twice", "uint8", (30, 17), (16, 8), [bytes_codec(None), crc32c(), crc32c()], 0))

    # ---- chunk key encodings ------------------------------------------------------
    for label, enc in (("default_slash", key_default("/")), ("default_dot", key_default(".")),
                       ("default_noconf", key_default(None)), ("v2_dot", key_v2(".")),
                       ("v2_slash", key_v2("/")), ("v2_noconf", key_v2(None))):
        add(Case(f"key_{label}", "int32", (7, 9, 5), (3, 4, 2), [bytes_codec()], 0, chunk_key_encoding=enc))
        add(Case(f"key_{label}_0d", "float32", (), (), [bytes_codec()], 0.0, chunk_key_encoding=enc,
                 data=np.array(-1.25, np.float32)))

    # ---- sharding -------------------------------------------------------------------
    shp2, shard2, inner2 = (40, 30), (16, 12), (4, 4)
    add(Case("shard_end", "int32", shp2, shard2, [sharding(inner2)], 0))
    add(Case("shard_start", "int32", shp2, shard2, [sharding(inner2, index_location="start")], 0))
    add(Case("shard_index_nocrc_end", "float32", shp2, shard2,
             [sharding(inner2, index_codecs=[bytes_codec()])], 0.0))
    add(Case("shard_index_nocrc_start", "float32", shp2, shard2,
             [sharding(inner2, index_codecs=[bytes_codec()], index_location="start")], 0.0))
    add(Case("shard_index_big_endian", "uint16", shp2, shard2,
             [sharding(inner2, index_codecs=[bytes_codec("big"), crc32c()])], 0))
    add(Case("shard_index_big_start", "uint16", shp2, shard2,
             [sharding(inner2, index_codecs=[bytes_codec("big")], index_location="start")], 0))
    add(Case("shard_inner_zstd", "float64", shp2, shard2, [sharding(inner2, [bytes_codec(), zstd(3)])], 0.0))
    add(Case("shard_inner_gzip_start", "int64", shp2, shard2,
             [sharding(inner2, [bytes_codec("big"), gzip(4)], index_location="start")], 0))
    add(Case("shard_inner_blosc", "uint32", shp2, shard2,
             [sharding(inner2, [bytes_codec(), blosc("lz4", 5, "shuffle", 4)])], 0))
    add(Case("shard_inner_crc32c", "int16", shp2, shard2, [sharding(inner2, [bytes_codec(), crc32c()])], 0))
    add(Case("shard_inner_transpose", "float32", (24, 20, 9), (8, 10, 9),
             [sharding((4, 5, 3), [transpose([2, 0, 1]), bytes_codec(), zstd(1)])], 0.0))
    add(Case("shard_outer_zstd", "int32", shp2, shard2, [sharding(inner2), zstd(1)], 0,
             note="bytes->bytes codec after the sharding codec (whole shard compressed)",
             skip={"tensorstore": TS_SHARD_THEN_BB}, read_skip={"tensorstore": TS_SHARD_THEN_BB}))
    add(Case("shard_1d", "uint8", (1000,), (128,), [sharding((16,), [bytes_codec(None)])], 0))
    add(Case("shard_single_inner", "float64", shp2, shard2, [sharding(shard2, [bytes_codec()])], 0.0))
    add(Case("shard_3d_edges", "int16", (13, 17, 11), (8, 8, 8),
             [sharding((4, 2, 8), [bytes_codec(), zstd(0)], index_location="start")], 0))
    add(Case("shard_4d", "complex128", (6, 5, 4, 7), (4, 4, 4, 4),
             [sharding((2, 2, 2, 2), [bytes_codec(), zstd(1)])], [0.0, 0.0]))
    # transpose before sharding: the sharding chunk_shape is in transposed order
    add(Case("transpose_then_shard_2d", "float32", shp2, shard2,
             [transpose([1, 0]), sharding((2, 4), [bytes_codec(), zstd(1)])], 0.0))
    add(Case("transpose_then_shard_2d_strict", "float32", shp2, shard2,
             [transpose([1, 0]), sharding((4, 8), [bytes_codec(), zstd(1)])], 0.0,
             skip={"zarr": ZARR_TRANSPOSE_SHARD}, read_skip={"zarr": ZARR_TRANSPOSE_SHARD}))
    add(Case("transpose_201_then_shard", "uint16", (24, 20, 9), (12, 12, 6),
             [transpose([2, 0, 1]), sharding((3, 4, 6), [bytes_codec()], index_location="start")], 0))
    add(Case("transpose_201_then_shard_strict", "uint16", (24, 20, 9), (8, 10, 9),
             [transpose([2, 0, 1]), sharding((3, 4, 5), [bytes_codec()], index_location="start")], 0,
             skip={"zarr": ZARR_TRANSPOSE_SHARD}, read_skip={"zarr": ZARR_TRANSPOSE_SHARD}))
    # nested sharding
    add(Case("shard_nested", "int32", (50, 45), (32, 32),
             [sharding((16, 16), [sharding((4, 8), [bytes_codec(), zstd(1)])])], 0))
    add(Case("shard_nested_start_mixed", "float64", (50, 45), (32, 32),
             [sharding((16, 16), [sharding((4, 4), [bytes_codec("big"), crc32c()],
                                            index_codecs=[bytes_codec()], index_location="end")],
                       index_location="start")], 0.0))
    # shards whose inner chunks are partly fill-valued (writers omit them) + an all-fill shard
    d = make_values("int32", shp2, 3)
    d = _set_fill(d, _blocks(shp2, inner2, lambda ij: (ij[0] + 2 * ij[1]) % 3 == 0), np.int32(-7))
    d[16:32, 0:12] = -7  # whole shard (1,0) is fill -> not stored
    add(Case("shard_fill_inner_chunks", "int32", shp2, shard2, [sharding(inner2, [bytes_codec(), zstd(1)])],
             -7, data=d))
    dn = make_values("float32", shp2, 4)
    dn = _set_fill(dn, _blocks(shp2, inner2, lambda ij: ij[0] % 2 == ij[1] % 3), np.float32(np.nan))
    add(Case("shard_fill_inner_nan", "float32", shp2, shard2,
             [sharding(inner2, [bytes_codec()], index_location="start")], "NaN", data=dn))
    # sparse writes: only some inner chunks / shards written at all
    add(Case("shard_sparse_regions", "uint16", shp2, shard2, [sharding(inner2)], 9,
             regions=[(slice(0, 4), slice(0, 4)), (slice(5, 11), slice(13, 22)), (slice(36, 40), slice(26, 30))]))
    add(Case("shard_sparse_nested", "float64", (50, 45), (32, 32),
             [sharding((16, 16), [sharding((4, 8), [bytes_codec()])])], -0.0,
             regions=[(slice(0, 3), slice(0, 3)), (slice(33, 50), slice(40, 45))]))
    add(Case("shard_key_v2_dot", "int16", shp2, shard2, [sharding(inner2, [bytes_codec(), gzip(1)])], 0,
             chunk_key_encoding=key_v2(".")))
    add(Case("shard_key_default_dot", "uint32", shp2, shard2, [sharding(inner2, index_location="start")], 0,
             chunk_key_encoding=key_default(".")))
    add(Case("shard_zero_length", "int32", (0, 8), (4, 8), [sharding((2, 4))], 0))

    # ---- shapes -------------------------------------------------------------------
    add(Case("zero_d_f64", "float64", (), (), [bytes_codec()], 0.0, data=np.array(np.pi)))
    add(Case("zero_d_c128_big", "complex128", (), (), [bytes_codec("big"), gzip(1)], [0.0, 0.0],
             data=np.array(complex(-2.5, np.inf))))
    add(Case("zero_d_missing", "int32", (), (), [bytes_codec()], 31337, regions=[]))
    add(Case("four_d", "uint16", (5, 6, 7, 8), (2, 3, 4, 5), [bytes_codec(), zstd(1)], 0))
    add(Case("four_d_big_gzip", "float32", (3, 4, 5, 6), (2, 2, 5, 4), [bytes_codec("big"), gzip(2)], 0.0))
    add(Case("odd_37x23_8x5", "float32", (37, 23), (8, 5), [bytes_codec()], 0.0))
    add(Case("odd_1d_1001_64", "int64", (1001,), (64,), [bytes_codec(), zstd(1)], 0))
    add(Case("odd_3d_7x11x13", "uint8", (7, 11, 13), (3, 4, 5), [bytes_codec(None), gzip(1)], 0))
    add(Case("chunk_bigger_than_array", "int16", (5, 3), (8, 8), [bytes_codec()], 0))
    add(Case("chunk_ones", "float64", (3, 4), (1, 1), [bytes_codec()], 0.0))
    add(Case("zero_length_2d", "float32", (0, 5), (4, 5), [bytes_codec()], 0.0))
    add(Case("zero_length_3d", "int8", (5, 0, 3), (2, 2, 2), [bytes_codec(None)], 0))

    # ---- missing chunks / fill values -----------------------------------------------
    add(Case("missing_chunks_int", "int32", (30, 17), (8, 5), [bytes_codec(), zstd(1)], 42,
             regions=[(slice(0, 8), slice(0, 5)), (slice(10, 19), slice(6, 16)), (slice(29, 30), slice(0, 17))]))
    add(Case("missing_chunks_nan", "float32", (30, 17), (8, 5), [bytes_codec()], "NaN",
             regions=[(slice(3, 12), slice(2, 9)), (slice(24, 30), slice(15, 17))]))
    add(Case("missing_all", "float64", (12, 7), (5, 5), [bytes_codec()], 2.5, regions=[]))
    add(Case("fill_nan_f16", "float16", (30, 17), (8, 5), [bytes_codec()], "NaN",
             regions=[(slice(0, 30), slice(0, 9))]))
    add(Case("fill_nan_f64_big", "float64", (30, 17), (8, 5), [bytes_codec("big"), zstd(1)], "NaN",
             regions=[(slice(8, 30), slice(0, 17))]))
    add(Case("fill_nan_payload_f32", "float32", (30, 17), (8, 5), [bytes_codec()], "0x7fc00001",
             regions=[(slice(0, 15), slice(0, 17))],
             skip={"zarr": "zarr-python writes a NaN fill with a payload as \"NaN\" (payload lost)"}))
    add(Case("fill_neg_zero", "float64", (30, 17), (8, 5), [bytes_codec()], -0.0,
             data=np.zeros((30, 17)), regions=[(slice(0, 16), slice(0, 17))],
             note="+0.0 chunks must be stored when the fill is -0.0"))
    add(Case("fill_neg_zero_f32_mixed", "float32", (30, 17), (8, 5), [bytes_codec(), gzip(1)], -0.0,
             regions=[(slice(0, 20), slice(3, 17))]))
    add(Case("fill_inf", "float32", (30, 17), (8, 5), [bytes_codec()], "-Infinity",
             regions=[(slice(0, 8), slice(0, 17))]))
    add(Case("fill_nonzero_f32", "float32", (30, 17), (8, 5), [bytes_codec()], 3.5,
             regions=[(slice(7, 23), slice(4, 11))]))
    add(Case("fill_int16_min", "int16", (30, 17), (8, 5), [bytes_codec("big")], -32768,
             regions=[(slice(0, 30), slice(0, 5))]))
    add(Case("fill_int64_min", "int64", (30, 17), (8, 5), [bytes_codec()], -9223372036854775808,
             regions=[(slice(0, 30), slice(0, 5))]))
    add(Case("fill_uint64_max", "uint64", (30, 17), (8, 5), [bytes_codec()], 18446744073709551615,
             regions=[(slice(0, 8), slice(5, 17))]))
    add(Case("fill_bool_true", "bool", (30, 17), (8, 5), [bytes_codec(None)], True,
             regions=[(slice(0, 8), slice(5, 17))]))
    add(Case("fill_complex64", "complex64", (30, 17), (8, 5), [bytes_codec()], [1.5, -2.0],
             regions=[(slice(16, 30), slice(0, 17))]))
    add(Case("fill_complex128_nan", "complex128", (30, 17), (8, 5), [bytes_codec("big")], ["NaN", -0.0],
             regions=[(slice(16, 30), slice(0, 17))]))
    add(Case("fill_complex_inf", "complex128", (30, 17), (8, 5), [bytes_codec()], ["-Infinity", "Infinity"],
             regions=[(slice(16, 30), slice(0, 17))]))
    add(Case("fill_uint8_nonzero_sharded", "uint8", (30, 17), (16, 10), [sharding((4, 5))], 255,
             regions=[(slice(0, 30), slice(0, 3))]))

    # ---- attributes / dimension names -------------------------------------------------
    add(Case("attrs_dimnames", "int16", (6, 7, 8), (4, 4, 4), [bytes_codec()], 0,
             attributes={"title": "interop \u00e9\u00e8 \u2603", "nested": {"a": [1, 2.5, None, True],
                         "b": {"c": "d"}}, "big": 18446744073709551615, "neg": -1e300, "empty": {}},
             dimension_names=["z", "y", "x"]))
    add(Case("dimnames_with_null", "float32", (6, 7), (4, 4), [bytes_codec()], 0.0,
             attributes={}, dimension_names=["time", None]))

    names = [c.name for c in cases]
    assert len(names) == len(set(names)), "duplicate case names"
    return cases


CASES = build_cases()
CASES_BY_NAME = {c.name: c for c in CASES}


def writer_skip_reason(case: Case, writer: str) -> str | None:
    return case.skip.get(writer)


def reader_skip_reason(case: Case, reader: str) -> str | None:
    return case.read_skip.get(reader)


# --------------------------------------------------------------------------
# zarr-python
# --------------------------------------------------------------------------


def _zarr_codec(c: dict):
    from zarr import codecs as zc

    conf = c.get("configuration", {}) or {}
    name = c["name"]
    if name == "bytes":
        return zc.BytesCodec(endian=conf.get("endian"))
    if name == "transpose":
        return zc.TransposeCodec(order=tuple(conf["order"]))
    if name == "gzip":
        return zc.GzipCodec(level=conf.get("level", 5))
    if name == "zstd":
        return zc.ZstdCodec(level=conf.get("level", 0), checksum=conf.get("checksum", False))
    if name == "blosc":
        return zc.BloscCodec(cname=conf["cname"], clevel=conf["clevel"], shuffle=conf["shuffle"],
                             typesize=conf["typesize"], blocksize=conf.get("blocksize", 0))
    if name == "crc32c":
        return zc.Crc32cCodec()
    if name == "sharding_indexed":
        return zc.ShardingCodec(chunk_shape=tuple(conf["chunk_shape"]),
                                codecs=[_zarr_codec(x) for x in conf["codecs"]],
                                index_codecs=[_zarr_codec(x) for x in conf["index_codecs"]],
                                index_location=conf.get("index_location", "end"))
    raise ValueError(f"no zarr-python mapping for codec {name}")


_ARRAY_TO_BYTES = {"bytes", "sharding_indexed"}


def split_codecs(codecs: list):
    """(array->array, array->bytes, bytes->bytes) of a v3 codec list."""
    k = next(i for i, c in enumerate(codecs) if c["name"] in _ARRAY_TO_BYTES)
    return codecs[:k], codecs[k], codecs[k + 1:]


def _zarr_fill(case: Case):
    """The fill value as a Python/numpy scalar zarr-python accepts."""
    f = case.fill
    if case.data_type == "bool":
        return bool(f)
    if case.data_type in INT_TYPES:
        return int(f)
    return f[()]  # numpy scalar with the exact bits


def write_zarr(case: Case, path: str) -> None:
    import zarr
    from zarr.storage import LocalStore

    reason = writer_skip_reason(case, "zarr")
    if reason:
        raise NotImplementedError(reason)
    filters, serializer, compressors = split_codecs(case.codecs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        arr = zarr.create_array(
            store=LocalStore(path),
            shape=case.shape,
            dtype=case.dtype,
            chunks=case.chunk_shape,
            filters=[_zarr_codec(c) for c in filters],
            serializer=_zarr_codec(serializer),
            compressors=[_zarr_codec(c) for c in compressors],
            fill_value=_zarr_fill(case),
            chunk_key_encoding=case.chunk_key_encoding,
            attributes=case.attributes,
            dimension_names=case.dimension_names,
            config={"write_empty_chunks": False},
            overwrite=True,
        )
        for r in case.write_regions:
            arr[r] = case.data[r]


def read_zarr(path: str, region=None) -> np.ndarray:
    import zarr
    from zarr.storage import LocalStore

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        arr = zarr.open_array(LocalStore(path, read_only=True), zarr_format=3)
        out = arr[region if region is not None else ...]
    return np.asarray(out)


def zarr_info(path: str) -> dict:
    import zarr
    from zarr.storage import LocalStore

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        arr = zarr.open_array(LocalStore(path, read_only=True), zarr_format=3)
        return {"shape": tuple(arr.shape), "dtype": np.dtype(arr.dtype),
                "fill": np.asarray(arr.fill_value, dtype=arr.dtype).tobytes(),
                "attributes": dict(arr.attrs),
                "dimension_names": (list(arr.metadata.dimension_names)
                                    if arr.metadata.dimension_names is not None else None)}


# --------------------------------------------------------------------------
# tensorstore
# --------------------------------------------------------------------------


def _ts_spec(path: str, metadata: dict | None = None) -> dict:
    spec = {"driver": "zarr3", "kvstore": {"driver": "file", "path": os.path.abspath(path)},
            "context": {"file_io_sync": False}}  # no fsync per file: much faster, same bytes
    if metadata is not None:
        spec["metadata"] = metadata
    return spec


def ts_metadata(case: Case) -> dict:
    md = case.metadata()
    del md["zarr_format"], md["node_type"]
    return md


def write_tensorstore(case: Case, path: str) -> None:
    import tensorstore as ts

    reason = writer_skip_reason(case, "tensorstore")
    if reason:
        raise NotImplementedError(reason)
    if is_raw(case.data_type):
        # tensorstore cannot create r<N> arrays from a spec (aborts); write its
        # dialect of zarr.json by hand (base64 fill_value), then the chunks.
        os.makedirs(path, exist_ok=True)
        md = case.metadata(fill_json=base64.b64encode(case.fill.tobytes()).decode())
        with open(os.path.join(path, "zarr.json"), "w") as f:
            json.dump(md, f)
        t = ts.open(_ts_spec(path), open=True).result()
        nb = case.dtype.itemsize
        for r in case.write_regions:
            part = np.array(case.data[r], order="C")
            u8 = part.view(np.uint8).reshape(part.shape + (nb,))
            t[r].write(u8).result()
        return
    if os.path.exists(path):
        shutil.rmtree(path)
    t = ts.open(_ts_spec(path, ts_metadata(case)), create=True).result()
    for r in case.write_regions:
        t[r].write(np.array(case.data[r], order="C")).result()


def read_tensorstore(path: str, region=None) -> np.ndarray:
    import tensorstore as ts

    t = ts.open(_ts_spec(path), open=True, read=True).result()
    if t.dtype.name == "byte":
        raise NotImplementedError("tensorstore's Python API cannot read r<N> data (numpy |V0)")
    view = t[region] if region is not None else t
    return np.asarray(view.read().result())


def ts_info(path: str) -> dict:
    import tensorstore as ts

    t = ts.open(_ts_spec(path), open=True, read=True).result()
    md = t.spec(retain_context=False).to_json()["metadata"]
    fill = t.fill_value
    return {"shape": tuple(t.shape), "dtype": np.dtype(t.dtype.numpy_dtype),
            "fill": None if fill is None else np.asarray(fill).tobytes(),
            "attributes": md.get("attributes", {}),
            "dimension_names": md.get("dimension_names")}


def ts_read_and_info(path: str, region=None) -> tuple:
    """(whole array, sub-region or None, info) read by tensorstore; run in a worker process."""
    whole = read_tensorstore(path)
    sub = read_tensorstore(path, region) if region is not None else None
    return whole, sub, ts_info(path)


def zarr_read_and_info(path: str, region=None) -> tuple:
    whole = read_zarr(path)
    sub = read_zarr(path, region) if region is not None else None
    return whole, sub, zarr_info(path)


def write_case(case: Case, writer: str, path: str) -> None:
    if writer == "zarr":
        write_zarr(case, path)
    elif writer == "tensorstore":
        write_tensorstore(case, path)
    else:
        raise ValueError(writer)


def write_matrix(outdir: str, writers=WRITERS, cases=None) -> dict:
    """Write every case with every writer into outdir/<writer>/<case>. Returns {(writer, case): status}."""
    status = {}
    for writer in writers:
        for case in cases or CASES:
            path = os.path.join(outdir, writer, case.name)
            reason = writer_skip_reason(case, writer)
            if reason:
                status[(writer, case.name)] = "skip: " + reason
                continue
            write_case(case, writer, path)
            status[(writer, case.name)] = "written"
    return status


# --------------------------------------------------------------------------
# comparison helpers
# --------------------------------------------------------------------------


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal shape, dtype and bytes (NaN payloads and -0.0 count)."""
    a = np.asarray(a)
    b = np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    return np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes()


def describe_mismatch(got: np.ndarray, want: np.ndarray, limit: int = 8) -> str:
    got = np.asarray(got)
    want = np.asarray(want)
    if got.shape != want.shape:
        return f"shape {got.shape} != expected {want.shape}"
    if got.dtype != want.dtype:
        return f"dtype {got.dtype} != expected {want.dtype}"
    isz = want.dtype.itemsize
    g = np.ascontiguousarray(got).view(np.uint8).reshape(-1, isz) if got.size else np.zeros((0, isz), np.uint8)
    w = np.ascontiguousarray(want).view(np.uint8).reshape(-1, isz) if want.size else np.zeros((0, isz), np.uint8)
    bad = np.nonzero((g != w).any(axis=1))[0]
    lines = [f"{len(bad)} of {want.size} elements differ"]
    for flat in bad[:limit]:
        idx = np.unravel_index(flat, want.shape) if want.ndim else ()
        lines.append(f"  at {tuple(int(i) for i in idx)}: got {g[flat].tobytes().hex()} "
                     f"({got[idx]!r}) expected {w[flat].tobytes().hex()} ({want[idx]!r})")
    return "\n".join(lines)


def _raw_read_uncompressed(case: Case, path: str) -> np.ndarray:
    """Independent reader for the r<N> cases (bytes codec only, default or v2 keys)."""
    out = np.empty(case.shape, case.dtype)
    out[...] = case.fill
    enc = case.chunk_key_encoding
    sep = (enc.get("configuration") or {}).get("separator", "/" if enc["name"] == "default" else ".")
    grid = [math.ceil(n / c) for n, c in zip(case.shape, case.chunk_shape)]
    for idx in np.ndindex(*grid):
        key = sep.join(str(i) for i in idx)
        key = ("c" + sep + key) if enc["name"] == "default" else key
        p = os.path.join(path, *key.split("/"))
        if not os.path.exists(p):
            continue
        chunk = np.frombuffer(open(p, "rb").read(), case.dtype).reshape(case.chunk_shape)
        sl = tuple(slice(i * c, min((i + 1) * c, n)) for i, c, n in zip(idx, case.chunk_shape, case.shape))
        out[sl] = chunk[tuple(slice(0, s.stop - s.start) for s in sl)]
    return out


def check_store(case: Case, path: str) -> list[str]:
    """Read an array with zarr-python and tensorstore; return a list of problems."""
    problems = []
    want = case.expected
    if is_raw(case.data_type):
        got = _raw_read_uncompressed(case, path)
        if not same_bits(got, want):
            problems.append("raw reader: " + describe_mismatch(got, want))
        return problems
    for reader, fn, info in (("zarr", read_zarr, zarr_info), ("tensorstore", read_tensorstore, ts_info)):
        if reader_skip_reason(case, reader):
            continue
        try:
            got = fn(path)
            if not same_bits(got, want):
                problems.append(f"{reader}: " + describe_mismatch(got, want))
            start, shp = case.sub()
            region = tuple(slice(s, s + n) for s, n in zip(start, shp))
            got = fn(path, region)
            if not same_bits(got, want[region]):
                problems.append(f"{reader} sub-region: " + describe_mismatch(got, want[region]))
            i = info(path)
            if i["shape"] != case.shape:
                problems.append(f"{reader}: shape {i['shape']}")
            if i["fill"] is not None and i["fill"] != case.fill.tobytes():
                problems.append(f"{reader}: fill {i['fill'].hex()} != {case.fill.tobytes().hex()}")
            if case.attributes and i["attributes"] != case.attributes:
                problems.append(f"{reader}: attributes {i['attributes']}")
            if case.dimension_names is not None and i["dimension_names"] != case.dimension_names:
                problems.append(f"{reader}: dimension_names {i['dimension_names']}")
        except Exception as e:  # noqa: BLE001
            problems.append(f"{reader}: {type(e).__name__}: {e}")
    return problems


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    import tempfile

    outdir = argv[0] if argv else tempfile.mkdtemp(prefix="zarrio-matrix-")
    status = write_matrix(outdir)
    bad = 0
    counts = {w: 0 for w in WRITERS}
    for (writer, name), st in status.items():
        if st != "written":
            print(f"SKIP {writer:12s} {name}: {st[6:]}")
            continue
        counts[writer] += 1
        problems = check_store(CASES_BY_NAME[name], os.path.join(outdir, writer, name))
        if problems:
            bad += 1
            print(f"FAIL {writer:12s} {name}")
            for p in problems:
                print("     " + p.replace("\n", "\n     "))
    print(f"{len(CASES)} cases; written: " + ", ".join(f"{w}={n}" for w, n in counts.items()))
    print(f"output in {outdir}; {bad} failing")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
