"""task/v1 files for tests and benchmarks."""

from __future__ import annotations

from pathlib import Path

import yaml


def write_task(folder: Path, name: str, version: str, deps=(), **extra) -> Path:
    """A task/v1 file; ``deps`` are ``(name, constraint)`` or ``(name, constraint, optional)``."""
    dependencies = [{"name": d[0], "version": d[1], **({"optional": True} if len(d) > 2 and d[2] else {})} for d in deps]
    document = {
        "apiVersion": "task/v1",
        "kind": "PredefinedTask",
        "metadata": {"name": name, "version": version, "description": f"{name} task", "author": "tests", "license": "MIT"},
        "spec": {"agent_template": {"description": f"do {name}"}, "dependencies": dependencies, **extra},
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}-{version}.task.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def write_group(folder: Path, name: str, version: str, tasks=(), groups=(), workflows=()) -> Path:
    """A taskgroup/v1 file; ``tasks`` are ``(name, constraint)`` or ``(name, constraint,
    required)``, ``groups`` ``(name, constraint)``, ``workflows`` names of prebuilt workflows."""
    document = {
        "apiVersion": "taskgroup/v1",
        "kind": "TaskGroup",
        "metadata": {"name": name, "version": version, "description": f"{name} group"},
        "spec": {
            "tasks": [{"name": t[0], "version": t[1], "required": t[2] if len(t) > 2 else True} for t in tasks],
            "dependencies": [{"name": g[0], "version": g[1]} for g in groups],
            "workflows": [{"name": w, "tasks": {"step": {"uses": f"{tasks[0][0]}@{tasks[0][1]}"}}} for w in workflows],
        },
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}-{version}.taskgroup.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path
