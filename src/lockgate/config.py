"""Project configuration: ``lockgate.toml`` or ``[tool.lockgate]`` in pyproject.toml.

For verify::

    [verify]                # in lockgate.toml; [tool.lockgate.verify] in pyproject.toml
    skip = ["pip", "setuptools"]
"""

from __future__ import annotations

import os

from .errors import LockgateError


def load_config(directory: str = ".") -> tuple[dict, str | None]:
    """The lockgate settings of the project in ``directory``.

    Returns:
        ``(settings, path)``: the ``[tool.lockgate]`` table of pyproject.toml or the whole of
        lockgate.toml (which wins), and the file it came from; ``({}, None)`` when there is none.

    Raises:
        LockgateError: the file is not valid TOML.
    """
    dedicated = os.path.join(directory, "lockgate.toml")
    if os.path.isfile(dedicated):
        from ._toml import load_toml

        return load_toml(dedicated), dedicated
    pyproject = os.path.join(directory, "pyproject.toml")
    try:
        with open(pyproject, encoding="utf-8", errors="replace") as handle:
            mentions = "tool.lockgate" in handle.read()
    except OSError:
        return {}, None
    if not mentions:  # parsing TOML costs more than reading: only parse when it can matter
        return {}, None
    from ._toml import load_toml

    settings = load_toml(pyproject).get("tool", {}).get("lockgate", {})
    return (settings, pyproject) if isinstance(settings, dict) else ({}, None)


def configured_skip(directory: str = ".") -> frozenset[str]:
    """Normalized names in ``verify.skip`` of the project's configuration.

    Raises:
        LockgateError: ``skip`` is not a list of strings.
    """
    from .model import normalize_name

    settings, path = load_config(directory)
    skip = settings.get("verify", {}).get("skip", [])
    if not isinstance(skip, list) or not all(isinstance(name, str) for name in skip):
        raise LockgateError("verify.skip must be a list of distribution names", path)
    return frozenset(normalize_name(name) for name in skip)
