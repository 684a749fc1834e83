"""Shared fixtures: the real corpus, a local wheel index, throwaway venvs, a git repository
and an editable project; all offline."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from wheelmaker import make_wheel

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
TEMPLATE = Path(__file__).resolve().parent / "project_template"


@pytest.fixture(autouse=True)
def task_cache(tmp_path_factory, monkeypatch) -> Path:
    """A cache folder of each test's own (LOCKGATE_CACHE_DIR): git mirrors, registry files, interpreter facts, marker results."""
    folder = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("LOCKGATE_CACHE_DIR", str(folder))
    return folder


@pytest.fixture(autouse=True)
def own_home(request, tmp_path_factory, monkeypatch) -> Path | None:
    """Task tests run with a home folder of their own: lockgate searches ~/.claude/tasks and
    ~/.claude/task-groups by default, and the machine's own must never leak into a test."""
    if "tasks" not in request.node.path.parts:
        return None
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    return home


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not (CORPUS / "SOURCES.md").is_file():
        pytest.fail(f"the shared corpus is not at {CORPUS}: the tests read real lockfiles from ../shared/corpus")
    return CORPUS


@pytest.fixture(scope="session")
def uv() -> str:
    from uv import find_uv_bin

    return find_uv_bin()


@pytest.fixture(scope="session")
def wheel_index(tmp_path_factory) -> Path:
    """A flat folder of tiny wheels: several versions, an extra, a local version, a marker-only dependency."""
    folder = tmp_path_factory.mktemp("wheels")
    for version in ("1.0.0", "1.1.0", "2.0.0"):
        make_wheel(folder, "alpha", version)
    make_wheel(folder, "beta", "1.0.0", extras={"fast": ("gamma",)})
    make_wheel(folder, "gamma", "0.5")
    make_wheel(folder, "delta", "1.0", requires=('epsilon ; sys_platform == "win32"',))
    make_wheel(folder, "epsilon", "0.9")
    make_wheel(folder, "Zope.Interface", "5.4.0")
    make_wheel(folder, "tensorlike", "2.5.1")
    make_wheel(folder, "tensorlike", "2.5.1+cu121")
    make_wheel(folder, "stray", "0.1")
    payload = {f"payload/part{n}.py": f"PART = {n}\n".encode() * 40 for n in range(4)}
    payload["payload/__init__.py"] = b""
    payload["payload/data.bin"] = bytes(range(256)) * 8192  # 2 MiB: hashed in chunks
    payload["payload-1.0.data/scripts/payload-tool"] = b"#!python\nprint('tool')\n"  # lands in bin/
    make_wheel(folder, "payload", "1.0", files=payload)
    make_wheel(folder, "ns-a", "1.0", files={"ns/a/__init__.py": b"A = 1\n"})  # a namespace package shared
    make_wheel(folder, "ns-b", "1.0", files={"ns/b/__init__.py": b"B = 1\n"})  # by two distributions
    return folder


@pytest.fixture(scope="session")
def torch_indexes(tmp_path_factory) -> tuple[Path, Path]:
    """``(cuda, cpu)``: two flat indexes with a fake torch 2.5.1. On ``cuda`` it needs an
    nvidia library and triton on Linux, as PyPI's does; on ``cpu`` it is ``2.5.1+cpu`` alone."""
    root = tmp_path_factory.mktemp("torch")
    cuda, cpu = root / "cuda", root / "cpu"
    linux = ' ; sys_platform == "linux"'
    make_wheel(cuda, "torch", "2.5.1", requires=(f"nvidia-cublas-cu12==12.4.5.8{linux}", f"triton==3.1.0{linux}", "filelock"))
    make_wheel(cuda, "nvidia-cublas-cu12", "12.4.5.8")
    make_wheel(cuda, "triton", "3.1.0")
    make_wheel(cpu, "torch", "2.5.1+cpu", requires=("filelock",))
    for index in (cuda, cpu):
        make_wheel(index, "filelock", "3.16.1")
    return cuda, cpu


@pytest.fixture
def make_venv(tmp_path, uv, wheel_index):
    """Factory: ``make_venv(*requirements, name="venv")`` -> a new venv with them installed offline."""

    def build(*requirements: str, name: str = "venv") -> Path:
        venv = tmp_path / name
        run([uv, "venv", "-q", "--python", sys.executable, str(venv)])
        if requirements:
            install(venv, *requirements)
        return venv

    def install(venv: Path, *requirements: str, extra: tuple[str, ...] = ()) -> None:
        # Copies, not uv's hardlinks: tests edit installed files, which would edit uv's cache.
        run([uv, "pip", "install", "-q", "--offline", "--no-index", "--link-mode=copy", "--find-links", str(wheel_index),
             "--python", str(venv), *extra, *requirements])  # fmt: skip

    build.install = install
    return build


@pytest.fixture(scope="session")
def git_project(tmp_path_factory):
    """A bare git repository of project ``demo-proj`` with two commits: ``(bare_path, first, second)``."""
    root = tmp_path_factory.mktemp("git")
    work = make_project(root / "work", "demo-proj", "0.3.0")
    git = ["git", "-C", str(work), "-c", "user.email=t@example.com", "-c", "user.name=t"]
    run([*git, "init", "-q"])
    run([*git, "add", "-A"])
    run([*git, "commit", "-qm", "first"])
    first = run([*git, "rev-parse", "HEAD"]).stdout.strip()
    (work / "demo_proj" / "__init__.py").write_text("X = 2\n")
    run([*git, "commit", "-qam", "second"])
    second = run([*git, "rev-parse", "HEAD"]).stdout.strip()
    bare = root / "demo-proj.git"
    run(["git", "clone", "-q", "--bare", str(work), str(bare)])
    return bare, first, second


def make_project(folder: Path, name: str, version: str) -> Path:
    """A buildable project folder (in-tree backend, no network) for editable and VCS installs."""
    shutil.copytree(TEMPLATE, folder)
    (folder / "project.txt").write_text(f"{name} {version}\n")
    module = folder / name.replace("-", "_")
    module.mkdir()
    (module / "__init__.py").write_text("X = 1\n")
    return folder


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    """Run a command; fail the test with its output if it fails."""
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        pytest.fail(f"{' '.join(map(str, command))} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def lockgate(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the ``lockgate`` command as a user would (a new process); returns the finished process."""
    environment = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    environment["UV_PYTHON"] = sys.executable  # else uv finds Python through pyenv's shims, 100 ms a call
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "lockgate", *args], capture_output=True, text=True, cwd=cwd, env=environment
    )
