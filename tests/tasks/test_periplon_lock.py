"""periplon's tasks.lock.yaml exactly as periplon's documentation prints it
(../shared/corpus/periplon/doc-example.tasks.lock.yaml): read where periplon reads its paths,
recognized as periplon's, and adopted by ``tasks lock``."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from conftest import lockgate, run

GIT = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", "-c", "init.defaultBranch=main"]
ORG_TASKS = "https://github.com/org/tasks.git"  # the doc lock's git source, served from a fixture


AUTH_HELPER = """apiVersion: "task/v1"
kind: "PredefinedTask"
metadata:
  name: "auth-helper"
  version: "{version}"
  description: "Authentication helper"
  author: "Example Author"
  license: "MIT"
spec:
  agent_template:
    description: "authenticate"
"""


@pytest.fixture
def org_tasks(tmp_path, monkeypatch) -> tuple[Path, Path]:
    """``(work, bare)``: auth-helper 2.1.0 under ``auth-helper/`` at tag v2.1.0 of a local repository that
    git reaches for the doc lock's https://github.com/org/tasks.git (``url.insteadOf`` in the environment)."""
    work = tmp_path / "org-tasks"
    (work / "auth-helper").mkdir(parents=True)
    (work / "auth-helper" / "auth-helper.task.yaml").write_text(AUTH_HELPER.format(version="2.1.0"))
    run([*GIT, "init", "-q", str(work)])
    run([*GIT, "-C", str(work), "add", "-A"])
    run([*GIT, "-C", str(work), "commit", "-qm", "auth-helper 2.1.0"])
    run([*GIT, "-C", str(work), "tag", "v2.1.0"])
    bare = tmp_path / "org-tasks.git"
    run(["git", "clone", "-q", "--bare", str(work), str(bare)])
    for name, value in {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": f"url.{bare.as_uri()}.insteadOf", "GIT_CONFIG_VALUE_0": ORG_TASKS}.items():
        monkeypatch.setenv(name, value)
    return work, bare


@pytest.fixture
def periplon_project(tmp_path, corpus, org_tasks) -> Path:
    """periplon's documented project: ``.claude/tasks.lock.yaml`` as its docs print it and its task
    file in ``.claude/tasks`` (given the dependency on auth-helper that the doc lock records)."""
    project = tmp_path / "project"
    tasks = project / ".claude" / "tasks"
    tasks.mkdir(parents=True)
    shutil.copy(corpus / "periplon" / "doc-example.tasks.lock.yaml", project / ".claude" / "tasks.lock.yaml")
    upload = (corpus / "periplon" / "google-drive-upload.task.yaml").read_text()
    (tasks / "google-drive-upload.task.yaml").write_text(upload + '  dependencies:\n    - name: auth-helper\n      version: "^2.1.0"\n')
    return project


def test_the_documented_lock_reads_its_paths_from_the_project_and_says_once_that_it_is_periplons(periplon_project):
    verify = lockgate("tasks", "verify", cwd=periplon_project)
    assert verify.returncode == 1, verify.stderr
    lines = [line for line in verify.stdout.splitlines()[2:]]
    assert len(lines) == 1 and "(periplon)" in lines[0], verify.stdout  # no "is gone", no per-task checksum lines
    assert "checksums written by periplon@0.1.0 cannot be re-derived" in lines[0] and "lockgate tasks lock" in lines[0]
    assert "constraints changed" not in verify.stdout and "source_mismatch" not in verify.stdout
    status = lockgate("tasks", "status", cwd=periplon_project)
    assert status.returncode == 1 and status.stdout.splitlines()[1:] == [
        "  checksums written by periplon@0.1.0 cannot be re-derived (periplon hashes its Rust task struct); adopt the lock with: lockgate tasks lock"
    ]


def test_tasks_lock_adopts_the_documented_lock(periplon_project):
    lockfile = periplon_project / ".claude" / "tasks.lock.yaml"
    frozen = lockgate("tasks", "lock", "--frozen", cwd=periplon_project)
    assert frozen.returncode == 1 and "periplon@0.1.0" in frozen.stderr
    adopted = lockgate("tasks", "lock", cwd=periplon_project)
    assert adopted.returncode == 0, adopted.stderr
    assert "adopted periplon@0.1.0's lock: versions and sources kept, checksums recomputed" in adopted.stdout
    assert "roots recorded: google-drive-upload@^1.2.0" in adopted.stdout
    lock = yaml.safe_load(lockfile.read_text())
    assert lock["roots"] == ["google-drive-upload@^1.2.0"]
    assert {name: task["version"] for name, task in lock["tasks"].items()} == {"auth-helper": "2.1.0", "google-drive-upload": "1.2.0"}
    assert lock["tasks"]["google-drive-upload"]["source"] == {"type": "local", "path": "tasks/google-drive-upload.task.yaml"}
    helper = lock["tasks"]["auth-helper"]["source"]
    assert (helper["url"], helper["ref"], helper["subpath"]) == (ORG_TASKS, "v2.1.0", "auth-helper")
    assert all(task["checksum"].startswith("sha256:") and len(task["checksum"]) == 71 for task in lock["tasks"].values())
    assert lockgate("tasks", "verify", cwd=periplon_project).returncode == 0
    assert lockgate("tasks", "status", cwd=periplon_project).returncode == 0


def test_dot_slash_and_plain_paths_are_one_path_at_the_project_root(periplon_project):
    (periplon_project / ".claude" / "tasks.lock.yaml").rename(periplon_project / "tasks.lock.yaml")  # the lock at the top
    verify = lockgate("tasks", "verify", cwd=periplon_project)
    assert "source_mismatch" not in verify.stdout.replace("0 source mismatch", "") and "is gone" not in verify.stdout, verify.stdout
    assert "2 matched" in verify.stdout


def test_groups_are_found_where_periplons_group_loader_looks_whatever_task_sources_lists(tmp_path):
    from taskmaker import write_group, write_task

    write_task(tmp_path / "mytasks", "step", "1.0.0")
    write_group(tmp_path / ".claude" / "task-groups", "suite", "1.0.0", tasks=[("step", "^1")])
    (tmp_path / ".claude" / "task-sources.yaml").write_text("sources:\n  - {type: local, name: mine, path: ./mytasks, priority: 10}\n")
    (tmp_path / "wf.yaml").write_text('name: wf\nversion: "1.0.0"\nimports:\n  qa: "suite@^1.0"\ntasks:\n  run:\n    uses_workflow: "qa:main"\n')
    result = lockgate("tasks", "lock", "--workflow", "wf.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lock = yaml.safe_load((tmp_path / ".claude" / "tasks.lock.yaml").read_text())
    assert lock["groups"]["suite"]["source"]["path"] == "task-groups/suite-1.0.0.taskgroup.yaml" and "step" in lock["tasks"]
    missing = lockgate("tasks", "lock", "nothing@^1", cwd=tmp_path)
    assert missing.returncode == 2 and "(local mytasks, local .claude/task-groups (task groups)" in missing.stderr  # no ././


def test_a_group_named_without_its_prefix_and_an_empty_version(tmp_path):
    from taskmaker import write_group, write_task

    write_task(tmp_path / "tasks", "step", "1.0.0")
    write_group(tmp_path / "tasks", "my-group", "1.0.0", tasks=[("step", "^1")])
    bare = lockgate("tasks", "lock", "my-group@1.0.0", cwd=tmp_path)
    assert bare.returncode == 2
    assert "my-group is a task group (" in bare.stderr and "my-group-1.0.0.taskgroup.yaml): write group:my-group@1.0.0" in bare.stderr
    empty = lockgate("tasks", "lock", "step@", cwd=tmp_path)
    assert empty.returncode == 2 and "task reference 'step@': no version after @" in empty.stderr
    assert not (tmp_path / "tasks.lock.yaml").exists()


def test_a_disabled_source_in_lockgate_toml_is_skipped(tmp_path):
    from taskmaker import write_task

    write_task(tmp_path / "stable", "app", "1.0.0")
    write_task(tmp_path / "beta", "app", "1.5.0")
    (tmp_path / "lockgate.toml").write_text('[[tasks.sources]]\npath = "stable"\n\n[[tasks.sources]]\npath = "beta"\npriority = 5\nenabled = false\n')
    result = lockgate("tasks", "lock", "app@^1", cwd=tmp_path)
    assert result.returncode == 0 and "warning" not in result.stderr, result.stderr
    assert yaml.safe_load((tmp_path / "tasks.lock.yaml").read_text())["tasks"]["app"]["version"] == "1.0.0"
    (tmp_path / "lockgate.toml").write_text('[[tasks.sources]]\npath = "stable"\nenabled = "no"\n')
    assert "tasks.sources[0].enabled: must be true or false" in lockgate("tasks", "lock", "app@^1", cwd=tmp_path).stderr


def test_tasks_check_with_periplons_lock_says_to_adopt_it(periplon_project):
    workflow = periplon_project / "wf.yaml"
    workflow.write_text('name: wf\nversion: "1.0.0"\ntasks:\n  up:\n    uses: "google-drive-upload@^1.2"\n')
    checked = lockgate("tasks", "check", str(workflow), cwd=periplon_project)
    assert checked.returncode == 1 and "checksums written by periplon@0.1.0 cannot be re-derived" in checked.stdout, checked.stdout
    assert lockgate("tasks", "lock", cwd=periplon_project).returncode == 0
    assert lockgate("tasks", "check", str(workflow), cwd=periplon_project).returncode == 0


def test_the_corpus_files_as_they_are_adopt_without_reaching_a_repository_no_task_needs(tmp_path, corpus, monkeypatch):
    """The corpus task file needs no auth-helper (the doc lock says it does): adopting drops it,
    and nothing reaches for its git repository, which here cannot be reached at all."""
    nowhere = tmp_path / "no-such-repository"
    for name, value in {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": f"url.{nowhere.as_uri()}/.insteadOf", "GIT_CONFIG_VALUE_0": "https://github.com/"}.items():
        monkeypatch.setenv(name, value)
    project = tmp_path / "project"
    (project / ".claude" / "tasks").mkdir(parents=True)
    shutil.copy(corpus / "periplon" / "doc-example.tasks.lock.yaml", project / ".claude" / "tasks.lock.yaml")
    shutil.copy(corpus / "periplon" / "google-drive-upload.task.yaml", project / ".claude" / "tasks")
    offline = lockgate("-v", "tasks", "verify", "--offline", cwd=project)
    assert offline.returncode == 1 and "clone" not in offline.stderr  # --offline: the cache only
    assert "https://github.com/org/tasks.git is not in the cache and --offline forbids fetching it" in offline.stdout
    online = lockgate("tasks", "verify", cwd=project)
    assert online.returncode == 1 and "git clone failed (exit 128); fatal:" in online.stdout  # git's own reason
    adopted = lockgate("-v", "tasks", "lock", cwd=project)
    assert adopted.returncode == 0, adopted.stdout + adopted.stderr
    assert "clone" not in adopted.stderr and "removing auth-helper 2.1.0" in adopted.stdout
    assert lockgate("tasks", "verify", cwd=project).returncode == 0
