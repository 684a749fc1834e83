"""`lockgate verify --integrity`: installed files against their RECORD, in real venvs tampered with."""

from __future__ import annotations

import json
import os
from pathlib import Path

from conftest import lockgate
from wheelmaker import record_hash

from lockgate.verify import verify

LOCK = ("payload==1.0", "alpha==1.1.0", "ns-a==1.0", "ns-b==1.0")


def site_packages(venv: Path) -> Path:
    (site,) = venv.glob("lib/python*/site-packages")
    return site


def write_lock(tmp_path: Path, *lines: str) -> str:
    path = tmp_path / "requirements.txt"
    path.write_text("".join(f"{line}\n" for line in lines))
    return str(path)


def files_of(report, name):
    (finding,) = [f for f in report.findings if f.subject == name]
    return finding, {(item["path"], item["problem"]) for item in (finding.details or {}).get("files", [])}


def test_untouched_venv_passes_with_counts(tmp_path, make_venv):
    venv = make_venv(*LOCK)
    report = verify(write_lock(tmp_path, *LOCK), python=str(venv), integrity=True)
    assert report.passed, [f for f in report.findings if f.status != "matched"]
    assert report.summary()["modified"] == 0 and report.summary()["unverifiable"] == 0
    integrity = report.header["integrity"]
    assert integrity["distributions"] == 4 and integrity["bytes_hashed"] > 2 * 1024 * 1024
    assert integrity["files"] >= 4 + 4 * 3  # payload's modules, script, dist-info files


def test_edited_truncated_deleted_and_unlisted_files(tmp_path, make_venv):
    venv = make_venv(*LOCK, "stray==0.1")
    site = site_packages(venv)
    part0 = site / "payload" / "part0.py"
    data = bytearray(part0.read_bytes())
    data[5] ^= 1  # one byte, same size
    part0.write_bytes(bytes(data))
    (site / "payload" / "part1.py").write_bytes(b"PART")
    (site / "payload" / "part2.py").unlink()
    (site / "payload" / "injected.py").write_text("import os\n")
    (site / "payload" / "__pycache__").mkdir(exist_ok=True)
    (site / "payload" / "__pycache__" / "part3.cpython-311.pyc").write_bytes(b"cache")
    (venv / "bin" / "payload-tool").write_text("#!/bin/sh\necho patched\n")
    (site / "stray" / "__init__.py").write_text("changed\n")  # not locked: not checked
    lock = write_lock(tmp_path, *LOCK)

    report = verify(lock, python=str(venv), integrity=True)
    assert not report.passed
    finding, problems = files_of(report, "payload")
    assert finding.status == "modified" and finding.fails
    assert problems == {
        ("payload/part0.py", "hash"),
        ("payload/part1.py", "size"),
        ("payload/part2.py", "missing"),
        ("payload/injected.py", "unlisted"),
        ("../../../bin/payload-tool", "size"),
    }
    assert files_of(report, "stray")[0].status == "extra"
    assert all(f.status == "matched" for f in report.findings if f.subject in ("alpha", "ns-a", "ns-b"))
    assert any("--reinstall-package=payload" in command for command in report.fix)
    assert files_of(verify(lock, python=str(venv), integrity_all=True), "stray")[0].status == "modified"

    result = lockgate("verify", "-l", lock, "--python", str(venv), "--integrity", "--format", "json")
    assert result.returncode == 1
    data = json.loads(result.stdout)
    (payload,) = [p for p in data["packages"] if p["name"] == "payload"]
    assert payload["status"] == "modified"
    by_path = {item["path"]: item for item in payload["files"]}
    assert set(by_path["payload/part1.py"]) == {"path", "problem", "expected", "found"}
    assert by_path["payload/part1.py"]["found"] == 4 and by_path["payload/part1.py"]["expected"] == 360
    assert by_path["payload/part0.py"]["expected"].startswith("sha256=")
    text = lockgate("verify", "-l", lock, "--python", str(venv), "--integrity").stdout
    assert "modified  payload" in text and "      missing    payload/part2.py  (listed in RECORD, not on disk)" in text


def test_only_unlisted_files_are_reported_not_failing(tmp_path, make_venv):
    venv = make_venv(*LOCK)
    (site_packages(venv) / "payload" / "notes.txt").write_text("left by hand\n")
    report = verify(write_lock(tmp_path, *LOCK), python=str(venv), integrity=True)
    assert report.passed, [f.details for f in report.failures()]
    finding, problems = files_of(report, "payload")
    assert finding.status == "matched" and problems == {("payload/notes.txt", "unlisted")}
    assert finding.message == "files: 1 unlisted"


def test_no_record_is_unverifiable_and_fails_only_with_strict(tmp_path, make_venv):
    venv = make_venv("alpha==1.1.0")
    (site_packages(venv) / "alpha-1.1.0.dist-info" / "RECORD").unlink()
    lock = write_lock(tmp_path, "alpha==1.1.0")
    report = verify(lock, python=str(venv), integrity=True)
    assert report.passed and files_of(report, "alpha")[0].status == "unverifiable"
    assert not verify(lock, python=str(venv), integrity=True, strict=True).passed


def test_paths_out_of_the_environment_are_never_opened(tmp_path, make_venv):
    venv = make_venv("alpha==1.1.0")
    site = site_packages(venv)
    secret = tmp_path / "outside.txt"
    secret.write_text("not the environment's\n")
    record = site / "alpha-1.1.0.dist-info" / "RECORD"
    escape = os.path.relpath(secret, site)
    assert escape.startswith("../../../../")
    with record.open("a") as handle:
        handle.write(f"{escape},{record_hash(secret.read_bytes())},{secret.stat().st_size}\n")
    module = site / "alpha" / "__init__.py"
    module.unlink()
    module.symlink_to(secret)  # a listed file replaced by a link out of the prefix
    report = verify(write_lock(tmp_path, "alpha==1.1.0"), python=str(venv), integrity=True)
    finding, problems = files_of(report, "alpha")
    assert problems == {(escape, "outside"), ("alpha/__init__.py", "outside")}
    assert finding.status == "matched"  # reported; what lies outside is not this environment's


def test_a_symlink_inside_the_environment_is_followed(tmp_path, make_venv):
    venv = make_venv("alpha==1.1.0")
    module = site_packages(venv) / "alpha" / "__init__.py"
    copy = venv / "alpha-init-copy.py"
    copy.write_bytes(module.read_bytes())
    module.unlink()
    module.symlink_to(copy)
    report = verify(write_lock(tmp_path, "alpha==1.1.0"), python=str(venv), integrity=True)
    assert report.passed and files_of(report, "alpha")[1] == set()
    copy.write_text("patched\n")
    assert files_of(verify(write_lock(tmp_path, "alpha==1.1.0"), python=str(venv), integrity=True), "alpha")[0].status == "modified"


def test_run_gate_refuses_a_patched_environment(tmp_path, make_venv):
    venv = make_venv("alpha==1.1.0")
    (site_packages(venv) / "alpha" / "__init__.py").write_text("__version__ = 'patched'\n")
    lock = write_lock(tmp_path, "alpha==1.1.0")
    marker = tmp_path / "ran"
    result = lockgate("run", "--verify-lockfile", lock, "--python", str(venv), "--integrity", "--jobs", "1",
                      "--", "touch", str(marker))  # fmt: skip
    assert result.returncode == 1 and not marker.exists()
    assert "modified" in result.stderr and "alpha/__init__.py" in result.stderr
    assert lockgate("run", "--verify-lockfile", lock, "--python", str(venv), "--", "touch", str(marker)).returncode == 0


def test_dangling_symlink_and_fifo_are_file_problems_not_aborts(tmp_path, make_venv):
    venv = make_venv(*LOCK)
    site = site_packages(venv)
    (site / "payload" / "dangling.py").symlink_to(tmp_path / "nowhere.py")  # unlisted, points nowhere
    listed = site / "payload" / "part3.py"
    listed.unlink()
    os.mkfifo(listed)  # listed in RECORD; opening it for reading would wait forever
    result = lockgate("verify", "-l", write_lock(tmp_path, *LOCK), "--python", str(venv), "--integrity", "--format", "json")
    assert result.returncode == 1, result.stderr
    (payload,) = [p for p in json.loads(result.stdout)["packages"] if p["name"] == "payload"]
    problems = {(item["path"], item["problem"], item["found"]) for item in payload["files"]}
    assert ("payload/part3.py", "unreadable", "not a regular file") in problems
    assert any(path == "payload/dangling.py" and problem == "unlisted" for path, problem, _ in problems)


def test_nothing_outside_the_prefix_is_read_through_symlinked_record_metadata_or_folders(tmp_path, make_venv):
    venv = make_venv(*LOCK)
    site = site_packages(venv)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.py").write_text("SECRET = 1\n")
    (site / "alpha-1.1.0.dist-info" / "RECORD").rename(outside / "RECORD")
    (site / "alpha-1.1.0.dist-info" / "RECORD").symlink_to(outside / "RECORD")
    (site / "ns").rename(tmp_path / "ns-moved")
    (site / "ns").symlink_to(tmp_path / "ns-moved")  # a top folder that leads out of the venv
    (tmp_path / "ns-moved" / "planted.py").write_text("x = 1\n")
    report = verify(write_lock(tmp_path, *LOCK), python=str(venv), integrity=True)
    alpha, files = files_of(report, "alpha")
    assert alpha.status == "modified" and alpha.fails
    assert ("alpha-1.1.0.dist-info/RECORD", "unreadable") in files
    every = {item["path"] for f in report.findings for item in (f.details or {}).get("files", [])}
    assert not any("planted" in path for path in every)  # the symlinked folder was not walked


def test_worker_processes_find_exactly_what_one_thread_finds(tmp_path, make_venv, monkeypatch):
    """Every problem kind (hash, size, missing, unreadable, outside, unlisted), checked by forked
    worker processes and by one thread: the same report, file for file."""
    from lockgate.env import integrity

    venv = make_venv(*LOCK)
    site = site_packages(venv)
    (site / "payload" / "part0.py").write_bytes(b"PART = 9\n" * 40)  # same size class, other bytes
    (site / "payload" / "part1.py").write_bytes(b"PART")
    (site / "payload" / "part2.py").unlink()
    os.mkfifo(site / "payload" / "part2.py.fifo")
    (site / "payload" / "part3.py").unlink()
    os.mkfifo(site / "payload" / "part3.py")
    (site / "payload" / "injected.py").write_text("import os\n")
    outside = tmp_path / "outside.py"
    outside.write_text("elsewhere\n")
    (site / "alpha" / "__init__.py").unlink()
    (site / "alpha" / "__init__.py").symlink_to(outside)
    lock = write_lock(tmp_path, *LOCK)

    def problems(jobs):
        report = verify(lock, python=str(venv), integrity=True, jobs=jobs)
        return {f.subject: (f.status, (f.details or {}).get("files")) for f in report.findings}

    serial = problems(1)
    forked = []
    monkeypatch.setattr(integrity, "_PROCESS_FILES", 1)
    monkeypatch.setattr(integrity, "usable_cores", lambda: 4)
    monkeypatch.setattr(integrity, "_check_in_processes", lambda *a, _real=integrity._check_in_processes: forked.append(1) or _real(*a))
    assert problems(3) == serial and forked
    kinds = {item["problem"] for _, files in serial.values() for item in files or []}
    assert kinds == {"hash", "size", "missing", "unreadable", "outside", "unlisted"}


def test_a_record_in_hex_as_debian_writes_it_checks_the_same_files(tmp_path, make_venv):
    import base64
    import hashlib

    venv = make_venv(*LOCK)
    site = site_packages(venv)
    (record,) = site.glob("payload-1.0.dist-info/RECORD")

    def as_hex(row: str) -> str:
        path, hashed, size = row.rsplit(",", 2)
        if not hashed.startswith("sha256="):
            return row
        raw = base64.urlsafe_b64decode(hashed[len("sha256=") :] + "==")
        return f"{path},sha256={raw.hex()},{size}"

    record.write_text("\n".join(as_hex(row) for row in record.read_text().splitlines()) + "\n")
    lock = write_lock(tmp_path, *LOCK)
    assert verify(lock, python=str(venv), integrity=True).passed
    (site / "payload" / "part0.py").write_bytes(b"PART = 9\n" * 40)  # same size as PART = 0 lines
    finding, problems = files_of(verify(lock, python=str(venv), integrity=True), "payload")
    assert finding.status == "modified" and problems == {("payload/part0.py", "hash")}
    assert hashlib.sha256((site / "payload" / "part1.py").read_bytes()).hexdigest() in record.read_text()
