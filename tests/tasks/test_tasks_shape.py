"""The tasks wing's shape (issue #26): typed task and group values whose constructors check,
names that carry their kind, and module boundaries."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml
from taskmaker import write_group, write_task

import lockgate.tasks

TASKS = Path(lockgate.tasks.__file__).parent


def _imports(module: str) -> set[str]:
    """The sibling modules ``tasks/<module>.py`` imports (``from .x import …``), anywhere in it."""
    tree = ast.parse((TASKS / f"{module}.py").read_text())
    return {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level == 1}


def test_task_and_group_are_typed_values_built_by_checking_constructors(tmp_path):
    from lockgate.tasks.task_schema import Kind, Task, TaskGroup, TaskRef, TaskSchemaError

    group = TaskGroup.from_document(yaml.safe_load(write_group(tmp_path, "suite", "2.0.0", tasks=[("packer", "^1"), ("extra", "^1", False)],
                                                               groups=[("kit", "^1")], workflows=["ship"]).read_text()), "g.yaml")  # fmt: skip
    assert group.name == "group:suite" and group.name.kind is Kind.GROUP and group.name.name == "suite"
    assert [(d.name, d.name.kind, d.optional) for d in group.dependencies] == [("packer", Kind.TASK, False), ("extra", Kind.TASK, True), ("group:kit", Kind.GROUP, False)]
    assert group.workflow_names == ["ship"]
    task = Task.from_document(yaml.safe_load(write_task(tmp_path, "packer", "1.0.0", deps=[("util", "^1")]).read_text()), "t.yaml")
    assert task.name.kind is Kind.TASK and str(task.name) == "packer" and task.dependencies[0].name.kind is Kind.TASK
    document = yaml.safe_load(write_task(tmp_path, "bad", "1.0.0", inputs={"x": {"type": "float"}}).read_text())
    with pytest.raises(TaskSchemaError) as error:
        Task.from_document(document, "bad.yaml")
    assert error.value.field == "spec.inputs.x.type" and str(error.value).startswith("bad.yaml: spec.inputs.x.type: 'float' is not one of")
    assert TaskRef.parse("group:suite").kind is Kind.GROUP and TaskRef.parse("suite").kind is Kind.TASK
    assert sorted([TaskRef(Kind.GROUP, "a"), TaskRef(Kind.TASK, "b")]) == ["b", "group:a"]  # keys, sorts and prints as the lock writes it


def test_definition_and_schema_do_not_import_each_other_and_no_group_prefix_tests():
    assert "definition" not in _imports("task_schema")
    for path in TASKS.glob("*.py"):
        text = path.read_text()
        assert 'startswith("group:")' not in text and "startswith(GROUP_PREFIX)" not in text or path.name == "task_schema.py", path.name
        assert "is_group(" not in text, path.name


def test_locked_names_read_back_with_their_kind(tmp_path):
    from conftest import lockgate

    from lockgate.tasks.lockfile import read_task_lock
    from lockgate.tasks.task_schema import Kind

    tasks = tmp_path / "tasks"
    write_task(tasks, "packer", "1.2.0")
    write_task(tasks, "auditor", "0.9.0")
    write_group(tasks, "kit", "1.0.0", tasks=[("auditor", "^0.9")])
    write_group(tasks, "suite", "2.0.0", tasks=[("packer", "^1")], groups=[("kit", "^1")])
    (tmp_path / "lockgate.toml").write_text('[[tasks.sources]]\npath = "tasks"\n')
    assert lockgate("tasks", "lock", "group:suite@^2", cwd=tmp_path).returncode == 0
    lock = read_task_lock(str(tmp_path / "tasks.lock.yaml"))
    assert {name: name.kind for name in lock.tasks} == {"auditor": Kind.TASK, "group:kit": Kind.GROUP, "packer": Kind.TASK, "group:suite": Kind.GROUP}
    assert [(name, name.kind) for name in lock.tasks["group:suite"].dependencies] == [("group:kit", Kind.GROUP), ("packer", Kind.TASK)]


def test_the_commands_live_in_modules_by_job():
    import importlib

    jobs = {"locking": ["lock_tasks", "build_lock", "update_bounds", "moves"], "checking": ["verify_tasks", "tasks_status"], "tree": ["tasks_tree"],
            "outdated": ["outdated_tasks"], "fetch": ["fetch_locked_tasks"], "workflows": ["check_workflows", "workflow_roots"],
            "diff": ["differences_between"]}  # fmt: skip
    for module, names in jobs.items():
        loaded = importlib.import_module(f"lockgate.tasks.{module}")
        assert all(callable(getattr(loaded, name)) for name in names), module
    assert not (TASKS / "api.py").exists()
    assert not {"locking", "checking", "locked", "fetch"} & _imports("diff")  # diff is pure: it reads and acts on nothing


GIT = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", "-c", "init.defaultBranch=main"]


def _repository(tmp_path: Path) -> tuple[Path, Path, str]:
    """``(bare, work, first commit)``: app 1.0.0 needing util ^1, and util 1.0.0, under ``catalog/``."""
    from conftest import run

    work = tmp_path / "work"
    write_task(work / "catalog", "app", "1.0.0", [("util", "^1")])
    write_task(work / "catalog", "util", "1.0.0")
    run([*GIT, "init", "-q", str(work)])
    run([*GIT, "-C", str(work), "add", "-A"])
    run([*GIT, "-C", str(work), "commit", "-qm", "v1"])
    bare = tmp_path / "tasks.git"
    run(["git", "clone", "-q", "--bare", str(work), str(bare)])
    return bare, work, run([*GIT, "-C", str(work), "rev-parse", "HEAD"]).stdout.strip()


def test_commands_leave_the_configuration_they_are_given_as_it_was(tmp_path, task_cache):
    """The sources a lock records (a --source-git lock) are added to a new configuration, never
    appended to the caller's."""
    from conftest import lockgate

    from lockgate.tasks.checking import tasks_status, verify_tasks
    from lockgate.tasks.config import load_tasks_config
    from lockgate.tasks.locked import with_locked_sources
    from lockgate.tasks.lockfile import read_task_lock
    from lockgate.tasks.locking import lock_tasks
    from lockgate.tasks.outdated import outdated_tasks
    from lockgate.tasks.workflows import check_workflows

    bare, _, _ = _repository(tmp_path)
    project = tmp_path / "project"
    project.mkdir()
    assert lockgate("tasks", "lock", "app@^1", "--source-git", f"{bare}@main#catalog", cwd=project).returncode == 0
    (project / "flow.yaml").write_text('name: "f"\nversion: "1.0.0"\ntasks:\n  a:\n    uses: "app@^1"\n')
    config = load_tasks_config(str(project))
    before = list(config.sources)
    assert verify_tasks(config).passed and not tasks_status(config) and not lock_tasks(config).changed
    assert outdated_tasks(config) and check_workflows(config, [str(project / "flow.yaml")]) == (1, [])
    assert config.sources == before
    extended = with_locked_sources(config, read_task_lock(str(project / "tasks.lock.yaml")))
    assert extended is not config and len(extended.sources) == len(before) + 1 and config.sources == before


def test_git_sources_are_pinned_by_new_values_not_by_setting_the_configured_ones(tmp_path, task_cache):
    from conftest import lockgate, run

    from lockgate.tasks.config import load_tasks_config
    from lockgate.tasks.git_source import GitSource
    from lockgate.tasks.locked import pinned_sources
    from lockgate.tasks.lockfile import read_task_lock
    from lockgate.tasks.locking import lock_tasks

    bare, work, first = _repository(tmp_path)
    project = tmp_path / "project"
    project.mkdir()
    (project / "lockgate.toml").write_text(f'[tasks]\nroots = ["app@^1"]\n\n[[tasks.sources]]\ntype = "git"\nurl = "{bare}"\nref = "main"\nsubpath = "catalog"\n')
    assert lockgate("tasks", "lock", cwd=project).returncode == 0
    write_task(work / "catalog", "util", "1.1.0")
    run([*GIT, "-C", str(work), "add", "-A"])
    run([*GIT, "-C", str(work), "commit", "-qm", "util 1.1.0"])
    run([*GIT, "-C", str(work), "push", "-q", str(bare), "main"])
    config = load_tasks_config(str(project), fetch=False)
    configured = next(source for source in config.sources if isinstance(source, GitSource))
    pinned = pinned_sources(config.sources, read_task_lock(str(project / "tasks.lock.yaml")))
    assert [source.pinned for source in pinned if isinstance(source, GitSource)] == [first] and configured.pinned is None
    outcome = lock_tasks(config)
    assert outcome.lock.tasks["util"].version == "1.0.0" and outcome.lock.tasks["util"].source.get("commit") == first  # the pin holds
    assert configured.pinned is None and config.sources[0] is configured


def test_the_bounded_yaml_loader_lives_beside_the_toml_one_with_its_limits():
    from lockgate import _yaml
    from lockgate.errors import LockgateError

    assert (_yaml.MAX_YAML_DEPTH, _yaml.MAX_YAML_NODES) == (100, 1_000_000)
    with pytest.raises(LockgateError, match="refers to itself"):
        _yaml.load_yaml("a: &x [*x]\n", "loop.yaml")
    with pytest.raises(LockgateError, match="nested deeper than 100"):
        _yaml.load_yaml("[" * 101 + "]" * 101, "deep.yaml")
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n" for i in range(6))
    with pytest.raises(LockgateError, match="more than 1,000,000 nodes"):
        _yaml.load_yaml(bomb, "bomb.yaml")
    for module in ("definition", "lockfile", "workflow_refs", "task_sources_file"):
        source = (TASKS / f"{module}.py").read_text()
        assert "from .._yaml import load_yaml" in source and "def load_yaml" not in source, module


def test_every_function_in_tasks_is_annotated_and_mypy_checks_it_as_strictly_as_env():
    import tomli

    missing = []
    for path in sorted(TASKS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                arguments = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs, *filter(None, [node.args.vararg, node.args.kwarg])]
                bare = [a.arg for a in arguments if a.annotation is None and a.arg not in ("self", "cls")]
                if bare or (node.returns is None and node.name != "__init__"):
                    missing.append(f"{path.name}:{node.lineno} {node.name}")
    assert not missing
    overrides = tomli.loads((TASKS.parents[2] / "pyproject.toml").read_text())["tool"]["mypy"]["overrides"]
    strict = next(entry for entry in overrides if "lockgate.env.*" in entry["module"])
    assert "lockgate.tasks.*" in strict["module"] and strict["disallow_untyped_defs"] and strict["disallow_any_generics"]
