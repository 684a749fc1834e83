"""The parsed lockfile model that every reader produces.

Plain classes with ``__slots__`` rather than dataclasses: ``dataclasses`` costs
several milliseconds to import and ``lockgate verify`` must start fast.
"""

from __future__ import annotations

import re

TYPE_CHECKING = False  # not typing's: importing typing costs verify's start-up
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

INDEX = "index"
URL = "url"
VCS = "vcs"
DIRECTORY = "directory"

_SEPARATORS = re.compile(r"[-_.]+")


def normalize_name(name: str) -> str:
    """Return the PEP 503 normalized form of a distribution name (``Foo_Bar`` -> ``foo-bar``).

    Same result as ``packaging.utils.canonicalize_name``, without importing packaging.
    """
    return _SEPARATORS.sub("-", name).lower()


class Source:
    """Where a locked distribution comes from.

    Attributes:
        kind: ``"index"``, ``"url"`` (an archive: wheel or sdist), ``"vcs"`` or ``"directory"``.
        url: the archive or repository URL (VCS without its ``git+`` prefix), or None.
        path: a local archive or directory as written in the lock, resolved against the lock's
            folder, or None.
        vcs: the VCS name (``"git"``) for VCS sources.
        requested_revision: the ``@rev`` written in the lock (branch, tag or commit).
        commit: the commit id when the lock pins one (a full hex object name), else None.
        subdirectory: the project's folder inside the archive or repository.
        editable: installed in development mode (``-e``, PEP 660).
    """

    __slots__ = ("kind", "url", "path", "vcs", "requested_revision", "commit", "subdirectory", "editable")

    def __init__(
        self,
        kind: str = INDEX,
        *,
        url: str | None = None,
        path: str | None = None,
        vcs: str | None = None,
        requested_revision: str | None = None,
        commit: str | None = None,
        subdirectory: str | None = None,
        editable: bool = False,
    ):
        self.kind = kind
        self.url = url
        self.path = path
        self.vcs = vcs
        self.requested_revision = requested_revision
        self.commit = commit
        self.subdirectory = subdirectory
        self.editable = editable

    def describe(self) -> str:
        """A short human form: ``git+URL@REV``, ``-e PATH``, the URL, or ``index``."""
        if self.kind == VCS:
            text = f"{self.vcs}+{self.url}"
            rev = self.commit or self.requested_revision
            return f"{text}@{rev}" if rev else text
        where = self.path or self.url or ""
        if self.kind == DIRECTORY:
            return f"-e {where}" if self.editable else where
        return where or INDEX

    def __repr__(self) -> str:
        return f"Source({self.describe()!r})"

    def to_data(self) -> list[object]:
        """Its attributes in slot order (JSON-ready), for lockgate's cache."""
        return [getattr(self, name) for name in self.__slots__]

    @classmethod
    def from_data(cls, data: list[Any]) -> Source:
        """The inverse of :meth:`to_data`."""
        kind, *rest = data
        return cls(kind, **dict(zip(cls.__slots__[1:], rest)))


class LockedPackage:
    """One locked entry: a distribution the lock says to install (under its marker).

    Attributes:
        name: PEP 503 normalized name, or None for an unnamed ``-e PATH`` entry.
        version: the pinned version string as written (``==``/``===``), or None when the
            entry is pinned by its source only (URL, VCS commit, directory).
        arbitrary: True for ``===`` (PEP 440 arbitrary equality: compared as strings).
        marker: the PEP 508 environment marker as text, or None.
        marker_context: ``"requirement"`` for requirements files, ``"lock_file"`` for
            pylock.toml (markers may test ``extras`` and ``dependency_groups``, PEP 751).
        extras: extras named on the entry (they select other entries, not this one).
        hashes: ``"algo:hexdigest"`` strings the lock lists for the entry's files.
        source: a :class:`Source`.
        requires_python: a specifier string the target Python must satisfy, or None.
        constraint_only: True for entries read through ``-c``: they constrain what is
            installed but do not ask for it.
        origin: ``"FILE:LINE"`` (or ``"FILE:packages[N]"``) where the entry was read.
    """

    __slots__ = (
        "name", "version", "arbitrary", "marker", "marker_context", "extras", "hashes",
        "source", "requires_python", "constraint_only", "origin",
    )  # fmt: skip

    def __init__(
        self,
        name: str | None,
        version: str | None = None,
        *,
        arbitrary: bool = False,
        marker: str | None = None,
        marker_context: str = "requirement",
        extras: tuple[str, ...] = (),
        hashes: tuple[str, ...] = (),
        source: Source | None = None,
        requires_python: str | None = None,
        constraint_only: bool = False,
        origin: str = "",
    ):
        self.name = name
        self.version = version
        self.arbitrary = arbitrary
        self.marker = marker
        self.marker_context = marker_context
        self.extras = extras
        self.hashes = hashes
        self.source = source or Source()
        self.requires_python = requires_python
        self.constraint_only = constraint_only
        self.origin = origin

    @property
    def subject(self) -> str:
        """The name a report shows: the distribution name, else its source."""
        return self.name or self.source.describe()

    def expected(self) -> str:
        """What the lock asks for, as one short string (``1.2.3``, ``git+URL@SHA``…)."""
        if self.source.kind == INDEX:
            return f"==={self.version}" if self.arbitrary else (self.version or "")
        described = self.source.describe()
        return f"{self.version} ({described})" if self.version else described

    def to_data(self) -> list[object]:
        """Its attributes in slot order (JSON-ready), for lockgate's cache."""
        return [getattr(self, name).to_data() if name == "source" else getattr(self, name) for name in self.__slots__]

    @classmethod
    def from_data(cls, data: list[Any]) -> LockedPackage:
        """The inverse of :meth:`to_data`."""
        values = dict(zip(cls.__slots__, data))
        values.update(extras=tuple(values["extras"]), hashes=tuple(values["hashes"]), source=Source.from_data(values["source"]))
        return cls(values.pop("name"), **values)

    def __repr__(self) -> str:
        marker = f" ; {self.marker}" if self.marker else ""
        return f"LockedPackage({self.subject!r} {self.expected()!r}{marker})"


class Selection:
    """Which of a lock's extras and dependency groups are installed, as uv's flags say it
    (``uv sync``, ``uv export``, ``uv pip install -r pylock.toml``).

    Attributes:
        extras: ``--extra NAME``s; all_extras: ``--all-extras``.
        groups: ``--group NAME``s, or the ``--only-group NAME``s with ``only_groups``.
        default_groups: the lock's default groups are installed too (False with
            ``--no-default-groups`` and ``--only-group``). A pylock.toml's ``--group`` replaces its
            ``default-groups``, as ``uv pip install`` has it; a uv.lock's adds to them, as ``uv sync``.
        only_groups: ``--only-group``: the groups alone, not the project's dependencies.
    """

    __slots__ = ("extras", "all_extras", "groups", "default_groups", "only_groups")

    def __init__(self, extras: Iterable[str] = (), groups: Iterable[str] = (), *, all_extras: bool = False, default_groups: bool = True,
                 only_groups: bool = False) -> None:  # fmt: skip
        self.extras = tuple(extras)
        self.all_extras = all_extras
        self.groups = tuple(groups)
        self.default_groups = default_groups and not only_groups
        self.only_groups = only_groups

    @property
    def asked(self) -> bool:
        """Does it ask for anything but the defaults?"""
        return bool(self.extras or self.all_extras or self.groups or not self.default_groups)

    def uv_flags(self) -> list[str]:
        """The same selection as uv's options (``--extra=x``, ``--all-extras``, ``--only-group=g``…)."""
        flags = ["--all-extras"] if self.all_extras else [f"--extra={name}" for name in self.extras]
        flags += [f"--{'only-group' if self.only_groups else 'group'}={name}" for name in self.groups]
        return flags + (["--no-default-groups"] if not self.default_groups and not self.only_groups else [])

    def extras_of(self, defined: Iterable[str]) -> tuple[str, ...]:
        """The extras selected, given those the lock defines."""
        return tuple(defined) if self.all_extras else self.extras

    def __repr__(self) -> str:
        return f"Selection({' '.join(self.uv_flags()) or 'defaults'})"


class Lockfile:
    """A parsed lockfile, whatever its format.

    Attributes:
        path: the file as the user named it.
        format: ``"requirements.txt"``, ``"pylock.toml"`` or ``"uv.lock"``.
        packages: the :class:`LockedPackage` entries, in file order (includes followed).
        options: the file's own settings, by name: ``index_url`` (str), ``extra_index_urls``,
            ``find_links`` (lists of str), ``requires_python`` (str), ``environments``
            (list of marker strings), ``default_groups`` (list), and raw pip options
            (``no_binary``…) as written.
        files: every file read (the lock and its ``-r``/``-c`` includes), for hashing.
        data: the lock's bytes when they came from no file (``-l -``: standard input), else None.
    """

    __slots__ = ("path", "format", "packages", "options", "files", "data")

    def __init__(self, path: str, format: str, packages: list[LockedPackage], options: dict[str, Any], files: list[str]) -> None:
        self.path = path
        self.format = format
        self.packages = packages
        self.options = options
        self.files = files
        self.data: bytes | None = None

    def to_data(self) -> dict[str, object]:
        """JSON-ready, for lockgate's cache of parsed locks."""
        return {"path": self.path, "format": self.format, "packages": [p.to_data() for p in self.packages], "options": self.options,
                "files": self.files}  # fmt: skip

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Lockfile:
        """The inverse of :meth:`to_data`.

        Raises:
            KeyError, TypeError, ValueError: ``data`` is not what :meth:`to_data` wrote.
        """
        return cls(data["path"], data["format"], [LockedPackage.from_data(p) for p in data["packages"]], data["options"], data["files"])

    def sha256(self) -> str:
        """Hex sha256 of the lockfile's bytes (the top file only, as written on disk)."""
        import hashlib

        if self.data is not None:
            return hashlib.sha256(self.data).hexdigest()
        with open(self.path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
