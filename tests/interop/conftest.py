"""Shared fixtures for the zarrio interoperability suite.

Run from the repository root (after `cargo build --release`):

    python -m venv .venv && .venv/bin/pip install -r tests/interop/requirements.txt
    .venv/bin/python -m pytest tests/interop

Environment:
    ZARRIO_LIB   path to libzarrio.so (default: target/release, then target/debug)

A missing library is a test failure, not a skip.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import make_matrix  # noqa: E402
import zarrio_ctypes  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line("markers", "peers: checks zarr-python and tensorstore only (no zarrio)")
    config.addinivalue_line("filterwarnings", "ignore::UserWarning:zarr.*")
    config.addinivalue_line("filterwarnings", "ignore::RuntimeWarning:zarr.*")


def pytest_report_header(config):
    cands = zarrio_ctypes.library_candidates()
    found = next((p for p in cands if p.is_file()), None)
    lines = [f"zarrio library: {found if found else 'NOT FOUND (looked at ' + ', '.join(map(str, cands)) + ')'}"]
    try:
        import tensorstore  # noqa: F401
        import zarr

        lines.append(f"zarr-python {zarr.__version__}; tensorstore (imported OK); "
                     f"{len(make_matrix.CASES)} matrix cases")
    except Exception as e:  # pragma: no cover
        lines.append(f"peer import problem: {e}")
    return lines


@pytest.fixture(scope="session")
def zarrio():
    """The loaded libzarrio (fails every test that needs it when it cannot be loaded)."""
    L, problem = None, None
    try:
        L = zarrio_ctypes.lib()
    except zarrio_ctypes.LibraryNotFound as e:
        problem = str(e)
    except OSError as e:
        problem = f"libzarrio could not be loaded: {e}"
    if problem:
        pytest.fail(problem, pytrace=False)
    required = [n for n in L.missing if n not in ("zarrio_store_create_memory", "zarrio_array_set_threads",
                                                  "zarrio_set_threads", "zarrio_threads",
                                                  "zarrio_version_number", "zarrio_status_name")]
    if required:
        pytest.fail(f"{L.path} does not export: {', '.join(required)}", pytrace=False)
    return L


@pytest.fixture
def zarrio_store(zarrio, tmp_path):
    """A filesystem zarrio store rooted at a fresh directory (tmp_path / 'store')."""
    root = tmp_path / "store"
    store = zarrio_ctypes.Store.filesystem(root)
    yield store, root
    store.close()


class IsolatedRunner:
    """Runs a function in a single spawned worker process.

    tensorstore aborts the whole process (absl CHECK failure) on some inputs it
    does not expect; reading arrays that zarrio wrote in a worker keeps such an
    abort from taking the pytest session down. A crashed worker is replaced.
    """

    def __init__(self):
        self._ctx = multiprocessing.get_context("spawn")
        self._pool = None

    def _get(self):
        if self._pool is None:
            self._pool = concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=self._ctx)
        return self._pool

    def run(self, fn, *args, timeout: float = 300):
        fut = self._get().submit(fn, *args)
        try:
            return fut.result(timeout=timeout)
        except concurrent.futures.process.BrokenProcessPool:
            self._pool = None
            raise AssertionError(f"{getattr(fn, '__name__', fn)} crashed its process (tensorstore abort?) "
                                 f"on {args[0] if args else ''}") from None

    def close(self):
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


@pytest.fixture(scope="session")
def isolated():
    runner = IsolatedRunner()
    yield runner
    runner.close()
