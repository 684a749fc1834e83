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
