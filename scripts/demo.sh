#!/usr/bin/env bash
# The main job on real examples:
#  1. lock a real project (lockgate's own pyproject.toml, with its test extra) with
#     `lockgate generate`, check the lock is fresh, build a venv from it and verify it;
#  2. build a venv from a real lockfile (uv's own docs lock, from ../shared/corpus), verify it,
#     drift one package, and show verify failing.
# Needs PyPI the first time; later runs reuse uv's cache.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup-venv.sh"
cd "$root"
step() { printf '\n$ %s\n' "$*"; }
mkdir -p demo

generated="demo/requirements.txt"
step lockgate generate --pyproject pyproject.toml --extra test -o "$generated"
lockgate generate --pyproject pyproject.toml --extra test -o "$generated"
step lockgate generate --check -o "$generated"
lockgate generate --check -o "$generated"
rm -rf demo/project-venv
uv venv -q --python "$venv/bin/python" demo/project-venv
step uv pip sync --python demo/project-venv "$generated"
uv pip sync -q --python demo/project-venv "$generated"
step lockgate verify -l "$generated" --python demo/project-venv --integrity
lockgate verify -l "$generated" --python demo/project-venv --integrity

lock="${1:-../shared/corpus/lockfiles/astral-sh__uv__docs__requirements.txt}"
target="$root/demo/venv"
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
printf '\ndemo: the generated lock is fresh and its venv verifies; the corpus venv verified, then failed (exit 1) after the drift, as it should.\n'
