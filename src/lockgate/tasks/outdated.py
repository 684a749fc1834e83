"""``tasks outdated``: for each locked task, the newest version its constraints allow and the
newest there is."""

from __future__ import annotations

from .config import TasksConfig
from .locked import read_existing, with_locked_sources

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def outdated_tasks(config: TasksConfig) -> list[dict[str, Any]]:
    """For each locked task: the newest version its recorded constraints allow, the newest
    release there is (never older than the locked version, a locked pre-release included), the
    kind of update to it and whether it is breaking (a major bump, periplon's ReviewRequired).
    Git sources pinned to a version tag are searched at every version tag of their repository
    too; build ``config`` with ``fetch=True`` to see the remote's newest (``--offline``: the cache).

    Returns:
        ``[{"name", "locked", "compatible", "latest", "update", "breaking"}]`` sorted by name;
        versions are None when the sources have none; ``update`` is ``major``, ``minor``,
        ``patch``, ``none``, or ``gone`` when no source has the task any more.
    """
    from .constraints import parse_constraint, version_key
    from .git_source import GitSource
    from .resolve import available_versions

    locked = read_existing(config)
    config = with_locked_sources(config, locked)
    sources = [*config.sources, *(tagged for s in config.sources if isinstance(s, GitSource) for tagged in s.version_tags())]
    rows = []
    for name, task in locked.tasks.items():
        versions = available_versions(sources, name)
        if not versions:
            rows.append({"name": name, "locked": task.version, "compatible": None, "latest": None, "update": "gone", "breaking": False})
            continue
        constraints = [parse_constraint(text) for text in task.constraints.values()]
        compatible = next((v for v in versions if all(c.allows(v) for c in constraints)), None)
        release = next((v for v in versions if "-" not in v), None)
        latest = max((v for v in (release, task.version) if v), key=version_key)
        update = _update_kind(task.version, latest)
        rows.append({"name": name, "locked": task.version, "compatible": compatible, "latest": latest,
                     "update": update, "breaking": update == "major"})  # fmt: skip
    return rows


def _update_kind(locked: str, newer: str) -> str:
    """``major``, ``minor``, ``patch`` or ``none``: the first SemVer field in which ``newer`` is ahead."""
    from .constraints import release_parts

    old, new = release_parts(locked), release_parts(newer)
    for kind, a, b in zip(("major", "minor", "patch"), old, new):
        if b != a:
            return kind if b > a else "none"
    return "none"
