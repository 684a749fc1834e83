"""The one-pass resolution and resolvelib's search agree: same versions, same constraints and
dependencies recorded, or both refuse — on random task graphs (hypothesis)."""

from __future__ import annotations

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from resolvelib import BaseReporter
from taskmaker import write_task

from lockgate.errors import LockgateError
from lockgate.tasks.resolve import RESOLVER_LIMIT, parse_root, resolve
from lockgate.tasks.sources import LocalSource

NAMES = [f"t{n}" for n in range(6)]
VERSIONS = ["1.0.0", "1.1.0", "2.0.0"]
CONSTRAINTS = ["^1", "^2", "*", "~1.1", "=1.0.0", ">=1.1, <3"]

task = st.tuples(
    st.sets(st.sampled_from(VERSIONS), min_size=1),
    st.lists(st.tuples(st.sampled_from(CONSTRAINTS), st.booleans()), max_size=3),
)
graph = st.lists(task, min_size=len(NAMES), max_size=len(NAMES))


def outcome(function):
    try:
        resolved = function()
    except LockgateError as error:
        if RESOLVER_LIMIT in str(error):
            return ("refused", "resolvelib's limit")
        return ("refused", "cycle" if "cycle" in str(error) else "conflict")
    return {name: (r.candidate.version, r.constraints, r.dependencies) for name, r in resolved.items()}


@settings(max_examples=int(__import__("os").environ.get("LOCKGATE_FUZZ_EXAMPLES", "60")), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shape=graph, root=st.sampled_from(CONSTRAINTS), preferred_version=st.sampled_from(VERSIONS))
def test_first_fit_equals_resolvelib(tmp_path_factory, shape, root, preferred_version):
    folder = tmp_path_factory.mktemp("graph")
    for index, (versions, deps) in enumerate(shape):
        for version in sorted(versions):
            # dependencies point forward (and sometimes back to t0: cycles happen)
            targets = [(NAMES[(index + 1 + k) % len(NAMES)] if k < 2 else NAMES[0], constraint, optional)
                       for k, (constraint, optional) in enumerate(deps)]  # fmt: skip
            write_task(folder, NAMES[index], version, [t for t in targets if t[0] != NAMES[index]])
    roots = [parse_root(f"t0@{root}")]
    preferred = {"t1": preferred_version}

    def sources():
        return [LocalSource(str(folder))]

    fast = outcome(lambda: resolve(roots, sources(), preferred))
    searched = outcome(lambda: resolve(roots, sources(), preferred, reporter=BaseReporter()))
    assume(searched != ("refused", "resolvelib's limit"))  # a graph resolvelib cannot walk: one line, exit 2 (test below)
    assert fast == searched


def test_relocking_an_unchanged_lock_resolves_nothing_and_a_changed_file_resolves_again(tmp_path, monkeypatch):
    from lockgate.tasks import locking as api
    from lockgate.tasks.config import load_tasks_config

    write_task(tmp_path / "tasks", "app", "1.0.0", deps=[("lib", "^1")])
    lib = write_task(tmp_path / "tasks", "lib", "1.0.0")
    config = lambda: load_tasks_config(str(tmp_path), lockfile=str(tmp_path / "tasks.lock.yaml"))  # noqa: E731
    assert api.lock_tasks(config(), ["app@^1"]).changed
    resolved = []
    monkeypatch.setattr(api, "resolve", lambda *a, _real=api.resolve, **k: resolved.append(1) or _real(*a, **k))
    assert not api.lock_tasks(config(), ["app@^1"]).changed and not resolved  # the verify shortcut
    lib.write_text(lib.read_text().replace("lib task", "lib, edited"))
    assert api.lock_tasks(config(), ["app@^1"]).changed and resolved


def test_a_graph_resolvelib_cannot_walk_is_one_line_not_a_traceback(tmp_path):
    """resolvelib recursed forever on this graph of optional back edges (found by the test above)."""
    shape = [({"1.1.0", "2.0.0", "1.0.0"}, [("*", True), ("*", True), (">=1.1, <3", True)]), ({"1.0.0"}, [("=1.0.0", True), (">=1.1, <3", True)]),
             ({"1.0.0"}, []), ({"1.1.0", "2.0.0", "1.0.0"}, [("*", False)]), ({"1.1.0", "1.0.0"}, [("~1.1", False), (">=1.1, <3", True)]),
             ({"1.1.0", "2.0.0", "1.0.0"}, [("~1.1", True), ("^1", False)])]  # fmt: skip
    for index, (versions, deps) in enumerate(shape):
        for version in sorted(versions):
            targets = [(NAMES[(index + 1 + k) % len(NAMES)] if k < 2 else NAMES[0], constraint, optional)
                       for k, (constraint, optional) in enumerate(deps)]  # fmt: skip
            write_task(tmp_path, NAMES[index], version, [t for t in targets if t[0] != NAMES[index]])
    searched = outcome(lambda: resolve([parse_root("t0@>=1.1, <3")], [LocalSource(str(tmp_path))], {"t1": "2.0.0"}, reporter=BaseReporter()))
    assert searched in (("refused", "resolvelib's limit"), outcome(lambda: resolve([parse_root("t0@>=1.1, <3")], [LocalSource(str(tmp_path))], {"t1": "2.0.0"})))
