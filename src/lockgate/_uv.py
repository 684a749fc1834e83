"""Locating the uv binary: the one from the ``uv`` wheel lockgate depends on."""

from __future__ import annotations

import os

from .errors import LockgateError


def find_uv() -> str:
    """Return the path of the uv executable to run.

    Order: the ``UV`` environment variable, the ``uv`` wheel installed with lockgate, ``uv`` on PATH.

    Raises:
        LockgateError: none of them gives an executable.
    """
    return find_uv_and_version()[0]


def find_uv_and_version() -> tuple[str, str | None]:
    """``(path, version)`` of the uv to run (as :func:`find_uv`); the version is read from the
    wheel's dist-info folder when the binary is the wheel's, else None (ask ``uv --version``).

    Raises:
        LockgateError: no uv found.
    """
    override = os.environ.get("UV")
    if override:
        return override, None
    try:
        import uv
        from uv import find_uv_bin

        return find_uv_bin(), _wheel_version(os.path.dirname(os.path.dirname(uv.__file__)))
    except (ImportError, FileNotFoundError):
        pass
    import shutil

    found = shutil.which("uv")
    if found:
        return found, None
    raise LockgateError("uv not found: install lockgate with its dependencies (pip install lockgate) or set UV=/path/to/uv")


def _wheel_version(site_dir: str) -> str | None:
    try:
        names = os.listdir(site_dir)
    except OSError:
        return None
    versions = [name[len("uv-") : -len(".dist-info")] for name in names if name.startswith("uv-") and name.endswith(".dist-info")]
    return versions[0] if len(versions) == 1 else None
