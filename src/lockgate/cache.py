"""lockgate's own cache folder and the facts kept in it, which can never change a verdict.

The folder is platformdirs' user cache folder for ``lockgate`` (``$LOCKGATE_CACHE_DIR`` when
set). On Linux it is computed as platformdirs computes it (``$XDG_CACHE_HOME``, else
``~/.cache``; a test holds the two equal) without importing platformdirs, whose import costs
more than verify's whole check of a small lock.

A fact is stored under the BLAKE2b digest of its key, and the file holds the key itself: a file whose
key is not the one asked for (a collision, a planted or stale file) is ignored, as is any file
that cannot be read or parsed. ``LOCKGATE_NO_CACHE=1`` (``--no-cache``) reads and writes none.
Writes are atomic (temporary file, fsync, rename); one that fails (a read-only home) is skipped.
Nothing from the project is stored: keys hold interpreter facts, marker texts and their
environments only.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # not typing's: importing typing costs verify's start-up
if TYPE_CHECKING:
    from typing import Any


def cache_root() -> str:
    """The cache folder (not created): ``$LOCKGATE_CACHE_DIR``, else platformdirs'
    ``user_cache_dir("lockgate")``."""
    root = os.environ.get("LOCKGATE_CACHE_DIR")
    if root:
        return root
    import sys

    if sys.platform.startswith("linux"):
        base = os.environ.get("XDG_CACHE_HOME", "").strip() or os.path.expanduser("~/.cache")
        return os.path.join(base, "lockgate")
    from platformdirs import user_cache_dir

    return user_cache_dir("lockgate")


def cache_dir(*parts: str) -> str:
    """The cache folder, or a named subfolder of it, created."""
    folder = os.path.join(cache_root(), *parts)
    os.makedirs(folder, exist_ok=True)
    return folder


def enabled() -> bool:
    """False under ``LOCKGATE_NO_CACHE=1`` (``--no-cache``)."""
    return os.environ.get("LOCKGATE_NO_CACHE", "") in ("", "0")


def digest(data: bytes) -> str:
    """Hex BLAKE2b (32 bytes) of ``data``: the names and keys of cached facts. CPython's own
    ``_blake2``, since importing hashlib loads OpenSSL, a tenth of a small verify's time."""
    try:
        from _blake2 import blake2b
    except ImportError:  # pragma: no cover - an interpreter without it
        from hashlib import blake2b
    return blake2b(data, digest_size=32).hexdigest()


def _path(kind: str, key: dict[str, Any]) -> tuple[str, str]:
    import json

    text = json.dumps(key, sort_keys=True, separators=(",", ":"))
    return os.path.join(cache_root(), kind, digest(text.encode()) + ".json"), text


def read_fact(kind: str, key: dict[str, Any]) -> Any:
    """The value stored for ``key`` (JSON-ready), or None: no cache, no file, an unreadable or
    corrupt one, or one whose recorded key differs."""
    if not enabled():
        return None
    import json

    path, _ = _path(kind, key)
    try:
        with open(path, encoding="utf-8") as handle:
            stored = json.load(handle)
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(stored, dict) or stored.get("key") != key:
        return None
    return stored.get("value")


def write_fact(kind: str, key: dict[str, Any], value: Any) -> None:
    """Store ``value`` for ``key``, atomically; skipped without a cache or when it cannot be written."""
    if not enabled():
        return
    import json

    from ._io import write_atomic
    from .errors import LockgateError

    path, _ = _path(kind, key)
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        write_atomic(path, json.dumps({"key": key, "value": value}, sort_keys=True).encode(), durable=False)
    except (OSError, LockgateError):
        pass
