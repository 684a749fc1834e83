"""The lock as it stands, before a command acts on it: the file and its folder, the sources
it records, whether its files still hold what it pinned, and whether a fresh resolution is sure
to give it back (the shortcut ``tasks lock`` and ``tasks verify`` share)."""

from __future__ import annotations

import os

from ..errors import LockgateError
from ..report import Finding
from .config import TasksConfig
from .diff import CHECKSUM_FAILED, SOURCE_MISMATCH, VERSION_MISMATCH
from .lockfile import LockedTask, TaskLock, read_task_lock
from .resolve import parse_root

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

    from .definition import TaskDefinition
    from .git_source import GitSource
    from .sources import TaskSource


def lock_folder(config: TasksConfig) -> str:
    """The folder the lock's relative source paths start from: the real lock file's, so a lock
    reached through a symlink reads and writes the same paths as the file itself."""
    return os.path.dirname(os.path.realpath(config.lockfile))


def read_existing(config: TasksConfig) -> TaskLock:
    if not os.path.exists(config.lockfile):
        raise LockgateError(f"no tasks lock at {config.lockfile}; create it with: lockgate tasks lock")
    return read_task_lock(config.lockfile)


def with_locked_sources(config: TasksConfig, locked: TaskLock) -> TasksConfig:
    """``config`` with the git repositories and registries the lock records but the
    configuration does not name added below every configured source: a lock made with
    ``--source-git URL`` is read, verified and relocked without repeating the flag.

    Returns:
        A new :class:`~lockgate.tasks.config.TasksConfig` (``config`` itself when the lock
        records nothing new); ``config`` is left as it was.
    """
    added = _unnamed_sources(config, locked)
    return config.with_sources([*config.sources, *added]) if added else config


def _unnamed_sources(config: TasksConfig, locked: TaskLock) -> list[TaskSource]:
    from ..urls import comparable
    from .git_source import GitSource
    from .registry_source import RegistrySource
    from .source_record import GitRecord, RegistryRecord

    known: set[object] = {(comparable(s.url), s.ref or "HEAD", s.subpath) for s in config.sources if isinstance(s, GitSource)}
    known |= {comparable(s.base) for s in config.sources if isinstance(s, RegistrySource)}
    priority = min((source.priority for source in config.sources), default=0) - 1
    git: dict[tuple[str, str, str], set[str]] = {}
    registries: dict[str, set[str]] = {}
    for name, task in locked.tasks.items():
        entry = task.source
        if isinstance(entry, GitRecord):
            key = (entry.get("url"), entry.get("ref") or "HEAD", entry.get("subpath"))
            if (comparable(key[0]), key[1], key[2]) not in known:
                git.setdefault(key, set()).add(name)
        elif isinstance(entry, RegistryRecord):
            base = entry.get("url").rstrip("/") + "/"
            if comparable(base) not in known:
                registries.setdefault(base, set()).add(name)
    # A source only the lock names answers for the tasks locked from it: a task that no
    # resolution needs any more never makes lockgate reach its repository.
    added: list[TaskSource] = [GitSource(url, None if ref == "HEAD" else ref, subpath, priority, only=frozenset(names), **config.modes)
                               for (url, ref, subpath), names in git.items()]  # fmt: skip
    added += [RegistrySource(base, priority, offline=config.modes["offline"], only=frozenset(names)) for base, names in registries.items()]
    return added


def pinned_sources(sources: list[TaskSource], locked: TaskLock | None) -> list[TaskSource]:
    """The sources with each git source that the lock recorded a commit for reading that
    commit (as Cargo keeps a git pin): a new :class:`~lockgate.tasks.git_source.GitSource` in
    its place; one already pinned, or fetching (``tasks update``), stays as it is, and so do
    the ``sources`` given."""
    from .git_source import GitSource

    if locked is None:
        return list(sources)
    return [_pinned(source, locked) if isinstance(source, GitSource) and not source.pinned and not source.fetch else source for source in sources]


def _pinned(source: GitSource, locked: TaskLock) -> GitSource:
    """``source`` at the commit of the first locked task that came from it, if any."""
    from ..urls import comparable
    from .source_record import GitRecord

    for task in locked.tasks.values():
        entry = task.source
        if isinstance(entry, GitRecord) and (comparable(entry.get("url")), entry.get("ref"), entry.get("subpath")) == (comparable(source.url), source.ref or "HEAD", source.subpath):
            commit = entry.get("commit")
            return source.at_commit(commit) if commit else source
    return source


def implied_roots(locked: TaskLock) -> list[str]:
    """Tasks no other locked task depends on: the roots of a 1.0.0 file, which records none."""
    needed = {dependency for task in locked.tasks.values() for dependency in task.dependencies}
    return [name for name in locked.tasks if name not in needed]


def roots_changed(config: TasksConfig, locked: TaskLock) -> bool:
    """``tasks.roots`` is set and differs from the roots the lock was made for: configured
    roots win over recorded ones."""
    return bool(config.roots) and sorted(config.roots) != sorted(locked.roots)


def checksum_findings(locked: TaskLock, lock_dir: str, sources: Sequence[TaskSource] = (), *,
                      offline: bool = False) -> tuple[dict[str, Finding], dict[str, TaskDefinition]]:  # fmt: skip
    """Each locked task's file as its source holds it now (a local file, the locked git
    commit, the registry file with the locked sha256); ``offline``: git and registry files
    only from the cache.

    Returns:
        ``(findings, current)``: name -> :class:`Finding` for each task whose file is gone,
        renamed or changed; name -> the definition read, for each file that could be read.
    """
    from .definition import parse_locked
    from .fetch import LockedReader

    reader = LockedReader(lock_dir, offline=offline, sources=sources)
    findings: dict[str, Finding] = {}
    current: dict[str, TaskDefinition] = {}
    for name, task in locked.tasks.items():
        try:
            text, origin = reader.text(task)
        except LockgateError as error:
            findings[name] = _gone(name, task, error, sources)
            continue
        definition = current[name] = parse_locked(text, origin, task.name)
        if (definition.name, definition.version) != (name, task.version):
            findings[name] = Finding(VERSION_MISMATCH, name, task.version, definition.version, f"{origin} now defines {definition.key}", fails=True)
        elif definition.checksum != task.checksum and not locked.by_periplon:  # periplon's: said once, not per task
            findings[name] = Finding(CHECKSUM_FAILED, name, task.checksum, definition.checksum, f"{origin} changed since it was locked", fails=True)
    return findings, current


def _gone(name: str, task: LockedTask, error: LockgateError, sources: Sequence[TaskSource]) -> Finding:
    """A locked file that cannot be read: a version change naming both versions when the
    sources now offer others of the task, else a failed checksum with the reason."""
    from .git_source import CommitGoneError
    from .resolve import available_versions

    if isinstance(error, CommitGoneError):  # the content may be fine; its commit is what went
        return Finding(SOURCE_MISMATCH, name, task.source.get("commit"), None, f"{error.message.split(';')[0]}; run lockgate tasks lock", fails=True)
    try:
        available = available_versions(sources, name)
    except LockgateError:
        available = []
    others = [version for version in available if version != task.version]
    if others and task.version not in available:
        message = f"{name}@{task.version} is gone from its source, which now has {', '.join(others)}; run lockgate tasks lock"
        return Finding(VERSION_MISMATCH, name, task.version, others[0], message, fails=True)
    lines = error.detail.strip().splitlines() if error.detail else []
    why = [line for line in lines if line.startswith("fatal:")][:1] or lines[-1:]  # git's own reason
    return Finding(CHECKSUM_FAILED, name, task.checksum, None, "; ".join([str(error), *why]), fails=True)


def still_resolves(locked: TaskLock, current: dict[str, TaskDefinition], config: TasksConfig) -> bool:
    """True when a fresh resolution is sure to give the lock back, judged from the locked
    files alone: every root and dependency constraint allows the locked version, the recorded
    dependencies and constraints are what the files say, every locked task is reachable, and no
    higher-priority source could shadow a locked file. Reading every file of every source (what
    a resolution needs) is then unnecessary; anything less certain returns False.
    """
    if len(current) != len(locked.tasks) or roots_changed(config, locked):
        return False  # a task from git or a registry, a file that is gone, new roots
    roots = [parse_root(root) for root in (locked.roots or config.roots)]
    wanted: dict[str, dict[str, str]] = {name: {} for name in locked.tasks}
    for root in roots:
        task = locked.tasks.get(root.name)
        if task is None or not root.constraint.allows(task.version):
            return False
        wanted[root.name]["(root)"] = root.constraint.text
    for name, definition in current.items():
        dependencies = {}
        for dependency in definition.dependencies:
            pinned = locked.tasks.get(dependency.name)
            if pinned is None or not dependency.constraint.allows(pinned.version):
                return False  # an optional one may be available now: only a resolution can tell
            dependencies[dependency.name] = pinned.version
            wanted[dependency.name][name] = dependency.constraint.text
        if dependencies != locked.tasks[name].dependencies:
            return False
    if any(wanted[name] != task.constraints or not wanted[name] for name, task in locked.tasks.items()):
        return False
    return _no_shadowing(current, config.sources, lock_folder(config))


def _no_shadowing(current: dict[str, TaskDefinition], sources: Sequence[TaskSource], lock_dir: str) -> bool:
    """Every locked file (its path as the lock gives it, relative to ``lock_dir``) lies in the
    first source folder that exists (the highest priority): no other source can offer the
    same version ahead of it."""
    from .sources import LocalSource

    local = [source for source in sources if isinstance(source, LocalSource)]
    if len(local) != len(sources):
        return False
    existing = [source.folder for source in local if os.path.isdir(source.folder)]
    if not existing:
        return False
    top = os.path.join(os.path.abspath(existing[0]), "")
    return all(os.path.abspath(os.path.join(lock_dir, os.path.expanduser(d.path))).startswith(top) for d in current.values())
