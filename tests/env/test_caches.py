"""lockgate's caches (interpreter facts, marker results) save work and can never change a
verdict: a planted, stale, corrupt or unreadable entry is ignored, and --no-cache reads none."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import lockgate, run

from lockgate import cache
from lockgate.env.interpreter import probe_interpreter

LOCK = 'alpha==1.1.0 ; sys_platform == "linux"\nbeta==1.0.0 ; sys_platform == "win32"\n'


def marker_files(cache_dir) -> list:
    return sorted((cache_dir / "markers").glob("*.json"))


def test_the_cache_folder_is_platformdirs_without_importing_it(monkeypatch):
    from platformdirs import user_cache_dir

    monkeypatch.delenv("LOCKGATE_CACHE_DIR")
    for xdg in (None, "/tmp/xdg-cache", "  "):
        if xdg is None:
            monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
        else:
            monkeypatch.setenv("XDG_CACHE_HOME", xdg)
        assert cache.cache_root() == user_cache_dir("lockgate")


def test_a_marker_result_is_reused_and_then_packaging_markers_is_not_imported(tmp_path, make_venv, task_cache):
    venv = make_venv("alpha==1.1.0")
    (tmp_path / "requirements.txt").write_text(LOCK)
    command = [sys.executable, "-X", "importtime", "-m", "lockgate", "verify", "--python", str(venv)]
    environment = {**os.environ, "LOCKGATE_CACHE_DIR": str(task_cache)}
    first = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, env=environment)
    assert first.returncode == 0 and "packaging.markers" in first.stderr
    (stored,) = marker_files(task_cache)
    assert json.loads(stored.read_text())["value"] == {'requirement\nsys_platform == "linux"': True, 'requirement\nsys_platform == "win32"': False}
    second = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, env=environment)
    assert second.returncode == 0 and second.stdout == first.stdout
    imported = {line.rsplit("|", 1)[-1].strip() for line in second.stderr.splitlines() if line.startswith("import time:")}
    assert not imported & {"packaging.markers", "packaging.specifiers", "packaging.pylock", "tomli", "rich", "platformdirs", "typing"}


def test_a_planted_or_stale_marker_entry_never_turns_a_failure_into_a_pass(tmp_path, make_venv, task_cache):
    venv = make_venv("alpha==1.1.0")
    (tmp_path / "requirements.txt").write_text('alpha==2.0.0 ; sys_platform == "linux"\n')
    assert lockgate("verify", "--python", str(venv), cwd=tmp_path).returncode == 1
    (stored,) = marker_files(task_cache)
    entry = json.loads(stored.read_text())
    marker = 'requirement\nsys_platform == "linux"'
    # planted under the right name, but for another environment: its key is not the one asked for
    planted = {"key": {**entry["key"], "environment": {**entry["key"]["environment"], "sys_platform": "win32"}}, "value": {marker: False}}
    stored.write_text(json.dumps(planted))
    assert lockgate("verify", "--python", str(venv), cwd=tmp_path).returncode == 1
    for damaged in ("{not json", json.dumps({"key": entry["key"], "value": {marker: "no"}}), json.dumps([1])):
        stored.write_text(damaged)
        assert lockgate("verify", "--python", str(venv), cwd=tmp_path).returncode == 1
    # the key covers the extras and groups in play and packaging's version: an entry for
    # other ones lives under another name and is never read for these
    names = {path.name for path in marker_files(task_cache)}
    assert len(names) == 1
    stored.write_text(json.dumps({"key": entry["key"], "value": {marker: False}}))  # a wrong result under the true key
    no_cache = lockgate("verify", "--python", str(venv), "--no-cache", cwd=tmp_path)
    assert no_cache.returncode == 1 and "mismatched  alpha" in no_cache.stdout


def test_an_unwritable_cache_changes_nothing(tmp_path, make_venv, task_cache):
    venv = make_venv("alpha==1.1.0")
    (tmp_path / "requirements.txt").write_text(LOCK)
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would be")
    result = lockgate("verify", "--python", str(venv), cwd=tmp_path, env={"LOCKGATE_CACHE_DIR": str(blocked)})
    assert result.returncode == 0 and result.stderr == ""


def test_interpreter_facts_are_asked_again_when_the_interpreter_changes(tmp_path, task_cache, monkeypatch):
    python = "/usr/bin/python3"
    if not os.path.exists(python) or os.path.realpath(python) == os.path.realpath(sys.executable):
        pytest.skip("needs a second interpreter (/usr/bin/python3) to probe")
    venv = tmp_path / "venv"
    run([python, "-m", "venv", "--without-pip", str(venv)])
    calls = []
    from lockgate.env import interpreter

    real_probe = interpreter._probe
    monkeypatch.setattr(interpreter, "_probe", lambda executable: calls.append(executable) or real_probe(executable))
    executable = str(venv / "bin" / "python")
    first = probe_interpreter(executable)
    again = probe_interpreter(executable)
    assert len(calls) == 1 and again.site_dirs == first.site_dirs and again.marker_environment() == first.marker_environment()
    config = venv / "pyvenv.cfg"
    config.write_text(config.read_text().replace("include-system-site-packages = false", "include-system-site-packages = true"))
    changed = probe_interpreter(executable)
    assert len(calls) == 2 and changed.base_site_dirs and not first.base_site_dirs
    monkeypatch.setenv("LOCKGATE_NO_CACHE", "1")
    probe_interpreter(executable)
    assert len(calls) == 3


PYLOCK = """lock-version = "1.0"
created-by = "test"
requires-python = ">=3.10"

[[packages]]
name = "alpha"
version = "1.1.0"
marker = "sys_platform == 'linux'"
wheels = [{ url = "https://example.invalid/alpha-1.1.0-py3-none-any.whl", hashes = { sha256 = "00" } }]
"""


def test_a_parsed_lock_is_reused_only_while_its_bytes_and_readers_are_unchanged(tmp_path, make_venv, task_cache):
    venv = make_venv("alpha==1.1.0")
    lock = tmp_path / "pylock.toml"
    lock.write_text(PYLOCK)
    assert lockgate("verify", "--python", str(venv), cwd=tmp_path).returncode == 0
    (stored,) = sorted((task_cache / "parsed-locks").glob("*.json"))
    # the next run reads the parse from the cache: no TOML parser, no packaging.specifiers
    command = [sys.executable, "-X", "importtime", "-m", "lockgate", "verify", "--python", str(venv)]
    again = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "LOCKGATE_CACHE_DIR": str(task_cache)})
    imported = {line.rsplit("|", 1)[-1].strip() for line in again.stderr.splitlines() if line.startswith("import time:")}
    assert again.returncode == 0 and not imported & {"tomli", "packaging.specifiers", "packaging.markers"}
    lock.write_text(PYLOCK.replace('version = "1.1.0"', 'version = "2.0.0"'))  # new bytes: parsed anew
    assert lockgate("verify", "--python", str(venv), cwd=tmp_path).returncode == 1
    entry = json.loads(stored.read_text())
    entry["value"]["lockfile"]["packages"][0][1] = "1.1.0"  # a planted entry under the old key: never read for new bytes
    stored.write_text(json.dumps(entry))
    assert lockgate("verify", "--python", str(venv), cwd=tmp_path).returncode == 1
    for path in (task_cache / "parsed-locks").glob("*.json"):
        path.write_text("{broken")
    assert lockgate("verify", "--python", str(venv), cwd=tmp_path).returncode == 1


def test_a_fresh_uv_lock_verdict_is_kept_and_any_input_change_asks_uv_again(tmp_path, monkeypatch, task_cache):
    from lockgate.env.readers import uv_fresh

    project = tmp_path / "proj"
    project.mkdir()
    pyproject = project / "pyproject.toml"
    pyproject.write_text('[project]\nname = "proj"\nversion = "0.1"\nrequires-python = ">=3.10"\ndependencies = []\n'
                         '[tool.uv]\nenvironments = ["sys_platform == \'linux\'"]\n')  # fmt: skip
    (project / "uv.lock").write_text('version = 1\nrevision = 3\nrequires-python = ">=3.10"\n')
    answers = []
    monkeypatch.setattr(uv_fresh, "_ask_uv", lambda project, differs, python: answers.append(python) or verdict[0])
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    load = lambda: ({"version": 1, "package": []}, {"project": {}})  # noqa: E731 - what uv_lock would parse
    verdict = [None]

    def check() -> str | None:
        return uv_fresh.staleness(str(project), sys.executable, True, load)

    assert check() is None and check() is None and len(answers) == 1  # fresh: uv asked once, then the cache
    pyproject.write_text(pyproject.read_text() + "# an edit\n")
    assert check() is None and len(answers) == 2
    monkeypatch.setenv("UV_EXCLUDE_NEWER", "2026-01-01")
    assert check() is None and len(answers) == 3
    (project / "uv.toml").write_text("offline = true\n")
    assert check() is None and len(answers) == 4
    verdict[0] = "the lock no longer describes its project"  # a stale verdict is never kept
    (project / "uv.toml").write_text("offline = false\n")
    assert check() == verdict[0] and check() == verdict[0] and len(answers) == 6
    assert uv_fresh.staleness(str(project), sys.executable, False, load) == verdict[0] and len(answers) == 7  # a local source: never kept
