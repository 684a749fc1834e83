"""The fix of a failed verify: first a plan (what must change: install the lock, reinstall
some distributions, remove others, or change the lock itself), made from the findings, the
lock and the options alone; then its shell form, uv's and pip's.

Why each finding needs what it needs: ``uv pip install -r LOCK`` installs what is missing
and moves versions, but keeps an installed distribution whose version satisfies the pin (a
git, folder or editable install of the pinned version, a ``+cu121`` local version, a modified
file), so every locked distribution that is installed and failing is reinstalled by name.
Installing never removes anything, so distributions that fail for being there (``extra``
under ``--strict``, CUDA under ``--cpu-only``) are removed by name. A lock that is itself wrong
for the target (it pins CUDA under ``--cpu-only``, or is not for this Python) cannot be fixed
by installing it: the plan says so and installs nothing.
"""

from __future__ import annotations

import os

from ..report import EXTRA, NOT_CPU_ONLY, SKIPPED, STALE
from .model import INDEX, Selection

TYPE_CHECKING = False  # not typing's: importing typing costs verify's start-up
if TYPE_CHECKING:
    from collections.abc import Iterable

    from ..report import Finding
    from .model import LockedPackage, Lockfile

#: Options of ``lockgate generate`` that say where distributions come from; an install of the
#: lock needs them too (``--torch-backend cpu``: the ``+cpu`` builds live on another index).
SOURCE_OPTIONS = ("--index-url", "--extra-index-url", "--find-links", "--torch-backend")
SOURCE_FLAGS = ("--no-index",)
#: Of those, the ones pip does not know.
UV_ONLY = ("--torch-backend",)


class FixTarget:
    """Where a fix installs.

    Attributes:
        python: the target interpreter's path (``--python``).
        prefix: its ``sys.prefix`` (the venv folder).
        project_environment: for a uv.lock, the environment ``uv sync`` would choose without
            being told (``UV_PROJECT_ENVIRONMENT``, else the project's ``.venv``), else None.
        on_linux: the target is Linux (a plain ``torch`` wheel is a CUDA build there).
    """

    __slots__ = ("python", "prefix", "project_environment", "on_linux")

    def __init__(self, python: str, prefix: str, *, project_environment: str | None = None, on_linux: bool = True) -> None:
        self.python = python
        self.prefix = prefix
        self.project_environment = project_environment
        self.on_linux = on_linux


class FixPlan:
    """What brings an environment to its lock.

    Attributes:
        lock_path, lock_format: the lock (as the user named it) and its format.
        target: the :class:`FixTarget`.
        install: the lock must be installed (something locked is missing or wrong).
        reinstall: locked distributions installed but wrong, to replace by name.
        public: ``NAME===VERSION`` requirements for a reinstall whose installed version has a
            local label the lock's pin lacks: ``==2.5.1`` is satisfied by ``2.5.1+cu121``
            (PEP 440), so an index that has both would give the local one again.
        remove: installed distributions the lock does not name that fail (to uninstall).
        keep: locked names the check skipped: an install must leave them as they are.
        exact: remove everything the lock does not name (``--strict`` with nothing skipped).
        selection: the extras and groups verify checked (:class:`~lockgate.env.model.Selection`).
        sources: options that say where the lock's distributions come from
            (:func:`install_sources`), credentials removed.
        lock_problems: why the lock itself must change first (then nothing is installed).
        relock: a uv.lock no longer describes its project: ``uv lock`` first, then install it.
        base_only: failing distributions the lock does not name that the venv sees from its
            base interpreter (``--system-site-packages``): no uninstall in the venv removes them.
    """

    __slots__ = ("lock_path", "lock_format", "target", "install", "reinstall", "public", "remove", "keep", "exact", "selection",
                 "sources", "lock_problems", "relock", "base_only")  # fmt: skip

    def __init__(self, lock_path: str, lock_format: str, target: FixTarget, *, install: bool = False, reinstall: Iterable[str] = (),
                 public: Iterable[str] = (), remove: Iterable[str] = (), keep: Iterable[str] = (), exact: bool = False,
                 selection: Selection = Selection(), sources: Iterable[str] = (), lock_problems: Iterable[str] = (), relock: bool = False,
                 base_only: Iterable[str] = ()) -> None:  # fmt: skip
        self.lock_path = lock_path
        self.lock_format = lock_format
        self.target = target
        self.install = install
        self.reinstall = tuple(reinstall)
        self.public = tuple(public)
        self.remove = tuple(remove)
        self.keep = tuple(keep)
        self.exact = exact
        self.selection = selection
        self.sources = tuple(sources)
        self.lock_problems = tuple(lock_problems)
        self.relock = relock
        self.base_only = tuple(base_only)

    @property
    def empty(self) -> bool:
        """Nothing to do (no finding fails)."""
        return not (self.install or self.reinstall or self.remove or self.lock_problems or self.relock or self.base_only)


def plan_fix(lock: Lockfile, findings: list[Finding], target: FixTarget, *, strict: bool = False, cpu_only: bool = False,
             selection: Selection = Selection(), sources: Iterable[str] = (), from_base: Iterable[str] = ()) -> FixPlan:  # fmt: skip
    """The :class:`FixPlan` for a verify's findings (no I/O).

    Args:
        lock: the lock verified; findings: every finding of the verify.
        target: where the fix installs.
        strict, cpu_only, selection: the verify's options.
        sources: :func:`install_sources` of the lock.
        from_base: names the target sees from its base interpreter (``--system-site-packages``).
    """
    from .cpu_only import cpu_only_problem

    entries: dict[tuple[str, str | None], LockedPackage] = {(entry.subject, entry.expected()): entry for entry in lock.packages}
    install, reinstall, public, remove, problems = False, [], [], [], []
    for finding in findings:
        if not finding.fails:
            continue
        entry = entries.get((finding.subject, finding.expected))
        if finding.expected is None:  # installed, not locked for the target
            if finding.status in (EXTRA, NOT_CPU_ONLY):
                remove.append(finding.subject)
        elif entry is None:  # the lock as a whole: requires-python, environments
            problems.append(f"{finding.subject}: {finding.message} (the lock says {finding.expected}, the target has {finding.found})")
        elif cpu_only and entry.name and cpu_only_problem(entry.name, entry.version, target.on_linux):
            problems.append(f"{finding.subject} {finding.expected}: {cpu_only_problem(entry.name, entry.version, target.on_linux)}")
        else:
            install = True
            if finding.found is not None and entry.name:
                reinstall.append(entry.name)
                if entry.source.kind == INDEX and entry.version and "+" in finding.found and "+" not in entry.version:
                    public.append(f"{entry.name}==={entry.version}")
    base = set(from_base)
    base_only, remove = sorted(set(remove) & base), [name for name in remove if name not in base]
    relock = any(f.status == STALE for f in findings)
    install = install or relock  # the refreshed lock may name what is not installed yet
    keep = sorted({f.subject for f in findings if f.status == SKIPPED and f.expected is not None})
    skipped_installed = any(f.status == SKIPPED and f.found is not None and f.expected is None for f in findings)
    return FixPlan(
        lock.path, lock.format, target, install=install and not problems, reinstall=sorted(set(reinstall)) if not problems else (), public=public,
        remove=sorted(set(remove)) if not problems else (), keep=keep, exact=strict and not skipped_installed and not keep,
        selection=selection, sources=sources, lock_problems=problems, relock=relock,
        base_only=base_only,
    )  # fmt: skip


def install_sources(lock: Lockfile) -> list[str]:
    """Where the lock's distributions come from, as install options: what its lockgate
    provenance records (``--index-url``, ``--extra-index-url``, ``--find-links`` (a relative
    folder made absolute against the pyproject's folder, where uv resolved it), ``--no-index``,
    ``--torch-backend``) and a pylock.toml's own ``index`` URLs. Never a credential. Reads the lock.

    Returns:
        A list of words (``["--find-links", "/abs/wheels", "--no-index"]``); empty for a uv.lock
        (uv reads its sources from the lock) or when nothing is recorded or the record is damaged.
    """
    from ..urls import without_credentials

    if lock.format == "uv.lock":
        return []
    words = _recorded_sources(lock)
    if lock.format == "pylock.toml":
        recorded = {without_credentials(word) for word in words}
        for url in dict.fromkeys(e.source.url for e in lock.packages if e.source.kind == INDEX and e.source.url):
            if without_credentials(url) not in recorded:
                words += ["--extra-index-url", without_credentials(url)]
                recorded.add(without_credentials(url))
    return words


def _recorded_sources(lock: Lockfile) -> list[str]:
    from .._io import read_text
    from ..errors import LockgateError
    from ..lock.provenance import read_provenance
    from ..urls import without_credentials

    try:
        text = lock.data.decode("utf-8") if lock.data is not None else read_text(lock.path)
        provenance = read_provenance(text, lock.format, lock.path)
    except (LockgateError, UnicodeDecodeError):
        return []
    if provenance is None:
        return []
    folder = os.path.dirname(os.path.join(os.path.dirname(os.path.abspath(lock.path)), provenance.pyproject))
    options, words = provenance.options, []
    for index, word in enumerate(options):
        value = options[index + 1] if index + 1 < len(options) else None
        if word in SOURCE_FLAGS:
            words.append(word)
        elif word in SOURCE_OPTIONS and value is not None:
            if word == "--find-links" and "://" not in value:
                value = os.path.normpath(os.path.join(folder, value))
            words += [word, without_credentials(value)]
    return words


def fix_commands(plan: FixPlan, *, uv: str = "uv", pip: bool = False) -> list[str]:
    """The plan as shell lines, each a whole fix on its own: uv's first, then pip's when the
    target has pip and pip can say it (a requirements file, no uv-only option, nothing to keep).
    A lock that must change first gives comment lines and no command.

    Args:
        plan: the :class:`FixPlan`.
        uv: how to call uv (``uv`` on PATH, else lockgate's own).
        pip: the target has pip.
    """
    if plan.lock_problems:
        lines = [f"# {plan.lock_path}: {problem}" for problem in plan.lock_problems]
        return [*lines, "# installing this lock cannot pass: lock again (lockgate generate, with --torch-backend cpu for CPU-only), then verify"]
    if plan.empty:
        return []
    base = [_from_base(plan)] if plan.base_only else []
    if not (plan.install or plan.reinstall or plan.remove or plan.relock):
        return base
    if plan.lock_format == "uv.lock":
        return [_uv_sync(plan, uv), *base]
    lines = [_uv_pip(plan, uv)]
    if pip and plan.lock_format == "requirements.txt" and not plan.keep and not set(UV_ONLY) & set(plan.sources) and "pip" not in plan.remove:
        lines.append(_pip(plan))  # pip cannot remove itself and then install
    if plan.lock_path == "-":  # -l -: the fix reads the lock where verify did
        lines = [f"{line}  # with the lock on standard input again" for line in lines]
    return [*lines, *base]


def _from_base(plan: FixPlan) -> str:
    return (f"# {', '.join(plan.base_only)}: seen from the base interpreter (the venv was made with --system-site-packages), which no "
            f"uninstall in {plan.target.prefix} removes: for --strict, make the venv without --system-site-packages, then install the lock")  # fmt: skip


def _uv_pip(plan: FixPlan, uv: str) -> str:
    from shlex import join, quote

    python = f"--python={plan.target.python}"
    steps = []
    if plan.remove:
        steps.append(join([uv, "pip", "uninstall", python, *plan.remove]))
    if plan.install:
        selection = plan.selection.uv_flags()
        reinstall = [f"--reinstall-package={name}" for name in plan.reinstall]
        excludes = ["--excludes=-"] if plan.keep else []
        command = join([uv, "pip", "install", python, *reinstall, *plan.sources, *selection, *excludes, "-r", plan.lock_path, *plan.public])
        if plan.keep:  # uv reads the names to leave alone from stdin
            command = f"printf '%s\\n' {' '.join(map(quote, plan.keep))} | {command}"
        steps.append(command)
    return " && ".join(steps)


def _pip(plan: FixPlan) -> str:
    from shlex import join

    pip = [plan.target.python, "-m", "pip"]
    steps = []
    if plan.remove or plan.reinstall:  # pip reinstalls nothing by name: uninstall, then install
        steps.append(join([*pip, "uninstall", "-y", *sorted({*plan.remove, *plan.reinstall})]))
    if plan.install:
        steps.append(join([*pip, "install", *plan.sources, "-r", plan.lock_path, *plan.public]))
    return " && ".join(steps)


def _uv_sync(plan: FixPlan, uv: str) -> str:
    """``uv sync --locked`` with the verify's selection, aimed at the verified environment:
    ``--python`` so that a ``UV_PYTHON`` elsewhere does not make uv recreate it, and
    ``UV_PROJECT_ENVIRONMENT`` when it is not the environment uv would choose. Exact only when
    nothing the lock does not name is to stay (uv would remove a skipped distribution too)."""
    from shlex import join, quote

    project = os.path.dirname(os.path.abspath(plan.lock_path))
    words = [uv, "sync", "--locked", f"--project={project}", f"--python={plan.target.python}"]
    words += [] if plan.exact else ["--inexact"]
    words += plan.selection.uv_flags()
    words += [f"--no-install-package={name}" for name in plan.keep]
    words += [f"--reinstall-package={name}" for name in plan.reinstall]
    command = join(words)
    if plan.relock:
        command = f"{join([uv, 'lock', f'--project={project}'])} && {command}"
    default = plan.target.project_environment
    if default is None or os.path.realpath(default) != os.path.realpath(plan.target.prefix):
        command = f"UV_PROJECT_ENVIRONMENT={quote(plan.target.prefix)} {command}  # the verified environment, not the project's own"
    if plan.remove and not plan.exact:
        command = f"{join([uv, 'pip', 'uninstall', f'--python={plan.target.python}', *plan.remove])} && {command}"
    return command


def sync_environment(lock: Lockfile) -> str | None:
    """For a uv.lock, the environment ``uv sync`` chooses when not told: ``UV_PROJECT_ENVIRONMENT``
    (relative to the project), else the project's ``.venv``; None for other formats. Reads the
    process environment."""
    if lock.format != "uv.lock":
        return None
    project = os.path.dirname(os.path.abspath(lock.path))
    return os.path.join(project, os.environ.get("UV_PROJECT_ENVIRONMENT") or ".venv")
