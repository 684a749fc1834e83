"""``tasks lock`` and ``tasks update``: resolve the roots and write the lock."""

from __future__ import annotations

import os

from ..errors import LockgateError
from .config import TasksConfig
from .constraints import Constraint
from .diff import differences_between
from .locked import checksum_findings, implied_roots, lock_folder, pinned_sources, still_resolves, with_locked_sources
from .lockfile import FORMAT_VERSION, LockedTask, TaskLock, lock_file_guard, read_task_lock, save_task_lock
from .resolve import ResolvedTask, parse_root, resolve
from .task_schema import TaskRef

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from resolvelib import BaseReporter

    from .resolve import Candidate, TaskRequirement
    from .sources import TaskSource


class FrozenLockError(LockgateError):
    """``tasks lock --frozen`` would change the lock (exit 1); the file is left as it was."""

    exit_code = 1


class LockOutcome:
    """What :func:`lock_tasks` did: ``path``, the new ``lock`` (:class:`TaskLock`),
    ``changed`` (False when the file already said the same), ``moved`` (:func:`moves` from the
    previous lock, one line each) and ``adopted`` (the ``generated_by`` of a periplon lock this
    one replaced, else None)."""

    __slots__ = ("path", "lock", "changed", "moved", "adopted")

    def __init__(self, path: str, lock: TaskLock, changed: bool, moved: Iterable[str] = (), adopted: str | None = None):
        self.path = path
        self.lock = lock
        self.changed = changed
        self.moved: list[str] = list(moved)
        self.adopted: str | None = adopted


def lock_tasks(config: TasksConfig, roots: Sequence[str] | None = None, *, frozen: bool = False, update: bool = False,
               reporter: BaseReporter[TaskRequirement, Candidate, str] | None = None, names: Iterable[str] = (),
               policy: str | None = None, added_roots: Sequence[str] = ()) -> LockOutcome:  # fmt: skip
    """Resolve the roots and write the lock, under a file lock that makes writers wait
    (:func:`~lockgate.tasks.lockfile.lock_file_guard`, in the cache folder; none with ``frozen``).

    Args:
        config: :func:`~lockgate.tasks.config.load_tasks_config`.
        roots: ``name@constraint`` strings; None or empty is ``config.roots``, else the roots
            the existing lock records (its top-level tasks for a 1.0.0 lock).
        frozen: fail instead of changing an existing lock (or creating one).
        update: take the newest versions the constraints allow and the git refs' current
            commits, instead of keeping the locked ones (``tasks update``; build ``config`` with
            ``fetch=True`` so git mirrors are fetched first).
        reporter: resolvelib hooks told each step (:class:`~lockgate.tasks.resolve.StepReporter`).
        names: with ``update``, only these locked tasks move (and what they newly need);
            every other task keeps its pin where the constraints let it (``cargo update -p``).
        policy: with ``update``, ``patch`` or ``minor``: a moving task stays within its locked
            ``major.minor`` or ``major`` (periplon's VersionUpdatePolicy); ``major`` or None:
            whatever the constraints allow.
        added_roots: roots added to those (``tasks lock --workflow``: a workflow's references).

    Returns:
        A :class:`LockOutcome`. With nothing changed the file is rewritten byte for byte
        identically (timestamps kept), i.e. left alone; when the lock's own files prove that
        (verify's shortcut), the sources are not even read.

    Raises:
        FrozenLockError: ``frozen`` and the lock would change (the differences in ``detail``).
        LockgateError: no roots, a conflict (one the policy causes says so), a cycle, a name
            that is not locked, or an invalid task or lock file.
    """
    from contextlib import nullcontext

    with nullcontext() if frozen else lock_file_guard(config.lockfile):  # frozen writes nothing: atomic renames suffice
        previous = read_task_lock(config.lockfile) if os.path.exists(config.lockfile) else None
        implied = [f"{name}@^{previous.tasks[name].version}" for name in implied_roots(previous)] if previous else []
        roots = list(roots or config.roots or (previous and previous.roots) or implied)
        roots += [root for root in added_roots if root not in roots]
        if not roots:
            raise LockgateError("no tasks to lock: name them (lockgate tasks lock app@^1.0) or set tasks.roots in lockgate.toml")
        requirements = [parse_root(root) for root in roots]
        if previous:
            config = with_locked_sources(config, previous)
            if not update and _unchanged(config, previous, roots):
                return LockOutcome(config.lockfile, previous, False)
        locked = previous.tasks if previous else {}
        named = [TaskRef.parse(name) for name in names]
        unknown = sorted(set(named) - set(locked))
        if unknown:
            raise LockgateError(f"tasks update: {', '.join(unknown)} not in {config.lockfile}; locked: {', '.join(locked) or 'nothing'}")
        moving: set[str] = set(named) if named else set(locked) if update else set()
        preferred = {name: task.version for name, task in locked.items() if name not in moving}
        sources = config.sources if update else pinned_sources(config.sources, previous)
        bounds = update_bounds({name: locked[name].version for name in moving}, policy)
        try:
            resolution = resolve(requirements, sources, preferred, reporter=reporter, bounds=bounds)
        except LockgateError as error:
            if not bounds:
                raise
            raise LockgateError(f"{error}; --policy {policy} keeps {', '.join(f'{n} {b.text}' for n, b in sorted(bounds.items()))}") from None
        new = build_lock(resolution, previous, roots, lock_folder(config))
        changed = previous is None or previous.content() != new.content() or previous.version != FORMAT_VERSION
        if frozen and changed:
            differences = differences_between(previous, new) if previous else [f"no lock at {config.lockfile}"]
            raise FrozenLockError(f"--frozen: the lock would change ({len(differences)} differences); run lockgate tasks lock", config.lockfile, detail="\n".join(differences))
        if changed:
            save_task_lock(config.lockfile, new)
        adopted = previous.generated_by if previous and previous.by_periplon and changed else None
        return LockOutcome(config.lockfile, new, changed, moves(previous, new, sources) if previous else (), adopted)


def _unchanged(config: TasksConfig, previous: TaskLock, roots: list[str]) -> bool:
    """True when relocking is sure to give ``previous`` back byte for byte: same roots, the
    current format, local sources only, every locked file unchanged and :func:`still_resolves`
    (as verify decides). Git and registry sources always take the full path, which pins their
    commits before anything reads them."""
    from .sources import LocalSource

    if roots != previous.roots or previous.version != FORMAT_VERSION or not all(isinstance(s, LocalSource) for s in config.sources):
        return False
    findings, current = checksum_findings(previous, lock_folder(config), config.sources, offline=bool(config.modes["offline"]))
    if findings:
        return False
    return still_resolves(previous, current, config)


def update_bounds(locked: dict[str, str], policy: str | None) -> dict[str, Constraint]:
    """The constraint an update ``policy`` puts on each moving task, from its locked version:
    ``patch`` keeps ``major.minor``, ``minor`` keeps ``major``; ``major`` and None add none."""
    from .constraints import parse_constraint, release_parts

    if policy in (None, "major"):
        return {}
    bounds = {}
    for name, version in locked.items():
        major, minor, _ = release_parts(version)
        upper = f"{major}.{minor + 1}.0-0" if policy == "patch" else f"{major + 1}.0.0-0"
        lower = f"{major}.{minor}.0-0" if policy == "patch" else f"{major}.0.0-0"
        bounds[name] = parse_constraint(f">={lower}, <{upper}", f"--policy {policy}")
    return bounds


def build_lock(resolution: dict[str, ResolvedTask], previous: TaskLock | None, roots: list[str], lock_dir: str) -> TaskLock:
    """The lock for a resolution; entries (and the file) equal to ``previous`` keep its timestamps."""
    from .. import __version__

    now = _now()
    tasks = {}
    for name, resolved in resolution.items():
        definition, source = resolved.candidate.definition, resolved.candidate.source
        entry = LockedTask(name, definition.version, definition.checksum, source.lock_source(definition, lock_dir), now,
                           resolved.dependencies, resolved.constraints, definition.summary())  # fmt: skip
        old = previous.tasks.get(name) if previous else None
        if old is not None and old.content() == entry.content():
            entry.resolved_at = old.resolved_at
        tasks[name] = entry
    lock = TaskLock(FORMAT_VERSION, now, f"lockgate {__version__}", roots, tasks, previous.metadata if previous else None)
    if previous is not None and previous.content() == lock.content():
        lock.generated_at, lock.generated_by = previous.generated_at, previous.generated_by
    return lock


def fresh_lock(config: TasksConfig, locked: TaskLock) -> TaskLock:
    """The lock ``tasks lock`` would write now, keeping the locked versions that still fit."""
    roots = config.roots or locked.roots or [f"{name}@={locked.tasks[name].version}" for name in implied_roots(locked)]
    preferred = {name: task.version for name, task in locked.tasks.items()}
    resolution = resolve([parse_root(root) for root in roots], pinned_sources(config.sources, locked), preferred)
    return build_lock(resolution, locked, list(roots) if locked.roots or config.roots else [], lock_folder(config))


def moves(old: TaskLock, new: TaskLock, sources: Sequence[TaskSource] = ()) -> list[str]:
    """What a relock moved, one line per task, as ``cargo update`` prints it:
    ``auth-helper 2.2.0 -> 2.1.0 (downgrade: ref v2.2.0 gone from the remote)``, ``adding audit
    1.0.0``, ``removing logger 0.1.0``, ``util 1.2.5 commit 1a2b3c4d5e6f -> 6f5e4d3c2b1a``."""
    from .constraints import version_key

    lines = []
    for name in sorted(set(old.tasks) | set(new.tasks)):
        before, after = old.tasks.get(name), new.tasks.get(name)
        if before is None:
            assert after is not None  # a name of either lock
            lines.append(f"adding {name} {after.version}")
        elif after is None:
            lines.append(f"removing {name} {before.version}")
        elif before.version != after.version:
            down = version_key(after.version) < version_key(before.version)
            why = _why_gone(before, sources) if down else None
            lines.append(f"{name} {before.version} -> {after.version} ({'downgrade' if down else 'upgrade'}{f': {why}' if why else ''})")
        elif before.source.get("commit") and after.source.get("commit") and before.source.get("commit") != after.source.get("commit"):
            lines.append(f"{name} {before.version} commit {before.source.get('commit')[:12]} -> {after.source.get('commit')[:12]}")
    return lines


def _why_gone(entry: LockedTask, sources: Sequence[TaskSource]) -> str | None:
    """Why a git-locked version could not be kept: its ref gone from the remote, or its commit
    force-pushed away (None when neither, or not from git)."""
    from ..urls import comparable
    from .git_source import GitSource
    from .source_record import GitRecord

    record = entry.source
    if not isinstance(record, GitRecord):
        return None
    url, ref, commit = record.get("url"), record.get("ref"), record.get("commit")
    git = next((s for s in sources if isinstance(s, GitSource) and comparable(s.url) == comparable(url)), None)
    if git is None:
        return None
    try:
        if ref and ref != "HEAD" and not git.has(ref):
            return f"ref {ref} gone from the remote"
        if commit and not git.has(commit):
            return f"commit {commit[:12]} force-pushed away"
    except LockgateError:
        return None
    return None


def _now() -> str:
    import time

    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
