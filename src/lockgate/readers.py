"""``lockgate.readers``, the documented import path of :mod:`lockgate.env.readers`."""

from .env.readers import DEFAULT_LOCKFILES, detect_format, find_default_lockfile, read_lockfile

__all__ = ["DEFAULT_LOCKFILES", "detect_format", "find_default_lockfile", "read_lockfile"]
