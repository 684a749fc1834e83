#!/usr/bin/env bash
# The main job on real packages, what only lockgate does:
#  1. lock a real project (lockgate's own pyproject.toml, with its mpi extra) with
#     `lockgate generate`, check the lock is fresh, and build a benchmark venv from it;
#  2. the example benchmark (examples/benchmark_cli.py, mlpstorage-style) gated on 4 MPI ranks:
#     refused because one rank's environment drifted (no rank starts);
#  3. an installed file modified after install, caught by --integrity, and lockgate's fix run;
#  4. the 4-rank run passing, and its record written.
# Needs PyPI the first time; later runs reuse uv's cache.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup-venv.sh"
cd "$root"
step() { printf '\n$ %s\n' "$*"; }
expect() {  # expect CODE COMMAND...: run it, and stop the demo unless it exits CODE
  local want=$1 status=0
  shift
  "$@" || status=$?
  if [ "$status" -ne "$want" ]; then
    echo "demo: expected exit $want from: $*; got $status" >&2
    exit 1
  fi
}
if [ "$(id -u)" = 0 ]; then  # Open MPI refuses root unless told
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
mkdir -p demo
lock="demo/requirements.txt"
bench="$root/demo/bench-venv"
drifted="$root/demo/drifted-venv"
results="demo/results"

step lockgate generate --pyproject pyproject.toml --extra mpi -o "$lock"
lockgate generate --pyproject pyproject.toml --extra mpi -o "$lock"
step lockgate generate --check -o "$lock"
lockgate generate --check -o "$lock"
for venv in "$bench" "$drifted"; do  # two hosts' copies of the benchmark's environment
  rm -rf "$venv"
  uv venv -q --python "$root/.venv/bin/python" "$venv"
  uv pip sync -q --python "$venv" "$lock"
  uv pip install -q --python "$venv" --no-deps "$root"  # the benchmark's own code (lockgate's harness)
done
step uv pip install --python demo/drifted-venv "rich==13.9.4" "# one host drifted"
uv pip install -q --python "$drifted" "rich==13.9.4"

gated=(examples/benchmark_cli.py training run --results-dir "$results" --verify-lockfile "$lock" --verify-record "$results/run.json")
mpiexec=("$bench/bin/mpiexec" --oversubscribe --bind-to none)
rm -rf "$results"
step mpiexec -n 3 bench-venv/bin/python "${gated[@]}" : -n 1 drifted-venv/bin/python "${gated[@]}"
expect 1 "${mpiexec[@]}" -n 3 "$bench/bin/python" "${gated[@]}" : -n 1 "$drifted/bin/python" "${gated[@]}"
if ls "$results"/ran-*.txt >/dev/null 2>&1; then
  echo "demo: a rank started the benchmark although one rank had drifted" >&2
  exit 1
fi
printf 'no rank started: %s holds only the record of the refusal\n' "$results"

site="$(echo "$bench"/lib/python*/site-packages)"
step "echo '# edited after install' >> bench-venv/.../filelock/__init__.py"
echo "# edited after install" >> "$site/filelock/__init__.py"
step lockgate verify -l "$lock" --python demo/bench-venv --integrity
out="$(lockgate verify -l "$lock" --python "$bench" --integrity)" && status=0 || status=$?
printf '%s\n' "$out"
[ "$status" -eq 1 ] || { echo "demo: --integrity missed the modified file (exit $status)" >&2; exit 1; }
fix="$(printf '%s\n' "$out" | sed -n '/^to fix:/{n;s/^  //;p;q}')"
step "$fix" "# the fix lockgate printed"
bash -c "$fix"
step lockgate verify -l "$lock" --python demo/bench-venv --integrity -q
lockgate verify -l "$lock" --python "$bench" --integrity -q

step mpiexec -n 4 bench-venv/bin/python "${gated[@]}"
"${mpiexec[@]}" -n 4 "$bench/bin/python" "${gated[@]}"
python - "$results/run.json" <<'PY'
import json, sys
statement = json.load(open(sys.argv[1]))
record, cluster = statement["predicate"], statement["predicate"]["cluster"]
print(f"{sys.argv[1]}: in-toto statement of {len(statement['subject'])} result files, {len(cluster['hosts'])} ranks, "
      f"passed={cluster['passed']}, exit_code={record['exit_code']}")
PY
step lockgate attest verify "$results/run.json" "# a reviewer re-checks results, lock, verdict"
lockgate attest verify "$results/run.json"
printf '\ndemo: the lock is fresh; a drifted rank stopped every rank; a modified installed file was caught and fixed; the 4-rank run passed and its record was written.\n'
