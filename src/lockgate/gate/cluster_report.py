"""The cluster report (schema ``lockgate.cluster/1``) from every rank's result, without MPI:
a :class:`RankResult` per rank in, a :class:`ClusterReport` out, as JSON or text.

``checked_by`` names the rank whose check a rank shares (same host, same environment, same
lock and options); the JSON then gives that rank's verdict without repeating its findings.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence

from ..report import MATCHED, NOT_APPLICABLE, SKIPPED

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TypedDict

    from typing_extensions import Unpack  # typing.Unpack: Python 3.11

    from .._json import JSONObject, JSONValue

    class RankChanges(TypedDict, total=False):
        """:meth:`RankResult.replace`'s keywords: its attributes."""

        rank: int
        hostname: str
        python: str
        passed: bool
        summary: dict[str, int]
        fingerprint: str | None
        distributions: dict[str, str]
        verify: JSONObject | None
        error: str | None
        fix: list[str]
        failing: list[str]
        checked_by: int | None
        silent: bool

SCHEMA = "lockgate.cluster/1"


class RankResult:
    """One rank's check, as it travels to rank 0 (pickled).

    Attributes:
        rank, hostname: who checked; python: the target interpreter.
        passed: its verdict (False on an error); summary: count per status.
        fingerprint: ``sha256:…`` of its installed set, or None.
        distributions: name -> installed version.
        verify: its verify report as JSON, or None (``--compare``, or an error).
        error: why it could not decide, or None.
        fix: the commands that repair its environment (its verify report's).
        failing: the subjects of its verify's failing findings (an ``extra`` fails only under
            ``--strict``: the JSON alone does not say).
        checked_by: the rank whose check it shares, or None; silent: it never answered.
    """

    __slots__ = ("rank", "hostname", "python", "passed", "summary", "fingerprint", "distributions", "verify", "error", "fix", "failing",
                 "checked_by", "silent")  # fmt: skip

    def __init__(self, rank: int, hostname: str, python: str, *, passed: bool = False, summary: dict[str, int] | None = None,
                 fingerprint: str | None = None, distributions: dict[str, str] | None = None, verify: JSONObject | None = None,
                 error: str | None = None, fix: list[str] | None = None, failing: list[str] | None = None, checked_by: int | None = None,
                 silent: bool = False) -> None:  # fmt: skip
        self.rank = rank
        self.hostname = hostname
        self.python = python
        self.passed = passed and error is None
        self.summary = summary or {}
        self.fingerprint = fingerprint
        self.distributions = distributions or {}
        self.verify = verify
        self.error = error
        self.fix = fix or []
        self.failing = failing or []
        self.checked_by = checked_by
        self.silent = silent

    def replace(self, **changes: Unpack[RankChanges]) -> RankResult:
        """A copy with some attributes changed (``passed`` stays False with an ``error``)."""
        changed = copy.copy(self)
        for name, value in changes.items():
            setattr(changed, name, value)
        changed.passed = changed.passed and changed.error is None
        return changed

    def on_host(self, hostname: str, rank: int, checked_by: int | None) -> RankResult:
        """Another rank's identical result, as ``hostname``'s rank ``rank``."""
        verify = self.verify
        if verify is not None:
            verify = {**verify, "environment": {**_object(verify["environment"]), "hostname": hostname}}
        return self.replace(hostname=hostname, rank=rank, checked_by=checked_by, verify=verify)

    @property
    def label(self) -> str:
        """``hostname:rank``: ranks on one host stay apart."""
        return f"{self.hostname}:{self.rank}"

    def digest_data(self) -> JSONObject:
        """What two hosts' results share when their checks agree: all but the host's name and rank."""
        verify = self.verify
        if verify is not None:
            verify = {**verify, "environment": {k: v for k, v in _object(verify["environment"]).items() if k != "hostname"}}
        return {"python": self.python, "passed": self.passed, "summary": self.summary, "fingerprint": self.fingerprint,
                "distributions": self.distributions, "verify": verify, "error": self.error, "fix": self.fix, "failing": self.failing, "silent": self.silent}  # fmt: skip

    def host_entry(self) -> JSONObject:
        """Its entry in the report's ``hosts``: its verify JSON (just its verdict when it shares
        another rank's check), and who, where, the fingerprint, the error and the fix."""
        shared = self.checked_by is not None
        entry: JSONObject = self.verify if self.verify and not shared else {"schema": "lockgate.verify/1", "passed": self.passed,
                                                                             "summary": self.summary}  # fmt: skip
        entry = {**entry, "rank": self.rank, "hostname": self.hostname, "python": self.python, "environment_fingerprint": self.fingerprint,
                 "error": self.error}  # fmt: skip
        if shared:
            entry["checked_by"] = self.checked_by
        if self.silent:
            entry["silent"] = True
        if self.fix and not shared:
            entry["fix"] = self.fix
        return entry


def drift(results: list[RankResult]) -> list[JSONObject]:
    """Each distribution whose version is not the same on every rank that reported:
    ``[{"name", "majority", "versions": {version or "(absent)": [host labels]}}]``."""
    reported = [r for r in results if not r.error]
    names = sorted({name for r in reported for name in r.distributions})
    found: list[JSONObject] = []
    for name in names:
        versions: dict[str, list[str]] = {}
        for r in reported:
            versions.setdefault(r.distributions.get(name, "(absent)"), []).append(r.label)
        if len(versions) > 1:
            majority = max(versions, key=lambda v: (len(versions[v]), v != "(absent)"))
            found.append({"name": name, "majority": majority, "versions": versions})
    return found


def differing_findings(results: list[RankResult]) -> list[JSONObject]:
    """Failing verify findings grouped by the hosts that have them, leaving out those every
    rank shares: ``[{"name", "status", "expected", "found", "message", "hosts": [...]}]``."""
    return _grouped_findings(results, shared=False)


def common_findings(results: list[RankResult]) -> list[JSONObject]:
    """The failing findings every reporting rank has (of two or more): a lock no host
    matches; same shape as :func:`differing_findings`."""
    return _grouped_findings(results, shared=True)


def _grouped_findings(results: list[RankResult], *, shared: bool) -> list[JSONObject]:
    groups: dict[tuple[JSONValue, ...], list[str]] = {}
    reported = [r for r in results if r.verify]
    for r in reported:
        for item in _objects((r.verify or {})["packages"]):
            if item["status"] not in (MATCHED, NOT_APPLICABLE, SKIPPED) and item["name"] in r.failing:
                key = (item["name"], item["status"], item["expected"], item["found"], item["message"])
                groups.setdefault(key, []).append(r.label)
    everywhere = len(reported) > 1
    return [
        {"name": k[0], "status": k[1], "expected": k[2], "found": k[3], "message": k[4], "hosts": hosts}
        for k, hosts in groups.items()
        if (everywhere and len(hosts) == len(reported)) == shared
    ]


class IntegrityTotals:
    """A file check's totals: bytes and files hashed, in how many seconds (picklable)."""

    __slots__ = ("bytes_hashed", "files", "seconds")

    def __init__(self, bytes_hashed: int, files: int, seconds: float) -> None:
        self.bytes_hashed = bytes_hashed
        self.files = files
        self.seconds = seconds

    @classmethod
    def combined(cls, parts: list[IntegrityTotals]) -> IntegrityTotals:
        """The job's totals from its groups' (checked at once: the longest time)."""
        return cls(sum(p.bytes_hashed for p in parts), sum(p.files for p in parts), max(p.seconds for p in parts))

    def to_dict(self) -> JSONObject:
        """``{"bytes_hashed", "files", "seconds"}``."""
        return {"bytes_hashed": self.bytes_hashed, "files": self.files, "seconds": self.seconds}


class ClusterReport:
    """Every rank's result and what they add up to.

    Args:
        results: every rank's :class:`RankResult`, in rank order (a rank that shares another's
            check carries that check's verdict and ``checked_by``).
        groups: who checked what: ``[{"leader", "ranks", "python", "fingerprint"}]``.
        integrity: the job's file-check totals.
        traffic: ``{"rank0_bytes_gathered"}``: bytes of results rank 0 collected, its own included.
        compare: ``--compare``: no lock; the ranks pass only when their versions agree.
    """

    __slots__ = ("results", "groups", "integrity", "traffic", "compare", "drift")

    def __init__(self, results: list[RankResult], *, groups: list[JSONObject] | None = None, integrity: IntegrityTotals | None = None,
                 traffic: JSONObject | None = None, compare: bool = False) -> None:  # fmt: skip
        self.results = results
        self.groups = groups
        self.integrity = integrity
        self.traffic = traffic
        self.compare = compare
        self.drift = drift(results)

    @property
    def failed(self) -> list[RankResult]:
        """The ranks that failed or could not decide."""
        return [r for r in self.results if not r.passed]

    @property
    def passed(self) -> bool:
        """Every rank passed (and, comparing, every version agrees)."""
        return not self.failed and not (self.compare and self.drift)

    def to_dict(self) -> JSONObject:
        """The JSON of schema ``lockgate.cluster/1``."""
        report: JSONObject = {"schema": SCHEMA, "passed": self.passed, "hosts": [r.host_entry() for r in self.results], "drift": self.drift,
                              "differing_findings": differing_findings(self.results), "common_findings": common_findings(self.results)}  # fmt: skip
        optional = {"groups": self.groups, "integrity": self.integrity.to_dict() if self.integrity else None, "traffic": self.traffic}
        return report | {name: value for name, value in optional.items() if value is not None}

    def render_text(self) -> str:
        """Ranks with identical results folded into one line each, then drift and differing
        findings grouped by hosts, the fix per failing host group, then a one-line verdict;
        one screen for a thousand ranks."""
        results = self.results
        count = len({r.hostname for r in results})
        lines = [f"lockgate cluster: {len(results)} ranks on {count} host{'s' * (count != 1)}"]
        if self.integrity:
            totals = self.integrity
            lines.append(f"integrity: {totals.files} files, {totals.bytes_hashed / 1e6:.1f} MB hashed in {totals.seconds:g} s")
        lines += _folded_lines(results)
        lines += _drift_lines(self.drift)
        lines += _finding_lines("findings that differ between hosts:", differing_findings(results), hosts=True)
        lines += _finding_lines("findings on every host:", common_findings(results), hosts=False)
        lines += _fix_lines(results)
        lines.append(f"lockgate cluster: {self._verdict()}")
        return "\n".join(lines) + "\n"

    def _verdict(self) -> str:
        if self.passed:
            return "passed: every rank matches" if not self.compare else "passed: every rank has the same versions"
        failed = self.failed
        if failed:
            return f"FAILED: {len(failed)} of {len(self.results)} ranks ({fold_labels([r.label for r in failed])})"
        count = len(self.drift)
        return f"FAILED: {count} distribution{'s differ' if count != 1 else ' differs'} between ranks"


def _folded_lines(results: list[RankResult]) -> list[str]:
    folds: dict[tuple[str, str, str, str, str | None], list[str]] = {}
    for r in results:
        state = "error" if r.error else ("passed" if r.passed else "FAILED")
        counts = ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in r.summary.items() if n) or "-"
        folds.setdefault((state, r.python, (r.fingerprint or "-")[:19], counts, r.error), []).append(r.label)
    lines = []
    for (state, python, fingerprint, counts, error), labels in folds.items():
        lines.append(f"  {fold_labels(labels)}  {state:<6}  {python}  {fingerprint}  {counts}")
        if error:
            lines.append(f"      {error}")
    return lines


def _drift_lines(found: list[JSONObject]) -> list[str]:
    if not found:
        return []
    lines = ["versions that differ between hosts:"]
    for item in found:
        parts = [f"{version} on {fold_labels(_strings(labels))}" for version, labels in _object(item["versions"]).items()]
        lines.append(f"  {item['name']}: {'; '.join(parts)}")
    return lines


def _finding_lines(title: str, items: list[JSONObject], *, hosts: bool) -> list[str]:
    lines = [title] if items else []
    for item in items:
        where = f"  on {fold_labels(_strings(item['hosts']))}" if hosts else ""
        lines.append(f"  {item['status']}  {item['name']}  expected {item['expected'] or '-'}  found {item['found'] or '-'}{where}")
    return lines


def _fix_lines(results: list[RankResult]) -> list[str]:
    """The fix commands of each failing check, under the ranks whose check it is."""
    by_fix: dict[tuple[str, ...], list[str]] = {}
    checker = {r.rank: r for r in results}
    for r in results:
        own = checker.get(r.checked_by, r) if r.checked_by is not None else r
        if not r.passed and own.fix:
            by_fix.setdefault(tuple(own.fix), []).append(r.label)
    lines = []
    for commands, labels in by_fix.items():
        lines.append(f"to fix {fold_labels(labels)} (run on each of its hosts):")
        lines += [f"  {command}" for command in commands]
    return lines


def _object(value: JSONValue) -> Mapping[str, JSONValue]:
    """``value``, a JSON object lockgate wrote (a verify report's ``environment``, a finding)."""
    if not isinstance(value, Mapping):
        raise TypeError(f"expected a JSON object, got {type(value).__name__}")
    return value


def _objects(value: JSONValue) -> list[Mapping[str, JSONValue]]:
    """``value``, a JSON array of objects lockgate wrote (a verify report's ``packages``)."""
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise TypeError(f"expected a JSON array, got {type(value).__name__}")
    return [_object(item) for item in value]


def _strings(value: JSONValue) -> list[str]:
    """``value``, a JSON array of strings lockgate wrote (host labels)."""
    if isinstance(value, str) or not isinstance(value, Sequence) or not all(isinstance(item, str) for item in value):
        raise TypeError(f"expected a JSON array of strings, got {value!r}")
    return [str(item) for item in value]


def fold_labels(labels: list[str]) -> str:
    """``hostname:rank`` labels as one short expression: ``a:0-2, b:5`` for a few hosts; past
    :data:`FOLD_HOSTS` hosts, hosts and ranks folded apart (``node[01-16]:0-127``), which rank
    runs where being left to the JSON."""
    by_host: dict[str, set[int]] = {}
    unranked = []
    for text in labels:
        host, _, rank = text.rpartition(":")
        if rank.isdigit():
            by_host.setdefault(host, set()).add(int(rank))
        else:
            unranked.append(text)
    if len(by_host) <= FOLD_HOSTS:
        folded = [f"{host}:{_fold_numbers(sorted(ranks))}" for host, ranks in sorted(by_host.items(), key=lambda item: min(item[1]))]
    else:
        folded = [f"{_fold_hosts(sorted(by_host))}:{_fold_numbers(sorted(set().union(*by_host.values())))}"]
    return ", ".join(folded + sorted(set(unranked)))


#: Hosts named one by one in a folded list; more are folded into a host range.
FOLD_HOSTS = 3


def _fold_numbers(numbers: list[int]) -> str:
    """Sorted distinct numbers as ranges: ``[0, 1, 2, 5]`` is ``0-2,5``."""
    runs: list[list[int]] = []
    for number in numbers:
        if runs and number == runs[-1][1] + 1:
            runs[-1][1] = number
        else:
            runs.append([number, number])
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


_NUMBERED = re.compile(r"(.*?)(\d+)$")


def _fold_hosts(hosts: list[str]) -> str:
    """Host names that differ only in a trailing number of one width, as ``prefix[01-16]``."""
    series: dict[tuple[str, int], list[int]] = {}
    plain = []
    for host in hosts:
        match = _NUMBERED.match(host)
        if match:
            series.setdefault((match.group(1), len(match.group(2))), []).append(int(match.group(2)))
        else:
            plain.append(host)
    parts = plain
    for (prefix, width), numbers in sorted(series.items()):
        if len(numbers) == 1:
            parts.append(f"{prefix}{numbers[0]:0{width}d}")
            continue
        runs = _fold_numbers(sorted(numbers)).split(",")
        padded = ["-".join(f"{int(n):0{width}d}" for n in run.split("-")) for run in runs]
        parts.append(f"{prefix}[{','.join(padded)}]")
    return ",".join(parts)
