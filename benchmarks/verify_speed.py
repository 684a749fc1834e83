"""Whole-process time of ``lockgate verify`` against ``uv pip sync --dry-run --offline``.

Both check the same lock against the same venv of >= 200 distributions, all matching,
interleaved run by run so machine noise hits both alike; the medians and their ratio are
printed. Goal (issue #2): ratio <= 0.6.

The venv is built once under benchmarks/.work/ from a lock compiled from real PyPI projects
(needs the network the first time; uv's cache serves later runs). ``--synthetic`` builds 220
tiny local wheels instead and needs no network, but uv then reads a flat local index, which
is not how users run it.

With the real venv it then times the same environment from a pylock.toml of the same pins
(``uv pip compile --format pylock.toml``) and from a uv.lock of a project that depends on exactly
those pins (``uv lock``; a virtual project, so uv installs no project of its own), each against
requirements.txt and against uv's own check of the same file: ``uv pip sync --dry-run`` of the
pylock.toml, ``uv sync --frozen --dry-run`` of the uv.lock (issue #18: <= 1.5x requirements.txt,
<= 0.6x uv).

Usage: python benchmarks/verify_speed.py [--runs N] [--synthetic]
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
WORK = HERE / ".work" / "verify_speed"
# Popular projects whose closure is > 200 distributions, all with wheels for Linux x86_64.
ROOTS = """jupyterlab sphinx boto3 fastapi[standard] mkdocs-material requests flask django celery
sqlalchemy pytest hypothesis black mypy pydantic httpx rich typer alembic aiohttp scrapy pyyaml
cryptography paramiko""".split()
EXCLUDE_NEWER = "2026-10-01"


def uv_binary() -> str:
    from uv import find_uv_bin

    return find_uv_bin()


def build_real(uv: str) -> tuple[Path, Path, list[str]]:
    venv, lock = WORK / "venv", WORK / "requirements.txt"
    if not (venv / "pyvenv.cfg").exists() or not lock.exists():
        WORK.mkdir(parents=True, exist_ok=True)
        (WORK / "requirements.in").write_text("\n".join(ROOTS) + "\n")
        run([uv, "pip", "compile", "-q", str(WORK / "requirements.in"), "-o", str(lock), "--exclude-newer", EXCLUDE_NEWER,
             "--python", sys.executable])  # fmt: skip
        run([uv, "venv", "-q", "--python", sys.executable, str(venv)])
        run([uv, "pip", "sync", "-q", "--python", str(venv), str(lock)])
    return venv, lock, []


def build_synthetic(uv: str) -> tuple[Path, Path, list[str]]:
    sys.path.insert(0, str(HERE.parent / "tests"))
    from wheelmaker import make_wheel

    root = WORK / "synthetic"
    venv, lock, wheels = root / "venv", root / "requirements.txt", root / "wheels"
    if not (venv / "pyvenv.cfg").exists():
        wheels.mkdir(parents=True, exist_ok=True)
        lines = []
        for i in range(220):
            name, version = f"bench-pkg-{i:03d}", f"1.{i}.0"
            make_wheel(wheels, name, version)
            lines.append(f"{name}=={version}\n")
        lock.write_text("".join(lines))
        run([uv, "venv", "-q", "--python", sys.executable, str(venv)])
        run([uv, "pip", "sync", "-q", "--offline", "--no-index", "--find-links", str(wheels), "--python", str(venv), str(lock)])
    return venv, lock, ["--no-index", "--find-links", str(wheels)]


def run(command: list[str]) -> None:
    subprocess.run(command, check=True)


def lockgate_command() -> list[str]:
    script = Path(sys.executable).parent / "lockgate"
    return [str(script)] if script.exists() else [sys.executable, "-m", "lockgate"]


def timed(command: list[str], env: dict) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"{command[0]} failed ({result.returncode}): {result.stderr.decode()[-500:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--synthetic", action="store_true", help="tiny local wheels, no network")
    args = parser.parse_args()
    uv = uv_binary()
    venv, lock, uv_index = (build_synthetic if args.synthetic else build_real)(uv)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "VIRTUAL_ENV")}
    ours = [*lockgate_command(), "verify", "-l", str(lock), "--python", str(venv)]
    theirs = [uv, "pip", "sync", "--dry-run", "--offline", "--python", str(venv), *uv_index, str(lock)]
    bare = [sys.executable, "-c", "pass"]
    count = len(list((Path(venv) / "lib").glob("python*/site-packages/*.dist-info")))
    for command in (ours, theirs, ours):  # warm-up: bytecode written, caches filled
        timed(command, env)
    samples: dict[str, list[float]] = {"lockgate": [], "uv": [], "python": []}
    for _ in range(args.runs):
        samples["lockgate"].append(timed(ours, env))
        samples["uv"].append(timed(theirs, env))
        samples["python"].append(timed(bare, env))
    median = {name: statistics.median(values) * 1000 for name, values in samples.items()}
    ratio = median["lockgate"] / median["uv"]
    print(f"venv: {count} distributions, lock: {lock}")
    print(f"uv {subprocess.run([uv, '--version'], capture_output=True, text=True).stdout.strip()}, {args.runs} interleaved runs each")
    print(f"lockgate verify            median {median['lockgate']:6.1f} ms")
    print(f"uv pip sync --dry-run      median {median['uv']:6.1f} ms")
    print(f"python -c pass (start-up)  median {median['python']:6.1f} ms")
    print(f"ratio lockgate/uv: {ratio:.2f} (goal <= 0.60: {'met' if ratio <= 0.6 else 'NOT met'})")
    if not args.synthetic:
        formats(uv, venv, lock, env, args.runs)


def formats(uv: str, venv: Path, lock: Path, env: dict, runs: int) -> None:
    """verify from pylock.toml and uv.lock of the same pins, against requirements.txt and against uv."""
    pylock, project = WORK / "pylock.toml", WORK / "uv_project"
    if not pylock.exists():
        run([uv, "pip", "compile", "-q", str(WORK / "requirements.in"), "-o", str(pylock), "--format", "pylock.toml",
             "--exclude-newer", EXCLUDE_NEWER, "--python", str(venv / "bin" / "python")])  # fmt: skip
    if not (project / "uv.lock").exists():
        project.mkdir(exist_ok=True)
        pins = [line.split()[0] for line in lock.read_text().splitlines() if "==" in line and not line.startswith("#")]
        python = f"{sys.version_info.major}.{sys.version_info.minor}"
        (project / "pyproject.toml").write_text(
            f'[project]\nname = "verify-speed"\nversion = "0"\nrequires-python = "=={python}.*"\ndependencies = {pins!r}\n'
            f'[tool.uv]\npackage = false\nenvironments = ["sys_platform == \'linux\'"]\n'
        )
        run([uv, "lock", "-q", "--exclude-newer", EXCLUDE_NEWER, "--directory", str(project)])
    uv_env = {**env, "UV_PROJECT_ENVIRONMENT": str(venv)}
    commands = {
        "requirements.txt": ([*lockgate_command(), "verify", "-l", str(lock), "--python", str(venv)], env),
        "pylock.toml": ([*lockgate_command(), "verify", "-l", str(pylock), "--python", str(venv)], env),
        "uv on pylock.toml": ([uv, "pip", "sync", "--dry-run", "--offline", "--python", str(venv), str(pylock)], env),
        "uv.lock": ([*lockgate_command(), "verify", "-l", str(project / "uv.lock"), "--python", str(venv)], env),
        "uv on uv.lock": ([uv, "sync", "--frozen", "--dry-run", "--offline", "--directory", str(project)], uv_env),
    }
    for command, command_env in commands.values():
        timed(command, command_env)
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs // 2 or 1):
        for name, (command, command_env) in commands.items():
            samples[name].append(timed(command, command_env))
    median = {name: statistics.median(values) * 1000 for name, values in samples.items()}
    base = median["requirements.txt"]
    for name in ("pylock.toml", "uv.lock"):
        ours, theirs = median[name], median[f"uv on {name}"]
        print(f"verify from {name:<15}median {ours:6.1f} ms: {ours / base:.2f}x requirements.txt ({base:.1f} ms, goal <= 1.5x), "
              f"{ours / theirs:.2f}x uv on the same file ({theirs:.1f} ms, goal <= 0.6x)")  # fmt: skip


if __name__ == "__main__":
    main()
