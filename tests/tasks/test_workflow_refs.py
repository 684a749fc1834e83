"""periplon workflows as roots (`tasks lock --workflow`) and as a CI check (`tasks check`)."""

from __future__ import annotations

import shutil

import yaml
from conftest import lockgate
from taskmaker import write_group, write_task

WORKFLOW = """\
name: "pipeline"
version: "1.0.0"
imports:
  google: "google-workspace@^2.0"
tasks:
  fetch:
    uses: "fetcher@^1.2"
  build:
    agent: builder
    subtasks:
      - compile:
          uses: "compiler@~2.0"
      - nested:
          subtasks:
            - deep:
                uses: "packer"
  upload:
    uses_workflow: "google:upload-files"
"""


def test_the_corpus_workflow_locks_and_checks_with_periplon_files(corpus, tmp_path):
    (tmp_path / "tasks").mkdir()
    shutil.copy(corpus / "periplon" / "example-file-processor.task.yaml", tmp_path / "tasks")
    workflow = corpus / "periplon" / "predefined-tasks-demo.workflow.yaml"
    locked = lockgate("tasks", "lock", "--source", "tasks", "--workflow", str(workflow), cwd=tmp_path)
    assert locked.returncode == 0, locked.stderr
    lock = yaml.safe_load((tmp_path / "tasks.lock.yaml").read_text())
    assert lock["roots"] == ["example-file-processor@1.0.0"] and list(lock["tasks"]) == ["example-file-processor"]
    checked = lockgate("tasks", "check", "--source", "tasks", str(workflow), cwd=tmp_path)
    assert checked.returncode == 0 and "1 reference, all satisfied" in checked.stdout, checked.stdout + checked.stderr


def test_references_are_found_through_subtasks_and_unsatisfied_ones_named_by_line(tmp_path):
    tasks = tmp_path / "tasks"
    for name, version in (("fetcher", "1.2.3"), ("compiler", "2.0.4"), ("packer", "0.3.0")):
        write_task(tasks, name, version)
    write_group(tasks, "google-workspace", "2.1.0", tasks=[("fetcher", "^1")], workflows=["upload-files"])
    workflow = tmp_path / "pipeline.workflow.yaml"
    workflow.write_text(WORKFLOW)
    locked = lockgate("tasks", "lock", "--source", "tasks", "--workflow", str(workflow), cwd=tmp_path)
    assert locked.returncode == 0, locked.stderr
    document = yaml.safe_load((tmp_path / "tasks.lock.yaml").read_text())
    assert sorted(document["tasks"]) == ["compiler", "fetcher", "packer"] and list(document["groups"]) == ["google-workspace"]
    workflow.write_text(WORKFLOW.replace("compiler@~2.0", "compiler@^3").replace("packer", "zipper"))
    checked = lockgate("tasks", "check", "--source", "tasks", str(workflow), cwd=tmp_path)
    assert checked.returncode == 1
    lines = checked.stdout.splitlines()
    assert f"{workflow}:12: uses compiler@^3: locked 2.0.4 does not satisfy ^3" in lines
    assert f"{workflow}:16: uses zipper: zipper is not in tasks.lock.yaml" in lines
    assert lines[-1] == "lockgate tasks check: 2 of 5 references unsatisfied by tasks.lock.yaml"  # the import and uses_workflow are


def test_a_malformed_workflow_is_one_line_with_file_and_line(tmp_path):
    workflow = tmp_path / "bad.workflow.yaml"
    workflow.write_text("tasks:\n  a:\n    uses: [1, 2]\n")
    write_task(tmp_path / "tasks", "a", "1.0.0")
    (tmp_path / "tasks.lock.yaml").write_text("")
    result = lockgate("tasks", "lock", "--source", "tasks", "--workflow", str(workflow), cwd=tmp_path)
    assert result.returncode == 2 and f"{workflow}:3: a.uses: expected NAME@CONSTRAINT text" in result.stderr
    workflow.write_text("tasks:\n  a:\n    uses: \"Bad@1\"\n")
    malformed = lockgate("tasks", "lock", "--source", "tasks", "--workflow", str(workflow), cwd=tmp_path)
    assert malformed.returncode == 2 and f"{workflow}:3: task reference 'Bad@1'" in malformed.stderr


def test_a_workflow_adds_its_references_to_the_roots_already_locked(corpus, tmp_path):
    (tmp_path / "tasks").mkdir()
    shutil.copy(corpus / "periplon" / "example-file-processor.task.yaml", tmp_path / "tasks")
    shutil.copy(corpus / "periplon" / "google-drive-upload.task.yaml", tmp_path / "tasks")
    assert lockgate("tasks", "lock", "--source", "tasks", "google-drive-upload@^1.2", cwd=tmp_path).returncode == 0
    workflow = corpus / "periplon" / "predefined-tasks-demo.workflow.yaml"
    added = lockgate("tasks", "lock", "--source", "tasks", "--workflow", str(workflow), cwd=tmp_path)
    assert added.returncode == 0 and "removing" not in added.stdout, added.stdout + added.stderr
    lock = yaml.safe_load((tmp_path / "tasks.lock.yaml").read_text())
    assert lock["roots"] == ["google-drive-upload@^1.2", "example-file-processor@1.0.0"]
    assert sorted(lock["tasks"]) == ["example-file-processor", "google-drive-upload"]
