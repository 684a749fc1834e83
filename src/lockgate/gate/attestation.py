"""The record a gated run keeps with its results: an in-toto Statement v1
(:mod:`lockgate.gate.statement`) whose subjects are the run's result files and whose predicate
(``lockgate.run/1``, ``lockgate schema run``) says what ran in which verified environment: the
lock (path, sha256, format, provenance), the verify report (or the cluster report: every host),
the command, when it started and ended, its exit code and the environment fingerprint; with
``--sbom``, the CycloneDX SBOM written beside it; with ``--sign-key``, in a DSSE envelope.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping

from ..errors import LockgateError
from .statement import Subject, hash_results, statement

#: The predicate's schema name (``lockgate schema run``); its type URI is statement.PREDICATE_TYPE.
SCHEMA = "lockgate.run/1"


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class LockRecord:
    """The lock a run was verified against.

    Attributes:
        path: as the command line named it; from_record: the same from the record's folder
        (``/``-separated), or None; sha256: hex of its bytes; format: ``requirements.txt``,
        ``pylock.toml`` or ``uv.lock``; provenance: its ``lockgate generate`` provenance as
        JSON, or None (none recorded in it, or damaged).
    """

    __slots__ = ("path", "from_record", "sha256", "format", "provenance")

    def __init__(self, path: str, sha256: str, format: str, provenance: dict[str, object] | None = None, from_record: str | None = None) -> None:
        self.path = path
        self.from_record = from_record
        self.sha256 = sha256
        self.format = format
        self.provenance = provenance

    @classmethod
    def read(cls, path: str, record: str | None = None) -> LockRecord:
        """The record of the lock at ``path`` (read once: its bytes give the digest and
        provenance), named from ``record``'s folder too.

        Raises:
            LockgateError: it cannot be read.
        """
        import hashlib

        from ..env.readers import resolve_lockfile

        format, real = resolve_lockfile(path)
        try:
            with open(real, "rb") as handle:
                data = handle.read()
        except OSError as error:
            raise LockgateError(f"cannot read the lock to record it: {error.strerror}", path) from None
        relative = os.path.relpath(os.path.abspath(path), os.path.dirname(os.path.abspath(record))).replace(os.sep, "/") if record else None
        return cls(path, hashlib.sha256(data).hexdigest(), format, _provenance(data, format, path), relative)

    def to_dict(self) -> dict[str, object]:
        """``{"path", "from_record", "sha256", "format", "provenance"}``."""
        return {"path": self.path, "from_record": self.from_record, "sha256": self.sha256, "format": self.format, "provenance": self.provenance}


def _provenance(data: bytes, format: str, path: str) -> dict[str, object] | None:
    if format == "uv.lock":
        return None
    from ..lock.provenance import read_provenance

    try:
        provenance = read_provenance(data.decode("utf-8-sig"), format, path)
    except (LockgateError, UnicodeDecodeError):
        return None  # verify read the lock; a damaged stamp is generate --check's to report
    if provenance is None:
        return None
    return {"generated_by": provenance.generated_by, "pyproject": provenance.pyproject, "options": provenance.options,
            "inputs_sha256": provenance.inputs_sha256, "body_sha256": provenance.body_sha256, "uv_settings": provenance.uv_settings}  # fmt: skip


class FileRecord:
    """A file the record names beside itself (the SBOM): path relative to the record's folder,
    its sha256 and format."""

    __slots__ = ("path", "sha256", "format")

    def __init__(self, path: str, sha256: str, format: str) -> None:
        self.path = path
        self.sha256 = sha256
        self.format = format

    def to_dict(self) -> dict[str, object]:
        """``{"path", "sha256", "format"}``."""
        return {"path": self.path, "sha256": self.sha256, "format": self.format}


class Attestation:
    """One gated run. A value: :meth:`ended`, :meth:`with_results` and :meth:`with_sbom` return new ones.

    Attributes:
        command: the command that ran (or would have).
        lock: the :class:`LockRecord`, or None (no lock: ``--compare``).
        verify: the verify report as JSON (one host), or None.
        cluster: the cluster report as JSON (``lockgate.cluster/1``, every rank), or None.
        environment_fingerprint: ``sha256:…`` of the installed set (one host), or None.
        started_at: UTC time the command started (RFC 3339, seconds); ended_at: when it ended, or None.
        exit_code, wall_seconds: how it ended (seconds), None before it has.
        results: the results folder as named, or None; results_from_record: the same, relative
            to the record's folder (``/``-separated); subjects: its files, hashed once the run ended.
        sbom: the SBOM beside the record (:class:`FileRecord`), or None.
    """

    __slots__ = ("command", "lock", "verify", "cluster", "environment_fingerprint", "started_at", "ended_at", "exit_code", "wall_seconds",
                 "results", "results_from_record", "subjects", "sbom")  # fmt: skip

    def __init__(self, command: list[str], *, lock: LockRecord | None = None, verify: Mapping[str, object] | None = None,
                 cluster: Mapping[str, object] | None = None, environment_fingerprint: str | None = None, started_at: str | None = None,
                 ended_at: str | None = None, exit_code: int | None = None, wall_seconds: float | None = None, results: str | None = None,
                 results_from_record: str | None = None, subjects: tuple[Subject, ...] = (), sbom: FileRecord | None = None) -> None:  # fmt: skip
        self.command = list(command)
        self.lock = lock
        self.verify = verify
        self.cluster = cluster
        self.environment_fingerprint = environment_fingerprint
        self.started_at = started_at or _now()
        self.ended_at = ended_at
        self.exit_code = exit_code
        self.wall_seconds = wall_seconds
        self.results = results
        self.results_from_record = results_from_record
        self.subjects = subjects
        self.sbom = sbom

    def _replace(self, **changes: object) -> Attestation:
        values: dict[str, object] = {name: getattr(self, name) for name in self.__slots__}
        values.update(changes)
        copy = Attestation.__new__(Attestation)
        for name, value in values.items():
            setattr(copy, name, value)
        return copy

    def ended(self, exit_code: int, wall_seconds: float) -> Attestation:
        """This run once it has ended: its exit code, end time and wall time (seconds)."""
        return self._replace(exit_code=exit_code, wall_seconds=round(wall_seconds, 3), ended_at=_now())

    def with_results(self, folder: str | None, record: str, exclude: tuple[str, ...] = ()) -> Attestation:
        """With the run's result files as subjects: every regular file under ``folder`` (None:
        no results folder) with its sha256, ``record`` and ``exclude`` (its SBOM) left out; the
        folder is named as given and from ``record``'s folder.

        Raises:
            LockgateError: ``folder`` is not a folder or a file in it cannot be read.
        """
        if folder is None:
            return self
        return self.naming_results(folder, record)._replace(subjects=hash_results(folder, (record, *exclude)))

    def naming_results(self, folder: str | None, record: str) -> Attestation:
        """With the results folder named (as given and from ``record``'s folder) but nothing
        bound yet: the record before the run, or of a run that never started."""
        if folder is None:
            return self
        relative = os.path.relpath(os.path.abspath(folder), os.path.dirname(os.path.abspath(record))).replace(os.sep, "/")
        return self._replace(results=folder, results_from_record=relative)

    def with_sbom(self, sbom: FileRecord) -> Attestation:
        """With the SBOM written beside the record."""
        return self._replace(sbom=sbom)

    def predicate(self) -> dict[str, object]:
        """The predicate (``lockgate.run/1``): ``verify`` and ``environment_fingerprint`` for one
        host, or ``cluster`` for every rank."""
        from .. import __version__

        record: dict[str, object] = {"lockgate_version": __version__, "lock": self.lock.to_dict() if self.lock else None}
        if self.cluster is not None:
            record["cluster"] = self.cluster
        else:
            record["verify"] = self.verify
            record["environment_fingerprint"] = self.environment_fingerprint
        record.update(command=self.command, started_at=self.started_at, ended_at=self.ended_at, exit_code=self.exit_code,
                      wall_seconds=self.wall_seconds, results=self._results(), sbom=self.sbom.to_dict() if self.sbom else None)  # fmt: skip
        return record

    def _results(self) -> dict[str, object] | None:
        if self.results is None:
            return None
        return {"path": self.results, "from_record": self.results_from_record, "files": len(self.subjects)}

    def statement_subjects(self) -> tuple[Subject, ...]:
        """The statement's subjects: the result files; with none (no results folder, or the run
        has not ended), the lock, since an in-toto statement names at least one subject."""
        if self.subjects:
            return self.subjects
        if self.lock is not None:
            return (Subject(os.path.basename(self.lock.path), self.lock.sha256),)
        return ()

    def to_dict(self) -> dict[str, object]:
        """The in-toto Statement v1 (``_type``, ``subject``, ``predicateType``, ``predicate``)."""
        return statement(self.statement_subjects(), self.predicate())

    def write(self, path: str, sign_key: str | None = None) -> None:
        """Write the statement to ``path`` atomically (temporary file, fsync, rename), making its
        folder first (a results folder a benchmark has not made yet); with ``sign_key``, as a
        DSSE envelope signed with that Ed25519 key (:mod:`lockgate.gate.signing`).

        Raises:
            LockgateError: the folder or the file cannot be written, or the key cannot be used.
        """
        import json

        from .._io import write_atomic

        document: dict[str, object] = self.to_dict()
        if sign_key:
            from .signing import sign_statement

            document = sign_statement(json.dumps(document, indent=2).encode(), sign_key)
        folder = os.path.dirname(os.path.abspath(path))
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as error:
            raise LockgateError(f"cannot make the record's folder: {error.strerror}", folder) from None
        write_atomic(path, (json.dumps(document, indent=2) + "\n").encode())


def sbom_path(record: str) -> str:
    """Where ``--sbom`` writes the SBOM: beside the record, ``run.json`` -> ``run.cdx.json``."""
    stem = record[: -len(".json")] if record.endswith(".json") else record
    return stem + ".cdx.json"


def write_sbom(record: str, text: str) -> FileRecord:
    """Write the SBOM ``text`` beside ``record`` (:func:`sbom_path`), atomically, its folder made.

    Returns:
        Its :class:`FileRecord` (path relative to the record's folder).

    Raises:
        LockgateError: it cannot be written.
    """
    import hashlib

    from .._io import write_atomic

    path = sbom_path(record)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    data = text.encode()
    write_atomic(path, data)
    return FileRecord(os.path.basename(path), hashlib.sha256(data).hexdigest(), "CycloneDX 1.6 JSON")
