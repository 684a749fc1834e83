"""Where a locked task came from: the ``source`` mapping of a ``tasks.lock.yaml`` entry, as
typed records. Each task source writes one (``TaskSource.lock_source``) and each record reads
its task back (:meth:`SourceRecord.read`), so no code switches on the ``type`` string.

Keys a record does not know (a newer lockgate's, periplon's) are kept and written back.
"""

from __future__ import annotations

from ..errors import LockgateError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .fetch import LockedReader
    from .lockfile import LockedTask


class SourceRecord:
    """A lock's ``source`` mapping: ``type`` and the fields of :attr:`FIELDS`, in that order.

    Attributes:
        kind: the ``type`` value (``"local"``, ``"git"``, ``"registry"``).
        fields: the known fields, strings (absent ones are not written).
        extra: unknown keys, kept as they were read.
    """

    kind = ""
    FIELDS: tuple[str, ...] = ()

    def __init__(self, fields: dict[str, str], extra: dict[str, Any] | None = None):
        self.fields = {key: fields[key] for key in self.FIELDS if fields.get(key) is not None}
        self.extra = dict(extra or {})

    def get(self, key: str, default: str = "") -> str:
        """A field's text, or ``default``."""
        return self.fields.get(key, default)

    def to_dict(self) -> dict[str, Any]:
        """The mapping the lock file holds: ``type`` first, then the fields, then unknown keys."""
        return {"type": self.kind, **self.fields, **self.extra}

    def describe(self) -> str:
        """``type=git url=… commit=…``, for messages."""
        return " ".join(f"{key}={value}" for key, value in self.to_dict().items())

    def read(self, reader: LockedReader, task: LockedTask) -> tuple[str, str]:
        """``(text, origin)`` of the locked ``task``'s file as this source holds it now, through a
        :class:`~lockgate.tasks.fetch.LockedReader`.

        Raises:
            LockgateError: the file, commit or download is gone or does not match.
        """
        raise LockgateError(f"tasks.{task.name}.source: unknown type {self.kind!r}; upgrade lockgate")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SourceRecord) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(tuple(sorted((key, str(value)) for key, value in self.to_dict().items())))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.describe()})"


class LocalRecord(SourceRecord):
    """A file of a local folder: ``path`` relative to the lock's folder, or ``~/…`` for a file
    of the user's own folder (``~/.claude/tasks``) outside it, so the lock reads the same for
    every user."""

    kind = "local"
    FIELDS = ("path",)

    def __init__(self, fields: dict[str, str], extra: dict[str, Any] | None = None):
        import posixpath

        path = fields.get("path")  # ./x and x are one path
        super().__init__({**fields, "path": posixpath.normpath(path)} if path else fields, extra)

    def rebased(self, old: str, new: str) -> LocalRecord:
        """This record with a relative ``path`` that started from folder ``old`` made relative to ``new``."""
        path = self.get("path")
        if not path or path.startswith("~/") or path.startswith("/"):
            return self
        import os

        moved = os.path.relpath(os.path.normpath(os.path.join(old, path)), new).replace(os.sep, "/")
        return LocalRecord({**self.fields, "path": moved}, self.extra)

    def read(self, reader: LockedReader, task: LockedTask) -> tuple[str, str]:
        return reader.read_local(task.name, self.get("path"))


class GitRecord(SourceRecord):
    """A blob of a git repository: ``url``, the requested ``ref``, the resolved ``commit``,
    ``subpath`` and the file's ``path`` in the repository (periplon records neither commit nor
    path: its task is then found by name and version under the subpath at the ref's tip)."""

    kind = "git"
    FIELDS = ("url", "ref", "commit", "subpath", "path")

    def read(self, reader: LockedReader, task: LockedTask) -> tuple[str, str]:
        return reader.read_git(self, f"{task.name}@{task.version}")


class RegistryRecord(SourceRecord):
    """A file of an HTTP registry: the registry ``url``, the index's ``file`` reference and its ``sha256``."""

    kind = "registry"
    FIELDS = ("url", "file", "sha256")

    def read(self, reader: LockedReader, task: LockedTask) -> tuple[str, str]:
        return reader.read_registry(self)


_KINDS = {record.kind: record for record in (LocalRecord, GitRecord, RegistryRecord)}


def source_record(mapping: object, field: str, path: str | None = None) -> SourceRecord:
    """The record of a lock's ``source`` mapping (an unknown ``type`` gives a record that
    refuses to read, naming it).

    Raises:
        LockgateError: not a mapping, or a known field that is not a scalar (naming ``field``).
    """
    if not isinstance(mapping, dict):
        raise LockgateError(f"{field}: expected a mapping with a type", path)
    kind = str(mapping.get("type", ""))
    record_type = _KINDS.get(kind)
    if record_type is None:
        unknown = SourceRecord({}, {key: value for key, value in mapping.items() if key != "type"})
        unknown.kind = kind
        return unknown
    fields = {}
    for key in record_type.FIELDS:
        value = mapping.get(key)
        if value is not None and not isinstance(value, str):  # `ref: 123` is a number, not the tag "123"
            raise LockgateError(f"{field}.{key}: must be text (quote it), not {type(value).__name__}", path)
        if value is not None:
            fields[key] = value
    extra = {key: value for key, value in mapping.items() if key != "type" and key not in record_type.FIELDS}
    return record_type(fields, extra)
