"""Task resolution and verification at scale: 1,000 generated task files with layered ranges.

250 task names in 10 layers of 25, each with 4 versions (1.0.0, 1.1.0, 1.2.0, 2.0.0): 1,000
files. Each task depends on 3 tasks of the next layer with ranges mixing ^1.0, ~1.1, >=1.0, <2
and *; the 25 tasks of layer 0 are the roots (^1). Timed in-process, median of N runs, each on
fresh objects (every file read and parsed again):

- resolve: read the sources, resolve, build the lock (``lockgate tasks lock`` without the write);
- verify: ``lockgate tasks verify`` on that lock (every checksum, and a fresh resolution).

Goals (issue #5, 2 cores): resolve <= 1 s, verify <= 0.3 s.

Then the wide shapes of issue #18, each timed as whole ``lockgate`` processes (median of N):
1,000 and 5,000 tasks x 2 versions (1.0.0, 1.1.0) in 10 layers, each depending on 3 tasks of
the next layer with caret ranges; ``tasks lock`` from no lock (goals <= 1 s and <= 5 s),
``tasks verify`` of that lock (<= 0.3 s and <= 1.5 s), and a relock over the unchanged lock.

Usage: python benchmarks/tasks_scale.py [--runs N] [--wide-only]
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


def build_wide(tasks: int) -> Path:
    """``tasks`` tasks x 2 versions, 10 layers, 3 caret dependencies on the next layer."""
    folder = WORK.parent / f"tasks_wide_{tasks}"
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "tasks").mkdir(parents=True)
    width = tasks // LAYERS
    for layer in range(LAYERS):
        for index in range(width):
            name = f"w{layer}-{index}"
            deps = ""
            if layer + 1 < LAYERS:
                deps = "".join(f'    - name: w{layer + 1}-{(index + k * 7) % width}\n      version: "^1.0"\n' for k in range(3))
            body = f"  dependencies:\n{deps}" if deps else "  dependencies: []\n"
            for version in ("1.0.0", "1.1.0"):
                (folder / "tasks" / f"{name}-{version}.task.yaml").write_text(
                    f'apiVersion: task/v1\nkind: PredefinedTask\nmetadata:\n  name: {name}\n  version: "{version}"\n'
                    f'  description: "generated task {name}"\nspec:\n  agent_template:\n    description: "run {name}"\n{body}'
                )
    roots = ", ".join(f'"w0-{index}@^1"' for index in range(width))
    (folder / "lockgate.toml").write_text(f'[tasks]\nroots = [{roots}]\n[[tasks.sources]]\npath = "tasks"\n')
    return folder


def whole_process(folder: Path, runs: int, *args: str, fresh: bool = False) -> list[float]:
    import subprocess

    times = []
    for _ in range(runs):
        if fresh:
            (folder / "tasks.lock.yaml").unlink(missing_ok=True)
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "lockgate", "tasks", *args], cwd=folder, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return times


def wide(runs: int) -> None:
    for tasks, lock_goal, verify_goal in ((1000, 1.0, 0.3), (5000, 5.0, 1.5)):
        folder = build_wide(tasks)
        lock = whole_process(folder, runs, "lock", fresh=True)
        verify = whole_process(folder, runs, "verify")
        relock = whole_process(folder, runs, "lock")
        print(f"{tasks} tasks x 2 versions ({2 * tasks} files), whole process, median of {runs}:")
        print(f"  tasks lock (no lock)  {statistics.median(lock):.2f} s  (goal <= {lock_goal:g} s)")
        print(f"  tasks verify          {statistics.median(verify):.2f} s  (goal <= {verify_goal:g} s)")
        print(f"  tasks lock (relock)   {statistics.median(relock):.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--wide-only", action="store_true", help="only the shapes of issue #18")
    args = parser.parse_args()
    if args.wide_only:
        return wide(args.runs)
    sys.path.insert(0, str(HERE.parent / "src"))
    from lockgate.tasks import checking, locking
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
        lock = locking.build_lock(resolution, None, config.roots, str(WORK))
        resolve_times.append(time.perf_counter() - started)
        save_task_lock(config.lockfile, lock)
        started = time.perf_counter()
        report = checking.verify_tasks(load_tasks_config())
        verify_times.append(time.perf_counter() - started)
        assert report.passed, report.failures()[:3]
    files = len(list((WORK / "tasks").iterdir()))
    print(f"{files} task files, {len(lock.tasks)} tasks locked, {args.runs} runs, {os.cpu_count()} cores")
    print(f"resolve  median {statistics.median(resolve_times):.3f} s  (goal <= 1 s)   runs: {', '.join(f'{t:.3f}' for t in resolve_times)}")
    print(f"verify   median {statistics.median(verify_times):.3f} s  (goal <= 0.3 s) runs: {', '.join(f'{t:.3f}' for t in verify_times)}")
    wide(args.runs)


if __name__ == "__main__":
    main()
