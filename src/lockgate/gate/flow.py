"""The gate, one flow for every entry point (``lockgate run``, the harness a benchmark embeds,
``verify --mpi``): verify once, on one host or on every rank of an MPI job, and answer with a
typed :class:`Verdict` from which the run's :class:`~lockgate.gate.attestation.Attestation` is made.

    verdict = gate(options)                       # one host: one probe, one scan
    verdict = gate(options, mpi=MpiGate(...))     # every rank; the same verdict on each
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .attestation import Attestation

if TYPE_CHECKING:
    from ..env.interpreter import Interpreter
    from ..env.inventory import Inventory
    from ..env.options import VerifyOptions
    from ..report import Report
    from .attestation import LockRecord
    from .cluster_report import ClusterReport


class MpiGate:
    """How the gate runs under MPI.

    Attributes:
        timeout: seconds rank 0 waits for every rank (then it names the silent ones and aborts).
        shared_env: every host sees the environment on one shared filesystem: installed files
            are split across every rank of the job (a promise lockgate checks).
        compare: no lock: the ranks pass only when their installed versions agree.
    """

    __slots__ = ("timeout", "shared_env", "compare")

    def __init__(self, timeout: float = 300.0, *, shared_env: bool = False, compare: bool = False) -> None:
        self.timeout = timeout
        self.shared_env = shared_env
        self.compare = compare


class Verdict:
    """The gate's answer.

    Attributes:
        passed: the environment matched (on every rank, under MPI).
        report: the verify report (one host), or None.
        cluster: the cluster report (under MPI, on the rank that decided: rank 0), or None.
        interpreter, inventory: the target and what it has installed (one host), or None.
    """

    __slots__ = ("passed", "report", "cluster", "interpreter", "inventory")

    def __init__(self, passed: bool, *, report: Report | None = None, cluster: ClusterReport | None = None,
                 interpreter: Interpreter | None = None, inventory: Inventory | None = None) -> None:  # fmt: skip
        self.passed = passed
        self.report = report
        self.cluster = cluster
        self.interpreter = interpreter
        self.inventory = inventory

    @property
    def exit_code(self) -> int:
        """0 when it passed, else 1."""
        return 0 if self.passed else 1

    def attestation(self, command: list[str], lock: LockRecord | None = None) -> Attestation:
        """The record of a run of ``command`` gated by this verdict against ``lock``, before it starts."""
        if self.cluster is not None:
            return Attestation(command, lock=lock, cluster=self.cluster.to_dict())
        fingerprint = self.inventory.fingerprint() if self.inventory is not None else None
        verify = self.report.to_dict() if self.report else None
        return Attestation(command, lock=lock, verify=verify, environment_fingerprint=fingerprint)


def gate(options: VerifyOptions, *, mpi: MpiGate | None = None, show: Callable[[Verdict], object] | None = None,
         progress: Callable[[int, int], object] | None = None) -> Verdict:  # fmt: skip
    """Verify the environment a run will use; the one gate of every entry point.

    Args:
        options: what to verify against which lock (:class:`~lockgate.env.options.VerifyOptions`).
        mpi: verify on every rank of this MPI job (:mod:`lockgate.gate.cluster`); None: this host.
        show: called with the verdict where it is decided (this host, or rank 0) before any
            other rank learns it: where to print it or write a record.
        progress: ``callable(bytes_done, bytes_total)`` while one host's files are hashed.

    Returns:
        The :class:`Verdict`, the same on every rank.

    Raises:
        LockgateError: the lock or the target cannot be read (one host), mpi4py is missing, or
            this process is one task of a launch MPI cannot see.
        NothingSelectedError: the lock selects nothing for this host (one host).
    """
    if mpi is not None:
        from .cluster import verify_ranks

        return verify_ranks(options, mpi, show or (lambda verdict: None))
    from ..env.verify import verify_environment

    checked = verify_environment(options, progress=progress)
    verdict = Verdict(checked.report.passed, report=checked.report, interpreter=checked.interpreter, inventory=checked.inventory)
    if show is not None:
        show(verdict)
    return verdict
