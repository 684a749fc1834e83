"""Whole-process time of ``lockgate verify`` against uv's own check of the same lock and venv,
on the locks users have: universal locks with markers, as ``lockgate generate`` writes them.

Inputs (built once under benchmarks/.work/, from PyPI the first time; uv's cache serves later):
- lockgate's own lock (requirements-dev.txt: a universal lock with marker lines) against a venv
  synced from it;
- a universal requirements.txt of 228 real distributions (``uv pip compile --universal``, what
  ``lockgate generate`` writes), its venv, and the same pins as pylock.toml and as a uv.lock of
  a virtual project;
- the marker-free requirements.txt of those pins (markers evaluated for Linux and dropped): a
  reference line, not the headline.

Each lockgate command is timed against uv's check of the same file (``uv pip sync --check
--offline`` for requirements.txt and pylock.toml, ``uv sync --locked --check --offline`` for
uv.lock), interleaved run by run; the median of the paired ratios is printed (issue #29 goals:
requirements.txt and pylock.toml <= 1.0x uv, uv.lock <= 1.2x, every format <= 1.3x the marker-free
requirements.txt). lockgate runs warm (its interpreter and marker caches filled by the warm-up
run); ``cold`` lines run it with an empty cache folder each time, ``no cache`` with
LOCKGATE_NO_CACHE=1.

Usage: python benchmarks/verify_speed.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / ".work" / "verify_speed"
# Popular projects whose closure is > 200 distributions, all with wheels for Linux x86_64.
ROOTS = """jupyterlab sphinx boto3 fastapi[standard] mkdocs-material requests flask django celery
sqlalchemy pytest hypothesis black mypy pydantic httpx rich typer alembic aiohttp scrapy pyyaml
cryptography paramiko""".split()
EXCLUDE_NEWER = "2026-10-01"


def uv_binary() -> str:
    from uv import find_uv_bin

    return find_uv_bin()


def run(command: list[str], **kwargs) -> None:
    subprocess.run(command, check=True, **kwargs)


def build(uv: str) -> dict[str, Path]:
    """The 228-pin inputs: universal requirements.txt, its venv, pylock.toml, uv.lock, marker-free."""
    WORK.mkdir(parents=True, exist_ok=True)
    paths = {"venv": WORK / "venv", "universal": WORK / "universal.txt", "pylock": WORK / "pylock.toml",
             "project": WORK / "uv_project", "plain": WORK / "plain.txt", "own": WORK / "own-venv"}  # fmt: skip
    if not (paths["own"] / "pyvenv.cfg").exists():  # exactly lockgate's own lock (.venv adds lockgate, editable)
        run([uv, "venv", "-q", "--python", sys.executable, str(paths["own"])])
    run([uv, "pip", "sync", "-q", "--python", str(paths["own"]), str(ROOT / "requirements-dev.txt")])  # the lock as it is now
    python = str(paths["venv"] / "bin" / "python")
    if not paths["universal"].exists():
        (WORK / "requirements.in").write_text("\n".join(ROOTS) + "\n")
        run([uv, "pip", "compile", "-q", "--universal", str(WORK / "requirements.in"), "-o", str(paths["universal"]),
             "--exclude-newer", EXCLUDE_NEWER, "--python", sys.executable])  # fmt: skip
    if not (paths["venv"] / "pyvenv.cfg").exists():
        run([uv, "venv", "-q", "--python", sys.executable, str(paths["venv"])])
        run([uv, "pip", "sync", "-q", "--python", python, str(paths["universal"])])
    if not paths["pylock"].exists():
        run([uv, "pip", "compile", "-q", "--universal", str(WORK / "requirements.in"), "-o", str(paths["pylock"]), "--format", "pylock.toml",
             "--exclude-newer", EXCLUDE_NEWER, "--python", sys.executable])  # fmt: skip
    if not paths["plain"].exists():
        paths["plain"].write_text(_marker_free(paths["universal"].read_text(), python))
    if not (paths["project"] / "uv.lock").exists():
        paths["project"].mkdir(exist_ok=True)
        pins = [line.split()[0] for line in paths["plain"].read_text().splitlines() if "==" in line]
        version = f"{sys.version_info.major}.{sys.version_info.minor}"
        (paths["project"] / "pyproject.toml").write_text(
            f'[project]\nname = "verify-speed"\nversion = "0"\nrequires-python = ">={version}"\ndependencies = {pins!r}\n'
            f'[tool.uv]\npackage = false\nexclude-newer = "{EXCLUDE_NEWER}"\n'  # in the project, so uv lock --check agrees
        )
        run([uv, "lock", "-q", "--directory", str(paths["project"])])
    return paths


def _marker_free(universal: str, python: str) -> str:
    """The universal lock's pins that apply to ``python``, without markers or comments."""
    lines = [line for line in universal.splitlines() if line and not line.startswith((" ", "#"))]
    probe = "import sys\nfrom packaging.markers import Marker\nfor l in sys.stdin.read().splitlines():\n" \
            "    pin, _, m = l.partition(';')\n    print(pin.strip()) if not m or Marker(m).evaluate() else None\n"  # fmt: skip
    kept = subprocess.run([sys.executable, "-c", probe], input="\n".join(lines), capture_output=True, text=True, check=True).stdout
    return kept


def lockgate() -> list[str]:
    script = Path(sys.executable).parent / "lockgate"
    return [str(script)] if script.exists() else [sys.executable, "-m", "lockgate"]


def timed(command: list[str], env: dict) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"{' '.join(command[:3])}… failed ({result.returncode}): {result.stderr.decode()[-800:]}")
    return elapsed


class Cold:
    """An environment whose LOCKGATE_CACHE_DIR is a new, empty folder at every use."""

    def __init__(self, env: dict) -> None:
        self.env = env

    def items(self):
        folder = tempfile.mkdtemp(prefix="lockgate-cold-")
        return {**self.env, "LOCKGATE_CACHE_DIR": folder}.items()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    uv = uv_binary()
    paths = build(uv)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "VIRTUAL_ENV") and not k.startswith("UV_")}
    env["LOCKGATE_CACHE_DIR"] = str(WORK / "lockgate-cache")
    cold_root = Path(tempfile.mkdtemp(prefix="lockgate-cold-"))
    big, own = str(paths["venv"]), str(paths["own"])
    project_env = {**env, "UV_PROJECT_ENVIRONMENT": big}
    sync_check = [uv, "pip", "sync", "--check", "--offline", "--python"]
    # name: (lockgate command, env, uv command, uv env)
    cases = {
        "own lock": ([*lockgate(), "verify", "-l", str(ROOT / "requirements-dev.txt"), "--python", own], env,
                               [*sync_check, own, str(ROOT / "requirements-dev.txt")], env),
        "universal requirements.txt": ([*lockgate(), "verify", "-l", str(paths["universal"]), "--python", big], env,
                                       [*sync_check, big, str(paths["universal"])], env),
        "pylock.toml": ([*lockgate(), "verify", "-l", str(paths["pylock"]), "--python", big], env, [*sync_check, big, str(paths["pylock"])], env),
        "uv.lock": ([*lockgate(), "verify", "-l", str(paths["project"] / "uv.lock"), "--python", big], env,
                    [uv, "sync", "--locked", "--check", "--offline", "--directory", str(paths["project"])], project_env),
        "marker-free requirements.txt": ([*lockgate(), "verify", "-l", str(paths["plain"]), "--python", big], env,
                                         [*sync_check, big, str(paths["plain"])], env),
    }
    no_cache = {**env, "LOCKGATE_NO_CACHE": "1"}
    extra = {
        "universal requirements.txt, cold": (cases["universal requirements.txt"][0], Cold(env)),
        "universal requirements.txt, no cache": (cases["universal requirements.txt"][0], no_cache),
        "own lock, cold": (cases["own lock"][0], Cold(env)),
    }
    for ours, our_env, theirs, their_env in cases.values():  # warm-up: bytecode written, caches filled
        timed(ours, our_env)
        timed(theirs, their_env)
    ratios: dict[str, list[float]] = {name: [] for name in cases}
    times: dict[str, list[float]] = {name: [] for name in [*cases, *(f"uv: {name}" for name in cases), *extra]}
    for _ in range(args.runs):
        for name, (ours, our_env, theirs, their_env) in cases.items():
            mine, uvs = timed(ours, our_env), timed(theirs, their_env)
            ratios[name].append(mine / uvs)
            times[name].append(mine)
            times[f"uv: {name}"].append(uvs)
        for name, (command, command_env) in extra.items():
            times[name].append(timed(command, dict(command_env.items())))
    shutil.rmtree(cold_root, ignore_errors=True)
    median = {name: statistics.median(values) * 1000 for name, values in times.items()}
    plain = median["marker-free requirements.txt"]
    goals = {"universal requirements.txt": 1.0, "own lock": 1.0, "pylock.toml": 1.0, "uv.lock": 1.2}
    version = subprocess.run([uv, "--version"], capture_output=True, text=True).stdout.strip()
    print(f"{version}; {args.runs} interleaved runs; medians of whole processes, ratio = median of paired ratios")
    for name in cases:
        ratio = statistics.median(ratios[name])
        goal = goals.get(name)
        verdict = f"goal <= {goal}x: {'met' if ratio <= goal else 'NOT met'}" if goal else "reference"
        against_plain = f", {median[name] / plain:.2f}x marker-free" if name != "marker-free requirements.txt" else ""
        print(f"{name:<30} lockgate {median[name]:6.1f} ms  uv {median['uv: ' + name]:6.1f} ms  ratio {ratio:.2f} ({verdict}){against_plain}")
    for name in extra:
        print(f"{name:<40} lockgate {median[name]:6.1f} ms")
    print(f"python -c pass: {statistics.median([timed([sys.executable, '-c', 'pass'], env) for _ in range(11)]) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
