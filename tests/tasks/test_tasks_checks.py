"""Task-lock checks that cannot be fooled: `tasks check` checks checksums, a read-only checkout
is checked, `tasks outdated` sees gone tasks and newer tags, relocks say what moved, and a
missing task is one finding."""

from __future__ import annotations

import errno
import json
import os
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import lockgate, run
from taskmaker import write_task

from lockgate.cli import main

GIT = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", "-c", "init.defaultBranch=main"]


def git(work: Path, *args: str) -> str:
    return run([*GIT, "-C", str(work), *args]).stdout.strip()


@pytest.fixture
def demo(tmp_path) -> Path:
    """A project whose workflow uses app, which needs util; both locked."""
    write_task(tmp_path / "tasks", "app", "1.0.0", [("util", "^1")])
    write_task(tmp_path / "tasks", "util", "1.0.0")
    (tmp_path / "workflows").mkdir()
    (tmp_path / "workflows" / "demo.yaml").write_text('name: demo\nversion: "1.0.0"\ntasks:\n  go:\n    uses: "app@^1.0"\n')
    assert lockgate("tasks", "lock", "--workflow", "workflows/demo.yaml", cwd=tmp_path).returncode == 0
    return tmp_path


@pytest.mark.parametrize("edited", ["app", "util"])
def test_tasks_check_fails_a_task_edited_since_it_was_locked(demo, edited):
    assert lockgate("tasks", "check", "workflows/demo.yaml", cwd=demo).returncode == 0
    path = demo / "tasks" / f"{edited}-1.0.0.task.yaml"
    path.write_text(path.read_text().replace(f"description: do {edited}", f"description: do {edited}\n    max_turns: 99"))
    checked = lockgate("tasks", "check", "workflows/demo.yaml", cwd=demo)
    assert checked.returncode == 1, checked.stdout
    assert f"workflows/demo.yaml:5: uses app@^1.0: the locked {edited}@1.0.0 cannot be used" in checked.stdout
    assert f"{edited}-1.0.0.task.yaml does not match the lock's checksum" in checked.stdout


def _read_only(monkeypatch, folder: Path) -> None:
    """Every write under ``folder`` fails as on a read-only mount (EROFS): root ignores file
    modes, so this stands in for ``mount -o bind,ro``."""
    inside = os.path.join(os.path.realpath(folder), "")
    real_open = os.open

    def refuse(path, flags, *args, **kwargs):
        if os.path.realpath(os.path.join(os.getcwd(), path)).startswith(inside) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), path)
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)


def test_a_read_only_checkout_is_checked_and_no_lock_file_is_left(demo, monkeypatch, capsys):
    monkeypatch.chdir(demo)
    _read_only(monkeypatch, demo)
    with pytest.raises(OSError):
        os.open("probe", os.O_CREAT | os.O_WRONLY)  # the stand-in works
    for command in (["lock", "--frozen"], ["verify"], ["status"]):
        assert main(["tasks", *command]) == 0, capsys.readouterr()
    assert sorted(p.name for p in demo.iterdir()) == ["tasks", "tasks.lock.yaml", "workflows"]


def test_a_missing_task_is_one_missing_finding(demo):
    write_task(demo / "tasks", "audit", "1.0.0")
    (demo / "lockgate.toml").write_text('[tasks]\nroots = ["app@^1.0", "audit@^1"]\n')  # a new root the lock lacks
    report = json.loads(lockgate("tasks", "verify", "--format", "json", cwd=demo).stdout)
    failing = {finding["name"]: finding["status"] for finding in report["tasks"] if finding["status"] != "matched"}
    assert failing == {"audit": "missing"}  # no dependency_mismatch on (roots) besides
