"""How this process was launched, for ``--mpi``: one task of a launch that MPI cannot see is refused.

Under ``srun -n N`` without PMIx for this MPI (Slurm's default, and the pip-installed Open MPI
of ``lockgate[mpi]``), or under another MPI's ``mpiexec``, every task starts MPI as a singleton:
a world of one rank that passes as a 1-rank cluster, N times over, and no drift between tasks is
ever seen. The launcher's variables say N > 1 while MPI's world has one rank; then ``--mpi``
stops with what to run instead (exit 2), before any rank waits on another.

What the variables look like under each launcher (captured from real runs) is tabled in
``tests/gate/test_launcher.py``. Slurm's ``SLURM_NTASKS`` of an allocation (``salloc -n 4``,
``sbatch -n 4``) is not a job size: only a step's (``srun``) is. A process that an mpiexec of
this MPI started as a 1-rank job (``OMPI_COMM_WORLD_SIZE=1``) keeps the ``SLURM_STEP_*`` of the
daemons' step (Open MPI starts its daemons with ``srun --ntasks-per-node=1``), so it passes.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import ModuleType

#: (size variable or None, rank variable, who sets them) of MPI launchers.
MPI_LAUNCHERS: tuple[tuple[str | None, str, str], ...] = (
    ("OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK", "an Open MPI mpiexec other than this MPI's"),
    ("PMI_SIZE", "PMI_RANK", "a PMI launcher (MPICH's or Intel MPI's mpiexec, srun --mpi=pmi2)"),
    ("MV2_COMM_WORLD_SIZE", "MV2_COMM_WORLD_RANK", "MVAPICH2's launcher"),
    ("MPI_LOCALNRANKS", "MPI_LOCALRANKID", "a Hydra mpiexec (MPICH, Intel MPI)"),
    (None, "PMIX_RANK", "a PMIx launcher (srun --mpi=pmix, prterun)"),
)


@dataclass(frozen=True)
class UnseenLaunch:
    """This process is one of several tasks a launcher started, while MPI's world has one rank.

    Attributes:
        launcher: who started the tasks (``"a Slurm step"``, ``"a PMI launcher (…)"``).
        variable, value: the variable that says so, as set.
        tasks: how many tasks the launcher started.
        slurm: an ``srun`` step (the fix is this MPI's mpiexec inside an allocation).
        at_least: only a rank variable says so (``tasks`` is that rank + 1).
    """

    launcher: str
    variable: str
    value: str
    tasks: int
    slurm: bool = False
    at_least: bool = False

    def message(self, command: str, mpiexec: str = "mpiexec") -> str:
        """The one-line refusal: what was seen, why it cannot be checked, and ``command`` (the
        lockgate command line) as it should be launched instead."""
        count = f"{self.tasks} or more" if self.at_least else str(self.tasks)
        seen = (f"this process is one of {count} tasks of {self.launcher} ({self.variable}={self.value}) but MPI sees a world "
                "of 1 rank, so each task would pass alone as a 1-rank cluster")  # fmt: skip
        if self.slurm:
            return (f"{seen}; run it under this MPI's mpiexec in an allocation: salloc -n {self.tasks} {mpiexec} {command} "
                    f"(in an sbatch script: {mpiexec} {command}), or srun --mpi=pmix where Slurm's PMIx serves this MPI")  # fmt: skip
        return f"{seen}; launch it with the mpiexec of the MPI that mpi4py uses: {mpiexec} -n {self.tasks} {command}"


def unseen_launch(environment: Mapping[str, str], world_size: int) -> UnseenLaunch | None:
    """Whether this process is one task of a multi-task launch that MPI cannot see.

    Args:
        environment: the process's environment variables (as the launcher set them).
        world_size: ``MPI.COMM_WORLD``'s size as this process's MPI sees it.

    Returns:
        What the launcher's variables say, or None: a world of several ranks, a plain run, a
        1-rank mpiexec, an allocation (``salloc``/``sbatch`` set ``SLURM_NTASKS`` but no step).
    """
    if world_size != 1:
        return None
    mpiexec_of_one = any(size and environment.get(size) == "1" for size, _, _ in MPI_LAUNCHERS)
    step = _number(environment, "SLURM_STEP_NUM_TASKS")
    if step is None and ("SLURM_STEP_ID" in environment or "SLURM_STEPID" in environment):
        step = _number(environment, "SLURM_NTASKS")
    if step is not None and step > 1 and not mpiexec_of_one:
        variable = "SLURM_STEP_NUM_TASKS" if "SLURM_STEP_NUM_TASKS" in environment else "SLURM_NTASKS"
        return UnseenLaunch("a Slurm step", variable, environment[variable], step, slurm=True)
    for size_name, rank_name, launcher in MPI_LAUNCHERS:
        size = _number(environment, size_name) if size_name else None
        if size_name and size is not None and size > 1:
            return UnseenLaunch(launcher, size_name, environment[size_name], size)
        rank = _number(environment, rank_name)
        if rank is not None and rank > 0:
            return UnseenLaunch(launcher, rank_name, environment[rank_name], rank + 1, at_least=True)
    return None


def launch_size(environment: Mapping[str, str]) -> int:
    """How many tasks a launcher's variables say this process is one of: 1 outside any (an
    allocation's ``SLURM_NTASKS`` is no launch). A harness uses MPI when it is more than 1."""
    sizes = [_number(environment, size) for size, _, _ in MPI_LAUNCHERS if size]
    sizes.append(_number(environment, "SLURM_STEP_NUM_TASKS"))
    return max([size for size in sizes if size] or [1])


def refuse_unseen_launch(mpi: Callable[[], ModuleType]) -> None:
    """``--mpi``'s first step on every rank, before any collective: refuse one task of a launch
    that MPI cannot see (:func:`unseen_launch`).

    Args:
        mpi: returns mpi4py's ``MPI`` module, initialising MPI (the cluster gate's own).

    Raises:
        LockgateError: (exit 2) this task's MPI world is one rank of a multi-task launch; the
            message says what to run instead. Also whatever ``mpi`` raises (mpi4py missing).
    """
    import shlex

    from ..errors import LockgateError

    environment = dict(os.environ)  # as the launcher set it, before MPI starts
    found = unseen_launch(environment, mpi().COMM_WORLD.Get_size())
    if found is not None:
        beside = os.path.join(os.path.dirname(sys.executable), "mpiexec")
        mpiexec = beside if os.path.isfile(beside) else "mpiexec"
        raise LockgateError(found.message(shlex.join(["lockgate", *sys.argv[1:]]), mpiexec))


def _number(environment: Mapping[str, str], name: str) -> int | None:
    value = environment.get(name, "").strip()
    return int(value) if value.isdigit() else None
