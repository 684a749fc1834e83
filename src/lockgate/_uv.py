"""Locating the uv binary: the one from the ``uv`` wheel lockgate depends on."""

from __future__ import annotations

import os
import shutil

from .errors import LockgateError


def find_uv() -> str:
    """Return the path of the uv executable to run.

    Order: the ``UV`` environment variable, the ``uv`` wheel installed with lockgate, ``uv`` on PATH.

    Raises:
        LockgateError: none of them gives an executable.
    """
    override = os.environ.get("UV")
    if override:
        return override
    try:
        from uv import find_uv_bin

        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        pass
    found = shutil.which("uv")
    if found:
        return found
    raise LockgateError("uv not found: install lockgate with its dependencies (pip install lockgate) or set UV=/path/to/uv")
