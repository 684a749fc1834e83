"""`lockgate verify` end to end: real venvs built offline, drifted, checked by a new process."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import lockgate, make_project

from lockgate.verify import verify

BASE = ("alpha==1.1.0", "beta==1.0.0", "gamma==0.5", "delta==1.0")


def lock(tmp_path, *lines, name="requirements.txt"):
    path = tmp_path / name
    path.write_text("".join(f"{line}\n" for line in lines))
    return str(path)


def rows(report):
    return {(f.subject, f.status) for f in report.findings}


def status_of(report, name):
    (finding,) = [f for f in report.findings if f.subject == name]
    return finding


def test_matching_venv_passes_with_json_shape(tmp_path, make_venv):
    venv = make_venv(*BASE)
    path = lock(tmp_path, *BASE)
    result = lockgate("verify", "-l", path, "--python", str(venv), "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert list(data) == ["schema", "lockfile", "lockfile_sha256", "environment", "passed", "summary", "packages"]
    assert data["schema"] == "lockgate.verify/1" and data["passed"] is True
    assert set(data["environment"]) == {"python", "python_version", "platform", "hostname", "selected_by"}
    assert data["environment"]["selected_by"] == "--python"
    assert data["summary"] == {"matched": 4, "mismatched": 0, "missing": 0, "extra": 0, "skipped": 0, "not_applicable": 0}
    assert len(data["lockfile_sha256"]) == 64
    assert all(set(p) == {"name", "status", "expected", "found", "message"} for p in data["packages"])


def test_drift_upgraded_downgraded_removed_extra(tmp_path, make_venv):
    venv = make_venv("alpha==2.0.0", "beta==1.0.0", "delta==1.0", "stray==0.1")
    path = lock(tmp_path, "alpha==1.1.0", "beta==1.0.0", "gamma==0.5", "delta==1.0")
    report = verify(path, python=str(venv))
    assert not report.passed
    assert status_of(report, "alpha").status == "mismatched" and status_of(report, "alpha").found == "2.0.0"
    assert status_of(report, "gamma").status == "missing"
    extra = status_of(report, "stray")
    assert extra.status == "extra" and not extra.fails
    make_venv.install(venv, "alpha==1.0.0")
    assert status_of(verify(path, python=str(venv)), "alpha").found == "1.0.0"

    result = lockgate("verify", "-l", path, "--python", str(venv))
    assert result.returncode == 1
    assert "mismatched  alpha" in result.stdout and "missing" in result.stdout
    assert "uv pip install" in result.stdout
    assert "-m pip install -r" not in result.stdout  # uv's venvs have no pip: only commands that exist there
    assert "uninstall" not in result.stdout  # never removes what the lock does not name unless --strict


def test_fix_commands_name_pip_only_where_it_is_installed(tmp_path, make_venv):
    from wheelmaker import make_wheel

    venv = make_venv("alpha==2.0.0")
    path = lock(tmp_path, "alpha==1.1.0")
    assert not any("pip install -r" in command and "-m pip" in command for command in verify(path, python=str(venv)).fix)
    make_wheel(tmp_path / "more", "pip", "24.0")
    make_venv.install(venv, "pip==24.0", extra=("--find-links", str(tmp_path / "more")))
    fix = verify(path, python=str(venv)).fix
    assert fix[-1].endswith(f"-m pip install -r {path}") and " pip install " in fix[0]


def test_allow_missing_skip_and_strict(tmp_path, make_venv):
    venv = make_venv("alpha==1.1.0", "stray==0.1")
    path = lock(tmp_path, "alpha==1.1.0", "gamma==0.5")
    assert not verify(path, python=str(venv)).passed
    assert verify(path, python=str(venv), allow_missing=True).passed
    skipped = verify(path, python=str(venv), skip=["Gamma"])
    assert skipped.passed and status_of(skipped, "gamma").status == "skipped"
    strict = verify(path, python=str(venv), allow_missing=True, strict=True)
    assert not strict.passed and [f.subject for f in strict.failures()] == ["stray"]
    result = lockgate("verify", "-l", path, "--python", str(venv), "--strict", "--allow-missing")
    assert result.returncode == 1 and f"uv pip uninstall --python={venv}/bin/python stray" in result.stdout  # no pip there


def test_configured_skip_list_is_extended_by_flag(tmp_path, make_venv):
    venv = make_venv("alpha==2.0.0", "stray==0.1")
    path = lock(tmp_path, "alpha==1.1.0")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.lockgate.verify]\nskip = ["alpha"]\n')
    result = lockgate("verify", "-l", path, "--python", str(venv), "--skip", "stray", "--strict", "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stdout
    statuses = {p["name"]: p["status"] for p in json.loads(result.stdout)["packages"]}
    assert statuses == {"alpha": "skipped", "stray": "skipped"}


def test_pep440_equality_and_local_versions(tmp_path, make_venv):
    venv = make_venv("gamma==0.5", "tensorlike==2.5.1+cu121", "zope.interface==5.4.0")
    path = lock(tmp_path, "gamma==0.5.0", "tensorlike==2.5.1", "Zope_Interface==5.4")
    report = verify(path, python=str(venv))
    assert report.passed
    local = status_of(report, "tensorlike")
    assert local.status == "matched" and "local version 2.5.1+cu121" in local.message
    assert not verify(path, python=str(venv), strict=True).passed
    pinned_local = lock(tmp_path, "tensorlike==2.5.1+cpu", name="local.txt")
    assert status_of(verify(pinned_local, python=str(venv)), "tensorlike").status == "mismatched"


def test_markers_are_the_targets(corpus, tmp_path, make_venv):
    venv = make_venv()
    path = lock(tmp_path, "alpha==1.1.0 ; sys_platform == 'win32'", "delta==1.0 ; sys_platform != 'win32'")
    make_venv.install(venv, "alpha==1.1.0")
    report = verify(path, python=str(venv), allow_missing=True)
    assert status_of(report, "alpha").status == "extra"  # installed, locked only for Windows
    assert status_of(report, "delta").status == "missing"

    real = verify(str(corpus / "mlpstorage/requirements.txt"), python=str(venv), allow_missing=True)
    assert status_of(real, "tzdata").status == "not_applicable"
    assert status_of(real, "torch").status == "missing"


def test_universal_lock_one_status_per_entry(corpus, tmp_path, make_venv):
    venv = make_venv()
    report = verify(str(corpus / "lockfiles/openai__openai-python__requirements-dev.lock"), python=str(venv), allow_missing=True)
    anyio = [f.status for f in report.findings if f.subject == "anyio"]
    assert sorted(anyio) == ["missing", "not_applicable"]


def test_invalid_marker_is_a_one_line_error_at_its_line(tmp_path, make_venv):
    venv = make_venv()
    path = lock(tmp_path, "alpha==1.1.0", "beta==1.0.0 ; python_version >>> '3'")
    result = lockgate("verify", "-l", path, "--python", str(venv))
    assert result.returncode == 2
    assert result.stderr.startswith(f"lockgate: error: {path}:2: invalid marker") and result.stderr.count("\n") == 1


def test_vcs_commit(tmp_path, make_venv, git_project):
    bare, first, second = git_project
    venv = make_venv()
    make_venv.install(venv, f"demo-proj @ git+file://{bare}@{first}")
    good = lock(tmp_path, f"demo-proj @ git+file://{bare}@{first}", name="good.txt")
    moved = lock(tmp_path, f"demo-proj @ git+file://{bare}@{second}", name="moved.txt")
    assert verify(good, python=str(venv)).passed
    finding = status_of(verify(moved, python=str(venv)), "demo-proj")
    assert finding.status == "mismatched" and f"commit {first[:12]} installed" in finding.message
    result = lockgate("verify", "-l", moved, "--python", str(venv))
    assert "--reinstall-package=demo-proj" in result.stdout


def test_editable_directory(tmp_path, make_venv):
    project = make_project(tmp_path / "proj", "editable-demo", "0.1.0")
    venv = make_venv()
    make_venv.install(venv, "-e", str(project))
    unnamed = lock(tmp_path, f"-e {project}", name="unnamed.txt")
    report = verify(unnamed, python=str(venv))
    assert report.passed and {f.status for f in report.findings} == {"matched"}
    not_editable = lock(tmp_path, f"editable-demo @ file://{project}", name="copy.txt")
    finding = status_of(verify(not_editable, python=str(venv)), "editable-demo")
    assert finding.status == "mismatched" and "installed editable" in finding.message
    elsewhere = make_project(tmp_path / "other", "editable-demo", "0.1.0")
    assert not verify(lock(tmp_path, f"-e {elsewhere}", name="other.txt"), python=str(venv)).passed


def test_pylock_groups_and_requires_python(tmp_path, make_venv):
    venv = make_venv("alpha==1.1.0")
    text = """lock-version = "1.0"
created-by = "test"
requires-python = ">=3.10"
default-groups = ["default"]
dependency-groups = ["default", "dev"]

[[packages]]
name = "alpha"
version = "1.1.0"
marker = "'default' in dependency_groups"
wheels = [{ url = "https://example.invalid/alpha-1.1.0-py3-none-any.whl", hashes = { sha256 = "00" } }]

[[packages]]
name = "gamma"
version = "0.5"
marker = "'dev' in dependency_groups"
wheels = [{ url = "https://example.invalid/gamma-0.5-py3-none-any.whl", hashes = { sha256 = "00" } }]
"""
    path = lock(tmp_path, text, name="pylock.toml")
    default = verify(path, python=str(venv))
    assert default.passed and status_of(default, "gamma").status == "not_applicable"
    with_dev = verify(path, python=str(venv), groups=["default", "dev"])
    assert status_of(with_dev, "gamma").status == "missing"
    (tmp_path / "old.toml").write_text(text.replace(">=3.10", "<3"))
    old = verify(str(tmp_path / "old.toml"), python=str(venv))
    assert status_of(old, "requires-python").status == "mismatched" and not old.passed


def test_duplicate_install_in_one_folder_fails(tmp_path, make_venv):
    venv = make_venv("alpha==1.1.0")
    (site,) = venv.glob("lib/python*/site-packages")
    shutil.copytree(site / "alpha-1.1.0.dist-info", site / "alpha-1.0.0.dist-info")
    finding = status_of(verify(lock(tmp_path, "alpha==1.1.0"), python=str(venv)), "alpha")
    assert finding.status == "mismatched" and "installed twice" in finding.message


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-l", "absent.txt"], "lockgate: error: lockfile not found: absent.txt; create one with: lockgate generate"),
        (["--python", "/no/such/python"], "lockgate: error: --python /no/such/python: no such interpreter"),
        ([], "lockgate: error: no lockfile given and no requirements.txt or pylock.toml"),
    ],
)
def test_input_errors_exit_2_in_one_line(tmp_path, args, message):
    if "--python" in args:
        lock(tmp_path, "alpha==1.0.0")
    result = lockgate("verify", *args, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_default_target_is_the_active_venv(tmp_path, make_venv):
    venv = make_venv("alpha==1.1.0")
    lock(tmp_path, "alpha==1.1.0")
    result = lockgate("verify", "-q", cwd=tmp_path, env={"VIRTUAL_ENV": str(venv)})
    assert result.returncode == 0 and result.stdout == ""


def test_probed_interpreter_reads_like_the_fast_path(tmp_path, make_venv):
    from lockgate.env.interpreter import find_interpreter, probe_interpreter

    venv = make_venv("alpha==1.1.0")
    fast = find_interpreter(str(venv))
    probed = probe_interpreter(str(venv / "bin" / "python"))
    assert fast._marker_environment is None  # described without starting it
    assert fast.site_dirs == probed.site_dirs and fast.version == probed.version
    assert fast.marker_environment() == probed.marker_environment()


def test_no_command_prints_usage_and_exits_2():
    result = lockgate()
    assert result.returncode == 2 and result.stderr.startswith("usage: lockgate") and "Traceback" not in result.stderr


def test_verify_takes_no_command_after_double_dash(tmp_path):
    lock(tmp_path, "alpha==1.0.0")
    result = lockgate("verify", "--", "junk", cwd=tmp_path)
    assert result.returncode == 2 and "verify runs no command" in result.stderr and "lockgate run" in result.stderr


def test_version_and_module_entry_point():
    from importlib.metadata import version

    result = lockgate("--version")
    assert result.returncode == 0 and result.stdout.startswith(f"lockgate {version('lockgate')} (uv {version('uv')}, ")


def test_cpu_only_is_its_own_status_and_nvml_bindings_are_not_cuda(tmp_path, make_venv):
    from wheelmaker import make_wheel

    index = tmp_path / "nvidia"
    make_wheel(index, "nvidia-ml-py", "12.560.30")
    make_wheel(index, "nvidia-cublas-cu12", "12.4.5.8")
    venv = make_venv("alpha==1.1.0")
    make_venv.install(venv, "nvidia-ml-py==12.560.30", "nvidia-cublas-cu12==12.4.5.8", extra=("--find-links", str(index)))
    path = lock(tmp_path, "alpha==1.1.0", "nvidia-ml-py==12.560.30", "nvidia-cublas-cu12==12.4.5.8")
    report = verify(path, python=str(venv), cpu_only=True)
    assert status_of(report, "nvidia-cublas-cu12").status == "not_cpu_only"
    assert status_of(report, "nvidia-ml-py").status == "matched"
    assert report.summary()["not_cpu_only"] == 1 and "not_cpu_only" not in verify(path, python=str(venv)).summary()


def test_configuration_is_found_upward_and_stops_at_the_repository_root(tmp_path, make_venv):
    venv = make_venv("alpha==1.1.0", "stray==0.1")
    project = tmp_path / "repo" / "project"
    (project / "sub").mkdir(parents=True)
    (project / "requirements.txt").write_text("alpha==1.1.0\n")
    (project / "pyproject.toml").write_text('[project]\nname = "p"\n\n[tool.lockgate.verify]\nskip = ["stray"]\n')
    found = lockgate("verify", "-l", "../requirements.txt", "--python", str(venv), "--strict", cwd=project / "sub")
    assert found.returncode == 0 and "skipped" in found.stdout, found.stdout
    (project / "pyproject.toml").write_text('[project]\nname = "p"\n')
    (tmp_path / "repo" / "lockgate.toml").write_text('[verify]\nskip = ["stray"]\n')
    (project / ".git").mkdir()  # the repository root: nothing above it is read
    beyond = lockgate("verify", "-l", "../requirements.txt", "--python", str(venv), "--strict", cwd=project / "sub")
    assert beyond.returncode == 1 and "extra  stray" in beyond.stdout
