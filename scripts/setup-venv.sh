#!/usr/bin/env bash
# Creates .venv (once) and installs lockgate into it with the test and mpi extras. Sourced by the other scripts.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
stamp="$venv/.lockgate-installed"
if [ ! -f "$stamp" ] || [ "$root/pyproject.toml" -nt "$stamp" ]; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$root[test,mpi]"
  touch "$stamp"
fi
export PATH="$venv/bin:$PATH"
