"""``lockgate run``: verify the environment, then run a command, or refuse to start it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from ..report import MATCHED, Report

ATTESTATION_SCHEMA = "lockgate.attestation/1"
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
    from ..errors import LockgateError

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


def attestation(report: Report | None, fingerprint: str | None, command: list[str], *, cluster: dict[str, Any] | None = None) -> dict[str, Any]:
    """The attestation record of a run, before it starts (``exit_code`` and ``wall_seconds``
    null): schema ``lockgate.attestation/1`` with the verify report and the environment
    fingerprint, or with the cluster report (``cluster``) for a gated MPI job."""
    record: dict[str, Any] = {"schema": ATTESTATION_SCHEMA}
    if cluster is not None:
        record["cluster"] = cluster
    else:
        record["verify"] = report.to_dict() if report else None
    record.update(command=list(command), started_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), exit_code=None, wall_seconds=None)
    if cluster is None:
        record["environment_fingerprint"] = fingerprint
    return record


def write_record(path: str, record: dict[str, Any]) -> None:
    """Write an attestation record atomically (temp file, fsync, rename)."""
    import json

    from .._io import write_atomic

    write_atomic(path, (json.dumps(record, indent=2) + "\n").encode())


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
    from ..errors import LockgateError

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
