"""Task sources beyond local folders: a bare git repository and an HTTP registry on 127.0.0.1,
both made in fixtures; provenance in the lock, caching, --frozen, --offline, and refusals."""

from __future__ import annotations

import http.server
import json
import shutil
import threading
import time
from pathlib import Path

import pytest
import yaml
from conftest import lockgate, run
from taskmaker import write_task

GIT = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", "-c", "init.defaultBranch=main"]


def git(work: Path, *args: str) -> str:
    return run([*GIT, "-C", str(work), *args]).stdout.strip()


@pytest.fixture
def task_repo(tmp_path):
    """``(bare, work, first, tag_commit)``: tasks under ``catalog/`` on branch main; tag v1 has
    util 1.0.0 and app 1.0.0 only, main adds util 1.1.0."""
    work = tmp_path / "work"
    catalog = work / "catalog"
    write_task(catalog, "app", "1.0.0", [("util", "^1")])
    write_task(catalog, "util", "1.0.0")
    run([*GIT, "init", "-q", str(work)])
    git(work, "add", "-A")
    git(work, "commit", "-qm", "v1")
    git(work, "tag", "v1")
    first = git(work, "rev-parse", "HEAD")
    bare = tmp_path / "tasks.git"
    run(["git", "clone", "-q", "--bare", str(work), str(bare)])
    git(work, "remote", "add", "origin", str(bare))
    return bare, work, first


def push_util(work: Path, version: str) -> str:
    write_task(work / "catalog", "util", version)
    git(work, "add", "-A")
    git(work, "commit", "-qm", f"util {version}")
    git(work, "push", "-q", "origin", "main")
    return git(work, "rev-parse", "HEAD")


def project_with(tmp_path: Path, source: str) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    (project / "lockgate.toml").write_text(f'[tasks]\nroots = ["app@^1"]\n\n[[tasks.sources]]\n{source}')
    return project


def test_git_source_locks_the_commit_and_keeps_it_until_update(tmp_path, task_repo):
    bare, work, first = task_repo
    project = project_with(tmp_path, f'type = "git"\nurl = "{bare}"\nref = "main"\nsubpath = "catalog"\n')
    assert lockgate("tasks", "lock", cwd=project).returncode == 0
    lock = yaml.safe_load((project / "tasks.lock.yaml").read_text())
    assert lock["tasks"]["util"]["source"] == {"type": "git", "url": str(bare), "ref": "main", "commit": first,
                                               "subpath": "catalog", "path": "catalog/util-1.0.0.task.yaml"}  # fmt: skip
    second = push_util(work, "1.1.0")  # the branch moves
    assert "unchanged" in lockgate("tasks", "lock", cwd=project).stdout  # no silent fetch: the pin holds
    assert lockgate("tasks", "verify", cwd=project).returncode == 0
    assert lockgate("tasks", "update", cwd=project).returncode == 0
    lock = yaml.safe_load((project / "tasks.lock.yaml").read_text())
    assert lock["tasks"]["util"]["version"] == "1.1.0" and lock["tasks"]["util"]["source"]["commit"] == second

    fetched = lockgate("tasks", "fetch", "--dest", "out", cwd=project)
    assert fetched.returncode == 0, fetched.stderr
    assert sorted(p.name for p in (project / "out").iterdir()) == ["app-1.0.0.task.yaml", "util-1.1.0.task.yaml"]
    assert lockgate("tasks", "fetch", "--offline", "--dest", "again", cwd=project).returncode == 0  # from the cached mirror


def test_tag_and_command_line_git_source(tmp_path, task_repo):
    bare, work, first = task_repo
    push_util(work, "1.1.0")
    project = tmp_path / "p"
    project.mkdir()
    result = lockgate("tasks", "lock", "app@^1", "--source-git", f"{bare}@v1#catalog", cwd=project)
    assert result.returncode == 0, result.stderr
    util = yaml.safe_load((project / "tasks.lock.yaml").read_text())["tasks"]["util"]
    assert util["version"] == "1.0.0" and util["source"]["ref"] == "v1" and util["source"]["commit"] == first


def test_a_force_pushed_away_commit_fails_frozen(tmp_path, task_repo, task_cache, monkeypatch):
    bare, work, first = task_repo
    project = project_with(tmp_path, f'type = "git"\nurl = "{bare}"\nref = "main"\nsubpath = "catalog"\n')
    assert lockgate("tasks", "lock", cwd=project).returncode == 0
    git(work, "commit", "-q", "--amend", "-m", "rewritten")  # same tree, another commit
    git(work, "push", "-q", "--force", "origin", "main")
    git(work, "tag", "-d", "v1")
    run(["git", "-C", str(bare), "tag", "-d", "v1"])
    run(["git", "-C", str(bare), "reflog", "expire", "--expire=now", "--all"])
    run(["git", "-C", str(bare), "gc", "-q", "--prune=now"])
    monkeypatch.setenv("LOCKGATE_CACHE_DIR", str(tmp_path / "new-cache"))  # another host: a fresh clone
    frozen = lockgate("tasks", "lock", "--frozen", cwd=project)
    assert frozen.returncode == 2 and f"commit {first} of {bare} is gone" in frozen.stderr
    fetch = lockgate("tasks", "fetch", cwd=project)
    assert fetch.returncode == 2 and "is gone" in fetch.stderr
    assert lockgate("tasks", "lock", cwd=project).returncode == 0  # without --frozen: relocked
    assert yaml.safe_load((project / "tasks.lock.yaml").read_text())["tasks"]["util"]["source"]["commit"] != first


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("--upload-pack=touch {marker}", "starts with '-', which git would read as an option"),
        ("{bare}@--upload-pack=touch {marker}#catalog", "is not a plain branch, tag or commit name"),
        ("ext::sh -c touch% {marker}", "remote-helper transport"),
        ("{bare}@main#../../etc", "leaves the repository"),
        ("{bare}@main#/etc", "leaves the repository"),
    ],
)
def test_unsafe_git_sources_are_refused_before_git_runs(tmp_path, task_repo, argument, message):
    bare, work, first = task_repo
    marker = tmp_path / "pwned"
    result = lockgate("tasks", "lock", "app", "--source-git", argument.format(bare=bare, marker=marker), cwd=tmp_path)
    assert result.returncode == 2 and message in result.stderr and len(result.stderr.splitlines()) == 1
    assert not marker.exists()


def test_symlinks_in_the_repository_are_refused(tmp_path, task_repo):
    bare, work, first = task_repo
    (work / "linked").symlink_to("catalog")
    (work / "catalog" / "evil.task.yaml").symlink_to("/etc/hostname")
    git(work, "add", "-A")
    git(work, "commit", "-qm", "links")
    git(work, "push", "-q", "origin", "main")
    by_folder = lockgate("tasks", "lock", "app", "--source-git", f"{bare}@main#linked", cwd=tmp_path)
    assert by_folder.returncode == 2 and "subpath 'linked' is a symlink; refused" in by_folder.stderr
    by_file = lockgate("tasks", "lock", "app", "--source-git", f"{bare}@main#catalog", cwd=tmp_path)
    assert by_file.returncode == 2 and "catalog/evil.task.yaml is a symlink" in by_file.stderr


class RegistryServer:
    """A static file server on 127.0.0.1 with a few misbehaving paths."""

    def __init__(self, root: Path):
        self.root = root
        handler = self._handler()
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.seen_auth: list[str | None] = []
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def _handler(self):
        server = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, directory=str(server.root), **kwargs)

            def do_GET(self):
                server.seen_auth.append(self.headers.get("Authorization"))
                if "/fail500/" in self.path:
                    self.send_error(500, "broken")
                elif "/slow/" in self.path:
                    time.sleep(2)
                    self.send_error(404)
                elif "/endless/" in self.path:  # 200 and bytes until the client hangs up (64 MiB at most)
                    self.send_response(200)
                    self.end_headers()
                    try:
                        for _ in range(1024):
                            self.wfile.write(b"[" * 65536)
                    except OSError:
                        pass
                elif "/trickle/" in self.path:  # one byte every 0.1 s, 10 s at most
                    self.send_response(200)
                    self.end_headers()
                    try:
                        for _ in range(100):
                            self.wfile.write(b" ")
                            self.wfile.flush()
                            time.sleep(0.1)
                    except OSError:
                        pass
                elif self.path.startswith("/private/") and self.headers.get("Authorization") != "Bearer s3cret":
                    self.send_error(401, "token required")
                else:
                    super().do_GET()

            def log_message(self, *args):
                pass

        return Handler

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def registry(tmp_path):
    """A published registry under ``/reg``, a copy under ``/private`` that wants a token."""
    tasks = tmp_path / "published-tasks"
    write_task(tasks, "app", "1.0.0", [("util", "^1")])
    write_task(tasks, "util", "1.0.0")
    write_task(tasks, "util", "1.2.0")
    root = tmp_path / "www"
    assert lockgate("tasks", "publish", str(tasks), "--registry-dir", str(root / "reg")).returncode == 0
    shutil.copytree(root / "reg", root / "private")
    server = RegistryServer(root)
    yield server
    server.close()


def edit_index(root: Path, change) -> None:
    index = root / "index.json"
    document = json.loads(index.read_text())
    change(document["tasks"])
    index.write_text(json.dumps(document))


def test_registry_publish_lock_verify_fetch_and_offline(tmp_path, registry):
    index = json.loads((registry.root / "reg" / "index.json").read_text())
    assert index["schema"] == "lockgate.registry/1"
    assert index["tasks"]["util"]["1.2.0"]["url"] == "tasks/util/util-1.2.0.task.yaml" and len(index["tasks"]["util"]["1.2.0"]["sha256"]) == 64
    project = project_with(tmp_path, f'type = "registry"\nurl = "{registry.url}/reg"\n')
    result = lockgate("tasks", "lock", cwd=project)
    assert result.returncode == 0, result.stderr
    util = yaml.safe_load((project / "tasks.lock.yaml").read_text())["tasks"]["util"]
    assert util["version"] == "1.2.0"
    assert util["source"] == {"type": "registry", "url": f"{registry.url}/reg/", "file": "tasks/util/util-1.2.0.task.yaml",
                              "sha256": index["tasks"]["util"]["1.2.0"]["sha256"]}  # fmt: skip
    assert lockgate("tasks", "verify", cwd=project).returncode == 0
    registry.close()  # from here on, only the cache
    offline = lockgate("tasks", "fetch", "--offline", "--dest", "out", cwd=project)
    assert offline.returncode == 0, offline.stderr
    assert (project / "out" / "util-1.2.0.task.yaml").read_bytes() == (tmp_path / "published-tasks" / "util-1.2.0.task.yaml").read_bytes()
    assert lockgate("tasks", "lock", "--offline", cwd=project).returncode == 0


def test_a_tampered_file_is_an_error_naming_its_url(tmp_path, registry):
    (registry.root / "reg" / "tasks" / "util" / "util-1.2.0.task.yaml").write_text("tampered: true\n")
    project = project_with(tmp_path, f'type = "registry"\nurl = "{registry.url}/reg"\n')
    result = lockgate("tasks", "lock", cwd=project)
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1
    assert f"{registry.url}/reg/tasks/util/util-1.2.0.task.yaml: sha256 " in result.stderr and "refused" in result.stderr
    assert not (project / "tasks.lock.yaml").exists()


@pytest.mark.parametrize(
    ("change", "config", "message"),
    [
        (lambda t: t["util"]["1.2.0"].update(url="tasks/util/missing.task.yaml"), "", "tasks/util/missing.task.yaml: HTTP 404"),
        (lambda t: t["util"]["1.2.0"].update(url="fail500/util.task.yaml"), "", "fail500/util.task.yaml: HTTP 500"),
        (lambda t: t["util"]["1.2.0"].update(url="slow/util.task.yaml"), "timeout = 0.5\n", "slow/util.task.yaml: no answer within 0.5 s"),
        (lambda t: t["util"]["1.2.0"].update(url="http://198.51.100.7/util.task.yaml"), "", "points outside the registry"),
        (lambda t: t["util"]["1.2.0"].update(url="../private/tasks/util/util-1.2.0.task.yaml"), "", "points outside the registry"),
        (lambda t: t["util"]["1.2.0"].update(sha256="0" * 64), "", "is not the 0000"),
    ],
)
def test_registry_failures_are_one_line_errors(tmp_path, registry, change, config, message):
    edit_index(registry.root / "reg", change)
    project = project_with(tmp_path, f'type = "registry"\nurl = "{registry.url}/reg"\n{config}')
    result = lockgate("tasks", "lock", cwd=project)
    assert result.returncode == 2 and message in result.stderr and len(result.stderr.splitlines()) == 1, result.stderr


def test_bearer_token_from_the_environment_never_in_the_lock(tmp_path, registry):
    project = project_with(tmp_path, f'type = "registry"\nurl = "{registry.url}/private"\ntoken_env = "LOCKGATE_TASKS_TOKEN"\n')
    missing = lockgate("tasks", "lock", cwd=project)
    assert missing.returncode == 2 and "needs a token in $LOCKGATE_TASKS_TOKEN" in missing.stderr
    result = lockgate("tasks", "lock", cwd=project, env={"LOCKGATE_TASKS_TOKEN": "s3cret"})
    assert result.returncode == 0, result.stderr
    assert "Bearer s3cret" in registry.seen_auth
    assert "s3cret" not in (project / "tasks.lock.yaml").read_text()
    wrong = lockgate("tasks", "lock", "--lockfile", "other.yaml", cwd=project, env={"LOCKGATE_TASKS_TOKEN": "nope"})
    assert wrong.returncode == 2 and "HTTP 401" in wrong.stderr and "nope" not in wrong.stderr


def test_outdated_lists_allowed_and_latest(tmp_path):
    tasks = tmp_path / "tasks"
    write_task(tasks, "app", "1.0.0", [("util", "~1.0")])
    write_task(tasks, "util", "1.0.0")
    assert lockgate("tasks", "lock", "app@^1", cwd=tmp_path).returncode == 0
    write_task(tasks, "util", "1.0.3")
    write_task(tasks, "util", "2.0.0")
    result = lockgate("tasks", "outdated", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.splitlines() == ["task  locked  allowed  latest  update", "app   1.0.0   1.0.0    1.0.0   none",
                                          "util  1.0.0   1.0.3    2.0.0   major!"]  # fmt: skip
    rows = {row["name"]: row for row in json.loads(lockgate("tasks", "outdated", "--format", "json", cwd=tmp_path).stdout)["tasks"]}
    assert rows["util"] == {"name": "util", "locked": "1.0.0", "compatible": "1.0.3", "latest": "2.0.0", "update": "major", "breaking": True}
    assert rows["app"]["update"] == "none" and rows["app"]["breaking"] is False


def test_outdated_never_shows_a_latest_older_than_a_locked_pre_release(tmp_path):
    tasks = tmp_path / "tasks"
    write_task(tasks, "util", "1.4.0")
    write_task(tasks, "util", "2.0.0-beta.1")
    assert lockgate("tasks", "lock", "util@^2.0.0-beta.1", cwd=tmp_path).returncode == 0
    (row,) = json.loads(lockgate("tasks", "outdated", "--format", "json", cwd=tmp_path).stdout)["tasks"]
    assert (row["locked"], row["latest"], row["update"]) == ("2.0.0-beta.1", "2.0.0-beta.1", "none")


def test_custom_lock_metadata_survives_a_relock(tmp_path):
    tasks = tmp_path / "tasks"
    write_task(tasks, "util", "1.0.0")
    assert lockgate("tasks", "lock", "util@^1", cwd=tmp_path).returncode == 0
    lock = tmp_path / "tasks.lock.yaml"
    data = yaml.safe_load(lock.read_text())
    data["metadata"]["source_workflow"] = "examples/workflow.yaml"  # periplon writes this
    lock.write_text(yaml.safe_dump(data, sort_keys=False))
    write_task(tasks, "util", "1.1.0")
    assert lockgate("tasks", "update", cwd=tmp_path).returncode == 0
    relocked = yaml.safe_load(lock.read_text())
    assert relocked["tasks"]["util"]["version"] == "1.1.0"
    assert relocked["metadata"] == {"source_workflow": "examples/workflow.yaml", "task_count": 1}


@pytest.mark.parametrize(
    ("argument", "parsed"),
    [
        ("https://user@example.org/tasks.git@v2#catalog", ("https://user@example.org/tasks.git", "v2", "catalog")),
        ("git@example.org:org/tasks.git@main", ("git@example.org:org/tasks.git", "main", "")),
        ("git@example.org:org/tasks.git#sub/dir", ("git@example.org:org/tasks.git", None, "sub/dir")),
        ("/srv/tasks.git", ("/srv/tasks.git", None, "")),
    ],
)
def test_source_git_argument(argument, parsed):
    from lockgate.tasks.git_source import parse_git_argument

    assert parse_git_argument(argument) == parsed


def test_a_lock_made_with_source_git_verifies_without_repeating_the_flag(tmp_path, task_repo):
    bare, _, _ = task_repo
    project = tmp_path / "project"
    project.mkdir()
    made = lockgate("tasks", "lock", "app@^1", "--source-git", f"{bare}@main#catalog", cwd=project)
    assert made.returncode == 0, made.stderr
    for command in (["verify"], ["status"], ["lock"], ["tree"]):
        result = lockgate("tasks", *command, cwd=project)
        assert result.returncode == 0, (command, result.stdout, result.stderr)
    assert "unchanged" in lockgate("tasks", "lock", cwd=project).stdout


def test_an_endless_index_stops_at_the_size_limit_and_is_never_cached(tmp_path, registry, task_cache):
    project = project_with(tmp_path, f'type = "registry"\nurl = "{registry.url}/endless"\nmax_index_bytes = 100000\n')
    result = lockgate("tasks", "lock", cwd=project)
    assert result.returncode == 2 and "more than the limit of 100,000 bytes; refused" in result.stderr
    assert not list(task_cache.rglob("index.json"))


def test_a_trickling_server_meets_the_deadline_for_the_whole_response(tmp_path, registry):
    project = project_with(tmp_path, f'type = "registry"\nurl = "{registry.url}/trickle"\ntimeout = 1\n')
    started = time.monotonic()
    result = lockgate("tasks", "lock", cwd=project)
    assert result.returncode == 2 and "answer within 1 s" in result.stderr
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("reference", ["%2e%2e/%2e%2e/secret.task.yaml", "tasks/..%2f..%2fsecret.task.yaml", "tasks/%2E%2E/%2e%2e/x.yaml"])
def test_percent_encoded_escapes_are_refused(tmp_path, registry, reference):
    edit_index(registry.root / "reg", lambda tasks: tasks["util"]["1.2.0"].update(url=reference))
    project = project_with(tmp_path, f'type = "registry"\nurl = "{registry.url}/reg"\n')
    result = lockgate("tasks", "lock", cwd=project)
    assert result.returncode == 2 and "points outside the registry" in result.stderr


def test_credentials_in_a_registry_url_are_never_printed(tmp_path, registry):
    url = registry.url.replace("http://", "http://alice:pa55word@")
    project = project_with(tmp_path, f'type = "registry"\nurl = "{url}/fail500"\n')
    result = lockgate("tasks", "lock", cwd=project)
    assert result.returncode == 2 and "HTTP 500" in result.stderr
    assert "pa55word" not in result.stderr and "alice" not in result.stderr


def test_a_project_cannot_name_any_secret_as_its_token(tmp_path, registry):
    project = project_with(tmp_path, f'type = "registry"\nurl = "{registry.url}/reg"\ntoken_env = "GITHUB_TOKEN"\n')
    result = lockgate("tasks", "lock", cwd=project, env={"GITHUB_TOKEN": "ghp_secret"})
    assert result.returncode == 2 and "LOCKGATE_*" in result.stderr
    assert not any(registry.seen_auth) and "ghp_secret" not in result.stderr


def test_a_git_remote_that_never_answers_meets_the_deadline(tmp_path):
    import socket

    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(20)  # accepts one connection, then says nothing; gone within 20 s
    port = listener.getsockname()[1]
    held = []
    thread = threading.Thread(target=lambda: held.append(listener.accept()), daemon=True)
    thread.start()
    try:
        started = time.monotonic()
        result = lockgate("tasks", "lock", "app@^1", "--source-git", f"git://127.0.0.1:{port}/tasks.git", "--timeout", "2", cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        assert "git clone gave no answer within 2 s" in result.stderr and len(result.stderr.splitlines()) == 1
        assert time.monotonic() - started < 10
    finally:
        listener.close()
        for connection, _ in held:
            connection.close()


def test_periplons_task_sources_file_is_read_when_lockgate_names_no_sources(tmp_path, task_repo):
    bare, _, first = task_repo
    project = tmp_path / "project"
    write_task(project / "mine", "app", "1.0.0", [("util", "^1")])
    write_task(project / "off", "app", "9.0.0")  # in a disabled source: never seen
    (project / ".claude").mkdir()
    (project / ".claude" / "task-sources.yaml").write_text(
        "sources:\n"
        "  - {type: local, name: mine, path: ./mine, priority: 10}\n"
        "  - {type: local, name: off, path: ./off, priority: 20, enabled: false}\n"
        f"  - {{type: git, name: shared, url: '{bare}', branch: main, priority: 5, trusted: true, update_policy: daily}}\n"
    )
    home = tmp_path / "home"  # no user-level file
    result = lockgate("tasks", "lock", "app@*", cwd=project, env={"HOME": str(home)})
    assert result.returncode == 0, result.stderr
    lock = yaml.safe_load((project / ".claude" / "tasks.lock.yaml").read_text())  # periplon's place in a .claude project
    assert lock["tasks"]["app"]["version"] == "1.0.0" and lock["tasks"]["app"]["source"]["path"] == "../mine/app-1.0.0.task.yaml"  # relative to the lock
    assert lock["tasks"]["util"]["source"]["type"] == "git" and lock["tasks"]["util"]["source"]["ref"] == "main"
    assert "sources[2].trusted has no meaning for lockgate; ignored" in result.stderr
    (project / ".claude" / "task-sources.yaml").write_text("sources:\n  - {type: s3, name: x, priority: 1}\n")
    bad = lockgate("tasks", "lock", "app@*", cwd=project, env={"HOME": str(home)})
    assert bad.returncode == 2 and "task-sources.yaml: sources[0].type: 's3' is not a source type" in bad.stderr


def test_a_configured_source_path_expands_variables_and_an_unknown_key_is_warned_about(tmp_path):
    write_task(tmp_path / "shared" / "catalog", "app", "1.0.0")
    project = tmp_path / "project"
    project.mkdir()
    (project / "lockgate.toml").write_text('[[tasks.sources]]\ntype = "local"\npath = "$CATALOG/catalog"\ncolour = "red"\n')
    result = lockgate("tasks", "lock", "app@^1", cwd=project, env={"CATALOG": str(tmp_path / "shared")})
    assert result.returncode == 0, result.stderr
    assert "tasks.sources[0].colour is not a key of a local source; ignored" in result.stderr


def test_credentials_in_a_source_url_never_reach_the_lock_and_are_read_back_from_the_configuration(tmp_path, registry):
    url = registry.url.replace("http://", "http://alice:pa55word@")
    project = project_with(tmp_path, f'type = "registry"\nurl = "{url}/reg"\n')
    assert lockgate("tasks", "lock", cwd=project).returncode == 0
    text = (project / "tasks.lock.yaml").read_text()
    assert "pa55word" not in text and "alice" not in text and f"url: {registry.url}/reg/" in text
    registry.seen_auth.clear()
    fresh_cache = {"LOCKGATE_CACHE_DIR": str(tmp_path / "other-cache")}  # another machine: every file downloaded again
    verify = lockgate("tasks", "verify", cwd=project, env=fresh_cache)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert registry.seen_auth and all((auth or "").startswith("Basic ") for auth in registry.seen_auth)  # lockgate.toml's credentials
    given = tmp_path / "given"
    given.mkdir()
    assert lockgate("tasks", "lock", "app@^1", "--source-registry", f"{url}/reg", cwd=given).returncode == 0
    assert "pa55word" not in (given / "tasks.lock.yaml").read_text()
    assert lockgate("tasks", "verify", "--source-registry", f"{url}/reg", cwd=given, env=fresh_cache).returncode == 0
