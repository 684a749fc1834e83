"""``lockgate diff A B``: which distributions differ between two locks, saved reports or
environments — "what was different between run A and run B?".

A lockfile against an environment (``LOCK env:PATH``, either order) is verify's comparison
(:class:`~lockgate.env.compare.Comparison`): markers evaluated for the environment's
interpreter, sources compared as verify compares them (a folder and its ``file://`` URL are one
place), so the two differ exactly where ``lockgate verify`` fails. An installed distribution the
lock does not name is listed as ``added`` (or ``removed``) without failing, as verify passes it
without ``--strict``; entries whose marker is false there, or skipped, are not listed.

Any other pair is read into one mapping per side, name -> what it holds (version, and the source
when it is not an index: ``1.0 (git+URL@COMMIT)``, ``1.0 (-e PATH)``), and compared as text:

- a lockfile (any format lockgate reads): every entry; the same name under several markers is
  one value listing each (``1.0 ; sys_platform == 'linux' | 2.0 ; …``);
- a saved JSON: ``lockgate.verify/1`` (what was found installed), a run record (its verify or
  cluster report: an in-toto statement, signed or not, or ``lockgate.attestation/1``),
  ``lockgate.cluster/1`` (one host: ``FILE#HOST:RANK``);
- an environment: ``env:PATH`` (an interpreter or venv folder).
"""

from __future__ import annotations

import json
import os
from typing import Any

from ..errors import LockgateError
from ..report import Finding, Report

SCHEMA = "lockgate.diff/1"
SAME, ADDED, REMOVED, CHANGED = "same", "added", "removed", "changed"
STATUSES = (SAME, ADDED, REMOVED, CHANGED)
_ABSENT = frozenset({"missing", "not_applicable", "skipped"})  # verify statuses of what was not installed


def diff(a: str, b: str) -> Report:
    """Compare two sides (see the module doc).

    Returns:
        A Report (schema ``lockgate.diff/1``, items ``distributions``): per name ``same``,
        ``added`` (only in B), ``removed`` (only in A) or ``changed`` (``expected`` A,
        ``found`` B, the message says what: version, local version, source); it passes only
        when nothing differs (a lock against an environment: when verify passes).

    Raises:
        LockgateError: a side cannot be read, or a cluster report without a host selector.
    """
    if _is_environment(a) != _is_environment(b) and not _is_report(a) and not _is_report(b):
        findings = _lock_against_environment(b, a[len("env:") :], swapped=True) if _is_environment(a) else _lock_against_environment(a, b[len("env:") :])
        return Report(SCHEMA, STATUSES, findings, {"a": a, "b": b}, items_key="distributions")
    left, right = side(a), side(b)
    findings = []
    for name in sorted(set(left) | set(right)):
        old, new = left.get(name), right.get(name)
        if old == new:
            findings.append(Finding(SAME, name, old, new))
        elif old is None:
            findings.append(Finding(ADDED, name, None, new, fails=True))
        elif new is None:
            findings.append(Finding(REMOVED, name, old, None, fails=True))
        else:
            findings.append(Finding(CHANGED, name, old, new, _what_changed(old, new), fails=True))
    return Report(SCHEMA, STATUSES, findings, {"a": a, "b": b}, items_key="distributions")


def _is_environment(text: str) -> bool:
    return text.startswith("env:")


def _is_report(text: str) -> bool:
    return text.partition("#")[0].endswith(".json")


def _lock_against_environment(lock_path: str, python: str, *, swapped: bool = False) -> list[Finding]:
    """verify's findings of the lock against the environment, as diff rows (lock = A, or B
    when ``swapped``)."""
    from ..config import configured_skip
    from ..report import EXTRA, MATCHED, MISSING
    from .compare import CompareOptions, Comparison
    from .interpreter import find_interpreter
    from .inventory import scan_interpreter
    from .readers import read_lockfile

    lock = read_lockfile(lock_path)
    interpreter = find_interpreter(python, selected_by="env:")
    comparison = Comparison(lock, scan_interpreter(interpreter), interpreter.marker_environment, CompareOptions(skip=configured_skip()))
    status = {MATCHED: SAME, MISSING: REMOVED, EXTRA: ADDED}
    if swapped:
        status.update({MISSING: ADDED, EXTRA: REMOVED})
    rows = []
    for finding in comparison.findings():
        if finding.status not in status and not finding.fails:
            continue  # a marker false there, or skipped: the lock asks nothing of this environment
        kind = status.get(finding.status, CHANGED)
        message = finding.message if finding.message or kind != CHANGED else _what_changed(finding.expected or "", finding.found or "")
        message = "installed, not in the lock: verify passes it (fails it with --strict)" if finding.status == EXTRA else message
        first, second = (finding.found, finding.expected) if swapped else (finding.expected, finding.found)
        rows.append(Finding(kind, finding.subject, first, second, message, fails=finding.fails))
    return sorted(rows, key=lambda row: row.subject)


def side(text: str) -> dict[str, str]:
    """One side's name -> description mapping.

    Raises:
        LockgateError: as :func:`diff`.
    """
    if text.startswith("env:"):
        return _environment(text[len("env:") :])
    path, _, selector = text.partition("#")
    if path.endswith(".json"):
        return _saved_report(path, selector)
    if selector:
        raise LockgateError(f"{text}: a #HOST:RANK selector is for cluster reports (*.json)")
    return _lockfile(path)


def _lockfile(path: str) -> dict[str, str]:
    from .readers import read_lockfile

    values: dict[str, list[str]] = {}
    for entry in read_lockfile(path).packages:
        name = entry.name or entry.subject
        described = _described(entry.version or "", "" if entry.source.kind == "index" else entry.source.describe())
        values.setdefault(name, []).append(f"{described} ; {entry.marker}" if entry.marker else described)
    return {name: " | ".join(sorted(items)) for name, items in values.items()}


def _environment(python: str) -> dict[str, str]:
    from .interpreter import find_interpreter
    from .inventory import scan_interpreter

    inventory = scan_interpreter(find_interpreter(python, selected_by="env:"))
    values = {}
    for dist in inventory.distributions.values():
        direct = dist.direct_url()
        where = ""
        if direct is not None:
            vcs = direct.vcs_info
            where = f"{vcs.vcs}+{direct.url}@{vcs.commit_id}" if vcs else (f"-e {direct.url}" if direct.dir_info and direct.dir_info.editable else direct.url)
        values[dist.name] = _described(dist.version, where)
    return values


def _saved_report(path: str, selector: str) -> dict[str, str]:
    from .._io import read_text

    try:
        data = json.loads(read_text(path))
    except ValueError as error:
        raise LockgateError(f"not JSON ({error})", path) from None
    return recorded_installed(_report_of_record(data, path), path, selector)


def _report_of_record(data: Any, path: str) -> Any:
    """The verify or cluster report a run record holds (an in-toto statement of lockgate's
    predicate, a DSSE envelope of one, read without checking its signature: ``lockgate attest
    verify`` does, or ``lockgate.attestation/1``); any other JSON as it is."""
    if isinstance(data, dict) and isinstance(data.get("payloadType"), str) and isinstance(data.get("payload"), str):
        import base64
        import binascii

        try:
            data = json.loads(base64.b64decode(data["payload"], validate=True))
        except (binascii.Error, ValueError) as error:
            raise LockgateError(f"a DSSE envelope whose payload is not base64 JSON ({error})", path) from None
    if isinstance(data, dict) and data.get("_type") == "https://in-toto.io/Statement/v1":
        data = data.get("predicate") if isinstance(data.get("predicate"), dict) else {}
        return data.get("cluster") or data.get("verify") or {}
    if isinstance(data, dict) and data.get("schema") == "lockgate.attestation/1":
        return data.get("cluster") or data.get("verify") or {}
    return data


def recorded_installed(data: Any, path: str, selector: str = "") -> dict[str, str]:
    """name -> what was found installed, from a saved ``lockgate.verify/1`` report, or one host
    (``selector`` ``HOST:RANK``) of a ``lockgate.cluster/1`` report.

    Raises:
        LockgateError: it is neither, or a cluster report without a known host selector (names ``path``).
    """
    schema = data.get("schema") if isinstance(data, dict) else None
    if schema == "lockgate.cluster/1":
        data, schema = _cluster_host(data, path, selector), "lockgate.verify/1"
    if schema != "lockgate.verify/1" or not isinstance(data.get("packages"), list):
        raise LockgateError("not a lockgate verify, attestation or cluster report (schema lockgate.verify/1, …)", path)
    return {item["name"]: item["found"] for item in data["packages"]
            if isinstance(item, dict) and item.get("status") not in _ABSENT and item.get("found")}  # fmt: skip


def _cluster_host(data: dict[str, Any], path: str, selector: str) -> dict[str, Any]:
    hosts = [host for host in data.get("hosts") or [] if isinstance(host, dict)]
    labels = [f"{host.get('hostname')}:{host.get('rank')}" for host in hosts]
    if selector not in labels:
        raise LockgateError(f"a cluster report: name one host as {os.path.basename(path)}#HOST:RANK ({', '.join(labels[:8])})", path)
    host = hosts[labels.index(selector)]
    leader = [other for other in hosts if "checked_by" in host and other.get("rank") == host["checked_by"]]
    return leader[0] if leader else host  # a rank that shared another rank's check has its findings there


def _described(version: str, where: str) -> str:
    if not version:
        return where
    return f"{version} ({where})" if where else version


def _what_changed(old: str, new: str) -> str:
    """``version``, ``local version`` (``2.5.1`` vs ``2.5.1+cu121``) or ``source``."""
    old_version, _, old_source = old.partition(" (")
    new_version, _, new_source = new.partition(" (")
    if old_version == new_version:
        return "source"
    if old_version.partition("+")[0] == new_version.partition("+")[0]:
        return "local version"
    return "version" if old_source == new_source else "version and source"
