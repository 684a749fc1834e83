"""Hashing speed of ``lockgate verify --integrity`` against the hardware limit and ``sha256sum``.

A venv of > 1 GB (scipy, pandas, pyarrow, scikit-learn, polars and friends: mostly large
files) is built once under benchmarks/.work/ (needs PyPI the first time); ``--venv DIR`` with
``--lock FILE`` measures another (verify_speed's venv: 40,000 small files). In the same run:

- the limit: one core's hashlib sha256 rate (128 KiB blocks from memory) x the cores this
  process may use;
- per ``--jobs`` value (default 1 2 4 8 16), interleaved with ``sha256sum`` over the same files
  on as many processes as cores (``xargs -0 -P CORES -n 256``), after a warm-up round so both
  read from the page cache: lockgate's GB/s over the bytes it hashed (its own timer, and the
  whole process), as a ratio to the limit and to sha256sum.

Goal (issue #18): >= 0.6 of the limit, and never slower as --jobs rises.

Usage: python benchmarks/integrity_speed.py [--runs N] [--jobs N ...] [--venv DIR --lock FILE]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work" / "integrity_speed"
PROJECTS = "scipy pandas pyarrow scikit-learn polars jaxlib opencv-python-headless duckdb numba matplotlib sympy".split()
EXCLUDE_NEWER = "2026-10-01"


def build_venv() -> Path:
    from uv import find_uv_bin

    uv, venv = find_uv_bin(), WORK / "venv"
    if not (venv / "pyvenv.cfg").exists():
        WORK.mkdir(parents=True, exist_ok=True)
        subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(venv)], check=True)
        subprocess.run([uv, "pip", "install", "-q", "--link-mode=copy", "--exclude-newer", EXCLUDE_NEWER,
                        "--python", str(venv), *PROJECTS], check=True)  # fmt: skip
    lock = WORK / "requirements.txt"
    freeze = subprocess.run([uv, "pip", "freeze", "--python", str(venv)], check=True, capture_output=True, text=True)
    lock.write_text(freeze.stdout)
    return venv


def recorded_files(venv: Path) -> list[str]:
    """Every file a RECORD lists with a hash: what lockgate hashes."""
    (site,) = venv.glob("lib/python*/site-packages")
    files = []
    for record in site.glob("*.dist-info/RECORD"):
        with record.open(newline="") as handle:
            files += [os.path.normpath(site / row[0]) for row in csv.reader(handle) if len(row) > 1 and row[1]]
    return files


def lockgate_round(venv: Path, lock: Path, jobs: int) -> tuple[float, float, int]:
    """(seconds by lockgate's timer, seconds of the whole process, bytes hashed)."""
    command = [sys.executable, "-m", "lockgate", "verify", "-l", str(lock), "--python", str(venv),
               "--integrity", "--format", "json", "--jobs", str(jobs)]  # fmt: skip
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"lockgate failed ({result.returncode}):\n{result.stdout[-2000:]}{result.stderr}")
    integrity = json.loads(result.stdout)["integrity"]
    return integrity["seconds"], wall, integrity["bytes_hashed"]


def sha256sum_round(list_file: Path, cores: int) -> float:
    started = time.perf_counter()
    with list_file.open("rb") as names:
        subprocess.run(["xargs", "-0", "-P", str(cores), "-n", "256", "sha256sum"], stdin=names, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def one_core_rate(seconds: float = 1.0) -> float:
    """hashlib's sha256 over 128 KiB blocks from memory, one thread: bytes per second."""
    import hashlib

    block, digest, done = os.urandom(128 << 10), hashlib.sha256(), 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        for _ in range(64):
            digest.update(block)
        done += 64 * len(block)
    return done / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2, 4, 8, 16])
    parser.add_argument("--venv", type=Path, help="measure this venv instead (with --lock)")
    parser.add_argument("--lock", type=Path, help="the lock of --venv")
    args = parser.parse_args()
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    venv, lock = (args.venv, args.lock) if args.venv else (build_venv(), WORK / "requirements.txt")
    files = recorded_files(venv)
    size = sum(os.path.getsize(f) for f in files)
    WORK.mkdir(parents=True, exist_ok=True)
    list_file = WORK / "files.list"
    list_file.write_bytes(b"\0".join(f.encode() for f in files))
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    rate = one_core_rate()
    limit = rate * cores
    print(f"{len(files)} files, {size / 1e9:.2f} GB; {cores} cores x {rate / 1e9:.2f} GB/s (one core's sha256) = limit {limit / 1e9:.2f} GB/s")
    lockgate_round(venv, lock, args.jobs[0])
    sha256sum_round(list_file, cores)
    print(f"{'jobs':>4}  {'GB/s':>6}  {'whole':>6}  {'x limit':>7}  {'sha256sum':>9}  {'x sha256sum':>11}")
    for jobs in args.jobs:
        inner, whole, theirs = [], [], []
        for _ in range(args.runs):
            seconds, wall, hashed = lockgate_round(venv, lock, jobs)
            inner.append(hashed / seconds)
            whole.append(hashed / wall)
            theirs.append(size / sha256sum_round(list_file, cores))
        ours, sums = statistics.median(inner), statistics.median(theirs)
        print(f"{jobs:>4}  {ours / 1e9:>6.2f}  {statistics.median(whole) / 1e9:>6.2f}  {ours / limit:>7.2f}  {sums / 1e9:>9.2f}  {ours / sums:>11.2f}")
    print("GB/s: lockgate's own timer (median); whole: the whole process; goal x limit >= 0.6, not falling as jobs rise")


if __name__ == "__main__":
    main()
