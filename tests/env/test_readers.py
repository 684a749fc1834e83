"""Lockfile readers on the real corpus and on files that exercise each rule."""

from __future__ import annotations

import os
import shutil

import pytest
from conftest import lockgate
from packaging.utils import canonicalize_name

from lockgate.env.model import DIRECTORY, URL, VCS, Selection, normalize_name
from lockgate.errors import LockgateError
from lockgate.readers import detect_format, read_lockfile

LOCKFILES = "lockfiles/"
# Corpus files that include siblings the corpus does not carry: a clean error at that line.
MISSING_INCLUDES = {
    "lockfiles/pallets__flask__requirements__dev.txt": (8, "docs.txt"),
    "lockfiles/pytorch__serve__requirements__torch_linux.txt": (3, "torch_common.txt"),
}


def corpus_lockfiles(corpus):
    names = sorted(p.relative_to(corpus).as_posix() for p in corpus.glob("*/*") if p.suffix in (".txt", ".lock", ".toml"))
    return [n for n in names if "pyproject" not in n]


def test_every_corpus_lockfile_reads_or_fails_in_one_line(corpus):
    outcomes = {}
    for name in corpus_lockfiles(corpus):
        try:
            outcomes[name] = len(read_lockfile(str(corpus / name)).packages)
        except LockgateError as error:
            assert "\n" not in str(error) and str(error).startswith(str(corpus / name)), error
            outcomes[name] = str(error)
    assert outcomes["mlpstorage/requirements.txt"] == 88
    assert outcomes["lockfiles/openai__openai-python__requirements-dev.lock"] == 120
    assert outcomes["lockfiles/Comfy-Org__comfy-cli__pylock.toml"] == 48
    assert outcomes["lockfiles/Fuyukai__h11__pylock.toml"] == 21
    assert "not a lock: requirement dlio-benchmark is not pinned" in outcomes["mlpstorage/requirements.legacy.txt"]
    for name, (line, include) in MISSING_INCLUDES.items():
        assert outcomes[name].startswith(f"{corpus / name}:{line}: included file {include!r} not found")
    assert "uv reads a uv.lock only under that name" in outcomes["lockfiles/Comfy-Org__comfy-cli__uv.lock"]
    failures = [n for n, o in outcomes.items() if isinstance(o, str)]
    assert sorted(failures) == sorted([*MISSING_INCLUDES, "mlpstorage/requirements.legacy.txt", "lockfiles/Comfy-Org__comfy-cli__uv.lock"])
    assert outcomes["mlpstorage/uv.lock"] == 95


@pytest.mark.parametrize("name", sorted(MISSING_INCLUDES))
def test_corpus_file_with_its_includes_present_reads(corpus, tmp_path, name):
    copy = tmp_path / "lock.txt"
    shutil.copy(corpus / name, copy)
    for line in copy.read_text().splitlines():
        if line.startswith("-r "):
            (tmp_path / line[3:].strip()).write_text("included-pkg==1.0\n")
    lock = read_lockfile(str(copy))
    assert any(entry.name == "included-pkg" for entry in lock.packages)


def by_name(lock, name):
    found = [entry for entry in lock.packages if entry.name == name]
    assert found, f"{name} not in lock"
    return found


def test_mlpstorage_universal_lock(corpus):
    lock = read_lockfile(str(corpus / "mlpstorage/requirements.txt"))
    (dlio,) = by_name(lock, "dlio-benchmark")
    assert dlio.source.kind == VCS
    assert dlio.source.commit == "842fb9b0bd9d26c773433b4d0805922040206b50"
    assert dlio.source.url == "https://github.com/russfellows/dlio_benchmark.git"
    (tzdata,) = by_name(lock, "tzdata")
    assert tzdata.marker == "sys_platform == 'emscripten' or sys_platform == 'win32'"
    assert tzdata.origin.endswith("requirements.txt:238")


def test_same_name_under_disjoint_markers_stays_two_entries(corpus):
    lock = read_lockfile(str(corpus / LOCKFILES / "openai__openai-python__requirements-dev.lock"))
    anyio = by_name(lock, "anyio")
    assert [(a.version, a.marker) for a in anyio] == [
        ("4.12.1", "python_full_version < '3.10'"),
        ("4.13.0", "python_full_version >= '3.10'"),
    ]
    editable = [e for e in lock.packages if e.source.kind == DIRECTORY]
    assert len(editable) == 1 and editable[0].source.editable and editable[0].name is None


def test_editable_vcs_with_egg_and_dotted_names(corpus):
    lock = read_lockfile(str(corpus / LOCKFILES / "openedx-unsupported__registrar__requirements__production.txt"))
    (tools,) = by_name(lock, "edx-api-doc-tools")
    assert tools.source.kind == VCS and tools.source.editable
    assert tools.source.commit == "77ae24cc99794c77a5d93a61170af91715680881"
    assert by_name(lock, "zope-interface") and by_name(lock, "ruamel-yaml")
    (jwt,) = by_name(lock, "pyjwt")
    assert jwt.extras == ("crypto",)


def test_httpx_editable_extras_branch_pin_and_no_final_newline(corpus):
    lock = read_lockfile(str(corpus / LOCKFILES / "encode__httpx__requirements.txt"))
    (project,) = [e for e in lock.packages if e.source.kind == DIRECTORY]
    assert project.extras == ("brotli", "cli", "http2", "socks") and project.source.editable
    (httpcore,) = by_name(lock, "httpcore")
    assert httpcore.source.requested_revision == "master" and httpcore.source.commit is None
    (uvicorn,) = by_name(lock, "uvicorn")
    assert uvicorn.version == "0.22.0"
    (coverage,) = by_name(lock, "coverage")
    assert coverage.extras == ("toml",)


def test_hash_continuations_and_find_links(corpus):
    lock = read_lockfile(str(corpus / LOCKFILES / "RedHatInsights__rhc-worker-playbook__python__requirements.txt"))
    assert lock.options["find_links"] == ["."]
    (runner,) = by_name(lock, "ansible-runner")
    assert runner.hashes == ("sha256:cdac6daa151a50084ffda710e769db23fa975fc0507796191d7708831b286e37",)
    many = read_lockfile(str(corpus / LOCKFILES / "hoel-bagard__cocotools-rs__rpycocotools__requirements__requirements-test.txt"))
    assert max(len(e.hashes) for e in many.packages) > 5


def test_url_line_with_marker_and_index_url(corpus):
    lock = read_lockfile(str(corpus / LOCKFILES / "opendatahub-io__notebooks__jupyter__minimal__ubi9-python-3.12__requirements.rocm.txt"))
    assert lock.options["index_url"].startswith("https://packages.redhat.com/")
    (pandoc,) = by_name(lock, "pandoc-rhai")
    assert pandoc.source.kind == URL and pandoc.version == "3.9.0.2"
    assert pandoc.marker.startswith("python_full_version == '3.12.*'") or pandoc.marker.startswith('python_full_version == "3.12.*"')
    assert pandoc.hashes


def test_crlf_local_versions_and_arbitrary_equality(corpus):
    rocm = read_lockfile(str(corpus / LOCKFILES / "pytorch__serve__requirements__torch_rocm62.txt"))
    assert rocm.options["index_url"] == "https://download.pytorch.org/whl/rocm6.2"
    assert all(e.version.endswith("+rocm6.2") for e in rocm.packages)
    cuda = read_lockfile(str(corpus / LOCKFILES / "pytorch__serve__requirements__cuda101.txt"))
    (vision,) = by_name(cuda, "torchvision")
    assert vision.arbitrary and vision.version == "0.8.2+cu101" and vision.expected() == "===0.8.2+cu101"


def test_pylock_files(corpus):
    comfy = read_lockfile(str(corpus / LOCKFILES / "Comfy-Org__comfy-cli__pylock.toml"))
    assert comfy.format == "pylock.toml" and comfy.options["requires_python"] == ">=3.10"
    (cli,) = by_name(comfy, "comfy-cli")
    assert cli.source.kind == DIRECTORY and cli.source.editable
    assert all(e.marker_context == "lock_file" for e in comfy.packages)
    h11 = read_lockfile(str(corpus / LOCKFILES / "Fuyukai__h11__pylock.toml"))
    assert h11.options["default_groups"] and h11.options["environments"]
    assert any("dependency_groups" in (e.marker or "") for e in h11.packages)
    assert all(e.origin.rsplit(":", 1)[1].isdigit() for e in h11.packages)


def test_uv_lock_reads_with_its_project(corpus, tmp_path):
    shutil.copy(corpus / "mlpstorage/uv.lock", tmp_path / "uv.lock")
    shutil.copy(corpus / "mlpstorage/pyproject.toml", tmp_path / "pyproject.toml")
    lock = read_lockfile(str(tmp_path / "uv.lock"))
    assert lock.format == "uv.lock" and lock.options["environments"] == ["sys_platform == 'linux'"]  # as uv.lock spells it
    (dlio,) = by_name(lock, "dlio-benchmark")
    assert dlio.source.commit == "cbe200103b05fb65f04110157a7d0dd6d6d88ead"
    (root,) = by_name(lock, "mlpstorage")
    assert root.source.kind == DIRECTORY and root.source.path == str(tmp_path)


def test_a_symlink_of_another_name_reads_as_the_file_it_points_to(corpus, tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(corpus / "mlpstorage/uv.lock", project / "uv.lock")
    shutil.copy(corpus / "mlpstorage/pyproject.toml", project / "pyproject.toml")
    (tmp_path / "current.lock").symlink_to(project / "uv.lock")
    (tmp_path / "pinned.lock").symlink_to(corpus / LOCKFILES / "Fuyukai__h11__pylock.toml")
    assert read_lockfile(str(tmp_path / "current.lock")).format == "uv.lock"
    assert read_lockfile(str(tmp_path / "pinned.lock")).format == "pylock.toml"


def test_a_link_named_uv_lock_reads_beside_its_targets_project(corpus, tmp_path):
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    project.mkdir()
    elsewhere.mkdir()
    shutil.copy(corpus / "mlpstorage/uv.lock", project / "uv.lock")
    shutil.copy(corpus / "mlpstorage/pyproject.toml", project / "pyproject.toml")
    (elsewhere / "uv.lock").symlink_to(os.path.relpath(project / "uv.lock", elsewhere))  # ln -s ../project/uv.lock uv.lock
    (elsewhere / "current.lock").symlink_to(os.path.relpath(project / "uv.lock", elsewhere))
    for name in ("uv.lock", "current.lock"):
        lock = read_lockfile(str(elsewhere / name))
        (root,) = by_name(lock, "mlpstorage")
        assert lock.format == "uv.lock" and root.source.path == str(project)


def test_uv_lock_without_its_pyproject_is_one_line_error(corpus, tmp_path):
    shutil.copy(corpus / "mlpstorage/uv.lock", tmp_path / "uv.lock")
    with pytest.raises(LockgateError, match="needs its project's pyproject.toml"):
        read_lockfile(str(tmp_path / "uv.lock"))


def test_invalid_pyproject_names_file_and_line(corpus, tmp_path):
    from lockgate._toml import load_toml

    with pytest.raises(LockgateError) as caught:
        load_toml(str(corpus / "mlpstorage/pyproject.invalid-duplicate-dependencies.toml"))
    assert str(caught.value).endswith(":23: invalid TOML: Cannot declare ('project', 'dependencies') twice")


def write(tmp_path, text, name="requirements.txt", mode="w"):
    path = tmp_path / name
    if mode == "wb":
        path.write_bytes(text)
    else:
        path.write_text(text)
    return str(path)


def test_bom_crlf_comments_and_continuations(tmp_path):
    text = "\ufeff# header\r\nalpha==1.0.0 \\\r\n    --hash=sha256:aa \\\r\n    # via beta\r\nbeta[fast]==1.0.0 ; python_version >= '3'  # trailing\r\n"
    lock = read_lockfile(write(tmp_path, text.encode("utf-8"), mode="wb"))
    alpha, beta = lock.packages
    assert (alpha.name, alpha.version, alpha.hashes, alpha.origin.rsplit(":", 1)[1]) == ("alpha", "1.0.0", ("sha256:aa",), "2")
    assert (beta.extras, beta.marker) == (("fast",), "python_version >= '3'")


def test_options_in_every_spelling(tmp_path):
    text = "-i https://a/simple\n--extra-index-url=https://b/simple\n--extra-index-url https://c/simple\n-f ./wheels\n--no-binary :all:\n--pre\nalpha==1.0.0\n"
    lock = read_lockfile(write(tmp_path, text))
    assert lock.options["index_url"] == "https://a/simple"
    assert lock.options["extra_index_urls"] == ["https://b/simple", "https://c/simple"]
    assert lock.options["find_links"] == ["./wheels"] and lock.options["no_binary"] == [":all:"] and lock.options["pre"]


def test_includes_are_relative_to_the_including_file(tmp_path):
    (tmp_path / "sub").mkdir()
    write(tmp_path, "-r more.txt\nbeta==1.0.0\n", "sub/base.txt")
    write(tmp_path, "gamma==0.5\n", "sub/more.txt")
    write(tmp_path, "-r sub/base.txt\n-c constraints.txt\nalpha==1.0.0\n")
    write(tmp_path, "alpha==1.0.0\ndelta>=1\nzeta==3.0\n", "constraints.txt")
    lock = read_lockfile(str(tmp_path / "requirements.txt"))
    names = {e.name: e for e in lock.packages}
    assert set(names) == {"gamma", "beta", "alpha", "zeta"}
    assert names["zeta"].constraint_only and not names["alpha"].constraint_only
    assert len(lock.files) == 4


def test_include_cycle_is_an_error(tmp_path):
    write(tmp_path, "-r b.txt\n", "a.txt")
    write(tmp_path, "-r a.txt\n", "b.txt")
    with pytest.raises(LockgateError, match="include cycle"):
        read_lockfile(str(tmp_path / "a.txt"))


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("alpha==1.0.0\nbeta>=1\n", "not a lock: requirement beta is not pinned", 2),
        ("alpha\n", "not a lock: requirement alpha is not pinned", 1),
        ("alpha==1.*\n", "not a lock: requirement alpha is not pinned", 1),
        ("alpha==1.0.0\nalpha==2.0.0\n", "conflicting pins for alpha: 1.0.0 at", 2),
        ("--frobnicate\n", "unknown option '--frobnicate'", 1),
        ("alpha==1.0.0 --frob\n", "unknown per-requirement option '--frob'", 1),
        ("alpha==1.0.0 junk\n", "invalid requirement", 1),
        ("-r\n", "option -r needs a value", 1),
        ("-r https://example.com/r.txt\n", "remote include", 1),
        ("./no-such-archive.tar.gz\n", "cannot tell which distribution", 1),
    ],
)
def test_bad_lines_name_file_and_line(tmp_path, text, message, line):
    path = write(tmp_path, text)
    with pytest.raises(LockgateError) as caught:
        read_lockfile(path)
    assert message in str(caught.value)
    assert str(caught.value).startswith(f"{path}:{line}: ")


def test_repeated_identical_pin_is_kept_once(tmp_path):
    lock = read_lockfile(write(tmp_path, "alpha==1.0.0\nAlpha==1.0.0\n"))
    assert [e.name for e in lock.packages] == ["alpha"]


def test_links(tmp_path):
    text = (
        "demo @ git+https://host/org/repo.git@v1.2#subdirectory=pkg\n"
        "wheelpkg @ https://host/files/wheelpkg-2.0-py3-none-any.whl#sha256=abc\n"
        "git+https://host/org/other@0123456789abcdef0123456789abcdef01234567#egg=Other_Pkg\n"
    )
    demo, wheel, other = read_lockfile(write(tmp_path, text)).packages
    assert (demo.source.kind, demo.source.requested_revision, demo.source.commit, demo.source.subdirectory) == (VCS, "v1.2", None, "pkg")
    assert (wheel.source.kind, wheel.version, wheel.hashes) == (URL, "2.0", ("sha256:abc",))
    assert (other.name, other.source.commit) == ("other-pkg", "0123456789abcdef0123456789abcdef01234567")


def test_not_utf8_and_missing_file(tmp_path):
    with pytest.raises(LockgateError, match="not UTF-8"):
        read_lockfile(write(tmp_path, b"alpha==1.0\n\xff\xfe\n", mode="wb"))
    with pytest.raises(LockgateError, match="lockfile not found: .*; create one with: lockgate generate"):
        read_lockfile(str(tmp_path / "absent.txt"))


def test_extras_asked_of_a_requirements_file_is_an_error(tmp_path):
    with pytest.raises(LockgateError, match="extras and groups are selected from pylock.toml or uv.lock"):
        read_lockfile(write(tmp_path, "alpha==1.0.0\n"), selection=Selection(("x",)))


def test_invalid_pylock_names_the_key(tmp_path):
    path = write(tmp_path, 'lock-version = "1.0"\ncreated-by = "x"\n[[packages]]\nname = "Not_Normal"\n', "pylock.toml")
    with pytest.raises(LockgateError, match=r"not a valid PEP 751 lock: .*packages\[0\]\.name"):
        read_lockfile(path)


def test_format_detection():
    assert detect_format("uv.lock") == "uv.lock"
    assert detect_format("pylock.toml") == detect_format("pylock.dev.toml") == "pylock.toml"
    assert detect_format("requirements-dev.lock") == detect_format("reqs.txt") == "requirements.txt"


def test_normalize_name_agrees_with_packaging(corpus):
    names = {"Foo_Bar", "zope.interface", "A-_.b", "ruamel.yaml.clib", "PyYAML", "x--y__z"}
    for name in corpus_lockfiles(corpus):
        try:
            names.update(e.name for e in read_lockfile(str(corpus / name)).packages if e.name)
        except LockgateError:
            pass
    assert all(normalize_name(n) == canonicalize_name(n) for n in names)


@pytest.mark.parametrize("line", ["-e ./proj ; sys_platform == 'win32'", "-e ./proj;sys_platform == 'win32'",
                                  "--editable=./proj ; sys_platform == 'win32'", "./proj;sys_platform == 'win32'"])  # fmt: skip
def test_a_marker_after_a_local_path_stays_a_marker_quotes_and_all(tmp_path, line):
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "pyproject.toml").write_text('[project]\nname = "proj"\nversion = "1"\n')
    (tmp_path / "requirements.txt").write_text(line + "\n")
    (entry,) = read_lockfile(str(tmp_path / "requirements.txt")).packages
    assert (entry.name, entry.source.path, entry.marker) == ("proj", str(tmp_path / "proj"), "sys_platform == 'win32'")
    assert entry.source.editable == line.startswith("-")


@pytest.mark.parametrize(("name", "command"), [("poetry.lock", "poetry export -f requirements.txt"), ("pdm.lock", "pdm export -f pylock"),
                                               ("Pipfile.lock", "pipenv requirements")])  # fmt: skip
def test_other_tools_locks_name_the_export_command(tmp_path, name, command):
    (tmp_path / name).write_text('[[package]]\nname = "a"\nversion = "1"\n')
    result = lockgate("verify", "-l", name, cwd=tmp_path)
    assert result.returncode == 2 and command in result.stderr and "lock format, which lockgate does not read" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_uv_lock_is_the_third_default(tmp_path):
    from lockgate.readers import find_default_lockfile

    (tmp_path / "uv.lock").write_text("version = 1\n")
    assert find_default_lockfile(str(tmp_path)).endswith("uv.lock")
    (tmp_path / "pylock.toml").write_text("")
    assert find_default_lockfile(str(tmp_path)).endswith("pylock.toml")
