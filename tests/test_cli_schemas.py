"""Every JSON lockgate prints or writes validates against the schema it ships (lockgate schema NAME)."""

from __future__ import annotations

import json

import pytest
from conftest import lockgate
from jsonschema import Draft202012Validator

from lockgate.generate import check


def schema(name: str) -> Draft202012Validator:
    result = lockgate("schema", name)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    Draft202012Validator.check_schema(document)
    return Draft202012Validator(document)


def valid(name: str, data: dict) -> None:
    errors = sorted(schema(name).iter_errors(data), key=str)
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]


@pytest.fixture
def drifted(tmp_path, make_venv):
    venv = make_venv("alpha==1.1.0", "payload==1.0")
    lock = tmp_path / "requirements.txt"
    lock.write_text("alpha==2.0.0\npayload==1.0\ngamma==0.5\nepsilon==0.9 ; sys_platform == 'win32'\n")
    return venv, lock


def test_verify_and_diff_and_attestation(tmp_path, drifted):
    venv, lock = drifted
    for extra in ([], ["--integrity", "--cpu-only", "--strict"]):
        result = lockgate("verify", "-l", str(lock), "--python", str(venv), "--format", "json", *extra)
        assert result.returncode == 1
        valid("lockgate.verify/1", json.loads(result.stdout))
    diff = lockgate("diff", str(lock), f"env:{venv}", "--format", "json")
    valid("diff", json.loads(diff.stdout))
    record = tmp_path / "attestation.json"
    good = tmp_path / "good.txt"
    good.write_text("alpha==1.1.0\n")
    ran = lockgate("run", "--verify-lockfile", str(good), "--record", str(record), "--", str(venv / "bin" / "python"), "-c", "pass")
    assert ran.returncode == 0, ran.stderr
    attestation = json.loads(record.read_text())
    valid("run", attestation["predicate"])
    valid("verify", attestation["predicate"]["verify"])
    checked = lockgate("attest", "verify", str(record), "--format", "json")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    valid("attest.verify", json.loads(checked.stdout))
    refused = lockgate("attest", "verify", str(record), "--lock", str(lock), "--format", "json")
    assert refused.returncode == 1
    valid("attest.verify", json.loads(refused.stdout))


def test_tasks_verify_registry_and_generate_check(tmp_path, wheel_index):
    from taskmaker import write_task

    write_task(tmp_path / "tasks", "app", "1.0.0", [("util", "^1")])
    write_task(tmp_path / "tasks", "util", "1.0.0")
    assert lockgate("tasks", "lock", "app@^1", cwd=tmp_path).returncode == 0
    valid("tasks.verify", json.loads(lockgate("tasks", "verify", "--format", "json", cwd=tmp_path).stdout))
    valid("tasks.outdated", json.loads(lockgate("tasks", "outdated", "--format", "json", cwd=tmp_path).stdout))
    valid("tasks.status", json.loads(lockgate("tasks", "status", "--format", "json", cwd=tmp_path).stdout))
    (tmp_path / "tasks" / "util-1.0.0.task.yaml").unlink()  # stale, and util gone
    stale = lockgate("tasks", "status", "--format", "json", cwd=tmp_path)
    assert stale.returncode == 1 and json.loads(stale.stdout)["fresh"] is False
    valid("tasks.status", json.loads(stale.stdout))
    valid("tasks.outdated", json.loads(lockgate("tasks", "outdated", "--format", "json", cwd=tmp_path).stdout))
    assert lockgate("tasks", "publish", "tasks", "--registry-dir", "reg", cwd=tmp_path).returncode == 0
    valid("registry", json.loads((tmp_path / "reg" / "index.json").read_text()))
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "1"\ndependencies = ["alpha"]\n')
    assert lockgate("generate", "--no-index", "--find-links", str(wheel_index), cwd=tmp_path).returncode == 0
    valid("generate.check", check(str(tmp_path / "requirements.txt")).to_dict())


def test_cluster_report():
    from lockgate.gate.cluster_report import ClusterReport, IntegrityTotals, RankResult

    packages = [{"name": "numpy", "status": "mismatched", "expected": "2", "found": "1", "message": ""}]
    verify = {"schema": "lockgate.verify/1", "passed": False, "summary": {}, "packages": packages}
    results = [RankResult(rank, "h", "/p", summary={"mismatched": 1}, fingerprint="sha256:" + "0" * 64, distributions={"numpy": "1"},
                          verify=verify, fix=["uv pip install -r L"], failing=["numpy"]) for rank in range(2)]  # fmt: skip
    valid("cluster", ClusterReport(results).to_dict())
    results[1] = results[1].replace(checked_by=0)
    valid("cluster", ClusterReport(results, groups=[{"leader": 0, "ranks": [0, 1], "python": "/p", "fingerprint": None}],
                                   integrity=IntegrityTotals(10, 2, 0.1), traffic={"rank0_bytes_gathered": 100}).to_dict())  # fmt: skip


def test_an_unknown_schema_lists_the_known_ones():
    result = lockgate("schema", "nope")
    assert result.returncode == 2 and "lockgate.verify/1" in result.stderr
