"""``lockgate.harness``, the documented import path of :mod:`lockgate.gate.harness`."""

from .gate.harness import (
    GatedRun,
    LockfileVerificationError,
    LockgateError,
    add_lockfile_commands,
    add_verify_lockfile_arguments,
    enforce_lockfile,
    run_lockfile_command,
)

__all__ = ["GatedRun", "LockfileVerificationError", "LockgateError", "add_lockfile_commands", "add_verify_lockfile_arguments",
           "enforce_lockfile", "run_lockfile_command"]  # fmt: skip
