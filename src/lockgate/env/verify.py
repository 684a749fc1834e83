"""``lockgate verify`` as a library call: check an installed environment against a lockfile."""

from __future__ import annotations

import os

from ..config import configured_skip
from ..errors import LockgateError
from ..report import CPU_ONLY_STATUSES, INTEGRITY_STATUSES, NOTHING_SELECTED, UV_LOCK_STATUSES, VERIFY_STATUSES, Finding, Report
from .compare import CompareOptions, Comparison
from .interpreter import Interpreter, find_interpreter, project_environment
from .inventory import Inventory, scan_interpreter
from .model import Lockfile, Selection, normalize_name
from .options import VerifyOptions
from .readers import STDIN, find_default_lockfile, read_lockfile, resolve_lockfile

TYPE_CHECKING = False  # not typing's: importing typing costs verify's start-up
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from .fix import FixPlan
    from .integrity import IntegrityResult
    from .inventory import InstalledDistribution

SCHEMA = "lockgate.verify/1"


class NothingSelectedError(LockgateError):
    """The lock selects no distribution for the target (every entry in an unselected group or
    extra, or under a false marker): nothing could be checked, so the check fails (exit 1).

    Attributes:
        report: the verify report of it, for JSON output: every entry ``not_applicable`` and one
            failing ``nothing_selected`` finding on the lock, whose message is this error's.
    """

    exit_code = 1

    def __init__(self, message: str, path: str, report: Report) -> None:
        super().__init__(message, path)
        self.report = report


def _nothing_selected(lock: Lockfile, interpreter: Interpreter) -> str:
    environment = interpreter.marker_environment()
    where = f"Python {environment['python_full_version']} on {environment['sys_platform']}"
    message = f"selects no distribution for {where} ({len(lock.packages)} entries, none applies), so nothing was verified"
    choices = [f"--{flag} NAME ({', '.join(names)})" for flag, names in
               (("group", lock.options.get("dependency_groups")), ("extra", lock.options.get("extras"))) if names]  # fmt: skip
    return f"{message}; select with {' or '.join(choices)}" if choices else message


def verify(lockfile: str | None = None, **options: Any) -> Report:
    """Check the target interpreter's installed distributions against a lockfile. Read-only.

    Args:
        lockfile: as :attr:`VerifyOptions.lockfile <lockgate.env.options.VerifyOptions>`.
        options: the other :class:`~lockgate.env.options.VerifyOptions` attributes by name, with
            the selection as uv's flags: ``extras``, ``groups``, ``all_extras``,
            ``no_default_groups``, ``only_groups`` (:meth:`VerifyOptions.of`).

    Returns:
        The report of :func:`verify_environment`.
    """
    return verify_environment(VerifyOptions.of(lockfile, **options)).report


class Verified:
    """A verify's outcome and what it found on the way.

    Attributes:
        report: the :class:`~lockgate.report.Report` (schema ``lockgate.verify/1``).
        interpreter: the target; inventory: what it has installed; lock: the lock read.
    """

    __slots__ = ("report", "interpreter", "inventory", "lock")

    def __init__(self, report: Report, interpreter: Interpreter, inventory: Inventory, lock: Lockfile) -> None:
        self.report = report
        self.interpreter = interpreter
        self.inventory = inventory
        self.lock = lock


def verify_environment(options: VerifyOptions, *, progress: Callable[[int, int], object] | None = None) -> Verified:
    """Check the target interpreter's installed distributions against a lockfile. Read-only.

    Args:
        options: what to check and how (:class:`~lockgate.env.options.VerifyOptions`): with
            ``integrity``, every file of the locked, installed distributions is checked against
            its RECORD (:mod:`lockgate.env.integrity`), which adds the statuses ``modified``
            (fails) and ``unverifiable`` (no RECORD; fails with ``strict``) and an ``integrity``
            header.
        progress: ``callable(bytes_done, bytes_total)`` told how hashing goes, or None.

    Returns:
        :class:`Verified`: its ``report`` (one finding per locked entry and per installed
        distribution; ``report.passed`` tells the verdict, ``report.fix`` lists commands that
        would repair a failure), the target, its inventory and the lock.

    Raises:
        NothingSelectedError: no entry of the lock applies to the target (exit code 1).
        LockgateError: the lockfile is missing or invalid, or the interpreter cannot be used.
    """
    prepared = prepare_verify(options)
    files = None
    if prepared.integrity_scope is not None:
        from .integrity import check_integrity

        files = check_integrity(prepared.integrity_scope, prepared.inventory.distributions.values(), prepared.interpreter.prefix,
                                jobs=options.jobs, progress=progress)  # fmt: skip
    return Verified(prepared.report(files), prepared.interpreter, prepared.inventory, prepared.lock)


class PreparedVerify:
    """A verify up to its file check: the lock, target and inventory read and compared, the
    integrity check (if any) not yet run, so that it can run elsewhere (on the ranks of an MPI
    group, :mod:`lockgate.gate.cluster`) before :meth:`report` decides.

    Attributes:
        lockfile: the lockfile's path; lock: the parsed :class:`~lockgate.env.model.Lockfile`.
        interpreter, inventory: the target and what it has installed.
        integrity_scope: the distributions whose files the integrity check covers, or None
            without ``integrity``/``integrity_all``.
    """

    __slots__ = ("lockfile", "lock", "interpreter", "inventory", "comparison", "integrity_scope", "options")

    def __init__(self, lockfile: str, lock: Lockfile, interpreter: Interpreter, inventory: Inventory, comparison: Comparison,
                 integrity_scope: list[InstalledDistribution] | None, options: VerifyOptions) -> None:  # fmt: skip
        self.lockfile = lockfile
        self.lock = lock
        self.interpreter = interpreter
        self.inventory = inventory
        self.comparison = comparison
        self.integrity_scope = integrity_scope
        self.options = options

    def report(self, files: IntegrityResult | None) -> Report:
        """The verify report (schema ``lockgate.verify/1``), given the integrity check's result
        (None without one)."""
        options = self.options
        header = {"lockfile": self.lockfile, "lockfile_sha256": self.lock.sha256, "environment": describe_environment(self.interpreter)}
        if files is not None:
            header["integrity"] = {"distributions": len(self.integrity_scope or ()), "files": files.files,
                                   "bytes_hashed": files.bytes_hashed, "seconds": round(files.seconds, 3)}  # fmt: skip
        findings = self.comparison.findings(files.distributions if files is not None else None)
        self.comparison.save_marker_results()
        fix = []
        if any(finding.fails for finding in findings):
            from .fix import fix_commands

            fix = fix_commands(self.fix_plan(findings), uv=_runnable_uv(), pip="pip" in self.inventory.distributions)
        statuses = VERIFY_STATUSES + (CPU_ONLY_STATUSES if options.cpu_only else ()) + (UV_LOCK_STATUSES if self.lock.format == "uv.lock" else ())
        if files is not None:
            statuses += INTEGRITY_STATUSES[len(VERIFY_STATUSES) :]
        return Report(SCHEMA, statuses, findings, header, fix=fix)

    def fix_plan(self, findings: list[Finding]) -> FixPlan:
        """The :class:`~lockgate.env.fix.FixPlan` of these findings: the lock's recorded sources
        read, the target described, then planned from the findings alone."""
        from .fix import FixTarget, install_sources, plan_fix, sync_environment

        options, interpreter = self.options, self.interpreter
        on_linux = not options.cpu_only or interpreter.marker_environment()["sys_platform"] == "linux"
        target = FixTarget(interpreter.executable, interpreter.prefix, project_environment=sync_environment(self.lock), on_linux=on_linux)
        return plan_fix(self.lock, findings, target, strict=options.strict, cpu_only=options.cpu_only, selection=options.selection,
                        sources=install_sources(self.lock),
                        from_base=[dist.name for dist in self.inventory.distributions.values() if dist.from_base])  # fmt: skip


def prepare_verify(options: VerifyOptions) -> PreparedVerify:
    """Read the lock and the target's inventory and compare them; the file check is left to the
    caller. Arguments as :func:`verify_environment`'s (less ``progress``).

    Raises:
        NothingSelectedError, LockgateError: as :func:`verify_environment`.
    """
    selection = options.selection
    path = options.lockfile or find_default_lockfile()
    python, selected_by = options.python, options.selected_by
    if python is None and path != STDIN:
        format, real = resolve_lockfile(path)
        if format == "uv.lock":
            python, selected_by = project_environment(real)
    interpreter = find_interpreter(python, selected_by=selected_by or "--python")
    lock = read_lockfile(path, selection=selection, validate=options.strict, python=interpreter.executable)
    _check_selection(lock, selection)
    inventory = scan_interpreter(interpreter)
    compare_options = CompareOptions(
        skip=configured_skip() | {normalize_name(name) for name in options.skip},
        allow_missing=options.allow_missing,
        strict=options.strict,
        extras=selection.extras_of(lock.options.get("extras") or ()),
        groups=selection.groups if selection.groups or not selection.default_groups else None,
        cpu_only=options.cpu_only,
    )
    comparison = Comparison(lock, inventory, interpreter.marker_environment, compare_options)
    if not comparison.selects_anything():
        message = _nothing_selected(lock, interpreter)
        findings = [*comparison.findings(), Finding(NOTHING_SELECTED, path, None, None, message, fails=True)]
        header = {"lockfile": path, "lockfile_sha256": lock.sha256, "environment": describe_environment(interpreter)}
        raise NothingSelectedError(message, path, Report(SCHEMA, (*VERIFY_STATUSES, NOTHING_SELECTED), findings, header))
    scope = None
    if options.checks_files:
        scope = list(inventory.distributions.values()) if options.integrity_all else comparison.locked_installed()
    return PreparedVerify(path, lock, interpreter, inventory, comparison, scope, options)


def _check_selection(lock: Lockfile, selection: Selection) -> None:
    """Refuse an extra or group the lock does not define, naming those it does (uv refuses
    them too); a uv.lock read through uv export was checked by uv."""
    if lock.format == "requirements.txt" or "exported_with" in lock.options:
        return
    group_flag = "only-group" if selection.only_groups else "group"
    for flag, asked, known in (("extra", selection.extras, lock.options.get("extras") or []),
                               (group_flag, selection.groups, lock.options.get("dependency_groups") or [])):  # fmt: skip
        unknown = [name for name in asked if name not in known]
        if unknown:
            has = f"it has: {', '.join(known)}" if known else f"it defines no {flag.removeprefix('only-')}s"
            kind = flag.removeprefix("only-")
            raise LockgateError(f"--{flag} {unknown[0]}: the lock defines no such {kind}; {has}", lock.path)


def describe_environment(interpreter: Interpreter) -> dict[str, str]:
    """``{"python", "python_version", "platform", "hostname", "selected_by"}`` of the target,
    for reports (``selected_by``: the rule that chose it, see :func:`~lockgate.env.interpreter.find_interpreter`)."""
    return {
        "python": interpreter.executable,
        "python_version": interpreter.version,
        "platform": interpreter.platform(),
        "hostname": hostname(),
        "selected_by": interpreter.selected_by,
    }


def hostname() -> str:
    """This machine's name, as reports show it."""
    if hasattr(os, "uname"):
        return os.uname().nodename
    import platform  # pragma: no cover - Windows

    return platform.node()  # pragma: no cover


def _runnable_uv() -> str:
    """``uv`` when PATH finds it, else the full path of the uv lockgate runs."""
    import shutil

    if shutil.which("uv"):
        return "uv"
    from .._uv import find_uv

    try:
        return find_uv()
    except LockgateError:
        return "uv"
