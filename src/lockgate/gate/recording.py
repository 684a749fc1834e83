"""Keeping a gated run's record (``run --record``, the harness's ``--verify-record``): written
where the gate decides, before the command starts (a run that never ends still leaves one), then
completed when it ends: exit code, end time, and the result files hashed as the statement's subjects."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .attestation import Attestation
    from .flow import Verdict


class Recorder:
    """Where and how to keep the record.

    Attributes:
        path: the record's path.
        results: the results folder whose files the record binds (hashed when the run ends), or None.
        sign_key: an Ed25519 private key (PEM or OpenSSH): the record is a signed DSSE envelope; or None.
        sbom: write a CycloneDX SBOM of the verified environment beside the record (one host).
        attestation: the record as last written, None before :meth:`start`.
    """

    __slots__ = ("path", "results", "sign_key", "sbom", "attestation")

    def __init__(self, path: str, *, results: str | None = None, sign_key: str | None = None, sbom: bool = False) -> None:
        self.path = path
        self.results = results
        self.sign_key = sign_key
        self.sbom = sbom
        self.attestation: Attestation | None = None

    def check(self) -> None:
        """Refuse a signing key that cannot be used, before the gate (so on every rank, and
        before any rank waits for rank 0's record).

        Raises:
            LockgateError: the key cannot be read or used, or lockgate[attest] is missing.
        """
        if self.sign_key:
            from .signing import check_private_key

            check_private_key(self.sign_key)

    def start(self, verdict: Verdict, command: list[str], lockfile: str | None) -> None:
        """Write the record of a run of ``command`` that ``verdict`` gated against ``lockfile``
        (with ``sbom``: the SBOM first, so the record names its digest).

        Raises:
            LockgateError: the lock, the key or a file cannot be read or written.
        """
        from .attestation import LockRecord, write_sbom

        attestation = verdict.attestation(command, LockRecord.read(lockfile, self.path) if lockfile else None).naming_results(self.results, self.path)
        if self.sbom and verdict.interpreter is not None and verdict.inventory is not None:
            from ..env.sbom import sbom_json

            attestation = attestation.with_sbom(write_sbom(self.path, sbom_json(verdict.interpreter, verdict.inventory, lockfile)))
        self.attestation = attestation
        attestation.write(self.path, self.sign_key)

    def finish(self, exit_code: int, wall_seconds: float, *, warn: bool = False) -> None:
        """Complete the record: how the run ended and its result files.

        Args:
            warn: a record that cannot be completed is a warning on stderr (the command ran:
                its exit code is the answer), not an error.

        Raises:
            LockgateError: it cannot be completed (unless ``warn``).
        """
        from ..errors import LockgateError
        from .attestation import sbom_path

        if self.attestation is None:
            return
        exclude = (sbom_path(self.path),) if self.attestation.sbom else ()
        try:
            ended = self.attestation.ended(exit_code, wall_seconds).with_results(self.results, self.path, exclude)
            ended.write(self.path, self.sign_key)
        except LockgateError as error:
            if not warn:
                raise
            print(f"lockgate: warning: the final record was not written: {error}", file=sys.stderr)
            return
        self.attestation = ended
