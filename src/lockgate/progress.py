"""A progress bar on the terminal for work that turns out to be long (rich, imported only then)."""

from __future__ import annotations

import sys
import time
from typing import Any


class DelayedProgress:
    """A ``callable(done, total)`` that shows a rich progress bar on stderr once the work has
    run longer than ``delay`` seconds, and nothing before: short checks stay quiet.

    Use as a context manager; the bar is removed on exit. ``done`` and ``total`` are bytes.
    """

    def __init__(self, description: str, delay: float = 1.0):
        self.description = description
        self.delay = delay
        self._started = time.monotonic()
        self._progress: Any = None  # a rich Progress once shown (rich is imported only then)
        self._task: Any = None

    def __call__(self, done: int, total: int) -> None:
        if self._progress is None:
            if time.monotonic() - self._started < self.delay:
                return
            self._start(total)
        self._progress.update(self._task, completed=done, total=total)

    def _start(self, total: int) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

        columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn())
        self._progress = Progress(*columns, console=Console(file=sys.stderr), transient=True)
        self._progress.start()
        self._task = self._progress.add_task(self.description, total=total)

    def __enter__(self) -> DelayedProgress:
        return self

    def __exit__(self, *exc) -> None:
        if self._progress is not None:
            self._progress.stop()


def terminal_progress(description: str, wanted: bool):
    """A :class:`DelayedProgress` when ``wanted`` and stderr is a terminal, else None."""
    return DelayedProgress(description) if wanted and sys.stderr.isatty() else None
