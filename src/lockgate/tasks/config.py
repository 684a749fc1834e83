"""The ``[tasks]`` settings of a project: ``lockgate.toml``, or ``[tool.lockgate.tasks]`` in
pyproject.toml::

    [tasks]
    roots = ["app@^1.0"]            # what `tasks lock` resolves when no ROOT is given
    lockfile = "tasks.lock.yaml"    # default
    [[tasks.sources]]
    type = "local"
    path = "tasks"                  # relative to the configuration file
    priority = 10                   # higher is searched first

Without ``[[tasks.sources]]`` the local sources are ``./.claude/tasks`` (periplon's place) and
``./tasks``, in that order. Sources given on the command line come before all of them.
"""

from __future__ import annotations

import os

from ..config import load_config
from ..errors import LockgateError
from .sources import LocalSource, TaskSource

DEFAULT_LOCKFILE = "tasks.lock.yaml"
DEFAULT_FOLDERS = (".claude/tasks", "tasks")


class TasksConfig:
    """Resolved task settings.

    Attributes:
        roots: root references (``name@constraint``) from the configuration.
        lockfile: path of the lock file.
        sources: :class:`~lockgate.tasks.sources.TaskSource` list, highest priority first.
    """

    __slots__ = ("roots", "lockfile", "sources")

    def __init__(self, roots, lockfile, sources):
        self.roots: list[str] = roots
        self.lockfile: str = lockfile
        self.sources: list[TaskSource] = sources


def load_tasks_config(directory: str = ".", *, sources=(), lockfile: str | None = None) -> TasksConfig:
    """The project's task settings, with command-line overrides.

    Args:
        directory: the project folder (where lockgate.toml or pyproject.toml is).
        sources: folders given with ``--source``, first highest; they come before the configured.
        lockfile: ``--lockfile``, overriding ``tasks.lockfile``.

    Raises:
        LockgateError: a malformed ``[tasks]`` table (naming the file and the field).
    """
    settings, path = load_config(directory)
    base = os.path.dirname(path) if path else directory
    tasks = settings.get("tasks", {})
    where = f"{path or 'lockgate.toml'}: tasks"
    if not isinstance(tasks, dict):
        raise LockgateError(f"{where}: must be a table")
    roots = tasks.get("roots", [])
    if not isinstance(roots, list) or not all(isinstance(root, str) for root in roots):
        raise LockgateError(f"{where}.roots: must be a list of NAME@CONSTRAINT strings")
    configured = _configured_sources(tasks.get("sources"), base, where)
    top = max((source.priority for source in configured), default=0)
    given = [LocalSource(folder, top + len(sources) - index) for index, folder in enumerate(sources)]
    path_setting = tasks.get("lockfile", DEFAULT_LOCKFILE)
    if not isinstance(path_setting, str):
        raise LockgateError(f"{where}.lockfile: must be a path")
    ordered = sorted([*given, *configured], key=lambda source: -source.priority)
    return TasksConfig(list(roots), lockfile or os.path.normpath(os.path.join(base, path_setting)), ordered)


def _configured_sources(entries, base: str, where: str) -> list[TaskSource]:
    if entries is None:
        count = len(DEFAULT_FOLDERS)
        return [LocalSource(os.path.join(base, folder), count - index) for index, folder in enumerate(DEFAULT_FOLDERS)]
    if not isinstance(entries, list):
        raise LockgateError(f"{where}.sources: must be an array of tables ([[tasks.sources]])")
    sources = []
    for index, entry in enumerate(entries):
        field = f"{where}.sources[{index}]"
        if not isinstance(entry, dict):
            raise LockgateError(f"{field}: must be a table with type and path")
        priority = entry.get("priority", 0)
        if not isinstance(priority, int) or isinstance(priority, bool):
            raise LockgateError(f"{field}.priority: must be a whole number")
        kind = entry.get("type", "local")
        if kind != "local":
            raise LockgateError(f"{field}.type: {kind!r} is not a source type this lockgate has; use \"local\"")
        if not isinstance(entry.get("path"), str):
            raise LockgateError(f"{field}.path: a folder of *.task.yaml files is required")
        sources.append(LocalSource(os.path.join(base, entry["path"]), priority))
    return sources
