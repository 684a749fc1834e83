"""The verify options on a command line: one table that ``lockgate verify``, ``lockgate run``,
``lockgate cluster verify`` and a benchmark's own parser (the harness) all add from, and the
one function that reads them back into a :class:`~lockgate.env.options.VerifyOptions`."""

from __future__ import annotations

import argparse

from ..env.options import VerifyOptions

TYPE_CHECKING = False  # not typing's: lockgate verify imports this module at start-up
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import TypedDict

    class FlagKeywords(TypedDict, total=False):
        """The ``add_argument`` keywords a verify option may have."""

        metavar: str
        action: str
        default: list[str] | None
        type: Callable[[str], int]
        help: str


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return int(text)


#: ``(name, add_argument keywords)`` of every verify option; the flag is ``--NAME`` on
#: lockgate's own commands. Help texts say what the option does to the check.
_FLAGS: tuple[tuple[str, FlagKeywords], ...] = (
    ("python", {"metavar": "PATH", "help": "interpreter or venv folder to check (default: $VIRTUAL_ENV, else the nearest .venv, "
                                           "else lockgate's Python; a uv.lock's project environment)"}),
    ("skip", {"metavar": "NAME", "action": "append", "default": [], "help": "leave NAME unchecked (repeatable; adds to verify.skip in lockgate.toml)"}),
    ("allow-missing", {"action": "store_true", "help": "locked distributions that are not installed do not fail"}),
    ("strict", {"action": "store_true", "help": "also fail on extra distributions and local-version differences"}),
    ("extra", {"metavar": "NAME", "action": "append", "default": [], "help": "select an extra (pylock.toml, uv.lock; repeatable)"}),
    ("all-extras", {"action": "store_true", "help": "select every extra the lock defines"}),
    ("group", {"metavar": "NAME", "action": "append", "default": None,
               "help": "select a dependency group (pylock.toml: instead of its default groups, as uv pip install; uv.lock: besides them, "
                       "as uv sync; repeatable)"}),
    ("no-default-groups", {"action": "store_true", "help": "leave out the lock's default dependency groups"}),
    ("only-group", {"metavar": "NAME", "action": "append", "default": [],
                    "help": "select only this dependency group, not the project's dependencies (repeatable)"}),
    ("cpu-only", {"action": "store_true", "help": "fail on CUDA distributions (nvidia-*, cuda-*, triton) and non-CPU torch builds"}),
    ("integrity", {"action": "store_true", "help": "also check every file of the locked distributions against its RECORD hash"}),
    ("integrity-all", {"action": "store_true", "help": "the same for every installed distribution"}),
    ("jobs", {"metavar": "N", "type": _positive_int,
              "help": "hashing workers for --integrity: processes, or threads for a small check (default: the cores lockgate may use)"}),
    ("no-cache", {"action": "store_true", "help": "read and write none of lockgate's cached interpreter facts and marker results"}),
)  # fmt: skip

#: The names of the verify options, in the order they are added.
FLAG_NAMES: tuple[str, ...] = tuple(name for name, _ in _FLAGS)


def add_verify_flags(parser: argparse.ArgumentParser | argparse._ArgumentGroup, *, flags: dict[str, str] | None = None,
                       dest_prefix: str = "", leave_out: tuple[str, ...] = ()) -> dict[str, str]:  # fmt: skip
    """Add the verify options of :data:`FLAG_NAMES` to ``parser``.

    Args:
        parser: a parser or an argument group of one.
        flags: the flag to use for a name (default ``--NAME``).
        dest_prefix: put each value at ``args.<dest_prefix><name_with_underscores>``.
        leave_out: names not to add.

    Returns:
        name -> the flag added for it.
    """
    added = {}
    for name, keywords in _FLAGS:
        if name in leave_out:
            continue
        flag = (flags or {}).get(name, f"--{name}")
        parser.add_argument(flag, dest=dest_prefix + name.replace("-", "_"), **keywords)
        added[name] = flag
    return added


def verify_options(args: argparse.Namespace, lockfile: str | None, *, dest_prefix: str = "", selected_by: str | None = None) -> VerifyOptions:
    """The :class:`VerifyOptions` that :func:`add_verify_flags` parsed into ``args``; a name it
    did not add takes its default.

    Raises:
        LockgateError: a selection uv refuses (``--only-group`` with ``--group``…).
    """

    def on(dest: str) -> bool:
        return bool(getattr(args, dest_prefix + dest, False))

    def names(dest: str) -> Sequence[str]:
        given: list[str] | None = getattr(args, dest_prefix + dest, None)
        return given or ()

    python: str | None = getattr(args, dest_prefix + "python", None)
    groups: list[str] | None = getattr(args, dest_prefix + "group", None)  # None: not given, unlike []
    jobs: int | None = getattr(args, dest_prefix + "jobs", None)
    return VerifyOptions.of(
        lockfile, python=python, selected_by=selected_by, skip=names("skip"), allow_missing=on("allow_missing"), strict=on("strict"),
        extras=names("extra"), groups=groups, all_extras=on("all_extras"), no_default_groups=on("no_default_groups"),
        only_groups=names("only_group"), cpu_only=on("cpu_only"), integrity=on("integrity"), integrity_all=on("integrity_all"), jobs=jobs,
    )  # fmt: skip


def verify_argv(options: VerifyOptions) -> list[str]:
    """``options`` as lockgate's own flags (less the lock and ``--python``): what a
    ``lockgate verify`` on another host needs to check the same way."""
    words = [f"--skip={name}" for name in options.skip]
    words += [flag for flag, on in (("--allow-missing", options.allow_missing), ("--strict", options.strict), ("--cpu-only", options.cpu_only),
                                    ("--integrity", options.integrity), ("--integrity-all", options.integrity_all)) if on]  # fmt: skip
    words += options.selection.uv_flags()
    return words + ([f"--jobs={options.jobs}"] if options.jobs else [])
