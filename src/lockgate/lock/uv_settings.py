"""The uv settings outside lockgate's command line that change what ``uv pip compile``
resolves: ``UV_*`` environment variables and the configuration files uv discovers.

uv reads, in order of precedence (uv's "Configuration files" documentation): its command line,
then environment variables, then the project's configuration (the nearest ``uv.toml``, or
``pyproject.toml`` with a ``[tool.uv]`` table, from the working folder up; ``uv.toml`` wins in
one folder), the user's (``$XDG_CONFIG_HOME/uv/uv.toml`` or ``~/.config/uv/uv.toml``) and the
system's (``$XDG_CONFIG_DIRS/uv/uv.toml`` or ``/etc/uv/uv.toml``). ``UV_CONFIG_FILE`` replaces
every discovered file; ``UV_NO_CONFIG`` turns discovery off.

Only the keys that can change a resolution are kept (:data:`RESOLUTION_KEYS`); cache folders,
timeouts and the like are not. The locked project's own ``pyproject.toml`` is left out here:
its ``[tool.uv]`` is part of the dependency inputs (:mod:`lockgate.lock.provenance`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from .._uv import uv_config_files

#: Top-level keys of ``uv.toml`` / ``[tool.uv]`` that change what a resolution returns; the
#: ``pip`` table (settings of the ``uv pip`` commands) counts whole.
RESOLUTION_KEYS = frozenset({
    "index", "index-url", "extra-index-url", "find-links", "no-index", "index-strategy", "resolution",
    "prerelease", "fork-strategy", "exclude-newer", "exclude-newer-package", "no-binary", "no-binary-package",
    "no-build", "no-build-package", "no-sources", "sources", "environments", "required-environments",
    "constraint-dependencies", "override-dependencies", "build-constraint-dependencies", "dependency-metadata",
    "conflicts", "torch-backend", "python-preference", "pip",
})  # fmt: skip

#: ``UV_*`` variables that change what ``uv pip compile`` resolves.
RESOLUTION_VARIABLES = (
    "UV_INDEX", "UV_DEFAULT_INDEX", "UV_INDEX_URL", "UV_EXTRA_INDEX_URL", "UV_FIND_LINKS", "UV_NO_INDEX",
    "UV_INDEX_STRATEGY", "UV_EXCLUDE_NEWER", "UV_PRERELEASE", "UV_RESOLUTION", "UV_FORK_STRATEGY",
    "UV_TORCH_BACKEND", "UV_CONSTRAINT", "UV_OVERRIDE", "UV_BUILD_CONSTRAINT", "UV_NO_BINARY",
    "UV_NO_BINARY_PACKAGE", "UV_NO_BUILD", "UV_NO_BUILD_PACKAGE", "UV_NO_SOURCES", "UV_OFFLINE",
    "UV_CONFIG_FILE", "UV_NO_CONFIG",
)  # fmt: skip
#: Which interpreter uv resolves for: it matters only to a lock for one Python that names none.
INTERPRETER_VARIABLES = ("UV_PYTHON",)


def resolution_settings(pyproject: str, environ: Mapping[str, str] | None = None, *, interpreter_matters: bool = False) -> dict[str, dict[str, Any]]:
    """What, besides lockgate's own options and the pyproject, steers uv's resolution of
    ``pyproject`` (uv runs in its folder).

    Args:
        pyproject: the pyproject.toml being locked.
        environ: the environment uv gets; None is ``os.environ``.
        interpreter_matters: the lock is for the interpreter uv finds (not universal, no
            ``--python-version``), so ``UV_PYTHON`` counts too.

    Returns:
        ``{source: {key: value}}``, JSON-ready, empty sources left out: ``"environment"`` for
        the variables (:data:`RESOLUTION_VARIABLES`), and one entry per configuration file,
        named by its path relative to the pyproject's folder (``"../uv.toml"``) or as
        ``"user uv.toml"`` / ``"system uv.toml"``. Credentials in URLs are removed.

    Raises:
        LockgateError: a configuration file is not valid TOML (naming it).
    """
    environ = os.environ if environ is None else environ
    folder = os.path.dirname(os.path.abspath(pyproject))
    settings: dict[str, dict[str, Any]] = {}
    names = RESOLUTION_VARIABLES + (INTERPRETER_VARIABLES if interpreter_matters else ())
    variables = {name: _redact(environ[name]) for name in names if environ.get(name)}
    if variables:
        settings["environment"] = variables
    for label, path, table in uv_config_files(folder, os.path.abspath(pyproject), environ):
        kept = _resolution_part(path, table)
        if kept:
            settings[label] = kept
    return settings


def describe_change(recorded: dict[str, Any], current: dict[str, Any]) -> str:
    """``"environment UV_EXCLUDE_NEWER, ../uv.toml pip"``: which settings differ, for a message."""
    changed: list[str] = []
    for source in sorted(set(recorded) | set(current)):
        old, new = recorded.get(source, {}), current.get(source, {})
        keys = sorted(key for key in set(old) | set(new) if old.get(key) != new.get(key))
        changed.extend(f"{source} {key}" for key in keys)
    return ", ".join(changed)


def _resolution_part(path: str, table: str | None) -> dict[str, Any]:
    from .._toml import load_toml
    from ..shapes import table as as_table

    document = load_toml(path)
    if table:
        document = as_table(as_table(document.get("tool"), "tool", path).get("uv"), "tool.uv", path)
    return {key: _redact(value) for key, value in sorted(document.items()) if key in RESOLUTION_KEYS}


def _redact(value: Any) -> Any:
    """``value`` with ``user:password@`` removed from every URL in it (strings, lists, tables)."""
    if isinstance(value, str):
        from ..urls import without_credentials

        return " ".join(without_credentials(word) for word in value.split(" "))
    if isinstance(value, list):
        return [_redact(item) for item in value]
    if isinstance(value, dict):
        return {key: _redact(item) for key, item in value.items()}
    return value
