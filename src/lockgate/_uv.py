"""Locating the uv binary (the one from the ``uv`` wheel lockgate depends on) and the
configuration files it reads."""

from __future__ import annotations

import os

from .errors import LockgateError

TYPE_CHECKING = False  # not typing's: importing typing costs verify's start-up
if TYPE_CHECKING:
    from collections.abc import Mapping


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


def uv_config_files(folder: str, pyproject: str, environ: Mapping[str, str]) -> list[tuple[str, str, str | None]]:
    """The configuration files uv reads for a project in ``folder`` (uv's "Configuration files"
    documentation): ``UV_CONFIG_FILE`` alone when set, none under ``UV_NO_CONFIG``, else the
    nearest ``uv.toml`` or ``pyproject.toml`` with ``[tool.uv]`` from ``folder`` up (not
    ``pyproject``, the project's own), the user's and the system's ``uv/uv.toml``.

    Returns:
        ``(label, path, table)`` each: the label as a message names it (a path relative to
        ``folder``, ``user uv.toml``, ``system uv.toml``), ``table`` ``"tool.uv"`` for a
        pyproject.toml, None for a uv.toml.

    Raises:
        LockgateError: a pyproject.toml on the way up is not valid TOML (naming it).
    """
    if environ.get("UV_NO_CONFIG"):
        return []
    if environ.get("UV_CONFIG_FILE"):
        return [("UV_CONFIG_FILE", environ["UV_CONFIG_FILE"], None)]
    found = []
    project = _project_config(folder)
    if project and project[0] != pyproject:
        found.append((os.path.relpath(project[0], folder).replace(os.sep, "/"), *project))
    home = environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    user = os.path.join(home, "uv", "uv.toml")
    if os.path.isfile(user):
        found.append(("user uv.toml", user, None))
    dirs = [d for d in (environ.get("XDG_CONFIG_DIRS") or "").split(os.pathsep) if d] + ["/etc"]
    system = next((os.path.join(d, "uv", "uv.toml") for d in dirs if os.path.isfile(os.path.join(d, "uv", "uv.toml"))), None)
    if system:
        found.append(("system uv.toml", system, None))
    return found


def _project_config(folder: str) -> tuple[str, str | None] | None:
    """The nearest ``uv.toml``, or ``pyproject.toml`` with ``[tool.uv]``, from ``folder`` up."""
    while True:
        candidate = os.path.join(folder, "uv.toml")
        if os.path.isfile(candidate):
            return candidate, None
        candidate = os.path.join(folder, "pyproject.toml")
        if os.path.isfile(candidate) and _has_tool_uv(candidate):
            return candidate, "tool.uv"
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def _has_tool_uv(path: str) -> bool:
    from ._toml import load_toml

    tool = load_toml(path).get("tool")
    return isinstance(tool, dict) and "uv" in tool
