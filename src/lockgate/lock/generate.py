"""``lockgate generate``: pinned lockfiles from a pyproject.toml, resolved by ``uv pip compile``,
stamped with their provenance (:mod:`lockgate.lock.provenance`), and checked for staleness and
hand edits."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, NoReturn

from .._io import announce
from ..errors import LockgateError
from ..report import NOT_CPU_ONLY, Finding, Report

if TYPE_CHECKING:
    from .changes import Change
    from .provenance import Provenance

REQUIREMENTS, PYLOCK = "requirements.txt", "pylock.toml"
CHECK_SCHEMA = "lockgate.generate.check/1"
FRESH, STALE, HAND_EDITED = "fresh", "stale", "hand_edited"
CHECK_STATUSES = (FRESH, STALE, HAND_EDITED, NOT_CPU_ONLY)
#: Lock names other tools own: never written by generate; ``(tool, command that checks it)``.
FOREIGN_LOCKS = {
    "uv.lock": ("uv", "uv lock --check"),
    "poetry.lock": ("Poetry", "poetry check --lock"),
    "pdm.lock": ("PDM", "pdm lock --check"),
    "Pipfile.lock": ("Pipenv", "pipenv verify"),
    "pixi.lock": ("pixi", "pixi lock --check"),
}


class GenerateOptions:
    """The resolution options of ``lockgate generate``; each is passed to ``uv pip compile``.

    Attributes:
        extras, groups: extras and dependency groups (PEP 735) to include, tuples of names.
        all_extras: include every extra.
        hashes: write ``--hash`` / wheel hashes (uv ``--generate-hashes``).
        python_version: ``"X.Y"`` to resolve for, or None (the running interpreter's).
        python_platform: a uv target triple (``x86_64-manylinux_2_28``…), or None.
        universal: one lock for every platform, with markers (default True; a
            ``python_platform`` locks for that platform alone).
        exclude_newer: ignore distributions uploaded after this date or timestamp, or None.
        torch_backend: uv's PyTorch index choice (``cpu``, ``cu126``, ``auto``…), or None;
            ``cpu`` is also asserted on the result (:mod:`lockgate.env.cpu_only`).
        index_url, extra_index_urls, find_links: where distributions come from.
        no_index: ignore every index (only ``find_links``).
        offline: resolve from uv's cache (and local files) only.
        upgrade: ignore the existing lock's pins and take the newest versions allowed (``-U``).
        upgrade_packages: ignore the pins of these (``NAME`` or ``NAME==VERSION``, ``-P``), keep the rest.
        constraints: constraints files (``-c``, as pip-compile and uv take them): paths relative
            to the working folder, or, once recorded in a lock, to the lock's folder
            (:meth:`constraints_relative_to`). Their content is a dependency input.

    ``upgrade`` and ``upgrade_packages`` are recorded like the others, but they say how a lock
    was refreshed, not what it resolves: :func:`check` ignores them, and the regenerate
    command it suggests leaves them out.
    """

    __slots__ = (
        "extras", "groups", "all_extras", "hashes", "python_version", "python_platform", "universal",
        "exclude_newer", "torch_backend", "index_url", "extra_index_urls", "find_links", "no_index", "offline",
        "upgrade", "upgrade_packages", "constraints",
    )  # fmt: skip

    def __init__(
        self, *, extras: Iterable[str] = (), groups: Iterable[str] = (), all_extras: bool = False, hashes: bool = False,
        python_version: str | None = None, python_platform: str | None = None, universal: bool = True,
        exclude_newer: str | None = None, torch_backend: str | None = None, index_url: str | None = None,
        extra_index_urls: Iterable[str] = (), find_links: Iterable[str] = (), no_index: bool = False, offline: bool = False,
        upgrade: bool = False, upgrade_packages: Iterable[str] = (), constraints: Iterable[str] = (),
    ) -> None:  # fmt: skip
        self.extras = tuple(extras)
        self.groups = tuple(groups)
        self.all_extras = all_extras
        self.hashes = hashes
        self.python_version = python_version
        self.python_platform = python_platform
        self.universal = universal
        self.exclude_newer = exclude_newer
        self.torch_backend = torch_backend
        self.index_url = index_url
        self.extra_index_urls = tuple(extra_index_urls)
        self.find_links = tuple(find_links)
        self.no_index = no_index
        self.offline = offline
        self.upgrade = upgrade
        self.upgrade_packages = tuple(upgrade_packages)
        self.constraints = tuple(constraints)

    def replace(self, **changes: Any) -> GenerateOptions:
        """A copy with some attributes changed."""
        values = {name: getattr(self, name) for name in self.__slots__}
        values.update(changes)
        return GenerateOptions(**values)

    def constraints_relative_to(self, folder: str) -> GenerateOptions:
        """A copy whose constraints files are named relative to ``folder`` (a lock's), as a lock
        records them."""
        return self.replace(constraints=tuple(_relative(path, folder) for path in self.constraints))

    def arguments(self, *, redact: bool = True) -> list[str]:
        """The ``lockgate generate`` options, in a fixed order (what a lockfile records).

        URLs lose their credentials when ``redact`` (they must never reach a lockfile).
        """
        from ..urls import without_credentials

        url = without_credentials if redact else (lambda text: text)
        words = []
        for extra in self.extras:
            words += ["--extra", extra]
        words += ["--all-extras"] * self.all_extras
        for group in self.groups:
            words += ["--group", group]
        words += ["--hashes"] * self.hashes
        words += _pair("--python-version", self.python_version) + _pair("--python-platform", self.python_platform)
        words += ["--no-universal"] * (not self.universal)
        words += _pair("--exclude-newer", self.exclude_newer) + _pair("--torch-backend", self.torch_backend)
        words += _pair("--index-url", self.index_url and url(self.index_url))
        for extra_url in self.extra_index_urls:
            words += ["--extra-index-url", url(extra_url)]
        for link in self.find_links:
            words += ["--find-links", url(link)]
        words += ["--no-index"] * self.no_index + ["--offline"] * self.offline
        for constraint in self.constraints:
            words += ["--constraint", constraint]
        words += ["--upgrade"] * self.upgrade
        for package in self.upgrade_packages:
            words += ["--upgrade-package", package]
        return words

    def uv_arguments(self) -> list[str]:
        """The same options as ``uv pip compile`` spells them (credentials kept)."""
        renamed = {"--hashes": "--generate-hashes", "--no-universal": None}
        absolute = self.replace(constraints=tuple(map(os.path.abspath, self.constraints)))  # uv runs in the pyproject's folder
        words = [renamed.get(word, word) for word in absolute.arguments(redact=False)]
        # A named platform is one platform: uv refuses --universal with --python-platform.
        universal = self.universal and not self.python_platform
        return [word for word in words if word is not None] + ["--universal"] * universal


def without_upgrades(words: list[str]) -> list[str]:
    """Recorded options without ``--upgrade`` and ``--upgrade-package NAME``: what a resolution
    depends on, and what a regenerate command should repeat."""
    kept: list[str] = []
    skip = False
    for word in words:
        if skip:
            skip = False
        elif word == "--upgrade-package":
            skip = True
        elif word != "--upgrade":
            kept.append(word)
    return kept


def _pair(flag: str, value: str | None) -> list[str]:
    return [flag, value] if value else []


class GenerateResult:
    """One lockfile written by :func:`generate`.

    Attributes:
        path: the lockfile.
        format: ``"requirements.txt"`` or ``"pylock.toml"``.
        packages: how many entries it pins.
        provenance: the :class:`~lockgate.lock.provenance.Provenance` written into it.
        warnings: what the user should hear: uv's own warnings (a missing extra, a yanked
            version) and lockgate's (entries of a hand-edited lock left out of the preferences),
            one line each.
        changes: what moved since the lock it replaced (:class:`~lockgate.lock.changes.Change`,
            by name; ``str()`` is uv's ``Updated numpy v2.0.2 -> v2.4.6``); empty for a new lock.
    """

    __slots__ = ("path", "format", "packages", "provenance", "warnings", "changes")

    def __init__(self, path: str, format: str, packages: int, provenance: Provenance, warnings: Iterable[str] = (),
                 changes: Iterable[Change] = ()) -> None:  # fmt: skip
        self.path = path
        self.format = format
        self.packages = packages
        self.provenance = provenance
        self.warnings = list(warnings)
        self.changes = list(changes)


class NotCpuOnlyError(LockgateError):
    """``--torch-backend cpu`` was asked for, but the resolution pins CUDA; nothing was written."""

    exit_code = 1


def output_format(output: str, format: str | None = None) -> str:
    """The lockfile format: ``format`` when given, else from the name (``*.toml`` is PEP 751).

    Raises:
        LockgateError: a pylock.toml name that PEP 751 forbids, another tool's lock name
            (``uv.lock``, ``poetry.lock``…: :data:`FOREIGN_LOCKS`), or an unknown format.
    """
    name = os.path.basename(output)
    if name in FOREIGN_LOCKS:
        tool, check_command = FOREIGN_LOCKS[name]
        raise LockgateError(f"{name} is {tool}'s own lock format: lockgate reads it (verify -l {name}) but writes only requirements.txt "
                            f"or pylock.toml; check it with: {check_command}", output)  # fmt: skip
    chosen = format or (PYLOCK if name.endswith(".toml") else REQUIREMENTS)
    if chosen not in (REQUIREMENTS, PYLOCK):
        raise LockgateError(f"unknown --format {chosen}: use requirements.txt or pylock.toml")
    if chosen == PYLOCK:
        middle = name[len("pylock.") : -len(".toml")] if name.startswith("pylock.") and name.endswith(".toml") else None
        if name != "pylock.toml" and (not middle or "." in middle):
            raise LockgateError("PEP 751 names a lock pylock.toml or pylock.NAME.toml (NAME without dots)", output)
    return chosen


def full_lock_name(output: str, format: str) -> str:
    """The name of the full lock beside a base lock: ``requirements-full.txt`` for
    ``requirements.txt``, ``pylock.full.toml`` for ``pylock.toml``, ``pylock.dev-full.toml``
    for ``pylock.dev.toml``."""
    folder, name = os.path.split(output)
    if format == PYLOCK:
        middle = name[len("pylock.") : -len(".toml")]
        full = "pylock.full.toml" if not middle else f"pylock.{middle}-full.toml"
    else:
        stem, dot, suffix = name.rpartition(".")
        full = f"{stem}-full.{suffix}" if dot else f"{name}-full"
    return os.path.join(folder, full)


def default_output(format: str | None) -> str:
    """``pylock.toml`` for that format, else ``requirements.txt``."""
    return "pylock.toml" if format == PYLOCK else "requirements.txt"


def generate(pyproject: str = "pyproject.toml", output: str | None = None, *, format: str | None = None,
             options: GenerateOptions | None = None) -> GenerateResult:  # fmt: skip
    """Resolve ``pyproject`` with ``uv pip compile`` and write a stamped lockfile atomically.

    Args:
        pyproject: the pyproject.toml to lock.
        output: the lockfile to write; None is ``requirements.txt`` (``pylock.toml`` when
            ``format`` is ``pylock.toml``). An existing one seeds uv's preferences, so pins
            that still satisfy the pyproject are kept, as uv and pip-compile do.
        format: ``requirements.txt`` or ``pylock.toml`` (PEP 751); None takes it from the name.
        options: :class:`GenerateOptions`.

    Returns:
        A :class:`GenerateResult`.

    Raises:
        NotCpuOnlyError: ``torch_backend="cpu"`` and the resolution pins CUDA (nothing written).
        LockgateError: no pyproject, invalid TOML, uv failed (its explanation in ``detail``),
            or the output cannot be written; the previous lockfile is then left untouched.
    """
    options = options or GenerateOptions()
    output = output or default_output(format)
    format = output_format(output, format)
    if not os.path.isfile(pyproject):
        _load_pyproject(pyproject)  # raises the one-line error
    from .._io import write_atomic, write_target

    target = write_target(output)  # a folder is refused before uv runs; a device is never read as preferences
    folder = os.path.dirname(target if target else os.path.abspath(pyproject))
    runner = _UvRunner(pyproject, folder, regenerate_command(output, pyproject, without_upgrades(options.arguments())))
    lock_folder = os.path.dirname(os.path.abspath(output))
    recorded = options.constraints_relative_to(lock_folder).arguments()
    _constraint_texts(recorded, lock_folder)  # a missing constraints file is named before uv runs
    inspect = _cpu_problems if options.torch_backend == "cpu" else None
    previous = _previous_text(target)
    inputs: list[Any] = []  # the pyproject is parsed and hashed while uv resolves (2 cores: it costs no wall time)
    body, problems = runner.compile(format, options, seed=target, inspect=inspect, meanwhile=lambda: inputs.extend(_inputs(pyproject, recorded, lock_folder)))
    if problems:
        if format == PYLOCK:  # pylock.toml has no `# via`: resolve once more as requirements to say why
            problems = _with_via(problems, runner.compile(REQUIREMENTS, options)[0])
        detail = "\n".join(f"{name} {version}: {message}" for name, version, message in problems)
        names = ", ".join(name for name, _, _ in problems)
        raise NotCpuOnlyError(f"--torch-backend cpu, but the resolution is not CPU-only: {names}; nothing written", pyproject, detail=detail)
    from .provenance import Provenance

    provenance = Provenance(
        f"lockgate {_lockgate_version()}; uv {runner.version()}",
        _relative(pyproject, lock_folder),
        recorded,
        inputs[0],
        uv_settings=inputs[1],
    )
    from .provenance import stamp

    text = stamp(body, format, provenance)
    write_atomic(output, text.encode())
    from .changes import lock_changes

    changes = lock_changes(previous, text, output) if previous is not None else []
    return GenerateResult(output, format, _count_packages(body, format), provenance, runner.warnings, changes)


def _previous_text(target: str | None) -> str | None:
    """The text of the lock about to be replaced, or None when there is none (or a device)."""
    from .._io import read_text

    try:
        return read_text(target) if target and os.path.isfile(target) else None
    except LockgateError:
        return None


def generate_all(pyproject: str = "pyproject.toml", output: str | None = None, *, format: str | None = None,
                 options: GenerateOptions | None = None) -> list[GenerateResult]:  # fmt: skip
    """The base lock (no extras) and the full lock (extra ``full``, or every extra when the
    project has no ``full``), with every other option the same.

    Takes the arguments of :func:`generate`; ``output`` names the base lock and the full one
    goes beside it (:func:`full_lock_name`). Returns both results, base first.

    Raises:
        LockgateError: as :func:`generate`, or extras were chosen too (``--all`` chooses them).
    """
    options = options or GenerateOptions()
    if options.extras or options.all_extras:
        raise LockgateError("--all writes the base lock (no extras) and the full lock: drop --extra and --all-extras")
    output = output or default_output(format)
    format = output_format(output, format)
    from ..shapes import table

    project = table(_load_pyproject(pyproject).get("project"), "project", pyproject)
    extras = table(project.get("optional-dependencies"), "project.optional-dependencies", pyproject)
    full = options.replace(extras=("full",)) if "full" in extras else options.replace(all_extras=True)
    base_result = generate(pyproject, output, format=format, options=options)
    return [base_result, generate(pyproject, full_lock_name(output, format), format=format, options=full)]


def check(output: str | None = None, *, pyproject: str | None = None, format: str | None = None,
          options: GenerateOptions | None = None) -> Report:  # fmt: skip
    """Is a generated lockfile fresh? Writes nothing.

    Args:
        output: the lockfile; None is ``requirements.txt`` (``pylock.toml`` for that format).
        pyproject: the pyproject to compare with; None is the one the lock recorded.
        format: as :func:`generate`.
        options: when given, they must equal the recorded ones (else ``stale``).

    Returns:
        A Report (schema ``lockgate.generate.check/1``, items ``locks``, subject key
        ``path``): a ``fresh``, ``stale`` or ``hand_edited`` finding for the lock, and with a
        recorded ``--torch-backend cpu``, a ``not_cpu_only`` finding per CUDA distribution.

    Raises:
        LockgateError: the lockfile or pyproject is missing, or the lock has no provenance.
    """
    from .._io import read_text
    from .provenance import read_provenance

    output = output or default_output(format)
    format = output_format(output, format)
    if not os.path.exists(output):
        raise LockgateError(f"lockfile not found: {output}; create it with: lockgate generate -o {output}")
    text = read_text(output)
    provenance = read_provenance(text, format, output)
    if provenance is None:
        raise LockgateError(f"not made by lockgate generate (no provenance); run: lockgate generate -o {output}", output)
    pyproject = pyproject or os.path.normpath(os.path.join(os.path.dirname(output), provenance.pyproject))
    findings = [_freshness(output, text, format, provenance, pyproject, options)]
    if _recorded_torch_backend(provenance.options) == "cpu":
        findings += [Finding(NOT_CPU_ONLY, name, "CPU-only", found, why, fails=True) for name, found, why in _cpu_problems(output, format, text)]
    header = {"lockfile": output, "pyproject": pyproject, "generated_by": provenance.generated_by, "options": provenance.options}
    return Report(CHECK_SCHEMA, CHECK_STATUSES, findings, header, items_key="locks", subject_key="path")


def _freshness(output: str, text: str, format: str, provenance: Provenance, pyproject: str, options: GenerateOptions | None) -> Finding:
    """The one ``fresh`` / ``stale`` / ``hand_edited`` finding of a lock; a hand edit is named
    first, since the recorded hashes no longer describe the file."""
    from .provenance import Integrity, integrity, lock_sha256
    from .uv_settings import describe_change

    lock_folder = os.path.dirname(os.path.abspath(output))
    rerun = regenerate_command(output, pyproject, _from_lock_folder(without_upgrades(provenance.options), lock_folder))
    state = integrity(text, format, provenance)
    if state is Integrity.EDITED:
        message = f"hand-edited: the lock or its provenance lines changed since lockgate generate wrote it; run: {rerun}"
        return Finding(HAND_EDITED, output, provenance.body_sha256, lock_sha256(text, format), message, fails=True)
    inputs = _inputs_sha256(pyproject, provenance.options, lock_folder)
    asked_options = without_upgrades(options.constraints_relative_to(lock_folder).arguments()) if options is not None else None
    if options is not None and asked_options != without_upgrades(provenance.options):
        recorded, asked = " ".join(without_upgrades(provenance.options)), " ".join(without_upgrades(options.arguments()))
        message = f"stale: options changed (recorded: {recorded or 'none'}); run: {regenerate_command(output, pyproject, without_upgrades(options.arguments()))}"
        return Finding(STALE, output, recorded, asked, message, fails=True)
    if inputs != provenance.inputs_sha256:
        sources = " or ".join([pyproject, *_recorded_constraints(_from_lock_folder(provenance.options, lock_folder))])
        message = f"stale: dependency inputs changed in {sources}; run: {rerun}"
        return Finding(STALE, output, provenance.inputs_sha256, inputs, message, fails=True)
    settings = _uv_settings(pyproject, provenance.options)
    if settings != provenance.uv_settings:
        changed = describe_change(provenance.uv_settings, settings)
        message = f"stale: uv settings from outside the command line changed ({changed}); with the settings you want, run: {rerun}"
        return Finding(STALE, output, _json(provenance.uv_settings), _json(settings), message, fails=True)
    note = "written by an earlier lockgate: its provenance lines are covered from the next lockgate generate on" if state is Integrity.BODY_ONLY else ""
    return Finding(FRESH, output, provenance.inputs_sha256, inputs, note)


def _json(value: object) -> str:
    import json

    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def regenerate_command(output: str, pyproject: str, options: list[str]) -> str:
    """The ``lockgate generate`` command line that rewrites ``output``."""
    from shlex import join

    words = ["lockgate", "generate"]
    if os.path.normpath(pyproject) != "pyproject.toml":
        words += ["--pyproject", pyproject]
    return join([*words, "-o", output, *options])


def _recorded_torch_backend(options: list[str]) -> str | None:
    return options[options.index("--torch-backend") + 1] if "--torch-backend" in options[:-1] else None


def _inputs(pyproject: str, options: list[str], lock_folder: str) -> tuple[str, dict[str, Any]]:
    """``(inputs-sha256, uv settings)``: everything besides the options that steers uv
    (``options`` as recorded: constraints files relative to ``lock_folder``)."""
    return _inputs_sha256(pyproject, options, lock_folder), _uv_settings(pyproject, options)


def _inputs_sha256(pyproject: str, options: list[str], lock_folder: str) -> str:
    from .provenance import inputs_sha256

    return inputs_sha256(_load_pyproject(pyproject), pyproject, constraints=_constraint_texts(options, lock_folder))


def _recorded_constraints(options: list[str]) -> list[str]:
    return [options[index + 1] for index, word in enumerate(options[:-1]) if word == "--constraint"]


def _constraint_texts(options: list[str], lock_folder: str) -> dict[str, str]:
    """Recorded constraints path -> its text, for each ``--constraint`` in ``options``.

    Raises:
        LockgateError: a constraints file cannot be read (named as the user can find it).
    """
    from .._io import read_text

    texts = {}
    for recorded in _recorded_constraints(options):
        path = os.path.normpath(os.path.join(lock_folder, recorded))
        if not os.path.isfile(path):
            raise LockgateError(f"constraints file not found: {os.path.relpath(path)} (--constraint); restore it, or regenerate without it")
        texts[recorded] = read_text(path)
    return texts


def _from_lock_folder(options: list[str], lock_folder: str) -> list[str]:
    """Recorded options with each constraints file named from the working folder, for a command
    to run here."""
    words = list(options)
    for index, word in enumerate(words[:-1]):
        if word == "--constraint":
            words[index + 1] = os.path.relpath(os.path.join(lock_folder, words[index + 1]))
    return words


def _uv_settings(pyproject: str, options: list[str]) -> dict[str, Any]:
    """The uv settings from outside the command line that steer a lock made with ``options``."""
    from .uv_settings import resolution_settings

    one_python = ("--no-universal" in options or "--python-platform" in options) and "--python-version" not in options
    return resolution_settings(pyproject, interpreter_matters=one_python)


def _load_pyproject(pyproject: str) -> dict[str, Any]:
    from .._toml import load_toml

    if not os.path.isfile(pyproject):
        raise LockgateError(f"pyproject not found: {pyproject}; name it with --pyproject PATH")
    return load_toml(pyproject)


def _relative(path: str, folder: str) -> str:
    return os.path.relpath(os.path.abspath(path), folder).replace(os.sep, "/")


def _lockgate_version() -> str:
    from .. import __version__

    return __version__


class _UvRunner:
    """Runs ``uv pip compile`` on one pyproject.

    uv runs in the pyproject's folder, so its ``# via`` annotations name ``pyproject.toml``
    wherever lockgate runs from, and writes into a temporary file in ``folder`` (the
    lockfile's), removed afterwards.
    """

    def __init__(self, pyproject: str, folder: str, header: str):
        from .._uv import find_uv_and_version

        self.uv, self._version = find_uv_and_version()
        self.pyproject = pyproject
        self.folder = folder
        self.header = header
        self.warnings: list[str] = []

    def version(self) -> str:
        """``0.13.9``: the uv wheel's version, else the second word of ``uv --version``, or ``unknown``."""
        if self._version is None:
            import subprocess

            try:
                announce([self.uv, "--version"])
                words = subprocess.run([self.uv, "--version"], capture_output=True, text=True).stdout.split()
            except OSError:
                words = []
            self._version = words[1] if len(words) > 1 else "unknown"
        return self._version

    def compile(self, format: str, options: GenerateOptions, *, seed: str | None = None,
                inspect: Callable[[str, str], list[Any]] | None = None, meanwhile: Callable[[], object] | None = None) -> tuple[str, list[Any]]:  # fmt: skip
        """``(lockfile text, inspect(temporary path, format) or [])``.

        Args:
            seed: an existing lockfile whose pins uv keeps where they still fit (uv reads its
                output file as preferences, as pip-compile does).
            inspect: called on the written file before it is removed.
            meanwhile: called while uv runs; if it raises, uv is stopped.
        """
        import subprocess

        _remove_stale_outputs(self.folder)
        tag = f"{os.getpid()}x{os.urandom(4).hex()}"
        # beside the lock, since uv writes paths relative to its output; PEP 751 tools will only
        # ever see a pylock.lockgate… name while uv runs, or after a kill -9 until the next run
        name = f"pylock.lockgate{tag}.toml" if format == PYLOCK else f".lockgate-uv-output-{tag}.tmp"
        temporary = os.path.join(self.folder, name)
        command = [self.uv, "pip", "compile", os.path.basename(self.pyproject), "--output-file", temporary, "--format", format,
                   "--no-progress", "--color", "never", "--custom-compile-command", self.header, *options.uv_arguments()]  # fmt: skip
        try:
            if seed:
                self.warnings.extend(_seed(seed, temporary, format))
            folder = os.path.dirname(os.path.abspath(self.pyproject))
            announce(command, folder)
            process = subprocess.Popen(command, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            with process, _exit_on_termination():
                try:
                    if meanwhile:
                        meanwhile()
                    stdout, stderr = process.communicate()
                except BaseException:  # an error meanwhile, Ctrl-C, SIGTERM: uv stops too
                    process.kill()
                    raise
            if process.returncode != 0:
                message = f"uv could not lock {self.pyproject} (uv pip compile exit {process.returncode})"
                raise LockgateError(message, detail=stderr)
            # uv prints the lock on stdout too; of its stderr, the warnings are for the user
            self.warnings.extend(f"uv: {line[len('warning:') :].strip()}" for line in stderr.splitlines() if line.startswith("warning:"))
            with open(temporary, encoding="utf-8") as handle:
                text = handle.read()
            return text, inspect(temporary, format) if inspect else []
        except OSError as error:
            raise LockgateError(f"cannot run uv pip compile: {error.strerror}", self.pyproject) from None
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)


_STALE_OUTPUT = re.compile(r"^(?:pylock\.lockgate|\.lockgate-uv-output-)(\d+)x[0-9a-f]{8}(?:\.toml|\.tmp)$")
_OLD_OUTPUT = re.compile(r"^(?:pylock\.lockgate[0-9a-f]{12}\.toml|\.lockgate-[0-9a-f]{12}\.txt)$")  # before pids were in names


def _remove_stale_outputs(folder: str) -> None:
    """Remove uv outputs that a killed ``lockgate generate`` left in ``folder``: those of
    processes that no longer run, and the old unstamped names after an hour."""
    import time

    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        stamped, old = _STALE_OUTPUT.match(name), _OLD_OUTPUT.match(name)
        path = os.path.join(folder, name)
        try:
            if (stamped and not _running(int(stamped[1]))) or (old and time.time() - os.lstat(path).st_mtime > 3600):
                os.unlink(path)
        except OSError:
            pass


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # someone else's process
    return True


class _exit_on_termination:
    """While uv runs, SIGTERM and SIGHUP end lockgate through its ``finally`` blocks (which
    remove uv's temporary output) instead of killing it outright."""

    _SIGNALS = ("SIGTERM", "SIGHUP")

    def __enter__(self) -> _exit_on_termination:
        import signal
        import threading

        self.previous = {}
        if threading.current_thread() is threading.main_thread():
            for name in self._SIGNALS:
                number = getattr(signal, name, None)
                if number is not None:
                    self.previous[number] = signal.signal(number, self._exit)
        return self

    @staticmethod
    def _exit(number: int, _frame: object) -> NoReturn:
        raise SystemExit(128 + number)

    def __exit__(self, *_: object) -> None:
        import signal

        for number, handler in self.previous.items():
            signal.signal(number, handler)


def _seed(output: str, temporary: str, format: str) -> list[str]:
    """Copy the current lock, if lockgate wrote it, where uv reads its preferences.

    A hand-edited lock is handed over too, edited pins included, as uv and pip-compile keep
    their output file's pins; entries uv would refuse are left out
    (:func:`lockgate.lock.preferences.usable_preferences`). A lock lockgate did not write is not:
    uv refuses a whole preferences file for one line it cannot parse.

    Returns:
        Warnings: the lock, or entries of it, not used.
    """
    from .._io import read_text
    from .preferences import usable_preferences
    from .provenance import Integrity, integrity, read_provenance

    if not os.path.isfile(output):
        return []
    try:
        text = read_text(output)
        provenance = read_provenance(text, format, output)
    except LockgateError as error:
        return [f"{output}: not used as preferences ({error.message}); resolved afresh"]
    if provenance is None:
        return []
    preferences: str | None = text
    warnings: list[str] = []
    if integrity(text, format, provenance) is Integrity.EDITED:
        preferences, warnings = usable_preferences(text, format, output)
    if preferences is not None:
        with open(temporary, "xb") as target:
            target.write(preferences.encode())
    return warnings


def _cpu_problems(path: str, format: str, text: str | None = None) -> list[tuple[str, str, str]]:
    """``(name, version, why)`` for each entry of a lockfile that breaks CPU-only where it
    installs on Linux, with the ``# via`` annotations of a requirements file (``text``: the
    lock's text when the caller has read it)."""
    from .._io import read_text
    from ..env.cpu_only import cpu_only_problem, linux_environment
    from ..env.interpreter import current_interpreter
    from ..env.markers import MarkerEvaluator
    from ..env.readers import read_lockfile

    text = read_text(path) if text is None else text
    lock = read_lockfile(path, text=text)
    evaluator = MarkerEvaluator(linux_environment(current_interpreter().marker_environment()))
    problems = []
    for entry in lock.packages:
        if entry.name and evaluator.applies(entry.marker, entry.marker_context, entry.origin):
            problem = cpu_only_problem(entry.name, entry.version, on_linux=True)
            if problem:
                problems.append((entry.name, entry.version or "", problem))
    if format == REQUIREMENTS and problems:
        problems = _with_via(problems, text)
    return problems


def _with_via(problems: list[tuple[str, str, str]], requirements_text: str) -> list[tuple[str, str, str]]:
    """The problems with ``(via …)`` from a requirements text's annotations added."""
    from ..env.cpu_only import via_annotations

    sources = via_annotations(requirements_text)
    return [(name, version, f"{why} (via {', '.join(sources[name])})" if sources.get(name) else why) for name, version, why in problems]


def _count_packages(body: str, format: str) -> int:
    if format == PYLOCK:
        return body.count("[[packages]]")
    return sum(1 for line in body.splitlines() if line[:1].isalnum() or line.startswith(("-e ", "--editable")))
