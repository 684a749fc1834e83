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
from typing import TYPE_CHECKING

from .cluster_report import ClusterReport, IntegrityTotals, RankResult
from .collectives import Exchange, RankTimeout
from .launcher import refuse_unseen_launch

if TYPE_CHECKING:
    from types import ModuleType

    from mpi4py import MPI

    from .._json import JSONObject
    from ..env.integrity import IntegrityResult, ShareRow
    from ..env.interpreter import Interpreter
    from ..env.inventory import Inventory
    from ..env.options import VerifyOptions
    from ..env.verify import PreparedVerify
    from .flow import MpiGate, Verdict

_NO_FILES: list[ShareRow] = []


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

    def __init__(self, host: MPI.Comm, hashing: MPI.Comm, leaders: MPI.Comm | None, host_ranks: list[int], node_size: int) -> None:
        self.host = host
        self.hashing = hashing
        self.leaders = leaders
        self.host_ranks = host_ranks
        self.node_size = node_size


def check_key(options: VerifyOptions, *, compare: bool) -> str:
    """What this rank checks, as a string equal on ranks that may share one check: the target's
    real prefix, the lock's real path and SHA-256, and the options. Never raises: a target or
    lock that cannot be read is part of the key, so ranks that fail alike still group."""
    import hashlib
    import json

    from ..env.interpreter import find_interpreter
    from ..env.readers import find_default_lockfile

    try:
        target = os.path.realpath(find_interpreter(options.python).prefix)
    except Exception as error:  # noqa: BLE001 - the leader reports it
        target = f"error: {error}"
    lock = ""
    if not compare:
        try:
            path = os.path.realpath(options.lockfile or find_default_lockfile())
            with open(path, "rb") as handle:
                lock = f"{path} sha256:{hashlib.sha256(handle.read()).hexdigest()}"
        except Exception as error:  # noqa: BLE001 - the leader reports it
            lock = f"error: {error}"
    return json.dumps([target, lock, compare, options.check_key()], sort_keys=True)


def form_groups(world: MPI.Intracomm, key: str, *, shared_env: bool) -> Groups:
    """Split ``world`` into :class:`Groups` (collective over every rank).

    Raises:
        LockgateError: two different keys landed in one group (a 31-bit hash collision).
    """
    import hashlib

    from mpi4py import MPI

    from ..errors import LockgateError

    rank = world.Get_rank()
    color = int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big") >> 1
    node = world.Split_type(MPI.COMM_TYPE_SHARED, key=rank)
    host = node.Split(color, rank)
    hashing = world.Split(color, rank) if shared_env else host
    leaders = world.Split(0 if host.Get_rank() == 0 else MPI.UNDEFINED, rank)
    for comm in {id(host): host, id(hashing): hashing}.values():
        if comm.allreduce(key, op=MPI.MIN) != comm.allreduce(key, op=MPI.MAX):
            raise LockgateError("ranks with different checks fell into one group; run again")
    host_ranks = host.Get_group().Translate_ranks(list(range(host.Get_size())), world.Get_group())
    return Groups(host, hashing, leaders if leaders != MPI.COMM_NULL else None, list(host_ranks), node.Get_size())


class RankState:
    """What a rank answers rank 0's roll call with (pickled), updated as its check goes on.

    Attributes:
        hostname: where it runs; stage: what it is doing or waiting for.
        result: its group's result once it has one, on a leader; else None.
        checked_by: the rank whose check it shares (its group's leader), once groups formed.
    """

    __slots__ = ("hostname", "stage", "result", "checked_by")

    def __init__(self, hostname: str) -> None:
        self.hostname = hostname
        self.stage = "waiting for every rank to start"
        self.result: RankResult | _Hashed | None = None
        self.checked_by: int | None = None


def check_ranks(options: VerifyOptions, mpi_gate: MpiGate) -> tuple[Exchange[RankState], ClusterReport | None]:
    """Every rank: the cluster check. Returns ``(the exchange, for the verdict; the report on
    rank 0, None elsewhere)``; in the report, a rank that did not answer in time is ``silent``.

    Raises:
        LockgateError: mpi4py is missing.
    """
    from ..env.verify import hostname

    world = _world()
    state = RankState(hostname())
    exchange = Exchange(world, mpi_gate.timeout, lambda: state)
    key = check_key(options, compare=mpi_gate.compare)
    try:
        exchange.barrier(world)
        groups = form_groups(world, key, shared_env=mpi_gate.shared_env)
        state.checked_by = groups.host_ranks[0]
        result = _check_group(groups, exchange, state, options, compare=mpi_gate.compare)
        state.stage, state.result = "waiting for the report", result
        return exchange, _collect(groups, exchange, result, mpi_gate.compare)
    except RankTimeout:
        return exchange, _report_after_timeout(exchange, state, mpi_gate)


def _check_group(groups: Groups, exchange: Exchange[RankState], state: RankState, options: VerifyOptions, *,
                 compare: bool) -> RankResult | _Hashed | None:  # fmt: skip
    """The group's check: the leader's result (None on other ranks)."""
    leader = groups.host.Get_rank() == 0
    prepared, result = _prepare(options, compare=compare, rank=exchange.rank) if leader else (None, None)
    files = None
    if not compare and options.checks_files:
        state.stage = "waiting for its share of the files"
        files = _hash_in_group(groups, exchange, state, prepared, options.jobs)
    if result is not None and prepared is not None:
        return _finish(result, prepared, files)
    return result


def _prepare(options: VerifyOptions, *, compare: bool, rank: int) -> tuple[PreparedVerify | None, RankResult]:
    """The leader's check up to the file hashing: ``(PreparedVerify or None, result)``; never
    raises (an error is the result's ``error``)."""
    from ..env.verify import hostname

    python = options.python or sys.executable
    try:
        if compare:
            from ..env.interpreter import find_interpreter
            from ..env.inventory import scan_interpreter

            interpreter = find_interpreter(options.python)
            inventory = scan_interpreter(interpreter)
            return None, _found(rank, interpreter, inventory, passed=True)
        from ..env.verify import prepare_verify

        prepared = prepare_verify(options)
        return prepared, _found(rank, prepared.interpreter, prepared.inventory)
    except Exception as error:  # noqa: BLE001 - any failure of a rank is that host's failure
        return None, RankResult(rank, hostname(), python, error=_error_text(error))


def _found(rank: int, interpreter: Interpreter, inventory: Inventory, *, passed: bool = False) -> RankResult:
    """A leader's result, so far: what its interpreter has installed."""
    from ..env.verify import hostname

    distributions = {d.name: d.version for d in inventory.distributions.values()}
    return RankResult(rank, hostname(), interpreter.executable, passed=passed, fingerprint=inventory.fingerprint(), distributions=distributions)


def _error_text(error: Exception) -> str:
    return str(error) if hasattr(error, "path") else f"{type(error).__name__}: {error}"


def _finish(result: RankResult, prepared: PreparedVerify, files: tuple[IntegrityResult | None, str | None] | None) -> RankResult | _Hashed:
    """The leader's result decided from its prepared check and the group's file check."""
    integrity = None
    if files is not None:
        integrity, problem = files
        if problem:
            return result.replace(error=problem)
    try:
        report = prepared.report(integrity)
    except Exception as error:  # noqa: BLE001 - as in _prepare
        return result.replace(error=_error_text(error))
    data = report.to_dict()
    finished = result.replace(passed=report.passed, summary=data["summary"], verify=data, python=data["environment"]["python"], fix=report.fix,
                              failing=[finding.subject for finding in report.failures()])
    return finished if integrity is None else _Hashed(finished, integrity)


class _Hashed:
    """A leader's result and its group's file-check totals, until :func:`_collect` splits them."""

    __slots__ = ("result", "totals")

    def __init__(self, result: RankResult, integrity: IntegrityResult) -> None:
        self.result = result
        self.totals = IntegrityTotals(integrity.bytes_hashed, integrity.files, round(integrity.seconds, 3))


def _hash_in_group(groups: Groups, exchange: Exchange[RankState], state: RankState, prepared: PreparedVerify | None,
                   jobs: int | None) -> tuple[IntegrityResult | None, str | None]:  # fmt: skip
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
    state.stage = "hashing its share of the files"
    threads = jobs or max(1, usable_cores() // groups.node_size)
    problems, hashed = check_share(share, threads, plan.find_unlisted if plan else lambda: None)
    state.stage = "waiting for its group's file check"
    parts = exchange.gather(hashing, (problems, hashed, len(share)))
    merged = None
    if plan is not None and parts is not None:
        for found, _, _ in parts:
            plan.add_problems(found)
        merged = plan.result(sum(p[1] for p in parts), sum(p[2] for p in parts), time.perf_counter() - started)
    basis = prepared.inventory.fingerprint() if plan is not None and prepared is not None else None
    basis, merged, by, problem = exchange.bcast(hashing, (basis, merged, exchange.rank, problem))
    if prepared is None or groups.host.Get_rank() != 0:
        return merged, None
    if basis is None:
        return None, problem if by == exchange.rank else f"files not checked: rank {by}, which hashes for this environment, failed: {problem}"
    if basis != prepared.inventory.fingerprint():
        return None, (f"--shared-env: this host's environment differs from rank {by}'s ({basis[:19]}), so its files were not "
                      "all checked here; drop --shared-env if hosts have their own copies")  # fmt: skip
    return merged, None


def _collect(groups: Groups, exchange: Exchange[RankState], checked: RankResult | _Hashed | None, compare: bool) -> ClusterReport | None:
    """The leaders' results to rank 0, identical ones once: returns the report on rank 0.

    The leaders first share a digest of their results (32 bytes each); the first leader with
    a digest sends its result, the others only name that leader.
    """
    leaders = groups.leaders
    if leaders is None or checked is None:
        return None
    result = checked.result if isinstance(checked, _Hashed) else checked
    # a shared group's files count once, at the leader that planned them
    hashed = checked.totals if isinstance(checked, _Hashed) and groups.hashing.Get_rank() == 0 else None
    digest = _digest(result)
    digests = bytearray(32 * leaders.Get_size())
    exchange.wait(leaders.Iallgather(digest, digests))
    exchange.gathered += len(digests)
    first = next(index for index in range(leaders.Get_size()) if digests[32 * index : 32 * index + 32] == digest)
    own = first == leaders.Get_rank()
    payload = _LeaderPayload(result.hostname, groups.host_ranks, result if own else None, first, hashed)
    gathered = exchange.gather(leaders, payload)
    return None if gathered is None else _report(gathered, exchange, compare)


def _digest(result: RankResult) -> bytes:
    """SHA-256 of a result as JSON, less the host's name: equal on hosts whose checks agree."""
    import hashlib
    import json

    return hashlib.sha256(json.dumps(result.digest_data(), sort_keys=True, default=str).encode()).digest()


class _LeaderPayload:
    """What a host group's leader sends rank 0 (pickled): its host and ranks, its result or the
    leader (``same_as``) that sends the same one, and its group's file-check totals or None."""

    __slots__ = ("hostname", "ranks", "result", "same_as", "hashed")

    def __init__(self, hostname: str, ranks: list[int], result: RankResult | None, same_as: int, hashed: IntegrityTotals | None) -> None:
        self.hostname = hostname
        self.ranks = ranks
        self.result = result
        self.same_as = same_as
        self.hashed = hashed


def _report(gathered: list[_LeaderPayload], exchange: Exchange[RankState], compare: bool) -> ClusterReport:
    """Rank 0: the cluster report from the leaders' payloads."""
    results: list[RankResult] = []
    groups: list[JSONObject] = []
    for payload in gathered:
        full = payload.result or gathered[payload.same_as].result
        assert full is not None  # the leader named by same_as sent its result
        leader = payload.ranks[0]
        for rank in payload.ranks:
            results.append(full.on_host(payload.hostname, rank, None if rank == leader else leader))
        groups.append({"leader": leader, "ranks": payload.ranks, "python": full.python, "fingerprint": full.fingerprint})
    results.sort(key=lambda r: r.rank)
    hashed = [payload.hashed for payload in gathered if payload.hashed]
    integrity = IntegrityTotals.combined(hashed) if hashed else None
    return ClusterReport(results, groups=groups, integrity=integrity, traffic={"rank0_bytes_gathered": exchange.gathered}, compare=compare)


def _report_after_timeout(exchange: Exchange[RankState], state: RankState, mpi_gate: MpiGate) -> ClusterReport:
    """Rank 0, when a rank kept it waiting past the timeout: call the roll and report. Ranks
    that do not answer are ``silent`` (the job is aborted); the others show what they had."""
    timeout = mpi_gate.timeout
    answers = exchange.roll_call(grace=min(max(timeout, 1.0), 10.0))
    answers[0] = state
    silent = [rank for rank in range(exchange.world.Get_size()) if rank not in answers]
    results = []
    for rank in range(exchange.world.Get_size()):
        answer = answers.get(rank)
        if answer is None:
            results.append(RankResult(rank, "?", "?", error=f"no result within {timeout:g} s (crashed or hung)", silent=True))
            continue
        leader = answer.checked_by
        done = answer.result
        if done is None and leader is not None:
            checker = answers.get(leader)
            done = checker.result if checker else None
        if isinstance(done, _Hashed):
            done = done.result
        if done:
            results.append(done.on_host(answer.hostname, rank, None if leader in (None, rank) else leader))
        else:
            stopped = f"not checked: the job stopped while this rank was {answer.stage} (rank {', '.join(map(str, silent))} did not answer)"
            results.append(RankResult(rank, answer.hostname, "?", error=stopped))
    return ClusterReport(results, traffic={"rank0_bytes_gathered": exchange.gathered}, compare=mpi_gate.compare)


def verify_ranks(options: VerifyOptions, mpi_gate: MpiGate, show: Callable[[Verdict], object]) -> Verdict:
    """The gate on every rank (:func:`~lockgate.gate.flow.gate` with ``mpi``): every rank
    checks, rank 0 makes the report and calls ``show`` with the verdict, then every rank gets
    it. A rank that never answered cannot take part: rank 0 shows the report, then aborts the job.

    Raises:
        LockgateError: mpi4py is missing, or this is one task of a launch MPI cannot see
            (:func:`~lockgate.gate.launcher.refuse_unseen_launch`).
    """
    from array import array

    from .flow import Verdict

    refuse_unseen_launch(_mpi)
    exchange, report = check_ranks(options, mpi_gate)
    world = exchange.world
    verdict = array("b", [0])
    if world.Get_rank() != 0:
        exchange.wait(world.Ibcast(verdict, root=0))
        return Verdict(bool(verdict[0]))
    assert report is not None
    decided = Verdict(report.passed, cluster=report)
    show(decided)
    sys.stdout.flush()
    sys.stderr.flush()
    if any(result.silent for result in report.results):  # it cannot take part in the broadcast
        world.Abort(1)
    verdict[0] = int(decided.passed)
    world.Ibcast(verdict, root=0).Wait()
    return decided


def finalize_mpi() -> None:
    """End this rank's MPI, so that a command it starts can initialise MPI as the same rank."""
    _mpi()
    from mpi4py import MPI

    MPI.Finalize()


def _world() -> MPI.Intracomm:
    """``MPI.COMM_WORLD`` (initialising MPI). Raises LockgateError when mpi4py is missing."""
    _mpi()
    from mpi4py import MPI

    return MPI.COMM_WORLD


def _mpi() -> ModuleType:
    """mpi4py's MPI module (initialising MPI). Raises LockgateError when mpi4py is missing."""
    from ..errors import LockgateError

    try:
        from mpi4py import MPI
    except ImportError:
        raise LockgateError("--mpi needs mpi4py: pip install 'lockgate[mpi]' (or mpi4py with a system MPI)") from None
    return MPI
