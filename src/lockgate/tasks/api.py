"""The ``lockgate tasks`` commands as library calls: lock, verify, status and tree."""

from __future__ import annotations

import os

from ..errors import LockgateError
from ..report import EXTRA, MATCHED, MISSING, Finding, Report
from .config import TasksConfig
from .constraints import Constraint
from .lockfile import FORMAT_VERSION, LockedTask, TaskLock, lock_file_guard, read_task_lock, save_task_lock
from .resolve import ResolvedTask, parse_root, resolve
from .task_schema import TaskRef

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .definition import TaskDefinition

VERIFY_SCHEMA = "lockgate.tasks.verify/1"
VERSION_MISMATCH = "version_mismatch"
DEPENDENCY_MISMATCH = "dependency_mismatch"
CHECKSUM_FAILED = "checksum_failed"
SOURCE_MISMATCH = "source_mismatch"
RESOLUTION = "(resolution)"
ROOTS = "(roots)"
PERIPLON = "(periplon)"
VERIFY_STATUSES = (MATCHED, MISSING, EXTRA, VERSION_MISMATCH, DEPENDENCY_MISMATCH, CHECKSUM_FAILED, SOURCE_MISMATCH)


class FrozenLockError(LockgateError):
    """``tasks lock --frozen`` would change the lock (exit 1); the file is left as it was."""

    exit_code = 1


class LockOutcome:
    """What :func:`lock_tasks` did: ``path``, the new ``lock`` (:class:`TaskLock`),
    ``changed`` (False when the file already said the same), ``moved`` (:func:`moves` from the
    previous lock, one line each) and ``adopted`` (the ``generated_by`` of a periplon lock this
    one replaced, else None)."""

    __slots__ = ("path", "lock", "changed", "moved", "adopted")

    def __init__(self, path, lock, changed, moved=(), adopted=None):
        self.path = path
        self.lock = lock
        self.changed = changed
        self.moved: list[str] = list(moved)
        self.adopted: str | None = adopted


def lock_tasks(config: TasksConfig, roots=None, *, frozen: bool = False, update: bool = False, reporter=None, names=(),
               policy: str | None = None) -> LockOutcome:  # fmt: skip
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
        implied = [f"{name}@^{previous.tasks[name].version}" for name in _implied_roots(previous)] if previous else []
        roots = list(roots or config.roots or (previous and previous.roots) or implied)
        if not roots:
            raise LockgateError("no tasks to lock: name them (lockgate tasks lock app@^1.0) or set tasks.roots in lockgate.toml")
        requirements = [parse_root(root) for root in roots]
        if previous:
            _add_locked_sources(config, previous)
            if not update and _unchanged(config, previous, roots):
                return LockOutcome(config.lockfile, previous, False)
        locked = previous.tasks if previous else {}
        names = [TaskRef.parse(name) for name in names]
        unknown = sorted(set(names) - set(locked))
        if unknown:
            raise LockgateError(f"tasks update: {', '.join(unknown)} not in {config.lockfile}; locked: {', '.join(locked) or 'nothing'}")
        moving = set(names) if names else set(locked) if update else set()
        preferred = {name: task.version for name, task in locked.items() if name not in moving}
        if not update:
            _pin_git_commits(config.sources, previous)
        bounds = update_bounds({name: locked[name].version for name in moving}, policy)
        try:
            resolution = resolve(requirements, config.sources, preferred, reporter=reporter, bounds=bounds)
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
        return LockOutcome(config.lockfile, new, changed, moves(previous, new, config.sources) if previous else (), adopted)


def _unchanged(config: TasksConfig, previous: TaskLock, roots: list[str]) -> bool:
    """True when relocking is sure to give ``previous`` back byte for byte: same roots, the
    current format, local sources only, every locked file unchanged and :func:`_still_resolves`
    (as verify decides). Git and registry sources always take the full path, which pins their
    commits before anything reads them."""
    from .sources import LocalSource

    if roots != previous.roots or previous.version != FORMAT_VERSION or not all(isinstance(s, LocalSource) for s in config.sources):
        return False
    findings, current = _checksum_findings(previous, lock_folder(config), config.sources)
    if findings:
        return False
    return _still_resolves(previous, current, config)


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


def moves(old: TaskLock, new: TaskLock, sources=()) -> list[str]:
    """What a relock moved, one line per task, as ``cargo update`` prints it:
    ``auth-helper 2.2.0 -> 2.1.0 (downgrade: ref v2.2.0 gone from the remote)``, ``adding audit
    1.0.0``, ``removing logger 0.1.0``, ``util 1.2.5 commit 1a2b3c4d5e6f -> 6f5e4d3c2b1a``."""
    from .constraints import version_key

    lines = []
    for name in sorted(set(old.tasks) | set(new.tasks)):
        before, after = old.tasks.get(name), new.tasks.get(name)
        if before is None:
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


def _why_gone(entry: LockedTask, sources) -> str | None:
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


def differences_between(old: TaskLock, new: TaskLock) -> list[str]:
    """One line per difference between two locks, e.g. ``auth-helper: version 2.1.0 -> 2.2.0``."""
    lines = [periplon_notice(old)] if old.by_periplon else []
    lines += [f"roots: {old.roots} -> {new.roots}"] if old.roots != new.roots and not old.by_periplon else []
    lines.extend(f"{name}: {message}" for _, name, _, _, message in _task_differences(old, new))
    return lines


def periplon_notice(lock: TaskLock) -> str:
    """The one line that says a lock's checksums are periplon's, and how to adopt it."""
    return (f"checksums written by {lock.generated_by} cannot be re-derived (periplon hashes its Rust task struct); "
            "adopt the lock with: lockgate tasks lock")  # fmt: skip


def _task_differences(locked: TaskLock, fresh: TaskLock):
    """``(status, name, expected, found, message)`` for each task whose lock entry differs
    from a fresh resolution."""
    for name in sorted(set(locked.tasks) | set(fresh.tasks)):
        old, new = locked.tasks.get(name), fresh.tasks.get(name)
        if old is None:
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


def _same_source(old, new, by_periplon: bool) -> bool:
    """The same source; periplon records fewer fields (no git commit or path): those it has must agree."""
    if not by_periplon:
        return bool(old == new)
    found = new.to_dict()
    return all(found.get(key) == value for key, value in old.to_dict().items())


def verify_tasks(config: TasksConfig) -> Report:
    """Check every locked task's current content against its checksum, and the lock against a
    fresh resolution (preferring the locked versions). Writes nothing.

    Returns:
        A Report (schema ``lockgate.tasks.verify/1``, items ``tasks``, subject key ``name``) with
        one finding per task, status one of ``VERIFY_STATUSES``.

    Raises:
        LockgateError: no lock, or an invalid task file, lock or resolution.
    """
    locked = _read_existing(config)
    _add_locked_sources(config, locked)
    lock_dir = lock_folder(config)
    findings, current = _checksum_findings(locked, lock_dir, config.sources)
    if locked.by_periplon:
        findings[PERIPLON] = Finding(CHECKSUM_FAILED, PERIPLON, locked.generated_by, None, periplon_notice(locked), fails=True)
    try:
        fresh = locked if not findings and _still_resolves(locked, current, config) else _fresh_lock(config, locked)
    except LockgateError as error:  # a task gone from every source, a new conflict: reported, not raised
        findings[RESOLUTION] = Finding(DEPENDENCY_MISMATCH, RESOLUTION, None, None, f"a fresh resolution fails: {error}", fails=True)
        fresh = locked
    for status, name, expected, found, message in _task_differences(locked, fresh):
        findings.setdefault(name, Finding(status, name, expected, found, message, fails=True))
    explained = bool(findings) and all(finding.status == MISSING for finding in findings.values())
    if _roots_changed(config, locked) and not explained:  # a new root's missing tasks say it all (periplon's MissingTask)
        message = "tasks.roots changed since the lock was made; run lockgate tasks lock"
        findings[ROOTS] = Finding(DEPENDENCY_MISMATCH, ROOTS, _roots_text(locked.roots), _roots_text(config.roots), message, fails=True)
    for name, task in locked.tasks.items():
        findings.setdefault(name, Finding(MATCHED, name, task.version, task.version, ""))
    header = {"lockfile": config.lockfile, "format": locked.version, "roots": locked.roots or _implied_roots(locked)}
    return Report(VERIFY_SCHEMA, VERIFY_STATUSES, [findings[name] for name in sorted(findings)], header, items_key="tasks")


def tasks_status(config: TasksConfig) -> list[str]:
    """Why the lock is stale (empty when fresh): a missing lock, roots that ``tasks.roots`` has
    changed, a fresh resolution that fails, a task whose version, checksum, source,
    dependencies or constraints a fresh resolution would change, or an older file format."""
    if not os.path.exists(config.lockfile):
        return [f"no lock at {config.lockfile}"]
    locked = read_task_lock(config.lockfile)
    _add_locked_sources(config, locked)
    changed, current = _checksum_findings(locked, lock_folder(config), config.sources)
    try:
        fresh = locked if not changed and _still_resolves(locked, current, config) else _fresh_lock(config, locked)
    except LockgateError as error:  # a new conflict, an unsatisfiable root: stale, and why
        return [f"a fresh resolution fails: {error}"]
    reasons = differences_between(locked, fresh)
    if locked.version != FORMAT_VERSION and not locked.by_periplon:  # adopting it says so already
        reasons.append(f"format {locked.version}; lockgate tasks lock writes {FORMAT_VERSION}")
    return reasons


class TreeNode:
    """One task in the locked graph, as :func:`tasks_tree` gives it.

    Attributes:
        name, version: the task (``version`` None when the lock names it but does not lock it).
        constraint: the constraint that selected it from its parent (``(root)`` for a root).
        repeated: shown already above; its children are not repeated.
        children: its dependencies, sorted by name.
    """

    __slots__ = ("name", "version", "constraint", "repeated", "children")

    def __init__(self, name: str, version: str | None, constraint: str, repeated: bool = False):
        self.name = name
        self.version = version
        self.constraint = constraint
        self.repeated = repeated
        self.children: list[TreeNode] = []


def tasks_tree(config: TasksConfig) -> list[TreeNode]:
    """The locked graph from the roots (:class:`TreeNode`), each task with the constraint that
    selected it; a task already shown with dependencies is marked ``repeated`` instead of
    expanded again. :func:`lockgate.render.render_task_tree` draws it."""
    locked = _read_existing(config)
    roots = [parse_root(root).name for root in locked.roots] or _implied_roots(locked)
    shown: set[str] = set()

    def node(name: str, constraint: str) -> TreeNode:
        task = locked.tasks.get(name)
        if task and name in shown and task.dependencies:
            return TreeNode(name, task.version, constraint, repeated=True)
        made = TreeNode(name, task.version if task else None, constraint)
        shown.add(name)
        for child in sorted(task.dependencies) if task else []:
            child_task = locked.tasks.get(child)
            made.children.append(node(child, child_task.constraints.get(name, "") if child_task else ""))
        return made

    return [node(root, locked.tasks[root].constraints.get("(root)", "") if root in locked.tasks else "") for root in roots]


def outdated_tasks(config: TasksConfig) -> list[dict]:
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

    locked = _read_existing(config)
    _add_locked_sources(config, locked)
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


def fetch_locked_tasks(config: TasksConfig, destination: str, *, offline: bool = False, frozen: bool = False) -> list[str]:
    """Write every locked task, exactly as locked and checked against its checksum, into
    ``destination``; with ``frozen``, refuse a stale lock first. Returns the paths written.

    Raises:
        FrozenLockError: ``frozen`` and the lock is stale (the reasons in ``detail``).
        LockgateError: a source cannot give the locked content, or it does not match.
    """
    from .fetch import fetch_tasks

    locked = _read_existing(config)
    if frozen:
        reasons = tasks_status(config)
        if reasons:
            raise FrozenLockError(f"--frozen: the lock is stale ({len(reasons)} reasons); run lockgate tasks lock", config.lockfile, detail="\n".join(reasons))
    return fetch_tasks(locked, lock_folder(config), destination, offline=offline, sources=config.sources)


def lock_folder(config: TasksConfig) -> str:
    """The folder the lock's relative source paths start from: the real lock file's, so a lock
    reached through a symlink reads and writes the same paths as the file itself."""
    return os.path.dirname(os.path.realpath(config.lockfile))


def _read_existing(config: TasksConfig) -> TaskLock:
    if not os.path.exists(config.lockfile):
        raise LockgateError(f"no tasks lock at {config.lockfile}; create it with: lockgate tasks lock")
    return read_task_lock(config.lockfile)


def _fresh_lock(config: TasksConfig, locked: TaskLock) -> TaskLock:
    """The lock ``tasks lock`` would write now, keeping the locked versions that still fit."""
    roots = config.roots or locked.roots or [f"{name}@={locked.tasks[name].version}" for name in _implied_roots(locked)]
    preferred = {name: task.version for name, task in locked.tasks.items()}
    _pin_git_commits(config.sources, locked)
    resolution = resolve([parse_root(root) for root in roots], config.sources, preferred)
    return build_lock(resolution, locked, list(roots) if locked.roots or config.roots else [], lock_folder(config))


def _pin_git_commits(sources, locked: TaskLock | None) -> None:
    """Git sources read the commit the lock recorded for them (as Cargo keeps a git pin)."""
    from ..urls import comparable
    from .git_source import GitSource
    from .source_record import GitRecord

    for source in sources:
        if not isinstance(source, GitSource) or source.pinned or source.fetch or locked is None:
            continue
        for task in locked.tasks.values():
            entry = task.source
            if isinstance(entry, GitRecord) and (comparable(entry.get("url")), entry.get("ref"), entry.get("subpath")) == (comparable(source.url), source.ref or "HEAD", source.subpath):
                source.pinned = entry.get("commit") or None
                break


def _still_resolves(locked: TaskLock, current: dict[str, TaskDefinition], config: TasksConfig) -> bool:
    """True when a fresh resolution is sure to give the lock back, judged from the locked
    files alone: every root and dependency constraint allows the locked version, the recorded
    dependencies and constraints are what the files say, every locked task is reachable, and no
    higher-priority source could shadow a locked file. Reading every file of every source (what
    a resolution needs) is then unnecessary; anything less certain returns False.
    """
    if len(current) != len(locked.tasks) or _roots_changed(config, locked):
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


def _no_shadowing(current: dict, sources, lock_dir: str) -> bool:
    """Every locked file (its path as the lock gives it, relative to ``lock_dir``) lies in the
    first source folder that exists (the highest priority): no other source can offer the
    same version ahead of it."""
    from .sources import LocalSource

    if not all(isinstance(source, LocalSource) for source in sources):
        return False
    existing = [source.folder for source in sources if os.path.isdir(source.folder)]
    if not existing:
        return False
    top = os.path.join(os.path.abspath(existing[0]), "")
    return all(os.path.abspath(os.path.join(lock_dir, os.path.expanduser(d.path))).startswith(top) for d in current.values())


def _roots_changed(config: TasksConfig, locked: TaskLock) -> bool:
    """``tasks.roots`` is set and differs from the roots the lock was made for: configured
    roots win over recorded ones."""
    return bool(config.roots) and sorted(config.roots) != sorted(locked.roots)


def _roots_text(roots: list[str]) -> str:
    return ", ".join(roots) or "none recorded"


def _add_locked_sources(config: TasksConfig, locked: TaskLock) -> None:
    """Add the git repositories and registries the lock records but the configuration does
    not name, below every configured source: a lock made with ``--source-git URL`` is read,
    verified and relocked without repeating the flag."""
    from ..urls import comparable
    from .git_source import GitSource
    from .registry_source import RegistrySource
    from .source_record import GitRecord, RegistryRecord

    known: set[object] = {(comparable(s.url), s.ref or "HEAD", s.subpath) for s in config.sources if isinstance(s, GitSource)}
    known |= {comparable(s.base) for s in config.sources if isinstance(s, RegistrySource)}
    priority = min((source.priority for source in config.sources), default=0) - 1
    for task in locked.tasks.values():
        entry = task.source
        if isinstance(entry, GitRecord):
            key = (comparable(entry.get("url")), entry.get("ref") or "HEAD", entry.get("subpath"))
            if key not in known:
                known.add(key)
                config.sources.append(GitSource(entry.get("url"), None if key[1] == "HEAD" else key[1], key[2], priority, **config.modes))
        elif isinstance(entry, RegistryRecord):
            base = entry.get("url").rstrip("/") + "/"
            if comparable(base) not in known:
                known.add(comparable(base))
                config.sources.append(RegistrySource(base, priority, offline=config.modes["offline"]))


def _implied_roots(locked: TaskLock) -> list[str]:
    """Tasks no other locked task depends on: the roots of a 1.0.0 file, which records none."""
    needed = {dependency for task in locked.tasks.values() for dependency in task.dependencies}
    return [name for name in locked.tasks if name not in needed]


def _checksum_findings(locked: TaskLock, lock_dir: str, sources=()) -> tuple[dict[str, Finding], dict[str, TaskDefinition]]:
    """Each locked task's file as its source holds it now (a local file, the locked git
    commit, the registry file with the locked sha256).

    Returns:
        ``(findings, current)``: name -> :class:`Finding` for each task whose file is gone,
        renamed or changed; name -> the definition read, for each file that could be read.
    """
    from .definition import parse_locked
    from .fetch import LockedReader

    reader = LockedReader(lock_dir, sources=sources)
    findings: dict[str, Finding] = {}
    current: dict[str, TaskDefinition] = {}
    for name, task in locked.tasks.items():
        try:
            text, origin = reader.text(task)
        except LockgateError as error:
            findings[name] = _gone(name, task, error, sources)
            continue
        definition = current[name] = parse_locked(text, origin, name)
        if (definition.name, definition.version) != (name, task.version):
            findings[name] = Finding(VERSION_MISMATCH, name, task.version, definition.version, f"{origin} now defines {definition.key}", fails=True)
        elif definition.checksum != task.checksum and not locked.by_periplon:  # periplon's: said once, not per task
            findings[name] = Finding(CHECKSUM_FAILED, name, task.checksum, definition.checksum, f"{origin} changed since it was locked", fails=True)
    return findings, current


def _gone(name: str, task: LockedTask, error: LockgateError, sources) -> Finding:
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
    return Finding(CHECKSUM_FAILED, name, task.checksum, None, str(error), fails=True)


def _pairs(mapping: dict) -> str:
    return ", ".join(f"{key} {value}" for key, value in mapping.items()) or "none"


def _now() -> str:
    import time

    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def workflow_roots(paths) -> list[str]:
    """The roots periplon workflows name, in file order, without repeats: every ``uses:
    NAME@CONSTRAINT``, and every ``imports: {namespace: GROUP@CONSTRAINT}`` as
    ``group:GROUP@CONSTRAINT``.

    Raises:
        LockgateError: a workflow or one of its references cannot be read (file and line named).
    """
    from .workflow_refs import IMPORT, USES, read_workflow_references

    roots: list[str] = []
    for path in paths:
        for reference in read_workflow_references(path):
            if reference.kind in (USES, IMPORT):
                _workflow_requirement(reference)  # a malformed one is refused here, with its file and line
                root = _workflow_root(reference)
                if root not in roots:
                    roots.append(root)
    return roots


def check_workflows(config: TasksConfig, paths) -> tuple[int, list[str]]:
    """``tasks check``: is every reference of these periplon workflows satisfied by the lock?

    A ``uses: NAME@CONSTRAINT`` is satisfied when NAME is locked at a version the constraint
    allows; an ``imports: {namespace: GROUP@CONSTRAINT}`` when the group is; a ``uses_workflow:
    namespace:workflow`` when the namespace is imported in the same file, that import is
    satisfied, and the locked group has that workflow in ``spec.workflows``. Every locked task
    and group a reference reaches (its locked dependencies too) is read from its source and
    checked against the lock's checksum: a file changed since it was locked fails, naming it.

    Returns:
        ``(references checked, one "FILE:LINE: …" line per unsatisfied reference)``.

    Raises:
        LockgateError: no lock, or a workflow or reference that cannot be read.
    """
    from .workflow_refs import IMPORT, read_workflow_references

    locked = _read_existing(config)
    files = _LockedFiles(config, locked)
    checked, problems = 0, []
    for path in paths:
        references = read_workflow_references(path)
        imports = {reference.namespace: reference for reference in references if reference.kind == IMPORT}
        for reference in references:
            checked += 1
            problem = _workflow_problem(reference, imports, locked, files, config.lockfile)
            if problem:
                problems.append(f"{path}:{reference.line}: {_field(reference)} {reference.text}: {problem}")
    return checked, problems


def _workflow_problem(reference, imports: dict, locked: TaskLock, files: _LockedFiles, lockfile: str) -> str | None:
    """Why one workflow reference is not satisfied by the lock, or None."""
    from .workflow_refs import USES_WORKFLOW

    if reference.kind != USES_WORKFLOW:
        return _pin_problem(reference, locked, lockfile) or files.tampered(_workflow_requirement(reference).name)
    namespace, _, workflow = reference.text.partition(":")
    if not namespace or not workflow or ":" in workflow:
        return "expected namespace:workflow"
    imported = imports.get(namespace)
    if imported is None:
        return f"this workflow has no imports.{namespace}"
    if _pin_problem(imported, locked, lockfile):
        return f"imports.{namespace} ({imported.text}) is not satisfied"
    return files.workflow_problem(_workflow_requirement(imported).name, workflow)


def _pin_problem(reference, locked: TaskLock, lockfile: str) -> str | None:
    requirement = _workflow_requirement(reference)
    task = locked.tasks.get(requirement.name)
    if task is None:
        return f"{requirement.name} is not in {lockfile}"
    if not requirement.constraint.allows(task.version):
        return f"locked {task.version} does not satisfy {requirement.constraint.text}"
    return None


class _LockedFiles:
    """The locked tasks' and groups' files, read once each from their sources and checked
    against the lock's checksums (for ``tasks check``)."""

    def __init__(self, config: TasksConfig, locked: TaskLock):
        from .fetch import LockedReader

        _add_locked_sources(config, locked)
        self.locked = locked
        self.reader = LockedReader(lock_folder(config), sources=config.sources)
        self.read: dict[str, TaskDefinition | str] = {}  # name -> its definition, or why it cannot be used

    def tampered(self, name: str) -> str | None:
        """Why the locked ``name`` or a locked task it depends on (at any depth) cannot be
        used as locked, or None."""
        if self.locked.by_periplon:  # nothing vouches for its files until it is adopted
            return periplon_notice(self.locked)
        seen, queue = {name}, [name]
        while queue:
            current = queue.pop()
            found = self._definition(current)
            if isinstance(found, str):
                return found
            for dependency in self.locked.tasks[current].dependencies:
                if dependency not in seen and dependency in self.locked.tasks:
                    seen.add(dependency)
                    queue.append(dependency)
        return None

    def workflow_problem(self, name: str, workflow: str) -> str | None:
        """Why the locked group ``name`` does not offer ``workflow`` (or cannot be used), or None."""
        problem = self.tampered(name)
        if problem:
            return problem
        definition = self._definition(name)
        names = definition.workflow_names if not isinstance(definition, str) else []
        if workflow not in names:
            return f"{name}@{self.locked.tasks[name].version} has no workflow {workflow!r} (it has: {', '.join(names) or 'none'})"
        return None

    def _definition(self, name: str) -> TaskDefinition | str:
        if name not in self.read:
            task = self.locked.tasks[name]
            try:
                self.read[name] = self.reader.exact(task)[1]
            except LockgateError as error:  # gone, invalid or changed: nothing vouches for it
                self.read[name] = f"the locked {name}@{task.version} cannot be used ({error}); run lockgate tasks verify"
        return self.read[name]


def _field(reference) -> str:
    from .workflow_refs import IMPORT, USES

    return {USES: "uses", IMPORT: f"imports.{reference.namespace}"}.get(reference.kind, "uses_workflow")


def _workflow_root(reference) -> str:
    from .task_schema import GROUP_PREFIX
    from .workflow_refs import IMPORT

    return GROUP_PREFIX + reference.text if reference.kind == IMPORT else reference.text  # the root as a lock records it


def _workflow_requirement(reference):
    """A workflow's ``uses:`` or import as a requirement; a malformed one names its file and line."""
    try:
        return parse_root(_workflow_root(reference))
    except LockgateError as error:
        raise LockgateError(error.message, reference.path, reference.line) from None
