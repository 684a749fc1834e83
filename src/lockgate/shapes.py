"""Checks of the shape of parsed input (TOML, YAML, JSON) where it enters lockgate: a value of
the wrong type is a one-line error naming the file and the field, never a crash later on."""

from __future__ import annotations

from .errors import LockgateError


def table(value, field: str, path: str | None) -> dict:
    """``value`` when it is a table/mapping (None counts as an empty one).

    Raises:
        LockgateError: ``FIELD: must be a table`` naming ``path``.
    """
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise LockgateError(f"{field}: must be a table (a mapping), not {_kind(value)}", path)
    return value


def string_list(value, field: str, path: str | None) -> list[str]:
    """``value`` when it is a list of strings (None counts as an empty one).

    Raises:
        LockgateError: ``FIELD: must be a list of strings`` naming ``path``.
    """
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise LockgateError(f"{field}: must be a list of strings, not {_kind(value)}", path)
    return value


def plain_text(value, field: str, path: str | None) -> str:
    """``value`` when it is text without control characters or lone surrogates (URLs, paths,
    refs and names that reach the file system, git or HTTP).

    Raises:
        LockgateError: ``FIELD: must be text without control characters`` naming ``path``.
    """
    if not isinstance(value, str):
        raise LockgateError(f"{field}: must be text, not {_kind(value)}", path)
    if any(ord(c) < 32 or ord(c) == 127 or 0xD800 <= ord(c) <= 0xDFFF for c in value):
        raise LockgateError(f"{field}: must be text without control characters", path)
    return value


def _kind(value) -> str:
    return {bool: "true/false", int: "a number", float: "a number", str: "text", list: "a list"}.get(type(value), type(value).__name__)
