"""``lockgate verify --mpi --integrity`` on 1, 8 and 64 ranks of this machine, one venv.

Each rank count runs the verify of verify_speed.py's venv (228 real distributions, 41,000 files,
425 MB; built on first use, ``--synthetic`` for local wheels) under ``mpiexec --oversubscribe
-n N``, after a warm-up run (files in the page cache). Printed per rank count, medians: the
wall time, the launch time (the same mpiexec line running ``from mpi4py import MPI``), the
bytes hashed in all and the bytes of results rank 0 gathered (both from the report's JSON),
each as a ratio to the 1-rank run. Goals (issue #15): bytes hashed and rank-0 bytes <= 1.1x
the 1-rank figures at every rank count; wall at 8 ranks <= 1.5 x one rank + the 8-rank launch.

Usage: python benchmarks/cluster_scale.py [--runs N] [--ranks 1,8,64] [--synthetic] [--shared-env]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
MPIEXEC = Path(sys.executable).parent / "mpiexec"


def timed(command: list[str], environment: dict) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run(command, stdout=subprocess.PIPE, text=True, env=environment)
    if result.returncode not in (0, 1):
        sys.exit(f"{command[0]} exited {result.returncode}")
    return time.perf_counter() - started, result.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--ranks", default="1,8,64", help="rank counts, comma-separated; the first is the baseline")
    parser.add_argument("--synthetic", action="store_true")
    parser.add_argument("--shared-env", action="store_true", help="pass --shared-env (one host: the same groups)")
    args = parser.parse_args()
    if not MPIEXEC.exists():
        sys.exit("needs lockgate[mpi]: pip install -e '.[mpi]'")
    sys.path.insert(0, str(HERE))
    from verify_speed import build_real, build_synthetic, uv_binary

    venv, lock, _ = (build_synthetic if args.synthetic else build_real)(uv_binary())
    environment = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE")}
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        environment.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    verify = [sys.executable, "-m", "lockgate", "verify", "--mpi", "--integrity", "--format", "json", "-l", str(lock), "--python", str(venv)]
    verify += ["--shared-env"] * args.shared_env
    launch = [sys.executable, "-c", "from mpi4py import MPI"]
    rows = {}
    for ranks in map(int, args.ranks.split(",")):
        line = [str(MPIEXEC), "--oversubscribe", "-n", str(ranks)]
        timed([*line, *verify], environment)  # warm-up
        walls, launches, hashed, gathered = [], [], [], []
        for _ in range(args.runs):
            wall, output = timed([*line, *verify], environment)
            report = json.loads(output)
            walls.append(wall)
            hashed.append(report["integrity"]["bytes_hashed"])
            gathered.append(report["traffic"]["rank0_bytes_gathered"])
            launches.append(timed([*line, *launch], environment)[0])
        rows[ranks] = (statistics.median(walls), statistics.median(launches), statistics.median(hashed), statistics.median(gathered))
    base = rows[next(iter(rows))]
    print(f"{'ranks':>5}  {'wall s':>7}  {'launch s':>8}  {'hashed MB':>9}  {'rank-0 KB':>9}  wall x  hashed x  rank-0 x")
    for ranks, (wall, started, hashed_bytes, gathered_bytes) in rows.items():
        print(f"{ranks:>5}  {wall:7.2f}  {started:8.2f}  {hashed_bytes / 1e6:9.1f}  {gathered_bytes / 1e3:9.1f}  {wall / base[0]:6.2f}  "
              f"{hashed_bytes / base[2]:8.2f}  {gathered_bytes / base[3]:8.2f}")  # fmt: skip
    if 8 in rows:
        budget = 1.5 * base[0] + rows[8][1]
        print(f"8 ranks: wall {rows[8][0]:.2f} s, goal <= 1.5 x {base[0]:.2f} + launch {rows[8][1]:.2f} = {budget:.2f} s "
              f"({'met' if rows[8][0] <= budget else 'NOT met'}; {os.cpu_count()} cores)")  # fmt: skip


if __name__ == "__main__":
    main()
