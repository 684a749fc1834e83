"""Lockfile readers: every supported format parsed into one :class:`~lockgate.env.model.Lockfile`."""

from __future__ import annotations

import os

from ...errors import LockgateError
from ..model import Lockfile

DEFAULT_LOCKFILES = ("requirements.txt", "pylock.toml")


def detect_format(path: str) -> str:
    """Tell a lockfile's format from its name: ``"uv.lock"``, ``"pylock.toml"`` or ``"requirements.txt"``.

    ``uv.lock`` is the file of that name; ``pylock.toml``, ``pylock.NAME.toml`` and any other
    ``.toml`` are PEP 751; everything else (``.txt``, ``.lock``, ``.in``…) is a requirements file.
    """
    name = os.path.basename(path)
    if name == "uv.lock" or name.endswith(("-uv.lock", "_uv.lock", ".uv.lock")):
        return "uv.lock"
    if name.endswith(".toml"):
        return "pylock.toml"
    return "requirements.txt"


def find_default_lockfile(directory: str = ".") -> str:
    """The lockfile ``verify`` uses when none is named: requirements.txt, then pylock.toml.

    Raises:
        LockgateError: neither exists in ``directory``.
    """
    for name in DEFAULT_LOCKFILES:
        candidate = os.path.join(directory, name)
        if os.path.isfile(candidate):
            return os.path.relpath(candidate) if directory == "." else candidate
    raise LockgateError(
        f"no lockfile given and no {' or '.join(DEFAULT_LOCKFILES)} in {os.path.abspath(directory)}; "
        "pass -l PATH, or create one with: lockgate generate"
    )


def read_lockfile(path: str, *, extras: tuple[str, ...] = (), groups: tuple[str, ...] = (), text: str | None = None) -> Lockfile:
    """Read a lockfile of any supported format.

    Args:
        path: requirements.txt-style file, pylock.toml (PEP 751) or uv.lock.
        extras: extras to select; for pylock.toml and uv.lock only.
        groups: dependency groups to select; for pylock.toml and uv.lock only.
        text: the file's text when the caller has read it already (requirements, pylock.toml).

    Returns:
        The parsed :class:`~lockgate.env.model.Lockfile`.

    Raises:
        LockgateError: missing or unreadable file, invalid content, or extras/groups asked of a
            requirements file (which has none).
    """
    if not os.path.exists(path):
        raise LockgateError(f"lockfile not found: {path}; create one with: lockgate generate")
    if os.path.isdir(path):
        raise LockgateError("is a folder, not a lockfile; name the file with -l", path)
    format = detect_format(path)
    if format == "uv.lock":
        from .uv_lock import read_uv_lock

        if os.path.basename(path) != "uv.lock":
            raise LockgateError("uv reads a uv.lock only under that name, beside its pyproject.toml", path)
        return read_uv_lock(path, extras=extras, groups=groups)
    if format == "pylock.toml":
        from .pylock_toml import read_pylock

        return read_pylock(path, text=text)
    if extras or groups:
        raise LockgateError("--extra and --group select from pylock.toml or uv.lock; a requirements file has none", path)
    from .requirements_txt import read_requirements

    return read_requirements(path, text=text)
