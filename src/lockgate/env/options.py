"""What one verify checks and how: a value built once (from a command line, a harness's parsed
arguments or a library call) and passed whole to every step."""

from __future__ import annotations

from .model import Selection

TYPE_CHECKING = False  # not typing's: importing typing costs verify's start-up
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any


class VerifyOptions:
    """How to verify an environment against a lock.

    Attributes:
        lockfile: the lock's path (``-`` for standard input); None finds ``requirements.txt``,
            ``pylock.toml`` or ``uv.lock`` in the current folder.
        python: the target interpreter or venv folder; None finds it as uv does
            (:func:`~lockgate.env.interpreter.find_interpreter`; a uv.lock's project environment).
        selected_by: what named ``python``, for reports (``--python``, ``COMMAND's interpreter``…).
        skip: names left unchecked (besides ``verify.skip`` of the configuration).
        allow_missing: locked distributions that are not installed do not fail.
        strict: extra distributions and differences PEP 440 forgives fail too.
        selection: the lock's extras and dependency groups to check (:class:`~lockgate.env.model.Selection`).
        cpu_only: CUDA distributions and non-CPU PyTorch builds fail (:mod:`lockgate.env.cpu_only`).
        integrity: installed files of the locked distributions are checked against RECORD;
            integrity_all: of every installed distribution.
        jobs: hashing workers for the file check; None is the cores this process may use.
    """

    __slots__ = ("lockfile", "python", "selected_by", "skip", "allow_missing", "strict", "selection", "cpu_only", "integrity",
                 "integrity_all", "jobs")  # fmt: skip

    def __init__(self, lockfile: str | None = None, *, python: str | None = None, selected_by: str | None = None, skip: Iterable[str] = (),
                 allow_missing: bool = False, strict: bool = False, selection: Selection | None = None, cpu_only: bool = False,
                 integrity: bool = False, integrity_all: bool = False, jobs: int | None = None) -> None:  # fmt: skip
        self.lockfile = lockfile
        self.python = python
        self.selected_by = selected_by
        self.skip = tuple(skip)
        self.allow_missing = allow_missing
        self.strict = strict
        self.selection = selection or Selection()
        self.cpu_only = cpu_only
        self.integrity = integrity
        self.integrity_all = integrity_all
        self.jobs = jobs

    @classmethod
    def of(cls, lockfile: str | None = None, *, extras: Iterable[str] = (), groups: Iterable[str] | None = None, all_extras: bool = False,
           no_default_groups: bool = False, only_groups: Iterable[str] = (), **options: Any) -> VerifyOptions:  # fmt: skip
        """Options from uv's flag names (``extras``, ``groups``, ``all_extras``,
        ``no_default_groups``, ``only_groups``) and the attributes above, as a command line has them.

        Raises:
            LockgateError: a combination uv refuses (``--only-group`` with ``--group`` or an
                extra; ``--all-extras`` with ``--extra``).
        """
        return cls(lockfile, selection=selection_of(extras, groups, all_extras, no_default_groups, only_groups), **options)

    @property
    def checks_files(self) -> bool:
        """Is an installed-file check (``integrity`` or ``integrity_all``) asked for?"""
        return self.integrity or self.integrity_all

    def replace(self, **changes: Any) -> VerifyOptions:
        """A copy with some attributes changed."""
        values = {name: getattr(self, name) for name in self.__slots__}
        values.update(changes)
        return VerifyOptions(values.pop("lockfile"), **values)

    def check_key(self) -> dict[str, Any]:
        """What decides a verdict besides the target and the lock (not ``python``,
        ``selected_by`` or ``jobs``): equal on ranks whose checks may be shared."""
        return {"skip": sorted(self.skip), "allow_missing": self.allow_missing, "strict": self.strict, "selection": self.selection.uv_flags(),
                "cpu_only": self.cpu_only, "integrity": self.integrity, "integrity_all": self.integrity_all}  # fmt: skip

    def __repr__(self) -> str:
        return f"VerifyOptions({self.lockfile!r}, python={self.python!r}, {self.selection!r})"


def selection_of(extras: Iterable[str] = (), groups: Iterable[str] | None = None, all_extras: bool = False, no_default_groups: bool = False,
                 only_groups: Iterable[str] = ()) -> Selection:  # fmt: skip
    """The :class:`~lockgate.env.model.Selection` of uv's flags, combined by uv's rules.

    Raises:
        LockgateError: ``--only-group`` with ``--group``, ``--extra`` or ``--all-extras``, or
            ``--all-extras`` with ``--extra``.
    """
    from ..errors import LockgateError

    extras, only = tuple(extras), tuple(only_groups)
    if only and (groups or extras or all_extras):
        raise LockgateError("--only-group installs those groups alone: give it without --group, --extra or --all-extras")
    if all_extras and extras:
        raise LockgateError("--all-extras selects every extra: give it without --extra")
    return Selection(extras, only or groups or (), all_extras=all_extras, default_groups=not no_default_groups, only_groups=bool(only))
