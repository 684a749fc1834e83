"""`lockgate freeze`: a live environment with index, VCS and editable installs as a lock that
rebuilds it; and `run --freeze`."""

from __future__ import annotations

import sys

import pytest
from conftest import lockgate, make_project, run


@pytest.fixture
def mixed(tmp_path, make_venv, git_project):
    """``(venv, bare, first, project)``: a venv with index, VCS and editable installs."""
    bare, first, _ = git_project
    project = make_project(tmp_path / "proj", "editable-demo", "0.1.0")
    venv = make_venv("alpha==1.1.0", "payload==1.0")
    make_venv.install(venv, f"demo-proj @ git+file://{bare}@{first}")
    make_venv.install(venv, "-e", str(project))
    return venv, bare, first, project


def test_freeze_round_trip_index_vcs_editable(tmp_path, make_venv, mixed, uv, wheel_index):
    venv, bare, first, project = mixed
    frozen = tmp_path / "frozen.txt"
    result = lockgate("freeze", "--python", str(venv), "-o", str(frozen))
    assert result.returncode == 0, result.stderr
    text = frozen.read_text()
    assert f"demo-proj @ git+file://{bare}@{first}\n" in text and f"-e {project}\n" in text and "alpha==1.1.0\n" in text
    assert f"#   {venv}/bin/python (Python {sys.version.split()[0]}" in text and "# environment fingerprint: sha256:" in text
    rebuilt = make_venv(name="rebuilt")
    run([uv, "pip", "sync", "-q", "--offline", "--no-index", "--find-links", str(wheel_index), "--python", str(rebuilt), str(frozen)])
    check = lockgate("verify", "-l", str(frozen), "--python", str(rebuilt))
    assert check.returncode == 0, check.stdout + check.stderr
    assert lockgate("diff", f"env:{venv}", f"env:{rebuilt}").returncode == 0


def test_freeze_to_pylock_validates_and_rebuilds(tmp_path, make_venv, mixed, uv, wheel_index):
    from packaging.pylock import Pylock

    from lockgate._toml import load_toml

    venv, _, first, _ = mixed
    frozen = tmp_path / "pylock.toml"
    result = lockgate("freeze", "--python", str(venv), "-o", str(frozen), "--no-index", "--find-links", str(wheel_index))
    assert result.returncode == 0, result.stderr
    lock = Pylock.from_dict(load_toml(str(frozen)))
    by_name = {package.name: package for package in lock.packages}
    assert by_name["alpha"].version is not None and str(by_name["alpha"].version) == "1.1.0" and by_name["alpha"].wheels
    assert by_name["demo-proj"].vcs is not None and by_name["demo-proj"].vcs.commit_id == first
    assert by_name["editable-demo"].directory is not None and by_name["editable-demo"].directory.editable
    rebuilt = make_venv(name="rebuilt")
    run([uv, "pip", "sync", "-q", "--offline", "--no-index", "--find-links", str(wheel_index), "--python", str(rebuilt), str(frozen)])
    check = lockgate("verify", "-l", str(frozen), "--python", str(rebuilt))
    assert check.returncode == 0, check.stdout + check.stderr
    assert lockgate("diff", f"env:{venv}", f"env:{rebuilt}").returncode == 0


def test_run_freeze_writes_the_environment_beside_the_record(tmp_path, make_venv):
    venv = make_venv("alpha==1.1.0")
    lock = tmp_path / "requirements.txt"
    lock.write_text("alpha==1.1.0\n")
    frozen = tmp_path / "software.txt"
    result = lockgate("run", "--verify-lockfile", str(lock), "--freeze", str(frozen), "--", str(venv / "bin" / "python"), "-c", "pass")
    assert result.returncode == 0, result.stderr
    assert "alpha==1.1.0\n" in frozen.read_text()
