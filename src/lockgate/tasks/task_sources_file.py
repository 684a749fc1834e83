"""periplon's ``task-sources.yaml``, read as lockgate's task sources: a project moving over
keeps its sources file as it is.

Shape (periplon's ``TaskSourcesConfig``)::

    sources:
      - type: local            # name, path, priority (0-255), enabled (default true)
        name: project
        path: ./.claude/tasks  # ~ and $VAR expand; relative to the project folder
        priority: 10
      - type: git              # name, url, branch or tag, priority, enabled, trusted,
        name: shared           # update_policy, cache_dir
        url: https://example.org/team/tasks.git
        branch: main
        priority: 5

A disabled source is skipped. periplon's ``trusted``, ``update_policy`` and ``cache_dir`` have
no lockgate meaning (git sources are fetched only by ``tasks update``, into lockgate's cache):
they are accepted with a warning, as are keys neither tool knows.
"""

from __future__ import annotations

import os

from ..errors import LockgateError
from ..shapes import plain_text
from .sources import LocalSource, TaskSource

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

PROJECT_FILE = os.path.join(".claude", "task-sources.yaml")
USER_FILE = os.path.join("~", ".claude", "task-sources.yaml")
_COMMON = ("type", "name", "priority", "enabled")
_KNOWN = {"local": (*_COMMON, "path"), "git": (*_COMMON, "url", "branch", "tag")}
_PERIPLON_ONLY = ("trusted", "update_policy", "cache_dir")


def task_sources_files(project: str) -> list[str]:
    """The sources files periplon would read for ``project``: the project's, then the user's."""
    candidates = [os.path.join(project, PROJECT_FILE), os.path.expanduser(USER_FILE)]
    return [path for path in candidates if os.path.isfile(path)]


def read_task_sources(path: str, project: str, modes: dict[str, Any], warnings: list[str]) -> list[TaskSource]:
    """The enabled sources of one ``task-sources.yaml``.

    Args:
        path: the file.
        project: the folder relative paths start from.
        modes: how git sources use their cache (:class:`~lockgate.tasks.git_source.GitSource`).
        warnings: gets one line per key lockgate accepts but does not use.

    Raises:
        LockgateError: not that shape, naming the file and the field.
    """
    from .._io import read_text
    from .._yaml import load_yaml

    document = load_yaml(read_text(path), path)
    entries = document.get("sources") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise LockgateError("sources: must be a list of sources (type local or git)", path)
    sources: list[TaskSource] = []
    for index, entry in enumerate(entries):
        source = _source(entry, f"sources[{index}]", path, project, modes, warnings)
        if source is not None:
            sources.append(source)
    return sources


def _source(entry: object, field: str, path: str, project: str, modes: dict[str, Any], warnings: list[str]) -> TaskSource | None:
    if not isinstance(entry, dict):
        raise LockgateError(f"{field}: must be a mapping with type, name and priority", path)
    kind = entry.get("type")
    if kind not in _KNOWN:
        raise LockgateError(f"{field}.type: {kind!r} is not a source type; use local or git", path)
    if isinstance(entry.get("name"), (dict, list)) or "name" not in entry:  # a label; YAML 1.1 reads `name: off` as false
        raise LockgateError(f"{field}.name: a source needs a name", path)
    priority = entry.get("priority")
    if isinstance(priority, bool) or not isinstance(priority, int) or not 0 <= priority <= 255:
        raise LockgateError(f"{field}.priority: must be a whole number from 0 to 255", path)
    enabled = entry.get("enabled", True)
    if not isinstance(enabled, bool):
        raise LockgateError(f"{field}.enabled: must be true or false", path)
    for key in entry:
        if key in _PERIPLON_ONLY:
            warnings.append(f"{path}: {field}.{key} has no meaning for lockgate; ignored")
        elif key not in _KNOWN[kind]:
            warnings.append(f"{path}: {field}.{key} is not a key periplon or lockgate knows; ignored")
    if not enabled:
        return None
    if kind == "local":
        folder = os.path.expanduser(os.path.expandvars(plain_text(entry.get("path"), f"{path}: {field}.path", None)))
        return LocalSource(os.path.join(project, folder), priority)
    return _git(entry, field, path, priority, modes)


def _git(entry: dict[str, Any], field: str, path: str, priority: int, modes: dict[str, Any]) -> TaskSource:
    from .git_source import GitSource

    url = plain_text(entry.get("url"), f"{path}: {field}.url", None)
    if "branch" in entry and "tag" in entry:
        raise LockgateError(f"{field}: name a branch or a tag, not both", path)
    ref = entry.get("branch", entry.get("tag"))
    try:
        return GitSource(url, plain_text(ref, f"{path}: {field}.branch", None) if ref is not None else None, "", priority, **modes)
    except LockgateError as error:
        raise LockgateError(f"{field}: {error}", path) from None
