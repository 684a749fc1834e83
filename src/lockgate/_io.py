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


def write_atomic(path: str, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that readers see the old file or the new one, never a mix.

    Writes a temporary file in the same folder, fsyncs it, renames it over ``path`` and fsyncs
    the folder. On any failure the temporary file is removed and ``path`` is left as it was.
    The file keeps the mode of the one it replaces; a new one gets the umask's (not mkstemp's 0600).

    Raises:
        LockgateError: the folder is not writable or the disk is full.
    """
    import os

    folder = os.path.dirname(os.path.abspath(path))
    temporary = os.path.join(folder, f".{os.path.basename(path)}.{os.urandom(6).hex()}.tmp")
    mode = _mode_for(path)
    try:  # not tempfile.mkstemp: importing tempfile costs more than the write
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), mode)
    except OSError as error:
        raise LockgateError(f"cannot write: {error.strerror}", path) from None
    try:
        os.chmod(temporary, mode)  # open's mode passed through the umask
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except OSError as error:
        os.unlink(temporary)
        raise LockgateError(f"cannot write: {error.strerror}", path) from None
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - folders cannot be opened on Windows
        return
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _mode_for(path: str) -> int:
    import os
    import stat

    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
