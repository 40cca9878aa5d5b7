"""A small ctypes binding for libzarrio.so (the C API of include/zarrio.h).

The library is found from ``$ZARRIO_LIB`` (a path to the .so), else
``<repo>/target/release/libzarrio.so``, else ``<repo>/target/debug/libzarrio.so``.

    from zarrio_ctypes import Store, Array
    store = Store.filesystem("/tmp/data")
    arr = Array.open(store, "a/b")
    x = arr.read()                                   # whole array, C order
    y = arr.read((2, 3), (4, 5), order="F")          # Fortran-ordered numpy array
    arr.write((0, 0), np.asfortranarray(block))
"""

from __future__ import annotations

import ctypes
import json
import os
from ctypes import POINTER, byref, c_char_p, c_int32, c_int64, c_size_t, c_uint8, c_uint32, c_uint64, c_void_p
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[2]

STATUS_NAMES = {
    0: "ZARRIO_OK",
    -1: "ZARRIO_ERR_INVALID_ARGUMENT",
    -2: "ZARRIO_ERR_INVALID_METADATA",
    -3: "ZARRIO_ERR_UNSUPPORTED",
    -4: "ZARRIO_ERR_NOT_FOUND",
    -5: "ZARRIO_ERR_IO",
    -6: "ZARRIO_ERR_CORRUPT",
    -7: "ZARRIO_ERR_CHECKSUM",
    -8: "ZARRIO_ERR_OUT_OF_BOUNDS",
    -9: "ZARRIO_ERR_BUFFER_TOO_SMALL",
    -10: "ZARRIO_ERR_ALREADY_EXISTS",
    -11: "ZARRIO_ERR_INTERNAL",
    -12: "ZARRIO_ERR_OUT_OF_MEMORY",
}


class LibraryNotFound(RuntimeError):
    pass


class ZarrioError(Exception):
    """A zarrio call returned a non-zero status."""

    def __init__(self, status: int, message: str, call: str = ""):
        self.status = status
        self.status_name = STATUS_NAMES.get(status, f"status {status}")
        self.message = message
        self.call = call
        super().__init__(f"{call}: {self.status_name} ({status}): {message}")


def library_candidates() -> list[Path]:
    env = os.environ.get("ZARRIO_LIB")
    if env:
        return [Path(env)]
    return [REPO_ROOT / "target" / "release" / "libzarrio.so",
            REPO_ROOT / "target" / "debug" / "libzarrio.so"]


def find_library() -> Path:
    cands = library_candidates()
    for p in cands:
        if p.is_file():
            return p
    how = ("$ZARRIO_LIB points to a missing file" if os.environ.get("ZARRIO_LIB")
           else "set $ZARRIO_LIB or build it with `cargo build --release`")
    raise LibraryNotFound("libzarrio.so not found (looked at: " + ", ".join(str(p) for p in cands)
                          + f"); {how}")


_status = c_int32
_u64p = POINTER(c_uint64)
_i64p = POINTER(c_int64)

# name -> (restype, argtypes)
_SIGNATURES = {
    "zarrio_version": (c_char_p, []),
    "zarrio_version_number": (c_uint32, []),
    "zarrio_last_error": (c_char_p, []),
    "zarrio_status_name": (c_char_p, [c_int32]),
    "zarrio_string_free": (None, [c_void_p]),
    "zarrio_store_open_filesystem": (_status, [c_char_p, POINTER(c_void_p)]),
    "zarrio_store_open_zip": (_status, [c_char_p, POINTER(c_void_p)]),
    "zarrio_store_create_zip": (_status, [c_char_p, POINTER(c_void_p)]),
    "zarrio_store_close": (_status, [c_void_p]),
    "zarrio_store_create_memory": (_status, [POINTER(c_void_p)]),
    "zarrio_store_free": (None, [c_void_p]),
    "zarrio_store_open_consolidated": (_status, [c_void_p, c_char_p, POINTER(c_void_p)]),
    "zarrio_store_open_n5": (_status, [c_void_p, POINTER(c_void_p)]),
    "zarrio_array_create": (_status, [c_void_p, c_char_p, c_char_p, POINTER(c_void_p)]),
    "zarrio_array_open": (_status, [c_void_p, c_char_p, POINTER(c_void_p)]),
    "zarrio_array_free": (None, [c_void_p]),
    "zarrio_array_ndim": (_status, [c_void_p, POINTER(c_size_t)]),
    "zarrio_array_shape": (_status, [c_void_p, _u64p, c_size_t]),
    "zarrio_array_chunk_shape": (_status, [c_void_p, _u64p, c_size_t]),
    "zarrio_array_inner_chunk_shape": (_status, [c_void_p, _u64p, c_size_t]),
    "zarrio_array_grid_shape": (_status, [c_void_p, _u64p, c_size_t]),
    "zarrio_array_chunk_span": (_status, [c_void_p, c_size_t, _u64p, _u64p, _u64p]),
    "zarrio_array_data_type": (_status, [c_void_p, POINTER(c_void_p)]),
    "zarrio_array_element_size": (_status, [c_void_p, POINTER(c_size_t)]),
    "zarrio_array_fill_value": (_status, [c_void_p, c_void_p, c_size_t]),
    "zarrio_array_metadata": (_status, [c_void_p, POINTER(c_void_p)]),
    "zarrio_array_attributes": (_status, [c_void_p, POINTER(c_void_p)]),
    "zarrio_array_read": (_status, [c_void_p, c_size_t, _u64p, _u64p, c_void_p, c_size_t, _i64p]),
    "zarrio_array_write": (_status, [c_void_p, c_size_t, _u64p, _u64p, c_void_p, c_size_t, _i64p]),
    "zarrio_array_read_stepped": (_status, [c_void_p, c_size_t, _u64p, _u64p, _u64p, c_void_p, c_size_t, _i64p]),
    "zarrio_array_write_stepped": (_status, [c_void_p, c_size_t, _u64p, _u64p, _u64p, c_void_p, c_size_t, _i64p]),
    "zarrio_array_read_orthogonal": (_status, [c_void_p, c_size_t, POINTER(_u64p), POINTER(c_size_t),
                                               c_void_p, c_size_t, _i64p]),
    "zarrio_array_write_orthogonal": (_status, [c_void_p, c_size_t, POINTER(_u64p), POINTER(c_size_t),
                                                c_void_p, c_size_t, _i64p]),
    "zarrio_array_read_points": (_status, [c_void_p, c_size_t, c_size_t, _u64p, c_void_p, c_size_t]),
    "zarrio_array_write_points": (_status, [c_void_p, c_size_t, c_size_t, _u64p, c_void_p, c_size_t]),
    "zarrio_array_set_threads": (_status, [c_void_p, c_uint32]),
    "zarrio_array_resize": (_status, [c_void_p, c_size_t, _u64p]),
    "zarrio_array_set_attributes": (_status, [c_void_p, c_char_p]),
    "zarrio_array_read_strings": (_status, [c_void_p, c_size_t, _u64p, _u64p, _u64p, c_size_t,
                                            POINTER(c_void_p), POINTER(c_size_t)]),
    "zarrio_array_write_strings": (_status, [c_void_p, c_size_t, _u64p, _u64p, c_void_p, c_size_t,
                                             _u64p, c_size_t]),
    "zarrio_array_read_strings_stepped": (_status, [c_void_p, c_size_t, _u64p, _u64p, _u64p, _u64p, c_size_t,
                                                    POINTER(c_void_p), POINTER(c_size_t)]),
    "zarrio_array_write_strings_stepped": (_status, [c_void_p, c_size_t, _u64p, _u64p, _u64p, c_void_p,
                                                     c_size_t, _u64p, c_size_t]),
    "zarrio_array_read_strings_orthogonal": (_status, [c_void_p, c_size_t, POINTER(_u64p), POINTER(c_size_t),
                                                       _u64p, c_size_t, POINTER(c_void_p), POINTER(c_size_t)]),
    "zarrio_array_write_strings_orthogonal": (_status, [c_void_p, c_size_t, POINTER(_u64p), POINTER(c_size_t),
                                                        c_void_p, c_size_t, _u64p, c_size_t]),
    "zarrio_array_read_strings_points": (_status, [c_void_p, c_size_t, c_size_t, _u64p, _u64p, c_size_t,
                                                   POINTER(c_void_p), POINTER(c_size_t)]),
    "zarrio_array_write_strings_points": (_status, [c_void_p, c_size_t, c_size_t, _u64p, c_void_p, c_size_t,
                                                    _u64p, c_size_t]),
    "zarrio_bytes_free": (None, [c_void_p, c_size_t]),
    "zarrio_pipeline_create": (_status, [c_char_p, c_char_p, c_size_t, POINTER(c_uint64), c_char_p,
                                       POINTER(c_void_p)]),
    "zarrio_pipeline_free": (None, [c_void_p]),
    "zarrio_pipeline_encode": (_status, [c_void_p, c_void_p, c_size_t, POINTER(c_void_p), POINTER(c_size_t)]),
    "zarrio_pipeline_decode": (_status, [c_void_p, c_void_p, c_size_t, c_void_p, c_size_t]),
    "zarrio_group_open": (_status, [c_void_p, c_char_p, POINTER(c_void_p)]),
    "zarrio_group_create": (_status, [c_void_p, c_char_p, c_char_p, POINTER(c_void_p)]),
    "zarrio_group_free": (None, [c_void_p]),
    "zarrio_group_attributes": (_status, [c_void_p, POINTER(c_void_p)]),
    "zarrio_group_set_attributes": (_status, [c_void_p, c_char_p]),
    "zarrio_group_children": (_status, [c_void_p, POINTER(c_void_p)]),
    "zarrio_group_consolidate_metadata": (_status, [c_void_p]),
    "zarrio_group_erase_child": (_status, [c_void_p, c_char_p]),
    "zarrio_set_threads": (_status, [c_uint32]),
    "zarrio_threads": (c_uint32, []),
}


class _Lib:
    def __init__(self, path: Path):
        self.path = path
        self.dll = ctypes.CDLL(str(path))
        self.missing = []
        for name, (res, args) in _SIGNATURES.items():
            try:
                fn = getattr(self.dll, name)
            except AttributeError:
                self.missing.append(name)
                continue
            fn.restype = res
            fn.argtypes = args
            setattr(self, name, fn)

    def fn(self, name):
        f = getattr(self, name, None)
        if f is None:
            raise ZarrioError(-3, f"symbol {name} is not exported by {self.path}", name)
        return f

    def last_error(self) -> str:
        msg = self.fn("zarrio_last_error")()
        return msg.decode("utf-8", "replace") if msg else ""

    def check(self, status: int, call: str) -> None:
        if status != 0:
            raise ZarrioError(int(status), self.last_error(), call)

    def take_string(self, ptr: c_void_p) -> str:
        if not ptr.value:
            return ""
        try:
            return ctypes.string_at(ptr.value).decode("utf-8")
        finally:
            self.fn("zarrio_string_free")(ptr)


_LIB: _Lib | None = None


def lib() -> _Lib:
    """The loaded library (raises LibraryNotFound when there is none)."""
    global _LIB
    if _LIB is None:
        _LIB = _Lib(find_library())
    return _LIB


def version() -> str:
    return lib().fn("zarrio_version")().decode()


def set_threads(n: int) -> None:
    L = lib()
    L.check(L.fn("zarrio_set_threads")(n), "zarrio_set_threads")


# ---------------------------------------------------------------------------
# data types
# ---------------------------------------------------------------------------

_NUMPY_OF = {
    "bool": np.dtype(np.bool_),
    "int8": np.dtype("int8"), "int16": np.dtype("=i2"), "int32": np.dtype("=i4"), "int64": np.dtype("=i8"),
    "uint8": np.dtype("uint8"), "uint16": np.dtype("=u2"), "uint32": np.dtype("=u4"), "uint64": np.dtype("=u8"),
    "float16": np.dtype("=f2"), "float32": np.dtype("=f4"), "float64": np.dtype("=f8"),
    "complex64": np.dtype("=c8"), "complex128": np.dtype("=c16"),
}


def numpy_dtype(name: str) -> np.dtype:
    """numpy dtype (native byte order) of a Zarr v3 data type name; r<N> -> V<N/8>."""
    if name in _NUMPY_OF:
        return _NUMPY_OF[name]
    if name.startswith("r") and name[1:].isdigit() and int(name[1:]) > 0 and int(name[1:]) % 8 == 0:
        return np.dtype(f"V{int(name[1:]) // 8}")
    raise ValueError(f"no numpy dtype for Zarr data type {name!r}")


def _v2_dtype(dt):
    """A .zarray dtype as numpy takes it: structured fields as tuples."""
    if isinstance(dt, list):
        return [(f[0], _v2_dtype(f[1]), *f[2:]) for f in dt]
    return dt


def _native_fields(dt: np.dtype) -> np.dtype:
    """`dt` with every (nested) field in native byte order."""
    if dt.names is None:
        return dt.newbyteorder("=") if dt.kind not in "SVO" else dt
    return np.dtype([(n, _native_fields(dt.fields[n][0])) for n in dt.names])


def numpy_dtype_of_json(t) -> np.dtype:
    """numpy dtype (native byte order, packed) of a v3 `data_type` value."""
    if isinstance(t, str):
        return numpy_dtype(t)
    name, cfg = t["name"], t.get("configuration", {})
    if name == "fixed_length_utf32":
        return np.dtype(f"=U{cfg['length_bytes'] // 4}")
    if name == "null_terminated_bytes":
        return np.dtype(f"S{cfg['length_bytes']}")
    if name == "raw_bytes":
        return np.dtype(f"V{cfg['length_bytes']}")
    if name in ("numpy.datetime64", "numpy.timedelta64"):
        kind = "M8" if name == "numpy.datetime64" else "m8"
        unit = "" if cfg["unit"] == "generic" else f"[{cfg['scale_factor']}{cfg['unit']}]"
        return np.dtype(f"={kind}{unit}")
    if name in ("struct", "structured"):
        fields = [(f["name"], f["data_type"]) if isinstance(f, dict) else tuple(f) for f in cfg["fields"]]
        return np.dtype([(n, numpy_dtype_of_json(ft)) for n, ft in fields])
    return numpy_dtype(name)


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def _u64_array(values) -> ctypes.Array:
    values = [int(v) for v in values]
    return (c_uint64 * max(len(values), 1))(*values)


def _elem_strides(shape, order: str) -> list[int]:
    """Element strides of a dense array, always positive (size-0/1 dims count as 1)."""
    nd = len(shape)
    st = [0] * nd
    acc = 1
    dims = range(nd - 1, -1, -1) if order == "C" else range(nd)
    for d in dims:
        st[d] = acc
        acc *= max(int(shape[d]), 1)
    return st


# ---------------------------------------------------------------------------
# objects
# ---------------------------------------------------------------------------


class Store:
    def __init__(self, handle: c_void_p, description: str):
        self._h = handle
        self.description = description

    @classmethod
    def filesystem(cls, path) -> "Store":
        L = lib()
        h = c_void_p()
        L.check(L.fn("zarrio_store_open_filesystem")(os.fsencode(str(path)), byref(h)),
                "zarrio_store_open_filesystem")
        return cls(h, f"filesystem:{path}")

    @classmethod
    def zip(cls, path) -> "Store":
        """A read-only store over the zip archive at `path`."""
        L = lib()
        h = c_void_p()
        L.check(L.fn("zarrio_store_open_zip")(os.fsencode(str(path)), byref(h)), "zarrio_store_open_zip")
        return cls(h, f"zip:{path}")

    @classmethod
    def create_zip(cls, path) -> "Store":
        """A store writing the zip archive `path` when finished (`finish`)."""
        L = lib()
        h = c_void_p()
        L.check(L.fn("zarrio_store_create_zip")(os.fsencode(str(path)), byref(h)), "zarrio_store_create_zip")
        return cls(h, f"zip-writer:{path}")

    def finish(self) -> None:
        """`zarrio_store_close`: write out what the store keeps until the end."""
        L = lib()
        L.check(L.fn("zarrio_store_close")(self.handle), "zarrio_store_close")

    @classmethod
    def memory(cls) -> "Store":
        L = lib()
        h = c_void_p()
        L.check(L.fn("zarrio_store_create_memory")(byref(h)), "zarrio_store_create_memory")
        return cls(h, "memory")

    @classmethod
    def consolidated(cls, store: "Store", path: str = "") -> "Store":
        """A store answering metadata at or below `path` from its consolidated metadata."""
        L = lib()
        h = c_void_p()
        L.check(L.fn("zarrio_store_open_consolidated")(store.handle, path.encode(), byref(h)),
                "zarrio_store_open_consolidated")
        return cls(h, f"consolidated:{store.description}:{path}")

    @classmethod
    def n5(cls, store: "Store") -> "Store":
        """The N5 container in `store` as a Zarr store."""
        L = lib()
        h = c_void_p()
        L.check(L.fn("zarrio_store_open_n5")(store.handle, byref(h)), "zarrio_store_open_n5")
        return cls(h, f"n5:{store.description}")

    @property
    def handle(self) -> c_void_p:
        if self._h is None:
            raise ValueError("store is closed")
        return self._h

    def close(self) -> None:
        if self._h is not None and _LIB is not None:
            _LIB.fn("zarrio_store_free")(self._h)
        self._h = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


class Pipeline:
    """A codec pipeline on its own (`zarrio_pipeline_*`) for one chunk shape."""

    def __init__(self, codecs: list, data_type, chunk_shape, fill_value):
        L = lib()
        self._h = c_void_p()
        dt = data_type if isinstance(data_type, str) else json.dumps(data_type)
        L.check(L.fn("zarrio_pipeline_create")(json.dumps(codecs).encode(), dt.encode(), len(chunk_shape),
                                                _u64_array(chunk_shape), json.dumps(fill_value).encode(),
                                                byref(self._h)), "zarrio_pipeline_create")

    def encode(self, data: np.ndarray) -> bytes:
        data = np.ascontiguousarray(data)
        L = lib()
        out, n = c_void_p(), c_size_t()
        dummy = (c_uint8 * 1)()
        ptr = data.ctypes.data if data.nbytes else ctypes.addressof(dummy)
        L.check(L.fn("zarrio_pipeline_encode")(self._h, ptr, data.nbytes, byref(out), byref(n)),
                "zarrio_pipeline_encode")
        try:
            return ctypes.string_at(out.value, n.value) if n.value else b""
        finally:
            L.fn("zarrio_bytes_free")(out, n.value)

    def decode(self, encoded: bytes, dtype, shape) -> np.ndarray:
        out = np.empty(shape, dtype)
        buf = ctypes.create_string_buffer(encoded, max(len(encoded), 1))
        dummy = (c_uint8 * 1)()
        ptr = out.ctypes.data if out.nbytes else ctypes.addressof(dummy)
        L = lib()
        L.check(L.fn("zarrio_pipeline_decode")(self._h, buf, len(encoded), ptr, out.nbytes),
                "zarrio_pipeline_decode")
        return out

    def close(self) -> None:
        if self._h is not None and self._h.value:
            lib().fn("zarrio_pipeline_free")(self._h)
        self._h = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


class Array:
    def __init__(self, handle: c_void_p, store: Store, path: str):
        self._h = handle
        self._store = store  # keep the store alive as long as the array
        self.path = path
        L = lib()
        nd = c_size_t()
        L.check(L.fn("zarrio_array_ndim")(self._h, byref(nd)), "zarrio_array_ndim")
        self.ndim = int(nd.value)
        self.shape = self._shape_call("zarrio_array_shape")
        p = c_void_p()
        L.check(L.fn("zarrio_array_data_type")(self._h, byref(p)), "zarrio_array_data_type")
        self.dtype_name = L.take_string(p)
        es = c_size_t()
        L.check(L.fn("zarrio_array_element_size")(self._h, byref(es)), "zarrio_array_element_size")
        self.element_size = int(es.value)

    # ---- construction --------------------------------------------------
    @classmethod
    def open(cls, store: Store, path: str = "") -> "Array":
        L = lib()
        h = c_void_p()
        L.check(L.fn("zarrio_array_open")(store.handle, path.encode(), byref(h)), "zarrio_array_open")
        return cls(h, store, path)

    @classmethod
    def create(cls, store: Store, path: str, zarr_json) -> "Array":
        if not isinstance(zarr_json, str):
            zarr_json = json.dumps(zarr_json)
        L = lib()
        h = c_void_p()
        L.check(L.fn("zarrio_array_create")(store.handle, path.encode(), zarr_json.encode(), byref(h)),
                "zarrio_array_create")
        return cls(h, store, path)

    def close(self) -> None:
        if self._h is not None and _LIB is not None:
            _LIB.fn("zarrio_array_free")(self._h)
        self._h = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    @property
    def handle(self) -> c_void_p:
        if self._h is None:
            raise ValueError("array is closed")
        return self._h

    # ---- properties ----------------------------------------------------
    def _shape_call(self, name: str) -> tuple:
        L = lib()
        buf = (c_uint64 * max(self.ndim, 1))()
        L.check(L.fn(name)(self._h, buf, self.ndim), name)
        return tuple(int(buf[i]) for i in range(self.ndim))

    @property
    def chunk_shape(self) -> tuple:
        return self._shape_call("zarrio_array_chunk_shape")

    @property
    def inner_chunk_shape(self) -> tuple:
        return self._shape_call("zarrio_array_inner_chunk_shape")

    @property
    def grid_shape(self) -> tuple:
        return self._shape_call("zarrio_array_grid_shape")

    def chunk_span(self, indices) -> tuple:
        """(origin, full shape) of the chunk at `indices`."""
        L = lib()
        origin, shape = _u64_array([0] * self.ndim), _u64_array([0] * self.ndim)
        L.check(L.fn("zarrio_array_chunk_span")(self.handle, self.ndim, _u64_array(indices), origin, shape),
                "zarrio_array_chunk_span")
        return tuple(int(origin[i]) for i in range(self.ndim)), tuple(int(shape[i]) for i in range(self.ndim))

    @property
    def dtype(self) -> np.dtype:
        if self.dtype_name in _NUMPY_OF:
            return _NUMPY_OF[self.dtype_name]
        meta = self.metadata()
        if "data_type" in meta:
            return numpy_dtype_of_json(meta["data_type"])
        # A v2 array: its .zarray's dtype, every field in native order.
        return _native_fields(np.dtype(_v2_dtype(meta["dtype"])))

    def fill_value_bytes(self) -> bytes:
        L = lib()
        buf = (c_uint8 * max(self.element_size, 1))()
        L.check(L.fn("zarrio_array_fill_value")(self.handle, buf, self.element_size), "zarrio_array_fill_value")
        return bytes(buf[: self.element_size])

    def fill_value(self) -> np.ndarray:
        """The fill value as a 0-d numpy array (exact bits)."""
        return np.frombuffer(self.fill_value_bytes(), self.dtype).reshape(())

    def metadata(self) -> dict:
        L = lib()
        p = c_void_p()
        L.check(L.fn("zarrio_array_metadata")(self.handle, byref(p)), "zarrio_array_metadata")
        return json.loads(L.take_string(p))

    def attributes(self) -> dict:
        return json.loads(self.attributes_text())

    def attributes_text(self) -> str:
        L = lib()
        p = c_void_p()
        L.check(L.fn("zarrio_array_attributes")(self.handle, byref(p)), "zarrio_array_attributes")
        return L.take_string(p)

    def set_attributes(self, text: str) -> None:
        """Set the attributes from JSON object text, passed as it is."""
        L = lib()
        L.check(L.fn("zarrio_array_set_attributes")(self.handle, text.encode()),
                "zarrio_array_set_attributes")

    def resize(self, shape) -> None:
        L = lib()
        L.check(L.fn("zarrio_array_resize")(self.handle, len(shape), _u64_array(shape)),
                "zarrio_array_resize")
        self.shape = self._shape_call("zarrio_array_shape")

    def set_threads(self, n: int) -> None:
        L = lib()
        L.check(L.fn("zarrio_array_set_threads")(self.handle, n), "zarrio_array_set_threads")

    # ---- data ------------------------------------------------------------
    def _region(self, start, shape):
        if start is None:
            start = (0,) * self.ndim
        if shape is None:
            shape = tuple(n - s for n, s in zip(self.shape, start))
        start = tuple(int(s) for s in start)
        shape = tuple(int(s) for s in shape)
        if len(start) != self.ndim or len(shape) != self.ndim:
            raise ValueError(f"region rank {len(start)}/{len(shape)} != array rank {self.ndim}")
        return start, shape

    def read(self, start=None, shape=None, order: str = "C", strides_null_for_c: bool = True) -> np.ndarray:
        """Read a region into a new numpy array of the given memory order ('C' or 'F').

        C order passes strides=NULL (unless strides_null_for_c is False); F order
        passes explicit element strides so the library fills column-major memory.
        """
        if order not in ("C", "F"):
            raise ValueError("order must be 'C' or 'F'")
        start, shape = self._region(start, shape)
        out = np.empty(shape, dtype=self.dtype, order=order)
        if out.dtype.itemsize != self.element_size:
            raise RuntimeError(f"element size {self.element_size} != numpy itemsize {out.dtype.itemsize}")
        strides = None
        if order == "F" or not strides_null_for_c:
            strides = (c_int64 * max(self.ndim, 1))(*_elem_strides(shape, order))
        L = lib()
        # a real (non-NULL) pointer even for an empty region
        dummy = (c_uint8 * 1)()
        ptr = out.ctypes.data if out.nbytes else ctypes.addressof(dummy)
        st = L.fn("zarrio_array_read")(self.handle, self.ndim, _u64_array(start), _u64_array(shape),
                                       ptr, out.nbytes, strides)
        L.check(st, "zarrio_array_read")
        return out

    def read_strings(self, start=None, shape=None) -> list[bytes]:
        """The items of a region of a variable-length array (C order), as bytes."""
        start, shape = self._region(start, shape)
        n = int(np.prod(shape, dtype=np.int64))
        return self._items_out("zarrio_array_read_strings", n, _u64_array(start), _u64_array(shape))

    def write_strings(self, start, shape, items: list[bytes]) -> None:
        """Write the items (bytes, C order) of a region of a variable-length array."""
        start, shape = self._region(start, shape)
        self._items_in("zarrio_array_write_strings", items, _u64_array(start), _u64_array(shape))

    def read_strings_stepped(self, start, step, count) -> list[bytes]:
        n = int(np.prod(count, dtype=np.int64))
        return self._items_out("zarrio_array_read_strings_stepped", n, _u64_array(start), _u64_array(step),
                               _u64_array(count))

    def write_strings_stepped(self, start, step, count, items: list[bytes]) -> None:
        self._items_in("zarrio_array_write_strings_stepped", items, _u64_array(start), _u64_array(step),
                       _u64_array(count))

    def read_strings_orthogonal(self, indices) -> list[bytes]:
        lists, counts, shape, keep = self._lists(indices)
        n = int(np.prod(shape, dtype=np.int64))
        return self._items_out("zarrio_array_read_strings_orthogonal", n, lists, counts)

    def write_strings_orthogonal(self, indices, items: list[bytes]) -> None:
        lists, counts, shape, keep = self._lists(indices)
        self._items_in("zarrio_array_write_strings_orthogonal", items, lists, counts)

    def read_strings_points(self, coords) -> list[bytes]:
        coords = np.ascontiguousarray(coords, dtype=np.uint64).reshape(-1, self.ndim)
        return self._items_out("zarrio_array_read_strings_points", len(coords), len(coords),
                               _u64_array(coords.ravel()))

    def write_strings_points(self, coords, items: list[bytes]) -> None:
        coords = np.ascontiguousarray(coords, dtype=np.uint64).reshape(-1, self.ndim)
        self._items_in("zarrio_array_write_strings_points", items, len(coords), _u64_array(coords.ravel()))

    def _items_out(self, name, n, *selection) -> list[bytes]:
        """Call a read of `n` items (the selection's arguments after ndim) and take them."""
        offsets = (c_uint64 * (n + 1))()
        data, length = c_void_p(), c_size_t()
        L = lib()
        L.check(L.fn(name)(self.handle, self.ndim, *selection, offsets, n + 1, byref(data), byref(length)), name)
        try:
            raw = ctypes.string_at(data.value, length.value) if length.value else b""
        finally:
            L.fn("zarrio_bytes_free")(data, length.value)
        return [raw[offsets[i]:offsets[i + 1]] for i in range(n)]

    def _items_in(self, name, items: list[bytes], *selection) -> None:
        """Call a write of `items` (the selection's arguments after ndim)."""
        data = b"".join(items)
        offs = [0]
        for it in items:
            offs.append(offs[-1] + len(it))
        buf = ctypes.create_string_buffer(data, max(len(data), 1))
        L = lib()
        L.check(L.fn(name)(self.handle, self.ndim, *selection, buf, len(data), _u64_array(offs), len(offs)), name)

    def write(self, start, data: np.ndarray) -> None:
        """Write a numpy array (C- or Fortran-contiguous; others are copied to C order) at start."""
        data = np.asarray(data)
        if data.dtype != self.dtype:
            raise TypeError(f"data dtype {data.dtype} != array dtype {self.dtype}")
        shape = tuple(int(n) for n in data.shape)
        start, shape = self._region(start, shape)
        if data.ndim >= 2 and data.flags.f_contiguous and not data.flags.c_contiguous:
            strides = (c_int64 * data.ndim)(*_elem_strides(shape, "F"))
        else:
            if not data.flags.c_contiguous:
                data = np.array(data, order="C")  # (np.ascontiguousarray makes 0-d arrays 1-d)
            strides = None
        L = lib()
        dummy = (c_uint8 * 1)()
        ptr = data.ctypes.data if data.nbytes else ctypes.addressof(dummy)
        st = L.fn("zarrio_array_write")(self.handle, self.ndim, _u64_array(start), _u64_array(shape),
                                        ptr, data.nbytes, strides)
        L.check(st, "zarrio_array_write")

    # ---- selections ------------------------------------------------------
    def _out(self, shape, order):
        out = np.empty(shape, dtype=self.dtype, order=order)
        strides = None
        if order == "F":
            strides = (c_int64 * max(self.ndim, 1))(*_elem_strides(shape, "F"))
        return out, strides

    @staticmethod
    def _ptr(data: np.ndarray, keep: list):
        if data.nbytes:
            return data.ctypes.data
        dummy = (c_uint8 * 1)()
        keep.append(dummy)
        return ctypes.addressof(dummy)

    def _source(self, data: np.ndarray, shape):
        """data as a numpy array of this array's type and `shape`, with its strides (None for C order)."""
        data = np.asarray(data)
        if data.dtype != self.dtype:
            raise TypeError(f"data dtype {data.dtype} != array dtype {self.dtype}")
        if tuple(data.shape) != tuple(shape):
            raise ValueError(f"data shape {data.shape} != selection shape {tuple(shape)}")
        if data.ndim >= 2 and data.flags.f_contiguous and not data.flags.c_contiguous:
            return data, (c_int64 * data.ndim)(*_elem_strides(shape, "F"))
        if not data.flags.c_contiguous:
            data = np.array(data, order="C")
        return data, None

    def read_stepped(self, start, step, count, order: str = "C") -> np.ndarray:
        """Elements start[d] + k * step[d], k < count[d], along each dimension."""
        out, strides = self._out(tuple(int(c) for c in count), order)
        keep = []
        L = lib()
        L.check(L.fn("zarrio_array_read_stepped")(self.handle, self.ndim, _u64_array(start), _u64_array(step),
                                                  _u64_array(count), self._ptr(out, keep), out.nbytes, strides),
                "zarrio_array_read_stepped")
        return out

    def write_stepped(self, start, step, count, data: np.ndarray) -> None:
        data, strides = self._source(data, tuple(int(c) for c in count))
        keep = []
        L = lib()
        L.check(L.fn("zarrio_array_write_stepped")(self.handle, self.ndim, _u64_array(start), _u64_array(step),
                                                   _u64_array(count), self._ptr(data, keep), data.nbytes, strides),
                "zarrio_array_write_stepped")

    def _lists(self, indices):
        """indices: per dimension a sequence of ints, or None for every index."""
        lists = (_u64p * max(self.ndim, 1))()
        counts = (c_size_t * max(self.ndim, 1))()
        keep = []
        for d, ix in enumerate(indices):
            if ix is None:
                lists[d] = None
                counts[d] = self.shape[d]
            else:
                arr = _u64_array(ix)
                keep.append(arr)
                lists[d] = ctypes.cast(arr, _u64p)
                counts[d] = len(ix)
        shape = tuple(int(counts[d]) for d in range(self.ndim))
        return lists, counts, shape, keep

    def read_orthogonal(self, indices, order: str = "C") -> np.ndarray:
        lists, counts, shape, keep = self._lists(indices)
        out, strides = self._out(shape, order)
        L = lib()
        L.check(L.fn("zarrio_array_read_orthogonal")(self.handle, self.ndim, lists, counts,
                                                     self._ptr(out, keep), out.nbytes, strides),
                "zarrio_array_read_orthogonal")
        return out

    def write_orthogonal(self, indices, data: np.ndarray) -> None:
        lists, counts, shape, keep = self._lists(indices)
        data, strides = self._source(data, shape)
        L = lib()
        L.check(L.fn("zarrio_array_write_orthogonal")(self.handle, self.ndim, lists, counts,
                                                      self._ptr(data, keep), data.nbytes, strides),
                "zarrio_array_write_orthogonal")

    def read_points(self, coords) -> np.ndarray:
        """coords: (npoints, ndim) integers; the elements there, in order."""
        coords = np.ascontiguousarray(coords, dtype=np.uint64).reshape(-1, self.ndim)
        out = np.empty(len(coords), dtype=self.dtype)
        keep = []
        L = lib()
        L.check(L.fn("zarrio_array_read_points")(self.handle, self.ndim, len(coords),
                                                 ctypes.cast(self._ptr(coords, keep), _u64p),
                                                 self._ptr(out, keep), out.nbytes),
                "zarrio_array_read_points")
        return out

    def write_points(self, coords, data: np.ndarray, size=None) -> None:
        """size: the data's size in bytes told to the library (default: all of it; less, to check its checks)."""
        coords = np.ascontiguousarray(coords, dtype=np.uint64).reshape(-1, self.ndim)
        data, _ = self._source(data, (len(coords),))
        keep = []
        L = lib()
        size = data.nbytes if size is None else min(size, data.nbytes)
        L.check(L.fn("zarrio_array_write_points")(self.handle, self.ndim, len(coords),
                                                  ctypes.cast(self._ptr(coords, keep), _u64p),
                                                  self._ptr(data, keep), size),
                "zarrio_array_write_points")

    def __repr__(self):
        return f"<zarrio Array {self.path!r} shape={self.shape} dtype={self.dtype_name}>"
