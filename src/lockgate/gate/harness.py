"""Gating a Python benchmark harness (argparse) on its lockfile::

    add_verify_lockfile_arguments(parser)   # --verify-lockfile PATH, --allow-missing, --strict, --skip,
                                            # --verify-integrity, --verify-record PATH
    report = enforce_lockfile(args)         # before any benchmark starts; raises LockgateError

Every error it raises is a :class:`~lockgate.errors.LockgateError` (re-exported here), so one
``except`` covers drift (:class:`LockfileVerificationError`, exit code 1) and a lock that
cannot be read (exit code 2).
"""

from __future__ import annotations

import argparse
import sys
import time

from ..errors import LockgateError
from ..report import Report

__all__ = ["LockgateError", "LockfileVerificationError", "add_verify_lockfile_arguments", "enforce_lockfile",
           "record_exit", "verified_summary"]  # fmt: skip


class LockfileVerificationError(LockgateError):
    """The environment does not match the lockfile; the run must not start (exit code 1).

    Attributes:
        report: the verify :class:`~lockgate.report.Report`.
        rerun: the command line that runs the same thing without verification.
        message: ready to print: the findings, the fix commands and ``rerun`` (several lines;
            also ``str(error)``).
    """

    exit_code = 1

    def __init__(self, report: Report, rerun: list[str]):
        from shlex import join

        from ..render import render_text

        target = report.header["lockfile"]
        text = render_text(report, title="lockgate", target=f"environment vs {target}", quiet=True)
        super().__init__("the environment does not match the lockfile", target)
        self.report = report
        self.rerun = rerun
        self.message = f"{text}to run without verification:\n  {join(rerun)}"

    def __str__(self) -> str:
        return self.message


def add_verify_lockfile_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--verify-lockfile PATH``, ``--allow-missing``, ``--strict``, ``--skip NAME``,
    ``--verify-integrity`` and ``--verify-record PATH``.

    A parser with subcommands gets them on every subcommand (recursively), so they can be
    written after the subcommand as users expect; a subparser that already has
    ``--verify-lockfile`` is left as it is.
    """
    subparsers = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if subparsers:
        for action in subparsers:
            for child in dict.fromkeys(action.choices.values()):
                add_verify_lockfile_arguments(child)
        return
    if "--verify-lockfile" in parser._option_string_actions:
        return
    group = parser.add_argument_group("lockfile verification (lockgate)")
    group.add_argument("--verify-lockfile", metavar="PATH", help="fail before the run starts unless the environment matches this lockfile")
    group.add_argument("--allow-missing", action="store_true", help="with --verify-lockfile: locked packages that are not installed do not fail")
    group.add_argument("--strict", action="store_true", help="with --verify-lockfile: extra packages and local versions fail too")
    group.add_argument("--skip", metavar="NAME", action="append", default=[], help="with --verify-lockfile: leave NAME unchecked (repeatable)")
    group.add_argument("--verify-integrity", action="store_true", help="with --verify-lockfile: also check installed files against their RECORD hashes")
    group.add_argument("--verify-record", metavar="PATH", help="with --verify-lockfile: write an attestation JSON here before the run (lockgate.attestation/1)")


def enforce_lockfile(args: argparse.Namespace, *, python: str | None = None, argv: list[str] | None = None) -> Report | None:
    """Verify the environment when ``args.verify_lockfile`` is set; call it on every code path
    that starts a benchmark (run, rerun, resume), before it starts.

    With ``args.verify_record``, the attestation (:func:`lockgate.gate.run.attestation`) is
    written there atomically before returning, and :func:`record_exit` completes it.

    Args:
        args: parsed arguments from a parser given :func:`add_verify_lockfile_arguments`.
        python: interpreter or venv to check; None is the one running the harness.
        argv: the command line, for the rerun hint and the record; default ``sys.argv``.

    Returns:
        None when the flag is absent; the passing report otherwise.

    Raises:
        LockfileVerificationError: the environment does not match (exit code 1).
        LockgateError: the lockfile is missing or invalid, or the record cannot be written (2).
    """
    path = getattr(args, "verify_lockfile", None)
    if not path:
        return None
    from ..env.verify import verify_environment
    from .run import attestation, command_without_verification, write_record

    argv = list(sys.argv if argv is None else argv)
    report, inventory = verify_environment(
        path,
        python=python or sys.executable,
        selected_by="the harness's interpreter" if python is None else "enforce_lockfile(python=...)",
        skip=getattr(args, "skip", None) or (),
        allow_missing=getattr(args, "allow_missing", False),
        strict=getattr(args, "strict", False),
        integrity=getattr(args, "verify_integrity", False),
    )
    record_path = getattr(args, "verify_record", None)
    if record_path:
        record = attestation(report, inventory.fingerprint(), argv)
        write_record(record_path, record)
        args._lockgate_record = (record_path, record, time.monotonic())
    if not report.passed:
        raise LockfileVerificationError(report, command_without_verification(argv))
    return report


def record_exit(args: argparse.Namespace, exit_code: int) -> None:
    """Complete the ``--verify-record`` attestation with the run's exit code and wall time
    (seconds since :func:`enforce_lockfile`); nothing when no record was asked for.

    Raises:
        LockgateError: the record cannot be written.
    """
    from .run import write_record

    written = getattr(args, "_lockgate_record", None)
    if written:
        path, record, started = written
        record.update(exit_code=exit_code, wall_seconds=round(time.monotonic() - started, 3))
        write_record(path, record)


def verified_summary(report: Report) -> str:
    """One line for the log: ``lockgate: 228 packages verified against LOCK in PYTHON (…)``."""
    from .run import verified_summary as line

    return line(report, report.header["lockfile"])
