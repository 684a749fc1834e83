"""A uv.lock that no longer describes its project is ``stale``, decided as ``uv lock --check``
decides: projects made by ``uv init`` / ``uv lock`` (offline, a local wheel folder), edited."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import lockgate, run
from wheelmaker import make_wheel

from lockgate.env.readers import read_lockfile, uv_fresh

BASE_DEPENDENCIES = """dependencies = [
    "rich>=13",
    "click>=7 ; sys_platform == 'linux'",
]
description = "first"

[project.optional-dependencies]
cli = ["click>=8"]

[dependency-groups]
dev = ["pytest", {include-group = "lint"}]
lint = ["click"]
"""

#: name -> (edit of pyproject.toml's text, whether uv keeps the lock)
EDITS = {
    "unchanged": (lambda text: text, True),
    "add a dependency": (lambda text: text.replace('"rich>=13",', '"rich>=13",\n    "pytest>=8",'), False),
    "change a specifier": (lambda text: text.replace('"rich>=13"', '"rich>=12"'), False),
    "the same specifier spelled longer": (lambda text: text.replace('"rich>=13"', '"rich >= 13.0.0"'), True),
    "add an extra": (lambda text: text.replace('cli = ["click>=8"]', 'cli = ["click>=8"]\nfancy = ["rich[jupyter]"]'), False),
    "add to an extra": (lambda text: text.replace('cli = ["click>=8"]', 'cli = ["click>=8", "pytest"]'), False),
    "add a dependency group": (lambda text: text.replace('lint = ["click"]', 'lint = ["click"]\ndocs = ["rich"]'), False),
    "inline an included group": (lambda text: text.replace('{include-group = "lint"}', '"click"'), True),
    "change requires-python": (lambda text: re.sub(r'requires-python = "[^"]+"', 'requires-python = ">=3.8"', text), False),
    "reorder dependencies": (lambda text: text.replace('    "rich>=13",\n    "click>=7 ; sys_platform == \'linux\'",',
                                                       '    "click>=7 ; sys_platform == \'linux\'",\n    "rich>=13",'), True),  # fmt: skip
    "change the description": (lambda text: text.replace('description = "first"', 'description = "second"'), True),
    "change the version": (lambda text: text.replace('version = "0.1.0"', 'version = "0.2.0"'), False),
    "a marker requires-python makes true": (lambda text: text.replace('"rich>=13"', "\"rich>=13 ; python_version >= '3.6'\""), True),
    "no longer a package": (lambda text: text + "\n[tool.uv]\npackage = false\n", False),
}


@pytest.fixture(scope="module")
def wheels(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("fresh-wheels")
    for version in ("7.0", "8.1.7"):
        make_wheel(folder, "click", version)
    make_wheel(folder, "typing-extensions", "4.16.0")
    make_wheel(folder, "rich", "13.0", requires=("typing-extensions",), extras={"jupyter": ("click",)})
    make_wheel(folder, "pytest", "8.0")
    return folder


@pytest.fixture
def uv_env(monkeypatch, tmp_path):
    """No UV_* settings of this machine's and no user uv.toml; uv offline."""
    for name in [name for name in os.environ if name.startswith("UV_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("UV_OFFLINE", "1")
    monkeypatch.setenv("UV_PYTHON", sys.executable)


@pytest.fixture(scope="module")
def project(tmp_path_factory, uv, wheels) -> Path:
    """``uv init --lib`` with dependencies, extras and groups, locked offline from the wheel folder."""
    folder = tmp_path_factory.mktemp("fresh") / "proj"
    environment = {**{k: v for k, v in os.environ.items() if not k.startswith("UV_")}, "UV_OFFLINE": "1", "UV_PYTHON": sys.executable}
    run([uv, "init", "-q", "--lib", "--name", "proj", "--vcs", "none", "--no-workspace", str(folder)], env=environment)
    pyproject = folder / "pyproject.toml"
    pyproject.write_text(re.sub(r'^description = .*\n', "", pyproject.read_text(), flags=re.M).replace("dependencies = []\n", BASE_DEPENDENCIES))
    run([uv, "lock", "-q", "--find-links", str(wheels), "--no-index"], cwd=folder, env=environment)
    return folder


def as_if_from_an_index(lock: Path, wheels: Path) -> None:
    """Rewrite a lock of the local wheel folder as if its wheels came from an HTTPS index."""

    def hashed(found: re.Match) -> str:
        wheel = Path(found.group(1))
        return f'{{ url = "https://files.example/{wheel.name}", hash = "sha256:{hashlib.sha256(wheel.read_bytes()).hexdigest()}" }}'

    text = re.sub(r'\{ path = "([^"]+\.whl)" \}', hashed, lock.read_text())
    lock.write_text(text.replace(f'registry = "{wheels}"', 'registry = "https://pypi.example/simple"'))


def uv_keeps(uv: str, folder: Path) -> bool:
    return subprocess.run([uv, "lock", "--check", "--quiet"], cwd=folder, capture_output=True).returncode == 0


@pytest.mark.parametrize("index", ["local wheel folder", "https index"])
@pytest.mark.parametrize("edit", list(EDITS))
def test_stale_exactly_when_uv_lock_check_fails(tmp_path, project, wheels, uv, uv_env, monkeypatch, index, edit):
    folder = tmp_path / "proj"
    shutil.copytree(project, folder)
    if index == "https index":
        as_if_from_an_index(folder / "uv.lock", wheels)  # lockgate decides alone where the lock is fresh
    else:
        monkeypatch.setenv("UV_FIND_LINKS", str(wheels))
        monkeypatch.setenv("UV_NO_INDEX", "1")
    change, kept = EDITS[edit]
    (folder / "pyproject.toml").write_text(change((folder / "pyproject.toml").read_text()))
    asked = []
    monkeypatch.setattr(uv_fresh, "_ask_uv", lambda *args, real=uv_fresh._ask_uv: asked.append(args) or real(*args))

    assert uv_keeps(uv, folder) is kept
    stale = read_lockfile(str(folder / "uv.lock"), python=sys.executable).options["stale"]
    assert (stale is None) is kept, stale
    if index == "https index" and kept and edit != "a marker requires-python makes true":
        assert not asked, "uv was asked where the recorded metadata decides"


def test_verify_fails_a_stale_lock_with_uv_lock_as_the_fix(tmp_path, project, wheels, uv, uv_env):
    folder = tmp_path / "proj"
    shutil.copytree(project, folder)
    environment = {"UV_FIND_LINKS": str(wheels), "UV_NO_INDEX": "1", "UV_OFFLINE": "1"}
    run([uv, "sync", "-q", "--locked"], cwd=folder, env={**os.environ, **environment})
    assert lockgate("verify", "-l", "uv.lock", "--python", ".venv", cwd=folder, env=environment).returncode == 0

    pyproject = folder / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"rich>=13",', '"rich>=13",\n    "click>=8",'))
    result = lockgate("verify", "-l", "uv.lock", "--python", ".venv", "--format", "json", cwd=folder, env=environment)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    stale = [item for item in report["packages"] if item["status"] == "stale"]
    assert report["summary"]["stale"] == 1 and "added click>=8" in stale[0]["message"]
    text = lockgate("verify", "-l", "uv.lock", "--python", ".venv", cwd=folder, env=environment).stdout
    fix = text.split("to fix:")[1].splitlines()[1].strip()
    assert f"uv lock --project={folder} && " in fix and "sync --locked" in fix
    run(["bash", "-c", fix], cwd=folder, env={**os.environ, **environment, "PATH": f"{Path(uv).parent}{os.pathsep}{os.environ['PATH']}"})
    assert lockgate("verify", "-l", "uv.lock", "--python", ".venv", cwd=folder, env=environment).returncode == 0
