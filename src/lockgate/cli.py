"""The ``lockgate`` command: a thin shell over the library API."""

from __future__ import annotations

import argparse
import sys

from . import __version__
from .errors import LockgateError

EXIT_PASSED, EXIT_FAILED, EXIT_ERROR = 0, 1, 2


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, sized without ``shutil``: argparse builds one per option, and
    importing shutil would cost every run, help or not."""

    def __init__(self, prog: str):
        super().__init__(prog, width=_terminal_columns() - 2)


def _terminal_columns() -> int:
    import os

    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]  # None: caught below
    except (AttributeError, ValueError, OSError):
        return 80


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``lockgate`` with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="lockgate",
        description="Check that an environment matches its lockfile before a run starts.",
        formatter_class=_HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=_version_line())
    parser.add_argument("-v", "--verbose", action="store_true", help="show each command lockgate runs (uv, git, mpiexec, probes) on stderr; before COMMAND")
    commands = parser.add_subparsers(dest="subcommand", metavar="COMMAND", prog="lockgate")
    for name, (summary, description, configure) in COMMANDS.items():
        configure(commands.add_parser(name, help=summary, description=description, formatter_class=_HelpFormatter))
    return parser


def _version_line() -> str:
    """``lockgate 0.1.0 (uv 0.13.9, /path/to/uv)``: lockgate and the uv it runs."""
    from ._uv import find_uv_and_version

    try:
        uv, version = find_uv_and_version()
    except LockgateError:
        return f"lockgate {__version__} (no uv found)"
    return f"lockgate {__version__} (uv {version or 'of unknown version'}, {uv})"


def build_command_parser(name: str) -> argparse.ArgumentParser:
    """The parser of one subcommand alone: what ``lockgate NAME ...`` runs with, since building
    the whole tree costs milliseconds that verify's start-up cannot spare."""
    summary, description, configure = COMMANDS[name]
    parser = argparse.ArgumentParser(prog=f"lockgate {name}", description=description, formatter_class=_HelpFormatter)
    configure(parser)
    return parser


def _configure_verify(parser: argparse.ArgumentParser) -> None:
    from .gate.arguments import add_verify_flags

    parser.add_argument("lock", nargs="?", metavar="LOCK", help="the lockfile, as -l names it")
    parser.add_argument(
        "-l", "--lockfile", metavar="PATH",
        help="requirements.txt, pylock.toml or uv.lock; - reads standard input (default: ./requirements.txt, then ./pylock.toml, then ./uv.lock)",
    )  # fmt: skip
    add_verify_flags(parser)
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing on success, only failures otherwise")
    parser.add_argument("--mpi", action="store_true", help="under mpiexec: every rank verifies, rank 0 prints one report (lockgate[mpi])")
    parser.add_argument("--verdict-line", action="store_true", help=argparse.SUPPRESS)  # for lockgate cluster verify
    parser.add_argument("--compare", action="store_true", help="with --mpi and no lockfile: report version drift between hosts")
    _add_cluster_options(parser)
    parser.set_defaults(handler=_run_verify)


def _add_cluster_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--timeout", metavar="SECONDS", type=float, default=300.0, help="with --mpi: how long rank 0 waits for every rank (default: 300)")
    parser.add_argument("--shared-env", action="store_true",
                        help="with --mpi: every host sees the environment on one shared filesystem, so --integrity reads each file once in the job")  # fmt: skip


def _mpi_gate(args: argparse.Namespace, *, compare: bool = False):
    """The :class:`~lockgate.gate.flow.MpiGate` of ``--mpi``, or None; ``--shared-env`` and
    ``--compare`` mean nothing without it."""
    if args.mpi:
        from .gate.flow import MpiGate

        return MpiGate(args.timeout, shared_env=args.shared_env, compare=compare)
    if compare or args.shared_env:
        flag = "--compare compares hosts" if compare else "--shared-env splits files between hosts"
        raise LockgateError(f"{flag}: use it with --mpi under mpiexec, or lockgate cluster verify")
    return None


def _progress(options, *, show: bool):
    """``(context, callback)``: a progress bar on the terminal while files are hashed, or none."""
    from contextlib import nullcontext

    if not options.checks_files:
        return nullcontext(), None
    from .progress import terminal_progress

    bar = terminal_progress("hashing installed files", show)
    return bar or nullcontext(), bar


def _configure_run(parser: argparse.ArgumentParser) -> None:
    from .gate.arguments import add_verify_flags

    parser.usage = "lockgate run --verify-lockfile LOCK [options] -- COMMAND [ARGS...]"
    parser.add_argument("--verify-lockfile", metavar="LOCK", required=True, help="the lockfile the environment must match")
    add_verify_flags(parser)
    parser.add_argument("--record", metavar="PATH",
                        help="write the run's record (an in-toto statement) here before the command starts; completed when it ends")  # fmt: skip
    parser.add_argument("--results", metavar="DIR", help="with --record: bind every file under DIR (hashed when the command ends) to the record")
    parser.add_argument("--sign-key", metavar="KEY", help="with --record: sign it (DSSE) with this Ed25519 private key, PEM or OpenSSH (lockgate[attest])")
    parser.add_argument("--sbom", action="store_true", help="with --record: write a CycloneDX SBOM of the verified environment beside it (lockgate[attest])")
    parser.add_argument("--freeze", metavar="PATH", help="write the verified environment here as a lockgate freeze lock before the command starts")
    parser.add_argument("--mpi", action="store_true", help="under mpiexec: every rank verifies; all pass or no rank starts COMMAND (lockgate[mpi])")
    _add_cluster_options(parser)
    parser.set_defaults(handler=_run_run)


def _run_run(args: argparse.Namespace) -> int:
    from .gate.arguments import verify_options
    from .gate.run import gate_target, run_gated

    if not args.command:
        raise LockgateError("no command given: lockgate run --verify-lockfile LOCK -- COMMAND [ARGS...]")
    if args.mpi and (args.freeze or args.sbom):
        raise LockgateError(f"{'--freeze' if args.freeze else '--sbom'} with --mpi: freeze each host with lockgate freeze instead (one environment per host)")
    python, selected_by = gate_target(args.python, args.command)
    options = verify_options(args, args.verify_lockfile).replace(python=python, selected_by=selected_by)
    context, progress = _progress(options, show=True)
    with context:
        return run_gated(options, args.command, mpi=_mpi_gate(args), record=_recorder(args), freeze=args.freeze, progress=progress)


def _recorder(args: argparse.Namespace):
    """The :class:`~lockgate.gate.recording.Recorder` of ``--record``, or None; its options need it."""
    if not args.record:
        given = [flag for flag, value in (("--results", args.results), ("--sign-key", args.sign_key), ("--sbom", args.sbom)) if value]
        if given:
            raise LockgateError(f"{given[0]} belongs to the record: add --record PATH")
        return None
    from .gate.recording import Recorder

    return Recorder(args.record, results=args.results, sign_key=args.sign_key, sbom=args.sbom)


def _run_verify(args: argparse.Namespace) -> int:
    from .gate.arguments import verify_options

    if "--" in args.argv:
        raise LockgateError("verify runs no command; to verify, then run one: lockgate run --verify-lockfile LOCK -- COMMAND")
    if args.lock is not None and args.lockfile is not None and args.lockfile != args.lock:
        raise LockgateError(f"two lockfiles named ({args.lock} and -l {args.lockfile}): name one")
    lockfile = args.lockfile or args.lock
    if args.compare and lockfile:
        raise LockgateError("--compare compares hosts with each other, not with a lock: drop -l, or drop --compare to verify every host against it")
    options = verify_options(args, lockfile)
    mpi = _mpi_gate(args, compare=args.compare)
    if mpi is not None:
        from .gate.flow import gate

        return gate(options, mpi=mpi, show=lambda verdict: _show_cluster(verdict, args)).exit_code
    return _verify_one_host(options, args)


def _show_cluster(verdict, args: argparse.Namespace) -> None:
    """Rank 0 of ``verify --mpi``: the cluster report, and for ``cluster verify`` the verdict line."""
    from .gate.mpiexec import VERDICT_PREFIX

    report = verdict.cluster
    if args.format == "json":
        import json

        sys.stdout.write(json.dumps(report.to_dict(), indent=2) + "\n")
    elif not (args.quiet and verdict.passed):
        sys.stdout.write(report.render_text())
    sys.stdout.flush()
    if args.verdict_line:
        print(f"{VERDICT_PREFIX}{'passed' if verdict.passed else 'failed'}", file=sys.stderr, flush=True)


def _verify_one_host(options, args: argparse.Namespace) -> int:
    from .env.verify import NothingSelectedError, verify_environment
    from .render import render_json, render_text

    context, progress = _progress(options, show=args.format == "text" and not args.quiet)
    try:
        with context:
            report = verify_environment(options, progress=progress).report
    except NothingSelectedError as error:
        if args.format != "json":
            raise
        report = error.report  # a JSON reader gets a report for every verdict (exit 0 or 1)
    if args.format == "json":
        sys.stdout.write(render_json(report))
    else:
        environment = report.header["environment"]
        target = f"{report.header['lockfile']} vs {environment['python']} (Python {environment['python_version']}; target: {environment['selected_by']})"
        sys.stdout.write(render_text(report, title="lockgate verify", target=target, quiet=args.quiet))
    return EXIT_PASSED if report.passed else EXIT_FAILED


def _configure_generate(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--pyproject", metavar="PATH", help="the project to lock (default: ./pyproject.toml; with --check, the one the lock recorded)")
    parser.add_argument("-o", "--output", metavar="PATH", help="the lockfile (default: requirements.txt, or pylock.toml with --format pylock.toml)")
    parser.add_argument("--format", choices=("requirements.txt", "pylock.toml"), help="lockfile format (default: from the output name)")
    parser.add_argument("--extra", metavar="NAME", action="append", default=[], help="include this extra (repeatable)")
    parser.add_argument("--all-extras", action="store_true", help="include every extra")
    parser.add_argument("--group", metavar="NAME", action="append", default=[], help="include this dependency group (repeatable)")
    parser.add_argument("--hashes", action="store_true", help="write distribution hashes")
    parser.add_argument("--python-version", metavar="X.Y", help="resolve for this Python version")
    parser.add_argument("--python-platform", metavar="PLATFORM", help="resolve for this platform (uv's target triple, e.g. x86_64-manylinux_2_28)")
    parser.add_argument("--no-universal", action="store_true", help="lock for this platform only (default: universal, with markers)")
    parser.add_argument("--exclude-newer", metavar="DATE", help="ignore distributions uploaded after DATE (RFC 3339 or YYYY-MM-DD)")
    parser.add_argument("--torch-backend", metavar="BACKEND", help="PyTorch index: cpu, cuXYZ, auto…; cpu is asserted on the result")
    parser.add_argument("--index-url", metavar="URL", help="the package index (default: PyPI)")
    parser.add_argument("--extra-index-url", metavar="URL", action="append", default=[], help="another index (repeatable)")
    parser.add_argument("--find-links", metavar="PATH_OR_URL", action="append", default=[], help="a folder or page of distributions (repeatable)")
    parser.add_argument("--no-index", action="store_true", help="ignore every index; only --find-links")
    parser.add_argument("--offline", action="store_true", help="use uv's cache and local files only")
    parser.add_argument("-c", "--constraint", metavar="FILE", action="append", default=[],
                        help="constrain versions with this requirements file, as pip-compile and uv do (repeatable; its content is recorded as an input)")  # fmt: skip
    parser.add_argument("-U", "--upgrade", action="store_true", help="ignore the existing lock's pins: take the newest versions allowed")
    parser.add_argument("-P", "--upgrade-package", metavar="NAME", action="append", default=[],
                        help="ignore the existing pin of NAME (or NAME==VERSION), keep the others (repeatable)")  # fmt: skip
    parser.add_argument("--all", action="store_true", help="write the base lock and the full lock (extra full, or every extra)")
    parser.add_argument("--check", action="store_true", help="write nothing: exit 1 when the lock is stale or hand-edited (or not CPU-only as recorded)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only errors and failures")
    parser.set_defaults(handler=_run_generate)


_RESOLUTION_FLAGS = ("extra", "all_extras", "group", "hashes", "python_version", "python_platform", "no_universal",
                     "exclude_newer", "torch_backend", "index_url", "extra_index_url", "find_links", "no_index", "offline", "upgrade", "upgrade_package", "constraint")  # fmt: skip


def _generate_options(args: argparse.Namespace):
    """The :class:`~lockgate.generate.GenerateOptions` of the command line, or None when it
    names none (``--check`` then uses the recorded ones)."""
    from .lock.generate import GenerateOptions

    if not any(getattr(args, flag) for flag in _RESOLUTION_FLAGS):
        return None
    return GenerateOptions(
        extras=args.extra, groups=args.group, all_extras=args.all_extras, hashes=args.hashes,
        python_version=args.python_version, python_platform=args.python_platform, universal=not args.no_universal,
        exclude_newer=args.exclude_newer, torch_backend=args.torch_backend, index_url=args.index_url,
        extra_index_urls=args.extra_index_url, find_links=args.find_links, no_index=args.no_index, offline=args.offline,
        upgrade=args.upgrade, upgrade_packages=args.upgrade_package, constraints=args.constraint,
    )  # fmt: skip


def _run_generate(args: argparse.Namespace) -> int:
    from .lock import generate as lock

    options = _generate_options(args)
    if args.check:
        return _check_generated(args, options)
    pyproject = args.pyproject or "pyproject.toml"
    if args.all:
        results = lock.generate_all(pyproject, args.output, format=args.format, options=options)
    else:
        results = [lock.generate(pyproject, args.output, format=args.format, options=options)]
    for result in results:
        for warning in result.warnings:
            print(f"lockgate generate: warning: {warning}", file=sys.stderr)
        if not args.quiet:
            print(f"lockgate generate: wrote {result.path} ({result.packages} packages, {result.format}) from {pyproject}", file=sys.stderr)
            for change in result.changes:  # as uv lock says them
                print(change, file=sys.stderr)
    return EXIT_PASSED


def _existing_lock(format: str | None) -> str | None:
    """The lock ``generate --check`` checks when none is named, found as ``verify`` finds it."""
    import os

    from .env.readers import DEFAULT_LOCKFILES

    candidates = ("pylock.toml",) if format == "pylock.toml" else DEFAULT_LOCKFILES[:2]
    return next((name for name in candidates if os.path.isfile(name)), None)


def _check_generated(args: argparse.Namespace, options) -> int:
    from .lock import generate as lock

    output = args.output or _existing_lock(args.format) or lock.default_output(args.format)
    outputs = [output]
    if args.all:
        outputs.append(lock.full_lock_name(output, lock.output_format(output, args.format)))
    passed = True
    for path in outputs:
        check_options = options
        if args.all and path != output:
            check_options = None  # the full lock records its own extras
        report = lock.check(path, pyproject=args.pyproject, format=args.format, options=check_options)
        passed = passed and report.passed
        for finding in report.findings:
            if finding.fails:
                print(f"{path}: {finding.subject + ': ' if finding.subject != path else ''}{finding.message}", file=sys.stderr)
            elif not args.quiet:
                print(f"{path}: fresh" + (f" ({finding.message})" if finding.message else ""))
    return EXIT_PASSED if passed else EXIT_FAILED


def _configure_freeze(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--python", metavar="PATH", help="interpreter or venv folder (default: $VIRTUAL_ENV, else the nearest .venv, else lockgate's Python)")
    parser.add_argument("-o", "--output", metavar="PATH", help="write the lock here, atomically (default: stdout)")
    parser.add_argument("--format", choices=("requirements.txt", "pylock.toml", "cyclonedx-json"),
                        help="lock format, or a CycloneDX 1.6 SBOM (cyclonedx-json: lockgate[attest]) (default: from the -o name, else requirements.txt)")  # fmt: skip
    parser.add_argument("--index-url", metavar="URL", help="pylock.toml: where uv finds the wheels and their hashes (default: PyPI)")
    parser.add_argument("--extra-index-url", metavar="URL", action="append", default=[], help="pylock.toml: another index (repeatable)")
    parser.add_argument("--find-links", metavar="PATH_OR_URL", action="append", default=[], help="pylock.toml: a folder or page of distributions (repeatable)")
    parser.add_argument("--no-index", action="store_true", help="pylock.toml: only --find-links")
    parser.add_argument("--offline", action="store_true", help="pylock.toml: uv's cache and local files only")
    parser.set_defaults(handler=_run_freeze)


def _run_freeze(args: argparse.Namespace) -> int:
    from .env.freeze import freeze, freeze_pylock

    pylock = args.format == "pylock.toml" or (args.format is None and (args.output or "").endswith(".toml"))
    if args.format == "cyclonedx-json" or (args.format is None and (args.output or "").endswith(".cdx.json")):
        from .env.interpreter import find_interpreter
        from .env.inventory import scan_interpreter
        from .env.sbom import sbom_json

        interpreter = find_interpreter(args.python)
        text = sbom_json(interpreter, scan_interpreter(interpreter))
    elif pylock:
        options = [*(["--index-url", args.index_url] if args.index_url else []), *[f"--extra-index-url={u}" for u in args.extra_index_url],
                   *[f"--find-links={link}" for link in args.find_links], *(["--no-index"] * args.no_index), *(["--offline"] * args.offline)]  # fmt: skip
        text = freeze_pylock(args.python, options)
    else:
        text = freeze(args.python)
    if args.output:
        from ._io import write_atomic

        write_atomic(args.output, text.encode())
    else:
        sys.stdout.write(text)
    return EXIT_PASSED


def _configure_schema(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", nargs="?", metavar="NAME", help="lockgate.verify/1, lockgate.cluster/1, … (default: list them)")
    parser.set_defaults(handler=_run_schema)


def _run_schema(args: argparse.Namespace) -> int:
    import os

    folder = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schemas")
    names = sorted(name[: -len(".json")].replace("-", "/") for name in os.listdir(folder) if name.endswith(".json"))
    if not args.name:
        print("\n".join(names))
        return EXIT_PASSED
    wanted = args.name if args.name.startswith("lockgate.") else f"lockgate.{args.name}"
    wanted = wanted if "/" in wanted else f"{wanted}/1"
    if wanted not in names:
        raise LockgateError(f"no schema {args.name!r}; there are: {', '.join(names)}")
    with open(os.path.join(folder, wanted.replace("/", "-") + ".json"), encoding="utf-8") as handle:
        sys.stdout.write(handle.read())
    return EXIT_PASSED


def _configure_diff(parser: argparse.ArgumentParser) -> None:
    for side in ("A", "B"):
        parser.add_argument(side.lower(), metavar=side, help="a lockfile, a saved verify/attestation/cluster JSON (FILE.json#HOST:RANK), or env:PATH")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing when they are equal")
    parser.set_defaults(handler=_run_diff)


def _run_diff(args: argparse.Namespace) -> int:
    from .env.diff import SAME, diff
    from .render import render_json, render_text

    report = diff(args.a, args.b)
    if args.format == "json":
        sys.stdout.write(render_json(report))
    else:
        sys.stdout.write(render_text(report, title="lockgate diff", target=f"A {args.a}, B {args.b}", quiet=args.quiet, hidden=(SAME,),
                                     labels=("A", "B"), verdicts=("no difference", "they differ")))  # fmt: skip
    return EXIT_PASSED if report.passed else EXIT_FAILED


def _configure_cluster(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="cluster_command", metavar="COMMAND", prog="lockgate cluster")
    summary = "run lockgate verify --mpi on hosts through mpiexec; one report, drift between hosts"
    sub = commands.add_parser("verify", help=summary, description=summary, formatter_class=_HelpFormatter)
    sub.add_argument("--hosts", required=True, metavar="H1,H2:4", help="hosts and their rank counts (HOST or HOST:SLOTS, comma-separated)")
    sub.add_argument("-l", "--lockfile", metavar="PATH", help="the lockfile every host must match (omit with --compare)")
    from .gate.arguments import add_verify_flags

    add_verify_flags(sub)
    sub.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    sub.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    sub.add_argument("--compare", action="store_true", help="no lockfile: report version drift between hosts")
    _add_cluster_options(sub)
    sub.add_argument("--mpiexec", metavar="PATH", help="the mpiexec to run (default: lockgate[mpi]'s, else PATH's)")
    sub.add_argument("--mpi-args", metavar="ARGS", default="", help="more mpiexec arguments; write --mpi-args=\"--oversubscribe …\" (with =)")
    sub.set_defaults(handler=_run_cluster)


def _count(number: int, noun: str) -> str:
    """``1 task``, ``2 tasks``."""
    return f"{number} {noun}{'s' if number != 1 else ''}"


def _run_cluster(args: argparse.Namespace) -> int:
    from .gate.mpiexec import mpiexec_command, run_mpiexec
    from .gate.run import command_without_verification

    passthrough = args.argv[2:]
    for flag in ("--hosts", "--mpiexec", "--mpi-args"):
        passthrough = command_without_verification(passthrough, flag)
    return run_mpiexec(mpiexec_command(args.hosts, passthrough, mpiexec=args.mpiexec, mpi_args=args.mpi_args))


def _configure_attest(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="attest_command", metavar="COMMAND", prog="lockgate attest")
    summary = "re-verify a run record: signature, result files, lock, recorded verify and exit code (exit 0/1/2)"
    sub = commands.add_parser("verify", help=summary, description=summary, formatter_class=_HelpFormatter)
    sub.add_argument("record", metavar="RECORD", help="the record lockgate run --record (or the harness's --verify-record) wrote")
    sub.add_argument("--lock", metavar="LOCK", help="the lock to check against the recorded sha256 (default: where the record says it is)")
    sub.add_argument("--results", metavar="DIR", help="the results folder (default: where the record says, from RECORD's folder; else RECORD's folder)")
    sub.add_argument("--key", metavar="PUB", help="the signer's Ed25519 public key: PEM, or ssh-ed25519 as in a .pub file (lockgate[attest])")
    sub.add_argument("--allow-failed-run", action="store_true", help="accept a run whose command exited non-zero")
    sub.add_argument("--python", metavar="VENV", help="also check that this interpreter or venv has the installed set the record holds")
    sub.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    sub.add_argument("-q", "--quiet", action="store_true", help="print nothing when it passes, only the refusals otherwise")
    sub.set_defaults(handler=_run_attest_verify)


def _run_attest_verify(args: argparse.Namespace) -> int:
    from .gate.attest_verify import attest_verify
    from .render import render_json, render_text

    report = attest_verify(args.record, lock=args.lock, results=args.results, key=args.key, allow_failed_run=args.allow_failed_run,
                           python=args.python)  # fmt: skip
    if args.format == "json":
        sys.stdout.write(render_json(report))
    else:
        sys.stdout.write(render_text(report, title="lockgate attest verify", target=f"{args.record} ({report.header['kind']})", quiet=args.quiet))
    return EXIT_PASSED if report.passed else EXIT_FAILED


_TASK_COMMANDS = {
    "lock": "resolve the roots and write tasks.lock.yaml",
    "update": "fetch git sources and registries, then relock to the newest allowed versions",
    "verify": "check locked tasks against their checksums and a fresh resolution",
    "status": "exit 1 when the lock is stale",
    "tree": "show the locked graph",
    "fetch": "write every locked task, checked against its checksum, into a folder",
    "outdated": "newer versions the constraints allow, and the newest there are (fetches git sources; exit 1 when a task is gone)",
    "check": "every task, group and workflow reference of periplon workflows is satisfied by the lock (exit 0/1/2)",
    "publish": "write a static registry (index.json and files) from a folder of task files",
}


def _configure_tasks(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="tasks_command", metavar="COMMAND", prog="lockgate tasks")
    for name, summary in _TASK_COMMANDS.items():
        sub = commands.add_parser(name, help=summary, description=summary, formatter_class=_HelpFormatter)
        sub.set_defaults(handler=_run_tasks)
        if name == "publish":
            sub.add_argument("folder", metavar="DIR", help="a folder of *.task.yaml files")
            sub.add_argument("--registry-dir", metavar="OUT", required=True, help="where to write index.json and the files")
            continue
        sub.add_argument("--source", metavar="DIR", action="append", default=[], help="a folder of *.task.yaml searched before the configured sources (repeatable)")
        sub.add_argument("--source-git", metavar="URL[@REF][#SUBPATH]", action="append", default=[], help="a git repository of task files (repeatable)")
        sub.add_argument("--source-registry", metavar="URL", action="append", default=[], help="an HTTP task registry (repeatable)")
        sub.add_argument("--lockfile", metavar="PATH", help="the lock file (default: tasks.lockfile of lockgate.toml, else tasks.lock.yaml, or .claude/tasks.lock.yaml in a .claude project without one)")
        sub.add_argument("--offline", action="store_true", help="use cached git mirrors and registry files only")
        sub.add_argument("--timeout", metavar="SECONDS", type=float, help="how long one git command may take (default: 120)")
    commands.choices["lock"].add_argument("roots", nargs="*", metavar="ROOT", help="NAME@CONSTRAINT, or group:NAME@CONSTRAINT for a task group, to resolve (default: tasks.roots)")
    commands.choices["update"].add_argument("roots", nargs="*", metavar="NAME",
                                            help="move only these locked tasks (group:NAME for a task group; default: all); NAME@CONSTRAINT replaces the roots, as for lock")  # fmt: skip
    commands.choices["update"].add_argument("--policy", choices=("patch", "minor", "major"),
                                            help="how far a task may move from its locked version (default: what the constraints allow)")  # fmt: skip
    commands.choices["lock"].add_argument("--frozen", action="store_true", help="fail (exit 1) instead of changing the lock")
    commands.choices["lock"].add_argument("--workflow", metavar="FILE", action="append", default=[],
                                          help="add every uses: NAME@CONSTRAINT and imports: GROUP@CONSTRAINT of this periplon workflow to the roots (repeatable)")  # fmt: skip
    commands.choices["check"].add_argument("workflows", nargs="+", metavar="FILE", help="periplon workflow files")
    for name in ("lock", "update"):
        commands.choices[name].add_argument("-v", "--verbose", action="store_true", help="show each step of the resolution on stderr")
    commands.choices["fetch"].add_argument("--frozen", action="store_true", help="fail (exit 1) when the lock is stale")
    commands.choices["fetch"].add_argument("--dest", metavar="DIR", default=".lockgate/tasks", help="where to write the tasks (default: .lockgate/tasks)")
    for name in ("verify", "outdated", "status"):
        commands.choices[name].add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    commands.choices["verify"].add_argument("-q", "--quiet", action="store_true", help="print only failures")


def _run_tasks(args: argparse.Namespace) -> int:
    if args.tasks_command == "publish":
        from .tasks.registry_source import publish

        print(f"lockgate tasks publish: {publish(args.folder, args.registry_dir)} task files and index.json in {args.registry_dir}")
        return EXIT_PASSED
    from .tasks.config import load_tasks_config

    config = load_tasks_config(sources=args.source, git_sources=args.source_git, registries=args.source_registry, lockfile=args.lockfile,
                               fetch=args.tasks_command in ("update", "outdated"), offline=args.offline, frozen=getattr(args, "frozen", False),
                               timeout=args.timeout)  # fmt: skip
    for warning in config.warnings:
        print(f"lockgate tasks: warning: {warning}", file=sys.stderr)
    return _TASK_HANDLERS[args.tasks_command](config, args)


def _tasks_lock(config, args: argparse.Namespace) -> int:
    from .tasks.locking import lock_tasks
    from .tasks.task_schema import Kind
    from .tasks.workflows import workflow_roots

    reporter = None
    if args.verbose:
        from .tasks.resolve import StepReporter

        reporter = StepReporter(sys.stderr)
    roots, names = args.roots, []
    added = workflow_roots(args.workflow) if getattr(args, "workflow", None) else []
    if args.tasks_command == "update":
        roots, names = [r for r in args.roots if "@" in r], [n for n in args.roots if "@" not in n]
    outcome = lock_tasks(config, roots, frozen=getattr(args, "frozen", False), update=args.tasks_command == "update", reporter=reporter,
                             names=names, policy=getattr(args, "policy", None), added_roots=added)  # fmt: skip
    verb = "wrote" if outcome.changed else "unchanged:"
    groups = sum(1 for task in outcome.lock.tasks.values() if task.name.kind is Kind.GROUP)
    counted = _count(len(outcome.lock.tasks) - groups, "task") + (f", {_count(groups, 'task group')}" if groups else "")
    if outcome.adopted:
        roots = ", ".join(outcome.lock.roots)
        print(f"lockgate tasks {args.tasks_command}: adopted {outcome.adopted}'s lock: versions and sources kept, "
              f"checksums recomputed (periplon's cannot be re-derived), roots recorded: {roots}")  # fmt: skip
    for line in outcome.moved:
        print(f"  {line}")
    print(f"lockgate tasks {args.tasks_command}: {verb} {outcome.path} ({counted})")
    return EXIT_PASSED


def _tasks_verify(config, args: argparse.Namespace) -> int:
    from .render import render_json, render_text
    from .tasks.checking import verify_tasks

    report = verify_tasks(config)
    output = render_json(report) if args.format == "json" else render_text(report, title="lockgate tasks verify", target=config.lockfile, quiet=args.quiet)
    sys.stdout.write(output)
    return EXIT_PASSED if report.passed else EXIT_FAILED


def _tasks_status(config, args: argparse.Namespace) -> int:
    from .tasks.checking import tasks_status

    reasons = tasks_status(config)
    if args.format == "json":
        import json

        document = {"schema": "lockgate.tasks.status/1", "lockfile": config.lockfile, "fresh": not reasons, "reasons": reasons}
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
        return EXIT_FAILED if reasons else EXIT_PASSED
    print(f"{config.lockfile}: {'stale' if reasons else 'fresh'}")
    for reason in reasons:
        print(f"  {reason}")
    return EXIT_FAILED if reasons else EXIT_PASSED


def _tasks_fetch(config, args: argparse.Namespace) -> int:
    from .tasks.fetch import fetch_locked_tasks

    written = fetch_locked_tasks(config, args.dest, offline=args.offline, frozen=args.frozen)
    print(f"lockgate tasks fetch: {_count(len(written), 'task')}, checksums verified, in {args.dest}")
    return EXIT_PASSED


def _tasks_outdated(config, args: argparse.Namespace) -> int:
    from .render import render_outdated
    from .tasks.outdated import outdated_tasks

    rows = outdated_tasks(config)
    if args.format == "json":
        import json

        sys.stdout.write(json.dumps({"schema": "lockgate.tasks.outdated/1", "tasks": rows}, indent=2) + "\n")
    else:
        sys.stdout.write(render_outdated(rows))
    return EXIT_FAILED if any(row["update"] == "gone" for row in rows) else EXIT_PASSED  # a gone task cannot be relocked


def _tasks_tree(config, args: argparse.Namespace) -> int:
    from .render import render_task_tree
    from .tasks.tree import tasks_tree

    sys.stdout.write(render_task_tree(tasks_tree(config)))
    return EXIT_PASSED


def _tasks_check(config, args: argparse.Namespace) -> int:
    from .tasks.workflows import check_workflows

    checked, problems = check_workflows(config, args.workflows)
    for problem in problems:
        print(problem)
    verdict = f"{len(problems)} of {_count(checked, 'reference')} unsatisfied" if problems else f"{_count(checked, 'reference')}, all satisfied"
    print(f"lockgate tasks check: {verdict} by {config.lockfile}")
    return EXIT_FAILED if problems else EXIT_PASSED


_TASK_HANDLERS = {"lock": _tasks_lock, "update": _tasks_lock, "verify": _tasks_verify, "status": _tasks_status,
                  "fetch": _tasks_fetch, "outdated": _tasks_outdated, "tree": _tasks_tree, "check": _tasks_check}  # fmt: skip

COMMANDS = {
    "verify": (
        "check the installed distributions against a lockfile (read-only)",
        "Check the target interpreter's installed distributions against a lockfile. "
        "Exit 0 when they match, 1 when they do not, 2 on bad input.",
        _configure_verify,
    ),
    "run": (
        "verify against a lockfile, then run a command (or refuse to start it)",
        "Verify the environment against LOCK; if it matches, run COMMAND with this terminal and "
        "return its exit code; if not, print why and exit 1 without starting it.",
        _configure_run,
    ),
    "generate": (
        "lock a pyproject.toml with uv: requirements.txt or pylock.toml, stamped with its provenance",
        "Resolve PYPROJECT with uv pip compile (universal by default) and write a pinned lockfile that "
        "records its options, uv version and input hashes. --check writes nothing and exits 1 when the "
        "lock is stale or was edited by hand.",
        _configure_generate,
    ),
    "schema": (
        "print the JSON Schema (2020-12) of a JSON lockgate writes",
        "Print the JSON Schema of one of lockgate's JSON outputs (lockgate.verify/1, lockgate.cluster/1, "
        "lockgate.run/1 (the run record's predicate), lockgate.attest.verify/1, lockgate.attestation/1, lockgate.generate.check/1, lockgate.tasks.verify/1, lockgate.tasks.outdated/1, lockgate.tasks.status/1, lockgate.registry/1, "
        "lockgate.diff/1); without NAME, list them.",
        _configure_schema,
    ),
    "freeze": (
        "the installed distributions as a requirements.txt lock, each with its exact source",
        "Write every distribution installed in the target environment with its exact source "
        "(index pin, VCS commit, editable folder, archive URL from direct_url.json) and a header "
        "naming the interpreter, platform and environment fingerprint.",
        _configure_freeze,
    ),
    "diff": (
        "what differs between two locks, saved reports or environments",
        "Compare two sides - a lockfile, a saved verify / attestation / cluster JSON (FILE.json#HOST:RANK), "
        "or an environment (env:PATH) - and list the distributions added, removed and changed. Exit 0 when "
        "they are equal, 1 when not, 2 on bad input.",
        _configure_diff,
    ),
    "attest": (
        "re-verify a run record: lockgate attest verify RECORD",
        "Re-check a run record (an in-toto statement, signed or not) from the record alone: its signature, "
        "its result files, its lock, its recorded verify and exit code. Exit 0 when it holds, 1 when not, 2 on an unreadable record.",
        _configure_attest,
    ),
    "cluster": (
        "verify every host of an MPI job: one report, drift between hosts",
        "Run lockgate verify --mpi on the given hosts through mpiexec and print one report.",
        _configure_cluster,
    ),
    "tasks": (
        "lock task definitions (task/v1 YAML): lock, update, verify, status, tree, fetch, outdated, publish",
        "Resolve task/v1 definitions by SemVer constraints into tasks.lock.yaml, and check it.",
        _configure_tasks,
    ),
}


def _split_command(argv: list[str]) -> tuple[list[str], list[str]]:
    """For ``lockgate run``: its options before ``--``, the command to run after it.

    Other subcommands take no command: their ``--`` stays for argparse to judge.
    """
    if argv[:1] == ["run"] and "--" in argv:
        index = argv.index("--")
        return argv[:index], argv[index + 1 :]
    return argv, []


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 passed, 1 failed, 2 bad input).

    The exit code is the verdict whatever happens to the output: a reader that closes the pipe
    early (``| head``), a closed stdout or a full disk (``> /dev/full``) loses the text, never
    the code; output that could not be written (other than to a reader that left) is named in
    one warning line on stderr.
    """
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _ClosedPipeSafe(sys.stdout), _ClosedPipeSafe(sys.stderr)
    try:
        return _main(sys.argv[1:] if argv is None else argv)
    finally:
        for guard in (sys.stdout, sys.stderr):
            guard.flush()
        failed = sys.stdout.failure
        sys.stdout, sys.stderr = streams
        if failed:
            _ClosedPipeSafe(sys.stderr).write(f"lockgate: warning: the output was not written ({failed}); the exit code is the verdict\n")


class _ClosedPipeSafe:
    """A text stream that drops what it cannot deliver: once a write or flush fails (the reader
    gone, the stream closed, the disk full), the descriptor is pointed at /dev/null so that
    Python's own flush at exit cannot fail either. ``failure`` keeps why, unless the reader
    simply left (EPIPE: ``| head`` is no error)."""

    def __init__(self, stream):
        self.stream = stream
        self.lost = stream is None
        self.failure = ""

    def write(self, text: str) -> int:
        if self.stream is None and text:  # started with the descriptor closed (>&-)
            self.failure = "the stream is closed"
        if not self.lost:
            try:
                return self.stream.write(text)
            except (OSError, ValueError) as error:
                self._lose(error)
        return len(text)

    def flush(self) -> None:
        if not self.lost:
            try:
                self.stream.flush()
            except (OSError, ValueError) as error:
                self._lose(error)

    def _lose(self, error: Exception) -> None:
        import os

        self.lost = True
        if not isinstance(error, (BrokenPipeError, ValueError)):
            self.failure = getattr(error, "strerror", None) or str(error)
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, self.stream.fileno())
            os.close(null)
        except (OSError, ValueError):
            pass

    def __getattr__(self, name: str):
        return getattr(self.stream, name)


def _main(argv: list[str]) -> int:
    if argv[:1] in (["-v"], ["--verbose"]):  # lockgate -v COMMAND: the commands it runs, on stderr (subprocesses and ranks too)
        import os

        os.environ["LOCKGATE_VERBOSE"] = "1"
        argv = argv[1:]
    argv, command = _split_command(argv)
    if argv and argv[0] in COMMANDS:
        parser = build_command_parser(argv[0])
        args = parser.parse_args(argv[1:])
    else:
        parser = build_parser()
        args = parser.parse_args(argv)
    args.command, args.argv = command, argv
    if getattr(args, "no_cache", False):
        import os

        os.environ["LOCKGATE_NO_CACHE"] = "1"  # MPI ranks and subprocesses see it too
    if not getattr(args, "handler", None):
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    return run_handler(args.handler, args)


def run_handler(handler, args: argparse.Namespace) -> int:
    """``handler(args)``'s exit code; any error is one line on stderr and its exit code
    (2 for bad input, never a pass), never a traceback."""
    argv = getattr(args, "argv", [])
    try:
        return handler(args)
    except LockgateError as error:
        print(f"lockgate: error: {error}", file=sys.stderr)
        if error.detail:
            print("\n".join(f"  {line}" for line in error.detail.splitlines()), file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130
    except OSError as error:  # a folder that cannot be made, a file lock that times out: still one line
        where = f"{error.filename}: " if getattr(error, "filename", None) else ""
        print(f"lockgate: error: {where}{error.strerror or error}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as error:  # noqa: BLE001 - the last resort: a bug is a failure, in one line, never a pass
        words = " ".join(argv[:1] + [word for word in argv[1:] if not word.startswith("-")][:2])
        print(f"lockgate: error: lockgate {words}: unexpected {type(error).__name__}: {error}; nothing was decided", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
