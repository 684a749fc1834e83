"""Where task definitions come from.

Every source answers the same questions (:class:`TaskSource`): which versions of a task it
has, the definition of one, how a lock records it, and where a locked entry's file is now.
Local folders are here; git repositories and HTTP registries implement the same interface.
"""

from __future__ import annotations

import os

from ..errors import LockgateError
from .definition import GROUP_SUFFIX, TASK_SUFFIX, TaskDefinition, load_definition
from .source_record import LocalRecord, SourceRecord
from .task_schema import Kind

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator

LOCAL = "local"


class TaskSource:
    """The interface of a task source.

    Attributes:
        kind: ``"local"``, ``"git"`` or ``"registry"`` (the lock's ``source.type``).
        priority: higher is searched first; equal priorities keep configuration order.
    """

    kind = ""
    priority = 0

    def versions(self, name: str) -> list[str]:
        """The versions of task ``name`` this source has (any order)."""
        raise NotImplementedError

    def definition(self, name: str, version: str) -> TaskDefinition:
        """The definition of ``name@version``; only for a version :meth:`versions` listed."""
        raise NotImplementedError

    def lock_source(self, definition: TaskDefinition, lock_dir: str) -> SourceRecord:
        """The lock's record of a definition from here (paths relative to ``lock_dir``)."""
        raise NotImplementedError

    def describe(self) -> str:
        """One line for messages, e.g. ``local tasks/``."""
        raise NotImplementedError


class LocalSource(TaskSource):
    """A folder of ``*.task.yaml`` and ``*.taskgroup.yaml`` files (searched recursively).

    Args:
        folder: the folder; a missing one holds no tasks.
        priority: higher is searched first.
        groups_only: offer its task groups alone (periplon's group loader's folders, searched
            for groups whatever the task sources are).

    Raises (on first use):
        LockgateError: an invalid task file, or the same name@version twice (naming both files).
    """

    kind = LOCAL

    def __init__(self, folder: str, priority: int = 0, *, groups_only: bool = False):
        self.folder = os.path.normpath(folder)
        self.priority = priority
        self.groups_only = groups_only
        self._index: dict[str, dict[str, TaskDefinition]] | None = None

    def index(self) -> dict[str, dict[str, TaskDefinition]]:
        """name -> version -> definition, for every task and group file under the folder
        (read once; groups as ``group:NAME``)."""
        if self._index is None:
            self._index = {}
            for path in sorted(_task_files(self.folder)):
                task = load_definition(path)
                if task is None or (self.groups_only and task.name.kind is not Kind.GROUP):
                    continue
                versions = self._index.setdefault(task.name, {})
                if task.version in versions:
                    raise LockgateError(f"{task.key} is defined twice in {self.folder}: {versions[task.version].path} and {path}", path)
                versions[task.version] = task
        return self._index

    def versions(self, name: str) -> list[str]:
        return list(self.index().get(name, {}))

    def definition(self, name: str, version: str) -> TaskDefinition:
        return self.index()[name][version]

    def lock_source(self, definition: TaskDefinition, lock_dir: str) -> SourceRecord:
        path, home = os.path.abspath(definition.path), os.path.expanduser("~")
        if not path.startswith(os.path.join(os.path.abspath(lock_dir), "")) and path.startswith(os.path.join(home, "")):
            return LocalRecord({"path": "~/" + relative_path(path, home)})
        return LocalRecord({"path": relative_path(definition.path, lock_dir)})

    def describe(self) -> str:
        return f"local {self.folder}" + (" (task groups)" if self.groups_only else "")


def relative_path(path: str, folder: str) -> str:
    """``path`` relative to ``folder``, ``/``-separated (what a lock records; never absolute)."""
    return os.path.relpath(os.path.abspath(path), os.path.abspath(folder)).replace(os.sep, "/")


def _task_files(folder: str) -> Iterator[str]:
    """Every ``*.task.yaml`` and ``*.taskgroup.yaml`` under ``folder``; a file or folder that is a symlink leading out of
    ``folder`` is refused (a source cannot pull in files from elsewhere)."""
    inside = os.path.join(os.path.realpath(folder), "")
    for parent, subfolders, files in os.walk(folder):
        subfolders[:] = [name for name in subfolders if not name.startswith(".") or name == ".claude"]
        for name in [*subfolders, *files]:
            path = os.path.join(parent, name)
            if os.path.islink(path) and not os.path.realpath(path).startswith(inside):
                raise LockgateError(f"a symlink leading out of the task source {folder}; refused", path)
        for name in files:
            if name.endswith((TASK_SUFFIX, GROUP_SUFFIX)):
                yield os.path.join(parent, name)
