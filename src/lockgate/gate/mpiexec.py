"""``lockgate cluster verify``: the ``mpiexec`` line that runs ``lockgate verify --mpi`` on
named hosts, and the run that tells a decided verdict from an mpiexec that never ran the job."""

from __future__ import annotations

import os
import sys

#: Rank 0 writes this on stderr, then ``passed`` or ``failed``, when the job decided.
VERDICT_PREFIX = "lockgate-cluster-verdict: "


def mpiexec_command(hosts: str, arguments: list[str], *, mpiexec: str | None = None, mpi_args: str = "") -> list[str]:
    """The ``mpiexec`` line that runs ``lockgate verify --mpi ARGUMENTS`` on ``hosts``
    (``h1,h2:4``: one rank on h1, four on h2)."""
    import shlex
    import shutil

    from ..errors import LockgateError

    slots = 0
    for host in filter(None, hosts.split(",")):
        name, _, count = host.partition(":")
        if not name or (count and not count.isdigit()):
            raise LockgateError(f"--hosts {hosts!r}: expected HOST or HOST:SLOTS, comma-separated")
        slots += int(count or 1)
    if not slots:
        raise LockgateError("--hosts: name at least one host")
    program = mpiexec or _bundled_mpiexec() or shutil.which("mpiexec")
    if not program:
        raise LockgateError("mpiexec not found: pip install 'lockgate[mpi]' or pass --mpiexec PATH")
    try:
        extra = shlex.split(mpi_args)
    except ValueError as error:
        raise LockgateError(f"--mpi-args {mpi_args!r}: {error}") from None
    return [program, "--host", hosts, "-n", str(slots), *extra, sys.executable, "-m", "lockgate", "verify", "--mpi", "--verdict-line", *arguments]


def run_mpiexec(command: list[str]) -> int:
    """Run the :func:`mpiexec_command` line: rank 0's report on stdout, every other line of
    stderr passed on; returns 0 when the job decided every rank passed, 1 when it decided one
    failed.

    Raises:
        LockgateError: mpiexec could not be started, or it ended without a verdict (it could
            not launch the ranks: as root without ``OMPI_ALLOW_RUN_AS_ROOT``, a bad argument,
            an unreachable host); its own message is on stderr above the error.
    """
    import subprocess

    from ..errors import LockgateError

    try:
        from .._io import announce

        announce(command)
        process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, errors="replace")
    except OSError as error:
        raise LockgateError(f"cannot run {command[0]}: {error.strerror}") from None
    verdict = None
    with process:
        for line in process.stderr or ():
            if line.startswith(VERDICT_PREFIX):
                verdict = line[len(VERDICT_PREFIX) :].strip()
            else:
                sys.stderr.write(line)
    if verdict is None:
        raise LockgateError(f"{os.path.basename(command[0])} exited {process.returncode} before any rank reported; nothing was verified "
                            "(its message is above)")  # fmt: skip
    if verdict == "passed" and process.returncode != 0:
        raise LockgateError(f"{os.path.basename(command[0])} exited {process.returncode} after every rank passed; see its message above")
    return 0 if verdict == "passed" else 1


def _bundled_mpiexec() -> str | None:
    candidate = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    return candidate if os.path.isfile(candidate) else None
