"""Reading locked tasks back from their sources, exactly as locked: ``lockgate tasks fetch``
(:func:`fetch_locked_tasks`) and the checksum half of ``tasks verify``."""

from __future__ import annotations

import os

from ..errors import LockgateError
from .lockfile import LockedTask, TaskLock

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

    from .config import TasksConfig
    from .definition import TaskDefinition
    from .git_source import GitSource
    from .registry_source import RegistrySource
    from .source_record import GitRecord, RegistryRecord
    from .sources import TaskSource


class LockedReader:
    """Reads locked tasks back from their sources as their lock entries say: a local file, the
    blob at the locked git commit, or the registry file with the locked sha256.

    One git reader serves every task of a repository and commit (a few git processes in all,
    not a few per task); a registry entry is read through the configured source of that
    registry, so it gets its token and timeout.

    Args:
        lock_dir: the lock file's folder (local paths are relative to it).
        offline: git mirrors and registry files from the cache only.
        sources: the configured sources.
    """

    def __init__(self, lock_dir: str, *, offline: bool = False, sources: Iterable[TaskSource] = ()):
        self.lock_dir = lock_dir
        self.offline = offline
        self.sources = list(sources)
        self._git: dict[tuple[str, str | None, str, str | None], GitSource] = {}

    def text(self, task: LockedTask) -> tuple[str, str]:
        """``(text, origin)`` of the task's file as its source holds it now.

        Raises:
            LockgateError: the file, commit or download is gone or does not match, or the
                source type is unknown.
        """
        return task.source.read(self, task)

    def exact(self, task: LockedTask) -> tuple[str, TaskDefinition]:
        """``(text, definition)`` of the task's file, exactly as locked.

        Raises:
            LockgateError: as :meth:`text`; an invalid file; or one that is not the locked
                name, version and checksum.
        """
        from .definition import parse_locked

        text, origin = self.text(task)
        definition = parse_locked(text, origin, task.name)
        if definition.checksum != task.checksum or (definition.name, definition.version) != (task.name, task.version):
            raise LockgateError(f"{task.name}@{task.version}: {origin} does not match the lock's checksum {task.checksum}; refused")
        return text, definition

    def read_local(self, name: str, path: str) -> tuple[str, str]:
        """A local record's file (it must lie in the lock's folder or a configured source)."""
        from .._io import read_text

        full = self._local_path(name, path)
        if not os.path.isfile(full):
            raise LockgateError(f"{path} is gone")
        return read_text(full), path

    def read_git(self, record: GitRecord, key: str) -> tuple[str, str]:
        """A git record's blob at its commit, from the cached mirror; without a recorded
        ``path`` (periplon's records), the file of task ``key`` (``name@version``)."""
        from .git_source import GitSource

        where = (self._git_url(record.get("url")), record.get("ref") or None, record.get("subpath"), record.get("commit") or None)
        if where not in self._git:
            self._git[where] = GitSource(*where[:3], commit=where[3], frozen=True, offline=self.offline)
        git = self._git[where]
        path = record.get("path") or git.path_of(key)
        return git.read(path), f"{git.url}@{git.commit()[:12]}:{path}"

    def read_registry(self, record: RegistryRecord) -> tuple[str, str]:
        """A registry record's file, checked against its sha256 (through the configured
        source of that registry, for its token and timeout)."""
        return self._registry(record.get("url")).read_file(record.get("file"), record.get("sha256"))

    def _local_path(self, name: str, path: str) -> str:
        """A local entry's file, which must lie in the lock's folder or a configured local
        source: a lock cannot make lockgate open ``/etc/…`` or ``../../…`` elsewhere. ``~/``
        is the user's own folder (:class:`~lockgate.tasks.source_record.LocalRecord`)."""
        from .sources import LocalSource

        full = os.path.normpath(os.path.expanduser(path) if path.startswith("~/") else os.path.join(self.lock_dir, path))
        roots = [self.lock_dir, *(source.folder for source in self.sources if isinstance(source, LocalSource))]
        real = os.path.realpath(full)
        if os.path.isabs(path) or not any(real.startswith(os.path.join(os.path.realpath(root), "")) for root in roots):
            raise LockgateError(f"tasks.{name}.source.path {path!r} leads outside the lock's folder and every local source; refused")
        return full

    def _registry(self, url: str) -> RegistrySource:
        """The configured registry the lock's ``url`` (recorded without credentials) names, with
        its credentials and token; else that URL as it is."""
        from ..urls import comparable
        from .registry_source import RegistrySource

        base = url.rstrip("/") + "/"
        configured = next((s for s in self.sources if isinstance(s, RegistrySource) and comparable(s.base) == comparable(base)), None)
        return configured or RegistrySource(base, offline=self.offline)

    def _git_url(self, url: str) -> str:
        """The configured git URL (with its credentials) that the lock's ``url`` names, else ``url``."""
        from ..urls import comparable
        from .git_source import GitSource

        return next((s.url for s in self.sources if isinstance(s, GitSource) and comparable(s.url) == comparable(url)), url)


def fetch_tasks(lock: TaskLock, lock_dir: str, destination: str, *, offline: bool = False, sources: Iterable[TaskSource] = ()) -> list[str]:
    """Write every locked task into ``destination`` as ``NAME-VERSION.task.yaml`` (a group as
    ``NAME-VERSION.taskgroup.yaml``), each checked
    against the lock's checksum first. Returns the paths written.

    Raises:
        LockgateError: a source cannot give the locked content, or it differs from the checksum
            (nothing is written for that task, and the error names it).
    """
    from .._io import write_atomic
    from .definition import file_name

    os.makedirs(destination, exist_ok=True)
    reader = LockedReader(lock_dir, offline=offline, sources=sources)
    written = []
    for task in lock.tasks.values():
        text, _ = reader.exact(task)
        path = os.path.join(destination, file_name(task.name, task.version))
        write_atomic(path, text.encode())
        written.append(path)
    return written


def fetch_locked_tasks(config: TasksConfig, destination: str, *, offline: bool = False, frozen: bool = False) -> list[str]:
    """Write every locked task, exactly as locked and checked against its checksum, into
    ``destination``; with ``frozen``, refuse a stale lock first. Returns the paths written.

    Raises:
        FrozenLockError: ``frozen`` and the lock is stale (the reasons in ``detail``).
        LockgateError: a source cannot give the locked content, or it does not match.
    """
    from .checking import tasks_status
    from .locked import lock_folder, read_existing
    from .locking import FrozenLockError

    locked = read_existing(config)
    if frozen:
        reasons = tasks_status(config)
        if reasons:
            raise FrozenLockError(f"--frozen: the lock is stale ({len(reasons)} reasons); run lockgate tasks lock", config.lockfile, detail="\n".join(reasons))
    return fetch_tasks(locked, lock_folder(config), destination, offline=offline, sources=config.sources)
