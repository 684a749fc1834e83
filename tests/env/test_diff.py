"""`lockgate diff A B`: locks, saved reports, cluster hosts and live environments, as a user runs it."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from conftest import lockgate, make_project, run

UV_DOCS = "lockfiles/astral-sh__uv__docs__requirements.txt"


def test_two_locks_added_removed_changed(corpus, tmp_path):
    original = (corpus / UV_DOCS).read_text()
    changed = tmp_path / "requirements.txt"
    changed.write_text(original.replace("markdown==3.10", "markdown==3.6").replace("six==1.16.0", "six==1.16.0+local") + "zeta==1.0\n")
    same = lockgate("diff", str(corpus / UV_DOCS), str(corpus / UV_DOCS))
    assert same.returncode == 0 and "46 same, 0 added, 0 removed, 0 changed" in same.stdout
    result = lockgate("diff", str(corpus / UV_DOCS), str(changed), "--format", "json")
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data["schema"] == "lockgate.diff/1" and data["passed"] is False
    rows = {item["name"]: (item["status"], item["expected"], item["found"], item["message"]) for item in data["distributions"] if item["status"] != "same"}
    assert rows == {"markdown": ("changed", "3.10", "3.6", "version"), "six": ("changed", "1.16.0", "1.16.0+local", "local version"),
                    "zeta": ("added", None, "1.0", "")}  # fmt: skip


def test_environment_against_a_lock_and_a_saved_run(tmp_path, make_venv):
    venv = make_venv("alpha==1.1.0", "beta==1.0.0")
    lock = tmp_path / "requirements.txt"
    lock.write_text("alpha==1.0.0\nbeta==1.0.0\ngamma==0.5\n")
    result = lockgate("diff", str(lock), f"env:{venv}", "--format", "json")
    rows = {i["name"]: (i["status"], i["expected"], i["found"]) for i in json.loads(result.stdout)["distributions"]}
    assert result.returncode == 1
    assert rows == {"alpha": ("changed", "1.0.0", "1.1.0"), "beta": ("same", "1.0.0", "1.0.0"), "gamma": ("removed", "0.5", None)}
    saved = tmp_path / "run-a.json"
    saved.write_text(lockgate("verify", "-l", str(lock), "--python", str(venv), "--format", "json").stdout)
    assert lockgate("diff", str(saved), f"env:{venv}").returncode == 0  # the run saw what is installed now
    make_venv.install(venv, "alpha==2.0.0")
    drifted = lockgate("diff", str(saved), f"env:{venv}", "--format", "json")
    changes = [(i["name"], i["expected"], i["found"]) for i in json.loads(drifted.stdout)["distributions"] if i["status"] != "same"]
    assert drifted.returncode == 1 and changes == [("alpha", "1.1.0", "2.0.0")]


def test_two_hosts_of_a_cluster_report(tmp_path):
    def host(rank, hostname, numpy):
        return {"rank": rank, "hostname": hostname, "schema": "lockgate.verify/1",
                "packages": [{"name": "numpy", "status": "matched", "expected": "2.4.6", "found": numpy, "message": ""}]}  # fmt: skip

    report = tmp_path / "cluster.json"
    report.write_text(json.dumps({"schema": "lockgate.cluster/1", "hosts": [host(0, "node1", "2.4.6"), host(1, "node2", "2.4.5")]}))
    result = lockgate("diff", f"{report}#node1:0", f"{report}#node2:1")
    assert result.returncode == 1 and "changed" in result.stdout and "2.4.5" in result.stdout
    unnamed = lockgate("diff", str(report), f"{report}#node2:1")
    assert unnamed.returncode == 2 and "name one host as cluster.json#HOST:RANK (node1:0, node2:1)" in unnamed.stderr


def test_a_rank_that_shared_another_ranks_check_diffs_as_that_rank(tmp_path):
    packages = [{"name": "numpy", "status": "matched", "expected": "2.4.6", "found": "2.4.6", "message": ""}]
    hosts = [{"rank": 0, "hostname": "node1", "schema": "lockgate.verify/1", "packages": packages},
             {"rank": 1, "hostname": "node1", "schema": "lockgate.verify/1", "passed": True, "summary": {}, "checked_by": 0}]  # fmt: skip
    report = tmp_path / "cluster.json"
    report.write_text(json.dumps({"schema": "lockgate.cluster/1", "hosts": hosts}))
    result = lockgate("diff", f"{report}#node1:0", f"{report}#node1:1")
    assert result.returncode == 0, result.stdout + result.stderr


def verdicts(lock: Path, venv: Path) -> tuple[bool, bool, str]:
    """``(diff passed, verify passed, diff's text)`` of the same lock and environment."""
    shown = lockgate("diff", str(lock), f"env:{venv}")
    assert shown.returncode in (0, 1), shown.stderr
    verified = lockgate("verify", "-l", str(lock), "--python", str(venv))
    assert verified.returncode in (0, 1), verified.stderr
    return shown.returncode == 0, verified.returncode == 0, shown.stdout


def test_a_lock_against_an_environment_differs_exactly_where_verify_fails(tmp_path, make_venv):
    folder = make_project(tmp_path / "local-dir", "local-dir", "1.0")
    lock = tmp_path / "requirements.txt"
    lock.write_text("alpha==1.0.0 ; python_full_version < '3.8'\nalpha==1.1.0 ; python_full_version >= '3.8'\n"
                    "beta==1.0.0\n./local-dir\n")  # fmt: skip
    venv = make_venv("alpha==1.1.0", "beta==1.0.0", str(folder))
    scenarios = [
        ("in step", lambda: None, True),
        ("an extra distribution", lambda: make_venv.install(venv, "stray==0.1"), True),
        ("a version drifted", lambda: make_venv.install(venv, "alpha==2.0.0"), False),
        ("back in step", lambda: make_venv.install(venv, "alpha==1.1.0"), True),
        ("the folder installed editable", lambda: make_venv.install(venv, "-e", str(folder)), False),
    ]
    for name, change, passes in scenarios:
        change()
        diff_passed, verify_passed, text = verdicts(lock, venv)
        assert diff_passed == verify_passed == passes, (name, text)
        assert "expected" not in text and "FAILED" not in text
    assert f"A {folder}  B 1.0 (-e {folder})  (installed editable" in text  # A is the lock, B the environment


def test_a_uv_lock_against_its_synced_environment_has_no_difference(tmp_path, uv, wheel_index):
    project = tmp_path / "proj"
    project.mkdir()
    (project / "pyproject.toml").write_text('[project]\nname = "proj"\nversion = "0.1"\nrequires-python = ">=3.9"\n'
                                            "dependencies = [\"alpha==1.1.0 ; python_full_version >= '3.9'\", "
                                            "\"gamma ; python_full_version < '3.9'\", 'beta[fast]']\n")  # fmt: skip
    offline = {**os.environ, "UV_OFFLINE": "1", "UV_FIND_LINKS": str(wheel_index), "UV_NO_INDEX": "1", "UV_PYTHON": sys.executable}
    run([uv, "sync", "-q", "--link-mode=copy"], cwd=project, env=offline)
    diff_passed, verify_passed, text = verdicts(project / "uv.lock", project / ".venv")
    assert diff_passed and verify_passed, text
    assert "0 added, 0 removed, 0 changed" in text
    run([uv, "pip", "install", "-q", "--python", str(project / ".venv"), "alpha==1.0.0"], env=offline)
    diff_passed, verify_passed, text = verdicts(project / "uv.lock", project / ".venv")
    assert not diff_passed and not verify_passed and "changed  alpha  A 1.1.0  B 1.0.0  (version)" in text
