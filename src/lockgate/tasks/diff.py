"""How two task locks differ, as pure functions of the two values (pip-tools' ``diff()`` beside
its acting ``sync()``): what ``tasks verify``, ``tasks status`` and ``tasks lock --frozen`` report."""

from __future__ import annotations

from ..report import EXTRA, MISSING
from .lockfile import TaskLock

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator

    from .source_record import SourceRecord

TYPE_CHECKING = False
if TYPE_CHECKING:

    pass

VERSION_MISMATCH = "version_mismatch"
DEPENDENCY_MISMATCH = "dependency_mismatch"
CHECKSUM_FAILED = "checksum_failed"
SOURCE_MISMATCH = "source_mismatch"


def differences_between(old: TaskLock, new: TaskLock) -> list[str]:
    """One line per difference between two locks, e.g. ``auth-helper: version 2.1.0 -> 2.2.0``."""
    lines = [periplon_notice(old)] if old.by_periplon else []
    lines += [f"roots: {old.roots} -> {new.roots}"] if old.roots != new.roots and not old.by_periplon else []
    lines.extend(f"{name}: {message}" for _, name, _, _, message in task_differences(old, new))
    return lines


def periplon_notice(lock: TaskLock) -> str:
    """The one line that says a lock's checksums are periplon's, and how to adopt it."""
    return (f"checksums written by {lock.generated_by} cannot be re-derived (periplon hashes its Rust task struct); "
            "adopt the lock with: lockgate tasks lock")  # fmt: skip


def task_differences(locked: TaskLock, fresh: TaskLock) -> Iterator[tuple[str, str, str | None, str | None, str]]:
    """``(status, name, expected, found, message)`` for each task whose lock entry differs
    from a fresh resolution."""
    for name in sorted(set(locked.tasks) | set(fresh.tasks)):
        old, new = locked.tasks.get(name), fresh.tasks.get(name)
        if old is None:
            assert new is not None  # a name of either lock
            yield MISSING, name, new.version, None, f"needed at {new.version}, not in the lock"
        elif new is None:
            yield EXTRA, name, None, old.version, "in the lock, no longer needed"
        elif old.version != new.version:
            yield VERSION_MISMATCH, name, old.version, new.version, f"version {old.version} -> {new.version}"
        elif old.checksum != new.checksum and not locked.by_periplon:
            yield CHECKSUM_FAILED, name, old.checksum, new.checksum, "content changed since it was locked"
        elif not _same_source(old.source, new.source, locked.by_periplon):
            yield SOURCE_MISMATCH, name, old.source.describe(), new.source.describe(), "now comes from another source"
        elif old.dependencies != new.dependencies:
            yield DEPENDENCY_MISMATCH, name, _pairs(old.dependencies), _pairs(new.dependencies), "dependencies changed"
        elif old.constraints != new.constraints and old.constraints:  # none recorded: the entry predates them
            yield DEPENDENCY_MISMATCH, name, _pairs(old.constraints), _pairs(new.constraints), "constraints changed"


def _same_source(old: SourceRecord, new: SourceRecord, by_periplon: bool) -> bool:
    """The same source; periplon records fewer fields (no git commit or path): those it has must agree."""
    if not by_periplon:
        return bool(old == new)
    found = new.to_dict()
    return all(found.get(key) == value for key, value in old.to_dict().items())


def _pairs(mapping: dict[str, str]) -> str:
    return ", ".join(f"{key} {value}" for key, value in mapping.items()) or "none"
