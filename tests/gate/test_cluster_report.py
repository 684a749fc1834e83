"""The cluster report's pure functions (gathered results in, report out), without MPI."""

from __future__ import annotations

from lockgate.gate.cluster_report import ClusterReport, RankResult, common_findings, differing_findings, drift, fold_labels


def result(rank: int, host: str, versions: dict[str, str], failing: list[tuple[str, str, str]] = (), error: str | None = None,
           fix: list[str] | None = None) -> RankResult:  # fmt: skip
    packages = [{"name": n, "status": "matched", "expected": v, "found": v, "message": ""} for n, v in versions.items()]
    packages += [{"name": n, "status": "mismatched", "expected": e, "found": f, "message": ""} for n, e, f in failing]
    summary = {"matched": len(versions), "mismatched": len(failing)}
    verify = None if error else {"schema": "lockgate.verify/1", "passed": not failing, "summary": summary, "packages": packages}
    return RankResult(rank, host, "/venv/bin/python", passed=not failing and not error, summary=summary, fingerprint=f"sha256:{len(failing)}",
                      distributions=versions, verify=verify, error=error, fix=fix or (["uv pip install -r L"] if failing else []),
                      failing=[name for name, _, _ in failing])  # fmt: skip


def render_cluster_text(report: ClusterReport) -> str:
    return report.render_text()


def cluster_report(results: list[RankResult], **details) -> ClusterReport:
    return ClusterReport(results, **details)


def test_drift_names_each_version_with_its_hosts_and_the_majority():
    results = [result(0, "a", {"numpy": "2.4.6"}), result(1, "a", {"numpy": "2.4.6"}), result(2, "b", {"numpy": "2.4.5", "extra": "1"})]
    assert drift(results) == [
        {"name": "extra", "majority": "(absent)", "versions": {"(absent)": ["a:0", "a:1"], "1": ["b:2"]}},
        {"name": "numpy", "majority": "2.4.6", "versions": {"2.4.6": ["a:0", "a:1"], "2.4.5": ["b:2"]}},
    ]


def test_findings_split_into_differing_and_common():
    shared = ("torch", "2.5.1", "2.5.0")
    results = [result(0, "a", {}, [shared]), result(1, "b", {}, [shared, ("numpy", "2", "1")])]
    assert [(f["name"], f["hosts"]) for f in differing_findings(results)] == [("numpy", ["b:1"])]
    assert [(f["name"], f["hosts"]) for f in common_findings(results)] == [("torch", ["a:0", "b:1"])]
    text = render_cluster_text(cluster_report(results))
    assert "findings on every host:\n  mismatched  torch  expected 2.5.1  found 2.5.0\n" in text
    assert text.rstrip().endswith("FAILED: 2 of 2 ranks (a:0, b:1)")


def test_a_rank_with_an_error_is_a_failed_host_and_leaves_drift_alone():
    results = [result(0, "a", {"numpy": "2"}), result(1, "?", {}, error="no result within 3 s (crashed or hung)")]
    report = cluster_report(results)
    assert report.to_dict()["passed"] is False and report.drift == []
    assert "      no result within 3 s (crashed or hung)" in render_cluster_text(report)


def test_labels_fold_per_host_then_into_host_ranges():
    assert fold_labels(["a:0", "a:1", "a:2", "b:5"]) == "a:0-2, b:5"
    many = [f"node{n:02d}:{8 * (n - 1) + r}" for n in range(1, 17) for r in range(8)]
    assert fold_labels(many) == "node[01-16]:0-127"
    assert fold_labels([f"n{n}:{n}" for n in (1, 2, 3, 7, 9)] + ["login:12"]) == "login,n[1-3,7,9]:1-3,7,9,12"


def test_identical_results_fold_into_one_line():
    results = [result(rank, f"node{rank // 8 + 1:02d}", {"numpy": "2"}).replace(checked_by=None if rank % 8 == 0 else rank - rank % 8)
               for rank in range(128)]
    text = render_cluster_text(cluster_report(results))
    assert text.splitlines()[1:] == ["  node[01-16]:0-127  passed  /venv/bin/python  sha256:0  1 matched", "lockgate cluster: passed: every rank matches"]


def test_a_failing_groups_fix_is_shown_under_its_ranks_and_in_its_json():
    shared = ("numpy", "2.4.6", "2.4.5")
    results = [result(0, "a", {"numpy": "2.4.6"}), result(1, "b", {}, [shared], fix=["uv pip install --python=/venv/bin/python -r L"]),
               result(2, "b", {}, [shared]).replace(checked_by=1, fix=[])]
    report = cluster_report(results)
    assert "to fix b:1-2 (run on each of its hosts):\n  uv pip install --python=/venv/bin/python -r L\n" in report.render_text()
    hosts = report.to_dict()["hosts"]
    assert hosts[1]["fix"] == ["uv pip install --python=/venv/bin/python -r L"] and "fix" not in hosts[0] and "fix" not in hosts[2]


def test_compare_names_drift_in_its_verdict_and_passes_when_ranks_agree():
    agree = cluster_report([result(0, "a", {"numpy": "2"}), result(1, "b", {"numpy": "2"})], compare=True)
    assert agree.passed and agree.render_text().endswith("lockgate cluster: passed: every rank has the same versions\n")
    differ = cluster_report([result(0, "a", {"numpy": "2"}), result(1, "b", {"numpy": "1"})], compare=True)
    assert not differ.passed and differ.render_text().endswith("lockgate cluster: FAILED: 1 distribution differs between ranks\n")


def test_findings_that_do_not_fail_are_not_listed_between_hosts():
    passing = result(0, "a", {"numpy": "2"})
    passing.verify["packages"].append({"name": "stray", "status": "extra", "expected": None, "found": "1", "message": ""})
    failing = result(1, "b", {}, [("numpy", "2", "1")])
    failing.verify["packages"].append({"name": "stray", "status": "extra", "expected": None, "found": "1", "message": ""})
    report = cluster_report([passing, failing])
    assert [f["name"] for f in report.to_dict()["differing_findings"]] == ["numpy"] and report.to_dict()["common_findings"] == []
