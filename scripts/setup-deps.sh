#!/usr/bin/env bash
# Install what building and testing zarrio needs on a fresh Debian machine
# with a Rust toolchain: cmake, pkg-config, C, C++ and Fortran compilers,
# valgrind, libclang, and a Python venv with zarr-python, tensorstore, numpy,
# pytest. With --demo, only what the demo needs (cmake and a C compiler).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
tools=(cmake pkg-config cc c++ gfortran valgrind)
[ "${1:-}" = "--demo" ] && tools=(cmake cc)
for tool in "${tools[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || need+=("$tool")
done
# libclang, for the zfp-sys crate's bindgen (the tests build the zfpy
# codec: cargo feature zfp).
# (libclang-cpp, which some images carry, is another library.)
if [ "${1:-}" != "--demo" ]; then
  ls /usr/lib/llvm-*/lib/libclang.so* /usr/lib/*/libclang-[0-9]*.so* >/dev/null 2>&1 \
    || need+=(libclang-dev)
fi
if [ ${#need[@]} -gt 0 ]; then
  pkgs=()
  for t in "${need[@]}"; do
    case "$t" in
      cc) pkgs+=(gcc) ;;
      c++) pkgs+=(g++) ;;
      *) pkgs+=("$t") ;;
    esac
  done
  echo "setup: installing ${pkgs[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${pkgs[@]}" >/dev/null
fi

if [ "${1:-}" = "--python" ]; then
  # zarr 3.2+ needs Python 3.12; fall back to whatever python3 is.
  VENV=.venv-interop
  if [ ! -x "$VENV/bin/python" ]; then
    PY=""
    # The first interpreter that actually runs and is 3.12 or newer; else python3.
    for cand in "$HOME"/.pyenv/versions/3.1[2-9]*/bin/python python3.13 python3.12 python3; do
      if "$cand" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; then
        PY="$cand"; break
      fi
    done
    if [ -z "$PY" ]; then
      PY=python3
      echo "setup: no Python 3.12+ found; zarr-python will be an older 3.x release"
    fi
    echo "setup: creating $VENV with $PY"
    "$PY" -m venv "$VENV"
  fi
  "$VENV/bin/pip" install -q --disable-pip-version-check -r tests/interop/requirements.txt
fi
