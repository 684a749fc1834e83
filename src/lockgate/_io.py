"""File reading with one-line errors."""

from __future__ import annotations

from .errors import LockgateError


def read_text(path: str) -> str:
    """Read a UTF-8 text file (a leading BOM is dropped).

    Raises:
        LockgateError: the file cannot be read or is not UTF-8 (naming the byte offset).
    """
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as error:
        raise LockgateError(f"cannot read: {error.strerror}", path) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise LockgateError(f"not UTF-8 text (byte {error.start}); save the file as UTF-8", path) from None
