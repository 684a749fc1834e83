#!/usr/bin/env bash
# Creates .venv (once) with lockgate's development environment exactly as requirements-dev.txt
# locks it (a lock lockgate itself wrote: lockgate generate --extra test --extra mpi
# -o requirements-dev.txt), then lockgate itself, editable. Sourced by the other scripts.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
lock="$root/requirements-dev.txt"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
stamp="$venv/.lockgate-installed"
if [ ! -f "$stamp" ] || [ "$root/pyproject.toml" -nt "$stamp" ] || [ "$lock" -nt "$stamp" ]; then
  uv_pin="$(grep -E '^uv==' "$lock" | cut -d' ' -f1)"  # uv from its wheel, at the locked version
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$uv_pin"
  "$venv/bin/uv" pip sync --quiet --python "$venv/bin/python" "$lock"
  "$venv/bin/uv" pip install --quiet --python "$venv/bin/python" --no-deps -e "$root"
  touch "$stamp"
fi
export PATH="$venv/bin:$PATH"
