"""The target interpreter: where its distributions live and its PEP 508 marker environment.

A venv built on the same base interpreter as the one running lockgate is described without
starting it (its site-packages follow from its prefix, its markers equal ours); any other
interpreter is asked once, in a subprocess.
"""

from __future__ import annotations

import os
import sys

from ..errors import LockgateError

# Runs inside the target interpreter, which may lack packaging: the environment is computed
# as PEP 508's reference code does.
_PROBE = r"""
import json, os, platform, site, sys
v = sys.implementation.version
impl = "%d.%d.%d" % (v.major, v.minor, v.micro)
if v.releaselevel != "final":
    impl += v.releaselevel[0] + str(v.serial)
env = {
    "implementation_name": sys.implementation.name,
    "implementation_version": impl,
    "os_name": os.name,
    "platform_machine": platform.machine(),
    "platform_release": platform.release(),
    "platform_system": platform.system(),
    "platform_version": platform.version(),
    "python_full_version": platform.python_version(),
    "platform_python_implementation": platform.python_implementation(),
    "python_version": ".".join(platform.python_version_tuple()[:2]),
    "sys_platform": sys.platform,
}
dirs = list(site.getsitepackages())
if site.ENABLE_USER_SITE:
    dirs.append(site.getusersitepackages())
own = os.path.realpath(sys.prefix) + os.sep
base = [d for d in dirs if not os.path.realpath(d).startswith(own)] if sys.prefix != sys.base_prefix else []
print(json.dumps({"executable": sys.executable, "prefix": sys.prefix, "version": platform.python_version(),
                  "site_dirs": dirs, "base_site_dirs": base, "marker_environment": env}))
"""


class Interpreter:
    """A Python interpreter whose installed distributions lockgate inspects.

    Attributes:
        executable: path of the interpreter (may be a venv's link to its base).
        prefix: ``sys.prefix`` of the target (the venv folder for a venv).
        version: ``platform.python_version()`` of the target, e.g. ``"3.11.7"``.
        site_dirs: the site-packages folders it reads, in ``sys.path`` order (user site last).
        base_site_dirs: those of ``site_dirs`` outside a venv made with
            ``--system-site-packages``: its base interpreter's (and the user site). What they
            hold is importable in the venv and counts as installed, as pip counts it.
        selected_by: why this interpreter is the target (``"--python"``, ``"VIRTUAL_ENV"``,
            ``"nearest .venv"``, ``"lockgate's interpreter"``, or what the caller said).
    """

    __slots__ = ("executable", "prefix", "version", "site_dirs", "base_site_dirs", "selected_by", "_marker_environment")

    def __init__(self, executable: str, prefix: str, version: str, site_dirs: list[str], marker_environment: dict[str, str] | None = None,
                 base_site_dirs: list[str] | None = None) -> None:  # fmt: skip
        self.executable = executable
        self.prefix = prefix
        self.version = version
        self.site_dirs = site_dirs
        self.base_site_dirs = base_site_dirs or []
        self.selected_by = "lockgate's interpreter"
        self._marker_environment = marker_environment

    def marker_environment(self) -> dict[str, str]:
        """The PEP 508 marker variables of the target (``sys_platform``, ``python_version``…)."""
        if self._marker_environment is None:
            from packaging.markers import default_environment

            self._marker_environment = {key: str(value) for key, value in default_environment().items()}
        return self._marker_environment

    def platform(self) -> str:
        """``"{sys_platform}-{platform_machine}"`` of the target, e.g. ``"linux-x86_64"``."""
        if self._marker_environment is not None:
            return f"{self._marker_environment['sys_platform']}-{self._marker_environment['platform_machine']}"
        # Not probed: the same host and base interpreter as lockgate's own.
        return f"{sys.platform}-{os.uname().machine}" if hasattr(os, "uname") else sys.platform

    def __repr__(self) -> str:
        return f"Interpreter({self.executable!r}, {self.version})"


def find_interpreter(python: str | None = None, *, selected_by: str = "--python") -> Interpreter:
    """Resolve the target interpreter.

    Args:
        python: an interpreter path or a venv folder. None means, as uv looks: the active venv
            (``VIRTUAL_ENV``), else the ``.venv`` of the current folder or the nearest folder
            above it, else the interpreter running lockgate.
        selected_by: what named ``python``, for reports (when it is given).

    Returns:
        An :class:`Interpreter` whose ``selected_by`` says which rule chose it.

    Raises:
        LockgateError: the path is neither an interpreter nor a venv, or it does not run.
    """
    if python is None:
        python, selected_by = default_target()
    interpreter = _interpreter_at(python) if python is not None else current_interpreter()
    interpreter.selected_by = selected_by
    return interpreter


def default_target() -> tuple[str | None, str]:
    """``(path or None, rule)``: the target when none is named: ``VIRTUAL_ENV``, then the
    nearest ``.venv`` from the current folder up, then None (lockgate's own interpreter)."""
    active = os.environ.get("VIRTUAL_ENV")
    if active:
        return active, "VIRTUAL_ENV"
    folder = os.getcwd()
    while True:
        candidate = os.path.join(folder, ".venv")
        if os.path.isfile(os.path.join(candidate, "pyvenv.cfg")):
            return candidate, "nearest .venv"
        parent = os.path.dirname(folder)
        if parent == folder:
            return None, "lockgate's interpreter"
        folder = parent


def project_environment(lock_path: str) -> tuple[str, str]:
    """``(venv folder, rule)``: the environment ``uv sync`` uses for the project of a uv.lock:
    ``UV_PROJECT_ENVIRONMENT`` (relative to the project), else the project's ``.venv``. An
    active venv (``VIRTUAL_ENV``) elsewhere is ignored, as uv ignores it, with uv's warning.

    Raises:
        LockgateError: that environment does not exist (``uv sync`` would create it).
    """
    project = os.path.dirname(os.path.abspath(lock_path))
    named = os.environ.get("UV_PROJECT_ENVIRONMENT")
    venv, rule = (os.path.join(project, named), "UV_PROJECT_ENVIRONMENT") if named else (os.path.join(project, ".venv"), "the project's .venv")
    active = os.environ.get("VIRTUAL_ENV")
    if active and not _same_path(active, venv):
        from .._io import warn

        warn(f"`VIRTUAL_ENV={active}` does not match the project environment path `{venv}` and will be ignored, as uv ignores it; "
             "check it with --python instead")  # fmt: skip
    if not os.path.isfile(os.path.join(venv, "pyvenv.cfg")):
        raise LockgateError(f"the project environment {venv} ({rule}) does not exist; create it with: uv sync --locked", lock_path)
    return venv, rule


def _interpreter_at(python: str) -> Interpreter:
    venv = _venv_folder(python)
    if venv is not None:
        if _same_path(venv, sys.prefix):
            return current_interpreter()
        described = _describe_sibling_venv(venv)
        if described is not None:
            return described
        return probe_interpreter(_venv_executable(venv))
    if not os.path.exists(python):
        raise LockgateError(f"--python {python}: no such interpreter or venv folder")
    if os.path.isdir(python):
        raise LockgateError(f"--python {python}: a folder without pyvenv.cfg; name the interpreter or a venv")
    if _same_path(python, sys.executable):
        return current_interpreter()
    return probe_interpreter(python)


def current_interpreter() -> Interpreter:
    """The interpreter running lockgate."""
    import site

    dirs = list(site.getsitepackages())
    if site.ENABLE_USER_SITE:
        dirs.append(site.getusersitepackages())
    base: list[str] = []
    if sys.prefix != sys.base_prefix:
        own = os.path.realpath(sys.prefix) + os.sep
        base = [d for d in dirs if not os.path.realpath(d).startswith(own)]
    return Interpreter(sys.executable, sys.prefix, _python_version(), dirs, base_site_dirs=base)


def _python_version() -> str:
    """``platform.python_version()`` without importing platform: the first word of sys.version."""
    return sys.version.split()[0]


def probe_interpreter(executable: str) -> Interpreter:
    """Ask an interpreter, in a subprocess, for its site-packages and marker environment.

    Raises:
        LockgateError: it cannot be started or does not answer with the expected JSON.
    """
    import json
    import subprocess

    try:
        from .._io import announce

        announce([executable, "-E", "-c", "<lockgate's interpreter probe>"])
        result = subprocess.run(
            [executable, "-E", "-c", _PROBE], capture_output=True, text=True, cwd=os.path.dirname(executable) or None, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise LockgateError(f"--python {executable}: cannot run it ({error})") from None
    try:
        facts = json.loads(result.stdout)
    except ValueError:
        detail = result.stderr.strip().splitlines()[-1:] or ["no output"]
        raise LockgateError(f"--python {executable}: not a working Python interpreter ({detail[0]})") from None
    return Interpreter(executable, facts["prefix"], facts["version"], facts["site_dirs"], facts["marker_environment"], facts["base_site_dirs"])


def _describe_sibling_venv(venv: str) -> Interpreter | None:
    """A venv on our own base interpreter, described without starting it; else None."""
    import site

    config = _read_pyvenv_cfg(venv)
    home = config.get("home")
    version = config.get("version_info") or config.get("version")
    base_dir = os.path.dirname(os.path.realpath(getattr(sys, "_base_executable", sys.executable)))
    if not home or not version or not _same_path(home, base_dir):
        return None
    if version != _python_version():
        return None
    with_system = config.get("include-system-site-packages", "false").lower() == "true"
    dirs = list(site.getsitepackages([venv]))
    base = list(site.getsitepackages([sys.base_prefix])) if with_system else []
    if with_system and site.check_enableusersite():
        base.append(site.getusersitepackages())
    return Interpreter(_venv_executable(venv), venv, version, dirs + base, base_site_dirs=base)


def _venv_folder(python: str) -> str | None:
    """The venv folder for a venv path or an interpreter inside a venv, else None."""
    if os.path.isdir(python):
        return os.path.abspath(python) if os.path.isfile(os.path.join(python, "pyvenv.cfg")) else None
    candidate = os.path.dirname(os.path.dirname(os.path.abspath(python)))
    return candidate if os.path.isfile(os.path.join(candidate, "pyvenv.cfg")) else None


def _venv_executable(venv: str) -> str:
    for relative in ("bin/python", "bin/python3", "Scripts/python.exe"):
        candidate = os.path.join(venv, relative)
        if os.path.exists(candidate):
            return candidate
    raise LockgateError(f"--python {venv}: pyvenv.cfg found but no bin/python in it; recreate the venv")


def _read_pyvenv_cfg(venv: str) -> dict[str, str]:
    from .._io import read_text

    path = os.path.join(venv, "pyvenv.cfg")
    text = read_text(path)  # one-line errors: unreadable, not UTF-8
    if "\0" in text:
        raise LockgateError("pyvenv.cfg holds a NUL byte: not a venv's configuration; recreate the venv", path)
    values = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip().lower()] = value.strip()
    return values


def _same_path(a: str, b: str) -> bool:
    return os.path.realpath(a) == os.path.realpath(b)
