"""``lockgate attest verify RECORD``: re-check a run record (:mod:`lockgate.gate.attestation`)
from the record alone, as a reviewer of the run's results would: one finding per reason to
refuse, each naming its file, in the same :class:`~lockgate.report.Report` as verify.

It passes only when: the signature is valid (when a key is given or the record is signed);
every result file the record binds has its recorded sha256 under the results folder and none
is missing; the lock named or found has the recorded sha256; the SBOM the record names (if
any) has its recorded sha256; the recorded verify passed on every host; the command ended with
exit code 0 (or ``allow_failed_run``); and with ``python``, that environment has the recorded
installed set.
"""

from __future__ import annotations

import os

from ..errors import LockgateError
from ..report import EXTRA, MATCHED, MISMATCHED, MISSING, SKIPPED, UNVERIFIABLE, Finding, Report
from .statement import ReadRecord, file_sha256, read_record, result_files

SCHEMA = "lockgate.attest.verify/1"
#: A recorded outcome that refuses the run: its verify failed, or its command did not end with 0.
FAILED = "failed"
STATUSES = (MATCHED, MISMATCHED, MISSING, EXTRA, UNVERIFIABLE, FAILED, SKIPPED)


def attest_verify(record: str, *, lock: str | None = None, results: str | None = None, key: str | None = None,
                  allow_failed_run: bool = False, python: str | None = None) -> Report:  # fmt: skip
    """Re-verify a run record (see the module doc).

    Args:
        record: the record (an in-toto statement, a DSSE envelope of one, or ``lockgate.attestation/1``).
        lock: the lock to check against the recorded sha256; None: the recorded path, else the
            file of that name beside the record.
        results: the results folder; None: where the record says it is from the record's
            folder, else the record's folder.
        key: the signer's public key (PEM, ``ssh-ed25519 …``), or None.
        allow_failed_run: a non-zero exit code does not refuse the record.
        python: an interpreter or venv that must have the recorded installed set.

    Returns:
        The report (schema ``lockgate.attest.verify/1``, items ``checks``, subject ``file``).

    Raises:
        LockgateError: the record or the key cannot be read (exit 2).
    """
    read = read_record(record)
    predicate = read.predicate
    folder = _results_folder(read, results)
    findings = [
        *_signature(read, key),
        *_results(read, folder, explicit=results is not None),
        _lock(read, lock),
        *_sbom(read),
        _verify_outcome(read),
        _exit_code(read, allow_failed_run),
        *(_environment(read, python) if python else ()),
    ]
    header: dict[str, object] = {"record": record, "kind": read.kind, "command": predicate.get("command"), "results": folder,
                                 "started_at": predicate.get("started_at"), "ended_at": predicate.get("ended_at")}  # fmt: skip
    return Report(SCHEMA, STATUSES, findings, header, items_key="checks", subject_key="file")


def _mapping(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


def _finding(status: str, file: str, check: str, expected: object = None, found: object = None, message: str = "", *,
             fails: bool | None = None) -> Finding:  # fmt: skip
    failing = status not in (MATCHED, EXTRA, SKIPPED) if fails is None else fails
    return Finding(status, file, None if expected is None else str(expected), None if found is None else str(found), message,
                   fails=failing, details={"check": check})  # fmt: skip


def _signature(read: ReadRecord, key: str | None) -> list[Finding]:
    from .signing import envelope_keyids

    if read.envelope is None:
        if key:
            return [_finding(MISSING, read.path, "signature", "a DSSE envelope signed by --key", "an unsigned statement",
                             "the record is not signed: it could have been written by anyone")]  # fmt: skip
        return [_finding(SKIPPED, read.path, "signature", message="not signed (record with --sign-key to sign it)")]
    keyids = ", ".join(envelope_keyids(read.envelope)) or "none"
    if not key:
        return [_finding(UNVERIFIABLE, read.path, "signature", "a signature checked with --key", f"signed by {keyids}",
                         "the record is signed: give the signer's public key with --key to check it")]  # fmt: skip
    from .signing import public_key, verify_envelope

    public = public_key(key)
    problem = verify_envelope(read.envelope, public)
    if problem:
        return [_finding(MISMATCHED, read.path, "signature", f"signed by {public.keyid}", f"signed by {keyids}", problem)]
    return [_finding(MATCHED, read.path, "signature", public.keyid, public.keyid, f"signature valid ({key})")]


def _results_folder(read: ReadRecord, given: str | None) -> str:
    if given is not None:
        return given
    here = os.path.dirname(os.path.abspath(read.path))
    relative = _mapping(read.predicate.get("results")).get("from_record")
    if isinstance(relative, str) and os.path.isdir(os.path.join(here, relative)):
        return os.path.normpath(os.path.join(os.path.dirname(read.path) or ".", relative))
    return os.path.dirname(read.path) or "."


def _results(read: ReadRecord, folder: str, *, explicit: bool) -> list[Finding]:
    recorded = _mapping(read.predicate.get("results"))
    if not recorded:
        if explicit:
            return [_finding(UNVERIFIABLE, folder, "results", "result files bound to the record", "none recorded",
                             "the record binds no result files (the run had no --results DIR)")]  # fmt: skip
        return [_finding(SKIPPED, read.path, "results", message="the record binds no result files (the run had no --results DIR)")]
    subjects = read.subjects if recorded.get("files") else ()
    if not os.path.isdir(folder):
        return [_finding(MISSING, folder, "results", f"{len(subjects)} result files", "no such folder", "name the results folder with --results DIR")]
    sbom = _mapping(read.predicate.get("sbom")).get("path")
    exclude = (read.path, os.path.join(os.path.dirname(read.path), sbom)) if isinstance(sbom, str) else (read.path,)
    present = result_files(folder, exclude)
    findings = []
    for subject in subjects:
        path = present.pop(subject.name, None)
        shown = os.path.join(folder, subject.name)
        if path is None:
            findings.append(_finding(MISSING, shown, "result", subject.sha256, None, "a result file the record binds is missing"))
            continue
        try:
            found = file_sha256(path)
        except OSError as error:
            findings.append(_finding(UNVERIFIABLE, shown, "result", subject.sha256, None, f"cannot read it: {error.strerror}"))
            continue
        if found != subject.sha256:
            findings.append(_finding(MISMATCHED, shown, "result", subject.sha256, found, "this result file was changed after the run"))
        else:
            findings.append(_finding(MATCHED, shown, "result", subject.sha256, found))
    for name in present:
        findings.append(_finding(EXTRA, os.path.join(folder, name), "result", None, "present", "not bound to the record (added after the run?)"))
    return findings


def _recorded_lock(read: ReadRecord) -> tuple[list[str], str | None]:
    """``(where to look, sha256)`` of the lock as recorded: from the record's folder, as the run
    named it, its name beside the record; a legacy record's come from its verify report."""
    here = os.path.dirname(read.path)
    lock = _mapping(read.predicate.get("lock"))
    if lock:
        path, relative, sha256 = lock.get("path"), lock.get("from_record"), lock.get("sha256")
        places = [os.path.normpath(os.path.join(here, relative))] if isinstance(relative, str) else []
        places += [path, os.path.join(here, os.path.basename(path))] if isinstance(path, str) else []
        return places, (sha256 if isinstance(sha256, str) else None)
    for report in [_mapping(read.predicate.get("verify")), *map(_mapping, _hosts(read))]:
        path, sha256 = report.get("lockfile"), report.get("lockfile_sha256")
        if isinstance(sha256, str):
            return ([path, os.path.join(here, os.path.basename(path))] if isinstance(path, str) else []), sha256
    return [], None


def _lock(read: ReadRecord, named: str | None) -> Finding:
    places, sha256 = _recorded_lock(read)
    if sha256 is None:
        return _finding(UNVERIFIABLE, named or read.path, "lock", "a recorded lock sha256", None, "the record names no lock digest")
    candidates = [named] if named else places
    found = next((c for c in candidates if os.path.isfile(c)), None)
    if found is None:
        shown = named or (places[0] if places else "the lock")
        return _finding(MISSING, shown, "lock", sha256, None, "the lock was not found: name it with --lock LOCK")
    try:
        digest = file_sha256(found)
    except OSError as error:
        raise LockgateError(f"cannot read the lock: {error.strerror}", found) from None
    if digest != sha256:
        return _finding(MISMATCHED, found, "lock", sha256, digest, "not the lock the run was verified against")
    return _finding(MATCHED, found, "lock", sha256, digest)


def _sbom(read: ReadRecord) -> list[Finding]:
    sbom = _mapping(read.predicate.get("sbom"))
    name, sha256 = sbom.get("path"), sbom.get("sha256")
    if not isinstance(name, str) or not isinstance(sha256, str):
        return []
    path = os.path.join(os.path.dirname(read.path), name)
    if not os.path.isfile(path):
        return [_finding(MISSING, path, "sbom", sha256, None, "the SBOM the record names is not beside it")]
    digest = file_sha256(path)
    if digest != sha256:
        return [_finding(MISMATCHED, path, "sbom", sha256, digest, "the SBOM was changed after the run")]
    return [_finding(MATCHED, path, "sbom", sha256, digest)]


def _hosts(read: ReadRecord) -> list[object]:
    hosts = _mapping(read.predicate.get("cluster")).get("hosts")
    return hosts if isinstance(hosts, list) else []


def _verify_outcome(read: ReadRecord) -> Finding:
    cluster = _mapping(read.predicate.get("cluster"))
    if cluster:
        failing = [f"{_mapping(h).get('hostname')}:{_mapping(h).get('rank')}" for h in _hosts(read) if _mapping(h).get("passed") is not True]
        if cluster.get("passed") is True and not failing and _hosts(read):
            return _finding(MATCHED, read.path, "verify", "passed on every host", f"passed on {len(_hosts(read))} ranks")
        shown = ", ".join(failing[:8]) + (f" and {len(failing) - 8} more" if len(failing) > 8 else "")
        return _finding(FAILED, read.path, "verify", "passed on every host", f"failed on {shown or 'the cluster'}",
                        "the recorded verify failed: the environment did not match the lock on every host")  # fmt: skip
    verify = _mapping(read.predicate.get("verify"))
    if verify.get("passed") is True:
        return _finding(MATCHED, read.path, "verify", "passed", "passed")
    if not verify:
        return _finding(FAILED, read.path, "verify", "passed", "no verify report", "the record holds no verify report")
    counts = ", ".join(f"{n} {status}" for status, n in _mapping(verify.get("summary")).items() if n and status != MATCHED)
    return _finding(FAILED, read.path, "verify", "passed", f"failed ({counts})" if counts else "failed",
                    "the recorded verify failed: the run's environment did not match its lock")  # fmt: skip


def _exit_code(read: ReadRecord, allow_failed_run: bool) -> Finding:
    code = read.predicate.get("exit_code")
    if code is None:
        return _finding(FAILED, read.path, "exit_code", 0, "none",
                        "the run has not ended: it was refused, is still running, or lockgate was stopped before it completed the record")  # fmt: skip
    if code == 0:
        return _finding(MATCHED, read.path, "exit_code", 0, 0)
    if allow_failed_run:
        return _finding(SKIPPED, read.path, "exit_code", 0, code, "the command failed; allowed by --allow-failed-run")
    return _finding(FAILED, read.path, "exit_code", 0, code, "the command failed (--allow-failed-run accepts it)")


def _environment(read: ReadRecord, python: str) -> list[Finding]:
    """The live environment ``python`` against the installed set the record holds (one host:
    its verify; a cluster: rank 0's host): the environment fingerprints (every ``name==version``)
    decide; the distributions whose versions differ say where."""
    from ..env.diff import recorded_installed
    from ..env.interpreter import find_interpreter
    from ..env.inventory import scan_interpreter

    cluster = _mapping(read.predicate.get("cluster"))
    first = _mapping(_hosts(read)[0]) if _hosts(read) else {}
    recorded_print = (first if cluster else read.predicate).get("environment_fingerprint")
    inventory = scan_interpreter(find_interpreter(python, selected_by="--python"))
    live_print = inventory.fingerprint()
    if recorded_print == live_print:
        return [_finding(MATCHED, python, "environment", recorded_print, live_print, f"{len(inventory.distributions)} distributions as recorded")]
    if not isinstance(recorded_print, str):
        return [_finding(UNVERIFIABLE, python, "environment", None, live_print, "the record holds no environment fingerprint")]
    selector = f"{first.get('hostname')}:{first.get('rank')}" if cluster else ""
    recorded = {
        name: value.partition(" (")[0] for name, value in recorded_installed(cluster or read.predicate.get("verify"), read.path, selector).items()
    }
    live = {dist.name: dist.version for dist in inventory.distributions.values()}
    findings = []
    for name in sorted(set(recorded) | set(live)):
        old, new = recorded.get(name), live.get(name)
        if old != new:
            status = MISSING if new is None else EXTRA if old is None else MISMATCHED
            findings.append(_finding(status, f"{python}: {name}", "environment", old, new, "not as the run had it", fails=True))
    return findings or [_finding(MISMATCHED, python, "environment", recorded_print, live_print, "another installed set than the run's")]
