"""Every fix `lockgate verify` prints makes the next verify pass: each scenario builds a venv,
reads the fix from the text output as a user would, runs it (uv from lockgate's venv, offline,
against a local wheel folder) and verifies again."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import lockgate, make_project, run
from wheelmaker import make_wheel

from lockgate.env.model import LockedPackage, Lockfile
from lockgate.report import EXTRA, MATCHED, MISSING, NOT_CPU_ONLY, Finding


@pytest.fixture(scope="module")
def wheels(tmp_path_factory, wheel_index) -> Path:
    """The test wheels plus a CUDA library and index releases of the test projects."""
    folder = tmp_path_factory.mktemp("fix-wheels")
    for wheel in wheel_index.glob("*.whl"):
        shutil.copy(wheel, folder)
    make_wheel(folder, "nvidia-nvtx-cu12", "12.4.127")
    make_wheel(folder, "demo-proj", "0.3.0")
    return folder


@pytest.fixture
def venv(tmp_path, uv, wheels):
    """Factory: a new venv with these requirements from ``wheels`` (and pip's options in ``extra``)."""

    def build(*requirements: str, path: Path | None = None) -> Path:
        target = path or tmp_path / "venv"
        run([uv, "venv", "-q", "--python", sys.executable, str(target)])
        if requirements:
            run([uv, "pip", "install", "-q", "--offline", "--no-index", "--link-mode=copy", "--find-links", str(wheels),
                 "--python", str(target), *requirements])  # fmt: skip
        return target

    return build


def local_lock(tmp_path: Path, wheels: Path, *pins: str, name: str = "requirements.txt") -> str:
    """A requirements lock that names its wheel folder itself, as pip's options in the file."""
    path = tmp_path / name
    path.write_text(f"--no-index\n--find-links {wheels}\n" + "".join(f"{pin}\n" for pin in pins))
    return str(path)


def printed_fix(*args: str, cwd: Path | None = None) -> list[str]:
    """The lines under ``to fix:`` of a failing verify."""
    result = lockgate("verify", *args, cwd=cwd)
    assert result.returncode == 1, result.stdout + result.stderr
    text = result.stdout
    assert "to fix:\n" in text, text
    return [line.strip() for line in text.split("to fix:\n", 1)[1].splitlines()]


def apply_fix(lines: list[str], cwd: Path | None = None) -> None:
    """Run uv's fix line as a shell would (pip's needs a real pip; a comment is no command)."""
    (line,) = [line for line in lines if not line.startswith("#") and " -m pip " not in line]
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env.update(UV_OFFLINE="1", UV_LINK_MODE="copy", UV_PYTHON=sys.executable)
    result = subprocess.run(["bash", "-c", line], capture_output=True, text=True, cwd=cwd, env=env)
    assert result.returncode == 0, f"{line}\n{result.stdout}\n{result.stderr}"


def fixed(*args: str, cwd: Path | None = None) -> list[str]:
    """Verify, run its fix, verify again: the second must pass. Returns the fix lines."""
    lines = printed_fix(*args, cwd=cwd)
    apply_fix(lines, cwd=cwd)
    again = lockgate("verify", *args, cwd=cwd)
    assert again.returncode == 0, "\n".join(lines) + "\n" + again.stdout + again.stderr
    return lines


def installed(venv: Path, name: str) -> str | None:
    for dist_info in venv.glob("lib/python*/site-packages/*.dist-info"):
        project, _, version = dist_info.name[: -len(".dist-info")].partition("-")
        if project == name.replace("-", "_"):
            return version
    return None


def test_drift_and_missing(tmp_path, venv, wheels):
    target = venv("alpha==2.0.0", "beta==1.0.0")
    path = local_lock(tmp_path, wheels, "alpha==1.1.0", "beta==1.0.0", "gamma==0.5")
    lines = fixed("-l", path, "--python", str(target))
    assert "uninstall" not in lines[0]  # nothing is removed without --strict


def test_extra_under_strict_is_removed(tmp_path, venv, wheels):
    target = venv("alpha==1.1.0", "stray==0.1")
    path = local_lock(tmp_path, wheels, "alpha==1.1.0")
    (line,) = fixed("-l", path, "--python", str(target), "--strict")
    assert "install -r" not in line  # nothing locked is wrong: only the removal


@pytest.mark.parametrize("how", ["editable", "folder", "wheel-url", "git"])
def test_local_install_of_an_index_pin_is_replaced_under_strict(tmp_path, venv, wheels, git_project, how):
    if how == "git":
        bare, first, _ = git_project
        target, name, pin = venv(f"demo-proj @ git+file://{bare}@{first}"), "demo-proj", "demo-proj==0.3.0"
    elif how == "wheel-url":
        target, name, pin = venv(str(wheels / "alpha-1.1.0-py3-none-any.whl")), "alpha", "alpha==1.1.0"
    else:
        project = make_project(tmp_path / "alpha-src", "alpha", "1.1.0")
        target = venv(*(["-e", str(project)] if how == "editable" else [str(project)]))
        name, pin = "alpha", "alpha==1.1.0"
    path = local_lock(tmp_path, wheels, pin)
    (line,) = fixed("-l", path, "--python", str(target), "--strict")
    assert f"--reinstall-package={name}" in line
    assert not list(target.glob(f"lib/python*/site-packages/{name.replace('-', '_')}-*.dist-info/direct_url.json"))


def test_local_version_under_strict_is_replaced(tmp_path, venv, wheels):
    target = venv("tensorlike==2.5.1+cu121")
    path = local_lock(tmp_path, wheels, "tensorlike==2.5.1")
    fixed("-l", path, "--python", str(target), "--strict")
    assert installed(target, "tensorlike") == "2.5.1"


def test_cpu_only_offender_is_uninstalled_not_the_lock_reinstalled(tmp_path, venv, wheels):
    target = venv("alpha==1.1.0", "nvidia-nvtx-cu12==12.4.127", "stray==0.1")
    path = local_lock(tmp_path, wheels, "alpha==1.1.0")
    (line,) = fixed("-l", path, "--python", str(target), "--cpu-only")
    assert "install -r" not in line and "nvidia-nvtx-cu12" in line
    assert installed(target, "stray") == "0.1"  # not --strict: what the lock does not name stays


def test_cuda_lock_under_cpu_only_is_not_installed(tmp_path, venv, wheels):
    target = venv("alpha==1.1.0")
    path = local_lock(tmp_path, wheels, "alpha==1.1.0", "nvidia-nvtx-cu12==12.4.127")
    lines = printed_fix("-l", path, "--python", str(target), "--cpu-only")
    assert all(line.startswith("#") for line in lines), lines
    assert any("nvidia-nvtx-cu12" in line and "CUDA" in line for line in lines)


def test_skipped_distribution_is_left_as_it_is(tmp_path, venv, wheels):
    target = venv("alpha==2.0.0")
    path = local_lock(tmp_path, wheels, "alpha==1.1.0", "gamma==0.5")
    fixed("-l", path, "--python", str(target), "--skip", "alpha")
    assert installed(target, "alpha") == "2.0.0"


PYLOCK = """\
lock-version = "1.0"
created-by = "test"
extras = ["x"]
dependency-groups = ["dev"]
default-groups = []

[[packages]]
name = "alpha"
version = "1.1.0"
index = "https://user:secret@example.invalid/simple"
wheels = [{{ url = "{wheels}/alpha-1.1.0-py3-none-any.whl", hashes = {{ sha256 = "{alpha}" }} }}]

[[packages]]
name = "gamma"
version = "0.5"
marker = "'dev' in dependency_groups"
wheels = [{{ url = "{wheels}/gamma-0.5-py3-none-any.whl", hashes = {{ sha256 = "{gamma}" }} }}]

[[packages]]
name = "stray"
version = "0.1"
marker = "'x' in extras"
wheels = [{{ url = "{wheels}/stray-0.1-py3-none-any.whl", hashes = {{ sha256 = "{stray}" }} }}]
"""


def test_pylock_groups_and_extras_are_in_the_fix(tmp_path, venv, wheels):
    import hashlib

    digests = {name: hashlib.sha256((wheels / f"{name}-{version}-py3-none-any.whl").read_bytes()).hexdigest()
               for name, version in (("alpha", "1.1.0"), ("gamma", "0.5"), ("stray", "0.1"))}  # fmt: skip
    path = tmp_path / "pylock.toml"
    path.write_text(PYLOCK.format(wheels=wheels.as_uri(), **digests))
    target = venv("alpha==2.0.0")
    (line,) = fixed("-l", str(path), "--python", str(target), "--group", "dev", "--extra", "x", "--strict")
    assert "--group=dev" in line and "--extra=x" in line
    assert "secret" not in line and "--extra-index-url=https://example.invalid/simple" in line.replace(" https", "=https")


@pytest.mark.parametrize("format", ["requirements.txt", "pylock.toml"])
def test_find_links_lock_carries_its_options(tmp_path, venv, wheels, format):
    project = tmp_path / "proj"
    project.mkdir()
    shutil.copytree(wheels, project / "wheels")  # relative to the project, as a user writes it
    (project / "pyproject.toml").write_text('[project]\nname = "app"\nversion = "0.1"\ndependencies = ["alpha==1.1.0", "gamma"]\n')
    output = "pylock.toml" if format == "pylock.toml" else "requirements.txt"
    result = lockgate("generate", "--no-index", "--find-links", "wheels", "-o", output, cwd=project)
    assert result.returncode == 0, result.stderr
    target = venv("alpha==1.0.0")
    (line,) = fixed("-l", str(project / output), "--python", str(target), cwd=tmp_path)  # run from elsewhere
    assert f"--find-links {project / 'wheels'}" in line and "--no-index" in line


def test_recorded_index_options_without_credentials(tmp_path):
    path = tmp_path / "requirements.txt"
    path.write_text(
        "# lockgate: generated-by=lockgate 0; uv 0\n# lockgate: pyproject=pyproject.toml\n"
        "# lockgate: options=--torch-backend cpu --index-url https://user:secret@mirror.example/simple "
        "--extra-index-url https://other.example/simple --exclude-newer 2025-01-01\n"
        "# lockgate: inputs-sha256=0\n# lockgate: body-sha256=0\ntorch==2.5.1+cpu\n"
    )
    from lockgate.env.fix import install_sources
    from lockgate.readers import read_lockfile

    assert install_sources(read_lockfile(str(path))) == [
        "--torch-backend", "cpu", "--index-url", "https://mirror.example/simple", "--extra-index-url", "https://other.example/simple",
    ]  # fmt: skip


UV_PROJECT = """\
[project]
name = "app"
version = "0.1"
requires-python = ">=3.8"
dependencies = ["alpha==1.1.0"]

[project.optional-dependencies]
x = ["beta"]

[dependency-groups]
dev = ["gamma"]

[tool.uv]
package = false
no-index = true
find-links = ["{wheels}"]
"""


@pytest.fixture
def uv_project(tmp_path, uv, wheels) -> Path:
    project = tmp_path / "app"
    project.mkdir()
    (project / "pyproject.toml").write_text(UV_PROJECT.format(wheels=wheels))
    run([uv, "lock", "--offline", "-q", "--project", str(project)], env={**os.environ, "UV_PYTHON": sys.executable})
    return project


def test_uv_lock_strict_extra_is_synced_into_the_verified_venv(tmp_path, venv, uv_project):
    target = venv("alpha==1.0.0", "stray==0.1", path=tmp_path / "elsewhere")
    lock = str(uv_project / "uv.lock")
    (line,) = fixed("-l", lock, "--python", str(target), "--strict", "--extra", "x", "--group", "dev")
    assert line.startswith(f"UV_PROJECT_ENVIRONMENT={target} ") and " sync --locked " in line
    assert "--inexact" not in line and "--extra=x" in line and "--group=dev" in line
    assert installed(target, "stray") is None and not (uv_project / ".venv").exists()


def test_uv_lock_project_venv_and_skip(venv, uv_project):
    target = venv("alpha==1.0.0", "gamma==0.5", "stray==0.1", path=uv_project / ".venv")
    lock = str(uv_project / "uv.lock")
    (line,) = fixed("-l", lock, "--python", str(target), "--skip", "gamma", "--extra", "x")
    assert "UV_PROJECT_ENVIRONMENT" not in line and "--inexact" in line and "--no-install-package=gamma" in line
    assert installed(target, "stray") == "0.1"


def test_plan_is_a_value_of_the_findings():
    from lockgate.env.fix import FixTarget, fix_commands, plan_fix

    lock = Lockfile("r.txt", "requirements.txt", [LockedPackage("alpha", "1.1.0"), LockedPackage("gamma", "0.5")], {}, ["r.txt"])
    findings = [
        Finding(MATCHED, "alpha", "1.1.0", "1.1.0", "installed from file:///a (fails with --strict)", fails=True),
        Finding(MISSING, "gamma", "0.5", None, "not installed", fails=True),
        Finding(EXTRA, "stray", None, "0.1", "", fails=True),
        Finding(NOT_CPU_ONLY, "nvidia-nvtx-cu12", None, "12.4", "", fails=True),
    ]
    plan = plan_fix(lock, findings, FixTarget("/v/bin/python", "/v"), strict=True, cpu_only=True, sources=["--no-index"])
    assert (plan.install, plan.reinstall, plan.remove) == (True, ("alpha",), ("nvidia-nvtx-cu12", "stray"))
    assert fix_commands(plan) == [
        "uv pip uninstall --python=/v/bin/python nvidia-nvtx-cu12 stray && "
        "uv pip install --python=/v/bin/python --reinstall-package=alpha --no-index -r r.txt"
    ]
    assert fix_commands(plan, pip=True)[1] == (
        "/v/bin/python -m pip uninstall -y alpha nvidia-nvtx-cu12 stray && /v/bin/python -m pip install --no-index -r r.txt"
    )
    with_pip = plan_fix(lock, [*findings, Finding(EXTRA, "pip", None, "24.0", "", fails=True)], FixTarget("/v/bin/python", "/v"), strict=True)
    assert [line for line in fix_commands(with_pip, pip=True) if "-m pip" in line] == []  # pip cannot uninstall itself, then install
