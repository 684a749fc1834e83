"""The same verify on every rank of an MPI job, done once per distinct environment per host.

Ranks on one host (``Split_type(COMM_TYPE_SHARED)``) that check the same interpreter prefix
with the same lockfile and options form a group; its lowest rank, the leader, reads the lock
and the inventory and decides; the others share its verdict. With ``--integrity``, the group's
files are split across all its ranks (with ``shared_env``, across every rank of the job that
checks that prefix, since the hosts then see one copy), each hashing a share, so a file is
read once per host, or once in all. The leaders then send rank 0 their results, identical
results once (:func:`_collect`); rank 0 prints one report and broadcasts the verdict, so every
rank exits 0 only when all passed and ``mpiexec`` itself fails otherwise.

Rank 0 waits at most ``timeout`` seconds for each exchange (:mod:`lockgate.gate.collectives`);
then it calls the roll, reports the ranks that did not answer and aborts the job
(``MPI_Abort``), which never hangs. A rank whose check raises is a failed host. MPI is
mpi4py's (install ``lockgate[mpi]``).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import Any

from .cluster_report import cluster_report
from .collectives import Exchange, RankTimeout
from .launcher import refuse_unseen_launch
from .mpiexec import VERDICT_PREFIX

_NO_FILES: list[Any] = []


class Groups:
    """This rank's communicators.

    Attributes:
        host: the ranks on this host that check what this rank checks (rank 0: the leader).
        hashing: the ranks that share the file check: ``host``, or with ``shared_env`` every
            rank of the job with this check.
        leaders: the leaders of every host group, or None on a rank that leads none.
        host_ranks: ``host``'s members as ranks of the job.
        node_size: ranks on this host, whatever they check.
    """

    def __init__(self, host: Any, hashing: Any, leaders: Any, host_ranks: list[int], node_size: int) -> None:
        self.host = host
        self.hashing = hashing
        self.leaders = leaders
        self.host_ranks = host_ranks
        self.node_size = node_size


def check_key(lockfile: str | None, options: dict[str, Any], *, compare: bool) -> str:
    """What this rank checks, as a string equal on ranks that may share one check: the target's
    real prefix, the lock's real path and SHA-256, and the options. Never raises: a target or
    lock that cannot be read is part of the key, so ranks that fail alike still group."""
    import hashlib
    import json

    from ..env.interpreter import find_interpreter
    from ..env.readers import find_default_lockfile

    try:
        target = os.path.realpath(find_interpreter(options.get("python")).prefix)
    except Exception as error:  # noqa: BLE001 - the leader reports it
        target = f"error: {error}"
    lock = ""
    if not compare:
        try:
            path = os.path.realpath(lockfile or find_default_lockfile())
            with open(path, "rb") as handle:
                lock = f"{path} sha256:{hashlib.sha256(handle.read()).hexdigest()}"
        except Exception as error:  # noqa: BLE001 - the leader reports it
            lock = f"error: {error}"
    chosen = {name: value for name, value in options.items() if name not in ("python", "jobs", "selected_by")}
    return json.dumps([target, lock, compare, chosen], sort_keys=True, default=list)


def form_groups(mpi: Any, world: Any, key: str, *, shared_env: bool) -> Groups:
    """Split ``world`` into :class:`Groups` (collective over every rank).

    Raises:
        LockgateError: two different keys landed in one group (a 31-bit hash collision).
    """
    import hashlib

    from ..errors import LockgateError

    rank = world.Get_rank()
    color = int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big") >> 1
    node = world.Split_type(mpi.COMM_TYPE_SHARED, key=rank)
    host = node.Split(color, rank)
    hashing = world.Split(color, rank) if shared_env else host
    leaders = world.Split(0 if host.Get_rank() == 0 else mpi.UNDEFINED, rank)
    for comm in {id(host): host, id(hashing): hashing}.values():
        if comm.allreduce(key, op=mpi.MIN) != comm.allreduce(key, op=mpi.MAX):
            raise LockgateError("ranks with different checks fell into one group; run again")
    host_ranks = host.Get_group().Translate_ranks(list(range(host.Get_size())), world.Get_group())
    return Groups(host, hashing, leaders if leaders != mpi.COMM_NULL else None, list(host_ranks), node.Get_size())


def check_ranks(lockfile: str | None, options: dict[str, Any], *, compare: bool, timeout: float,
                shared_env: bool = False) -> tuple[Exchange, dict[str, Any] | None]:  # fmt: skip
    """Every rank: the cluster check. Returns ``(the exchange, for the verdict; the report on
    rank 0, None elsewhere)``; in the report, a rank that did not answer in time has
    ``"silent": true`` in its host entry.

    Raises:
        LockgateError: mpi4py is missing.
    """
    from ..env.verify import hostname

    mpi = _mpi()
    world = mpi.COMM_WORLD
    state: dict[str, Any] = {"hostname": hostname(), "stage": "waiting for every rank to start", "result": None, "checked_by": None}
    exchange = Exchange(mpi, world, timeout, lambda: state)
    key = check_key(lockfile, options, compare=compare)
    try:
        exchange.barrier(world)
        groups = form_groups(mpi, world, key, shared_env=shared_env)
        state["checked_by"] = groups.host_ranks[0]
        result = _check_group(groups, exchange, state, lockfile, options, compare=compare)
        state.update(stage="waiting for the report", result=result)
        return exchange, _collect(groups, exchange, result)
    except RankTimeout:
        return exchange, _report_after_timeout(exchange, state, timeout)


def _check_group(groups: Groups, exchange: Exchange, state: dict[str, Any], lockfile: str | None, options: dict[str, Any], *,
                 compare: bool) -> dict[str, Any] | None:  # fmt: skip
    """The group's check: the leader's result (None on other ranks)."""
    leader = groups.host.Get_rank() == 0
    prepared, result = _prepare(lockfile, options, compare=compare) if leader else (None, None)
    files = None
    if not compare and (options.get("integrity") or options.get("integrity_all")):
        state["stage"] = "waiting for its share of the files"
        files = _hash_in_group(groups, exchange, state, prepared, options.get("jobs"))
    if result is not None and prepared is not None:
        _finish(result, prepared, files)
    return result


def _prepare(lockfile: str | None, options: dict[str, Any], *, compare: bool) -> tuple[Any, dict[str, Any]]:
    """The leader's check up to the file hashing: ``(PreparedVerify or None, result)``; never
    raises (an error is the result's ``error``)."""
    from ..env.verify import hostname

    result: dict[str, Any] = {"hostname": hostname(), "python": options.get("python") or sys.executable, "passed": False, "summary": {},
              "fingerprint": None, "distributions": {}, "verify": None, "error": None}  # fmt: skip
    try:
        if compare:
            from ..env.interpreter import find_interpreter
            from ..env.inventory import scan_interpreter
            from ..env.verify import describe_environment

            interpreter = find_interpreter(options.get("python"))
            _describe(result, scan_interpreter(interpreter))
            result.update(passed=True, python=describe_environment(interpreter)["python"])
            return None, result
        from ..env.verify import prepare_verify

        chosen = {name: value for name, value in options.items() if name != "jobs"}
        prepared = prepare_verify(lockfile, **chosen)
        _describe(result, prepared.inventory)
        result["python"] = prepared.interpreter.executable
        return prepared, result
    except Exception as error:  # noqa: BLE001 - any failure of a rank is that host's failure
        result["error"] = _error_text(error)
        return None, result


def _describe(result: dict[str, Any], inventory: Any) -> None:
    result["fingerprint"] = inventory.fingerprint()
    result["distributions"] = {d.name: d.version for d in inventory.distributions.values()}


def _error_text(error: Exception) -> str:
    return str(error) if hasattr(error, "path") else f"{type(error).__name__}: {error}"


def _finish(result: dict[str, Any], prepared: Any, files: tuple[Any, str | None] | None) -> None:
    """Decide the leader's result from its prepared check and the group's file check."""
    integrity = None
    if files is not None:
        integrity, problem = files
        if problem:
            result["error"] = problem
            return
    try:
        data = prepared.report(integrity).to_dict()
    except Exception as error:  # noqa: BLE001 - as in _prepare
        result["error"] = _error_text(error)
        return
    result.update(passed=data["passed"], summary=data["summary"], verify=data, python=data["environment"]["python"])
    if integrity is not None:
        result["hashed"] = {"bytes_hashed": integrity.bytes_hashed, "files": integrity.files, "seconds": round(integrity.seconds, 3)}


def _hash_in_group(groups: Groups, exchange: Exchange, state: dict[str, Any], prepared: Any, jobs: int | None) -> tuple[Any, str | None]:
    """Hash the group's files, a share on each of its ranks. Returns ``(IntegrityResult or
    None, a reason this rank's check cannot use it or None)``; meaningful on host leaders."""
    from ..env.integrity import check_share, plan_integrity, usable_cores

    hashing = groups.hashing
    started = time.perf_counter()
    plan, shares, problem = None, None, "its own check failed"
    if hashing.Get_rank() == 0:
        shares = [_NO_FILES] * hashing.Get_size()
        if prepared is not None:
            try:
                scope, installed = prepared.integrity_scope or [], prepared.inventory.distributions.values()
                plan = plan_integrity(scope, installed, prepared.interpreter.prefix)
                shares = plan.shares(hashing.Get_size())
            except Exception as error:  # noqa: BLE001 - the group's check fails, not the job
                plan, problem = None, _error_text(error)
    share = exchange.scatter(hashing, shares)
    state["stage"] = "hashing its share of the files"
    threads = jobs or max(1, usable_cores() // groups.node_size)
    problems, hashed = check_share(share, threads, plan.find_unlisted if plan else lambda: None)
    state["stage"] = "waiting for its group's file check"
    parts = exchange.gather(hashing, (problems, hashed, len(share)))
    merged = None
    if plan is not None and parts is not None:
        for found, _, _ in parts:
            plan.add_problems(found)
        merged = plan.result(sum(p[1] for p in parts), sum(p[2] for p in parts), time.perf_counter() - started)
    basis = prepared.inventory.fingerprint() if plan is not None else None
    basis, merged, by, problem = exchange.bcast(hashing, (basis, merged, exchange.rank, problem))
    if prepared is None or groups.host.Get_rank() != 0:
        return merged, None
    if basis is None:
        return None, problem if by == exchange.rank else f"files not checked: rank {by}, which hashes for this environment, failed: {problem}"
    if basis != prepared.inventory.fingerprint():
        return None, (f"--shared-env: this host's environment differs from rank {by}'s ({basis[:19]}), so its files were not "
                      "all checked here; drop --shared-env if hosts have their own copies")  # fmt: skip
    return merged, None


def _collect(groups: Groups, exchange: Exchange, result: dict[str, Any] | None) -> dict[str, Any] | None:
    """The leaders' results to rank 0, identical ones once: returns the report on rank 0.

    The leaders first share a digest of their results (32 bytes each); the first leader with
    a digest sends its result, the others only name that leader.
    """
    leaders = groups.leaders
    if leaders is None or result is None:
        return None
    hashed = result.pop("hashed", None)
    if groups.hashing.Get_rank() != 0:
        hashed = None  # a shared group's files count once, at the leader that planned them
    digest = _digest(result)
    digests = bytearray(32 * leaders.Get_size())
    exchange.wait(leaders.Iallgather(digest, digests))
    exchange.gathered += len(digests)
    first = next(index for index in range(leaders.Get_size()) if digests[32 * index : 32 * index + 32] == digest)
    own = first == leaders.Get_rank()
    payload = {"hostname": result["hostname"], "ranks": groups.host_ranks, "result": result if own else None, "same_as": first,
               "hashed": hashed}  # fmt: skip
    gathered = exchange.gather(leaders, payload)
    return None if gathered is None else _report(gathered, exchange)


def _digest(result: dict[str, Any]) -> bytes:
    """SHA-256 of a result as JSON, less the host's name: equal on hosts whose checks agree."""
    import hashlib
    import json

    verify = result["verify"]
    if verify is not None:
        verify = {**verify, "environment": {k: v for k, v in verify["environment"].items() if k != "hostname"}}
    shared = {**result, "hostname": None, "verify": verify}
    return hashlib.sha256(json.dumps(shared, sort_keys=True, default=str).encode()).digest()


def _report(gathered: list[dict[str, Any]], exchange: Exchange) -> dict[str, Any]:
    """Rank 0: the cluster report from the leaders' payloads."""
    results, groups = [], []
    for payload in gathered:
        full = payload["result"] or _on_host(gathered[payload["same_as"]]["result"], payload["hostname"])
        leader = payload["ranks"][0]
        for rank in payload["ranks"]:
            results.append({**full, "rank": rank, "checked_by": None if rank == leader else leader})
        groups.append({"leader": leader, "ranks": payload["ranks"], "python": full["python"], "fingerprint": full["fingerprint"]})
    results.sort(key=lambda r: r["rank"])
    hashed = [payload["hashed"] for payload in gathered if payload["hashed"]]
    integrity = None
    if hashed:
        integrity = {"bytes_hashed": sum(h["bytes_hashed"] for h in hashed), "files": sum(h["files"] for h in hashed),
                     "seconds": max(h["seconds"] for h in hashed)}  # fmt: skip
    return cluster_report(results, groups=groups, integrity=integrity, traffic={"rank0_bytes_gathered": exchange.gathered})


def _on_host(result: dict[str, Any], hostname: str) -> dict[str, Any]:
    """Another leader's identical result, as this host's."""
    verify = result["verify"]
    if verify is not None:
        verify = {**verify, "environment": {**verify["environment"], "hostname": hostname}}
    return {**result, "hostname": hostname, "verify": verify}


def _report_after_timeout(exchange: Exchange, state: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Rank 0, when a rank kept it waiting past ``timeout``: call the roll and report. Ranks that
    do not answer are ``silent`` (the job is aborted); the others show what they had."""
    answers = exchange.roll_call(grace=min(max(timeout, 1.0), 10.0))
    answers[0] = state
    silent = [rank for rank in range(exchange.world.Get_size()) if rank not in answers]
    results = []
    for rank in range(exchange.world.Get_size()):
        answer = answers.get(rank)
        if answer is None:
            results.append(_failed(rank, "?", f"no result within {timeout:g} s (crashed or hung)", silent=True))
            continue
        leader = answer["checked_by"]
        done = answer["result"]
        if done is None and leader is not None:
            done = (answers.get(leader) or {}).get("result")
        if done:
            results.append({**_on_host(done, answer["hostname"]), "rank": rank, "checked_by": None if leader in (None, rank) else leader})
        else:
            stopped = f"not checked: the job stopped while this rank was {answer['stage']} (rank {', '.join(map(str, silent))} did not answer)"
            results.append(_failed(rank, answer["hostname"], stopped))
    return cluster_report(results, traffic={"rank0_bytes_gathered": exchange.gathered})


def _failed(rank: int, hostname: str, error: str, *, silent: bool = False) -> dict[str, Any]:
    failed = {"rank": rank, "hostname": hostname, "python": "?", "passed": False, "summary": {}, "fingerprint": None,
              "distributions": {}, "verify": None, "error": error}  # fmt: skip
    if silent:
        failed["silent"] = True
    return failed


def verify_across_ranks(lockfile: str | None, options: dict[str, Any], *, compare: bool, timeout: float, output_format: str, quiet: bool,
                        verdict_line: bool = False, shared_env: bool = False) -> int:  # fmt: skip
    """``verify --mpi``: run on every rank; returns this rank's exit code (0 only if all passed).

    With ``verdict_line``, rank 0 also writes ``lockgate-cluster-verdict: passed|failed`` on
    stderr, so that ``lockgate cluster verify`` can tell a decided verdict from an mpiexec
    that never ran the job.

    Raises:
        LockgateError: mpi4py is missing, or this is one task of a launch MPI cannot see
            (:func:`~lockgate.gate.launcher.refuse_unseen_launch`).
    """

    def show(data: dict[str, Any]) -> bool:
        if compare:
            data["passed"] = data["passed"] and not data["drift"]
        _print_report(data, output_format, quiet)
        if verdict_line:
            print(f"{VERDICT_PREFIX}{'passed' if data['passed'] else 'failed'}", file=sys.stderr, flush=True)
        return bool(data["passed"])

    refuse_unseen_launch(_mpi)
    exchange, report = check_ranks(lockfile, options, compare=compare, timeout=timeout, shared_env=shared_env)
    return 0 if _decide(exchange, report, show) else 1


def gate_ranks(lockfile: str, options: dict[str, Any], command: list[str], *, timeout: float, record: str | None = None,
               shared_env: bool = False) -> int:  # fmt: skip
    """``run --verify-lockfile LOCK --mpi -- COMMAND`` on every rank: verify across ranks as
    :func:`verify_across_ranks`; if any rank fails, no rank starts COMMAND (exit 1). If all
    pass, each rank finalizes MPI and becomes COMMAND (``exec``), which can initialise MPI
    again as the same rank of the same job. Rank 0 writes the attestation to ``record``
    first (the cluster report; no exit code, since the process is replaced).

    Raises:
        LockgateError: mpi4py is missing, this is one task of a launch MPI cannot see, or
            COMMAND cannot be started.
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

    refuse_unseen_launch(_mpi)
    if not _decide(*check_ranks(lockfile, options, compare=False, timeout=timeout, shared_env=shared_env), show):
        return 1
    _mpi().Finalize()
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


def _decide(exchange: Exchange, report: dict[str, Any] | None, show: Callable[[dict[str, Any]], bool]) -> bool:
    """Rank 0 shows the report (``show(report) -> passed``); every rank gets that verdict.

    A rank that never answered cannot take part in the broadcast: rank 0 aborts the job then.
    Other ranks wait for the verdict answering rank 0's roll call, which may still come.
    """
    from array import array

    world = exchange.world
    verdict = array("b", [0])
    if world.Get_rank() != 0:
        exchange.wait(world.Ibcast(verdict, root=0))
        return bool(verdict[0])
    assert report is not None
    passed = show(report)
    sys.stdout.flush()
    sys.stderr.flush()
    if any(host.get("silent") for host in report["hosts"]):  # it cannot take part in the broadcast
        world.Abort(1)
    verdict[0] = int(passed)
    world.Ibcast(verdict, root=0).Wait()
    return passed


def _print_report(data: dict[str, Any], output_format: str, quiet: bool) -> None:
    if output_format == "json":
        import json

        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    elif not (quiet and data["passed"]):
        from ..render import render_cluster_text

        sys.stdout.write(render_cluster_text(data))
    sys.stdout.flush()
