"""Task definitions from a static HTTP registry, and writing one (``tasks publish``).

Layout (any web server or object store can serve it)::

    GET {url}/index.json -> {"schema": "lockgate.registry/1",
                             "tasks": {"<name>": {"<version>": {"url": "<file URL>", "sha256": "<hex>"}}}}

A file URL is relative to index.json or absolute, and must stay inside the registry (same
scheme, host and port, under its path). Every download is checked against the index's sha256
before use, and is cached under that hash, so ``--offline`` works from the cache. A bearer
token is read from the environment variable the configuration names (``token_env``); it is
sent to the registry only (redirects that leave it are refused) and never written anywhere.
"""

from __future__ import annotations

import json
import os
import re

from ..errors import LockgateError
from .definition import TaskDefinition, parse_task
from .sources import TaskSource

REGISTRY = "registry"
SCHEMA = "lockgate.registry/1"
DEFAULT_TIMEOUT = 30.0
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class RegistrySource(TaskSource):
    """The tasks an HTTP registry's index.json lists.

    Args:
        url: the registry's base URL (index.json lives at ``{url}/index.json``).
        priority: higher is searched first.
        token_env: name of an environment variable holding a bearer token, or None.
        timeout: seconds to wait for each response.
        offline: use the cached index and files only.
    """

    kind = REGISTRY

    def __init__(self, url: str, priority: int = 0, *, token_env: str | None = None, timeout: float = DEFAULT_TIMEOUT, offline: bool = False):
        if not url.startswith(("http://", "https://", "file://")):
            raise LockgateError(f"registry url {url!r}: use an http(s):// or file:// URL")
        self.base = url.rstrip("/") + "/"
        self.priority = priority
        self.token_env = token_env
        self.timeout = timeout
        self.offline = offline
        self._index: dict | None = None
        self._definitions: dict[str, TaskDefinition] = {}

    def describe(self) -> str:
        return f"registry {self.base}"

    def index(self) -> dict[str, dict[str, dict]]:
        """name -> version -> ``{"url", "sha256"}`` from index.json (downloaded, or cached offline)."""
        if self._index is None:
            from .cache import cache_dir, key

            cached = os.path.join(cache_dir("registry", key(self.base)), "index.json")
            index_url = self.base + "index.json"
            if self.offline:
                if not os.path.isfile(cached):
                    raise LockgateError(f"{index_url} is not in the cache and --offline forbids downloading it")
                with open(cached, "rb") as handle:
                    data = handle.read()
            else:
                data = download(index_url, self.base, self._token(), self.timeout)
                _write_cache(cached, data)
            self._index = _check_index(data, index_url)
        return self._index

    def versions(self, name: str) -> list[str]:
        return list(self.index().get(name, {}))

    def definition(self, name: str, version: str) -> TaskDefinition:
        key = f"{name}@{version}"
        if key not in self._definitions:
            entry = self.index()[name][version]
            text, url = self.read_file(entry["url"], entry["sha256"])
            definition = parse_task(text, url)
            if (definition.name, definition.version) != (name, version):
                raise LockgateError(f"{url} defines {definition.key}, but the registry index lists it as {key}; refused")
            self._definitions[key] = definition
        return self._definitions[key]

    def lock_source(self, definition: TaskDefinition, lock_dir: str) -> dict:
        entry = self.index()[definition.name][definition.version]
        return {"type": REGISTRY, "url": self.base, "file": entry["url"], "sha256": entry["sha256"]}

    def read_file(self, reference: str, sha256: str) -> tuple[str, str]:
        """``(text, url)`` of a file of this registry (``reference`` relative or absolute),
        from the cache or downloaded, checked against ``sha256``."""
        url = file_url(self.base, reference)
        return fetch_file(url, sha256, self.base, self._token(), self.timeout, self.offline), url

    def _token(self) -> str | None:
        if not self.token_env:
            return None
        token = os.environ.get(self.token_env)
        if not token:
            raise LockgateError(f"registry {self.base} needs a token in ${self.token_env}, which is not set")
        return token


def file_url(base: str, reference: str) -> str:
    """An index entry's URL, resolved against the registry; refused when it leaves the registry."""
    from urllib.parse import urljoin, urlsplit

    url = urljoin(base, reference)
    inside, target = urlsplit(base), urlsplit(url)
    same_origin = (inside.scheme, inside.netloc) == (target.scheme, target.netloc)
    if not same_origin or not target.path.startswith(inside.path) or "/../" in f"{target.path}/":
        raise LockgateError(f"registry entry {reference!r} points outside the registry {base}; refused")
    return url


def fetch_file(url: str, sha256: str, base: str, token, timeout: float, offline: bool) -> str:
    """The file's text, from the cache (by sha256) or downloaded and checked.

    Raises:
        LockgateError: the download fails, or its sha256 is not the expected one (naming the URL).
    """
    import hashlib

    from .cache import cache_dir

    if not _SHA256.match(sha256 or ""):
        raise LockgateError(f"{url}: the registry gives no valid sha256 for it; refused")
    cached = os.path.join(cache_dir("registry", "files"), sha256)
    data = None
    if os.path.isfile(cached):
        with open(cached, "rb") as handle:
            data = handle.read()
        if hashlib.sha256(data).hexdigest() != sha256:
            data = None  # a damaged cache entry: download again
    if data is None:
        if offline:
            raise LockgateError(f"{url} is not in the cache and --offline forbids downloading it")
        data = download(url, base, token, timeout)
        found = hashlib.sha256(data).hexdigest()
        if found != sha256:
            raise LockgateError(f"{url}: sha256 {found} is not the {sha256} the registry lists; refused")
        _write_cache(cached, data)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise LockgateError(f"{url}: not UTF-8 text") from None


def download(url: str, base: str, token: str | None, timeout: float) -> bytes:
    """GET ``url`` (bearer ``token`` if given), following redirects only inside ``base``.

    Raises:
        LockgateError: an HTTP error (with its status), a timeout or a connection failure, in
            one line naming the URL (never the token).
    """
    import socket
    import urllib.error
    import urllib.request

    class InsideRegistry(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, request, stream, code, message, headers, new_url):
            file_url(base, new_url)  # raises when the redirect leaves the registry
            return super().redirect_request(request, stream, code, message, headers, new_url)

    headers = {"User-Agent": "lockgate"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    opener = urllib.request.build_opener(InsideRegistry)
    try:
        with opener.open(urllib.request.Request(url, headers=headers), timeout=timeout) as response:
            return response.read()
    except urllib.error.HTTPError as error:
        raise LockgateError(f"GET {url}: HTTP {error.code} {error.reason}") from None
    except (socket.timeout, TimeoutError):
        raise LockgateError(f"GET {url}: no answer within {timeout:g} s") from None
    except urllib.error.URLError as error:
        reason = error.reason
        if isinstance(reason, (socket.timeout, TimeoutError)):
            raise LockgateError(f"GET {url}: no answer within {timeout:g} s") from None
        raise LockgateError(f"GET {url}: {getattr(reason, 'strerror', None) or reason}") from None


def _check_index(data: bytes, url: str) -> dict:
    try:
        document = json.loads(data)
    except ValueError as error:
        raise LockgateError(f"{url}: not JSON ({error})") from None
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
    """Write a registry layout from a folder of task files: ``index.json`` and
    ``tasks/NAME/NAME-VERSION.task.yaml`` (the files' bytes as they are). Returns the count.

    Raises:
        LockgateError: an invalid task file or a duplicate name@version.
    """
    import hashlib

    from .._io import write_atomic
    from .sources import LocalSource

    index: dict[str, dict[str, dict]] = {}
    for name, versions in sorted(LocalSource(folder).index().items()):
        for version, definition in versions.items():
            with open(definition.path, "rb") as handle:
                data = handle.read()
            relative = f"tasks/{name}/{name}-{version}.task.yaml"
            os.makedirs(os.path.join(registry_dir, "tasks", name), exist_ok=True)
            write_atomic(os.path.join(registry_dir, *relative.split("/")), data)
            index.setdefault(name, {})[version] = {"url": relative, "sha256": hashlib.sha256(data).hexdigest()}
    document = {"schema": SCHEMA, "tasks": index}
    write_atomic(os.path.join(registry_dir, "index.json"), (json.dumps(document, indent=2, sort_keys=True) + "\n").encode())
    return sum(len(versions) for versions in index.values())
