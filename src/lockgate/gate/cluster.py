"""The same verify on every rank of an MPI job, gathered to rank 0 as one report.

Each rank checks its own environment (its own ``--python``) and sends rank 0 a JSON-ready
result; rank 0 waits at most ``timeout`` seconds for all of them, prints one report (per host,
the findings that differ between hosts, a verdict) and broadcasts the verdict, so every rank
exits 0 only when all passed and ``mpiexec`` itself fails otherwise. A rank that raises is
reported as a failed host; when a rank sends nothing in time, rank 0 reports it and aborts the
job (``MPI_Abort``), which never hangs. MPI is mpi4py's (install ``lockgate[mpi]``).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import Any

from ..report import MATCHED, NOT_APPLICABLE, SKIPPED

SCHEMA = "lockgate.cluster/1"
_TAG = 7411


def local_result(lockfile: str | None, options: dict[str, Any], *, compare: bool) -> dict[str, Any]:
    """This rank's result: ``{"hostname", "python", "passed", "summary", "fingerprint",
    "distributions": {name: version}, "verify": verify JSON or None, "error": str or None}``.

    Never raises: an error becomes ``error`` (and ``passed`` False).
    """
    from ..env.verify import describe_environment, hostname

    result: dict[str, Any] = {"hostname": hostname(), "python": options.get("python") or sys.executable, "passed": False, "summary": {},
              "fingerprint": None, "distributions": {}, "verify": None, "error": None}  # fmt: skip
    try:
        if compare:
            from ..env.interpreter import find_interpreter
            from ..env.inventory import scan_inventory

            interpreter = find_interpreter(options.get("python"))
            inventory = scan_inventory(interpreter.site_dirs)
            result.update(passed=True, python=describe_environment(interpreter)["python"])
        else:
            from ..env.verify import verify_environment

            report, inventory = verify_environment(lockfile, **options)
            data = report.to_dict()
            result.update(passed=report.passed, summary=data["summary"], verify=data, python=data["environment"]["python"])
        result["fingerprint"] = inventory.fingerprint()
        result["distributions"] = {d.name: d.version for d in inventory.distributions.values()}
    except Exception as error:  # noqa: BLE001 - any failure of a rank is that host's failure
        result["error"] = f"{type(error).__name__}: {error}" if not hasattr(error, "path") else str(error)
    return result


def gather(comm: Any, result: dict[str, Any], timeout: float) -> list[dict[str, Any]] | None:
    """Send ``result`` to rank 0; on rank 0, return every rank's (rank order), waiting at most
    ``timeout`` seconds: a rank that sent nothing gets ``{"error": "no result within …"}``.
    Other ranks return None."""
    rank, size = comm.Get_rank(), comm.Get_size()
    result = {**result, "rank": rank}
    if rank != 0:
        comm.send(result, dest=0, tag=_TAG)
        return None
    results: list[dict[str, Any] | None] = [result, *[None] * (size - 1)]
    deadline = time.monotonic() + timeout
    pending = set(range(1, size))
    while pending and time.monotonic() < deadline:
        for source in sorted(pending):
            if comm.iprobe(source=source, tag=_TAG):
                results[source] = comm.recv(source=source, tag=_TAG)
                pending.discard(source)
        if pending:
            time.sleep(0.01)
    for source in pending:
        results[source] = {"rank": source, "hostname": "?", "python": "?", "passed": False, "summary": {}, "fingerprint": None,
                           "distributions": {}, "verify": None, "error": f"no result within {timeout:g} s (crashed or hung)",
                           "silent": True}  # fmt: skip
    return results  # type: ignore[return-value]


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


def cluster_report(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The JSON of the cluster report (schema ``lockgate.cluster/1``)."""
    from ..env.verify import SCHEMA as VERIFY_SCHEMA

    hosts = []
    for r in results:
        entry = r["verify"] or {"schema": VERIFY_SCHEMA, "passed": r["passed"], "summary": r["summary"]}
        hosts.append({**entry, "rank": r["rank"], "hostname": r["hostname"], "python": r["python"],
                      "environment_fingerprint": r["fingerprint"], "error": r["error"]})  # fmt: skip
    return {"schema": SCHEMA, "passed": all(r["passed"] and not r["error"] for r in results), "hosts": hosts,
            "drift": drift(results), "differing_findings": differing_findings(results),
            "common_findings": common_findings(results)}  # fmt: skip


VERDICT_PREFIX = "lockgate-cluster-verdict: "


def verify_across_ranks(lockfile: str | None, options: dict[str, Any], *, compare: bool, timeout: float, output_format: str, quiet: bool,
                        verdict_line: bool = False) -> int:  # fmt: skip
    """``verify --mpi``: run on every rank; returns this rank's exit code (0 only if all passed).

    With ``verdict_line``, rank 0 also writes ``lockgate-cluster-verdict: passed|failed`` on
    stderr, so that ``lockgate cluster verify`` can tell a decided verdict from an mpiexec
    that never ran the job.

    Raises:
        LockgateError: mpi4py is missing.
    """

    def show(data: dict[str, Any]) -> bool:
        if compare:
            data["passed"] = data["passed"] and not data["drift"]
        _print_report(data, output_format, quiet)
        if verdict_line:
            print(f"{VERDICT_PREFIX}{'passed' if data['passed'] else 'failed'}", file=sys.stderr, flush=True)
        return bool(data["passed"])

    comm = _mpi().COMM_WORLD
    return 0 if _decide(comm, gather(comm, local_result(lockfile, options, compare=compare), timeout), show) else 1


def gate_ranks(lockfile: str, options: dict[str, Any], command: list[str], *, timeout: float, record: str | None = None) -> int:
    """``run --verify-lockfile LOCK --mpi -- COMMAND`` on every rank: verify across ranks as
    :func:`verify_across_ranks`; if any rank fails, no rank starts COMMAND (exit 1). If all
    pass, each rank finalizes MPI and becomes COMMAND (``exec``), which can initialise MPI
    again as the same rank of the same job. Rank 0 writes the attestation to ``record``
    first (the cluster report; no exit code, since the process is replaced).

    Raises:
        LockgateError: mpi4py is missing, or COMMAND cannot be started.
    """
    from ..errors import LockgateError

    def show(data: dict[str, Any]) -> bool:
        if record:
            from .run import attestation, write_record

            write_record(record, attestation(None, None, command, cluster=data))
        if data["passed"]:
            print(f"lockgate: {len(data['hosts'])} ranks verified against {lockfile}", file=sys.stderr)
        else:
            from ..render import render_cluster_text

            sys.stdout.write(render_cluster_text(data) + "the command was not started on any rank\n")
        return bool(data["passed"])

    MPI = _mpi()
    comm = MPI.COMM_WORLD
    if not _decide(comm, gather(comm, local_result(lockfile, options, compare=False), timeout), show):
        return 1
    MPI.Finalize()
    try:
        os.execvp(command[0], command)
    except OSError as error:
        raise LockgateError(f"cannot start {command[0]}: {error.strerror}") from None
    return 0  # pragma: no cover - exec does not return


def _mpi() -> Any:
    """mpi4py's MPI module (initialising MPI). Raises LockgateError when mpi4py is missing."""
    from ..errors import LockgateError

    try:
        from mpi4py import MPI
    except ImportError:
        raise LockgateError("--mpi needs mpi4py: pip install 'lockgate[mpi]' (or mpi4py with a system MPI)") from None
    return MPI


def _decide(comm: Any, results: list[dict[str, Any]] | None, show: Callable[[dict[str, Any]], bool]) -> bool:
    """Rank 0 builds the report and ``show(report) -> passed``; every rank gets that verdict.

    A rank that never answered cannot take part in the broadcast: rank 0 aborts the job then.
    """
    if comm.Get_rank() != 0 or results is None:
        return bool(comm.bcast(None, root=0))
    passed = show(cluster_report(results))
    sys.stdout.flush()
    sys.stderr.flush()
    if any(r.get("silent") for r in results):  # it cannot take part in the broadcast
        comm.Abort(1)
    return bool(comm.bcast(passed, root=0))


def _print_report(data: dict[str, Any], output_format: str, quiet: bool) -> None:
    if output_format == "json":
        import json

        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    elif not (quiet and data["passed"]):
        from ..render import render_cluster_text

        sys.stdout.write(render_cluster_text(data))
    sys.stdout.flush()


def mpiexec_command(hosts: str, arguments: list[str], *, mpiexec: str | None = None, mpi_args: str = "") -> list[str]:
    """The ``mpiexec`` line that runs ``lockgate verify --mpi ARGUMENTS`` on ``hosts``
    (``h1,h2:4``: one rank on h1, four on h2)."""
    import shlex
    import shutil

    from ..errors import LockgateError

    slots = 0
    for host in filter(None, hosts.split(",")):
        name, _, count = host.partition(":")
        if not name or (count and not count.isdigit()):
            raise LockgateError(f"--hosts {hosts!r}: expected HOST or HOST:SLOTS, comma-separated")
        slots += int(count or 1)
    if not slots:
        raise LockgateError("--hosts: name at least one host")
    program = mpiexec or _bundled_mpiexec() or shutil.which("mpiexec")
    if not program:
        raise LockgateError("mpiexec not found: pip install 'lockgate[mpi]' or pass --mpiexec PATH")
    try:
        extra = shlex.split(mpi_args)
    except ValueError as error:
        raise LockgateError(f"--mpi-args {mpi_args!r}: {error}") from None
    return [program, "--host", hosts, "-n", str(slots), *extra, sys.executable, "-m", "lockgate", "verify", "--mpi", "--verdict-line", *arguments]


def run_mpiexec(command: list[str]) -> int:
    """Run the :func:`mpiexec_command` line: rank 0's report on stdout, every other line of
    stderr passed on; returns 0 when the job decided every rank passed, 1 when it decided one
    failed.

    Raises:
        LockgateError: mpiexec could not be started, or it ended without a verdict (it could
            not launch the ranks: as root without ``OMPI_ALLOW_RUN_AS_ROOT``, a bad argument,
            an unreachable host); its own message is on stderr above the error.
    """
    import subprocess

    from ..errors import LockgateError

    try:
        from .._io import announce

        announce(command)
        process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, errors="replace")
    except OSError as error:
        raise LockgateError(f"cannot run {command[0]}: {error.strerror}") from None
    verdict = None
    with process:
        for line in process.stderr or ():
            if line.startswith(VERDICT_PREFIX):
                verdict = line[len(VERDICT_PREFIX) :].strip()
            else:
                sys.stderr.write(line)
    if verdict is None:
        raise LockgateError(f"{os.path.basename(command[0])} exited {process.returncode} before any rank reported; nothing was verified "
                            "(its message is above)")  # fmt: skip
    if verdict == "passed" and process.returncode != 0:
        raise LockgateError(f"{os.path.basename(command[0])} exited {process.returncode} after every rank passed; see its message above")
    return 0 if verdict == "passed" else 1


def _bundled_mpiexec() -> str | None:
    candidate = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    return candidate if os.path.isfile(candidate) else None
