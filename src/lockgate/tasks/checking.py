"""``tasks verify`` and ``tasks status``: is the lock what a fresh resolution gives, and do its
files still hold what it pinned? Both write nothing."""

from __future__ import annotations

import os

from ..errors import LockgateError
from ..report import EXTRA, MATCHED, MISSING, Finding, Report
from .config import TasksConfig
from .diff import CHECKSUM_FAILED, DEPENDENCY_MISMATCH, SOURCE_MISMATCH, VERSION_MISMATCH, differences_between, periplon_notice, task_differences
from .locked import checksum_findings, implied_roots, lock_folder, read_existing, roots_changed, still_resolves, with_locked_sources
from .lockfile import FORMAT_VERSION, read_task_lock
from .locking import fresh_lock

VERIFY_SCHEMA = "lockgate.tasks.verify/1"
RESOLUTION = "(resolution)"
ROOTS = "(roots)"
PERIPLON = "(periplon)"
VERIFY_STATUSES = (MATCHED, MISSING, EXTRA, VERSION_MISMATCH, DEPENDENCY_MISMATCH, CHECKSUM_FAILED, SOURCE_MISMATCH)


def verify_tasks(config: TasksConfig) -> Report:
    """Check every locked task's current content against its checksum, and the lock against a
    fresh resolution (preferring the locked versions). Writes nothing.

    Returns:
        A Report (schema ``lockgate.tasks.verify/1``, items ``tasks``, subject key ``name``) with
        one finding per task, status one of ``VERIFY_STATUSES``.

    Raises:
        LockgateError: no lock, or an invalid task file, lock or resolution.
    """
    locked = read_existing(config)
    config = with_locked_sources(config, locked)
    lock_dir = lock_folder(config)
    findings, current = checksum_findings(locked, lock_dir, config.sources, offline=bool(config.modes["offline"]))
    if locked.by_periplon:
        findings[PERIPLON] = Finding(CHECKSUM_FAILED, PERIPLON, locked.generated_by, None, periplon_notice(locked), fails=True)
    try:
        fresh = locked if not findings and still_resolves(locked, current, config) else fresh_lock(config, locked)
    except LockgateError as error:  # a task gone from every source, a new conflict: reported, not raised
        findings[RESOLUTION] = Finding(DEPENDENCY_MISMATCH, RESOLUTION, None, None, f"a fresh resolution fails: {error}", fails=True)
        fresh = locked
    for status, name, expected, found, message in task_differences(locked, fresh):
        findings.setdefault(name, Finding(status, name, expected, found, message, fails=True))
    explained = bool(findings) and all(finding.status == MISSING for finding in findings.values())
    if roots_changed(config, locked) and not explained:  # a new root's missing tasks say it all (periplon's MissingTask)
        message = "tasks.roots changed since the lock was made; run lockgate tasks lock"
        findings[ROOTS] = Finding(DEPENDENCY_MISMATCH, ROOTS, _roots_text(locked.roots), _roots_text(config.roots), message, fails=True)
    for name, task in locked.tasks.items():
        findings.setdefault(name, Finding(MATCHED, name, task.version, task.version, ""))
    header = {"lockfile": config.lockfile, "format": locked.version, "roots": locked.roots or implied_roots(locked)}
    return Report(VERIFY_SCHEMA, VERIFY_STATUSES, [findings[name] for name in sorted(findings)], header, items_key="tasks")


def tasks_status(config: TasksConfig) -> list[str]:
    """Why the lock is stale (empty when fresh): a missing lock, roots that ``tasks.roots`` has
    changed, a fresh resolution that fails, a task whose version, checksum, source,
    dependencies or constraints a fresh resolution would change, or an older file format."""
    if not os.path.exists(config.lockfile):
        return [f"no lock at {config.lockfile}"]
    locked = read_task_lock(config.lockfile)
    config = with_locked_sources(config, locked)
    changed, current = checksum_findings(locked, lock_folder(config), config.sources, offline=bool(config.modes["offline"]))
    try:
        fresh = locked if not changed and still_resolves(locked, current, config) else fresh_lock(config, locked)
    except LockgateError as error:  # a new conflict, an unsatisfiable root: stale, and why
        return [f"a fresh resolution fails: {error}"]
    reasons = differences_between(locked, fresh)
    if locked.version != FORMAT_VERSION and not locked.by_periplon:  # adopting it says so already
        reasons.append(f"format {locked.version}; lockgate tasks lock writes {FORMAT_VERSION}")
    return reasons


def _roots_text(roots: list[str]) -> str:
    return ", ".join(roots) or "none recorded"
