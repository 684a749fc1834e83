"""``tasks.lock.yaml``: periplon's lock format (1.x), written as version 1.1.0.

Shape (top-level keys in this order)::

    version: "1.1.0"
    generated_at: "2026-11-21T12:00:00Z"    # kept when nothing else changed
    generated_by: "lockgate 0.1.0"
    roots: ["app@^1.0"]                     # 1.1.0: what was resolved
    tasks:                                  # sorted by name
      auth-helper:
        version: "2.1.0"
        checksum: "sha256:<hex>"            # lockgate.tasks.definition.checksum
        source: {type: local, path: tasks/auth-helper.task.yaml}   # relative to this file
        resolved_at: "…"                    # kept while the entry is unchanged
        dependencies: {}                    # name: exact version
        constraints: {"(root)": "^2.0"}     # 1.1.0: who asked for it, and how
        metadata: {description: …, author: …, license: …}
    groups:                                 # only when a task group is locked (lockgate's 1.x
      suite:                                #   addition: periplon and older lockgates skip it)
        version: "2.0.0"                    # the same keys as a task; its dependencies and the
        …                                   #   constraints of what it requires name groups as group:NAME
    metadata:
      task_count: 1
      group_count: 1                        # only with groups

In memory (:class:`TaskLock.tasks`) a group is the entry ``group:NAME``, as resolution names it.
Files of any 1.x version load; a newer major version is refused. Saving writes a temporary
file in the same folder, fsyncs and renames it (:func:`lockgate._io.write_atomic`), under a
file lock in lockgate's cache folder (:func:`lock_file_guard`) held by the whole
read-resolve-write of ``tasks lock``; ``--frozen``, which writes nothing, takes none.
"""

from __future__ import annotations

import os

from ..errors import LockgateError
from .task_schema import Kind, TaskRef

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from filelock import FileLock

    from .source_record import SourceRecord

FORMAT_VERSION = "1.1.0"
_COUNTS = ("task_count", "group_count")
_ENTRY_KEYS = ("version", "checksum", "source", "resolved_at", "dependencies", "constraints", "metadata")


class LockedTask:
    """One ``tasks.<name>`` (or ``groups.<name>``) entry. Attributes as the lock's keys
    (``resolved_at`` a string, ``source`` a :class:`~lockgate.tasks.source_record.SourceRecord`,
    ``dependencies`` keyed by :class:`~lockgate.tasks.task_schema.TaskRef`); ``name`` is its
    :class:`~lockgate.tasks.task_schema.TaskRef` (text is parsed as the lock writes it)."""

    __slots__ = ("name", *_ENTRY_KEYS)

    def __init__(self, name: str, version: str, checksum: str, source: SourceRecord, resolved_at: str,
                 dependencies: dict[str, str], constraints: dict[str, str], metadata: dict[str, Any]):  # fmt: skip
        self.name = TaskRef.parse(name)
        self.version = version
        self.checksum = checksum
        self.source = source
        self.resolved_at = resolved_at
        self.dependencies = dependencies
        self.constraints = constraints
        self.metadata = metadata

    def content(self) -> tuple[object, ...]:
        """Everything but the timestamp: two entries with equal content are the same pin."""
        return (self.version, self.checksum, self.source, self.dependencies, self.constraints, self.metadata)

    def to_dict(self) -> dict[str, Any]:
        """The entry as the file writes it: names as plain text (``group:NAME`` for a group)."""
        document = {key: getattr(self, key) for key in _ENTRY_KEYS}
        document["source"] = self.source.to_dict()
        document["dependencies"] = {str(name): version for name, version in self.dependencies.items()}
        document["constraints"] = {str(name): text for name, text in self.constraints.items()}
        return document


class TaskLock:
    """A whole lock file.

    Attributes:
        version: the file format version (``"1.1.0"`` when written by lockgate).
        generated_at, generated_by: strings (ISO 8601 UTC; ``"lockgate X"``).
        roots: the root references resolved (empty in periplon's 1.0.0 files).
        tasks: name -> :class:`LockedTask`, sorted by name; task groups as ``group:NAME``.
        metadata: the lock's ``metadata`` keys besides the counts (which are recomputed),
            such as periplon's ``source_workflow``: kept from one lock to the next.
    """

    __slots__ = ("version", "generated_at", "generated_by", "roots", "tasks", "metadata")

    def __init__(self, version: str, generated_at: str, generated_by: str, roots: list[str], tasks: dict[str, LockedTask],
                 metadata: dict[str, Any] | None = None):  # fmt: skip
        self.version = version
        self.generated_at = generated_at
        self.generated_by = generated_by
        self.roots = roots
        self.tasks = tasks
        self.metadata = {key: value for key, value in (metadata or {}).items() if key not in _COUNTS}

    def content(self) -> tuple[object, ...]:
        """Everything but the timestamps and the format: two locks with equal content pin the same."""
        return (self.roots, {name: task.content() for name, task in self.tasks.items()}, self.metadata)

    @property
    def by_periplon(self) -> bool:
        """Written by periplon itself (``generated_by: "periplon@0.1.0"``): its checksums hash
        periplon's Rust struct (``serde_yaml::to_string``), which lockgate cannot re-derive."""
        return self.generated_by.startswith("periplon")

    def to_dict(self) -> dict[str, Any]:
        """The document as the file writes it (module doc): tasks and groups in their sections."""
        tasks = {task.name.name: task.to_dict() for _, task in sorted(self.tasks.items()) if task.name.kind is Kind.TASK}
        groups = {task.name.name: task.to_dict() for _, task in sorted(self.tasks.items()) if task.name.kind is Kind.GROUP}
        document = {"version": self.version, "generated_at": self.generated_at, "generated_by": self.generated_by,
                    "roots": self.roots, "tasks": tasks}  # fmt: skip
        counts = {"task_count": len(tasks)}
        if groups:
            document["groups"] = groups
            counts["group_count"] = len(groups)
        document["metadata"] = {**self.metadata, **counts}
        return document


def read_task_lock(path: str) -> TaskLock:
    """Read a tasks.lock.yaml of format 1.x.

    Raises:
        LockgateError: unreadable, invalid YAML, a newer major format, or a malformed entry.
    """
    from .._io import read_text
    from .._yaml import load_yaml

    document = load_yaml(read_text(path), path)
    if not isinstance(document, dict) or not isinstance(document.get("tasks") or {}, dict):
        raise LockgateError("not a tasks lock: expected a mapping with version and tasks", path)
    version = str(document.get("version", ""))
    major = version.split(".", 1)[0]
    if not major.isdigit():
        raise LockgateError(f"version: {version!r} is not a lock format version such as 1.1.0", path)
    if int(major) != 1:
        raise LockgateError(f"lock format {version} is not 1.x, which this lockgate reads; upgrade lockgate (or regenerate the lock)", path)
    from ..shapes import string_list, table

    generated_by = _text(document.get("generated_by"), "generated_by", path)
    base = _project_folder(path) if generated_by.startswith("periplon") else None
    tasks: dict[str, LockedTask] = {}
    for section, kind in (("tasks", Kind.TASK), ("groups", Kind.GROUP)):
        for name, entry in sorted(table(document.get(section), section, path).items(), key=_by_name):
            ref = TaskRef(kind, str(name))
            tasks[ref] = _entry(ref, entry, path, section, base)
    roots = string_list(document.get("roots"), "roots", path)
    metadata = table(document.get("metadata"), "metadata", path)
    return TaskLock(version, _text(document.get("generated_at"), "generated_at", path), generated_by, list(roots), tasks, metadata)


def _project_folder(path: str) -> str:
    """Where periplon's local paths start: the working folder periplon runs in, the project,
    which holds ``.claude/tasks.lock.yaml`` (else the lock's own folder)."""
    folder = os.path.dirname(os.path.realpath(path))
    return os.path.dirname(folder) if os.path.basename(folder) == ".claude" else folder


def _by_name(item: tuple[object, object]) -> str:
    return str(item[0])


def _entry(name: TaskRef, entry: object, path: str, section: str, base: str | None) -> LockedTask:
    """One entry, each field checked for its one type where it is read; ``base``: the folder a
    periplon lock's local paths start from (they are rebased onto the lock's folder)."""
    field = f"{section}.{name.name}"
    if not isinstance(entry, dict) or not isinstance(entry.get("version"), str):
        raise LockgateError(f"{field}: expected a mapping with a quoted version", path)
    from .source_record import LocalRecord, source_record

    source = source_record(entry.get("source") or {}, f"{field}.source", path)
    if base is not None and isinstance(source, LocalRecord):
        source = source.rebased(base, os.path.dirname(os.path.realpath(path)))
    from ..shapes import table

    dependencies: dict[str, str] = {TaskRef.parse(key): value for key, value in _text_table(entry.get("dependencies"), f"{field}.dependencies", path).items()}
    constraints = _text_table(entry.get("constraints"), f"{field}.constraints", path)
    checksum = entry.get("checksum", "")
    if not isinstance(checksum, str):
        raise LockgateError(f"{field}.checksum: must be text (sha256:HEX), not {type(checksum).__name__}", path)
    return LockedTask(
        name, entry["version"], checksum, source, _text(entry.get("resolved_at"), f"{field}.resolved_at", path),
        dependencies, constraints, table(entry.get("metadata"), f"{field}.metadata", path),
    )  # fmt: skip


def _text_table(value: object, field: str, path: str) -> dict[str, str]:
    """A mapping of names to quoted text (versions, constraints): ``2.1`` unquoted is a number.

    Raises:
        LockgateError: not a mapping, or a value that is not text (naming the key).
    """
    from ..shapes import table

    mapping = table(value, field, path)
    for key, item in mapping.items():
        if not isinstance(item, str):
            raise LockgateError(f"{field}.{key}: must be text (quote it), not {type(item).__name__}", path)
    return {str(key): item for key, item in mapping.items()}


def _text(value: object, field: str, path: str) -> str:
    """Text as written; a timestamp YAML read as a datetime (unquoted) comes back as ISO 8601.

    Raises:
        LockgateError: a number, list or mapping where text belongs.
    """
    import datetime

    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat().replace("+00:00", "Z")
    if value is not None and not isinstance(value, str):
        raise LockgateError(f"{field}: must be text, not {type(value).__name__}", path)
    return value or ""


def render_task_lock(lock: TaskLock) -> str:
    """The file text: block-style YAML, keys in the documented order, tasks sorted by name."""
    import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(lock.to_dict(), Dumper=dumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=4096)


def save_task_lock(path: str, lock: TaskLock) -> None:
    """Write the lock atomically (caller holds :func:`lock_file_guard`)."""
    from .._io import write_atomic

    write_atomic(path, render_task_lock(lock).encode())


def lock_file_guard(path: str, timeout: float = 600) -> FileLock:
    """A :class:`filelock.FileLock` that makes writers of the lock at ``path`` wait for each
    other (``timeout`` seconds). It lives in lockgate's cache folder (``locks/``), named by the
    sha256 of the lock's real path, never beside the lock: nothing is left in the project for
    ``git add -A`` to commit, and a read-only checkout needs no write to be checked."""
    import hashlib

    from filelock import FileLock

    from .cache import cache_dir

    name = hashlib.sha256(os.path.realpath(path).encode()).hexdigest()[:32]
    return FileLock(os.path.join(cache_dir("locks"), name + ".lock"), timeout=timeout)
