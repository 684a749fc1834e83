"""The record a gated run keeps with its results (schema ``lockgate.attestation/1``): what was
verified, the command, when it started, and, once it has ended, its exit code."""

from __future__ import annotations

import os
import time
from typing import Any

SCHEMA = "lockgate.attestation/1"


class Attestation:
    """One gated run. A value: :meth:`ended` returns a new one.

    Attributes:
        command: the command that ran (or would have).
        verify: the verify report as JSON (one host), or None.
        cluster: the cluster report as JSON (``lockgate.cluster/1``, every rank), or None.
        environment_fingerprint: ``sha256:…`` of the installed set (one host), or None.
        started_at: UTC time the command started (RFC 3339, seconds).
        exit_code, wall_seconds: how it ended (seconds), None before it has.
    """

    __slots__ = ("command", "verify", "cluster", "environment_fingerprint", "started_at", "exit_code", "wall_seconds")

    def __init__(self, command: list[str], *, verify: dict[str, Any] | None = None, cluster: dict[str, Any] | None = None,
                 environment_fingerprint: str | None = None, started_at: str | None = None, exit_code: int | None = None,
                 wall_seconds: float | None = None) -> None:  # fmt: skip
        self.command = list(command)
        self.verify = verify
        self.cluster = cluster
        self.environment_fingerprint = environment_fingerprint
        self.started_at = started_at or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        self.exit_code = exit_code
        self.wall_seconds = wall_seconds

    def ended(self, exit_code: int, wall_seconds: float) -> Attestation:
        """This run once it has ended: its exit code and wall time (seconds)."""
        values = {name: getattr(self, name) for name in self.__slots__ if name != "command"}
        values.update(exit_code=exit_code, wall_seconds=round(wall_seconds, 3))
        return Attestation(self.command, **values)

    def to_dict(self) -> dict[str, Any]:
        """The JSON of schema ``lockgate.attestation/1``: ``verify`` and
        ``environment_fingerprint`` for one host, or ``cluster`` for every rank."""
        record: dict[str, Any] = {"schema": SCHEMA}
        if self.cluster is not None:
            record["cluster"] = self.cluster
        else:
            record["verify"] = self.verify
        record.update(command=self.command, started_at=self.started_at, exit_code=self.exit_code, wall_seconds=self.wall_seconds)
        if self.cluster is None:
            record["environment_fingerprint"] = self.environment_fingerprint
        return record

    def write(self, path: str) -> None:
        """Write it to ``path`` atomically (temporary file, fsync, rename), making its folder
        first (a results folder a benchmark has not made yet).

        Raises:
            LockgateError: the folder or the file cannot be written.
        """
        import json

        from .._io import write_atomic
        from ..errors import LockgateError

        folder = os.path.dirname(os.path.abspath(path))
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as error:
            raise LockgateError(f"cannot make the record's folder: {error.strerror}", folder) from None
        write_atomic(path, (json.dumps(self.to_dict(), indent=2) + "\n").encode())
