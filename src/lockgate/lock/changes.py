"""What moved between a lock and the one ``lockgate generate`` wrote over it, said as ``uv lock``
says it: ``Updated numpy v2.0.2 -> v2.4.6``, ``Added gamma v0.5``, ``Removed stray v0.1``."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Move(Enum):
    """How one project's pins changed (uv's words)."""

    ADDED = "Added"
    REMOVED = "Removed"
    UPDATED = "Updated"


@dataclass(frozen=True)
class Change:
    """One project whose set of pinned versions changed.

    Attributes:
        move: :class:`Move`.
        name: the normalized project name.
        before, after: its pinned versions, sorted (a universal lock may pin several under
            markers); empty when absent, or pinned by a URL alone.
    """

    move: Move
    name: str
    before: tuple[str, ...]
    after: tuple[str, ...]

    def __str__(self) -> str:
        before, after = _versions(self.before), _versions(self.after)
        if self.move is Move.UPDATED:
            return f"Updated {self.name} {before} -> {after}"
        return f"{self.move.value} {self.name} {after if self.move is Move.ADDED else before}".rstrip()


def lock_changes(before: str, after: str, path: str) -> list[Change]:
    """The projects whose pins differ between two texts of the lockfile ``path``, by name.

    Args:
        before: the lock's text before ``lockgate generate`` wrote it.
        after: the text written.
        path: the lockfile (its name gives the format; ``-r`` includes are read beside it).

    Returns:
        One :class:`Change` per project added, removed or with other versions, sorted by
        name; nothing when either text cannot be read as a lock (then nothing can be compared).
    """
    from ..errors import LockgateError

    try:
        old, new = _pins(before, path), _pins(after, path)
    except LockgateError:
        return []
    changes = []
    for name in sorted(old.keys() | new.keys()):
        was, now = old.get(name), new.get(name)
        if was == now:
            continue
        move = Move.ADDED if was is None else Move.REMOVED if now is None else Move.UPDATED
        changes.append(Change(move, name, was or (), now or ()))
    return changes


def _pins(text: str, path: str) -> dict[str, tuple[str, ...]]:
    """Normalized name -> its sorted pinned versions, of every entry whatever its marker."""
    from ..env.readers import read_lockfile

    versions: dict[str, set[str]] = {}
    for entry in read_lockfile(path, text=text).packages:
        if entry.name and not entry.constraint_only:
            versions.setdefault(entry.name, set()).update([entry.version] if entry.version else [])
    return {name: tuple(sorted(found, key=_order)) for name, found in versions.items()}


def _order(version: str) -> tuple[int, object]:
    from packaging.version import InvalidVersion, Version

    try:
        return 0, Version(version)
    except InvalidVersion:
        return 1, version


def _versions(versions: tuple[str, ...]) -> str:
    return ", ".join(f"v{version}" for version in versions)
