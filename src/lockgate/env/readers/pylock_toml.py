"""Reader for PEP 751 lock files (``pylock.toml``, ``pylock.NAME.toml``) through ``packaging.pylock``.

Every package is kept, with its marker: which ones apply to the target is decided when the
lock is compared with an environment (``extras`` and ``dependency_groups`` markers included),
so a package for another platform is reported ``not_applicable`` instead of vanishing.
"""

from __future__ import annotations

import os
import re

from ..._io import read_text
from ..._toml import loads_toml
from ...errors import LockgateError
from ..model import DIRECTORY, URL, VCS, LockedPackage, Lockfile, Source

TYPE_CHECKING = False  # not typing's: importing typing costs verify's start-up
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from packaging.pylock import Package

FORMAT = "pylock.toml"

_PACKAGES_HEADER = re.compile(r"^\[\[packages\]\]\s*$", re.M)


def read_pylock(path: str, *, text: str | None = None) -> Lockfile:
    """Read a PEP 751 lock file.

    Args:
        path: the ``pylock.toml`` file; relative ``path`` keys in it are relative to its folder.
        text: the file's text when the caller has read it already.

    Returns:
        A :class:`~lockgate.env.model.Lockfile` with format ``"pylock.toml"``; ``options`` holds
        ``requires_python``, ``environments``, ``extras``, ``dependency_groups`` and
        ``default_groups`` as the file declares them.

    Raises:
        LockgateError: unreadable, invalid TOML, or not a valid PEP 751 document (the key path
            is named, e.g. ``packages[3].version``).
    """
    text = read_text(path) if text is None else text
    return lockfile_from_document(path, loads_toml(text, path), os.path.dirname(os.path.abspath(path)), FORMAT, text=text)


def lockfile_from_document(path: str, document: dict[str, Any], base_dir: str, format: str, *, text: str | None = None) -> Lockfile:
    """Build a Lockfile from an already parsed pylock document (shared with the uv.lock reader);
    ``text`` (the document's TOML) lets origins name the line of each ``[[packages]]``."""
    from packaging.pylock import Pylock, PylockUnsupportedVersionError, PylockValidationError

    try:
        lock = Pylock.from_dict(document)
    except (PylockValidationError, PylockUnsupportedVersionError) as error:
        raise LockgateError(f"not a valid PEP 751 lock: {error}", path) from None
    header_lines = _package_header_lines(text, len(lock.packages)) if text is not None else None
    packages = []
    for index, package in enumerate(lock.packages):
        origin = f"{path}:{header_lines[index]}" if header_lines else f"{path}:packages[{index}]"
        packages.append(_entry(package, base_dir, origin))
    options = {
        "requires_python": str(lock.requires_python) if lock.requires_python else None,
        "environments": [str(marker) for marker in lock.environments or ()],
        "extras": list(lock.extras or ()),
        "dependency_groups": list(lock.dependency_groups or ()),
        "default_groups": list(lock.default_groups or ()),
    }
    return Lockfile(path, format, packages, options, [path])


def _package_header_lines(text: str, count: int) -> list[int] | None:
    """Line numbers of the ``[[packages]]`` tables, when the file is written that way."""
    lines = [text.count("\n", 0, found.start()) + 1 for found in _PACKAGES_HEADER.finditer(text)]
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
