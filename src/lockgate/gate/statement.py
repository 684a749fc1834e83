"""The in-toto layer of a run record: an in-toto Statement v1 whose subjects are the run's result
files (name and sha256) and whose predicate is lockgate's (``PREDICATE_TYPE``), optionally in a
DSSE envelope (:mod:`lockgate.gate.signing`); and reading one back, or an older
``lockgate.attestation/1`` record.

Spec: https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md (Statement, its
ResourceDescriptor subjects) and https://github.com/secure-systems-lab/dsse (envelope).
"""

from __future__ import annotations

import os

from ..errors import LockgateError

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
#: lockgate's predicate: its JSON Schema is ``lockgate schema run`` (``lockgate.run/1``).
PREDICATE_TYPE = "https://lockgate.invalid/run/v1"
#: DSSE's payloadType for an in-toto statement.
PAYLOAD_TYPE = "application/vnd.in-toto+json"
#: The record lockgate wrote before in-toto statements: read back, never written.
LEGACY_SCHEMA = "lockgate.attestation/1"
_CHUNK = 1 << 20
#: A record is one JSON document of reports: bounded so a hostile file cannot take the memory.
MAX_RECORD_BYTES = 256 << 20


class Subject:
    """One result file: its name (``/``-separated, relative to the results folder) and sha256 (hex)."""

    __slots__ = ("name", "sha256")

    def __init__(self, name: str, sha256: str) -> None:
        self.name = name
        self.sha256 = sha256

    def to_dict(self) -> dict[str, object]:
        """The in-toto ResourceDescriptor: ``{"name", "digest": {"sha256"}}``."""
        return {"name": self.name, "digest": {"sha256": self.sha256}}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Subject) and (self.name, self.sha256) == (other.name, other.sha256)

    def __hash__(self) -> int:
        return hash((self.name, self.sha256))

    def __repr__(self) -> str:
        return f"Subject({self.name!r}, {self.sha256[:12]}…)"


def file_sha256(path: str) -> str:
    """Hex sha256 of a file's bytes, read in chunks.

    Raises:
        OSError: it cannot be read.
    """
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def result_files(folder: str, exclude: tuple[str, ...] = ()) -> dict[str, str]:
    """Every regular file under ``folder`` (recursively; links and devices are not results):
    ``/``-separated name relative to ``folder`` -> its path, sorted, ``exclude`` (paths: the
    record itself, its SBOM) left out.

    Raises:
        LockgateError: ``folder`` is not a folder.
    """
    import stat

    if not os.path.isdir(folder):
        raise LockgateError("the results folder is not a folder (--results DIR: the folder the run writes its results in)", folder)
    excluded = {os.path.realpath(path) for path in exclude}
    found: dict[str, str] = {}
    for top, folders, names in os.walk(folder):
        folders.sort()
        for name in names:
            path = os.path.join(top, name)
            try:
                regular = stat.S_ISREG(os.lstat(path).st_mode)
            except OSError:
                continue
            if regular and os.path.realpath(path) not in excluded:
                found[os.path.relpath(path, folder).replace(os.sep, "/")] = path
    return dict(sorted(found.items()))


def hash_results(folder: str, exclude: tuple[str, ...] = ()) -> tuple[Subject, ...]:
    """The subjects of a run: :func:`result_files` of ``folder`` with their sha256.

    Raises:
        LockgateError: ``folder`` is not a folder, or a file in it cannot be read.
    """
    subjects = []
    for name, path in result_files(folder, exclude).items():
        try:
            subjects.append(Subject(name, file_sha256(path)))
        except OSError as error:
            raise LockgateError(f"cannot hash a result file: {error.strerror}", path) from None
    return tuple(subjects)


def statement(subjects: tuple[Subject, ...], predicate: dict[str, object]) -> dict[str, object]:
    """The in-toto Statement v1 of lockgate's predicate about ``subjects``."""
    return {"_type": STATEMENT_TYPE, "subject": [subject.to_dict() for subject in subjects], "predicateType": PREDICATE_TYPE,
            "predicate": predicate}  # fmt: skip


class ReadRecord:
    """A record read back (:func:`read_record`).

    Attributes:
        path: the file.
        kind: ``"statement"`` (in-toto v1), ``"envelope"`` (a DSSE envelope of one) or
            ``"legacy"`` (``lockgate.attestation/1``).
        subjects: the statement's subjects (none for a legacy record).
        predicate: lockgate's predicate (for a legacy record: the record itself).
        envelope: the DSSE envelope as JSON (``kind == "envelope"``), else None.
    """

    __slots__ = ("path", "kind", "subjects", "predicate", "envelope")

    def __init__(self, path: str, kind: str, subjects: tuple[Subject, ...], predicate: dict[str, object],
                 envelope: dict[str, object] | None = None) -> None:  # fmt: skip
        self.path = path
        self.kind = kind
        self.subjects = subjects
        self.predicate = predicate
        self.envelope = envelope


def read_record(path: str) -> ReadRecord:
    """Read a run record: an in-toto Statement v1 with lockgate's predicate, a DSSE envelope of
    one (read without checking its signature: :mod:`lockgate.gate.signing` does), or a
    ``lockgate.attestation/1`` record.

    Raises:
        LockgateError: the file cannot be read, is not JSON, or is none of these (exit 2).
    """
    import json

    from .._io import read_regular_file

    try:
        data = json.loads(read_regular_file(path, MAX_RECORD_BYTES))
    except OSError as error:
        raise LockgateError(f"cannot read the record: {error.strerror or error}", path) from None
    except (ValueError, RecursionError) as error:
        raise LockgateError(f"the record is not JSON ({error})", path) from None
    if not isinstance(data, dict):
        raise LockgateError("the record is not a JSON object (an in-toto statement, a DSSE envelope or lockgate.attestation/1)", path)
    if data.get("schema") == LEGACY_SCHEMA:
        return ReadRecord(path, "legacy", (), data)
    if "payloadType" in data:
        return _from_statement(path, _envelope_payload(data, path), data)
    return _from_statement(path, data, None)


def _envelope_payload(envelope: dict[str, object], path: str) -> dict[str, object]:
    import base64
    import binascii
    import json

    if envelope.get("payloadType") != PAYLOAD_TYPE or not isinstance(envelope.get("payload"), str):
        raise LockgateError(f"a DSSE envelope whose payloadType is not {PAYLOAD_TYPE} (or has no payload)", path)
    if not isinstance(envelope.get("signatures"), list):
        raise LockgateError("a DSSE envelope without a signatures list", path)
    try:
        payload = json.loads(base64.b64decode(str(envelope["payload"]), validate=True))
    except (binascii.Error, ValueError, RecursionError) as error:
        raise LockgateError(f"the DSSE envelope's payload is not base64 JSON ({error})", path) from None
    if not isinstance(payload, dict):
        raise LockgateError("the DSSE envelope's payload is not a JSON object", path)
    return payload


def _from_statement(path: str, data: dict[str, object], envelope: dict[str, object] | None) -> ReadRecord:
    if data.get("_type") != STATEMENT_TYPE:
        raise LockgateError(f"not a run record: _type is not {STATEMENT_TYPE} (nor schema {LEGACY_SCHEMA})", path)
    if data.get("predicateType") != PREDICATE_TYPE:
        raise LockgateError(f"an in-toto statement of predicateType {data.get('predicateType')!r}, not lockgate's ({PREDICATE_TYPE})", path)
    predicate, listed = data.get("predicate"), data.get("subject")
    if not isinstance(predicate, dict) or not isinstance(listed, list):
        raise LockgateError("the statement's predicate is not an object or its subject not a list", path)
    subjects = []
    for index, item in enumerate(listed):
        digest = item.get("digest") if isinstance(item, dict) else None
        name = item.get("name") if isinstance(item, dict) else None
        sha256 = digest.get("sha256") if isinstance(digest, dict) else None
        if not isinstance(name, str) or not isinstance(sha256, str):
            raise LockgateError(f"subject[{index}] has no name or no sha256 digest", path)
        subjects.append(Subject(name, sha256))
    return ReadRecord(path, "envelope" if envelope is not None else "statement", tuple(subjects), predicate, envelope)
