"""The existing lock as uv's preferences: what ``lockgate generate`` hands ``uv pip compile`` so
that pins that still fit stay where they are.

uv and pip-compile read their output file's pins as preferences, hand-edited pins included
(editing a pin and recompiling is how a pip-tools user moves one package). lockgate does the
same. uv refuses the whole file when one entry does not parse, so the entries that would not
(a garbled hand edit) are left out, each named in a warning; every other pin is kept. A
requirements file's ``--hash`` options are left out too: uv copies a preference's hashes into
its output, so a version edited by hand would keep the hashes of the one it replaced.
"""

from __future__ import annotations

import re

_CONTINUATION = re.compile(r"\\\r?\n")
_HASH_OPTION = re.compile(r"\s--hash[=\s]")


def usable_preferences(text: str, format: str, path: str) -> tuple[str | None, list[str]]:
    """``(text to hand uv, or None for none; warnings)`` of a lockfile ``text`` read from ``path``.

    Args:
        format: ``requirements.txt`` or ``pylock.toml``.

    Returns:
        The text without the entries uv would refuse, and one warning per entry left out (its
        line and why). A pylock.toml that is not valid TOML, or whose top level is not PEP 751,
        gives None: nothing of it can be kept.
    """
    if format == "pylock.toml":
        return _pylock_preferences(text, path)
    return _requirements_preferences(text, path)


def _requirements_preferences(text: str, path: str) -> tuple[str, list[str]]:
    """Requirement lines (with their ``\\`` continuations) that packaging cannot parse are dropped,
    the others lose their ``--hash`` options; comments and option lines (``-e``,
    ``--index-url``) are kept as they are."""
    from packaging.requirements import InvalidRequirement, Requirement

    lines = text.splitlines(keepends=True)
    kept: list[str] = []
    warnings: list[str] = []
    start = 0
    while start < len(lines):
        end = start + 1
        while lines[end - 1].rstrip("\r\n").endswith("\\") and end < len(lines):
            end += 1
        entry = "".join(lines[start:end])
        words = _CONTINUATION.sub(" ", entry).split(" #")[0].strip()
        try:
            if words and not words.startswith(("#", "-")):
                requirement = _HASH_OPTION.split(f" {words}")[0].strip()
                Requirement(requirement)
                entry = f"{requirement}\n"  # without its hashes: uv would copy them to an edited version
            kept.append(entry)
        except InvalidRequirement as error:
            warnings.append(f"{path}:{start + 1}: {words!r} is not a requirement ({error}); left out of uv's preferences")
        start = end
    return "".join(kept), warnings


def _pylock_preferences(text: str, path: str) -> tuple[str | None, list[str]]:
    """``[[packages]]`` entries whose name or version does not parse are dropped (what uv
    reads of a preference; packaging's whole PEP 751 validation is stricter than uv's)."""
    from .._toml import loads_toml
    from ..errors import LockgateError

    try:
        packages = loads_toml(text, path).get("packages", [])
    except LockgateError as error:
        return None, [f"{path}: not used as uv's preferences ({error.message}); resolved afresh"]
    if not isinstance(packages, list):
        return None, [f"{path}: not used as uv's preferences (packages is not an array of tables); resolved afresh"]
    refused = {number: why for number, why in enumerate(map(_package_problem, packages)) if why}
    if not refused:
        return text, []
    lines = text.splitlines(keepends=True)
    kept, warnings = [], []
    number, dropping = -1, False
    for line_number, line in enumerate(lines, 1):
        if line.strip() == "[[packages]]":
            number += 1
            dropping = number in refused
            if dropping:
                warnings.append(f"{path}:{line_number}: package entry {number + 1}: {refused[number]}; left out of uv's preferences")
        elif line.startswith("[") and not line.startswith(("[packages.", "[[packages.")):
            dropping = False
        if not dropping:
            kept.append(line)
    return "".join(kept), warnings


def _package_problem(package: object) -> str | None:
    """Why uv would refuse a pylock.toml ``[[packages]]`` entry as a preference, or None."""
    from packaging.utils import InvalidName, canonicalize_name
    from packaging.version import InvalidVersion, Version

    if not isinstance(package, dict) or not isinstance(package.get("name"), str):
        return "no name"
    try:
        canonicalize_name(package["name"], validate=True)
        if "version" in package:
            Version(str(package["version"]))
    except (InvalidName, InvalidVersion) as error:
        return str(error)
    return None
