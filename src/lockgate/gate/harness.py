"""Gating a Python benchmark harness (argparse) on its lockfile, as ``lockgate run`` gates a
command::

    add_verify_lockfile_arguments(parser)   # --verify-lockfile PATH and the verify options
    add_lockfile_commands(subparsers)       # optional: `lockfile generate|verify` commands
    run = enforce_lockfile(args)            # before any benchmark starts; raises LockgateError
    ...                                     # the benchmark
    if run: run.finish(exit_code)           # the record says how it ended

Under ``mpirun``/``mpiexec`` (a launcher's variables say more than one task) the check is the
MPI gate's: every rank verifies, rank 0 writes the one record, and if any rank fails no rank
starts (each raises :class:`LockfileVerificationError`). ``--verify-hosts H1,H2:4`` checks
every host a benchmark will launch on, through ``mpiexec`` (as ``lockgate cluster verify``),
before it launches.

Every error is a :class:`~lockgate.errors.LockgateError` (re-exported here), so one ``except``
covers drift (:class:`LockfileVerificationError`, exit code 1) and a lock that cannot be read
(exit code 2).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import TYPE_CHECKING

from ..errors import LockgateError

if TYPE_CHECKING:
    from ..env.options import VerifyOptions
    from .flow import Verdict
    from .recording import Recorder

__all__ = ["GatedRun", "LockgateError", "LockfileVerificationError", "add_lockfile_commands", "add_verify_lockfile_arguments",
           "enforce_lockfile", "run_lockfile_command"]  # fmt: skip

#: The harness's flag for a verify option where it differs from ``--NAME``: names a benchmark
#: already uses for its own purposes are avoided.
HARNESS_FLAGS = {"integrity": "--verify-integrity", "integrity-all": "--verify-integrity-all", "jobs": "--verify-jobs",
                 "no-cache": "--verify-no-cache"}  # fmt: skip
#: Where the harness keeps its values on the parsed arguments: apart from the host's own.
DEST_PREFIX = "lockgate_"
#: The harness's own options besides the verify options: ``name -> (metavar, help)``.
_OWN: dict[str, tuple[str | None, str]] = {
    "verify-lockfile": ("PATH", "fail before the run starts unless the environment matches this lockfile"),
    "verify-record": ("PATH", "with --verify-lockfile: write the run's record here (its folder is made); completed with the exit code when the run ends"),
    "verify-hosts": ("H1,H2:4", "with --verify-lockfile: verify every host the benchmark will launch on (through mpiexec) before it launches"),
    "verify-results": ("DIR", "with --verify-record: bind every file under DIR, hashed when the run ends, to the record"),
    "verify-sign-key": ("KEY", "with --verify-record: sign the record (DSSE) with this Ed25519 private key, PEM or OpenSSH (lockgate[attest])"),
    "verify-sbom": (None, "with --verify-record: write a CycloneDX SBOM of the verified environment beside it (lockgate[attest])"),
}


class LockfileVerificationError(LockgateError):
    """The environment does not match the lockfile; the run must not start (exit code 1).

    Attributes:
        report: the verify :class:`~lockgate.report.Report` (one host), or None (under MPI:
            the cluster report is on rank 0's ``verdict``).
        verdict: the gate's :class:`~lockgate.gate.flow.Verdict`.
        rerun: the command line that runs the same thing without verification.
        message: ready to print: the findings, the fix commands and ``rerun`` (several lines;
            also ``str(error)``); on ranks other than 0 of an MPI job, one line.
    """

    exit_code = 1

    def __init__(self, verdict: Verdict, lockfile: str, rerun: list[str]):
        from shlex import join

        super().__init__("the environment does not match the lockfile", lockfile)
        self.verdict = verdict
        self.report = verdict.report
        self.rerun = rerun
        if verdict.report is not None:
            from ..render import render_text

            environment = verdict.report.header_value("environment")
            text = render_text(verdict.report, title="lockgate", target=f"{lockfile} vs {environment['python']}", quiet=True)
        elif verdict.cluster is not None:
            text = verdict.cluster.render_text() + "the benchmark was not started on any rank\n"
        else:  # another rank of the job: rank 0 says what and how to rerun
            self.message = "lockgate: a rank's environment does not match the lockfile (rank 0 reports it); not started"
            return
        self.message = f"{text}to run without verification:\n  {join(rerun)}"

    def __str__(self) -> str:
        return self.message


class HostsVerificationError(LockgateError):
    """``--verify-hosts``: a host the benchmark would launch on does not match the lockfile
    (exit code 1); ``detail`` holds the command that runs without verification."""

    exit_code = 1

    def __str__(self) -> str:
        return f"{super().__str__()}\n{self.detail}"


class GatedRun:
    """A run that passed the gate: what :func:`enforce_lockfile` returns.

    Attributes:
        verdict: the gate's :class:`~lockgate.gate.flow.Verdict`; report: its verify report
            (one host) or None.
        record_path: where the record is, or None.
    """

    __slots__ = ("verdict", "report", "record_path", "_recorder", "_started", "_mpi")

    def __init__(self, verdict: Verdict, recorder: Recorder | None, mpi: bool = False) -> None:
        self._mpi = mpi
        self.verdict = verdict
        self.report = verdict.report
        self.record_path = recorder.path if recorder is not None else None
        self._recorder = recorder
        self._started = time.monotonic()

    def summary(self) -> str:
        """One line for the log: ``lockgate: 228 packages verified against LOCK in PYTHON (…)``."""
        from .run import verified_summary

        if self.verdict.cluster is not None:
            return f"lockgate: {len(self.verdict.cluster.results)} ranks verified"
        if self.report is None:
            return "lockgate: every rank verified"
        return verified_summary(self.report, self.report.header["lockfile"])

    def finish(self, exit_code: int) -> None:
        """Complete the record (when one was asked for, on the rank that writes it) with the
        run's exit code, its wall time since the gate passed and the files of the results
        folder (``--verify-results``, or ``enforce_lockfile(results=...)``), hashed now. Under
        MPI with a record, call it on every rank: rank 0 hashes once every rank has finished
        (an MPI barrier), so every rank's result files are bound.

        Raises:
            LockgateError: the record cannot be written, or the results folder read.
        """
        if self._mpi and self._recorder is not None:
            from mpi4py import MPI

            if MPI.Is_initialized() and not MPI.Is_finalized():
                MPI.COMM_WORLD.Barrier()
        if self._recorder is not None:
            self._recorder.finish(exit_code, time.monotonic() - self._started)


def add_verify_lockfile_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--verify-lockfile PATH``, ``--verify-record PATH``, ``--verify-hosts H1,H2:4`` and
    every verify option of ``lockgate run`` (``--skip``, ``--allow-missing``, ``--strict``,
    ``--extra``, ``--all-extras``, ``--group``, ``--no-default-groups``, ``--only-group``,
    ``--cpu-only``, ``--verify-integrity``, ``--verify-integrity-all``, ``--verify-jobs``,
    ``--verify-no-cache``).

    It fits into an existing parser: an option the parser already has (a benchmark's own
    ``--skip`` or ``--strict``) is added as ``--lockfile-NAME`` instead (``--lockfile-skip``), and
    every value is kept apart from the host's (``args.lockgate_*``). A parser with subcommands
    gets them on every subcommand (recursively), so they can be written after the subcommand;
    a subparser that already has ``--verify-lockfile`` is left as it is.
    """
    from .arguments import FLAG_NAMES, add_verify_flags

    subparsers = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if subparsers:
        for action in subparsers:
            for child in dict.fromkeys(action.choices.values()):
                add_verify_lockfile_arguments(child)
        return
    if "--verify-lockfile" in parser._option_string_actions:
        return
    taken = set(parser._option_string_actions)
    group = parser.add_argument_group("lockfile verification (lockgate)")
    for name, (metavar, text) in _OWN.items():
        dest = DEST_PREFIX + name.replace("-", "_")
        if metavar is None:
            group.add_argument(f"--{name}", dest=dest, action="store_true", help=text)
        else:
            group.add_argument(f"--{name}", dest=dest, metavar=metavar, help=text)
    flags = {}
    for name in FLAG_NAMES:
        flag = HARNESS_FLAGS.get(name, f"--{name}")
        flags[name] = f"--lockfile-{name}" if flag in taken else flag
    added = add_verify_flags(group, flags=flags, dest_prefix=DEST_PREFIX, leave_out=("python",))
    ours = [*(f"--{name}" for name in _OWN), *added.values()]
    valued = [flag for flag in ours if parser._option_string_actions[flag].nargs != 0]  # a switch's nargs is 0
    parser.set_defaults(lockgate_flags=ours, lockgate_valued_flags=valued)


def enforce_lockfile(args: argparse.Namespace, *, python: str | None = None, argv: list[str] | None = None,
                     results: str | os.PathLike[str] | None = None) -> GatedRun | None:  # fmt: skip
    """Verify the environment when ``--verify-lockfile`` was given; call it on every code path
    that starts a benchmark (run, rerun, resume), before it starts.

    With ``--verify-hosts``, every host named is checked first through mpiexec (as ``lockgate
    cluster verify``). Under an MPI launcher, every rank checks and rank 0 decides
    (:func:`~lockgate.gate.flow.gate` with ``mpi``). With ``--verify-record``, the record (an
    in-toto statement, :mod:`lockgate.gate.attestation`; signed with ``--verify-sign-key``, with
    an SBOM beside it with ``--verify-sbom``) is written (by rank 0 under MPI) before returning;
    :meth:`GatedRun.finish` completes it and binds the result files to it.

    Args:
        args: parsed arguments from a parser given :func:`add_verify_lockfile_arguments`.
        python: interpreter or venv to check; None is the one running the harness.
        argv: the command line, for the rerun hint and the record; default ``sys.argv``.
        results: the benchmark's results folder, whose files the record binds when the run
            ends (``--verify-results DIR`` overrides it); None: none.

    Returns:
        None when ``--verify-lockfile`` is absent; else the :class:`GatedRun`.

    Raises:
        LockfileVerificationError: the environment does not match, here or on any rank or host
            (exit code 1).
        LockgateError: the lockfile is missing or invalid, a host cannot be reached, or the
            record cannot be written (exit code 2).
    """
    lockfile = getattr(args, DEST_PREFIX + "verify_lockfile", None)
    if not lockfile:
        return None
    from .arguments import verify_options
    from .flow import MpiGate, gate
    from .launcher import launch_size

    argv = list(sys.argv if argv is None else argv)
    rerun = rerun_command(argv, getattr(args, "lockgate_flags", []), getattr(args, "lockgate_valued_flags", []))
    selected_by = "the harness's interpreter" if python is None else "enforce_lockfile(python=...)"
    options = verify_options(args, lockfile, dest_prefix=DEST_PREFIX, selected_by=selected_by).replace(python=python or sys.executable)
    hosts = getattr(args, DEST_PREFIX + "verify_hosts", None)
    if hosts:
        _verify_hosts(hosts, options, rerun)
    mpi = MpiGate() if launch_size(os.environ) > 1 else None
    recorder = _recorder(args, results, mpi is not None)

    def keep(verdict: Verdict) -> None:
        if recorder is not None:
            recorder.start(verdict, argv, lockfile)

    verdict = gate(options, mpi=mpi, show=keep)
    if not verdict.passed:
        raise LockfileVerificationError(verdict, lockfile, rerun)
    return GatedRun(verdict, recorder, mpi is not None)


def _recorder(args: argparse.Namespace, results: str | os.PathLike[str] | None, mpi: bool) -> Recorder | None:
    """The record's keeper of ``--verify-record`` and its options, or None.

    Raises:
        LockgateError: a record option without ``--verify-record``, or ``--verify-sbom`` under MPI.
    """
    from .recording import Recorder

    path = getattr(args, DEST_PREFIX + "verify_record", None)
    folder = getattr(args, DEST_PREFIX + "verify_results", None) or (os.fspath(results) if results is not None else None)
    key, sbom = getattr(args, DEST_PREFIX + "verify_sign_key", None), getattr(args, DEST_PREFIX + "verify_sbom", False)
    if not path:
        if key or sbom or getattr(args, DEST_PREFIX + "verify_results", None):
            raise LockgateError("--verify-results, --verify-sign-key and --verify-sbom belong to the record: add --verify-record PATH")
        return None
    if sbom and mpi:
        raise LockgateError("--verify-sbom under MPI: make each host's SBOM with lockgate freeze --format cyclonedx-json (one environment per host)")
    recorder = Recorder(path, results=folder, sign_key=key, sbom=sbom)
    recorder.check()
    return recorder


def _verify_hosts(hosts: str, options: VerifyOptions, rerun: list[str]) -> None:
    """``--verify-hosts``: ``lockgate verify --mpi`` on each host through mpiexec, before launching."""
    from .arguments import verify_argv
    from .mpiexec import mpiexec_command, run_mpiexec

    target = ["--python", options.python] if options.python else []
    code = run_mpiexec(mpiexec_command(hosts, ["-l", options.lockfile or "", *target, *verify_argv(options)]))
    if code != 0:
        from shlex import join

        raise HostsVerificationError(f"--verify-hosts {hosts}: a host's environment does not match the lockfile (its report is above); "
                                     "not launched", detail=f"to run without verification:\n  {join(rerun)}")  # fmt: skip


def rerun_command(argv: list[str], flags: list[str], valued: list[str]) -> list[str]:
    """``argv`` without the harness's ``flags`` (``--verify-lockfile PATH``, ``--strict``…, in
    both ``FLAG VALUE`` and ``FLAG=VALUE`` forms; ``valued`` are those that take a value), ready
    to paste: a script (``bench.py``) is run by this interpreter, as it was."""
    result, position = [], 0
    while position < len(argv):
        word = argv[position]
        name = word.split("=", 1)[0]
        if name in flags:
            position += 1 if "=" in word or name not in valued else 2
            continue
        result.append(word)
        position += 1
    if result and not os.access(result[0], os.X_OK) and result[0].endswith(".py"):
        result.insert(0, sys.executable)
    return result


def add_lockfile_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser], name: str = "lockfile") -> argparse.ArgumentParser:
    """Add lockgate's ``generate`` and ``verify`` as ``NAME generate`` and ``NAME verify`` to a
    host CLI (``mlpstorage lockfile generate|verify``), with every option they have in lockgate
    (``-o``, ``--extra``, ``--hashes``, ``--python-version``, ``--pyproject``, ``--all``…;
    ``-l/--lockfile``, ``--skip``, ``--allow-missing``, ``--strict``…). Run the chosen one with
    :func:`run_lockfile_command`.

    Returns:
        The ``NAME`` parser.
    """
    from ..cli import COMMANDS, _HelpFormatter

    group = subparsers.add_parser(name, help="lock the environment (generate) or check it (verify), with lockgate")
    commands = group.add_subparsers(dest="lockgate_command", metavar="COMMAND", required=True)
    for command in ("generate", "verify"):
        summary, description, configure = COMMANDS[command]
        sub = commands.add_parser(command, help=summary, description=description, formatter_class=_HelpFormatter)
        configure(sub)
        sub.set_defaults(lockgate_handler=sub.get_default("handler"))
    return group


def run_lockfile_command(args: argparse.Namespace, argv: list[str] | None = None) -> int:
    """Run the ``lockfile generate|verify`` command :func:`add_lockfile_commands` parsed;
    returns its exit code (0 passed, 1 failed, 2 bad input), errors printed in one line."""
    from ..cli import run_handler

    args.command, args.argv = [], list(sys.argv[1:] if argv is None else argv)
    return run_handler(args.lockgate_handler, args)
