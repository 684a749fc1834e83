"""The cluster report (schema ``lockgate.cluster/1``) from every rank's result, without MPI.

A rank's result is a dict: ``{"rank", "hostname", "python", "passed", "summary",
"fingerprint", "distributions": {name: version}, "verify": verify JSON or None, "error": str
or None, "checked_by": rank or None}``; ``checked_by`` names the rank whose check it shares
(same host, same environment, same lock and options), and the JSON then gives that rank's
verdict without repeating its findings.
"""

from __future__ import annotations

import re
from typing import Any

from ..report import MATCHED, NOT_APPLICABLE, SKIPPED

SCHEMA = "lockgate.cluster/1"


def label(result: dict[str, Any]) -> str:
    """``hostname:rank``: ranks on one host stay apart."""
    return f"{result['hostname']}:{result['rank']}"


def drift(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each distribution whose version is not the same on every rank that reported:
    ``[{"name", "majority", "versions": {version or "(absent)": [host labels]}}]``."""
    reported = [r for r in results if not r["error"]]
    names = sorted({name for r in reported for name in r["distributions"]})
    found = []
    for name in names:
        versions: dict[str, list[str]] = {}
        for r in reported:
            versions.setdefault(r["distributions"].get(name, "(absent)"), []).append(label(r))
        if len(versions) > 1:
            majority = max(versions, key=lambda v: (len(versions[v]), v != "(absent)"))
            found.append({"name": name, "majority": majority, "versions": versions})
    return found


def differing_findings(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Failing verify findings grouped by the hosts that have them, leaving out those every
    rank shares: ``[{"name", "status", "expected", "found", "message", "hosts": [...]}]``."""
    return _grouped_findings(results, shared=False)


def common_findings(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The failing findings every reporting rank has (of two or more): a lock no host
    matches; same shape as :func:`differing_findings`."""
    return _grouped_findings(results, shared=True)


def _grouped_findings(results: list[dict[str, Any]], *, shared: bool) -> list[dict[str, Any]]:
    groups: dict[tuple[Any, ...], list[str]] = {}
    reported = [r for r in results if r["verify"]]
    for r in reported:
        for item in r["verify"]["packages"]:
            if item["status"] not in (MATCHED, NOT_APPLICABLE, SKIPPED):
                key = (item["name"], item["status"], item["expected"], item["found"], item["message"])
                groups.setdefault(key, []).append(label(r))
    everywhere = len(reported) > 1
    return [
        {"name": k[0], "status": k[1], "expected": k[2], "found": k[3], "message": k[4], "hosts": hosts}
        for k, hosts in groups.items()
        if (everywhere and len(hosts) == len(reported)) == shared
    ]


def cluster_report(results: list[dict[str, Any]], *, groups: list[dict[str, Any]] | None = None, integrity: dict[str, Any] | None = None,
                   traffic: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    """The JSON of the cluster report (schema ``lockgate.cluster/1``).

    Args:
        results: every rank's result (module docstring), in rank order.
        groups: who checked what: ``[{"leader", "ranks", "python", "fingerprint"}]``.
        integrity: the job's file-check totals ``{"bytes_hashed", "files", "seconds"}``.
        traffic: ``{"rank0_bytes_gathered"}``: bytes of results rank 0 collected, its own included.
    """
    from ..env.verify import SCHEMA as VERIFY_SCHEMA

    hosts = []
    for r in results:
        shared = r.get("checked_by") is not None
        entry = {"schema": VERIFY_SCHEMA, "passed": r["passed"], "summary": r["summary"]} if shared or not r["verify"] else r["verify"]
        entry = {**entry, "rank": r["rank"], "hostname": r["hostname"], "python": r["python"], "environment_fingerprint": r["fingerprint"],
                 "error": r["error"]}  # fmt: skip
        if shared:
            entry["checked_by"] = r["checked_by"]
        if r.get("silent"):
            entry["silent"] = True
        hosts.append(entry)
    report = {"schema": SCHEMA, "passed": all(r["passed"] and not r["error"] for r in results), "hosts": hosts,
              "drift": drift(results), "differing_findings": differing_findings(results),
              "common_findings": common_findings(results)}  # fmt: skip
    for name, value in (("groups", groups), ("integrity", integrity), ("traffic", traffic)):
        if value is not None:
            report[name] = value
    return report


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
