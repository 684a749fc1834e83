"""Hostile and broken input: every reader answers with data or one LockgateError, never another
exception, a hang or unbounded work. Fuzzed from the real corpus files, bounded to stay fast."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import CORPUS, lockgate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lockgate.errors import LockgateError

FUZZ = settings(max_examples=int(__import__("os").environ.get("LOCKGATE_FUZZ_EXAMPLES", "40")), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def mutated(original: bytes):
    """Strategies for a damaged copy: bytes flipped, cut short, text spliced in (YAML/TOML/JSON
    punctuation, deep nesting, huge numbers, NUL, surrogates)."""
    splices = st.sampled_from([b"[" * 300, b"{" * 300, b"\x00", b"\xff\xfe", b"9" * 400, b"&a [*a]", b"!!float abc", b"!!timestamp x",
                               b"\\ud800", b" " * 5000 + b"#", b"==", b";", b"@", b"-e ", b"--hash=sha256:", b"\r\n", b"\"\"\"", b"'''"])  # fmt: skip

    def apply(edits):
        data = bytearray(original)
        for position, splice, cut in edits:
            at = position % (len(data) + 1)
            data[at:at + cut] = splice
        return bytes(data)

    edit = st.tuples(st.integers(min_value=0, max_value=10**6), splices | st.binary(max_size=20), st.integers(min_value=0, max_value=40))
    return st.lists(edit, min_size=1, max_size=4).map(apply)


def read_lock(path: str) -> object:
    from lockgate.readers import read_lockfile

    return read_lockfile(path)


def read_task(path: str) -> object:
    from lockgate.tasks.definition import load_task

    return load_task(path)


def read_tasks_lock(path: str) -> object:
    from lockgate.tasks.lockfile import read_task_lock

    return read_task_lock(path)


READERS = [
    ("lockfiles/RedHatInsights__rhc-worker-playbook__python__requirements.txt", "requirements.txt", read_lock),
    ("lockfiles/Fuyukai__h11__pylock.toml", "pylock.toml", read_lock),
    ("periplon/google-drive-upload.task.yaml", "x.task.yaml", read_task),
    ("periplon/doc-example.tasks.lock.yaml", "tasks.lock.yaml", read_tasks_lock),
]


@pytest.mark.parametrize(("original", "name", "read"), READERS)
@FUZZ
@given(data=st.data())
def test_reader_answers_damaged_corpus_files_with_data_or_one_line(tmp_path_factory, original, name, read, data):
    path = tmp_path_factory.mktemp("fuzz") / name
    path.write_bytes(data.draw(mutated((CORPUS / original).read_bytes())))
    try:
        read(str(path))
    except LockgateError as error:
        assert "\n" not in str(error)


@FUZZ
@given(data=mutated(b'[verify]\nskip = ["pip"]\n[tasks]\nroots = ["app@^1"]\n[[tasks.sources]]\ntype = "git"\nurl = "https://example.org/t.git"\n'))
def test_configuration_reader(tmp_path_factory, data):
    from lockgate.config import configured_skip
    from lockgate.tasks.config import load_tasks_config

    folder = tmp_path_factory.mktemp("c")
    (folder / "lockgate.toml").write_bytes(data)
    for read in (configured_skip, load_tasks_config):
        try:
            read(str(folder))
        except LockgateError as error:
            assert "\n" not in str(error)


@FUZZ
@given(data=mutated(json.dumps({"schema": "lockgate.registry/1", "tasks": {"a": {"1.0.0": {"url": "tasks/a.yaml", "sha256": "0" * 64}}}}).encode()))
def test_registry_index_reader(data):
    from lockgate.tasks.registry_source import _check_index

    try:
        _check_index(data, "https://r.example/index.json")
    except LockgateError as error:
        assert "\n" not in str(error)


@pytest.mark.parametrize(("files", "args", "message"), [
    ({"lockgate.toml": "verify = 1\n", "requirements.txt": "a==1\n"}, ["verify"], "lockgate.toml: verify: must be a table"),
    ({"pyproject.toml": 'project = "x"\n'}, ["generate", "--no-index"], "pyproject.toml: project: must be a table"),
    ({"pyproject.toml": '[project]\nname = "a"\nversion = "1"\n[tool]\nuv = 1\n'}, ["generate", "--no-index"], "pyproject.toml: tool.uv: must be a table"),
    ({"pylock.toml": "a = " + "[" * 2000 + "]" * 2000 + "\n"}, ["verify", "-l", "pylock.toml"], "pylock.toml: invalid TOML: nested too deeply"),
    ({"tasks.lock.yaml": 'version: "1.1.0"\nroots: true\ntasks: {}\n'}, ["tasks", "verify"], "tasks.lock.yaml: roots: must be a list of strings"),
    ({"tasks.lock.yaml": 'version: "1.1.0"\ntasks:\n  a: {version: "1.0.0", dependencies: [x]}\n'}, ["tasks", "verify"], "tasks.a.dependencies: must be a table"),
    ({"x.task.yaml": "a: &a [*a]\n"}, ["tasks", "lock", "x@*", "--source", "."], "the YAML refers to itself"),
    ({"tasks/x.task.yaml": "x: !!timestamp abc\n"}, ["tasks", "lock", "x@*"], "a !!timestamp value is not a date"),
    ({"requirements.txt": "a==1 ; " + "(" * 500 + "python_version > '3'" + ")" * 500 + "\n"}, ["verify"], "requirements.txt:1: invalid marker"),
    ({"lockgate.toml": '[[tasks.sources]]\ntype = "registry"\nurl = "http://127.0.0.1:1/\\u0000x"\n'}, ["tasks", "lock", "a@1"],
     "tasks.sources[0].url: must be text without control characters"),
    ({"lockgate.toml": '[[tasks.sources]]\ntype = "registry"\nurl = "http://127.0.0.1:1/"\ntimeout = 1e400\n'}, ["tasks", "lock", "a@1"],
     "tasks.sources[0].timeout: must be a number of seconds above 0, at most 86400"),
])  # fmt: skip
def test_wrong_shapes_are_one_line_naming_file_and_field(tmp_path, files, args, message):
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    result = lockgate(*args, cwd=tmp_path)
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert len(result.stderr.splitlines()) == 1 and "unexpected" not in result.stderr


def test_long_runs_of_spaces_are_read_in_linear_time(tmp_path):
    lock = tmp_path / "requirements.txt"
    lock.write_text("alpha==1.1.0" + " " * 100_000 + "# note\n" + "beta==1.0" + " " * 100_000 + "x\n")
    result = subprocess.run([sys.executable, "-m", "lockgate", "verify", "-l", str(lock)], capture_output=True, text=True, timeout=20)
    assert result.returncode == 2 and "invalid requirement 'beta==1.0 x'" in result.stderr


def test_an_alias_bomb_is_refused_at_once(tmp_path):
    bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{','.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8))  # fmt: skip
    (tmp_path / "tasks").mkdir()
    (tmp_path / "tasks" / "bomb.task.yaml").write_text(bomb)
    result = subprocess.run([sys.executable, "-m", "lockgate", "tasks", "lock", "x@*"], cwd=tmp_path, capture_output=True, text=True, timeout=20)
    assert result.returncode == 2 and "more than 1,000,000 nodes once aliases are expanded" in result.stderr
