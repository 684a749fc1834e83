"""File reading with one-line errors."""

from __future__ import annotations

from .errors import LockgateError

TYPE_CHECKING = False  # not typing's: importing typing costs verify's start-up
if TYPE_CHECKING:
    import re


def announce(command: list[str], cwd: str | None = None) -> None:
    """With ``lockgate -v`` (``LOCKGATE_VERBOSE=1``), say on stderr which command lockgate runs."""
    import os

    if os.environ.get("LOCKGATE_VERBOSE"):
        import sys
        from shlex import join

        where = f" (in {cwd})" if cwd else ""
        sys.stderr.write(f"lockgate: running: {join(str(word) for word in command)}{where}\n")
        sys.stderr.flush()


def warn(message: str) -> None:
    """Say on stderr, in one line, something the user should know that changes no verdict
    (which lock was chosen, which environment uv would use)."""
    import sys

    sys.stderr.write(f"lockgate: warning: {message}\n")
    sys.stderr.flush()


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


def header_lines(text: str, pattern: re.Pattern[str]) -> list[int]:
    """1-based line numbers where ``pattern`` matches in ``text``, counted in one pass (a count
    from the start per match made reading a 340 KB lock quadratic: 27 ms for 230 headers)."""
    lines, line, position = [], 1, 0
    for found in pattern.finditer(text):
        line += text.count("\n", position, found.start())
        position = found.start()
        lines.append(line)
    return lines


def read_regular_file(path: str, limit: int = 64 * 1024 * 1024) -> bytes:
    """The bytes of ``path`` when it is a regular file itself: a symlink (which could lead out of
    an environment) or a FIFO or device (which could block) is never opened for reading.

    Raises:
        OSError: ``path`` is missing, a symlink (``ELOOP``), not a regular file (``EINVAL``),
            larger than ``limit`` bytes (``EFBIG``) or unreadable.
    """
    import errno
    import os
    import stat

    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    descriptor = os.open(path, flags)
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise OSError(errno.EINVAL, "not a regular file", path)
        if status.st_size > limit:
            raise OSError(errno.EFBIG, f"larger than {limit} bytes", path)
        with open(descriptor, "rb", closefd=False) as handle:
            return handle.read(limit + 1)
    finally:
        os.close(descriptor)


def write_atomic(path: str, data: bytes, *, durable: bool = True) -> None:
    """Replace ``path`` with ``data`` so that readers see the old file or the new one, never a mix.

    Writes a temporary file in the target's folder, fsyncs it, renames it over the target and
    fsyncs the folder (``durable=False`` skips both fsyncs: for lockgate's cache, whose files
    are checked when read and may be lost). On any failure the temporary file is removed and the target is left as
    it was. The file keeps the mode of the one it replaces; a new one gets the umask's.

    A symlink is written through: its target is replaced, atomically, and the link stays. A
    character device or FIFO (``/dev/stdout``, a named pipe), and any path under ``/dev/``
    (``/dev/stdout`` redirected to a file), is written directly. Anything else
    that is not a regular file (a folder, a socket) is refused, never replaced.

    Raises:
        LockgateError: not a regular file, the folder is not writable, or the disk is full.
    """
    import os

    target = write_target(path)
    if target is None:
        return _write_directly(path, data)
    folder = os.path.dirname(target)
    temporary = os.path.join(folder, f".{os.path.basename(target)}.{os.urandom(6).hex()}.tmp")
    mode = _mode_for(target)
    try:  # not tempfile.mkstemp: importing tempfile costs more than the write
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), mode)
    except OSError as error:
        raise LockgateError(f"cannot write: {error.strerror}", path) from None
    try:
        os.chmod(temporary, mode)  # open's mode passed through the umask
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            if durable:
                os.fsync(stream.fileno())
        os.replace(temporary, target)
    except OSError as error:
        os.unlink(temporary)
        raise LockgateError(f"cannot write: {error.strerror}", path) from None
    if not durable:
        return
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - folders cannot be opened on Windows
        return
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_target(path: str) -> str | None:
    """Where :func:`write_atomic` puts ``path``: the real path of the regular file (through any
    symlinks, a dangling one included), or None for a character device, a FIFO or a path under
    ``/dev/``, which is written in place.

    Raises:
        LockgateError: ``path`` exists and is neither (a folder, a socket, a block device).
    """
    import os
    import stat

    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return os.path.realpath(path)
    except OSError as error:
        raise LockgateError(f"cannot write: {error.strerror}", path) from None
    if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode) or path.startswith("/dev/"):
        return None
    if not stat.S_ISREG(mode):
        raise LockgateError("not a regular file; it is left as it is: name a file to write", path)
    return os.path.realpath(path)


def _write_directly(path: str, data: bytes) -> None:
    try:
        with open(path, "wb") as stream:
            stream.write(data)
    except OSError as error:
        raise LockgateError(f"cannot write: {error.strerror}", path) from None


def _mode_for(path: str) -> int:
    import os
    import stat

    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
