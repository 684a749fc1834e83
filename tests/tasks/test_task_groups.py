"""periplon's task groups (taskgroup/v1): locked beside tasks, imported by workflows, checked
with `tasks check`; and periplon's own rules for task files."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml
from conftest import lockgate
from taskmaker import write_group, write_task

from lockgate.errors import LockgateError
from lockgate.tasks.definition import load_task
from lockgate.tasks.lockfile import read_task_lock

WORKFLOW = """\
name: "release"
version: "1.0.0"
imports:
  suite: "delivery-suite@^2.0"
tasks:
  prepare:
    uses: "packer@^1.0"
  ship:
    uses_workflow: "suite:ship-it"
"""


def _project(tmp_path):
    """.claude/tasks and .claude/task-groups, periplon's places: a group with a required task, an
    optional task that exists and one that does not, and a group it depends on."""
    tasks, groups = tmp_path / ".claude" / "tasks", tmp_path / ".claude" / "task-groups"
    write_task(tasks, "uploader", "2.1.0")
    write_task(tasks, "uploader", "3.0.0")
    write_task(tasks, "notifier", "1.4.0")
    write_task(tasks, "packer", "1.2.0")
    write_task(tasks, "auditor", "0.9.0")
    write_group(groups, "audit-kit", "1.1.0", tasks=[("auditor", "^0.9")])
    write_group(groups, "delivery-suite", "2.3.0", tasks=[("uploader", "^2.0"), ("notifier", "^1.0", False), ("tracer", "^1.0", False)],
                groups=[("audit-kit", "^1.0")], workflows=["ship-it", "dry-run"])  # fmt: skip
    return tmp_path


def test_a_group_locks_with_its_required_and_optional_tasks_beside_the_tasks(tmp_path):
    project = _project(tmp_path)
    locked = lockgate("tasks", "lock", "group:delivery-suite@^2.0", cwd=project)
    assert locked.returncode == 0, locked.stderr
    assert "(3 tasks, 2 task groups)" in locked.stdout
    document = yaml.safe_load((project / ".claude" / "tasks.lock.yaml").read_text())
    assert sorted(document["tasks"]) == ["auditor", "notifier", "uploader"]  # tracer: optional and in no source
    assert document["tasks"]["uploader"]["version"] == "2.1.0" and document["tasks"]["uploader"]["constraints"] == {"group:delivery-suite": "^2.0"}
    suite = document["groups"]["delivery-suite"]
    assert suite["version"] == "2.3.0" and suite["checksum"].startswith("sha256:")
    assert suite["source"] == {"type": "local", "path": "task-groups/delivery-suite-2.3.0.taskgroup.yaml"}
    assert suite["dependencies"] == {"group:audit-kit": "1.1.0", "notifier": "1.4.0", "uploader": "2.1.0"}
    assert document["groups"]["audit-kit"]["constraints"] == {"group:delivery-suite": "^1.0"}
    assert document["metadata"] == {"task_count": 3, "group_count": 2}
    verified = lockgate("tasks", "verify", cwd=project)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert lockgate("tasks", "lock", "--frozen", cwd=project).returncode == 0


def test_a_lock_with_groups_keeps_every_field_periplon_reads(tmp_path):
    """periplon's LockFile (lockfile.rs) reads version, generated_at, generated_by, tasks (each
    with version, checksum, source, resolved_at, dependencies) and metadata, and skips other
    top-level keys: groups must not appear among the tasks, where periplon would load them."""
    project = _project(tmp_path)
    assert lockgate("tasks", "lock", "group:delivery-suite@^2", cwd=project).returncode == 0
    document = yaml.safe_load((project / ".claude" / "tasks.lock.yaml").read_text())
    assert {"version", "generated_at", "generated_by", "tasks", "metadata"} <= set(document)
    assert str(document["version"]).startswith("1.")
    for entry in document["tasks"].values():
        assert {"version", "checksum", "source", "resolved_at", "dependencies"} <= set(entry)
        assert not any(name.startswith("group:") for name in entry["dependencies"])
    assert not any(":" in name for name in document["tasks"])
    lock = read_task_lock(str(project / ".claude" / "tasks.lock.yaml"))
    assert sorted(lock.tasks) == ["auditor", "group:audit-kit", "group:delivery-suite", "notifier", "uploader"]


def test_a_changed_group_fails_verify_and_fetch_writes_group_files(tmp_path):
    project = _project(tmp_path)
    assert lockgate("tasks", "lock", "group:delivery-suite@^2", cwd=project).returncode == 0
    fetched = lockgate("tasks", "fetch", "--dest", str(tmp_path / "out"), cwd=project)
    assert fetched.returncode == 0, fetched.stderr
    assert (tmp_path / "out" / "delivery-suite-2.3.0.taskgroup.yaml").is_file()
    group = project / ".claude" / "task-groups" / "delivery-suite-2.3.0.taskgroup.yaml"
    group.write_text(group.read_text().replace("delivery-suite group", "edited"))
    verified = lockgate("tasks", "verify", "--format", "json", cwd=project)
    assert verified.returncode == 1
    findings = {f["name"]: f for f in json.loads(verified.stdout)["tasks"]}
    assert findings["group:delivery-suite"]["status"] == "checksum_failed"


def test_update_moves_a_named_group_only(tmp_path):
    project = _project(tmp_path)
    assert lockgate("tasks", "lock", "group:delivery-suite@^2", "packer@^1", cwd=project).returncode == 0
    write_task(project / ".claude" / "tasks", "packer", "1.3.0")
    write_group(project / ".claude" / "task-groups", "delivery-suite", "2.4.0", tasks=[("uploader", "^2.0")], workflows=["ship-it"])
    updated = lockgate("tasks", "update", "group:delivery-suite", cwd=project)
    assert updated.returncode == 0, updated.stderr
    lock = read_task_lock(str(project / ".claude" / "tasks.lock.yaml"))
    assert lock.tasks["group:delivery-suite"].version == "2.4.0" and lock.tasks["packer"].version == "1.2.0"


def test_workflow_imports_are_roots_and_tasks_check_follows_uses_workflow(tmp_path):
    project = _project(tmp_path)
    workflow = project / "release.workflow.yaml"
    workflow.write_text(WORKFLOW)
    locked = lockgate("tasks", "lock", "--workflow", str(workflow), cwd=project)
    assert locked.returncode == 0, locked.stderr
    lock = read_task_lock(str(project / ".claude" / "tasks.lock.yaml"))
    assert lock.roots == ["group:delivery-suite@^2.0", "packer@^1.0"]
    checked = lockgate("tasks", "check", str(workflow), cwd=project)
    assert checked.returncode == 0 and "3 references, all satisfied" in checked.stdout, checked.stdout + checked.stderr

    workflow.write_text(WORKFLOW.replace("suite:ship-it", "suite:deploy") + "  other:\n    uses_workflow: \"google:upload\"\n")
    checked = lockgate("tasks", "check", str(workflow), cwd=project)
    assert checked.returncode == 1
    lines = checked.stdout.splitlines()
    assert f"{workflow}:9: uses_workflow suite:deploy: group:delivery-suite@2.3.0 has no workflow 'deploy' (it has: ship-it, dry-run)" in lines
    assert f"{workflow}:11: uses_workflow google:upload: this workflow has no imports.google" in lines

    workflow.write_text(WORKFLOW.replace("delivery-suite@^2.0", "delivery-suite@^3"))
    checked = lockgate("tasks", "check", str(workflow), cwd=project)
    assert f"{workflow}:4: imports.suite delivery-suite@^3: locked 2.3.0 does not satisfy ^3" in checked.stdout
    assert f"{workflow}:9: uses_workflow suite:ship-it: imports.suite (delivery-suite@^3) is not satisfied" in checked.stdout


def test_periplons_example_taskgroup_workflows_are_not_groups_and_a_bad_group_names_its_field(corpus, tmp_path):
    tasks = tmp_path / "tasks"
    write_task(tasks, "packer", "1.2.0")
    for name in ("simple-group", "advanced-group"):  # workflow files with task_groups:, named *.taskgroup.yaml
        shutil.copy(corpus / "periplon" / f"{name}.taskgroup.yaml", tasks)
    assert lockgate("tasks", "lock", "packer@^1", cwd=tmp_path).returncode == 0
    write_group(tasks, "broken", "1.0.0", tasks=[("packer", "^1"), ("packer", "^1.2")])
    refused = lockgate("tasks", "lock", "packer@^1.2", cwd=tmp_path)  # new roots: every source is read
    assert refused.returncode == 2
    assert refused.stderr.strip().endswith("broken-1.0.0.taskgroup.yaml: spec.tasks: 'packer' is named twice"), refused.stderr


def test_tasks_in_the_users_own_folder_are_found_and_locked_as_home_paths(tmp_path, own_home):
    write_task(own_home / ".claude" / "tasks", "helper", "1.0.0")
    project = tmp_path / "project"
    project.mkdir()
    assert lockgate("tasks", "lock", "helper@^1", cwd=project).returncode == 0
    document = yaml.safe_load((project / "tasks.lock.yaml").read_text())
    assert document["tasks"]["helper"]["source"] == {"type": "local", "path": "~/.claude/tasks/helper-1.0.0.task.yaml"}
    assert lockgate("tasks", "verify", cwd=project).returncode == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s["agent_template"].pop("description"), "spec.agent_template.description: is required"),
        (lambda s: s.update(inputs={"path": {"type": "text"}}), "spec.inputs.path.type: 'text' is not one of string, number"),
        (lambda s: s.update(inputs={"count": {"type": "number", "validation": {"pattern": "^[0-9]+$"}}}), "spec.inputs.count.validation.pattern: applies to string inputs only"),
        (lambda s: s.update(inputs={"bad name": {"type": "string"}}), "spec.inputs.bad name: a name is letters, digits"),
        (lambda s: s.update(outputs={"result": {"type": "string"}}), "spec.outputs.result.source: is required"),
        (lambda s: s.update(outputs={"result": {"source": {"type": "state"}}}), "spec.outputs.result.source.key: is required"),
        (lambda s: s.update(dependencies=[{"name": "x"}]), "spec.dependencies[0].version: is required"),
        (lambda s: s.update(examples=[{"name": "e"}]), "spec.examples[0].inputs: is required"),
        (lambda s: s["agent_template"].update(max_turns=-1), "spec.agent_template.max_turns: must be a whole number"),
    ],
)
def test_task_files_periplon_refuses_are_refused_naming_the_field(tmp_path, change, message):
    path = write_task(tmp_path, "t", "1.0.0")
    document = yaml.safe_load(path.read_text())
    change(document["spec"])
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(LockgateError) as error:
        load_task(str(path))
    assert str(error.value).startswith(f"{path}: {message}"), str(error.value)


def test_periplons_own_task_files_pass_its_rules(corpus):
    for name in ("example-file-processor", "google-drive-upload"):
        assert load_task(str(corpus / "periplon" / f"{name}.task.yaml")).name == name


def test_a_lock_reached_through_a_symlink_keeps_the_real_files_paths(tmp_path):
    project = _project(tmp_path)
    assert lockgate("tasks", "lock", "packer@^1", cwd=project).returncode == 0
    real = project / ".claude" / "tasks.lock.yaml"
    before = real.read_bytes()
    (project / "linked.lock.yaml").symlink_to(real)
    relocked = lockgate("tasks", "lock", "--lockfile", "linked.lock.yaml", cwd=project)
    assert relocked.returncode == 0 and "unchanged" in relocked.stdout, relocked.stdout + relocked.stderr
    assert real.read_bytes() == before and (project / "linked.lock.yaml").is_symlink()
    assert lockgate("tasks", "verify", "--lockfile", "linked.lock.yaml", cwd=project).returncode == 0
