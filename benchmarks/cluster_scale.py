"""``lockgate verify --mpi`` on 1 rank and on 8 ranks of this machine, launch time taken out.

Each configuration runs the verify of verify_speed.py's venv (228 real distributions; built on
first use, ``--synthetic`` for local wheels) under ``mpiexec --oversubscribe -n N``, and the same
mpiexec line with a program that only initialises MPI (the launch time). Printed: medians,
``verify = total - launch`` per rank count, and the ratio 8 ranks / 1 rank (1.0 would be perfect
scaling; the machine has 2 cores, so 8 ranks share them).

Usage: python benchmarks/cluster_scale.py [--runs N] [--synthetic]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
MPIEXEC = Path(sys.executable).parent / "mpiexec"


def timed(command: list[str], environment: dict) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=environment)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--synthetic", action="store_true")
    args = parser.parse_args()
    if not MPIEXEC.exists():
        sys.exit("needs lockgate[mpi]: pip install -e '.[mpi]'")
    from verify_speed import build_real, build_synthetic, uv_binary

    venv, lock, _ = (build_synthetic if args.synthetic else build_real)(uv_binary())
    environment = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE")}
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        environment.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    verify = [sys.executable, "-m", "lockgate", "verify", "--mpi", "-q", "-l", str(lock), "--python", str(venv)]
    launch = [sys.executable, "-c", "from mpi4py import MPI; MPI.COMM_WORLD.Barrier()"]
    medians = {}
    for ranks in (1, 8):
        line = [str(MPIEXEC), "--oversubscribe", "-n", str(ranks)]
        timed([*line, *verify], environment)  # warm-up
        totals, launches = [], []
        for _ in range(args.runs):
            totals.append(timed([*line, *verify], environment))
            launches.append(timed([*line, *launch], environment))
        medians[ranks] = (statistics.median(totals), statistics.median(launches))
        total, started = medians[ranks]
        print(f"{ranks} rank(s): total {total * 1000:.0f} ms, launch {started * 1000:.0f} ms, verify {(total - started) * 1000:.0f} ms")
    one, eight = (medians[n][0] - medians[n][1] for n in (1, 8))
    print(f"ratio 8 ranks / 1 rank, launch taken out: {eight / one:.2f} ({os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
