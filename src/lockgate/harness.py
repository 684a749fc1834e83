"""``lockgate.harness``, the documented import path of :mod:`lockgate.gate.harness`."""

from .gate.harness import (
    LockfileVerificationError,
    LockgateError,
    add_verify_lockfile_arguments,
    enforce_lockfile,
    record_exit,
    verified_summary,
)

__all__ = ["LockfileVerificationError", "LockgateError", "add_verify_lockfile_arguments", "enforce_lockfile", "record_exit", "verified_summary"]
