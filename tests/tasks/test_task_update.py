"""`lockgate tasks update [NAME...] [--policy]`: only the named tasks move, and no further than
the policy allows (Cargo's ``cargo update -p``, periplon's VersionUpdatePolicy)."""

from __future__ import annotations

import yaml
from conftest import lockgate
from taskmaker import write_task


def locked_versions(project) -> dict[str, str]:
    return {name: task["version"] for name, task in yaml.safe_load((project / "tasks.lock.yaml").read_text())["tasks"].items()}


def two_tasks(tmp_path):
    """app@1.0.0 and util@1.0.0, both roots, locked; then 1.0.1, 1.1.0 and 2.0.0 of each appear."""
    tasks = tmp_path / "tasks"
    for name in ("app", "util"):
        write_task(tasks, name, "1.0.0")
    (tmp_path / "lockgate.toml").write_text('[tasks]\nroots = ["app@*", "util@*"]\n\n[[tasks.sources]]\ntype = "local"\npath = "tasks"\n')
    assert lockgate("tasks", "lock", cwd=tmp_path).returncode == 0
    for name in ("app", "util"):
        for version in ("1.0.1", "1.1.0", "2.0.0"):
            write_task(tasks, name, version)
    return tmp_path


def test_update_name_moves_only_that_task(tmp_path):
    project = two_tasks(tmp_path)
    result = lockgate("tasks", "update", "app", cwd=project)
    assert result.returncode == 0, result.stderr
    assert locked_versions(project) == {"app": "2.0.0", "util": "1.0.0"}
    assert lockgate("tasks", "update", cwd=project).returncode == 0
    assert locked_versions(project) == {"app": "2.0.0", "util": "2.0.0"}


def test_policy_patch_refuses_a_minor_bump_the_constraints_allow(tmp_path):
    project = two_tasks(tmp_path)
    assert lockgate("tasks", "update", "--policy", "patch", cwd=project).returncode == 0
    assert locked_versions(project) == {"app": "1.0.1", "util": "1.0.1"}
    assert lockgate("tasks", "update", "util", "--policy", "minor", cwd=project).returncode == 0
    assert locked_versions(project) == {"app": "1.0.1", "util": "1.1.0"}
    assert lockgate("tasks", "update", "--policy", "major", cwd=project).returncode == 0
    assert locked_versions(project) == {"app": "2.0.0", "util": "2.0.0"}


def test_a_policy_the_constraints_cannot_meet_says_so(tmp_path):
    project = two_tasks(tmp_path)
    config = project / "lockgate.toml"
    config.write_text(config.read_text().replace('"app@*"', '"app@^1.1"'))
    result = lockgate("tasks", "update", "app", "--policy", "patch", cwd=project)
    assert result.returncode == 2
    assert "no version of app satisfies ^1.1" in result.stderr and "--policy patch keeps app >=1.0.0-0, <1.1.0-0" in result.stderr
    assert locked_versions(project) == {"app": "1.0.0", "util": "1.0.0"}  # the lock is left as it was


def test_update_of_a_name_that_is_not_locked_is_refused(tmp_path):
    project = two_tasks(tmp_path)
    result = lockgate("tasks", "update", "nope", cwd=project)
    assert result.returncode == 2 and "nope not in" in result.stderr and "locked: app, util" in result.stderr
