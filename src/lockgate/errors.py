"""Errors that lockgate reports to the user as one line and exit code 2."""

from __future__ import annotations


class LockgateError(Exception):
    """Bad input or a failed step: shown as one line, never as a traceback.

    Args:
        message: what is wrong and, where it helps, what to do.
        path: the file the problem is in, if any.
        line: the 1-based line number in ``path``, if known.
        detail: another tool's own explanation (uv's resolver error), shown under the line.

    ``str(error)`` is ``"PATH:LINE: MESSAGE"`` (or the parts that are known), always one line:
    of a multi-line message (packaging draws a caret under the fault) only the first is kept.
    ``exit_code`` is what the command line exits with (2; a failed check's subclass says 1).
    """

    exit_code = 2

    def __init__(self, message: str, path: str | None = None, line: int | None = None, detail: str = ""):
        self.message = message.strip().splitlines()[0] if message.strip() else message
        self.path = path
        self.line = line
        self.detail = detail.strip()
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.path or ""
        if where and self.line:
            where = f"{where}:{self.line}"
        return f"{where}: {self.message}" if where else self.message
