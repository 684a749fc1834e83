"""Reading locked tasks back from their sources, exactly as locked: ``lockgate tasks fetch``
and the checksum half of ``tasks verify``."""

from __future__ import annotations

import os

from ..errors import LockgateError
from .lockfile import LockedTask, TaskLock


def locked_text(task: LockedTask, lock_dir: str, *, offline: bool = False, sources=()) -> tuple[str, str]:
    """``(text, origin)`` of a locked task's file as its source holds it now: a local file, the
    blob at the locked git commit, or the registry file with the locked sha256.

    ``sources`` (the configured ones) lend a registry entry its token.

    Raises:
        LockgateError: the file, commit or download is gone or does not match, or the source
            type is unknown.
    """
    source = task.source
    kind = source.get("type")
    if kind == "local":
        from .._io import read_text

        path = os.path.normpath(os.path.join(lock_dir, str(source.get("path", ""))))
        if not os.path.isfile(path):
            raise LockgateError(f"{source.get('path')} is gone")
        return read_text(path), source["path"]
    if kind == "git":
        from .git_source import GitSource

        git = GitSource(source.get("url", ""), source.get("ref"), source.get("subpath", ""), commit=source.get("commit"), frozen=True, offline=offline)
        return git.read(str(source.get("path", ""))), f"{git.url}@{str(source.get('commit', ''))[:12]}:{source.get('path')}"
    if kind == "registry":
        from .registry_source import read_locked

        base = str(source.get("url", "")).rstrip("/") + "/"
        token_env = next((s.token_env for s in sources if getattr(s, "base", None) == base), None)
        return read_locked(source, offline=offline, token_env=token_env)
    raise LockgateError(f"tasks.{task.name}.source: unknown type {kind!r}")


def fetch_tasks(lock: TaskLock, lock_dir: str, destination: str, *, offline: bool = False, sources=()) -> list[str]:
    """Write every locked task into ``destination`` as ``NAME-VERSION.task.yaml``, each checked
    against the lock's checksum first. Returns the paths written.

    Raises:
        LockgateError: a source cannot give the locked content, or it differs from the checksum
            (nothing is written for that task, and the error names it).
    """
    from .._io import write_atomic
    from .definition import parse_task

    os.makedirs(destination, exist_ok=True)
    written = []
    for name, task in lock.tasks.items():
        text, origin = locked_text(task, lock_dir, offline=offline, sources=sources)
        definition = parse_task(text, origin)
        if definition.checksum != task.checksum or (definition.name, definition.version) != (name, task.version):
            raise LockgateError(f"{name}@{task.version}: {origin} does not match the lock's checksum {task.checksum}; refused")
        path = os.path.join(destination, f"{name}-{task.version}.task.yaml")
        write_atomic(path, text.encode())
        written.append(path)
    return written
