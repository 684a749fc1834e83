"""Task definitions from a git repository, read from a cached mirror at one exact commit.

The repository is cloned once (``git clone --mirror``) into the cache
(:func:`lockgate.tasks.cache.cache_dir`) and fetched only when asked (``lockgate tasks
update``), never silently. Task files are read from git's object database at the commit
(``ls-tree`` + ``cat-file``), so nothing is checked out and a symlink can never lead outside
the repository: symlinked task files and subpaths are refused.

Refused before git ever runs: URLs and refs that git would read as options (leading ``-``),
remote-helper transports (``ext::sh -c …`` and any other ``transport::address``), and
subpaths that are absolute or contain ``..``. Git itself is also limited to the file, git,
http, https and ssh transports (``GIT_ALLOW_PROTOCOL``).
"""

from __future__ import annotations

import os
import re

from ..errors import LockgateError
from .definition import GROUP_SUFFIX, TASK_SUFFIX, TaskDefinition, parse_found
from .sources import TaskSource

TYPE_CHECKING = False
if TYPE_CHECKING:
    from subprocess import CompletedProcess

    from .source_record import GitRecord

GIT = "git"
_SAFE_REF = re.compile(r"^[A-Za-z0-9._/+-]+$")
GIT_TIMEOUT = 120.0  # seconds one git command may take; tasks --timeout changes it
_ENVIRONMENT = {"GIT_ALLOW_PROTOCOL": "file:git:http:https:ssh", "GIT_TERMINAL_PROMPT": "0"}


class CommitGoneError(LockgateError):
    """The commit a lock pins is no longer in the repository (force-pushed away)."""


class GitSource(TaskSource):
    """Task files under ``subpath`` of ``url`` at ``ref`` (or at a pinned commit).

    Args:
        url: the repository (https, ssh, ``git@host:path``, or a local path / file URL).
        ref: branch, tag or commit; None is the repository's default branch.
        subpath: folder inside the repository ('' for the root).
        priority: higher is searched first.
        commit: the commit to read instead of ``ref``'s tip (the lock's, so relocking keeps it).
        frozen: a pinned commit that is gone is an error (else the ref's tip is read instead).
        fetch: fetch the mirror before use (``tasks update``).
        offline: never contact the remote; only the cache.
        timeout: seconds each git command may take (None: :data:`GIT_TIMEOUT`).
        only: the task names it answers for (a repository only a lock names: the tasks locked
            from it), None for every name; any other name is not looked up here.

    Raises:
        LockgateError: an unsafe URL, ref or subpath (before any git command runs).
    """

    kind = GIT

    def __init__(self, url: str, ref: str | None = None, subpath: str = "", priority: int = 0, *,
                 commit: str | None = None, frozen: bool = False, fetch: bool = False, offline: bool = False,
                 timeout: float | None = None, only: frozenset[str] | None = None):  # fmt: skip
        self.url = check_url(url)
        self.only = only
        self.ref = check_ref(ref) if ref else None
        self.subpath = check_subpath(subpath or "")
        self.priority = priority
        self.pinned = check_ref(commit) if commit else None
        self.frozen = frozen
        self.fetch = fetch
        self.offline = offline
        self.timeout = timeout or GIT_TIMEOUT
        self._commit: str | None = None
        self._index: dict[str, dict[str, TaskDefinition]] | None = None
        self._paths: dict[str, str] = {}

    def at_commit(self, commit: str) -> GitSource:
        """The same source reading ``commit`` (a lock's pin) instead of ``ref``'s tip: a new
        source, nothing read yet."""
        return GitSource(self.url, self.ref, self.subpath, self.priority, commit=commit, frozen=self.frozen, fetch=self.fetch,
                         offline=self.offline, timeout=self.timeout, only=self.only)  # fmt: skip

    def _git(self, arguments: list[str], repository: str | None, *, check: bool = True) -> CompletedProcess[str]:
        return run_git(arguments, repository, check=check, timeout=self.timeout)

    def describe(self) -> str:
        where = f"#{self.subpath}" if self.subpath else ""
        return f"git {self.url}@{self.ref or 'HEAD'}{where}"

    def commit(self) -> str:
        """The commit read: the pinned one (which must still exist), else ``ref``'s tip."""
        if self._commit is None:
            mirror = self.mirror()
            present = self.pinned and self._git(["cat-file", "-e", f"{self.pinned}^{{commit}}"], mirror, check=False).returncode == 0
            if self.pinned and not present and self.frozen:
                raise CommitGoneError(f"commit {self.pinned} of {self.url} is gone (force-pushed away?); "
                                    "run lockgate tasks lock without --frozen to lock the current one")  # fmt: skip
            if present:
                self._commit = self.pinned
            else:
                wanted = f"{self.ref or 'HEAD'}^{{commit}}"
                found = self._git(["rev-parse", "--verify", "--quiet", "--end-of-options", wanted], mirror, check=False)
                if found.returncode != 0:
                    raise LockgateError(f"{self.url} has no ref {self.ref!r}; run lockgate tasks update if it is new")
                self._commit = found.stdout.strip()
        return str(self._commit)

    def mirror(self) -> str:
        """The cached mirror, cloned on first use and fetched when ``fetch`` was asked."""
        from .cache import cache_dir, key

        folder = os.path.join(cache_dir("git"), key(self.url))
        if not os.path.isdir(folder):
            if self.offline:
                raise LockgateError(f"{self.url} is not in the cache and --offline forbids fetching it")
            self._git(["clone", "--mirror", "--quiet", "--", self.url, folder], None)
        elif self.fetch and not self.offline:
            self._git(["remote", "update", "--prune"], folder)
        return folder

    def index(self) -> dict[str, dict[str, TaskDefinition]]:
        """name -> version -> definition of every ``*.task.yaml`` under the subpath at the commit."""
        if self._index is None:
            self._index = {}
            commit, mirror = self.commit(), self.mirror()
            for path, blob in self._task_blobs(mirror, commit):
                text = self._git(["cat-file", "blob", blob], mirror).stdout
                task = parse_found(text, f"{self.url}@{commit[:12]}:{path}")
                if task is None:
                    continue
                versions = self._index.setdefault(task.name, {})
                if task.version in versions:
                    raise LockgateError(f"{task.key} is defined twice in {self.describe()}: {self._paths[task.key]} and {path}")
                versions[task.version] = task
                self._paths[task.key] = path
        return self._index

    def _task_blobs(self, mirror: str, commit: str) -> list[tuple[str, str]]:
        """``(path, blob id)`` of the task files under the subpath; symlinks refused."""
        if self.subpath:
            entry = self._git(["ls-tree", "-z", "--end-of-options", commit, self.subpath.rstrip("/")], mirror).stdout.strip("\0")
            if not entry:
                raise LockgateError(f"{self.describe()}: no folder {self.subpath!r} at commit {commit[:12]}")
            if entry.startswith("120000 "):
                raise LockgateError(f"{self.describe()}: subpath {self.subpath!r} is a symlink; refused")
        listing = self._git(["ls-tree", "-r", "-z", "--end-of-options", commit, *([self.subpath] if self.subpath else [])], mirror).stdout
        found = []
        for line in filter(None, listing.split("\0")):
            meta, path = line.split("\t", 1)
            mode, kind, blob = meta.split()
            if not path.endswith((TASK_SUFFIX, GROUP_SUFFIX)) or kind != "blob":
                continue
            if mode == "120000":
                raise LockgateError(f"{self.describe()}: {path} is a symlink; task files must be regular files")
            found.append((path, blob))
        return sorted(found)

    def versions(self, name: str) -> list[str]:
        if self.only is not None and name not in self.only:
            return []
        return list(self.index().get(name, {}))

    def definition(self, name: str, version: str) -> TaskDefinition:
        return self.index()[name][version]

    def lock_source(self, definition: TaskDefinition, lock_dir: str) -> GitRecord:
        from ..urls import without_credentials
        from .source_record import GitRecord

        return GitRecord({"url": without_credentials(self.url), "ref": self.ref or "HEAD", "commit": self.commit(), "subpath": self.subpath,
                          "path": self._paths[definition.key]})  # fmt: skip

    def version_tags(self) -> list[GitSource]:
        """When ``ref`` is a version tag (``v2.1.0``, ``2.1.0``): a source for every version tag of
        the (cached) repository, same subpath, each read at its tag (``tasks outdated``: a git
        source pinned to a tag has newer versions only in newer tags). Else none."""
        from .constraints import version_key

        if not self.ref or not _is_version_tag(self.ref):
            return []
        listing = self._git(["for-each-ref", "--format=%(refname:strip=2)", "refs/tags"], self.mirror()).stdout.split()
        tags = sorted((tag for tag in listing if _is_version_tag(tag) and tag != self.ref), key=lambda tag: version_key(tag.removeprefix("v")))
        return [GitSource(self.url, tag, self.subpath, self.priority, offline=True, timeout=self.timeout) for tag in tags]

    def has(self, ref: str) -> bool:
        """True when a branch or tag of the cached mirror is ``ref`` or contains it (a commit
        only its old objects hold was force-pushed away)."""
        found = self._git(["for-each-ref", "--count=1", f"--contains={check_ref(ref)}"], self.mirror(), check=False)
        return found.returncode == 0 and bool(found.stdout.strip())

    def path_of(self, key: str) -> str:
        """The file of ``name@version`` at the commit.

        Raises:
            LockgateError: no file there defines it.
        """
        self.index()
        if key not in self._paths:
            raise LockgateError(f"{self.describe()} has no {key} at commit {self.commit()[:12]}")
        return self._paths[key]

    def read(self, path: str) -> str:
        """The text of ``path`` at the commit (for fetch and verify)."""
        found = self._git(["cat-file", "blob", "--end-of-options", f"{self.commit()}:{path}"], self.mirror(), check=False)
        if found.returncode != 0:
            raise LockgateError(f"{self.url}@{self.commit()[:12]} has no {path}")
        return found.stdout


def _is_version_tag(ref: str) -> bool:
    """``v1.2.3`` or ``1.2.3`` (a pre-release too): a tag that names a release."""
    import re

    return re.fullmatch(r"v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?", ref) is not None


def parse_git_argument(text: str) -> tuple[str, str | None, str]:
    """``URL[@REF][#SUBPATH]`` (``--source-git``) as ``(url, ref, subpath)``.

    An ``@`` in the host part (``https://user@host/…``, ``git@host:path``) belongs to the URL;
    the first ``@`` in the path starts the ref.
    """
    rest, _, subpath = text.partition("#")
    if "://" in rest:
        scheme_end = rest.index("://") + 3
        slash = rest.find("/", scheme_end)
        path_start = slash if slash >= 0 else len(rest)
    elif re.match(r"^[^/@:]+@[^/:]+:", rest):
        path_start = rest.index(":") + 1
    else:
        path_start = 0
    at = rest.find("@", path_start)
    if at >= 0:
        return rest[:at], rest[at + 1 :] or None, subpath
    return rest, None, subpath


def check_url(url: str) -> str:
    """The URL, if git may be given it. Raises LockgateError otherwise."""
    if not isinstance(url, str) or not url.strip():
        raise LockgateError("a git source needs a url")
    if url.startswith("-"):
        raise LockgateError(f"git url {url!r} starts with '-', which git would read as an option; refused")
    if "::" in url.split("/", 1)[0] or re.match(r"^[A-Za-z][A-Za-z0-9+.-]*::", url):
        raise LockgateError(f"git url {url!r} names a remote-helper transport (such as ext::); refused")
    scheme = url.split("://", 1)[0].lower() if "://" in url else None
    if scheme is not None and scheme not in ("https", "http", "ssh", "git", "file"):
        raise LockgateError(f"git url {url!r}: transport {scheme!r} is not allowed (https, http, ssh, git, file)")
    if any(ord(c) < 32 for c in url):
        raise LockgateError(f"git url {url!r} contains control characters; refused")
    return url


def check_ref(ref: str) -> str:
    """The ref, if it is a plain branch, tag or commit name. Raises LockgateError otherwise."""
    if ref.startswith("-") or not _SAFE_REF.match(ref) or ".." in ref or ref.endswith((".", "/", ".lock")):
        raise LockgateError(f"git ref {ref!r} is not a plain branch, tag or commit name; refused")
    return ref


def check_subpath(subpath: str) -> str:
    """A relative, ``/``-separated folder inside the repository. Raises LockgateError otherwise."""
    parts = subpath.replace("\\", "/").split("/")
    if subpath.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", subpath) or ".." in parts or subpath.startswith("-"):
        raise LockgateError(f"subpath {subpath!r} leaves the repository; use a folder inside it")
    return "/".join(part for part in parts if part not in ("", "."))


def run_git(arguments: list[str], repository: str | None, *, check: bool = True, timeout: float = 0.0) -> CompletedProcess[str]:
    """Run one git command with a deadline: on ``timeout`` seconds (default
    :data:`GIT_TIMEOUT`) its whole process group is killed (a remote that accepts and never
    answers holds git's helpers too) and a one-line error says so.

    Raises:
        LockgateError: git is missing, fails (with ``check``; its stderr in ``detail``) or runs
            out of time.
    """
    import signal
    import subprocess

    timeout = timeout or GIT_TIMEOUT
    command = ["git", "-c", "protocol.ext.allow=never", *(["-C", repository] if repository else []), *arguments]
    try:
        from .._io import announce

        announce(command)
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   env={**os.environ, **_ENVIRONMENT}, start_new_session=True)  # fmt: skip
    except OSError as error:
        raise LockgateError(f"cannot run git: {error.strerror}; install git") from None
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise LockgateError(f"git {arguments[0]} gave no answer within {timeout:g} s (a remote that never answers?); "
                            "raise the limit with --timeout SECONDS") from None  # fmt: skip
    if check and process.returncode != 0:
        raise LockgateError(f"git {arguments[0]} failed (exit {process.returncode})", detail=stderr)
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
