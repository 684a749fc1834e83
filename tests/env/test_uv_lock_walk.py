"""uv.lock read by walking its graph: the same packages, sources, hashes and (in effect) markers
as ``uv export`` gives, on the corpus locks and on locks uv writes here; uv export still
decides what the walk cannot."""

from __future__ import annotations

import hashlib
import itertools
import re
import shutil
import sys
from pathlib import Path

import pytest
from conftest import make_project, run
from packaging.markers import Marker, default_environment
from wheelmaker import make_wheel

from lockgate.env.model import Selection
from lockgate.env.readers import uv_lock
from lockgate.env.readers.uv_lock import read_uv_lock

PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"


def environments():
    """Marker variables of 72 targets: Python 3.9-3.14 on Linux, Windows and macOS, four machines."""
    base = default_environment()
    systems = {"linux": ("Linux", "posix"), "win32": ("Windows", "nt"), "darwin": ("Darwin", "posix")}
    for python, platform, machine in itertools.product(("3.9.1", "3.10.2", "3.11.0", "3.12.4", "3.13.1", "3.14.0"), systems,
                                                       ("x86_64", "aarch64", "AMD64", "arm64")):  # fmt: skip
        system, os_name = systems[platform]
        yield {**base, "python_full_version": python, "python_version": python.rsplit(".", 1)[0], "sys_platform": platform,
               "platform_machine": machine, "platform_system": system, "os_name": os_name}  # fmt: skip


def installs(marker, environment) -> bool:
    return Marker(marker).evaluate(environment) if marker else True


def assert_same_as_uv_export(lock: Path, extras=(), groups=(), selection: Selection | None = None) -> int:
    selection = selection or Selection(extras, groups)
    walked = read_uv_lock(str(lock), selection=selection)
    assert "exported_with" not in walked.options, "the walk handed over to uv export"
    exported = uv_lock._export(str(lock), str(lock.parent), selection)

    def key(entry):
        s = entry.source
        return (entry.name, entry.version, s.kind, s.url, s.path, s.vcs, s.requested_revision, s.commit, s.subdirectory, s.editable,
                tuple(sorted(entry.hashes)))  # fmt: skip

    ours, theirs = {key(e): e for e in walked.packages}, {key(e): e for e in exported.packages}
    assert sorted(ours) == sorted(theirs)
    for environment in environments():
        differ = [k[:2] for k in ours if installs(ours[k].marker, environment) != installs(theirs[k].marker, environment)]
        assert not differ, (environment["python_full_version"], environment["sys_platform"], differ)
    assert walked.options["requires_python"] == exported.options["requires_python"]
    assert [str(Marker(m)) for m in walked.options["environments"]] == exported.options["environments"]
    return len(ours)


@pytest.mark.parametrize(("extras", "count"), [((), 95), (("full", "test"), 98), (("vectordb",), 105)])
def test_mlpstorage_lock_walks_as_uv_exports_it(corpus, tmp_path, extras, count):
    shutil.copy(corpus / "mlpstorage/uv.lock", tmp_path / "uv.lock")
    shutil.copy(corpus / "mlpstorage/pyproject.toml", tmp_path / "pyproject.toml")
    assert assert_same_as_uv_export(tmp_path / "uv.lock", extras) == count


@pytest.mark.parametrize(("extras", "count"), [((), 52), (("dev", "preview"), 74)])
def test_comfy_cli_forked_lock_walks_as_uv_exports_it(corpus, tmp_path, extras, count):
    """Two resolution forks (Python < 3.11 and >= 3.11), rpds-py locked at two versions."""
    shutil.copy(corpus / "lockfiles/Comfy-Org__comfy-cli__uv.lock", tmp_path / "uv.lock")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "comfy-cli"\nversion = "0"\nrequires-python = ">=3.10"\n')
    assert assert_same_as_uv_export(tmp_path / "uv.lock", extras) == count
    walked = read_uv_lock(str(tmp_path / "uv.lock"), selection=Selection(extras))
    if extras:
        rpds = {e.version: e.marker for e in walked.packages if e.name == "rpds-py"}
        assert rpds == {"0.30.0": "python_full_version < '3.11'", "2026.5.1": "python_full_version >= '3.11'"}
    assert walked.packages[0].origin == f"{tmp_path / 'uv.lock'}:9"  # the line of its [[package]]


@pytest.fixture(scope="module")
def wheels(tmp_path_factory) -> Path:
    """A cycle (gamma <-> delta), an extra, markers on edges and a fork (eta needs zeta 1 or 2 by Python)."""
    folder = tmp_path_factory.mktemp("walk-wheels")
    for version in ("1.0.0", "2.0.0"):
        make_wheel(folder, "alpha", version)
    make_wheel(folder, "beta", "1.0.0", extras={"fast": ("gamma",)})
    make_wheel(folder, "gamma", "0.5", requires=('delta ; python_version < "3.13"',))
    make_wheel(folder, "delta", "1.0", requires=('epsilon ; sys_platform == "win32"', "gamma"))
    make_wheel(folder, "epsilon", "0.9")
    for version in ("1.0", "2.0"):
        make_wheel(folder, "zeta", version)
    make_wheel(folder, "eta", "1.0", requires=("zeta<2 ; python_version < '3.11'", "zeta>=2 ; python_version >= '3.11'"))
    return folder


def locked_project(folder: Path, wheels: Path, uv: str, pyproject: str) -> Path:
    """``uv lock`` a project against the wheel folder, then rewrite the lock as if the wheels
    came from an HTTPS index (a local folder's wheels have no hash in uv.lock)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pyproject.toml").write_text(pyproject)
    run([uv, "lock", "-q", "--offline", "--no-index", "--find-links", str(wheels), "--python", PYTHON], cwd=folder)
    lock = folder / "uv.lock"

    def hashed(found: re.Match) -> str:
        wheel = Path(found.group(1))
        return f'    {{ url = "https://files.example/{wheel.name}", hash = "sha256:{hashlib.sha256(wheel.read_bytes()).hexdigest()}" }}'

    text = re.sub(r'^    \{ path = "([^"]+\.whl)" \}', hashed, lock.read_text(), flags=re.M)  # wheels = [...] rows only
    lock.write_text(text.replace(f'registry = "{wheels}"', 'registry = "https://pypi.example/simple"'))
    return lock


PROJECT = """[project]
name = "walked"
version = "0.1"
requires-python = ">=3.10"
dependencies = ["beta[fast]", "eta", "alpha<2 ; sys_platform == 'linux'"]
[project.optional-dependencies]
x = ["alpha"]
y = ["epsilon"]
[dependency-groups]
dev = ["zeta"]
lint = ["epsilon"]
[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"
"""


@pytest.mark.parametrize(("extras", "groups"), [((), ()), (("x",), ("lint",)), (("x", "y"), ())])
def test_extras_groups_cycles_and_forks_walk_as_uv_exports_them(tmp_path, wheels, uv, extras, groups):
    lock = locked_project(tmp_path / "walked", wheels, uv, PROJECT)
    assert assert_same_as_uv_export(lock, extras, groups) >= 7
    walked = {e.name: e for e in read_uv_lock(str(lock), selection=Selection(extras, groups)).packages}
    assert walked["epsilon"].marker == (None if extras == ("x", "y") or groups else "python_full_version < '3.13' and sys_platform == 'win32'")
    assert walked["walked"].source.editable and walked["walked"].version is None


@pytest.mark.parametrize("selection", [
    Selection(all_extras=True), Selection(default_groups=False), Selection(groups=("lint",), default_groups=False),
    Selection(groups=("lint",), only_groups=True), Selection(groups=("dev", "lint"), only_groups=True), Selection(("x",), all_extras=False),
], ids=repr)  # fmt: skip
def test_uv_selection_flags_walk_as_uv_exports_them(tmp_path, wheels, uv, selection):
    lock = locked_project(tmp_path / "walked", wheels, uv, PROJECT)
    count = assert_same_as_uv_export(lock, selection=selection)
    names = {e.name for e in read_uv_lock(str(lock), selection=selection).packages}
    assert ("walked" in names) is not selection.only_groups and count >= 1
    if selection.all_extras:
        assert {"alpha", "epsilon"} <= names


def test_virtual_project_and_its_default_groups_walk_as_uv_exports_them(tmp_path, wheels, uv):
    pyproject = """[project]
name = "virtual-one"
version = "0.1"
requires-python = ">=3.10"
dependencies = ["gamma"]
[dependency-groups]
dev = ["zeta"]
docs = ["alpha"]
[tool.uv]
package = false
default-groups = ["docs"]
"""
    lock = locked_project(tmp_path / "virtual", wheels, uv, pyproject)
    assert assert_same_as_uv_export(lock) == 4  # alpha (docs), gamma, delta, epsilon; no zeta, no project
    assert assert_same_as_uv_export(lock, groups=("dev",)) == 5


def test_git_directory_and_archive_sources_walk_as_uv_exports_them(tmp_path, wheels, uv, git_project):
    bare, _, second = git_project
    make_project(tmp_path / "beside", "beside-dir", "1.0")
    wheel = wheels / "epsilon-0.9-py3-none-any.whl"
    pyproject = f"""[project]
name = "sourced"
version = "0.1"
requires-python = ">=3.10"
dependencies = ["demo-proj @ git+file://{bare}@{second}", "beside-dir", "epsilon @ file://{wheel}"]
[tool.uv.sources]
beside-dir = {{ path = "../beside", editable = false }}
"""
    lock = locked_project(tmp_path / "sourced", wheels, uv, pyproject)
    assert assert_same_as_uv_export(lock) == 3  # no build system: the project is virtual, not installed
    walked = {e.name: e for e in read_uv_lock(str(lock)).packages}
    assert (walked["demo-proj"].source.commit, walked["demo-proj"].source.requested_revision) == (second, second)
    assert walked["beside-dir"].source.path == str(tmp_path / "beside") and not walked["beside-dir"].source.editable
    assert walked["epsilon"].source.path == str(wheel) and walked["epsilon"].hashes


def test_what_the_walk_cannot_decide_goes_to_uv_export(tmp_path, wheels, uv, corpus):
    folder = tmp_path / "local-index"
    folder.mkdir()
    (folder / "pyproject.toml").write_text(PROJECT)
    run([uv, "lock", "-q", "--offline", "--no-index", "--find-links", str(wheels), "--python", PYTHON], cwd=folder)
    local = read_uv_lock(str(folder / "uv.lock"))  # a local folder's wheels: uv export hashes them
    assert local.options["exported_with"][0] == "export"
    assert all(e.hashes for e in local.packages if e.name != "walked")

    shutil.copy(corpus / "mlpstorage/uv.lock", tmp_path / "uv.lock")
    shutil.copy(corpus / "mlpstorage/pyproject.toml", tmp_path / "pyproject.toml")
    text = (tmp_path / "uv.lock").read_text()
    for changed in (text.replace("supported-markers", 'conflicts = [[{ package = "mlpstorage", extra = "full" }, { package = "mlpstorage", extra = "test" }]]\nsupported-markers', 1),
                    text + '\n[manifest]\nmembers = ["mlpstorage", "other"]\n'):  # fmt: skip
        (tmp_path / "uv.lock").write_text(changed)
        assert "exported_with" in read_uv_lock(str(tmp_path / "uv.lock"), selection=Selection(("full",))).options


def test_an_extra_the_project_lacks_is_uv_exports_error(corpus, tmp_path):
    from lockgate.errors import LockgateError

    shutil.copy(corpus / "mlpstorage/uv.lock", tmp_path / "uv.lock")
    shutil.copy(corpus / "mlpstorage/pyproject.toml", tmp_path / "pyproject.toml")
    with pytest.raises(LockgateError, match="uv export could not read it: .*nosuch"):
        read_uv_lock(str(tmp_path / "uv.lock"), selection=Selection(("nosuch",)))
