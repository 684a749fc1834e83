"""Task lock files: task/v1 definitions, SemVer constraints, resolution, tasks.lock.yaml."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import lockgate
from taskmaker import write_task

from lockgate.errors import LockgateError
from lockgate.tasks.checking import verify_tasks
from lockgate.tasks.config import load_tasks_config
from lockgate.tasks.constraints import parse_constraint
from lockgate.tasks.definition import load_task
from lockgate.tasks.lockfile import LockedTask, read_task_lock
from lockgate.tasks.resolve import parse_root, resolve
from lockgate.tasks.sources import LocalSource


def resolved(folder: Path, *roots: str, preferred=None) -> dict[str, str]:
    result = resolve([parse_root(root) for root in roots], [LocalSource(str(folder))], preferred)
    return {name: task.candidate.version for name, task in result.items()}


VERSIONS = ["0.3.1", "0.3.5", "0.4.0", "1.0.0", "1.2.3", "1.2.9", "1.3.0", "1.5.0-beta.1", "2.0.0", "2.1.0"]


@pytest.mark.parametrize(
    ("constraint", "allowed"),
    [
        ("1.2.3", ["1.2.3", "1.2.9", "1.3.0"]),  # Cargo: a bare version is ^
        ("^1.2.3", ["1.2.3", "1.2.9", "1.3.0"]),
        ("=1.2.3", ["1.2.3"]),
        ("~1.2.3", ["1.2.3", "1.2.9"]),
        ("1.2.*", ["1.2.3", "1.2.9"]),
        ("^0.3", ["0.3.1", "0.3.5"]),  # ^ on 0.x keeps the minor
        ("*", ["0.3.1", "0.3.5", "0.4.0", "1.0.0", "1.2.3", "1.2.9", "1.3.0", "2.0.0", "2.1.0"]),
        ("latest", ["0.3.1", "0.3.5", "0.4.0", "1.0.0", "1.2.3", "1.2.9", "1.3.0", "2.0.0", "2.1.0"]),
        (">=1.2, <2", ["1.2.3", "1.2.9", "1.3.0"]),
        ("^1.5.0-beta.1", ["1.5.0-beta.1"]),  # pre-releases only when asked for
        (1.2, ["1.2.3", "1.2.9", "1.3.0"]),  # unquoted in YAML: a float, read as written
    ],
)
def test_every_constraint_form(constraint, allowed):
    parsed = parse_constraint(constraint)
    assert [v for v in VERSIONS if parsed.allows(v)] == allowed


@pytest.mark.parametrize("bad", ["^^1", "1.2.3.4", ">= one", "v1"])
def test_bad_constraints_are_named(bad):
    with pytest.raises(LockgateError, match="invalid version constraint"):
        parse_constraint(bad, "t.task.yaml: spec.dependencies[0].version")


def test_backtracking_finds_what_greedy_misses(tmp_path):
    # Newest-first greedy takes report@2.0.0, whose format ^2 clashes with render's format ^1.
    write_task(tmp_path, "app", "1.0.0", [("report", "*"), ("render", "^1")])
    write_task(tmp_path, "report", "2.0.0", [("format", "^2")])
    write_task(tmp_path, "report", "1.0.0", [("format", "^1")])
    write_task(tmp_path, "render", "1.0.0", [("format", "^1")])
    write_task(tmp_path, "format", "1.1.0")
    write_task(tmp_path, "format", "2.0.0")
    assert resolved(tmp_path, "app@^1") == {"app": "1.0.0", "format": "1.1.0", "render": "1.0.0", "report": "1.0.0"}


def test_diamond_conflict_names_both_sides(tmp_path):
    write_task(tmp_path, "a", "1.2.0", [("auth-helper", "^1.0")])
    write_task(tmp_path, "b", "0.3.1", [("auth-helper", "^2.0")])
    write_task(tmp_path, "auth-helper", "1.4.0")
    write_task(tmp_path, "auth-helper", "2.1.0")
    with pytest.raises(LockgateError) as error:
        resolved(tmp_path, "a@^1", "b@^0.3")
    message = str(error.value)
    assert message.startswith("no version of auth-helper satisfies ")
    assert "^1.0 (required by a@1.2.0)" in message and "^2.0 (required by b@0.3.1)" in message
    assert message.endswith("; available: 1.4.0, 2.1.0")


def test_cycle_prints_its_path(tmp_path):
    write_task(tmp_path, "a", "1.0.0", [("b", "*")])
    write_task(tmp_path, "b", "1.0.0", [("c", "*")])
    write_task(tmp_path, "c", "1.0.0", [("a", "*")])
    with pytest.raises(LockgateError, match=r"^dependency cycle: a -> b -> c -> a$"):
        resolved(tmp_path, "a")


def test_optional_dependencies_and_multiple_roots(tmp_path):
    write_task(tmp_path, "app", "1.0.0", [("logger", "^1", True), ("ghost", "^1", True), ("tracer", "^2", True)])
    write_task(tmp_path, "logger", "1.3.0")
    write_task(tmp_path, "tracer", "1.0.0")  # exists, but not at ^2: skipped
    write_task(tmp_path, "cli", "0.2.0")
    assert resolved(tmp_path, "app@^1", "cli@~0.2") == {"app": "1.0.0", "cli": "0.2.0", "logger": "1.3.0"}
    with pytest.raises(LockgateError, match=r"task nothing not found in any source \(local .*\); required as \* \(required by the roots\)"):
        resolved(tmp_path, "nothing")


def test_locked_versions_are_kept_while_they_fit(tmp_path):
    write_task(tmp_path, "util", "1.2.0")
    write_task(tmp_path, "util", "1.3.0")
    assert resolved(tmp_path, "util@^1") == {"util": "1.3.0"}
    assert resolved(tmp_path, "util@^1", preferred={"util": "1.2.0"}) == {"util": "1.2.0"}
    assert resolved(tmp_path, "util@~1.3", preferred={"util": "1.2.0"}) == {"util": "1.3.0"}


def test_real_periplon_tasks_parse(corpus):
    for name, version in (("example-file-processor", "1.0.0"), ("google-drive-upload", "1.2.0")):
        task = load_task(str(corpus / "periplon" / f"{name}.task.yaml"))
        assert (task.name, task.version, task.dependencies) == (name, version, [])
        assert task.checksum.startswith("sha256:") and len(task.checksum) == 71
    assert load_task(str(corpus / "periplon" / "example-file-processor.task.yaml")).document["spec"]["inputs"]["max_length"]["validation"] == {"min": 50, "max": 2000}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(apiVersion="task/v2"), "apiVersion: must be 'task/v1', found 'task/v2'"),
        (lambda d: d["metadata"].update(name="Bad--Name"), "metadata.name: 'Bad--Name' is not a task name"),
        (lambda d: d["metadata"].update(version=1.2), "metadata.version: 1.2 is not a SemVer 2.0 version"),
        (lambda d: d["metadata"].update(version="01.2.0"), "metadata.version: '01.2.0' is not a SemVer 2.0 version"),
        (lambda d: d["metadata"].update(tags="x"), "metadata.tags: must be a list of strings"),
        (lambda d: d["spec"].update(inputs=[]), "spec.inputs: must be a mapping"),
        (lambda d: d["spec"].update(dependencies=[{"name": "x", "optional": "yes"}]), "spec.dependencies[0].optional: must be true or false"),
        (lambda d: d["spec"].update(dependencies=[{"name": "x", "version": "^^1"}]), "spec.dependencies[0].version: invalid version constraint"),
        (lambda d: d.pop("spec"), "spec: is required"),
    ],
)
def test_schema_errors_name_file_and_field(tmp_path, change, message):
    path = write_task(tmp_path, "t", "1.0.0")
    document = yaml.safe_load(path.read_text())
    change(document)
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(LockgateError) as error:
        load_task(str(path))
    assert str(error.value).startswith(f"{path}: {message}")


def test_invalid_yaml_names_the_line_and_unknown_fields_are_kept(tmp_path):
    path = tmp_path / "t.task.yaml"
    path.write_text("apiVersion: task/v1\nkind: PredefinedTask\nmetadata: [unclosed\n")
    with pytest.raises(LockgateError, match=r":\d+: invalid YAML"):
        load_task(str(path))
    with_extra = write_task(tmp_path, "t", "1.0.0", x_vendor={"gpu": True})
    plain = load_task(str(write_task(tmp_path / "other", "t", "1.0.0")))
    assert load_task(str(with_extra)).document["spec"]["x_vendor"] == {"gpu": True}
    assert load_task(str(with_extra)).checksum != plain.checksum


def test_duplicate_name_version_in_one_source_names_both_files(tmp_path):
    first = write_task(tmp_path, "t", "1.0.0")
    second = tmp_path / "copy.task.yaml"
    shutil.copy(first, second)
    with pytest.raises(LockgateError) as error:
        LocalSource(str(tmp_path)).versions("t")
    assert str(first) in str(error.value) and str(second) in str(error.value) and "defined twice" in str(error.value)


def test_checksum_is_the_same_in_every_process(tmp_path, corpus):
    path = corpus / "periplon" / "google-drive-upload.task.yaml"
    code = f"from lockgate.tasks.definition import load_task; print(load_task({str(path)!r}).checksum)"
    sums = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": seed}, check=True).stdout
        for seed in ("0", "12345")
    }
    assert len(sums) == 1
    reordered = tmp_path / "g.task.yaml"  # same content, other key order and formatting
    document = yaml.safe_load(path.read_text())
    reordered.write_text(yaml.safe_dump(document, sort_keys=True, default_flow_style=True))
    assert load_task(str(reordered)).checksum == sums.pop().strip()


@pytest.fixture
def project(tmp_path) -> Path:
    tasks = tmp_path / "tasks"
    write_task(tasks, "app", "1.2.0", [("auth-helper", "^2.0"), ("logger", "*", True)])
    write_task(tasks, "auth-helper", "2.1.0", [("util", "~1.2")])
    write_task(tasks, "auth-helper", "1.4.0")
    write_task(tasks, "util", "1.2.5")
    write_task(tasks, "logger", "0.1.0")
    (tmp_path / "lockgate.toml").write_text('[tasks]\nroots = ["app@^1.0"]\n\n[[tasks.sources]]\ntype = "local"\npath = "tasks"\npriority = 10\n')
    return tmp_path


def test_lock_writes_1_1_0_and_regenerates_byte_identically(project):
    result = lockgate("tasks", "lock", cwd=project)
    assert result.returncode == 0, result.stderr
    lock = project / "tasks.lock.yaml"
    data = yaml.safe_load(lock.read_text())
    assert data["version"] == "1.1.0" and data["roots"] == ["app@^1.0"] and data["metadata"] == {"task_count": 4}
    assert list(data["tasks"]) == ["app", "auth-helper", "logger", "util"]
    helper = data["tasks"]["auth-helper"]
    assert helper["version"] == "2.1.0" and helper["source"] == {"type": "local", "path": "tasks/auth-helper-2.1.0.task.yaml"}
    assert helper["constraints"] == {"app": "^2.0"} and helper["dependencies"] == {"util": "1.2.5"}
    assert data["tasks"]["app"]["constraints"] == {"(root)": "^1.0"}
    assert helper["checksum"] == load_task(str(project / "tasks" / "auth-helper-2.1.0.task.yaml")).checksum
    before = lock.read_bytes()
    os.utime(lock, (0, 0))
    again = lockgate("tasks", "lock", cwd=project)
    assert again.returncode == 0 and "unchanged" in again.stdout
    assert lock.read_bytes() == before
    assert lockgate("tasks", "status", cwd=project).returncode == 0
    assert lockgate("tasks", "tree", cwd=project).stdout == (
        "app@1.2.0 (^1.0)\n├── auth-helper@2.1.0 (^2.0)\n│   └── util@1.2.5 (~1.2)\n└── logger@0.1.0 (*)\n"
    )


def test_an_unchanged_entry_keeps_its_timestamp(project):
    assert lockgate("tasks", "lock", cwd=project).returncode == 0
    lock = project / "tasks.lock.yaml"
    text = lock.read_text().replace("resolved_at: '20", "resolved_at: '19")  # pretend they are old
    lock.write_text(text)
    write_task(project / "tasks", "logger", "0.2.0")
    util = project / "tasks" / "util-1.2.5.task.yaml"
    util.write_text(util.read_text().replace("util task", "util task, edited"))  # util's entry changes
    result = lockgate("tasks", "lock", cwd=project)
    assert result.returncode == 0 and "wrote" in result.stdout  # the file is rewritten
    data = yaml.safe_load(lock.read_text())
    assert data["tasks"]["logger"]["version"] == "0.1.0"  # the locked pin still fits: kept
    assert all(data["tasks"][name]["resolved_at"].startswith("19") for name in ("app", "auth-helper", "logger"))
    assert data["tasks"]["util"]["resolved_at"].startswith("20") and data["generated_at"].startswith("20")


def test_status_is_stale_on_checksum_or_constraint_change_and_frozen_refuses(project):
    assert lockgate("tasks", "lock", cwd=project).returncode == 0
    lock = project / "tasks.lock.yaml"
    before = lock.read_bytes()
    util = project / "tasks" / "util-1.2.5.task.yaml"
    util.write_text(util.read_text().replace("util task", "util task, edited"))
    status = lockgate("tasks", "status", cwd=project)
    assert status.returncode == 1 and "util: content changed since it was locked" in status.stdout
    frozen = lockgate("tasks", "lock", "--frozen", cwd=project)
    assert frozen.returncode == 1 and lock.read_bytes() == before
    assert "--frozen: the lock would change" in frozen.stderr and "util: content changed" in frozen.stderr

    assert lockgate("tasks", "lock", cwd=project).returncode == 0
    app = project / "tasks" / "app-1.2.0.task.yaml"
    app.write_text(app.read_text().replace("version: ^2.0", "version: '>=2.1, <3'"))
    status = lockgate("tasks", "status", cwd=project)
    assert status.returncode == 1 and "constraints changed" in status.stdout


def test_verify_reports_each_kind_of_problem(project):
    assert lockgate("tasks", "lock", cwd=project).returncode == 0
    assert lockgate("tasks", "verify", "--format", "json", cwd=project).returncode == 0
    tasks = project / "tasks"
    (tasks / "logger-0.1.0.task.yaml").unlink()  # optional: now skipped -> extra in the lock
    util = tasks / "util-1.2.5.task.yaml"
    util.write_text(util.read_text().replace("util task", "changed"))
    helper = tasks / "auth-helper-2.1.0.task.yaml"
    helper.write_text(helper.read_text().replace("version: ~1.2", "version: ~1.3"))
    write_task(tasks, "util", "1.3.1")
    result = lockgate("tasks", "verify", "--format", "json", cwd=project)
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data["schema"] == "lockgate.tasks.verify/1" and data["passed"] is False
    status = {task["name"]: task["status"] for task in data["tasks"]}
    assert status == {"app": "dependency_mismatch", "auth-helper": "checksum_failed", "logger": "checksum_failed", "util": "checksum_failed"}
    assert set(data["summary"]) == {"matched", "missing", "extra", "version_mismatch", "dependency_mismatch", "checksum_failed", "source_mismatch"}

    assert lockgate("tasks", "lock", cwd=project).returncode == 0
    lock = project / "tasks.lock.yaml"
    data = yaml.safe_load(lock.read_text())
    data["tasks"]["util"]["version"] = "1.3.0"  # a pin no source has
    data["tasks"]["app"]["dependencies"]["util"] = "1.3.1"
    data["tasks"]["auth-helper"]["source"]["path"] = "elsewhere/auth-helper.task.yaml"
    data["tasks"]["ghost"] = dict(data["tasks"]["util"])
    lock.write_text(yaml.safe_dump(data, sort_keys=False))
    report = verify_tasks(load_tasks_config(str(project), lockfile=str(lock)))
    by_name = {f.subject: f.status for f in report.findings}
    assert by_name["util"] == "version_mismatch" and by_name["ghost"] == "version_mismatch"  # file says another version
    assert by_name["auth-helper"] == "checksum_failed"  # its recorded file is gone
    assert by_name["app"] == "dependency_mismatch"


def test_source_mismatch_and_missing(project, tmp_path):
    assert lockgate("tasks", "lock", cwd=project).returncode == 0
    elsewhere = project / "vendored"
    shutil.copy(project / "tasks" / "util-1.2.5.task.yaml", elsewhere.mkdir() or elsewhere / "util.task.yaml")
    report = verify_tasks(load_tasks_config(str(project), sources=[str(elsewhere)], lockfile=str(project / "tasks.lock.yaml")))
    assert {f.subject: f.status for f in report.findings}["util"] == "source_mismatch"
    helper = project / "tasks" / "auth-helper-2.1.0.task.yaml"
    write_task(project / "tasks", "auth-helper", "2.2.0", [("util", "~1.2"), ("audit", "^1")])
    write_task(project / "tasks", "audit", "1.0.0")
    helper.unlink()
    report = verify_tasks(load_tasks_config(str(project), lockfile=str(project / "tasks.lock.yaml")))
    statuses = {f.subject: f.status for f in report.findings}
    assert statuses["audit"] == "missing" and statuses["auth-helper"] == "version_mismatch"  # 2.1.0 left; 2.2.0 is there


def test_periplon_1_0_0_lock_loads_and_2_0_0_is_refused(corpus, tmp_path):
    lock = read_task_lock(str(corpus / "periplon" / "doc-example.tasks.lock.yaml"))
    assert lock.version == "1.0.0" and list(lock.tasks) == ["auth-helper", "google-drive-upload"]
    assert lock.tasks["google-drive-upload"].dependencies == {"auth-helper": "2.1.0"}
    assert lock.tasks["auth-helper"].source.to_dict() == {"type": "git", "url": "https://github.com/org/tasks.git", "ref": "v2.1.0", "subpath": "auth-helper"}
    assert lock.generated_at == "2025-01-15T10:30:00Z" and lock.roots == []
    newer = tmp_path / "tasks.lock.yaml"
    newer.write_text((corpus / "periplon" / "doc-example.tasks.lock.yaml").read_text().replace('version: "1.0.0"', 'version: "2.0.0"', 1))
    with pytest.raises(LockgateError, match=r"lock format 2\.0\.0 is not 1\.x, which this lockgate reads; upgrade lockgate"):
        read_task_lock(str(newer))
    result = lockgate("tasks", "verify", "--lockfile", str(newer), cwd=tmp_path)
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1


def test_concurrent_lockers_leave_one_valid_file(project):
    code = "import sys; from lockgate.cli import main; sys.exit(main(['tasks', 'lock']))"
    processes = [subprocess.Popen([sys.executable, "-c", code], cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(4)]
    assert [p.wait() for p in processes] == [0, 0, 0, 0]
    written = [p.stdout.read().decode() for p in processes]
    assert sum("wrote" in out for out in written) == 1  # the others waited, then found it current
    assert len(read_task_lock(str(project / "tasks.lock.yaml")).tasks) == 4
    assert sorted(p.name for p in project.iterdir()) == ["lockgate.toml", "tasks", "tasks.lock.yaml"]  # the file lock is in the cache


def test_default_sources_command_line_sources_and_errors(tmp_path):
    write_task(tmp_path / ".claude" / "tasks", "a", "1.0.0")
    write_task(tmp_path / "tasks", "a", "1.1.0")
    assert lockgate("tasks", "lock", "a@^1", cwd=tmp_path).returncode == 0
    assert yaml.safe_load((tmp_path / ".claude" / "tasks.lock.yaml").read_text())["tasks"]["a"]["version"] == "1.1.0"
    write_task(tmp_path / "mine", "a", "1.0.5")
    custom = tmp_path / "custom.lock.yaml"
    assert lockgate("tasks", "lock", "a@~1.0", "--source", "mine", "--lockfile", str(custom), cwd=tmp_path).returncode == 0
    assert yaml.safe_load(custom.read_text())["tasks"]["a"]["source"] == {"type": "local", "path": "mine/a-1.0.5.task.yaml"}
    for args, message in ((["lock", "--lockfile", "none.yaml"], "no tasks to lock"), (["lock", "Bad@1"], "task reference 'Bad@1'"), (["tree", "--lockfile", "none.yaml"], "no tasks lock at none.yaml")):
        result = lockgate("tasks", *args, cwd=tmp_path)
        assert result.returncode == 2 and message in result.stderr and len(result.stderr.splitlines()) == 1
    (tmp_path / "lockgate.toml").write_text('[[tasks.sources]]\ntype = "ftp"\npath = "x"\n')
    assert "tasks.sources[0].type" in lockgate("tasks", "lock", "a", cwd=tmp_path).stderr


def test_an_os_error_is_one_line_too(project):
    assert lockgate("tasks", "lock", cwd=project).returncode == 0
    (project / "occupied").write_text("a file, not a folder\n")
    result = lockgate("tasks", "fetch", "--dest", "occupied", cwd=project)
    assert result.returncode == 2 and result.stderr.startswith("lockgate: error: occupied: ") and len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize("roots", ['["app@^1.0", "logger@*"]', '["app@^9"]'])
def test_changed_roots_make_status_and_verify_fail_as_frozen_lock_does(project, roots):
    assert lockgate("tasks", "lock", cwd=project).returncode == 0
    config = project / "lockgate.toml"
    config.write_text(config.read_text().replace('roots = ["app@^1.0"]', f"roots = {roots}"))
    frozen = lockgate("tasks", "lock", "--frozen", cwd=project)
    status = lockgate("tasks", "status", cwd=project)
    verify = lockgate("tasks", "verify", cwd=project)
    assert frozen.returncode in (1, 2)  # 2: an unsatisfiable root cannot be locked at all
    assert status.returncode == 1 and "stale" in status.stdout, status.stdout + status.stderr
    assert verify.returncode == 1 and "(roots)" in verify.stdout and "tasks.roots changed" in verify.stdout


def test_lock_and_update_without_roots_use_the_recorded_ones(project):
    assert lockgate("tasks", "lock", cwd=project).returncode == 0
    config = project / "lockgate.toml"
    config.write_text(config.read_text().replace('roots = ["app@^1.0"]\n', ""))
    for command in ("lock", "update"):
        result = lockgate("tasks", command, cwd=project)
        assert result.returncode == 0 and "unchanged" in result.stdout, result.stderr
    assert yaml.safe_load((project / "tasks.lock.yaml").read_text())["roots"] == ["app@^1.0"]


def test_local_sources_never_follow_symlinks_out_and_lock_paths_cannot_escape(project, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    write_task(elsewhere, "intruder", "1.0.0")
    (project / "tasks" / "intruder.task.yaml").symlink_to(elsewhere / "intruder-1.0.0.task.yaml")
    refused = lockgate("tasks", "lock", cwd=project)
    assert refused.returncode == 2 and "a symlink leading out of the task source" in refused.stderr
    (project / "tasks" / "intruder.task.yaml").unlink()
    assert lockgate("tasks", "lock", cwd=project).returncode == 0
    lock = project / "tasks.lock.yaml"
    for escape in ("/etc/passwd", "../../../../etc/passwd"):
        data = yaml.safe_load(lock.read_text())
        data["tasks"]["util"]["source"]["path"] = escape
        (project / "escaped.yaml").write_text(yaml.safe_dump(data))
        result = lockgate("tasks", "verify", "--lockfile", "escaped.yaml", cwd=project)
        assert result.returncode == 1 and "leads outside the lock's folder and every local source; refused" in result.stdout


def test_verbose_lock_shows_each_step_of_the_resolution(project):
    result = lockgate("tasks", "lock", "-v", cwd=project)
    assert result.returncode == 0, result.stderr
    steps = result.stderr.splitlines()
    assert "lockgate tasks: requires app ^1.0 (root)" in steps
    assert f"lockgate tasks: pinned auth-helper@2.1.0 from local {project / 'tasks'}" in steps
    assert result.stdout.startswith("lockgate tasks lock: wrote")


def test_source_records_keep_unknown_keys_and_refuse_unknown_types():
    from lockgate.tasks.source_record import GitRecord, source_record

    record = source_record({"type": "git", "url": "https://e.org/t.git", "ref": "main", "branch": "main", "trusted": True}, "tasks.a.source")
    assert isinstance(record, GitRecord) and record.get("url") == "https://e.org/t.git"
    assert record.to_dict() == {"type": "git", "url": "https://e.org/t.git", "ref": "main", "branch": "main", "trusted": True}
    unknown = source_record({"type": "s3", "bucket": "b"}, "tasks.a.source")
    assert unknown.to_dict() == {"type": "s3", "bucket": "b"}
    with pytest.raises(LockgateError, match="tasks.a.source: unknown type 's3'"):
        unknown.read(None, LockedTask("a", "1.0.0", "", unknown, "", {}, {}, {}))
    with pytest.raises(LockgateError, match=r"tasks.a.source.url: must be text"):
        source_record({"type": "git", "url": ["x"]}, "tasks.a.source")


def test_a_locked_version_gone_while_another_is_there_is_a_version_change(project):
    assert lockgate("tasks", "lock", cwd=project).returncode == 0
    (project / "tasks" / "util-1.2.5.task.yaml").unlink()
    write_task(project / "tasks", "util", "1.2.7")
    result = lockgate("tasks", "verify", "--format", "json", cwd=project)
    (util,) = [t for t in json.loads(result.stdout)["tasks"] if t["name"] == "util"]
    assert result.returncode == 1
    assert (util["status"], util["expected"], util["found"]) == ("version_mismatch", "1.2.5", "1.2.7")
    assert "util@1.2.5 is gone from its source, which now has 1.2.7" in util["message"]


def test_a_periplon_project_keeps_its_lock_in_claude_unless_one_is_at_the_top(tmp_path):
    write_task(tmp_path / ".claude" / "tasks", "a", "1.0.0")
    assert lockgate("tasks", "lock", "a@^1", cwd=tmp_path).returncode == 0
    assert (tmp_path / ".claude" / "tasks.lock.yaml").is_file() and not (tmp_path / "tasks.lock.yaml").exists()
    (tmp_path / ".claude" / "tasks.lock.yaml").rename(tmp_path / "tasks.lock.yaml")  # an existing top-level lock stays where it is
    assert lockgate("tasks", "lock", "a@^1", cwd=tmp_path).returncode == 0
    assert not (tmp_path / ".claude" / "tasks.lock.yaml").exists()
