"""Reader for PEP 751 lock files (``pylock.toml``, ``pylock.NAME.toml``) through ``packaging.pylock``.

Every package is kept, with its marker: which ones apply to the target is decided when the
lock is compared with an environment (``extras`` and ``dependency_groups`` markers included),
so a package for another platform is reported ``not_applicable`` instead of vanishing.
"""

from __future__ import annotations

import os
import re

from ..._io import header_lines, read_text
from ..._toml import loads_toml
from ...errors import LockgateError
from ..model import DIRECTORY, URL, VCS, LockedPackage, Lockfile, Source, normalize_name

TYPE_CHECKING = False  # not typing's: importing typing costs verify's start-up
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from packaging.pylock import Package

FORMAT = "pylock.toml"

_PACKAGES_HEADER = re.compile(r"^\[\[packages\]\]\s*$", re.M)


def read_pylock(path: str, *, text: str | None = None, validate: bool = False) -> Lockfile:
    """Read a PEP 751 lock file.

    Args:
        path: the ``pylock.toml`` file; relative ``path`` keys in it are relative to its folder.
        text: the file's text when the caller has read it already.
        validate: check the whole document with ``packaging.pylock`` (``verify --strict``);
            otherwise only what lockgate reads is checked, and anything it does not recognise
            still goes through ``packaging.pylock`` for the error.

    Returns:
        A :class:`~lockgate.env.model.Lockfile` with format ``"pylock.toml"``; ``options`` holds
        ``requires_python``, ``environments``, ``extras``, ``dependency_groups`` and
        ``default_groups`` as the file declares them.

    Raises:
        LockgateError: unreadable, invalid TOML, or not a valid PEP 751 document (the key path
            is named, e.g. ``packages[3].version``).
    """
    if text is not None:  # a caller's text (standard input): not the file's to cache
        return lockfile_from_document(path, loads_toml(text, path), os.path.dirname(os.path.abspath(path)), FORMAT, text=text, validate=validate)
    from ..model import Selection
    from .parsed_cache import cached_parse

    def parse() -> tuple[Lockfile, dict[str, object]]:
        text = read_text(path)
        return lockfile_from_document(path, loads_toml(text, path), os.path.dirname(os.path.abspath(path)), FORMAT, text=text, validate=validate), {}

    parsed = cached_parse(path, [path], Selection(), validate, parse)
    assert parsed is not None  # parse() always returns one
    return parsed[0]


def lockfile_from_document(path: str, document: dict[str, Any], base_dir: str, format: str, *, text: str | None = None,
                           validate: bool = True) -> Lockfile:  # fmt: skip
    """Build a Lockfile from an already parsed pylock document (shared with the uv.lock reader);
    ``text`` (the document's TOML) lets origins name the line of each ``[[packages]]``. Without
    ``validate`` a document of the expected shape is read directly (importing and running
    ``packaging.pylock`` costs a verify of a 230-package lock about 80 ms)."""
    if not validate:
        quick = _read_directly(path, document, base_dir, format, text)
        if quick is not None:
            return quick
    from packaging.pylock import Pylock, PylockUnsupportedVersionError, PylockValidationError

    try:
        lock = Pylock.from_dict(document)
    except (PylockValidationError, PylockUnsupportedVersionError) as error:
        raise LockgateError(f"not a valid PEP 751 lock: {error}", path) from None
    lines = _package_header_lines(text, len(lock.packages)) if text is not None else None
    packages = []
    for index, package in enumerate(lock.packages):
        origin = f"{path}:{lines[index]}" if lines else f"{path}:packages[{index}]"
        packages.append(_entry(package, base_dir, origin))
    options = {
        "requires_python": str(lock.requires_python) if lock.requires_python else None,
        "environments": [str(marker) for marker in lock.environments or ()],
        "extras": list(lock.extras or ()),
        "dependency_groups": list(lock.dependency_groups or ()),
        "default_groups": list(lock.default_groups or ()),
    }
    return Lockfile(path, format, packages, options, [path])


_SOURCE_FIELDS = {"vcs": ("type", "url", "path", "requested-revision", "commit-id", "subdirectory"),
                  "directory": ("path", "subdirectory"), "archive": ("url", "path", "subdirectory")}  # fmt: skip


def _read_directly(path: str, document: dict[str, Any], base_dir: str, format: str, text: str | None) -> Lockfile | None:
    """The Lockfile of a document whose every field lockgate reads has PEP 751's shape, or None
    (then ``packaging.pylock`` validates it and words the error)."""
    packages = document.get("packages")
    version = document.get("lock-version")
    if not isinstance(version, str) or version.split(".")[0] != "1" or not isinstance(packages, list) or not isinstance(document.get("created-by"), str):
        return None
    options = {
        "requires_python": document.get("requires-python"),
        "environments": document.get("environments") or [],
        "extras": document.get("extras") or [],
        "dependency_groups": document.get("dependency-groups") or [],
        "default_groups": document.get("default-groups") or [],
    }
    if not isinstance(options["requires_python"], (str, type(None))) or not all(
        isinstance(value, list) and all(isinstance(item, str) for item in value) for key, value in options.items() if key != "requires_python"
    ):
        return None
    lines = _package_header_lines(text, len(packages)) if text is not None else None
    entries = []
    for index, package in enumerate(packages):
        origin = f"{path}:{lines[index]}" if lines else f"{path}:packages[{index}]"
        entry = _direct_entry(package, base_dir, origin)
        if entry is None:
            return None
        entries.append(entry)
    return Lockfile(path, format, entries, options, [path])


def _direct_entry(package: object, base_dir: str, origin: str) -> LockedPackage | None:
    """One ``[[packages]]`` table, or None when a field lockgate reads is not as PEP 751 has it."""
    if not isinstance(package, dict) or not isinstance(package.get("name"), str) or normalize_name(package["name"]) != package["name"]:
        return None
    plain = ("version", "marker", "requires-python", "index")
    if not all(isinstance(package.get(key), (str, type(None))) for key in plain):
        return None
    kinds = [kind for kind in _SOURCE_FIELDS if kind in package]
    has_files = "wheels" in package or "sdist" in package
    if len(kinds) > 1 or (kinds and has_files) or not (kinds or has_files):  # PEP 751: one source
        return None
    table = package.get(kinds[0]) if kinds else None
    if table is not None and (not isinstance(table, dict) or not all(isinstance(table.get(f), (str, type(None))) for f in _SOURCE_FIELDS[kinds[0]])):
        return None
    files = [*(package.get("wheels") or ()), *([package["sdist"]] if "sdist" in package else [])]
    if not all(isinstance(file, dict) and _hash_table(file.get("hashes")) is not None for file in files):
        return None
    hashes: tuple[str, ...] = ()
    if table is None:
        source = Source(url=package.get("index"))
        hashes = tuple(h for file in files for h in _hash_table(file.get("hashes")) or ())
    elif kinds[0] == "vcs":
        source = Source(VCS, url=table.get("url"), path=_local(base_dir, table.get("path")), vcs=table.get("type"),
                        requested_revision=table.get("requested-revision"), commit=table.get("commit-id"), subdirectory=table.get("subdirectory"))  # fmt: skip
    elif kinds[0] == "directory":
        if not isinstance(table.get("editable", False), bool):
            return None
        source = Source(DIRECTORY, path=_local(base_dir, table.get("path")), editable=bool(table.get("editable")), subdirectory=table.get("subdirectory"))
    else:
        found = _hash_table(table.get("hashes"))
        if found is None:
            return None
        source = Source(URL, url=table.get("url"), path=_local(base_dir, table.get("path")), subdirectory=table.get("subdirectory"))
        hashes = found
    return LockedPackage(normalize_name(package["name"]), package.get("version"), marker=package.get("marker"), marker_context="lock_file",
                         hashes=hashes, source=source, requires_python=package.get("requires-python"), origin=origin)  # fmt: skip


def _hash_table(hashes: object) -> tuple[str, ...] | None:
    """``algo:digest`` strings of a ``hashes`` table (None or empty: none), or None when malformed."""
    if hashes is None:
        return ()
    if not isinstance(hashes, dict) or not all(isinstance(value, str) for value in hashes.values()):
        return None
    return tuple(f"{algo}:{digest}" for algo, digest in hashes.items())


def _package_header_lines(text: str, count: int) -> list[int] | None:
    """Line numbers of the ``[[packages]]`` tables, when the file is written that way."""
    lines = header_lines(text, _PACKAGES_HEADER)
    return lines if len(lines) == count else None


def _entry(package: Package, base_dir: str, origin: str) -> LockedPackage:
    hashes: tuple[str, ...] = ()
    if package.vcs is not None:
        vcs = package.vcs
        source = Source(
            VCS,
            url=vcs.url,
            path=_local(base_dir, vcs.path),
            vcs=vcs.type,
            requested_revision=vcs.requested_revision,
            commit=vcs.commit_id,
            subdirectory=vcs.subdirectory,
        )
    elif package.directory is not None:
        directory = package.directory
        source = Source(
            DIRECTORY,
            path=_local(base_dir, directory.path),
            editable=bool(directory.editable),
            subdirectory=directory.subdirectory,
        )
    elif package.archive is not None:
        archive = package.archive
        source = Source(URL, url=archive.url, path=_local(base_dir, archive.path), subdirectory=archive.subdirectory)
        hashes = _hash_strings(archive.hashes)
    else:
        source = Source(url=package.index)
        files = [*(package.wheels or ()), *([package.sdist] if package.sdist else ())]
        hashes = tuple(h for file in files for h in _hash_strings(file.hashes))
    return LockedPackage(
        package.name,
        str(package.version) if package.version is not None else None,
        marker=str(package.marker) if package.marker else None,
        marker_context="lock_file",
        hashes=hashes,
        source=source,
        requires_python=str(package.requires_python) if package.requires_python else None,
        origin=origin,
    )


def _local(base_dir: str, path: str | None) -> str | None:
    return None if path is None else os.path.normpath(os.path.join(base_dir, path))


def _hash_strings(hashes: Mapping[str, str] | None) -> tuple[str, ...]:
    return tuple(f"{algo}:{digest}" for algo, digest in (hashes or {}).items())
