"""Lockfile readers: every supported format parsed into one :class:`~lockgate.env.model.Lockfile`."""

from __future__ import annotations

import os

from ...errors import LockgateError
from ..model import Lockfile, Selection

DEFAULT_LOCKFILES = ("requirements.txt", "pylock.toml", "uv.lock")
#: ``-l -``: the lock is read from standard input.
STDIN = "-"
#: Locks of tools whose format lockgate does not read: the command that exports one it does.
EXPORTS = {
    "poetry.lock": ("Poetry", "poetry export -f requirements.txt -o requirements.txt  (the poetry-plugin-export command)"),
    "pdm.lock": ("PDM", "pdm export -f pylock -o pylock.toml"),
    "Pipfile.lock": ("Pipenv", "pipenv requirements > requirements.txt"),
}


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
    """The lockfile ``verify`` uses when none is named: requirements.txt, then pylock.toml, then
    uv.lock. When more than one is there, which one was chosen and why is said on stderr.

    Raises:
        LockgateError: none of them exists in ``directory``.
    """
    present = [name for name in DEFAULT_LOCKFILES if os.path.isfile(os.path.join(directory, name))]
    if not present:
        raise LockgateError(
            f"no lockfile given and no {' or '.join(DEFAULT_LOCKFILES)} in {os.path.abspath(directory)}; "
            "pass -l PATH, or create one with: lockgate generate"
        )
    if len(present) > 1:
        from ..._io import warn

        warn(f"using {present[0]}, the first of {', '.join(DEFAULT_LOCKFILES)} here (also found: {', '.join(present[1:])}); "
             "name another with -l")  # fmt: skip
    candidate = os.path.join(directory, present[0])
    return os.path.relpath(candidate) if directory == "." else candidate


def resolve_lockfile(path: str) -> tuple[str, str]:
    """``(format, path to read)``: :func:`detect_format`, but a symlink that is not a pylock.toml
    (``uv.lock`` or ``current.lock`` linked to ``../proj/uv.lock``) goes by the name of the file it
    points to, and a linked uv.lock is read at its target, beside its project's pyproject.toml."""
    format = detect_format(path)
    if format != "pylock.toml" and os.path.islink(path):
        real = os.path.realpath(path)
        format = detect_format(real) if format == "requirements.txt" else format
        path = real if format == "uv.lock" else path
    return format, path


def read_lockfile(path: str, *, selection: Selection = Selection(), text: str | None = None, validate: bool = False,
                  python: str | None = None) -> Lockfile:  # fmt: skip
    """Read a lockfile of any supported format.

    Args:
        path: requirements.txt-style file, pylock.toml (PEP 751) or uv.lock, or ``-`` for
            standard input (a requirements file, or PEP 751 when it has ``lock-version``); a
            symlink whose own name says requirements file (``current.lock``) is read by the name
            of its file, and a linked uv.lock beside its target's pyproject.toml.
        selection: the extras and dependency groups to select; for pylock.toml and uv.lock only
            (a uv.lock is read for them; a pylock.toml's markers are evaluated for them later).
        text: the file's text when the caller has read it already (requirements, pylock.toml).
        validate: check a pylock.toml whole with ``packaging.pylock`` (else only what lockgate
            reads; see :func:`~lockgate.env.readers.pylock_toml.read_pylock`).
        python: the interpreter a uv.lock is checked for: given, ``options["stale"]`` says
            whether the lock still describes its project (:func:`~lockgate.env.readers.uv_lock.read_uv_lock`).

    Returns:
        The parsed :class:`~lockgate.env.model.Lockfile`.

    Raises:
        LockgateError: missing or unreadable file, invalid content, or extras/groups asked of a
            requirements file (which has none), or another tool's lock (:data:`EXPORTS`: the export command is named).
    """
    if path == STDIN:
        return _read_stdin(selection, validate)
    if "://" in path:
        raise LockgateError(f"{path}: lockgate reads local files; download the lock first (curl -fLO URL) and name the file")
    if not os.path.exists(path):
        raise LockgateError(f"lockfile not found: {path}; create one with: lockgate generate")
    if os.path.isdir(path):
        raise LockgateError("is a folder, not a lockfile; name the file with -l", path)
    if os.path.basename(path) in EXPORTS:
        tool, command = EXPORTS[os.path.basename(path)]
        raise LockgateError(f"{tool}'s lock format, which lockgate does not read; export a lock it reads: {command}", path)
    format, path = resolve_lockfile(path)
    if format == "uv.lock":
        from .uv_lock import read_uv_lock

        if os.path.basename(path) != "uv.lock":
            raise LockgateError("uv reads a uv.lock only under that name, beside its pyproject.toml", path)
        return read_uv_lock(path, selection=selection, python=python)
    if format == "pylock.toml":
        from .pylock_toml import read_pylock

        return read_pylock(path, text=text, validate=validate)
    if selection.asked:
        raise LockgateError("extras and groups are selected from pylock.toml or uv.lock; a requirements file has none", path)
    from .requirements_txt import read_requirements

    return read_requirements(path, text=text)


def _read_stdin(selection: Selection, validate: bool) -> Lockfile:
    """``-l -``: a requirements file or a pylock.toml (told by its ``lock-version`` key) from
    standard input; relative paths in it start from the current folder."""
    import re
    import sys

    data = sys.stdin.buffer.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise LockgateError("-l -: standard input is not UTF-8 text; pass a lockfile") from None
    if re.search(r"^lock-version\s*=", text, re.M):
        from .pylock_toml import read_pylock

        lock = read_pylock(STDIN, text=text, validate=validate)
    elif re.search(r"^\[\[package\]\]", text, re.M):
        raise LockgateError("-l -: a uv.lock is read beside its pyproject.toml; name the file: -l path/to/uv.lock")
    else:
        if selection.asked:
            raise LockgateError("-l -: extras and groups are selected from pylock.toml or uv.lock; a requirements file has none")
        from .requirements_txt import read_requirements

        lock = read_requirements(STDIN, text=text)
    lock.data = data
    return lock
