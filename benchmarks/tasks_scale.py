"""Task resolution and verification at scale: 1,000 generated task files with layered ranges.

250 task names in 10 layers of 25, each with 4 versions (1.0.0, 1.1.0, 1.2.0, 2.0.0): 1,000
files. Each task depends on 3 tasks of the next layer with ranges mixing ^1.0, ~1.1, >=1.0, <2
and *; the 25 tasks of layer 0 are the roots (^1). Timed in-process, median of N runs, each on
fresh objects (every file read and parsed again):

- resolve: read the sources, resolve, build the lock (``lockgate tasks lock`` without the write);
- verify: ``lockgate tasks verify`` on that lock (every checksum, and a fresh resolution).

Goals (issue #5, 2 cores): resolve <= 1 s, verify <= 0.3 s.

Usage: python benchmarks/tasks_scale.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work" / "tasks_scale"
LAYERS, WIDTH = 10, 25
VERSIONS = ("1.0.0", "1.1.0", "1.2.0", "2.0.0")
RANGES = ("^1.0", "~1.1", ">=1.0, <2", "*")


def build() -> None:
    shutil.rmtree(WORK, ignore_errors=True)
    folder = WORK / "tasks"
    folder.mkdir(parents=True)
    for layer in range(LAYERS):
        for index in range(WIDTH):
            name = f"t{layer}-{index}"
            for version in VERSIONS:
                deps = ""
                if layer + 1 < LAYERS:
                    picks = [(index + k * 7) % WIDTH for k in range(3)]
                    deps = "".join(f'    - name: t{layer + 1}-{p}\n      version: "{RANGES[(index + k) % len(RANGES)]}"\n' for k, p in enumerate(picks))
                body = f"  dependencies:\n{deps}" if deps else "  dependencies: []\n"
                (folder / f"{name}-{version}.task.yaml").write_text(
                    f'apiVersion: task/v1\nkind: PredefinedTask\nmetadata:\n  name: {name}\n  version: "{version}"\n'
                    f'  description: "generated task {name}"\nspec:\n  agent_template:\n    description: "run {name}"\n{body}'
                )
    roots = ", ".join(f'"t0-{index}@^1"' for index in range(WIDTH))
    (WORK / "lockgate.toml").write_text(f'[tasks]\nroots = [{roots}]\n[[tasks.sources]]\npath = "tasks"\n')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    sys.path.insert(0, str(HERE.parent / "src"))
    from lockgate.tasks import api
    from lockgate.tasks.config import load_tasks_config
    from lockgate.tasks.lockfile import save_task_lock
    from lockgate.tasks.resolve import parse_root, resolve

    build()
    os.chdir(WORK)
    resolve_times, verify_times = [], []
    for _ in range(args.runs):
        config = load_tasks_config()
        started = time.perf_counter()
        resolution = resolve([parse_root(root) for root in config.roots], config.sources)
        lock = api.build_lock(resolution, None, config.roots, str(WORK))
        resolve_times.append(time.perf_counter() - started)
        save_task_lock(config.lockfile, lock)
        started = time.perf_counter()
        report = api.verify_tasks(load_tasks_config())
        verify_times.append(time.perf_counter() - started)
        assert report.passed, report.failures()[:3]
    files = len(list((WORK / "tasks").iterdir()))
    print(f"{files} task files, {len(lock.tasks)} tasks locked, {args.runs} runs, {os.cpu_count()} cores")
    print(f"resolve  median {statistics.median(resolve_times):.3f} s  (goal <= 1 s)   runs: {', '.join(f'{t:.3f}' for t in resolve_times)}")
    print(f"verify   median {statistics.median(verify_times):.3f} s  (goal <= 0.3 s) runs: {', '.join(f'{t:.3f}' for t in verify_times)}")


if __name__ == "__main__":
    main()
