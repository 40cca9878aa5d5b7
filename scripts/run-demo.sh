#!/usr/bin/env bash
# Build libzarrio and the C demo with CMake, then run the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-deps.sh --demo
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DZARRIO_CARGO_TARGET_DIR="$PWD/target" >/dev/null
cmake --build build --target zarrio_demo -j 2
./build/zarrio_demo build/demo-data
