#!/usr/bin/env bash
# Build everything and run every test: Rust unit and integration tests
# (the randomised region tests also under valgrind), the C tests and
# examples through CTest (also under valgrind), and the
# interoperability suite against zarr-python and tensorstore.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-deps.sh --python

echo "== cargo fmt --check"
cargo fmt --check
(cd bench && cargo fmt --check)
(cd fuzz && cargo fmt --check)

# Everything is built with the zfp feature (numcodecs' zfpy codec, zfp
# built in; setup-deps installs the libclang its bindings need); the
# interoperability suite then expects the codec (ZARRIO_EXPECT_ZFP).
echo "== cargo test (with zfp)"
cargo test --release --features zfp 2>&1

# Toolchains older than Rust 1.87 build without the pcodec feature: its
# absence must leave a library whose unit tests pass.
echo "== cargo test --no-default-features (no pcodec)"
cargo test --release --lib --no-default-features 2>&1

# The engine's unsafe code (strided copies, transposing copies, streaming
# stores, zstd's block decoder) under valgrind, driven by the randomised
# region tests and the transposed-layout tests.
for test in random_regions transposed_layouts zfp_streams; do
    echo "== $test under valgrind"
    bin=$(cargo test --release --features zfp --test "$test" --no-run 2>&1 | grep -o "target/release/deps/$test-[0-9a-f]*" | head -1)
    valgrind --error-exitcode=99 --quiet --suppressions=tests_c/valgrind.supp "$bin" --test-threads=2
done

echo "== CMake build and CTest"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DZARRIO_ZFP=ON -DZARRIO_CARGO_TARGET_DIR="$PWD/target" >/dev/null
cmake --build build -j 2
(cd build && ctest --output-on-failure -j 2)

echo "== interoperability (zarr-python, tensorstore)"
# The library as the suite expects it (with zfp), whatever an earlier
# build without the feature left in target/release.
cargo build --release --features zfp 2>&1
ZARRIO_EXPECT_ZFP=1 ZARRIO_LIB="$PWD/target/release/libzarrio.so" .venv-interop/bin/python -m pytest -q tests/interop
