"""What ``lockgate generate`` adds to ``uv pip compile``: the same resolution, both ways.

A pyproject of the popular projects verify_speed.py installs (a closure of ~230 distributions) is resolved by
``lockgate generate --offline`` and by ``uv pip compile --universal --offline`` with the same
arguments, interleaved run by run, on a warm cache (the first round fills it from PyPI and is
not counted). Each writes its own output file, so both have their previous lock as
preferences. Printed: the medians and lockgate's overhead. Goal (issue #3): <= +60 ms.

Usage: python benchmarks/generate_overhead.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from verify_speed import EXCLUDE_NEWER  # the same popular projects
from verify_speed import ROOTS as DEPENDENCIES

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work" / "generate_overhead"


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=WORK, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    from uv import find_uv_bin

    uv = find_uv_bin()
    WORK.mkdir(parents=True, exist_ok=True)
    listed = "".join(f'    "{name}",\n' for name in DEPENDENCIES)
    (WORK / "pyproject.toml").write_text(f'[project]\nname = "bench"\nversion = "0"\nrequires-python = ">=3.10"\ndependencies = [\n{listed}]\n')
    shared = ["--exclude-newer", EXCLUDE_NEWER]
    lockgate = [sys.executable, "-m", "lockgate", "generate", "-q", "-o", "lockgate.txt", *shared]
    raw = [uv, "pip", "compile", "pyproject.toml", "-q", "--universal", "-o", "uv.txt", *shared]
    timed(lockgate), timed(raw)  # fills uv's cache from PyPI
    ours, theirs = [], []
    for _ in range(args.runs):
        ours.append(timed([*lockgate, "--offline"]))
        theirs.append(timed([*raw, "--offline"]))
    count = sum(1 for line in (WORK / "uv.txt").read_text().splitlines() if line[:1].isalnum())
    lockgate_ms, uv_ms = statistics.median(ours) * 1000, statistics.median(theirs) * 1000
    print(f"{count} distributions locked, {args.runs} interleaved runs, warm cache, --offline")
    print(f"lockgate generate     median {lockgate_ms:.0f} ms")
    print(f"uv pip compile        median {uv_ms:.0f} ms")
    print(f"overhead: {lockgate_ms - uv_ms:+.0f} ms (goal <= +60 ms)")


if __name__ == "__main__":
    main()
