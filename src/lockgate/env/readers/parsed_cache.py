"""Parsed locks kept in lockgate's cache (:mod:`lockgate.cache`), so that an unchanged
pylock.toml or uv.lock is not parsed again: TOML parsing is most of what verify spends on them.

A parse is stored under everything it depends on: the bytes of every file read (their BLAKE2b digest), the
path as named and its folder (origins and local paths are made from them), the selection, and
the readers' own code (the size and mtime of their modules, so a changed reader parses anew).
A miss, or no cache, parses as before; what is stored is what the parse returned.
"""

from __future__ import annotations

import os

from ..model import Lockfile, Selection

TYPE_CHECKING = False  # not typing's: importing typing costs verify's start-up
if TYPE_CHECKING:
    from collections.abc import Callable


def cached_parse(path: str, inputs: list[str], selection: Selection, validate: bool,
                 parse: Callable[[], tuple[Lockfile, dict[str, object]] | None]) -> tuple[Lockfile, dict[str, object]] | None:  # fmt: skip
    """``parse()``'s ``(lockfile, facts)`` for the lock at ``path``, from the cache when
    nothing it read has changed; ``parse`` returns None for a parse that must not be kept
    (one another tool made, such as uv export's), and then None is returned and nothing kept.

    Args:
        path: the lock as named; inputs: every file the parse reads (the lock first).
        selection, validate: the reader's arguments that change its result.
        parse: reads and parses; ``facts`` is JSON-ready data the caller keeps beside the lock.
    """
    from ...cache import read_fact, write_fact

    key = _key(path, inputs, selection, validate)
    stored = read_fact("parsed-locks", key) if key is not None else None
    if isinstance(stored, dict):
        try:
            return Lockfile.from_data(stored["lockfile"]), stored["facts"]
        except (KeyError, TypeError, ValueError):
            pass
    parsed = parse()
    if parsed is not None and key is not None:
        write_fact("parsed-locks", key, {"lockfile": parsed[0].to_data(), "facts": parsed[1]})
    return parsed


def _key(path: str, inputs: list[str], selection: Selection, validate: bool) -> dict[str, object] | None:
    from ...cache import digest

    digests = []
    here = os.path.dirname(__file__)
    readers = [os.path.join(here, "..", "model.py"), os.path.join(here, "pylock_toml.py"), os.path.join(here, "uv_lock.py")]
    try:
        for name in inputs:
            with open(name, "rb") as handle:
                digests.append(digest(handle.read()))
        stats = [os.stat(reader) for reader in readers]  # by path: importing the other reader would cost its import
    except OSError:
        return None
    return {"path": path, "folder": os.path.dirname(os.path.abspath(path)), "inputs": digests, "selection": selection.uv_flags(),
            "validate": validate, "readers": [[status.st_size, status.st_mtime_ns] for status in stats]}  # fmt: skip
