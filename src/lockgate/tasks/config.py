"""The ``[tasks]`` settings of a project: ``lockgate.toml``, or ``[tool.lockgate.tasks]`` in
pyproject.toml::

    [tasks]
    roots = ["app@^1.0"]            # what `tasks lock` resolves when no ROOT is given
    lockfile = "tasks.lock.yaml"    # default
    [[tasks.sources]]
    type = "local"
    path = "tasks"                  # relative to the configuration file; ~ and $VAR expand
    priority = 10                   # higher is searched first
    enabled = true                  # false: skipped (any source type)
    [[tasks.sources]]
    type = "git"                    # url, ref (branch, tag or commit), subpath, priority
    url = "https://example.org/tasks.git"
    [[tasks.sources]]
    type = "registry"               # url, priority, token_env (LOCKGATE_*), timeout (seconds),
                                    # max_index_bytes, max_file_bytes
    url = "https://tasks.example.org/registry"

Without ``[[tasks.sources]]`` (and without periplon's ``task-sources.yaml``) the local sources
are periplon's places and lockgate's, in this order: ``./.claude/tasks``,
``./.claude/task-groups``, ``./tasks``, ``~/.claude/tasks``, ``~/.claude/task-groups``. Sources
given on the command line come before all of them.
"""

from __future__ import annotations

import os

from ..config import load_config
from ..errors import LockgateError
from ..shapes import plain_text
from .sources import LocalSource, TaskSource

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from typing import Any

DEFAULT_LOCKFILE = "tasks.lock.yaml"
_SOURCE_KEYS = {
    "local": ("type", "path", "priority", "enabled"),
    "git": ("type", "url", "ref", "subpath", "priority", "enabled"),
    "registry": ("type", "url", "priority", "enabled", "token_env", "timeout", "max_index_bytes", "max_file_bytes"),
}
DEFAULT_FOLDERS = (".claude/tasks", ".claude/task-groups", "tasks", "~/.claude/tasks", "~/.claude/task-groups")


class TasksConfig:
    """Resolved task settings.

    Attributes:
        roots: root references (``name@constraint``) from the configuration.
        lockfile: path of the lock file.
        sources: :class:`~lockgate.tasks.sources.TaskSource` list, highest priority first.
        modes: ``{"fetch", "offline", "frozen", "timeout"}``: how git sources use their cache
            and how long a git command may take, for the sources a lock records that the
            configuration does not name.
        warnings: what the user should hear about the configuration (keys it ignores).
    """

    __slots__ = ("roots", "lockfile", "sources", "modes", "warnings")

    def __init__(self, roots: list[str], lockfile: str, sources: list[TaskSource], modes: dict[str, Any] | None = None,
                 warnings: Iterable[str] = ()):  # fmt: skip
        self.roots: list[str] = roots
        self.lockfile: str = lockfile
        self.sources: list[TaskSource] = sources
        self.modes: dict[str, Any] = modes or {"fetch": False, "offline": False, "frozen": False, "timeout": None}
        self.warnings: list[str] = list(warnings)

    def with_sources(self, sources: list[TaskSource]) -> TasksConfig:
        """The same settings with ``sources`` instead (a new value; this one is left as it was)."""
        return TasksConfig(self.roots, self.lockfile, sources, self.modes, self.warnings)


def load_tasks_config(directory: str = ".", *, sources: Sequence[str] = (), git_sources: Sequence[str] = (), registries: Sequence[str] = (), lockfile: str | None = None,
                      fetch: bool = False, offline: bool = False, frozen: bool = False, timeout: float | None = None) -> TasksConfig:  # fmt: skip
    """The project's task settings, with command-line overrides.

    Args:
        directory: the project folder (where lockgate.toml or pyproject.toml is).
        sources: folders given with ``--source``, first highest; they come before the configured.
        git_sources: ``URL[@REF][#SUBPATH]`` strings (``--source-git``), after ``sources``.
        registries: registry URLs (``--source-registry``), after ``git_sources``.
        lockfile: ``--lockfile``, overriding ``tasks.lockfile``.
        fetch, offline, frozen: how git sources use their cache and pinned commits
            (:class:`~lockgate.tasks.git_source.GitSource`).
        timeout: seconds each git command may take (None: ``GIT_TIMEOUT``, 120).

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
    modes: dict[str, Any] = {"fetch": fetch, "offline": offline, "frozen": frozen, "timeout": timeout}
    warnings: list[str] = []
    configured = _configured_sources(tasks.get("sources"), base, where, modes, warnings)
    top = max((source.priority for source in configured), default=0)
    count = len(sources) + len(git_sources) + len(registries)
    given: list[TaskSource] = [LocalSource(folder, top + count - index) for index, folder in enumerate(sources)]
    for text in git_sources:
        from .git_source import GitSource, parse_git_argument

        url, ref, subpath = parse_git_argument(text)
        given.append(GitSource(url, ref, subpath, top + count - len(given), **modes))
    for url in registries:
        from .registry_source import RegistrySource

        given.append(RegistrySource(url, top + count - len(given), offline=offline))
    path_setting = tasks.get("lockfile", _default_lockfile(base))
    if not isinstance(path_setting, str):
        raise LockgateError(f"{where}.lockfile: must be a path")
    ordered = sorted([*given, *configured], key=lambda source: -source.priority)
    return TasksConfig(list(roots), lockfile or os.path.normpath(os.path.join(base, path_setting)), ordered, modes, warnings)


def _default_lockfile(base: str) -> str:
    """``tasks.lock.yaml``; in a periplon project (a ``.claude`` folder and no
    ``tasks.lock.yaml`` beside it), periplon's place, ``.claude/tasks.lock.yaml``."""
    periplon = os.path.join(".claude", DEFAULT_LOCKFILE)
    if not os.path.exists(os.path.join(base, DEFAULT_LOCKFILE)) and os.path.isdir(os.path.join(base, ".claude")):
        return periplon
    return DEFAULT_LOCKFILE


GROUP_FOLDERS = (".claude/task-groups", "~/.claude/task-groups")


def _group_folders(base: str, listed: list[TaskSource]) -> list[TaskSource]:
    """periplon's group loader's folders (``groups/loader.rs``), which it searches for task groups
    whatever ``task-sources.yaml`` lists: below every listed source, unless one lists them."""
    folders = {os.path.realpath(source.folder) for source in listed if isinstance(source, LocalSource)}
    found = [os.path.normpath(os.path.join(base, os.path.expanduser(folder))) for folder in GROUP_FOLDERS]
    return [LocalSource(folder, -1 - index, groups_only=True) for index, folder in enumerate(found) if os.path.realpath(folder) not in folders]


def _configured_sources(entries: object, base: str, where: str, modes: dict[str, Any], warnings: list[str]) -> list[TaskSource]:
    if entries is None:
        from .task_sources_file import read_task_sources, task_sources_files

        files = task_sources_files(base)
        if files:  # periplon's sources file, when lockgate's configuration names none
            listed = [source for path in files for source in read_task_sources(path, base, modes, warnings)]
            return listed + _group_folders(base, listed)
        count = len(DEFAULT_FOLDERS)
        return [LocalSource(os.path.join(base, os.path.expanduser(folder)), count - index) for index, folder in enumerate(DEFAULT_FOLDERS)]
    if not isinstance(entries, list):
        raise LockgateError(f"{where}.sources: must be an array of tables ([[tasks.sources]])")
    sources = []
    for index, entry in enumerate(entries):
        field = f"{where}.sources[{index}]"
        if not isinstance(entry, dict):
            raise LockgateError(f"{field}: must be a table with type and path")
        kind = entry.get("type", "local")
        known = _SOURCE_KEYS.get(kind, ())  # an unknown type is refused below
        warnings.extend(f"{field}.{key} is not a key of a {kind} source; ignored" for key in entry if known and key not in known)
        priority = entry.get("priority", 0)
        if not isinstance(priority, int) or isinstance(priority, bool):
            raise LockgateError(f"{field}.priority: must be a whole number")
        enabled = entry.get("enabled", True)
        if not isinstance(enabled, bool):
            raise LockgateError(f"{field}.enabled: must be true or false")
        if not enabled:  # as periplon's task-sources.yaml: a disabled source is skipped
            continue
        if kind == "git":
            sources.append(_git_source(entry, field, priority, modes))
            continue
        if kind == "registry":
            sources.append(_registry_source(entry, field, priority, modes["offline"]))
            continue
        if kind != "local":
            raise LockgateError(f"{field}.type: {kind!r} is not a source type; use \"local\", \"git\" or \"registry\"")
        if "path" not in entry:
            raise LockgateError(f"{field}.path: a folder of *.task.yaml files is required")
        folder = os.path.expanduser(os.path.expandvars(plain_text(entry["path"], f"{field}.path", None)))
        sources.append(LocalSource(os.path.join(base, folder), priority))
    return sources


def _git_source(entry: dict[str, Any], field: str, priority: int, modes: dict[str, Any]) -> TaskSource:
    from .git_source import GitSource

    for key in ("url", "ref", "subpath"):
        if key in entry:
            plain_text(entry[key], f"{field}.{key}", None)
    if "url" not in entry:
        raise LockgateError(f"{field}.url: a git source needs the repository's url")
    try:
        return GitSource(entry["url"], entry.get("ref"), entry.get("subpath", ""), priority, **modes)
    except LockgateError as error:
        raise LockgateError(f"{field}: {error}") from None


def _registry_source(entry: dict[str, Any], field: str, priority: int, offline: bool) -> TaskSource:
    from .registry_source import DEFAULT_TIMEOUT, MAX_FILE_BYTES, MAX_INDEX_BYTES, RegistrySource

    if "url" not in entry:
        raise LockgateError(f"{field}.url: a registry source needs the registry's base URL")
    plain_text(entry["url"], f"{field}.url", None)
    token_env = entry.get("token_env")
    if token_env is not None and not isinstance(token_env, str):
        raise LockgateError(f"{field}.token_env: must be the name of an environment variable")
    timeout = entry.get("timeout", DEFAULT_TIMEOUT)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 86400:
        raise LockgateError(f"{field}.timeout: must be a number of seconds above 0, at most 86400")
    limits = {}
    for key in ("max_index_bytes", "max_file_bytes"):
        value = entry.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise LockgateError(f"{field}.{key}: must be a whole number of bytes above 0")
        if value is not None:
            limits[key] = value
    try:
        return RegistrySource(entry["url"], priority, token_env=token_env, timeout=float(timeout), offline=offline,
                              max_index_bytes=limits.get("max_index_bytes", MAX_INDEX_BYTES), max_file_bytes=limits.get("max_file_bytes", MAX_FILE_BYTES))
    except LockgateError as error:
        raise LockgateError(f"{field}: {error}") from None
