"""Task-lock checks that cannot be fooled: `tasks check` checks checksums, a read-only checkout
is checked, `tasks outdated` sees gone tasks and newer tags, relocks say what moved, and a
missing task is one finding."""

from __future__ import annotations

import errno
import json
import os
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


@pytest.fixture
def tagged_repo(tmp_path) -> tuple[Path, Path]:
    """``(work, bare)``: util 1.0.0 under ``catalog/`` at tag v1.0.0."""
    work = tmp_path / "work"
    write_task(work / "catalog", "util", "1.0.0")
    run([*GIT, "init", "-q", str(work)])
    git(work, "add", "-A")
    git(work, "commit", "-qm", "1.0.0")
    git(work, "tag", "v1.0.0")
    bare = tmp_path / "tasks.git"
    run(["git", "clone", "-q", "--bare", str(work), str(bare)])
    git(work, "remote", "add", "origin", str(bare))
    return work, bare


def tag(work: Path, version: str) -> None:
    """A release upstream: the task file at ``version`` (alone), committed, tagged and pushed."""
    for old in (work / "catalog").iterdir():
        old.unlink()
    write_task(work / "catalog", "util", version)
    git(work, "add", "-A")
    git(work, "commit", "-qm", version)
    git(work, "tag", f"v{version}")
    git(work, "push", "-q", "origin", "main", "--tags")


def test_outdated_fetches_git_tags_and_offline_keeps_to_the_cache(tmp_path, tagged_repo):
    work, bare = tagged_repo
    project = tmp_path / "project"
    project.mkdir()
    assert lockgate("tasks", "lock", "util@^1", "--source-git", f"{bare}@v1.0.0#catalog", cwd=project).returncode == 0
    for version in ("1.1.0", "1.2.0", "2.0.0"):
        tag(work, version)
    offline = lockgate("tasks", "outdated", "--offline", cwd=project)
    assert offline.returncode == 0 and offline.stdout.splitlines()[1].split() == ["util", "1.0.0", "1.0.0", "1.0.0", "none"]
    fetched = lockgate("tasks", "outdated", cwd=project)
    assert fetched.returncode == 0, fetched.stderr
    assert fetched.stdout.splitlines()[1].split() == ["util", "1.0.0", "1.2.0", "2.0.0", "major!"]


def test_outdated_says_a_task_is_gone(demo):
    (demo / "tasks" / "util-1.0.0.task.yaml").unlink()
    result = lockgate("tasks", "outdated", cwd=demo)
    assert result.returncode == 1
    assert result.stdout.splitlines()[2].split() == ["util", "1.0.0", "-", "-", "gone"]


def locked_from_main(tmp_path, bare):
    """A project whose lockgate.toml locks util@^1 from ``bare``'s main branch, locked."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "lockgate.toml").write_text(
        f'[tasks]\nroots = ["util@^1"]\n\n[[tasks.sources]]\ntype = "git"\nurl = "{bare}"\nref = "main"\nsubpath = "catalog"\n'
    )
    assert lockgate("tasks", "lock", cwd=project).returncode == 0
    return project


def test_update_and_lock_print_what_moved(tmp_path, tagged_repo):
    work, bare = tagged_repo
    project = locked_from_main(tmp_path, bare)
    tag(work, "1.1.0")
    updated = lockgate("tasks", "update", cwd=project)
    assert updated.returncode == 0 and "  util 1.0.0 -> 1.1.0 (upgrade)\n" in updated.stdout, updated.stdout
    git(work, "reset", "-q", "--hard", "v1.0.0")  # 1.1.0 withdrawn: main force-pushed back, its tag deleted
    git(work, "push", "-q", "--force", "origin", "main")
    git(work, "push", "-q", "origin", ":refs/tags/v1.1.0")
    run(["git", "-C", str(bare), "reflog", "expire", "--expire=now", "--all"])
    run(["git", "-C", str(bare), "gc", "-q", "--prune=now"])
    downgraded = lockgate("tasks", "update", cwd=project)
    assert downgraded.returncode == 0, downgraded.stderr
    assert "  util 1.1.0 -> 1.0.0 (downgrade: commit " in downgraded.stdout and "force-pushed away)" in downgraded.stdout
    write_task(tmp_path / "extra", "audit", "1.0.0")
    added = lockgate("tasks", "lock", "util@^1", "audit@^1", "--source", str(tmp_path / "extra"), cwd=project)
    assert "  adding audit 1.0.0\n" in added.stdout, added.stdout


def test_a_commit_force_pushed_away_is_named_so_by_verify(tmp_path, tagged_repo, monkeypatch):
    work, bare = tagged_repo
    project = locked_from_main(tmp_path, bare)
    git(work, "commit", "-q", "--amend", "-m", "rewritten")  # same tree, another commit
    git(work, "push", "-q", "--force", "origin", "main")
    git(work, "push", "-q", "origin", ":refs/tags/v1.0.0")
    run(["git", "-C", str(bare), "reflog", "expire", "--expire=now", "--all"])
    run(["git", "-C", str(bare), "gc", "-q", "--prune=now"])
    monkeypatch.setenv("LOCKGATE_CACHE_DIR", str(tmp_path / "new-cache"))  # another host: a fresh clone
    verify = lockgate("tasks", "verify", cwd=project)
    assert verify.returncode == 1
    assert "source_mismatch  util" in verify.stdout and "is gone (force-pushed away?); run lockgate tasks lock" in verify.stdout, verify.stdout
    assert "checksum_failed  util" not in verify.stdout


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("ref: 123", "tasks.util.source.ref: must be text (quote it), not int"),
        ("checksum: 5", "tasks.util.checksum: must be text (sha256:HEX), not int"),
        ("dependencies: {x: 2.1}", "tasks.util.dependencies.x: must be text (quote it), not float"),
        ("generated_by: 7", "generated_by: must be text, not int"),
    ],
)
def test_every_lock_field_has_one_type(tmp_path, written, message):
    key, _, value = written.partition(": ")
    source = {"type": "git", "url": str(tmp_path / "absent.git"), "ref": "main", "subpath": "", "path": "util.task.yaml"}
    entry = {"version": "1.0.0", "checksum": "sha256:00", "source": source, "dependencies": {}}
    document = {"version": "1.1.0", "generated_by": "lockgate", "roots": [], "tasks": {"util": entry}}
    parsed = yaml.safe_load(f"{key}: {value}")[key]
    if key == "ref":
        source["ref"] = parsed
    elif key == "generated_by":
        document["generated_by"] = parsed
    else:
        entry[key] = parsed
    (tmp_path / "tasks.lock.yaml").write_text(yaml.safe_dump(document))
    result = lockgate("tasks", "verify", cwd=tmp_path)
    assert result.returncode == 2 and message in result.stderr and len(result.stderr.splitlines()) == 1, result.stderr
