"""`lockgate run` and the harness API, run as a user would run them."""

from __future__ import annotations

import json
import shlex
import signal
import subprocess
import sys
import time

import pytest
from conftest import ROOT, lockgate

from lockgate.gate.run import command_without_verification


@pytest.fixture
def matching(tmp_path, make_venv):
    """A venv and a lock it matches, and a lock it does not."""
    venv = make_venv("alpha==1.1.0")
    good = tmp_path / "good.txt"
    good.write_text("alpha==1.1.0\n")
    bad = tmp_path / "bad.txt"
    bad.write_text("alpha==2.0.0\n")
    return venv, str(good), str(bad)


def child(code: str, venv=None) -> list[str]:
    """A Python command run by ``venv``'s interpreter: the environment the gate verifies."""
    return [str(venv / "bin" / "python") if venv else sys.executable, "-c", code]


@pytest.mark.parametrize("exit_code", [0, 3, 137])
def test_passing_gate_runs_the_command_and_returns_its_exit_code(matching, tmp_path, exit_code):
    venv, good, _ = matching
    marker = tmp_path / "ran"
    result = lockgate("run", "--verify-lockfile", good, "--python", str(venv), "--",
                      *child(f"open({str(marker)!r}, 'w').close(); print('hello'); raise SystemExit({exit_code})", venv))  # fmt: skip
    assert result.returncode == exit_code and marker.exists()
    assert result.stdout == "hello\n"
    assert result.stderr.startswith(f"lockgate: 1 packages verified against {good}")


def test_failing_gate_never_starts_the_command(matching, tmp_path):
    venv, _, bad = matching
    marker = tmp_path / "ran"
    command = child(f"open({str(marker)!r}, 'w').close()", venv)
    result = lockgate("run", f"--verify-lockfile={bad}", "--python", str(venv), "--", *command)
    assert result.returncode == 1 and not marker.exists()
    assert "mismatched  alpha" in result.stderr and "uv pip install" in result.stderr
    assert result.stderr.endswith(f"to run it without verification:\n  {shlex.join(command)}\n")


def test_missing_lockfile_exits_2_with_the_hint(tmp_path):
    result = lockgate("run", "--verify-lockfile", "LOCK", "--", "true", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == "lockgate: error: lockfile not found: LOCK; create one with: lockgate generate\n"


def test_sigterm_reaches_the_child(matching, tmp_path):
    venv, good, _ = matching
    ready, got = tmp_path / "ready", tmp_path / "got"
    code = (
        "import signal, sys, time, pathlib\n"
        f"def stop(n, f): pathlib.Path({str(got)!r}).write_text(str(n)); sys.exit(5)\n"
        "signal.signal(signal.SIGTERM, stop)\n"
        f"pathlib.Path({str(ready)!r}).touch()\n"
        "time.sleep(60)\n"
    )
    process = subprocess.Popen([sys.executable, "-m", "lockgate", "run", "--verify-lockfile", good, "--python", str(venv), "--", *child(code, venv)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    deadline = time.monotonic() + 30
    while not ready.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 5
    assert got.read_text() == str(int(signal.SIGTERM))


def test_child_killed_by_a_signal_gives_128_plus_n(matching):
    venv, good, _ = matching
    result = lockgate("run", "--verify-lockfile", good, "--python", str(venv), "--", *child("import os, signal; os.kill(os.getpid(), signal.SIGKILL)", venv))
    assert result.returncode == 128 + signal.SIGKILL


def test_record_is_written_before_and_updated_after(matching, tmp_path):
    venv, good, _ = matching
    record = tmp_path / "attestation.json"
    seen = tmp_path / "seen.json"
    code = f"import shutil; shutil.copy({str(record)!r}, {str(seen)!r}); raise SystemExit(4)"
    result = lockgate("run", "--verify-lockfile", good, "--python", str(venv), "--record", str(record), "--", *child(code, venv))
    assert result.returncode == 4
    before, after = (json.loads(path.read_text())["predicate"] for path in (seen, record))
    assert json.loads(seen.read_text())["_type"] == "https://in-toto.io/Statement/v1"
    assert before["exit_code"] is None and before["wall_seconds"] is None and before["ended_at"] is None
    assert after["exit_code"] == 4 and after["ended_at"].endswith("Z") and after["wall_seconds"] >= 0
    assert after["verify"]["schema"] == "lockgate.verify/1" and after["verify"]["passed"] is True
    assert after["command"][-1] == code and after["started_at"].endswith("Z")
    assert after["environment_fingerprint"].startswith("sha256:") and len(after["environment_fingerprint"]) == 71
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".attestation")] == []


def test_rerun_command_drops_both_flag_forms():
    assert command_without_verification(["b", "run", "--verify-lockfile", "L", "-x"]) == ["b", "run", "-x"]
    assert command_without_verification(["b", "run", "--verify-lockfile=L", "-x"]) == ["b", "run", "-x"]


EXAMPLE = str(ROOT / "examples" / "benchmark_cli.py")


@pytest.mark.parametrize("workload", ["training", "checkpointing"])
def test_example_harness_runs_when_the_lock_matches(tmp_path, workload):
    from importlib.metadata import version

    lock = tmp_path / "requirements.txt"
    lock.write_text(f"pytest=={version('pytest')}\n")  # the rest installed is extra: passes unless --strict
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, EXAMPLE, workload, "run", "--results-dir", str(out), "--exit-code", "3",
                             "--verify-lockfile", str(lock)], capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 3, result.stderr
    assert (out / "ran-0.txt").read_text() == f"{workload} run skip=[]\n"


@pytest.mark.parametrize("flag", [["--verify-lockfile", "{lock}"], ["--verify-lockfile={lock}"]])
def test_example_harness_refuses_to_start_on_drift(tmp_path, flag):
    lock = tmp_path / "requirements.txt"
    lock.write_text("not-installed-anywhere==1.0\n")
    out = tmp_path / "out"
    flag = [f.format(lock=lock) for f in flag]
    result = subprocess.run([sys.executable, EXAMPLE, "training", "run", *flag, "--results-dir", str(out)],
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 1 and not out.exists()
    assert "missing" in result.stderr and "not-installed-anywhere" in result.stderr
    assert result.stderr.rstrip().endswith(f"{sys.executable} {EXAMPLE} training run --results-dir {out}")


def test_example_harness_without_the_flag_just_runs(tmp_path):
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, EXAMPLE, "training", "run", "--results-dir", str(out)], capture_output=True, text=True)
    assert result.returncode == 0 and (out / "ran-0.txt").exists()


def test_example_harness_checks_installed_files_on_request(tmp_path):
    from importlib.metadata import version

    lock = tmp_path / "requirements.txt"
    lock.write_text(f"pytest=={version('pytest')}\n")
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, EXAMPLE, "training", "run", "--results-dir", str(out),
                             "--verify-lockfile", str(lock), "--verify-integrity"], capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "--verify-integrity" in subprocess.run([sys.executable, EXAMPLE, "training", "run", "--help"], capture_output=True, text=True).stdout


def test_example_harness_missing_lock_is_one_line_exit_2_not_a_traceback(tmp_path):
    result = subprocess.run([sys.executable, EXAMPLE, "training", "run", "--results-dir", str(tmp_path / "out"),
                             "--verify-lockfile", str(tmp_path / "nope.txt")], capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 2 and not (tmp_path / "out").exists()
    assert result.stderr == f"benchmark_cli: lockfile not found: {tmp_path / 'nope.txt'}; create one with: lockgate generate\n"


def test_example_harness_gates_rerun_prints_one_line_and_records(tmp_path):
    from importlib.metadata import version

    lock = tmp_path / "requirements.txt"
    lock.write_text(f"pytest=={version('pytest')}\n")
    out, record = tmp_path / "out", tmp_path / "attestation.json"
    result = subprocess.run([sys.executable, EXAMPLE, "checkpointing", "rerun", "--results-dir", str(out), "--exit-code", "4",
                             "--verify-lockfile", str(lock), "--verify-record", str(record)], capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 4, result.stderr
    assert result.stderr.startswith(f"benchmark_cli: lockgate: 1 packages verified against {lock} in {sys.executable}")
    data = json.loads(record.read_text())["predicate"]
    assert data["exit_code"] == 4 and data["verify"]["passed"] is True
    lock.write_text("not-installed-anywhere==1.0\n")
    refused = subprocess.run([sys.executable, EXAMPLE, "checkpointing", "rerun", "--results-dir", str(out), "--verify-lockfile", str(lock)],
                             capture_output=True, text=True)  # fmt: skip
    assert refused.returncode == 1 and "not-installed-anywhere" in refused.stderr


def test_a_record_that_cannot_be_finished_keeps_the_command_s_exit_code(matching, tmp_path):
    venv, good, _ = matching
    record = tmp_path / "attestation.json"
    code = f"import os; os.unlink({str(record)!r}); os.mkdir({str(record)!r}); raise SystemExit(7)"  # a folder takes its place
    result = lockgate("run", "--verify-lockfile", good, "--python", str(venv), "--record", str(record), "--", *child(code, venv))
    assert result.returncode == 7
    assert "lockgate: warning: the final record was not written" in result.stderr and record.is_dir()


def test_the_harness_fits_a_cli_that_has_its_own_skip_and_checks_what_run_checks(tmp_path):
    from importlib.metadata import version

    lock = tmp_path / "requirements.txt"
    lock.write_text(f"pytest=={version('pytest')}\nnot-installed-anywhere==1.0\n")
    out = tmp_path / "out"
    command = [sys.executable, EXAMPLE, "training", "run", "--results-dir", str(out), "--skip", "warmup", "--verify-lockfile", str(lock)]
    refused = subprocess.run(command, capture_output=True, text=True)
    assert refused.returncode == 1 and "missing  not-installed-anywhere" in refused.stderr
    passed = subprocess.run([*command, "--lockfile-skip", "not-installed-anywhere", "--cpu-only", "--verify-jobs", "2"],
                            capture_output=True, text=True)  # fmt: skip
    assert passed.returncode == 0, passed.stderr
    assert (out / "ran-0.txt").read_text() == "training run skip=['warmup']\n"  # the benchmark's own --skip is its own
    usage = subprocess.run([sys.executable, EXAMPLE, "training", "run", "--help"], capture_output=True, text=True).stdout
    for flag in ("--lockfile-skip", "--allow-missing", "--strict", "--extra", "--group", "--only-group", "--cpu-only", "--verify-integrity",
                 "--verify-jobs", "--verify-record", "--verify-hosts"):  # fmt: skip
        assert flag in usage


def test_the_rerun_line_is_copy_pasteable_and_drops_every_harness_flag(tmp_path):
    lock = tmp_path / "requirements.txt"
    lock.write_text("not-installed-anywhere==1.0\n")
    out, record = tmp_path / "out", tmp_path / "results" / "run.json"
    result = subprocess.run([sys.executable, EXAMPLE, "training", "run", "--results-dir", str(out), "--verify-lockfile", str(lock), "--strict",
                             "--verify-record", str(record), "--lockfile-skip=x", "--verify-jobs", "2", "--skip", "warmup"],
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 1
    rerun = result.stderr.rstrip().splitlines()[-1].strip()
    assert rerun == f"{sys.executable} {EXAMPLE} training run --results-dir {out} --skip warmup"
    assert json.loads(record.read_text())["predicate"]["verify"]["passed"] is False  # results/ made for it, though the run was refused
    again = subprocess.run(shlex.split(rerun), capture_output=True, text=True)
    assert again.returncode == 0 and (out / "ran-0.txt").exists()


def test_the_lockfile_command_group_is_lockgates_generate_and_verify(tmp_path):
    from importlib.metadata import version

    lock = tmp_path / "requirements.txt"
    lock.write_text(f"pytest=={version('pytest')}\n")
    verify = subprocess.run([sys.executable, EXAMPLE, "lockfile", "verify", "-l", str(lock), "--python", sys.executable, "--allow-missing"],
                            capture_output=True, text=True)  # fmt: skip
    assert verify.returncode == 0 and "lockgate verify: passed" in verify.stdout, verify.stderr
    strict = subprocess.run([sys.executable, EXAMPLE, "lockfile", "verify", "-l", str(lock), "--python", sys.executable, "--strict"],
                            capture_output=True, text=True)  # fmt: skip
    assert strict.returncode == 1
    missing = subprocess.run([sys.executable, EXAMPLE, "lockfile", "verify", "-l", str(tmp_path / "nope.txt")], capture_output=True, text=True)
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1 and "lockfile not found" in missing.stderr
    usage = subprocess.run([sys.executable, EXAMPLE, "lockfile", "generate", "--help"], capture_output=True, text=True).stdout
    for flag in ("-o", "--extra", "--hashes", "--python-version", "--pyproject", "--all", "--check"):
        assert f" {flag}" in usage
    nothing = subprocess.run([sys.executable, EXAMPLE, "lockfile", "generate", "--pyproject", str(tmp_path / "none.toml")],
                             capture_output=True, text=True)  # fmt: skip
    assert nothing.returncode == 2 and "Traceback" not in nothing.stderr
