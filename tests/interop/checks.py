"""Comparison helpers shared by the interop tests."""

from __future__ import annotations

import numpy as np

from make_matrix import Case, describe_mismatch, same_bits
from zarrio_ctypes import Array, Store, ZarrioError


class Problems:
    """Collects every mismatch of a test so one failure does not hide the others."""

    def __init__(self, label: str):
        self.label = label
        self.items: list[str] = []

    def add(self, what: str, detail: str) -> None:
        self.items.append(f"{what}: {detail}")

    def compare(self, what: str, got, want) -> None:
        if not same_bits(got, want):
            self.add(what, describe_mismatch(got, want))

    def call(self, what: str, fn, *args, **kwargs):
        """Run fn; record a zarrio (or other) error instead of stopping."""
        try:
            return fn(*args, **kwargs)
        except ZarrioError as e:
            self.add(what, f"zarrio error {e.status_name} ({e.status}): {e.message}")
        except Exception as e:  # noqa: BLE001
            self.add(what, f"{type(e).__name__}: {e}")
        return None

    def check(self) -> None:
        if self.items:
            raise AssertionError(f"{self.label}: {len(self.items)} problem(s)\n  - "
                                 + "\n  - ".join(s.replace("\n", "\n    ") for s in self.items))


def region_slices(start, shape) -> tuple:
    return tuple(slice(s, s + n) for s, n in zip(start, shape))


def inner_chunk_shape_of(case: Case):
    """The sharding chunk_shape when the case is plainly sharded (no transpose, no nesting)."""
    c = case.codecs[0]
    if c["name"] != "sharding_indexed":
        return None
    inner = c["configuration"]["codecs"]
    if any(x["name"] == "sharding_indexed" for x in inner):
        return None
    return tuple(c["configuration"]["chunk_shape"])


def check_zarrio_array(arr, case: Case, p: Problems) -> None:
    """Everything zarrio reports about an array must match the case."""
    if arr.shape != case.shape:
        p.add("shape", f"{arr.shape} != {case.shape}")
    if arr.dtype_name != case.data_type:
        p.add("data_type", f"{arr.dtype_name!r} != {case.data_type!r}")
    if arr.element_size != case.dtype.itemsize:
        p.add("element_size", f"{arr.element_size} != {case.dtype.itemsize}")
    cs = p.call("chunk_shape", lambda: arr.chunk_shape)
    if cs is not None and cs != case.chunk_shape:
        p.add("chunk_shape", f"{cs} != {case.chunk_shape}")
    want_inner = inner_chunk_shape_of(case)
    if want_inner is not None:
        ics = p.call("inner_chunk_shape", lambda: arr.inner_chunk_shape)
        if ics is not None and ics != want_inner:
            p.add("inner_chunk_shape", f"{ics} != {want_inner}")
    fill = p.call("fill_value", arr.fill_value_bytes)
    if fill is not None and fill != case.fill.tobytes():
        p.add("fill_value", f"bytes {fill.hex()} != expected {case.fill.tobytes().hex()} "
                            f"(JSON {case.fill_value!r})")
    if case.attributes is not None:
        attrs = p.call("attributes", arr.attributes)
        if attrs is not None and attrs != case.attributes:
            p.add("attributes", f"{attrs!r} != {case.attributes!r}")
    md = p.call("metadata", arr.metadata)
    if md is not None:
        if case.dimension_names is not None and md.get("dimension_names") != case.dimension_names:
            p.add("metadata.dimension_names", f"{md.get('dimension_names')!r} != {case.dimension_names!r}")
        if list(md.get("shape", [])) != list(case.shape):
            p.add("metadata.shape", f"{md.get('shape')!r}")
        if md.get("data_type") != case.data_type:
            p.add("metadata.data_type", f"{md.get('data_type')!r}")


def check_zarrio_reads(arr, case: Case, p: Problems) -> None:
    """Whole array in C order (strides NULL), sub-region in F order and in C order with strides."""
    want = case.expected
    got = p.call("read whole (C, strides NULL)", arr.read)
    if got is not None:
        p.compare("read whole (C, strides NULL)", got, want)
    start, shape = case.sub()
    sl = region_slices(start, shape)
    got = p.call(f"read sub-region {start}+{shape} (F)", arr.read, start, shape, order="F")
    if got is not None:
        if got.ndim >= 2 and got.size > 1 and not got.flags.f_contiguous:
            p.add("read (F)", "result is not Fortran-ordered")
        p.compare(f"read sub-region {start}+{shape} (F)", got, want[sl])
    got = p.call(f"read sub-region {start}+{shape} (C, explicit strides)", arr.read, start, shape,
                 order="C", strides_null_for_c=False)
    if got is not None:
        p.compare(f"read sub-region {start}+{shape} (C, explicit strides)", got, want[sl])


def check_peer_read(reader: str, result, case: Case, p: Problems) -> None:
    """result = (whole, sub, info) from make_matrix.{zarr,ts}_read_and_info."""
    whole, sub, info = result
    want = case.expected
    p.compare(f"{reader} read whole", whole, want)
    if sub is not None:
        start, shape = case.sub()
        p.compare(f"{reader} read sub-region {start}+{shape}", sub, want[region_slices(start, shape)])
    if info["shape"] != case.shape:
        p.add(f"{reader} shape", f"{info['shape']} != {case.shape}")
    if np.dtype(info["dtype"]) != case.dtype:
        p.add(f"{reader} dtype", f"{info['dtype']} != {case.dtype}")
    if info["fill"] is not None and info["fill"] != case.fill.tobytes():
        p.add(f"{reader} fill_value", f"bytes {info['fill'].hex()} != {case.fill.tobytes().hex()}")
    if case.attributes is not None and (info["attributes"] or {}) != case.attributes:
        p.add(f"{reader} attributes", f"{info['attributes']!r} != {case.attributes!r}")
    if case.dimension_names is not None and info["dimension_names"] != case.dimension_names:
        p.add(f"{reader} dimension_names", f"{info['dimension_names']!r} != {case.dimension_names!r}")


def v2_compressor_both_ways(tmp_path, data, compressors, order="C"):
    """A v2 array of `data` (2-D) written by zarr-python with
    `compressors` in 10 x 16 chunks reads in zarrio as in zarr-python;
    zarrio, creating the same `.zarray`, writes chunks zarr-python reads
    the same and whose bytes are zarr-python's."""
    import zarr

    shape = data.shape
    part = tuple(slice(0, s - s // 8) for s in shape)
    theirs = zarr.create_array(str(tmp_path / "theirs"), shape=shape, chunks=(10, 16),
                               dtype="<" + data.dtype.str[1:], compressors=compressors,
                               zarr_format=2, fill_value=0, order=order)
    theirs[part] = data[part]
    want = theirs[:]
    zarray = (tmp_path / "theirs" / ".zarray").read_text()
    with Store.filesystem(tmp_path) as store:
        with Array.open(store, "theirs") as a:
            assert a.read().tobytes() == want.tobytes()
        with Array.create(store, "ours", zarray) as a:
            a.write((0, 0), np.ascontiguousarray(data[part]))
    assert zarr.open_array(str(tmp_path / "ours"), mode="r")[:].tobytes() == want.tobytes()
    for c in sorted((tmp_path / "theirs").glob("*.*")):
        if not c.name.startswith("."):
            assert (tmp_path / "ours" / c.name).read_bytes() == c.read_bytes(), c.name


def damaged_chunk_reads(chunk, cuts, read):
    """Write each of `cuts` (the chunk file's bytes cut short) and of the
    chunk with one bit flipped at each byte over the chunk file `chunk`,
    and `read()`: a cut must be refused as corrupt, a flip either read as
    some values (when nothing checksums the bytes) or refused so."""
    good = chunk.read_bytes()
    flips = [good[:i] + bytes([good[i] ^ (1 << (i % 8))]) + good[i + 1:] for i in range(len(good))]
    for m in cuts + flips:
        chunk.write_bytes(m)
        try:
            read()
        except ZarrioError as e:
            assert e.status == -6, e
        else:
            assert m in flips, f"a chunk cut to {len(m)} bytes read"
