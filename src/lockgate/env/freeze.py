"""``lockgate freeze``: the live environment as a requirements.txt lock, each distribution with
its exact source - what a benchmark submission records as "the software that ran".

From the PEP 610 ``direct_url.json`` of each distribution: an index install is
``NAME==VERSION``; a VCS install ``NAME @ git+URL@COMMIT`` (``#subdirectory=`` kept); an
editable one ``-e PATH``; a folder or archive ``NAME @ URL`` (an archive with its recorded
hash as ``--hash``). A header names the interpreter, its Python and platform, the environment
fingerprint and the Python versions the lock is for (``requires-python``).
"""

from __future__ import annotations

import time

from ..errors import LockgateError
from .interpreter import Interpreter, find_interpreter
from .inventory import InstalledDistribution, Inventory, scan_inventory


def freeze(python: str | None = None) -> str:
    """The target environment as requirements.txt text (see the module doc).

    Args:
        python: interpreter or venv folder; None finds the target as ``verify`` does.

    Raises:
        LockgateError: the interpreter cannot be used.
    """
    interpreter = find_interpreter(python)
    inventory = scan_inventory(interpreter.site_dirs, interpreter.base_site_dirs)
    return freeze_text(interpreter, inventory)


def freeze_text(interpreter: Interpreter, inventory: Inventory) -> str:
    """:func:`freeze` of an environment already scanned (``run --freeze`` has one)."""
    environment = interpreter.marker_environment()
    major_minor = ".".join(interpreter.version.split(".")[:2])
    header = [
        "# This file was written by lockgate freeze: the distributions installed in",
        f"#   {interpreter.executable} (Python {interpreter.version}, {interpreter.platform()})",
        f"# environment fingerprint: {inventory.fingerprint()}",
        f"# requires-python: =={major_minor}.*  (sys_platform {environment['sys_platform']})",
        f"# frozen at {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}",
    ]
    lines = [requirement_line(dist) for dist in sorted(inventory.distributions.values(), key=lambda d: d.name)]
    return "\n".join([*header, *lines]) + "\n"


def requirement_line(dist: InstalledDistribution) -> str:
    """One distribution as a requirements line, from its ``direct_url.json``."""
    direct = dist.direct_url()
    if direct is None:
        return f"{dist.name}=={dist.version}"
    if direct.vcs_info is not None:
        vcs = direct.vcs_info
        line = f"{dist.name} @ {vcs.vcs}+{direct.url}@{vcs.commit_id}"
        return f"{line}#subdirectory={direct.subdirectory}" if direct.subdirectory else line
    if direct.dir_info is not None and direct.dir_info.editable:
        return f"-e {_local(direct.url)}"
    line = f"{dist.name} @ {direct.url}"
    hashes = direct.archive_info.hashes if direct.archive_info else None
    if hashes and "sha256" in hashes:
        line += f" --hash=sha256:{hashes['sha256']}"
    return line


def _local(url: str) -> str:
    """A ``file://`` URL as the folder it names (what ``-e`` takes)."""
    if not url.startswith("file:"):
        raise LockgateError(f"an editable install from {url}, which is not a local folder; it cannot be frozen")
    from urllib.parse import unquote, urlsplit

    return unquote(urlsplit(url).path)


def freeze_pylock(python: str | None = None, uv_options: list[str] | None = None) -> str:
    """The target environment as a PEP 751 ``pylock.toml``: the same exact pins as
    :func:`freeze`, with the wheel URLs and hashes PEP 751 wants (an installed environment
    keeps neither) found by ``uv pip compile --no-deps`` for the target interpreter.

    Args:
        python: interpreter or venv folder; None finds the target as ``verify`` does.
        uv_options: where uv finds the distributions (``--index-url``, ``--find-links``,
            ``--no-index``, ``--offline``…).

    Raises:
        LockgateError: uv cannot find a pinned distribution (uv's explanation in ``detail``),
            or its output is not a valid PEP 751 lock.
    """
    import os
    import subprocess
    import tempfile

    from .._io import announce
    from .._uv import find_uv
    from .readers.pylock_toml import read_pylock

    interpreter = find_interpreter(python)
    requirements = freeze_text(interpreter, scan_inventory(interpreter.site_dirs, interpreter.base_site_dirs))
    with tempfile.TemporaryDirectory(prefix="lockgate-freeze-") as folder:
        source, output = os.path.join(folder, "frozen.txt"), os.path.join(folder, "pylock.toml")
        with open(source, "w", encoding="utf-8") as handle:
            handle.write(requirements)
        command = [find_uv(), "pip", "compile", source, "--format", "pylock.toml", "--no-deps", "--output-file", output, "--python",
                   interpreter.executable, "--no-header", "--quiet", "--no-progress", *(uv_options or [])]  # fmt: skip
        announce(command)
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            raise LockgateError(f"uv could not find the frozen distributions (uv pip compile exit {result.returncode})", detail=result.stderr)
        read_pylock(output)  # validated by packaging.pylock
        with open(output, encoding="utf-8") as handle:
            body = handle.read()
    header = [line for line in requirements.splitlines() if line.startswith("#")]
    return "\n".join(header) + "\n" + body
