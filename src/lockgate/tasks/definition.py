"""Task and task group definitions: ``*.task.yaml`` files of ``apiVersion: task/v1``, ``kind:
PredefinedTask``, and ``*.taskgroup.yaml`` files of ``apiVersion: taskgroup/v1``, ``kind:
TaskGroup`` (periplon's formats), read with YAML's safe loader and checked as periplon checks
them (the values of :mod:`lockgate.tasks.task_schema`, whose constructors check).

A group takes part in resolution as ``group:NAME`` (a :class:`~lockgate.tasks.task_schema.TaskRef`
of kind GROUP): its tasks are its dependencies (``required: false`` ones optional) and so are
the groups it depends on.

Unknown fields are kept: they are part of the definition and of its checksum.

Checksum: ``"sha256:" + hex(sha256(canonical))`` where ``canonical`` is the parsed document as
JSON: object keys sorted by code point, no whitespace (``","`` and ``":"`` separators),
non-ASCII characters written as UTF-8 (not ``\\u`` escapes), floats in Python's shortest
round-trip form, YAML timestamps as ISO 8601 strings, NaN and infinities refused. It depends on
the content only, never on the file's formatting, comments, key order, the process or the machine.
"""

from __future__ import annotations

from .._yaml import load_yaml
from ..errors import LockgateError
from .task_schema import Kind, Task, TaskDependency, TaskGroup, TaskRef

TASK_SUFFIX = ".task.yaml"
GROUP_SUFFIX = ".taskgroup.yaml"

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class TaskDefinition:
    """A parsed, checked task or task group file.

    Attributes:
        value: the checked :class:`~lockgate.tasks.task_schema.Task` or
            :class:`~lockgate.tasks.task_schema.TaskGroup`.
        name: its :class:`~lockgate.tasks.task_schema.TaskRef` (``group:NAME`` for a group).
        version: ``metadata.version`` (SemVer 2.0).
        dependencies: list of :class:`~lockgate.tasks.task_schema.TaskDependency`.
        document: the whole parsed document, unknown fields included.
        path: the file it was read from.
        checksum: ``"sha256:<hex>"`` of the canonical document (module doc).
    """

    __slots__ = ("value", "name", "version", "dependencies", "document", "path", "checksum")

    def __init__(self, value: Task | TaskGroup, document: dict[str, Any], path: str, checksum: str):
        self.value = value
        self.name: TaskRef = value.name
        self.version: str = value.version
        self.dependencies: list[TaskDependency] = value.dependencies
        self.document = document
        self.path = path
        self.checksum = checksum

    @property
    def key(self) -> str:
        """``name@version``."""
        return f"{self.name}@{self.version}"

    @property
    def workflow_names(self) -> list[str]:
        """The names of a group's ``spec.workflows`` (what ``uses_workflow`` may name); none for a task."""
        return self.value.workflow_names

    def summary(self) -> dict[str, Any]:
        """The metadata a lock keeps: description, author and license, where present."""
        metadata = self.document["metadata"]
        return {key: metadata[key] for key in ("description", "author", "license") if key in metadata}


def file_name(name: TaskRef, version: str) -> str:
    """The file name of a locked entry: ``NAME-VERSION.task.yaml``, or
    ``NAME-VERSION.taskgroup.yaml`` for a group."""
    return f"{name.name}-{version}{GROUP_SUFFIX if name.kind is Kind.GROUP else TASK_SUFFIX}"


def load_task(path: str) -> TaskDefinition:
    """Read and check one task file.

    Raises:
        LockgateError: unreadable file, invalid YAML (with its line), or a schema error naming
            the field path and what is wrong.
    """
    from .._io import read_text

    return parse_task(read_text(path), path)


def load_definition(path: str) -> TaskDefinition | None:
    """Read and check a ``*.task.yaml`` or ``*.taskgroup.yaml`` file found in a source.

    Returns:
        The definition, or None for a ``*.taskgroup.yaml`` without ``apiVersion``: periplon's
        own examples give that name to workflow files with ``task_groups:``, which are no
        task group.

    Raises:
        LockgateError: as :func:`load_task`.
    """
    from .._io import read_text

    return parse_found(read_text(path), path)


def parse_found(text: str, path: str) -> TaskDefinition | None:
    """:func:`load_definition` on text already read (from a git blob, say)."""
    if not path.endswith(GROUP_SUFFIX):
        return parse_task(text, path)
    document = load_yaml(text, path)
    if isinstance(document, dict) and "apiVersion" not in document:
        return None
    return _definition(TaskGroup.from_document(document, path), document, path)


def parse_task(text: str, path: str) -> TaskDefinition:
    """Parse and check task YAML that came from ``path`` (named in errors)."""
    document = load_yaml(text, path)
    return _definition(Task.from_document(document, path), document, path)


def parse_locked(text: str, path: str, name: TaskRef) -> TaskDefinition:
    """Parse the file of the locked entry ``name``: a task group or a task, as ``name.kind`` says."""
    document = load_yaml(text, path)
    value = TaskGroup.from_document(document, path) if name.kind is Kind.GROUP else Task.from_document(document, path)
    return _definition(value, document, path)


def _definition(value: Task | TaskGroup, document: Any, path: str) -> TaskDefinition:
    return TaskDefinition(value, document, path, checksum(document, path))


def checksum(document: object, path: str = "") -> str:
    """``"sha256:<hex>"`` of a parsed document's canonical JSON (module doc).

    Raises:
        LockgateError: the document holds a value JSON cannot carry (NaN, binary, sets…).
    """
    import hashlib

    return "sha256:" + hashlib.sha256(canonical_json(document, path)).hexdigest()


def canonical_json(document: object, path: str = "") -> bytes:
    """The canonical serialization that :func:`checksum` hashes, as UTF-8 bytes."""
    import json

    try:
        text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_timestamp)
    except (TypeError, ValueError) as error:
        raise LockgateError(f"a value cannot be checksummed ({error}); use strings, numbers, lists and mappings", path) from None
    return text.encode()


def _timestamp(value: object) -> str:
    import datetime

    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")
