"""Hashing speed of ``lockgate verify --integrity`` against ``sha256sum`` on the same files.

A venv of > 1 GB (scipy, pandas, pyarrow, scikit-learn, polars and friends) is built once
under benchmarks/.work/ (needs PyPI the first time). Each round, interleaved: lockgate checks
every file of every distribution against RECORD; ``sha256sum`` hashes the same files with two
processes (``xargs -P 2``). A warm-up round first, so both read from the page cache. Printed:
GB/s over the bytes hashed (lockgate's own timer, and the whole process), the sha256sum GB/s
and the ratio. Goal (issue #7): >= 1.5 GB/s on a 2-core machine.

Usage: python benchmarks/integrity_speed.py [--runs N] [--jobs N]
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


def lockgate_round(venv: Path, jobs: list[str]) -> tuple[float, float, int]:
    """(seconds by lockgate's timer, seconds of the whole process, bytes hashed)."""
    command = [sys.executable, "-m", "lockgate", "verify", "-l", str(WORK / "requirements.txt"), "--python", str(venv),
               "--integrity", "--format", "json", *jobs]  # fmt: skip
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"lockgate failed ({result.returncode}):\n{result.stdout[-2000:]}{result.stderr}")
    integrity = json.loads(result.stdout)["integrity"]
    return integrity["seconds"], wall, integrity["bytes_hashed"]


def sha256sum_round(list_file: Path) -> float:
    started = time.perf_counter()
    with list_file.open("rb") as names:
        subprocess.run(["xargs", "-0", "-P", "2", "-n", "256", "sha256sum"], stdin=names, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--jobs", type=int, help="lockgate --jobs (default: lockgate's, the core count)")
    args = parser.parse_args()
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    venv = build_venv()
    files = recorded_files(venv)
    size = sum(os.path.getsize(f) for f in files)
    list_file = WORK / "files.list"
    list_file.write_bytes(b"\0".join(f.encode() for f in files))
    jobs = ["--jobs", str(args.jobs)] if args.jobs else []
    print(f"{len(files)} files, {size / 1e9:.2f} GB, {os.cpu_count()} cores; warm-up round")
    lockgate_round(venv, jobs)
    sha256sum_round(list_file)
    inner, whole, theirs = [], [], []
    for _ in range(args.runs):
        seconds, wall, hashed = lockgate_round(venv, jobs)
        inner.append(hashed / seconds / 1e9)
        whole.append(hashed / wall / 1e9)
        theirs.append(size / sha256sum_round(list_file) / 1e9)
    print(f"lockgate --integrity  median {statistics.median(inner):.2f} GB/s (its check), "
          f"{statistics.median(whole):.2f} GB/s (whole process)  runs: {', '.join(f'{x:.2f}' for x in inner)}")  # fmt: skip
    print(f"sha256sum, 2 processes  median {statistics.median(theirs):.2f} GB/s  runs: {', '.join(f'{x:.2f}' for x in theirs)}")
    print(f"ratio lockgate/sha256sum: {statistics.median(inner) / statistics.median(theirs):.2f}; goal >= 1.5 GB/s")


if __name__ == "__main__":
    main()
