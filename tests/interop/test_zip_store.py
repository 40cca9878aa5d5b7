"""zarrio reads hierarchies zarr-python wrote into a zip archive (`ZipStore`).

Stored entries (zarr-python's default) and deflated ones; groups found by
listing; sharded arrays by byte range. The store is read only: writes are
refused and the archive is left as it was. A damaged entry is a checksum
error, a file that is no zip archive a corrupt one.
"""

from __future__ import annotations

import json
import zipfile
from ctypes import byref, c_void_p

import numpy as np
import pytest

from zarrio_ctypes import Array, Store, ZarrioError, lib


def _children(store: Store, path: str) -> list:
    L = lib()
    g = c_void_p()
    L.check(L.fn("zarrio_group_open")(store.handle, path.encode(), byref(g)), "zarrio_group_open")
    try:
        p = c_void_p()
        L.check(L.fn("zarrio_group_children")(g, byref(p)), "zarrio_group_children")
        return json.loads(L.take_string(p))
    finally:
        L.fn("zarrio_group_free")(g)


def _write_zip(path, compression, zarr_format=3) -> dict:
    import zarr
    from zarr.storage import ZipStore

    rng = np.random.default_rng(3)
    data = {
        "plain": rng.integers(-1000, 1000, size=(13, 9), dtype="<i4"),
        "sub/sharded": rng.standard_normal((20, 12)).astype("<f8"),
        "sub/raw": rng.integers(0, 255, size=(33,), dtype="u1"),
    }
    store = ZipStore(str(path), mode="w", compression=compression)
    root = zarr.open_group(store=store, mode="w", zarr_format=zarr_format, attributes={"k": 1})
    root.create_array("plain", shape=data["plain"].shape, chunks=(4, 4), dtype="<i4", fill_value=-1)
    kw = dict(shards=(10, 6), chunks=(5, 3)) if zarr_format == 3 else dict(chunks=(5, 3))
    root.create_array("sub/sharded", shape=(20, 12), dtype="<f8", **kw)
    root.create_array("sub/raw", shape=(33,), chunks=(10,), dtype="u1", compressors=None)
    # One chunk of the first array is all fill value, so it is not stored.
    data["plain"][12:, 8:] = -1
    # Each array written once: a zip archive cannot replace an entry.
    for k, v in data.items():
        root[k][:] = v
    store.close()
    return data


@pytest.mark.parametrize("zarr_format", [3, 2])
@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED], ids=["stored", "deflated"])
def test_reads_zarr_python_zip(zarrio, tmp_path, compression, zarr_format):
    import zarr
    from zarr.storage import ZipStore

    path = tmp_path / "h.zip"
    data = _write_zip(path, compression, zarr_format)
    names = {i.filename: i.compress_type for i in zipfile.ZipFile(path).infolist()}
    assert set(names.values()) == {compression}, names
    before = path.read_bytes()
    with Store.zip(path) as store:
        def kids(path):
            return [(c["name"], c["node_type"]) for c in _children(store, path)]

        assert kids("") == [("plain", "array"), ("sub", "group")]
        assert kids("sub") == [("raw", "array"), ("sharded", "array")]
        for key, want in data.items():
            with Array.open(store, key) as arr:
                assert arr.read().tobytes() == want.tobytes(), key
                if want.ndim == 2:
                    assert arr.read((3, 2), (7, 5)).tobytes() == np.ascontiguousarray(want[3:10, 2:7]).tobytes()
                    assert np.array_equal(arr.read(order="F"), want)
    # And zarr-python agrees.
    back = zarr.open_group(store=ZipStore(str(path), mode="r"), mode="r")
    assert np.array_equal(back["sub/sharded"][...], data["sub/sharded"])
    assert path.read_bytes() == before


def test_refuses_writes(zarrio, tmp_path):
    path = tmp_path / "h.zip"
    data = _write_zip(path, zipfile.ZIP_STORED)
    before = path.read_bytes()
    meta = {"zarr_format": 3, "node_type": "array", "shape": [4], "data_type": "uint8",
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [4]}},
            "chunk_key_encoding": {"name": "default"}, "fill_value": 0, "codecs": [{"name": "bytes"}]}
    with Store.zip(path) as store:
        for make in (lambda: Array.create(store, "new", meta), lambda: Array.create(store, "plain", meta)):
            with pytest.raises(ZarrioError) as e:
                make()
            assert e.value.status_name == "ZARRIO_ERR_UNSUPPORTED", e.value
            assert "read only" in e.value.message
        with Array.open(store, "sub/raw") as arr:
            with pytest.raises(ZarrioError) as e:
                arr.write((0,), np.zeros(3, "u1"))
            assert e.value.status_name == "ZARRIO_ERR_UNSUPPORTED", e.value
            assert arr.read().tobytes() == data["sub/raw"].tobytes()
    assert path.read_bytes() == before


def test_last_entry_of_a_name_wins(zarrio, tmp_path):
    """An archive appended to holds names twice; Python's zipfile reads the last."""
    path = tmp_path / "dup.zip"
    meta = {"zarr_format": 3, "node_type": "array", "shape": [4], "data_type": "uint8",
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [4]}},
            "chunk_key_encoding": {"name": "default"}, "fill_value": 0, "codecs": [{"name": "bytes"}]}
    with pytest.warns(UserWarning):
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("a/zarr.json", json.dumps(meta))
            z.writestr("a/c/0", bytes([1, 2, 3, 4]))
            z.writestr("a/c/0", bytes([5, 6, 7, 8]))
    with zipfile.ZipFile(path) as z:
        assert z.read("a/c/0") == bytes([5, 6, 7, 8])
    with Store.zip(path) as store, Array.open(store, "a") as arr:
        assert arr.read().tolist() == [5, 6, 7, 8]


def test_damaged_and_foreign_files(zarrio, tmp_path):
    path = tmp_path / "h.zip"
    data = _write_zip(path, zipfile.ZIP_STORED)
    # Flip one byte inside a compressed chunk of "plain": the whole-value
    # read sees the CRC-32 mismatch.
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("plain/c/1/1")
    raw = bytearray(path.read_bytes())
    name_len = int.from_bytes(raw[info.header_offset + 26: info.header_offset + 28], "little")
    extra_len = int.from_bytes(raw[info.header_offset + 28: info.header_offset + 30], "little")
    start = info.header_offset + 30 + name_len + extra_len
    raw[start + info.compress_size // 2] ^= 0x40
    path.write_bytes(bytes(raw))
    with Store.zip(path) as store, Array.open(store, "plain") as arr:
        with pytest.raises(ZarrioError) as e:
            arr.read()
        assert e.value.status_name == "ZARRIO_ERR_CHECKSUM", e.value
        # Chunks away from the damage read as before.
        assert arr.read((0, 0), (4, 4)).tobytes() == np.ascontiguousarray(data["plain"][:4, :4]).tobytes()
    other = tmp_path / "not.zip"
    other.write_bytes(b"PK\x03\x04 but nothing more")
    for p, status in [(other, "ZARRIO_ERR_CORRUPT"), (tmp_path / "missing.zip", "ZARRIO_ERR_NOT_FOUND")]:
        with pytest.raises(ZarrioError) as e:
            Store.zip(p)
        assert e.value.status_name == status, e.value


def test_zarr_python_reads_the_zip_zarrio_writes(zarrio, tmp_path):
    """zarrio_store_create_zip: a hierarchy written (metadata rewritten,
    chunks rewritten and patched in place, a node erased) and closed into
    one archive holding each key once, which zarr-python's ZipStore reads."""
    import zarr
    from zarr.storage import ZipStore

    path = tmp_path / "out.zip"
    rng = np.random.default_rng(5)
    a = rng.integers(-1000, 1000, size=(12, 9), dtype="<i4")
    b = rng.standard_normal((20,)).astype("<f8")
    meta_a = {"zarr_format": 3, "node_type": "array", "shape": [12, 9], "data_type": "int32",
              "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [6, 9]}},
              "chunk_key_encoding": {"name": "default"}, "fill_value": 0,
              "codecs": [{"name": "sharding_indexed", "configuration": {
                  "chunk_shape": [3, 3], "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
                  "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "crc32c"}]}}]}
    zarray_b = {"zarr_format": 2, "shape": [20], "chunks": [8], "dtype": "<f8", "compressor": {"id": "zlib", "level": 1},
                "fill_value": None, "order": "C", "filters": None}
    L = lib()
    with Store.create_zip(path) as store:
        with Array.create(store, "g/a", meta_a) as arr:
            arr.write((0, 0), np.zeros((12, 9), "<i4") + 5)
            arr.write((0, 0), a)              # whole shards again
            arr.write((4, 4), a[4:5, 4:5])    # one inner chunk patched in place
            L.check(L.fn("zarrio_array_set_attributes")(arr.handle, b'{"units": "m"}'), "set_attributes")
        with Array.create(store, "old", meta_a):
            pass
        g = c_void_p()
        L.check(L.fn("zarrio_group_open")(store.handle, b"", byref(g)), "zarrio_group_open")
        try:
            L.check(L.fn("zarrio_group_erase_child")(g, b"old"), "zarrio_group_erase_child")
        finally:
            L.fn("zarrio_group_free")(g)
        with Array.create(store, "v2/b", zarray_b) as arr:
            arr.write((0,), b)
        assert not path.exists()
        store.finish()
        store.finish()
        with pytest.raises(ZarrioError) as e:
            Array.open(store, "g/a")
        assert e.value.status_name == "ZARRIO_ERR_INVALID_ARGUMENT", e.value
        assert "closed" in e.value.message
    names = zipfile.ZipFile(path).namelist()
    assert len(names) == len(set(names)), names
    assert not any(n.startswith("old") for n in names)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.zip"]
    root = zarr.open_group(store=ZipStore(str(path), mode="r"), mode="r", zarr_format=3)
    assert np.array_equal(root["g/a"][...], a)
    assert dict(root["g/a"].attrs) == {"units": "m"}
    v2 = zarr.open_array(store=ZipStore(str(path), mode="r"), path="v2/b", mode="r", zarr_format=2)
    assert np.asarray(v2[...]).tobytes() == b.tobytes()
    with Store.zip(path) as store, Array.open(store, "g/a") as arr:
        assert arr.read().tobytes() == a.tobytes()


def test_tensorstore_reads_the_zip_zarrio_writes(zarrio, tmp_path):
    import tensorstore as ts

    path = tmp_path / "ts.zip"
    data = np.arange(12 * 9, dtype="<u2").reshape(12, 9)
    meta = {"zarr_format": 3, "node_type": "array", "shape": [12, 9], "data_type": "uint16",
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [5, 4]}},
            "chunk_key_encoding": {"name": "default"}, "fill_value": 0,
            "codecs": [{"name": "bytes", "configuration": {"endian": "little"}},
                       {"name": "zstd", "configuration": {"level": 1}}]}
    with Store.create_zip(path) as store:
        with Array.create(store, "a", meta) as arr:
            arr.write((0, 0), data)
        store.finish()
    t = ts.open({"driver": "zarr3", "kvstore": {"driver": "zip", "base": f"file://{path}"}, "path": "a/"},
                open=True, read=True).result()
    assert np.array_equal(np.asarray(t.read().result()), data)


def test_legacy_names_with_a_unicode_path_field(zarrio, tmp_path):
    """Windows archivers store a non-ASCII name in the code page (cp437)
    in both headers and the UTF-8 name in an Info-ZIP Unicode Path extra
    field (0x7075): the key is the UTF-8 name, and the local header's
    stored name matches the central header's stored one, not the UTF-8
    one. Python's zipfile and zarr-python read it; so does zarrio."""
    import struct
    import zlib

    import zarr
    from zarr.storage import ZipStore

    src = tmp_path / "src"
    group = zarr.open_group(str(src), mode="w", zarr_format=3)
    values = np.arange(12, dtype="<i4").reshape(3, 4)
    group.create_array("\u00e9", shape=(3, 4), chunks=(3, 4), dtype="<i4", compressors=None)[:] = values
    path = tmp_path / "unicode.zip"
    placeholders = []
    with zipfile.ZipFile(path, "w") as z:
        for f in sorted(p for p in src.rglob("*") if p.is_file()):
            key = f.relative_to(src).as_posix()
            if not key.startswith("\u00e9"):
                z.write(f, key)
                continue
            stored = b"\x82" + key[1:].encode()  # cp437 for the accented letter
            field = struct.pack("<BI", 1, zlib.crc32(stored)) + key.encode("utf-8")
            info = zipfile.ZipInfo("Q" + key[1:])
            info.extra = struct.pack("<HH", 0x7075, len(field)) + field
            z.writestr(info, f.read_bytes())
            placeholders.append((("Q" + key[1:]).encode(), stored))
    raw = path.read_bytes()
    for placeholder, stored in placeholders:
        assert raw.count(placeholder) == 2
        raw = raw.replace(placeholder, stored)
    path.write_bytes(raw)
    assert np.array_equal(zarr.open_array(ZipStore(str(path), mode="r"), path="\u00e9", mode="r")[...], values)
    with Store.zip(path) as store:
        with Array.open(store, "\u00e9") as arr:
            assert np.array_equal(arr.read(), values)
