#!/usr/bin/env bash
# Build everything and run every test: Rust unit and integration tests,
# the C tests and examples through CTest (also under valgrind), and the
# interoperability suite against zarr-python and tensorstore.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-deps.sh --python

echo "== cargo fmt --check"
cargo fmt --check
(cd bench && cargo fmt --check)

echo "== cargo test"
cargo test --release 2>&1

echo "== CMake build and CTest"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DZARRIO_CARGO_TARGET_DIR="$PWD/target" >/dev/null
cmake --build build -j 2
(cd build && ctest --output-on-failure -j 2)

echo "== interoperability (zarr-python, tensorstore)"
ZARRIO_LIB="$PWD/target/release/libzarrio.so" .venv-interop/bin/python -m pytest -q tests/interop
