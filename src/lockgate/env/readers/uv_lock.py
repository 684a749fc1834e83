"""Reader for ``uv.lock``: uv itself exports it as a PEP 751 lock (``uv export --frozen``).

uv.lock keeps markers on dependency edges, not on packages; uv's own export is the exact way
to turn it into the per-package markers lockgate compares.
"""

from __future__ import annotations

import os
import subprocess

from ..._uv import find_uv
from ...errors import LockgateError
from ..model import Lockfile

FORMAT = "uv.lock"


def read_uv_lock(path: str, *, extras: tuple[str, ...] = (), groups: tuple[str, ...] = ()) -> Lockfile:
    """Read a uv.lock through ``uv export --frozen --offline --format pylock.toml``.

    Args:
        path: the uv.lock; its project's pyproject.toml must be in the same folder.
        extras: extras to include (``--extra``), as ``uv sync --extra`` would install.
        groups: dependency groups to include (``--group``) besides uv's default groups.

    Returns:
        A :class:`~lockgate.env.model.Lockfile` with format ``"uv.lock"``.

    Raises:
        LockgateError: no pyproject.toml beside the lock, or uv failed (uv's message follows).
    """
    from ..._toml import loads_toml
    from .pylock_toml import lockfile_from_document

    project = os.path.dirname(os.path.abspath(path))
    if not os.path.isfile(os.path.join(project, "pyproject.toml")):
        raise LockgateError("uv.lock needs its project's pyproject.toml in the same folder to be read", path)
    command = [find_uv(), "export", "--frozen", "--offline", "--quiet", "--format", "pylock.toml", "--no-header"]
    command += [f"--extra={name}" for name in extras] + [f"--group={name}" for name in groups]
    from ..._io import announce

    announce(command, project)
    result = subprocess.run(command, cwd=project, capture_output=True, text=True)
    if result.returncode != 0:
        detail = (result.stderr.strip() or result.stdout.strip()).replace("\n", " ")
        raise LockgateError(f"uv export could not read it: {detail}", path)
    document = loads_toml(result.stdout, f"{path} (as exported by uv)")
    lockfile = lockfile_from_document(path, document, project, FORMAT)  # origins: packages[N]; export lines are not uv.lock lines
    lockfile.options["exported_with"] = command[1:]
    return lockfile
