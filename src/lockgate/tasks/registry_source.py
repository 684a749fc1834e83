"""Task definitions from a static HTTP registry, and writing one (``tasks publish``).

Layout (any web server or object store can serve it)::

    GET {url}/index.json -> {"schema": "lockgate.registry/1",
                             "tasks": {"<name>": {"<version>": {"url": "<file URL>", "sha256": "<hex>"}}}}

A task group is listed among the tasks as ``group:<name>``.

A file URL is relative to index.json or absolute, and must stay inside the registry (same
scheme, host and port, under its path). Every download is checked against the index's sha256
before use, and is cached under that hash, so ``--offline`` works from the cache. A bearer
token is read from the environment variable the configuration names (``token_env``, which
must match ``LOCKGATE_*``: a repository's configuration cannot make lockgate send any other
secret); it is sent to the registry only (redirects that leave it are refused) and never
written or printed anywhere, nor is ``user:password@`` of a URL.

Every response is bounded: at most :data:`MAX_INDEX_BYTES` for index.json and
:data:`MAX_FILE_BYTES` for a task file (configurable per source), all of it within the
source's ``timeout`` seconds, a deadline for the whole response; index.json is validated
before it is cached.
"""

from __future__ import annotations

import json
import os
import re

from ..errors import LockgateError
from .definition import TaskDefinition, file_name, parse_locked
from .source_record import RegistryRecord
from .sources import TaskSource
from .task_schema import Kind, TaskRef

TYPE_CHECKING = False
if TYPE_CHECKING:
    from http.client import HTTPMessage, HTTPResponse
    from typing import IO, Any

REGISTRY = "registry"
SCHEMA = "lockgate.registry/1"
DEFAULT_TIMEOUT = 30.0
MAX_INDEX_BYTES = 16 * 1024 * 1024
MAX_FILE_BYTES = 1024 * 1024
TOKEN_VARIABLES = "LOCKGATE_"  # the only environment variables a token may come from
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class RegistrySource(TaskSource):
    """The tasks an HTTP registry's index.json lists.

    Args:
        url: the registry's base URL (index.json lives at ``{url}/index.json``).
        priority: higher is searched first.
        token_env: name of an environment variable holding a bearer token (``LOCKGATE_*``), or None.
        timeout: seconds a whole response may take (a deadline, not a per-read wait).
        offline: use the cached index and files only.
        max_index_bytes, max_file_bytes: the largest index.json and task file accepted.
        only: the task names it answers for (a registry only a lock names), None for all.

    Raises:
        LockgateError: not an http(s) or file URL, or a token variable outside ``LOCKGATE_*``.
    """

    kind = REGISTRY

    def __init__(self, url: str, priority: int = 0, *, token_env: str | None = None, timeout: float = DEFAULT_TIMEOUT, offline: bool = False,
                 max_index_bytes: int = MAX_INDEX_BYTES, max_file_bytes: int = MAX_FILE_BYTES, only: frozenset[str] | None = None):  # fmt: skip
        from ..shapes import plain_text
        from ..urls import without_credentials

        plain_text(url, "registry url", None)
        if not url.startswith(("http://", "https://", "file://")):
            raise LockgateError(f"registry url {without_credentials(url)!r}: use an http(s):// or file:// URL")
        if token_env is not None and not token_env.startswith(TOKEN_VARIABLES):
            raise LockgateError(f"token_env {token_env!r}: a token is read only from a {TOKEN_VARIABLES}* variable "
                                f"(export {TOKEN_VARIABLES}TASKS_TOKEN=… and name that)")  # fmt: skip
        self.max_index_bytes = max_index_bytes
        self.max_file_bytes = max_file_bytes
        self.base = url.rstrip("/") + "/"
        self.priority = priority
        self.token_env = token_env
        self.timeout = timeout
        self.offline = offline
        self.only = only  # as GitSource's: a registry only a lock names answers for its locked tasks
        self._index: dict[str, Any] | None = None
        self._definitions: dict[str, TaskDefinition] = {}

    def describe(self) -> str:
        from ..urls import without_credentials

        return f"registry {without_credentials(self.base)}"

    def index(self) -> dict[str, dict[str, dict[str, str]]]:
        """name -> version -> ``{"url", "sha256"}`` from index.json (downloaded, or cached offline)."""
        if self._index is None:
            from .cache import cache_dir, key

            cached = os.path.join(cache_dir("registry", key(self.base)), "index.json")
            index_url = self.base + "index.json"
            if self.offline:
                if not os.path.isfile(cached):
                    raise LockgateError(f"{_shown(index_url)} is not in the cache and --offline forbids downloading it")
                with open(cached, "rb") as handle:
                    data = handle.read(self.max_index_bytes + 1)
                self._index = _check_index(data, index_url, self.max_index_bytes)
            else:
                data = download(index_url, self.base, self._token(), self.timeout, self.max_index_bytes)
                self._index = _check_index(data, index_url, self.max_index_bytes)
                _write_cache(cached, data)  # only once it is known to be an index
        return self._index

    def versions(self, name: str) -> list[str]:
        if self.only is not None and name not in self.only:
            return []
        return list(self.index().get(name, {}))

    def definition(self, name: str, version: str) -> TaskDefinition:
        key = f"{name}@{version}"
        if key not in self._definitions:
            entry = self.index()[name][version]
            text, url = self.read_file(entry["url"], entry["sha256"])
            definition = parse_locked(text, url, TaskRef.parse(name))
            if (definition.name, definition.version) != (name, version):
                raise LockgateError(f"{url} defines {definition.key}, but the registry index lists it as {key}; refused")
            self._definitions[key] = definition
        return self._definitions[key]

    def lock_source(self, definition: TaskDefinition, lock_dir: str) -> RegistryRecord:
        entry = self.index()[definition.name][definition.version]
        from ..urls import without_credentials

        return RegistryRecord({"url": without_credentials(self.base), "file": entry["url"], "sha256": entry["sha256"]})  # the lock is committed

    def read_file(self, reference: str, sha256: str) -> tuple[str, str]:
        """``(text, url)`` of a file of this registry (``reference`` relative or absolute),
        from the cache or downloaded, checked against ``sha256``."""
        url = file_url(self.base, reference)
        return fetch_file(url, sha256, self.base, self._token(), self.timeout, self.offline, self.max_file_bytes), _shown(url)

    def _token(self) -> str | None:
        if not self.token_env:
            return None
        token = os.environ.get(self.token_env)
        if not token:
            raise LockgateError(f"{self.describe()} needs a token in ${self.token_env}, which is not set")
        return token


def file_url(base: str, reference: str) -> str:
    """An index entry's URL, resolved against the registry; refused when it leaves the registry,
    judged on the percent-decoded, normalised path (``%2e%2e/`` and ``..%2f`` are ``../``)."""
    import posixpath
    from urllib.parse import unquote, urljoin, urlsplit

    url = urljoin(base, reference)
    inside, target = urlsplit(base), urlsplit(url)
    same_origin = (inside.scheme, inside.netloc) == (target.scheme, target.netloc)
    decoded = unquote(target.path)
    normal = posixpath.normpath(decoded)
    escapes = "\0" in decoded or "\\" in decoded or not (normal + "/").startswith(unquote(inside.path))
    if not same_origin or escapes or "/../" in f"{decoded}/":
        raise LockgateError(f"registry entry {_shown(reference)!r} points outside the registry {_shown(base)}; refused")
    return url


def _shown(url: str) -> str:
    """A URL as messages show it: no credentials, no control characters."""
    from ..urls import without_credentials

    return "".join(c if c.isprintable() else "?" for c in without_credentials(url))


def fetch_file(url: str, sha256: str, base: str, token: str | None, timeout: float, offline: bool, limit: int = MAX_FILE_BYTES) -> str:
    """The file's text, from the cache (by sha256) or downloaded and checked.

    Raises:
        LockgateError: the download fails, or its sha256 is not the expected one (naming the URL).
    """
    import hashlib

    from .cache import cache_dir

    shown = _shown(url)
    if not _SHA256.match(sha256 or ""):
        raise LockgateError(f"{shown}: the registry gives no valid sha256 for it; refused")
    cached = os.path.join(cache_dir("registry", "files"), sha256)
    data = None
    if os.path.isfile(cached):
        with open(cached, "rb") as handle:
            data = handle.read()
        if hashlib.sha256(data).hexdigest() != sha256:
            data = None  # a damaged cache entry: download again
    if data is None:
        if offline:
            raise LockgateError(f"{shown} is not in the cache and --offline forbids downloading it")
        data = download(url, base, token, timeout, limit)
        found = hashlib.sha256(data).hexdigest()
        if found != sha256:
            raise LockgateError(f"{shown}: sha256 {found} is not the {sha256} the registry lists; refused")
        _write_cache(cached, data)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise LockgateError(f"{shown}: not UTF-8 text") from None


def download(url: str, base: str, token: str | None, timeout: float, limit: int = MAX_FILE_BYTES) -> bytes:
    """GET ``url`` (bearer ``token`` if given), following redirects only inside ``base``: at
    most ``limit`` bytes, all of them within ``timeout`` seconds.

    Raises:
        LockgateError: an HTTP error (with its status), a response over the limit or the
            deadline, or a connection failure, in one line naming the URL (never the token or
            credentials).
    """
    import http.client
    import socket
    import time
    import urllib.error
    import urllib.parse
    import urllib.request

    from ..urls import without_credentials

    class InsideRegistry(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, request: urllib.request.Request, stream: IO[bytes], code: int, message: str, headers: HTTPMessage,
                             new_url: str) -> urllib.request.Request | None:  # fmt: skip
            file_url(base, new_url)  # raises when the redirect leaves the registry
            return super().redirect_request(request, stream, code, message, headers, new_url)

    shown = _shown(url)
    headers = {"User-Agent": "lockgate"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    elif "@" in urllib.parse.urlsplit(url).netloc:  # user:password@ in the URL: sent as pip sends it
        headers["Authorization"] = _basic_authorization(url)
    url = without_credentials(url)
    deadline = time.monotonic() + timeout
    try:
        opener = urllib.request.build_opener(InsideRegistry)
        with opener.open(urllib.request.Request(url, headers=headers), timeout=timeout) as response:
            return _read_bounded(response, shown, limit, deadline, timeout)
    except urllib.error.HTTPError as error:
        raise LockgateError(f"GET {shown}: HTTP {error.code} {error.reason}") from None
    except TimeoutError:
        raise LockgateError(f"GET {shown}: no answer within {timeout:g} s") from None
    except urllib.error.URLError as error:
        reason = error.reason
        if isinstance(reason, (socket.timeout, TimeoutError)):
            raise LockgateError(f"GET {shown}: no answer within {timeout:g} s") from None
        raise LockgateError(f"GET {shown}: {_shown(str(getattr(reason, 'strerror', None) or reason))}") from None
    except (ValueError, UnicodeError, OSError, http.client.HTTPException) as error:  # a URL or answer urllib cannot handle
        raise LockgateError(f"GET {shown}: {type(error).__name__}: {_shown(str(error))[:120]}") from None


def _basic_authorization(url: str) -> str:
    import base64
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    pair = f"{unquote(parts.username or '')}:{unquote(parts.password or '')}".encode()
    return "Basic " + base64.b64encode(pair).decode()


def _read_bounded(response: HTTPResponse, shown: str, limit: int, deadline: float, timeout: float) -> bytes:
    """The body, read a chunk at a time against the size limit and the deadline."""
    import time

    length = response.headers.get("Content-Length") if getattr(response, "headers", None) else None
    if length and length.isdigit() and int(length) > limit:
        raise LockgateError(f"GET {shown}: {int(length):,} bytes is over the limit of {limit:,} bytes; refused")
    read = getattr(response, "read1", None) or response.read
    chunks: list[bytes] = []
    size = 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise LockgateError(f"GET {shown}: no complete answer within {timeout:g} s")
        _limit_wait(response, remaining)
        chunk = read(65536)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            raise LockgateError(f"GET {shown}: more than the limit of {limit:,} bytes; refused")
        chunks.append(chunk)


def _limit_wait(response: HTTPResponse, seconds: float) -> None:
    """Let one read wait no longer than the time left (an HTTP response's socket)."""
    sock = getattr(getattr(getattr(response, "fp", None), "raw", None), "_sock", None)
    if sock is not None:
        sock.settimeout(max(seconds, 0.001))


def _check_index(data: bytes, url: str, limit: int = MAX_INDEX_BYTES) -> dict[str, Any]:
    url = _shown(url)
    if len(data) > limit:
        raise LockgateError(f"{url}: more than the limit of {limit:,} bytes; refused")
    try:
        document = json.loads(data)
    except (ValueError, RecursionError) as error:
        raise LockgateError(f"{url}: not JSON ({str(error)[:120]})") from None
    if not isinstance(document, dict) or document.get("schema") != SCHEMA:
        raise LockgateError(f"{url}: not a lockgate registry index (schema must be {SCHEMA!r})")
    tasks = document.get("tasks")
    if not isinstance(tasks, dict):
        raise LockgateError(f"{url}: tasks must map names to versions")
    for name, versions in tasks.items():
        if not isinstance(versions, dict):
            raise LockgateError(f"{url}: tasks.{name} must map versions to {{url, sha256}}")
        for version, entry in versions.items():
            if not isinstance(entry, dict) or not isinstance(entry.get("url"), str) or not _SHA256.match(str(entry.get("sha256", ""))):
                raise LockgateError(f"{url}: tasks.{name}.{version} needs a url and a 64-digit lowercase hex sha256")
    return tasks


def _write_cache(path: str, data: bytes) -> None:
    from .._io import write_atomic

    write_atomic(path, data)


def publish(folder: str, registry_dir: str) -> int:
    """Write a registry layout from a folder of task and group files: ``index.json``,
    ``tasks/NAME/NAME-VERSION.task.yaml`` and ``groups/NAME/NAME-VERSION.taskgroup.yaml`` (the
    files' bytes as they are; a group is indexed as ``group:NAME``). Returns the count.

    Raises:
        LockgateError: an invalid task file or a duplicate name@version.
    """
    import hashlib

    from .._io import write_atomic
    from .sources import LocalSource

    index: dict[str, dict[str, dict[str, str]]] = {}
    for _, versions in sorted(LocalSource(folder).index().items()):
        for version, definition in versions.items():
            name = definition.name
            with open(definition.path, "rb") as handle:
                data = handle.read()
            folder = "groups" if name.kind is Kind.GROUP else "tasks"
            relative = f"{folder}/{name.name}/{file_name(name, version)}"
            os.makedirs(os.path.join(registry_dir, folder, name.name), exist_ok=True)
            write_atomic(os.path.join(registry_dir, *relative.split("/")), data)
            index.setdefault(name, {})[version] = {"url": relative, "sha256": hashlib.sha256(data).hexdigest()}
    document = {"schema": SCHEMA, "tasks": index}
    write_atomic(os.path.join(registry_dir, "index.json"), (json.dumps(document, indent=2, sort_keys=True) + "\n").encode())
    return sum(len(versions) for versions in index.values())
