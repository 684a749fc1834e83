"""Project configuration: ``lockgate.toml`` or ``[tool.lockgate]`` in pyproject.toml.

For verify::

    [verify]                # in lockgate.toml; [tool.lockgate.verify] in pyproject.toml
    skip = ["pip", "setuptools"]
"""

from __future__ import annotations

import os


def load_config(directory: str = ".") -> tuple[dict, str | None]:
    """The lockgate settings that apply in ``directory``, found as uv finds its own: the
    nearest ``lockgate.toml``, or ``pyproject.toml`` with a ``[tool.lockgate]`` table, from
    ``directory`` upward (``lockgate.toml`` wins in one folder; a pyproject without the table is
    passed over), stopping at the repository root (a folder with ``.git``).

    Returns:
        ``(settings, path)``: the table and the file it came from; ``({}, None)`` when there is none.

    Raises:
        LockgateError: the file is not valid TOML, or ``[tool.lockgate]`` is not a table.
    """
    folder = os.path.abspath(directory)
    while True:
        found = _config_in(folder)
        if found[1] is not None:
            return found
        parent = os.path.dirname(folder)
        if parent == folder or os.path.exists(os.path.join(folder, ".git")):
            return {}, None
        folder = parent


def _config_in(directory: str) -> tuple[dict, str | None]:
    """The settings of ``directory`` itself (:func:`load_config` without the search)."""
    dedicated = os.path.join(directory, "lockgate.toml")
    if os.path.isfile(dedicated):
        from ._toml import load_toml

        return load_toml(dedicated), dedicated  # a TOML document is always a table
    pyproject = os.path.join(directory, "pyproject.toml")
    try:
        with open(pyproject, encoding="utf-8", errors="replace") as handle:
            mentions = "tool.lockgate" in handle.read()
    except OSError:
        return {}, None
    if not mentions:  # parsing TOML costs more than reading: only parse when it can matter
        return {}, None
    from ._toml import load_toml
    from .shapes import table

    document = load_toml(pyproject)
    settings = table(table(document.get("tool"), "tool", pyproject).get("lockgate"), "tool.lockgate", pyproject)
    return settings, pyproject


def configured_skip(directory: str = ".") -> frozenset[str]:
    """Normalized names in ``verify.skip`` of the project's configuration.

    Raises:
        LockgateError: ``verify`` is not a table or ``skip`` not a list of strings.
    """
    settings, path = load_config(directory)
    if not settings:
        return frozenset()
    from .env.model import normalize_name
    from .shapes import string_list, table

    skip = string_list(table(settings.get("verify"), "verify", path).get("skip"), "verify.skip", path)
    return frozenset(normalize_name(name) for name in skip)
