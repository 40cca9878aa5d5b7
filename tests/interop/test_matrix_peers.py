"""Canary: the matrix itself, checked with zarr-python and tensorstore only (no zarrio).

Every case written by each peer must be read back bit-exactly by both peers
(where they can express it). If this fails after a zarr-python / tensorstore
upgrade, the zarrio tests on the same case are not evidence against zarrio.
"""

from __future__ import annotations

import pytest

from make_matrix import CASES, WRITERS, check_store, write_case, writer_skip_reason

pytestmark = pytest.mark.peers


@pytest.mark.parametrize("writer", WRITERS)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_peers_roundtrip(case, writer, tmp_path):
    reason = writer_skip_reason(case, writer)
    if reason:
        pytest.skip(f"{writer} cannot write this case: {reason}")
    path = str(tmp_path / "arr")
    write_case(case, writer, path)
    problems = check_store(case, path)
    assert not problems, "\n".join(problems)
