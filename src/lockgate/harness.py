"""Gating a Python benchmark harness (argparse) on its lockfile, in two lines::

    add_verify_lockfile_arguments(parser)   # --verify-lockfile PATH, --allow-missing, --strict, --skip, --verify-integrity
    enforce_lockfile(args)                  # before the run starts; raises when the env drifted
"""

from __future__ import annotations

import argparse
import sys

from .report import Report


class LockfileVerificationError(Exception):
    """The environment does not match the lockfile; the run must not start.

    Attributes:
        report: the verify :class:`~lockgate.report.Report`.
        rerun: the command line that runs the same thing without verification.
        message: ready to print: the findings, the fix commands and ``rerun``.
    """

    def __init__(self, report: Report, rerun: list[str]):
        from shlex import join

        from .render import render_text

        self.report = report
        self.rerun = rerun
        target = report.header["lockfile"]
        text = render_text(report, title="lockgate", target=f"environment vs {target}", quiet=True)
        self.message = f"{text}to run without verification:\n  {join(rerun)}"
        super().__init__(self.message)


def add_verify_lockfile_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--verify-lockfile PATH``, ``--allow-missing``, ``--strict``, ``--skip NAME`` and
    ``--verify-integrity``.

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


def enforce_lockfile(args: argparse.Namespace, *, python: str | None = None, argv: list[str] | None = None) -> Report | None:
    """Verify the environment when ``args.verify_lockfile`` is set.

    Args:
        args: parsed arguments from a parser given :func:`add_verify_lockfile_arguments`.
        python: interpreter or venv to check; None is the one running the harness.
        argv: the command line, for the rerun hint; default ``sys.argv``.

    Returns:
        None when the flag is absent; the passing report otherwise.

    Raises:
        LockfileVerificationError: the environment does not match.
        LockgateError: the lockfile is missing or invalid.
    """
    path = getattr(args, "verify_lockfile", None)
    if not path:
        return None
    from .run import command_without_verification
    from .verify import verify

    report = verify(
        path,
        python=python or sys.executable,
        skip=getattr(args, "skip", None) or (),
        allow_missing=getattr(args, "allow_missing", False),
        strict=getattr(args, "strict", False),
        integrity=getattr(args, "verify_integrity", False),
    )
    if not report.passed:
        raise LockfileVerificationError(report, command_without_verification(list(sys.argv if argv is None else argv)))
    return report
