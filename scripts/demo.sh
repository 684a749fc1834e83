#!/usr/bin/env bash
# The main job on a real example: build a venv from a real lockfile (uv's own docs lock, from
# ../shared/corpus), show `lockgate verify` passing on it, drift one package, show it failing.
# Needs PyPI for the first install; later runs reuse uv's cache.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup-venv.sh"
cd "$root"
lock="${1:-../shared/corpus/lockfiles/astral-sh__uv__docs__requirements.txt}"
target="$root/demo/venv"
step() { printf '\n$ %s\n' "$*"; }

rm -rf "$target"
step uv venv "$target"
uv venv -q --python "$venv/bin/python" "$target"
step uv pip install --python "$target" -r "$lock"
uv pip install -q --python "$target" -r "$lock"

step lockgate verify -l "$lock" --python "$target"
lockgate verify -l "$lock" --python "$target"

step uv pip install --python "$target" "markdown==3.6"  "# drift: downgrade one package"
uv pip install -q --python "$target" "markdown==3.6"

step lockgate verify -l "$lock" --python "$target"
status=0
lockgate verify -l "$lock" --python "$target" || status=$?
if [ "$status" -ne 1 ]; then
  echo "demo: expected exit 1 after the drift, got $status" >&2
  exit 1
fi
printf '\ndemo: verify passed on the fresh venv and failed (exit 1) after the drift, as it should.\n'
