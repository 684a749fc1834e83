"""MPI collectives on picklable objects for the cluster gate, none of which can hang rank 0.

Every exchange is a non-blocking collective (``Ibcast``, ``Igatherv``, ``Iscatterv``…) waited
on by polling. Rank 0 waits at most ``timeout`` seconds for each, then raises
:class:`RankTimeout` and calls the roll (:meth:`Exchange.roll_call`). Every other rank waits
as long as it takes but, while it waits, answers a roll call with its state. So a rank that
crashed or hangs is named by what it did not answer, and the job can be aborted, instead of
blocking every rank forever in a collective.
"""

from __future__ import annotations

import pickle
import time
from array import array
from collections.abc import Callable
from itertools import accumulate
from typing import TYPE_CHECKING, Generic, TypeVar, cast

if TYPE_CHECKING:
    from mpi4py import MPI

State = TypeVar("State")
Value = TypeVar("Value")

_ROLL_CALL = 7412
_ANSWER = 7413
_LONGEST_PAUSE = 0.02  # seconds between polls once a wait has lasted a while


class RankTimeout(Exception):
    """Rank 0 waited longer than its timeout for a collective to complete."""


class Exchange(Generic[State]):
    """The collectives of one cluster check, on communicators derived from ``world``; values
    travel pickled (mpi4py is imported only once MPI runs: it stays optional).

    Args:
        world: ``MPI.COMM_WORLD``.
        timeout: seconds rank 0 waits for each exchange.
        state: called on a rank other than 0 to answer a roll call; returns a picklable value.

    Attributes:
        gathered: bytes of pickled data this rank holds after the exchanges: what it gathered
            as a root (its own part included), received by broadcast or scatter, or in answers
            to its roll call. Rank 0's figure is the report's ``traffic``.
    """

    def __init__(self, world: MPI.Intracomm, timeout: float, state: Callable[[], State]) -> None:
        self.world = world
        self.rank = world.Get_rank()
        self.timeout = timeout
        self.state = state
        self.gathered = 0

    def wait(self, request: MPI.Request) -> None:
        """Wait for ``request``; on rank 0 at most ``timeout`` seconds (then :class:`RankTimeout`)."""
        deadline = time.monotonic() + self.timeout if self.rank == 0 else None
        pause = 0.0001
        while not request.Test():
            if deadline is not None and time.monotonic() > deadline:
                raise RankTimeout
            if deadline is None and self.world.Iprobe(source=0, tag=_ROLL_CALL):
                self.world.recv(source=0, tag=_ROLL_CALL)
                self.world.send(self.state(), dest=0, tag=_ANSWER)
            time.sleep(pause)
            pause = min(pause * 2, _LONGEST_PAUSE)

    def barrier(self, comm: MPI.Comm) -> None:
        """Every rank of ``comm`` has reached this point."""
        self.wait(comm.Ibarrier())

    def bcast(self, comm: MPI.Comm, value: Value) -> Value:
        """``value`` of ``comm``'s rank 0, on every rank of ``comm``."""
        root = comm.Get_rank() == 0
        data = pickle.dumps(value) if root else b""
        size = array("q", [len(data)])
        self.wait(comm.Ibcast(size, root=0))
        buffer = bytearray(data) if root else bytearray(size[0])
        self.wait(comm.Ibcast(buffer, root=0))
        if root:
            return value
        self.gathered += len(buffer)
        return cast(Value, pickle.loads(buffer))  # what comm's rank 0 pickled

    def gather(self, comm: MPI.Comm, value: Value) -> list[Value] | None:
        """Every rank's ``value`` in rank order, on ``comm``'s rank 0; None elsewhere."""
        from mpi4py import MPI

        data = pickle.dumps(value)
        count, root = comm.Get_size(), comm.Get_rank() == 0
        sizes = array("q", [0] * count) if root else None
        self.wait(comm.Igather(array("q", [len(data)]), sizes, root=0))
        if not root:
            self.wait(comm.Igatherv(data, None, root=0))
            return None
        assert sizes is not None
        offsets = [0, *accumulate(sizes)][:count]
        buffer = bytearray(sum(sizes))
        self.wait(comm.Igatherv(data, [buffer, (list(sizes), offsets), MPI.BYTE], root=0))
        self.gathered += len(buffer)
        view = memoryview(buffer)
        return [cast(Value, pickle.loads(view[offset : offset + size])) for offset, size in zip(offsets, sizes)]

    def scatter(self, comm: MPI.Comm, values: list[Value] | None) -> Value:
        """``values[i]`` of ``comm``'s rank 0 to its rank ``i`` (``values`` is read on rank 0 only)."""
        from mpi4py import MPI

        root = comm.Get_rank() == 0
        pieces = [pickle.dumps(value) for value in values or ()] if root else []
        size = array("q", [0])
        self.wait(comm.Iscatter(array("q", map(len, pieces)) if root else None, size, root=0))
        buffer = bytearray(size[0])
        if root:
            offsets = [0, *accumulate(map(len, pieces))][: len(pieces)]
            self.wait(comm.Iscatterv([b"".join(pieces), ([len(p) for p in pieces], offsets), MPI.BYTE], buffer, root=0))
        else:
            self.wait(comm.Iscatterv(None, buffer, root=0))
            self.gathered += len(buffer)
        return cast(Value, pickle.loads(buffer))  # what comm's rank 0 pickled for this rank

    def roll_call(self, grace: float) -> dict[int, State]:
        """Rank 0, after a :class:`RankTimeout`: ask every other rank for its state and wait up to
        ``grace`` seconds; returns ``{rank: state}`` of those that answered."""
        from mpi4py import MPI

        size = self.world.Get_size()
        for rank in range(1, size):
            self.world.isend(None, dest=rank, tag=_ROLL_CALL)  # never waited on: the job is aborted next
        answers: dict[int, State] = {}
        status = MPI.Status()
        deadline = time.monotonic() + grace
        while len(answers) < size - 1 and time.monotonic() < deadline:
            if self.world.Iprobe(source=MPI.ANY_SOURCE, tag=_ANSWER, status=status):
                self.gathered += status.Get_count(MPI.BYTE)
                answers[status.Get_source()] = self.world.recv(source=status.Get_source(), tag=_ANSWER)
            else:
                time.sleep(0.005)
        return answers
