"""``lockgate run``: verify the environment, then run a command, or refuse to start it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from .report import MATCHED, Report

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


def attestation(report: Report, fingerprint: str, command: list[str]) -> dict:
    """The attestation record of a run, before it starts (``exit_code`` and ``wall_seconds`` null)."""
    return {
        "schema": ATTESTATION_SCHEMA,
        "verify": report.to_dict(),
        "command": list(command),
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "exit_code": None,
        "wall_seconds": None,
        "environment_fingerprint": fingerprint,
    }


def write_record(path: str, record: dict) -> None:
    """Write an attestation record atomically (temp file, fsync, rename)."""
    import json

    from ._io import write_atomic

    write_atomic(path, (json.dumps(record, indent=2) + "\n").encode())


def verified_summary(report: Report, lockfile: str) -> str:
    """The one status line printed before the command starts."""
    return f"lockgate: {report.summary()[MATCHED]} packages verified against {lockfile}"


def run_command(command: list[str]) -> tuple[int, float]:
    """Run ``command`` with this process's stdin/stdout/stderr and forward termination signals.

    SIGINT is not forwarded when lockgate is the terminal's foreground process group: the
    terminal already sent Ctrl-C to the child, and a second one would skip its clean-up.

    Returns:
        ``(exit_code, wall_seconds)``; a child killed by signal N gives ``128 + N``, as a shell does.

    Raises:
        LockgateError: the command cannot be started.
    """
    from .errors import LockgateError

    started = time.monotonic()
    try:
        child = subprocess.Popen(command)
    except OSError as error:
        raise LockgateError(f"cannot start {command[0]}: {error.strerror}") from None
    previous = {}

    def forward(signum, _frame):
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
