"""The exit code is the verdict: whatever happens to the output, whichever environment is the
target, whatever the lock selects. Run as users run lockgate: new processes, pipes, venvs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import lockgate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

INSTALLED = ("alpha==1.1.0", "beta==1.0.0", "gamma==0.5")


@pytest.fixture
def venv(make_venv):
    return make_venv(*INSTALLED)


def environment() -> dict:
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env["UV_PYTHON"] = sys.executable
    return env


def shell(script: str, cwd: Path) -> subprocess.CompletedProcess:
    """``bash -c SCRIPT`` with ``$LG`` running lockgate."""
    env = {**environment(), "LG": f"{sys.executable} -m lockgate"}
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True, cwd=cwd, env=env)


@pytest.mark.parametrize(("lock_line", "code"), [("alpha==1.1.0", 0), ("alpha==2.0.0", 1)])
def test_a_reader_that_closes_the_pipe_early_never_changes_the_verdict(tmp_path, venv, lock_line, code):
    (tmp_path / "requirements.txt").write_text(f"{lock_line}\n" + "".join(f"zz-missing-{n}==1.0 ; sys_platform == 'win32'\n" for n in range(3000)))
    for reader in ("true", "head -c 10 >/dev/null"):  # gone before the first byte; gone after ten
        result = shell(f'$LG verify --python {venv} | {reader}; echo "exit ${{PIPESTATUS[0]}}"', tmp_path)
        assert result.stdout.strip() == f"exit {code}", result.stderr
        assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr
    closed = shell(f'$LG verify --python {venv} --format json >&-; echo "exit $?"', tmp_path)
    assert closed.stdout.strip() == f"exit {code}", closed.stderr


def test_default_target_is_virtual_env_then_nearest_dot_venv_then_lockgate(tmp_path, make_venv):
    project = tmp_path / "project"
    (project / "sub").mkdir(parents=True)
    local = make_venv("alpha==1.1.0", name="project/.venv")
    (project / "requirements.txt").write_text("alpha==1.1.0\n")
    found = lockgate("verify", "-l", "../requirements.txt", "--format", "json", cwd=project / "sub")
    assert found.returncode == 0, found.stderr
    data = json.loads(found.stdout)["environment"]
    assert data["selected_by"] == "nearest .venv" and data["python"] == str(local / "bin" / "python")
    other = make_venv("alpha==2.0.0", name="other")
    active = lockgate("verify", cwd=project, env={"VIRTUAL_ENV": str(other)})
    assert active.returncode == 1 and "target: VIRTUAL_ENV" in active.stdout.splitlines()[0]
    own = lockgate("verify", "-l", str(project / "requirements.txt"), "--format", "json", cwd=tmp_path)
    assert json.loads(own.stdout)["environment"]["selected_by"] == "lockgate's interpreter"


def test_run_verifies_the_interpreter_the_command_runs(tmp_path, make_venv):
    good, drifted = make_venv("alpha==1.1.0", name="good"), make_venv("alpha==2.0.0", name="drifted")
    lock = tmp_path / "requirements.txt"
    lock.write_text("alpha==1.1.0\n")
    marker = tmp_path / "ran"
    code = f"open({str(marker)!r}, 'w').close()"
    # lockgate's own interpreter is not the target: the command's is
    refused = lockgate("run", "--verify-lockfile", str(lock), "--", str(drifted / "bin" / "python"), "-c", code)
    assert refused.returncode == 1 and not marker.exists() and "mismatched  alpha" in refused.stderr
    assert f"FAILED: {lock} vs {drifted}/bin/python (COMMAND's interpreter" in refused.stderr  # which interpreter was refused
    passed = lockgate("run", "--verify-lockfile", str(lock), "--", str(good / "bin" / "python"), "-c", code)
    assert passed.returncode == 0 and marker.exists() and f"in {good}/bin/python (COMMAND's interpreter" in passed.stderr
    # a console script: its #! line names the interpreter, found on PATH as the shell would
    script = drifted / "bin" / "bench"
    script.write_text(f"#!{drifted}/bin/python\nprint('benchmark ran')\n")
    script.chmod(0o755)
    env = {"PATH": f"{drifted / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    via_path = lockgate("run", "--verify-lockfile", str(lock), "--", "bench", env=env)
    assert via_path.returncode == 1 and "benchmark ran" not in via_path.stdout
    # --python naming another environment than the command's: exit 2 naming both
    both = lockgate("run", "--verify-lockfile", str(lock), "--python", str(good), "--", str(drifted / "bin" / "python"), "-c", code)
    assert both.returncode == 2 and str(good) in both.stderr and str(drifted) in both.stderr
    assert len(both.stderr.splitlines()) == 1


@pytest.mark.parametrize(("lock_name", "text", "hint"), [
    ("pylock.toml", 'lock-version = "1.0"\ncreated-by = "t"\ndependency-groups = ["dev"]\ndefault-groups = []\n'
                    '[[packages]]\nname = "alpha"\nversion = "1.1.0"\nmarker = "\'dev\' in dependency_groups"\n'
                    '[[packages.wheels]]\nurl = "https://example.org/alpha-1.1.0-py3-none-any.whl"\nhashes = {sha256 = "00"}\n',
     "select with --group NAME (dev)"),
    ("requirements.txt", "alpha==1.1.0 ; sys_platform == 'win32'\nbeta==1.0.0 ; python_version < '3'\n", "so nothing was verified"),
])  # fmt: skip
def test_a_lock_that_selects_nothing_for_the_target_fails(tmp_path, venv, lock_name, text, hint):
    path = tmp_path / lock_name
    path.write_text(text)
    result = lockgate("verify", "-l", str(path), "--python", str(venv))
    assert result.returncode == 1 and result.stdout == ""
    assert "selects no distribution for Python" in result.stderr and hint in result.stderr
    assert len(result.stderr.splitlines()) == 1


VERSIONS = {"alpha": ("1.0.0", "1.1.0", "2.0.0"), "beta": ("1.0.0",), "gamma": ("0.5",), "zeta": ("1.0",)}
lock_lines = st.lists(
    st.sampled_from(sorted(VERSIONS)).flatmap(lambda name: st.tuples(st.just(name), st.sampled_from(VERSIONS[name]))),
    min_size=1, max_size=4, unique_by=lambda pair: pair[0],
)  # fmt: skip


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pins=lock_lines, flags=st.sets(st.sampled_from(["--strict", "--allow-missing"])), output=st.sampled_from(["open", "closed", "file", "head", "unread"]))
def test_exit_code_equals_the_json_verdict_for_random_drift(tmp_path_factory, venv, pins, flags, output):
    folder = tmp_path_factory.mktemp("drift")
    (folder / "requirements.txt").write_text("".join(f"{name}=={version}\n" for name, version in pins))
    verdict = lockgate("verify", "--python", str(venv), "--format", "json", *flags, cwd=folder)
    passed = json.loads(verdict.stdout)["passed"]
    assert verdict.returncode == (0 if passed else 1)
    command = f"$LG verify --python {venv} {' '.join(sorted(flags))}"
    script = {"open": command, "closed": f"{command} >&-", "file": f"{command} > out.txt", "head": f"{command} | head -c 1 >/dev/null",
              "unread": f"{command} | true"}[output]
    result = shell(f'{script}; echo "exit ${{PIPESTATUS[0]}}"', folder)
    assert result.stdout.strip().splitlines()[-1] == f"exit {0 if passed else 1}", result.stderr
