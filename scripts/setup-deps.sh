#!/usr/bin/env bash
# Install what building and testing zarrio needs on a fresh Debian machine
# with a Rust toolchain: cmake, pkg-config, a C compiler, valgrind, and a
# Python venv with zarr-python, tensorstore, numpy and pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for tool in cmake pkg-config cc valgrind; do
  command -v "$tool" >/dev/null 2>&1 || need+=("$tool")
done
if [ ${#need[@]} -gt 0 ]; then
  pkgs=()
  for t in "${need[@]}"; do
    case "$t" in
      cc) pkgs+=(gcc) ;;
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
    for cand in python3.12 "$HOME/.pyenv/versions/3.12.1/bin/python" "$(ls -d "$HOME"/.pyenv/versions/3.12*/bin/python 2>/dev/null | tail -1)" python3; do
      if [ -n "$cand" ] && command -v "$cand" >/dev/null 2>&1; then PY="$cand"; break; fi
    done
    echo "setup: creating $VENV with $PY"
    "$PY" -m venv "$VENV"
  fi
  "$VENV/bin/pip" install -q --disable-pip-version-check -r tests/interop/requirements.txt
fi
