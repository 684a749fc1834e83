"""A uv or pip-tools user's habits: how they name the lock, select extras and groups, find the
target, read JSON and lose output. Each as a new process, as users run lockgate."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import lockgate, run

INSTALLED = ("alpha==1.1.0", "beta==1.0.0", "gamma==0.5")

PYLOCK = """lock-version = "1.0"
created-by = "test"
extras = ["fast"]
dependency-groups = ["dev"]
default-groups = []

[[packages]]
name = "alpha"
version = "1.1.0"
wheels = [{ url = "https://example.invalid/alpha-1.1.0-py3-none-any.whl", hashes = { sha256 = "00" } }]

[[packages]]
name = "gamma"
version = "0.5"
marker = "'fast' in extras"
wheels = [{ url = "https://example.invalid/gamma-0.5-py3-none-any.whl", hashes = { sha256 = "00" } }]

[[packages]]
name = "beta"
version = "1.0.0"
marker = "'dev' in dependency_groups"
wheels = [{ url = "https://example.invalid/beta-1.0.0-py3-none-any.whl", hashes = { sha256 = "00" } }]
"""


@pytest.fixture
def venv(make_venv):
    return make_venv(*INSTALLED)


def test_the_lock_as_a_positional_argument_and_once_only(tmp_path, venv):
    (tmp_path / "pins.txt").write_text("alpha==1.1.0\n")
    assert lockgate("verify", "pins.txt", "--python", str(venv), cwd=tmp_path).returncode == 0
    both = lockgate("verify", "pins.txt", "-l", "other.txt", "--python", str(venv), cwd=tmp_path)
    assert both.returncode == 2 and "two lockfiles named" in both.stderr


def test_the_lock_from_standard_input(tmp_path, venv):
    def piped(text: str, *args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "lockgate", "verify", "-l", "-", "--python", str(venv), *args]
        return subprocess.run(command, input=text, capture_output=True, text=True, cwd=tmp_path)

    assert piped("alpha==1.1.0\n").returncode == 0
    failed = piped("alpha==2.0.0\n")
    assert failed.returncode == 1 and "mismatched  alpha" in failed.stdout
    assert piped(PYLOCK, "--extra", "fast", "--group", "dev").returncode == 0
    report = json.loads(piped("alpha==1.1.0\n", "--format", "json").stdout)
    assert report["lockfile"] == "-" and len(report["lockfile_sha256"]) == 64
    uv_lock = piped('version = 1\nrequires-python = ">=3.10"\n\n[[package]]\nname = "alpha"\n')
    assert uv_lock.returncode == 2 and "a uv.lock is read beside its pyproject.toml" in uv_lock.stderr


def test_a_url_is_answered_with_what_lockgate_reads(tmp_path):
    result = lockgate("verify", "-l", "https://example.invalid/requirements.txt", cwd=tmp_path)
    assert result.returncode == 2 and "lockgate reads local files" in result.stderr and "generate" not in result.stderr


def test_an_extra_or_group_the_lock_lacks_is_refused_naming_those_it_has(tmp_path, venv):
    (tmp_path / "pylock.toml").write_text(PYLOCK)
    extra = lockgate("verify", "--python", str(venv), "--extra", "fsat", cwd=tmp_path)
    assert extra.returncode == 2 and "--extra fsat: the lock defines no such extra; it has: fast" in extra.stderr
    group = lockgate("verify", "--python", str(venv), "--group", "test", cwd=tmp_path)
    assert group.returncode == 2 and "--group test: the lock defines no such group; it has: dev" in group.stderr


def test_an_installed_distribution_locked_under_an_unselected_extra_says_so(tmp_path, venv):
    (tmp_path / "pylock.toml").write_text(PYLOCK)
    result = lockgate("verify", "--python", str(venv), "--strict", cwd=tmp_path)
    assert result.returncode == 1
    assert "extra  gamma" in result.stdout and "locked under extra 'fast', not selected (--extra fast)" in result.stdout
    assert "locked under group 'dev', not selected (--group dev)" in result.stdout
    assert lockgate("verify", "--python", str(venv), "--strict", "--extra", "fast", "--group", "dev", cwd=tmp_path).returncode == 0


def test_which_lock_was_chosen_is_said_when_several_are_here(tmp_path, venv):
    (tmp_path / "requirements.txt").write_text("alpha==1.1.0\n")
    alone = lockgate("verify", "--python", str(venv), cwd=tmp_path)
    assert alone.returncode == 0 and alone.stderr == ""
    (tmp_path / "pylock.toml").write_text(PYLOCK)
    both = lockgate("verify", "--python", str(venv), cwd=tmp_path)
    assert both.returncode == 0
    assert "using requirements.txt, the first of requirements.txt, pylock.toml, uv.lock here (also found: pylock.toml)" in both.stderr


def test_a_uv_lock_checks_the_project_environment_as_uv_sync_uses_it(tmp_path, uv, wheel_index, make_venv):
    project = tmp_path / "proj"
    project.mkdir()
    (project / "pyproject.toml").write_text('[project]\nname = "proj"\nversion = "0.1"\nrequires-python = ">=3.10"\n'
                                            'dependencies = ["alpha==1.1.0"]\n[tool.uv]\npackage = false\n')  # fmt: skip
    run([uv, "lock", "-q", "--offline", "--no-index", "--find-links", str(wheel_index), "--python", sys.executable], cwd=project)
    missing = lockgate("verify", cwd=project)
    assert missing.returncode == 2 and "project environment" in missing.stderr and "uv sync --locked" in missing.stderr
    make_venv("alpha==1.1.0", name="proj/.venv")
    elsewhere = make_venv("alpha==2.0.0", name="active")
    result = lockgate("verify", "--format", "json", cwd=project, env={"VIRTUAL_ENV": str(elsewhere)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["environment"]["selected_by"] == "the project's .venv"
    assert f"`VIRTUAL_ENV={elsewhere}` does not match the project environment path" in result.stderr
    named = lockgate("verify", cwd=project, env={"UV_PROJECT_ENVIRONMENT": str(elsewhere)})
    assert named.returncode == 1 and "target: UV_PROJECT_ENVIRONMENT" in named.stdout


def test_json_reports_a_lock_that_selects_nothing(tmp_path, venv):
    (tmp_path / "requirements.txt").write_text("zeta==1.0 ; sys_platform == 'win32'\n")
    result = lockgate("verify", "--python", str(venv), "--format", "json", cwd=tmp_path)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["passed"] is False and report["summary"]["nothing_selected"] == 1
    assert report["packages"][0]["name"] == "zeta" and report["packages"][0]["status"] == "not_applicable"
    schema = json.loads(lockgate("schema", "lockgate.verify/1").stdout)
    import jsonschema

    jsonschema.validate(report, schema)


@pytest.mark.parametrize(("line", "code"), [("alpha==1.1.0", 0), ("alpha==2.0.0", 1)])
def test_output_that_cannot_be_written_never_changes_the_verdict(tmp_path, venv, line, code):
    (tmp_path / "requirements.txt").write_text(f"{line}\n")
    if Path("/dev/full").exists():
        full = subprocess.run(
            ["bash", "-c", f"{sys.executable} -m lockgate verify --python {venv} > /dev/full"], capture_output=True, text=True, cwd=tmp_path
        )
        assert full.returncode == code, full.stderr
        assert "the output was not written (No space left on device); the exit code is the verdict" in full.stderr
    closed = subprocess.run(["bash", "-c", f"{sys.executable} -m lockgate verify --python {venv} >&-"], capture_output=True, text=True, cwd=tmp_path)
    assert closed.returncode == code and "the output was not written (the stream is closed)" in closed.stderr
    # under load: many at once, each reader gone before the first byte
    script = f"for i in $(seq 12); do ({sys.executable} -m lockgate verify --python {venv} | true; echo ${{PIPESTATUS[0]}}) & done; wait"
    codes = subprocess.run(["bash", "-c", script], capture_output=True, text=True, cwd=tmp_path).stdout.split()
    assert codes == [str(code)] * 12


def test_all_extras_no_default_groups_and_only_group_as_uv_spells_them(tmp_path, venv):
    (tmp_path / "pylock.toml").write_text(PYLOCK.replace('default-groups = []', 'default-groups = ["dev"]'))
    strict = ("verify", "--python", str(venv), "--strict")
    assert lockgate(*strict, "--all-extras", cwd=tmp_path).returncode == 0  # fast (gamma) and the default group (beta)
    no_defaults = lockgate(*strict, "--all-extras", "--no-default-groups", cwd=tmp_path)
    assert no_defaults.returncode == 1 and "locked under group 'dev', not selected" in no_defaults.stdout
    only = lockgate("verify", "--python", str(venv), "--only-group", "dev", cwd=tmp_path)
    assert only.returncode == 0
    both = lockgate("verify", "--python", str(venv), "--only-group", "dev", "--extra", "fast", cwd=tmp_path)
    assert both.returncode == 2 and "--only-group installs those groups alone" in both.stderr
    unknown = lockgate("verify", "--python", str(venv), "--only-group", "docs", cwd=tmp_path)
    assert unknown.returncode == 2 and "--only-group docs: the lock defines no such group; it has: dev" in unknown.stderr


def test_a_uv_projects_groups_are_checked_and_fixed_as_uv_sync_selects_them(tmp_path, uv, wheel_index, make_venv):
    project = tmp_path / "proj"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "proj"\nversion = "0.1"\nrequires-python = ">=3.10"\ndependencies = ["alpha==1.1.0"]\n'
        '[project.optional-dependencies]\nfast = ["gamma"]\n[dependency-groups]\ndev = ["beta"]\n[tool.uv]\npackage = false\n'
    )  # fmt: skip
    offline = {"UV_OFFLINE": "1", "UV_NO_INDEX": "1", "UV_FIND_LINKS": str(wheel_index), "UV_PYTHON": sys.executable}
    run([uv, "lock", "-q"], cwd=project, env={**os.environ, **offline})
    venv = make_venv("alpha==1.1.0", name="proj/.venv")
    assert lockgate("verify", "--no-default-groups", cwd=project).returncode == 0
    only = lockgate("verify", "--only-group", "dev", "--strict", cwd=project, env=offline)
    assert only.returncode == 1 and "missing  beta" in only.stdout
    fix = only.stdout.split("to fix:")[1].splitlines()[1].strip()
    assert "--only-group=dev" in fix
    run(["bash", "-c", fix], cwd=project, env={**os.environ, **offline, "PATH": f"{Path(uv).parent}{os.pathsep}{os.environ['PATH']}"})
    assert lockgate("verify", "--only-group", "dev", "--strict", cwd=project).returncode == 0
    everything = lockgate("verify", "--all-extras", cwd=project)
    assert everything.returncode == 1 and "missing  gamma" in everything.stdout and str(venv) in everything.stdout
