"""``lockgate run``: verify the environment, then run a command, or refuse to start it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..errors import LockgateError
from ..report import MATCHED, Report

if TYPE_CHECKING:
    from ..env.options import VerifyOptions
    from .flow import MpiGate, Verdict
    from .recording import Recorder

_FORWARDED = ("SIGTERM", "SIGHUP", "SIGINT", "SIGQUIT", "SIGUSR1", "SIGUSR2")


def command_without_verification(argv: list[str], flag: str = "--verify-lockfile") -> list[str]:
    """``argv`` with ``FLAG PATH`` and ``FLAG=PATH`` removed: the same run, unverified."""
    result, position = [], 0
    while position < len(argv):
        word = argv[position]
        if word == flag:
            position += 2
            continue
        if not word.startswith(flag + "="):
            result.append(word)
        position += 1
    return result


def command_interpreter(command: list[str]) -> str | None:
    """The Python interpreter that ``command`` will run, or None when it is not a Python program.

    ``command[0]`` is looked up on PATH as the system would; it is that interpreter when its
    name is one (``python``, ``python3.11``, ``pypy3``), or the interpreter its ``#!`` line
    names (console scripts: ``#!/venv/bin/python``, ``#!/usr/bin/env python3``, and pip's
    ``#!/bin/sh`` line followed by an ``exec`` of a long interpreter path).
    """
    import shutil

    program = command[0] if os.sep in command[0] else shutil.which(command[0])
    if not program or not os.path.isfile(program):
        return None
    if _is_python_name(os.path.basename(program)):
        return program
    try:
        with open(program, "rb") as handle:
            head = handle.read(1024)
    except OSError:
        return None
    return _shebang_interpreter(head)


_SH_EXEC = "'''exec' "  # pip's launcher for interpreter paths too long for a #! line


def _shebang_interpreter(head: bytes) -> str | None:
    import shutil

    if not head.startswith(b"#!"):
        return None
    lines = head[2:].decode("utf-8", "replace").splitlines()
    words = lines[0].split() if lines else []
    if not words:
        return None
    name = os.path.basename(words[0])
    if name == "env":  # #!/usr/bin/env [-S] [VAR=value...] python3
        rest = [word for word in words[1:] if not word.startswith("-") and "=" not in word]
        return shutil.which(rest[0]) if rest and _is_python_name(rest[0]) else None
    if name in ("sh", "bash") and len(lines) > 1 and lines[1].startswith(_SH_EXEC):
        target = lines[1][len(_SH_EXEC) :].split()[0].strip("'\"")
        return target if _is_python_name(os.path.basename(target)) else None
    return words[0] if _is_python_name(name) else None


def _is_python_name(name: str) -> bool:
    import re

    return re.fullmatch(r"(python|pypy)(\d+(\.\d+)*)?t?(\.exe)?", name) is not None


def gate_target(python: str | None, command: list[str]) -> tuple[str | None, str | None]:
    """``(python, selected_by)`` for ``lockgate run``: the gate verifies the environment that
    COMMAND will run in.

    Without ``python`` (``--python``), the interpreter COMMAND runs (:func:`command_interpreter`)
    is the target; when COMMAND is no Python program, the default target (``selected_by``
    None: :func:`~lockgate.env.interpreter.find_interpreter` says which). With ``python``,
    COMMAND's interpreter must belong to that same environment.

    Raises:
        LockgateError: ``python`` names another environment than the one COMMAND runs in.
    """
    from ..env.interpreter import find_interpreter

    runs = command_interpreter(command)
    if runs is None:
        return python, None
    if python is None:
        return runs, f"COMMAND's interpreter ({command[0]})"
    named, used = find_interpreter(python), find_interpreter(runs)
    if os.path.realpath(named.prefix) != os.path.realpath(used.prefix):
        raise LockgateError(
            f"--python {python} is the environment {named.prefix}, but {command[0]} runs {runs} "
            f"(environment {used.prefix}); drop --python to verify what COMMAND runs, or run COMMAND from {python}"
        )
    return python, "--python (COMMAND's environment)"


def run_gated(options: VerifyOptions, command: list[str], *, mpi: MpiGate | None = None, record: Recorder | None = None,
              freeze: str | None = None, progress: Callable[[int, int], object] | None = None) -> int:  # fmt: skip
    """``lockgate run``: the gate (:func:`~lockgate.gate.flow.gate`), then COMMAND, or not.

    One host: verify, write the record (``record``: :class:`~lockgate.gate.recording.Recorder`)
    and the frozen environment (``freeze``), then run COMMAND with signals forwarded, or print
    why not (exit 1). Under MPI: every rank verifies; rank 0 prints the cluster report and
    writes the record; if any rank failed, no rank starts COMMAND (exit 1); else each rank
    finalizes MPI and runs COMMAND, which initialises MPI as the same rank of the same job;
    rank 0's record then says how its COMMAND ended and binds the result files.

    Returns:
        COMMAND's exit code, or 1 when it was not started.

    Raises:
        LockgateError: the lock or the target cannot be read, COMMAND cannot be started, or a
            record cannot be written before the start.
    """
    from .flow import gate

    if record is not None:
        record.check()

    def show(verdict: Verdict) -> None:
        if record is not None:
            record.start(verdict, command, options.lockfile)
        _say(verdict, options.lockfile or "the lock", command)

    verdict = gate(options, mpi=mpi, show=show, progress=progress)
    if freeze and verdict.interpreter is not None and verdict.inventory is not None:
        from .._io import write_atomic
        from ..env.freeze import freeze_text

        write_atomic(freeze, freeze_text(verdict.interpreter, verdict.inventory).encode())
    if not verdict.passed:
        return 1
    if mpi is not None:
        from .cluster import finalize_mpi

        finalize_mpi()
    code, seconds = run_command(command)
    if record is not None:
        record.finish(code, seconds, warn=True)  # the command ran: its exit code is the answer
    return code


def _say(verdict: Verdict, lockfile: str, command: list[str]) -> None:
    """On stderr: the one line before COMMAND starts, or the findings and why it did not."""
    from shlex import join

    if verdict.cluster is not None:
        if verdict.passed:
            print(f"lockgate: {len(verdict.cluster.results)} ranks verified against {lockfile}", file=sys.stderr, flush=True)
        else:
            sys.stdout.write(verdict.cluster.render_text() + "the command was not started on any rank\n")
        return
    assert verdict.report is not None
    if verdict.passed:
        print(verified_summary(verdict.report, lockfile), file=sys.stderr, flush=True)
        return
    from ..render import render_text

    environment = verdict.report.header_value("environment")
    target = f"{lockfile} vs {environment['python']} ({environment['selected_by']})"
    sys.stderr.write(render_text(verdict.report, title="lockgate run", target=target, quiet=True))
    sys.stderr.write(f"the command was not started; to run it without verification:\n  {join(command)}\n")


def verified_summary(report: Report, lockfile: str) -> str:
    """The one status line printed before the command starts."""
    environment = report.header_value("environment")
    return f"lockgate: {report.summary()[MATCHED]} packages verified against {lockfile} in {environment['python']} ({environment['selected_by']})"


def run_command(command: list[str]) -> tuple[int, float]:
    """Run ``command`` with this process's stdin/stdout/stderr and forward termination signals.

    SIGINT is not forwarded when lockgate is the terminal's foreground process group: the
    terminal already sent Ctrl-C to the child, and a second one would skip its clean-up.

    Returns:
        ``(exit_code, wall_seconds)``; a child killed by signal N gives ``128 + N``, as a shell does.

    Raises:
        LockgateError: the command cannot be started.
    """
    started = time.monotonic()
    try:
        from .._io import announce

        announce(command)
        child = subprocess.Popen(command)
    except OSError as error:
        raise LockgateError(f"cannot start {command[0]}: {error.strerror}") from None
    previous = {}

    def forward(signum: int, _frame: object) -> None:
        if child.poll() is None:
            child.send_signal(signum)

    for name in _FORWARDED:
        signum = getattr(signal, name, None)
        if signum is None or (name == "SIGINT" and _terminal_sends_sigint_to_child()):
            continue
        previous[signum] = signal.signal(signum, forward)
    if signal.SIGINT not in previous:
        previous[signal.SIGINT] = signal.signal(signal.SIGINT, signal.SIG_IGN)  # the child decides
    try:
        code = child.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return (128 - code if code < 0 else code), time.monotonic() - started


def _terminal_sends_sigint_to_child() -> bool:
    try:
        return os.tcgetpgrp(sys.stdin.fileno()) == os.getpgrp()
    except (OSError, AttributeError, ValueError):
        return False
