"""Reader for requirements files used as locks (pip, pip-compile, ``uv pip compile``, ``uv export``).

Follows pip's requirements file format
(https://pip.pypa.io/en/stable/reference/requirements-file-format/): ``#`` comments,
``\\`` continuations, per-line ``--hash`` options, ``-r``/``-c`` includes relative to the
including file, ``-e``, ``name @ url``, bare URLs and paths, CRLF and a UTF-8 BOM.

A requirement that does not pin one version (``==`` without ``*``, or ``===``) and names no
exact source is an error: a lock must not be read as a range.

Lines of the common form ``name[extras]==version ; marker`` are read without packaging (its
import costs more than the whole read); the marker text is then validated when it is
evaluated against an environment. Every other line goes through ``packaging.requirements``.
"""

from __future__ import annotations

import os
import re

from ..._io import read_text
from ...errors import LockgateError
from ..model import DIRECTORY, URL, VCS, LockedPackage, Lockfile, Source, normalize_name

TYPE_CHECKING = False  # not typing's: importing typing costs verify's start-up
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

    Where = tuple[str, int]  # FILE, LINE

FORMAT = "requirements.txt"

# The common lock line, read without importing packaging; anything else goes to packaging.
# Each whitespace run has one way to match (the spec is stripped): adjacent `\s*` would
# backtrack quadratically over a long run of spaces.
_SIMPLE_PIN = re.compile(
    r"""^(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*
    (?:\[\s*(?:(?P<extras>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?(?:\s*,\s*[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)*)\s*)?\]\s*)?
    (?P<op>===?)\s*(?P<version>[^\s;,]+)(?:\s*;\s*(?P<marker>\S.*))?$""",
    re.X,
)
# A version already in PEP 440 normal form; others are left to packaging to validate.
_NORMAL_VERSION = re.compile(
    r"^(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)*(?:(?:a|b|rc)[0-9]+)?(?:\.post[0-9]+)?(?:\.dev[0-9]+)?"
    r"(?:\+[a-z0-9]+(?:\.[a-z0-9]+)*)?$"
)
_URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_VCS_PREFIXES = ("git+", "hg+", "svn+", "bzr+")
_HEX_COMMIT = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
_ARCHIVE_SUFFIXES = (".whl", ".zip", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar")

# Options pip accepts in a requirements file, by every spelling; value is (key, takes_value).
_FILE_OPTIONS = {
    "-i": ("index_url", True), "--index-url": ("index_url", True),
    "--extra-index-url": ("extra_index_urls", True),
    "-f": ("find_links", True), "--find-links": ("find_links", True),
    "--no-index": ("no_index", False),
    "--trusted-host": ("trusted_hosts", True),
    "--no-binary": ("no_binary", True), "--only-binary": ("only_binary", True),
    "--prefer-binary": ("prefer_binary", False),
    "--require-hashes": ("require_hashes", False),
    "--pre": ("pre", False),
    "--use-feature": ("use_feature", True),
}  # fmt: skip
_INCLUDE_OPTIONS = {"-r": False, "--requirement": False, "-c": True, "--constraint": True}
_EDITABLE_OPTIONS = ("-e", "--editable")
_LINE_OPTIONS_WITH_VALUE = ("--hash", "--config-settings", "--global-option", "--install-option")
_REPEATED = ("extra_index_urls", "find_links", "trusted_hosts", "no_binary", "only_binary", "use_feature")


def read_requirements(path: str, *, text: str | None = None) -> Lockfile:
    """Read a requirements-file lock and everything it includes.

    Args:
        path: the file to read; ``-r``/``-c`` paths inside it are relative to its folder.
        text: its text when the caller has read it already (included files are read here).

    Returns:
        A :class:`~lockgate.env.model.Lockfile` with format ``"requirements.txt"``. Entries keep
        file order; the same name under different markers stays as separate entries.

    Raises:
        LockgateError: unreadable file, unknown option, invalid or unpinned requirement,
            conflicting pins, or an include cycle; the message names the file and line.
    """
    reader = _Reader()
    reader.read_file(path, constraint_only=False, including=(), text=text)
    return Lockfile(path, FORMAT, reader.merged_packages(), reader.options, reader.files)


class _Reader:
    def __init__(self) -> None:
        self.entries: list[LockedPackage] = []
        self.options: dict[str, Any] = {}
        self.files: list[str] = []

    def read_file(self, path: str, *, constraint_only: bool, including: tuple[str, ...], text: str | None = None) -> None:
        real = os.path.realpath(path)
        if real in including:
            chain = " -> ".join([*including, real])
            raise LockgateError(f"include cycle: {chain}", path)
        self.files.append(path)
        text = read_text(path) if text is None else text
        base_dir = os.path.dirname(os.path.abspath(path))
        for line_number, line in _logical_lines(text):
            where = (path, line_number)
            if line.startswith("-"):
                self._option_line(line, where, base_dir, constraint_only, (*including, real))
            else:
                self._requirement_line(line, where, base_dir, constraint_only, editable=False)

    def _option_line(self, line: str, where: Where, base_dir: str, constraint_only: bool, including: tuple[str, ...]) -> None:
        option, value = _split_option(line, where)
        if option in _INCLUDE_OPTIONS:
            if _URL_SCHEME.match(value):
                raise LockgateError(f"remote include {value!r} is not supported; download it and include the file", *where)
            target = os.path.join(base_dir, os.path.expanduser(value))
            if not os.path.isfile(target):
                raise LockgateError(f"included file {value!r} not found (looked for {target})", *where)
            self.read_file(target, constraint_only=constraint_only or _INCLUDE_OPTIONS[option], including=including)
        elif option in _EDITABLE_OPTIONS:
            self._requirement_line(value, where, base_dir, constraint_only, editable=True)
        elif option in _FILE_OPTIONS:
            key, takes_value = _FILE_OPTIONS[option]
            if key in _REPEATED:
                self.options.setdefault(key, []).append(value)
            else:
                self.options[key] = value if takes_value else True
        else:
            raise LockgateError(f"unknown option {option!r}; lockgate reads the options pip accepts in requirements files", *where)

    def _requirement_line(self, line: str, where: Where, base_dir: str, constraint_only: bool, *, editable: bool) -> None:
        spec, line_options = _split_line_options(line, where)
        try:
            entry = _parse_requirement(spec, base_dir, editable, where)
        except _NotPinned:
            if constraint_only:
                return  # a range in a constraints file asks for nothing; the pins elsewhere rule
            raise
        entry.hashes = tuple(value for option, value in line_options if option == "--hash") + entry.hashes
        entry.constraint_only = constraint_only
        entry.origin = f"{where[0]}:{where[1]}"
        self.entries.append(entry)

    def merged_packages(self) -> list[LockedPackage]:
        """Drop repeated entries (same name, marker and pin); refuse conflicting ones."""
        kept: dict[tuple[str | None, str | None], LockedPackage] = {}
        for entry in self.entries:
            key = (entry.name or entry.source.path or entry.source.url, entry.marker)
            first = kept.get(key)
            if first is None:
                kept[key] = entry
            elif first.expected() != entry.expected():
                path, _, line = entry.origin.rpartition(":")
                raise LockgateError(
                    f"conflicting pins for {entry.subject}: {first.expected()} at {first.origin}, "
                    f"{entry.expected()} here",
                    path,
                    int(line),
                )
            elif first.constraint_only and not entry.constraint_only:
                kept[key] = entry  # the same pin, now also asked for
        return list(kept.values())


class _NotPinned(LockgateError):
    pass


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """Yield (first physical line number, text) with comments removed and ``\\`` lines joined."""
    pending: list[str] = []
    first = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        is_comment = raw.lstrip().startswith("#")
        if raw.endswith("\\") and not is_comment:
            if not pending:
                first = number
            pending.append(raw[:-1])
            continue
        if pending:
            pending.append(" " + raw if is_comment else raw)
            line, start = "".join(pending), first
            pending = []
        else:
            line, start = raw, number
        line = _without_comment(line).strip()
        if line:
            yield start, line
    if pending:
        line = _without_comment("".join(pending)).strip()
        if line:
            yield first, line


def _shortened(text: str, limit: int = 80) -> str:
    """``text`` for a one-line message: at most ``limit`` characters, runs of spaces folded."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _without_comment(line: str) -> str:
    """``line`` up to its comment: a ``#`` at the start or after whitespace, as pip reads it.
    A scan, not a regular expression, which would backtrack quadratically over long runs of spaces."""
    index = line.find("#")
    while index > 0 and not line[index - 1].isspace():
        index = line.find("#", index + 1)
    return line if index < 0 else line[:index]


def _tokens(text: str, where: Where) -> list[str]:
    if '"' not in text and "'" not in text:
        return text.split()
    import shlex

    try:
        return shlex.split(text)
    except ValueError as error:
        raise LockgateError(f"cannot split {text!r}: {error}", *where) from None


def _split_option(line: str, where: Where) -> tuple[str, str]:
    """``--opt=value``, ``--opt value``, ``-ovalue`` or a flag -> (option, value or "")."""
    tokens = _tokens(line, where)
    head = tokens[0]
    if head.startswith("--") and "=" in head:
        head, _, value = head.partition("=")
        rest = [value, *tokens[1:]]
    elif not head.startswith("--") and len(head) > 2:
        head, rest = head[:2], [head[2:], *tokens[1:]]
    else:
        rest = tokens[1:]
    known = head in _INCLUDE_OPTIONS or head in _EDITABLE_OPTIONS or head in _FILE_OPTIONS
    if not known:
        return head, ""
    takes_value = head not in _FILE_OPTIONS or _FILE_OPTIONS[head][1]
    if takes_value and not rest:
        raise LockgateError(f"option {head} needs a value", *where)
    if head in _EDITABLE_OPTIONS:  # the text as written: `-e path ; marker` keeps its marker, quotes and all
        raw = line.strip()
        raw = raw[len(head) :].lstrip()
        return head, raw[1:].lstrip() if raw.startswith("=") else raw
    return head, rest[0] if takes_value else ""


def _split_line_options(line: str, where: Where) -> tuple[str, list[tuple[str, str]]]:
    """Split ``REQ --hash=a --hash b`` into the requirement and its per-line options (as pip does)."""
    if " -" not in line:
        return line, []
    parts = line.split(" ")
    for index, part in enumerate(parts):
        if part.startswith("-"):
            spec, rest = " ".join(parts[:index]), " ".join(parts[index:])
            break
    else:
        return line, []
    options: list[tuple[str, str]] = []
    tokens = _tokens(rest, where)
    position = 0
    while position < len(tokens):
        token = tokens[position]
        option, eq, value = token.partition("=")
        if option not in _LINE_OPTIONS_WITH_VALUE:
            raise LockgateError(f"unknown per-requirement option {option!r}", *where)
        if not eq:
            position += 1
            if position == len(tokens):
                raise LockgateError(f"option {option} needs a value", *where)
            value = tokens[position]
        options.append((option, value))
        position += 1
    return spec.strip(), options


def _parse_requirement(spec: str, base_dir: str, editable: bool, where: Where) -> LockedPackage:
    simple = None if editable else _SIMPLE_PIN.match(spec)  # a path or URL never matches it
    if simple and (simple["op"] == "===" or _NORMAL_VERSION.match(simple["version"])):
        extras = tuple(sorted(normalize_name(e.strip()) for e in simple["extras"].split(","))) if simple["extras"] else ()
        return LockedPackage(
            normalize_name(simple["name"]),
            simple["version"],
            arbitrary=simple["op"] == "===",
            marker=simple["marker"],
            extras=extras,
        )
    if editable or _looks_like_link(spec):
        link, marker = _split_link_marker(spec)
        return _entry_from_link(link, None, (), marker, base_dir, editable, where)
    return _parse_with_packaging(spec, base_dir, where)


def _parse_with_packaging(spec: str, base_dir: str, where: Where) -> LockedPackage:
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        requirement = Requirement(spec)
    except InvalidRequirement as error:
        raise LockgateError(f"invalid requirement {_shortened(spec)!r}: {str(error)[:200]}", *where) from None
    except RecursionError:
        raise LockgateError(f"invalid requirement {_shortened(spec)!r}: its marker is nested too deeply", *where) from None
    name = normalize_name(requirement.name)
    marker = str(requirement.marker) if requirement.marker else None
    extras = tuple(sorted(normalize_name(e) for e in requirement.extras))
    if requirement.url:
        return _entry_from_link(requirement.url, name, extras, marker, base_dir, False, where)
    specifiers = list(requirement.specifier)
    pin = specifiers[0] if len(specifiers) == 1 else None
    if pin is None or pin.operator not in ("==", "===") or pin.version.endswith("*"):
        raise _NotPinned(f"not a lock: requirement {requirement.name} is not pinned ({_shortened(spec)!r}); pin it with {requirement.name}==VERSION", *where)
    return LockedPackage(name, pin.version, arbitrary=pin.operator == "===", marker=marker, extras=extras)


def _looks_like_link(spec: str) -> bool:
    """A bare URL or path, as pip accepts them; ``name @ url`` is a PEP 508 requirement instead."""
    if _URL_SCHEME.match(spec) or spec.startswith((".", "/", "~")) or spec.startswith(_VCS_PREFIXES):
        return True
    head = spec.split(";", 1)[0].strip()
    return "@" not in head and (os.sep in head or head.endswith(_ARCHIVE_SUFFIXES))


def _split_link_marker(spec: str) -> tuple[str, str | None]:
    """``URL ; marker`` -> (URL, marker). As in pip, a URL's marker needs a space before ``;``
    (a URL may hold one); after a local path, as uv reads it, ``path;marker`` splits too."""
    link, sep, marker = spec.partition(" ;" if _URL_SCHEME.match(spec) else ";")
    if not sep:
        return spec.strip(), None
    return link.strip(), marker.strip() or None


def _entry_from_link(link: str, name: str | None, extras: tuple[str, ...], marker: str | None, base_dir: str, editable: bool,
                     where: Where) -> LockedPackage:  # fmt: skip
    from urllib.parse import unquote, urlsplit

    link, fragment = link.split("#", 1) if "#" in link else (link, "")
    params = dict(part.split("=", 1) for part in fragment.split("&") if "=" in part)
    name = name or (normalize_name(params["egg"]) if params.get("egg") else None)
    hashes = tuple(f"{algo}:{params[algo]}" for algo in ("sha256", "sha384", "sha512", "md5") if algo in params)
    subdirectory = params.get("subdirectory")
    if link.startswith(_VCS_PREFIXES):
        vcs, _, url = link.partition("+")
        parts = urlsplit(url)
        path, at, revision = parts.path.rpartition("@") if "@" in parts.path else (parts.path, "", "")
        url = parts._replace(path=path).geturl()
        source = Source(
            VCS,
            url=url,
            vcs=vcs,
            requested_revision=revision or None,
            commit=revision if _HEX_COMMIT.match(revision or "") else None,
            subdirectory=subdirectory,
            editable=editable,
        )
        return LockedPackage(name, None, marker=marker, extras=extras, hashes=hashes, source=source)
    if editable and "[" in link and link.endswith("]"):
        link, _, extra_text = link[:-1].partition("[")
        extras = tuple(sorted(normalize_name(e.strip()) for e in extra_text.split(",") if e.strip()))
    if link.startswith("file:"):
        local = unquote(urlsplit(link).path)
    elif _URL_SCHEME.match(link):
        local = None
    else:
        local = os.path.normpath(os.path.join(base_dir, os.path.expanduser(link)))
    version = None
    if local is not None and os.path.isdir(local):
        name = name or _project_name(local)
        source = Source(DIRECTORY, path=local, subdirectory=subdirectory, editable=editable)
    else:
        filename = os.path.basename(local or urlsplit(link).path)
        if filename.endswith(".whl"):
            wheel_name, _, rest = filename.partition("-")
            name = name or normalize_name(wheel_name)
            version = rest.partition("-")[0] or None
        source = Source(URL, url=None if local else link, path=local, subdirectory=subdirectory, editable=editable)
    if name is None and source.kind != DIRECTORY:
        raise LockgateError(f"cannot tell which distribution {link!r} is; write it as NAME @ {link}", *where)
    return LockedPackage(name, version, marker=marker, extras=extras, hashes=hashes, source=source)


def _project_name(directory: str) -> str | None:
    """The ``[project] name`` of a local project folder, if its pyproject.toml says it."""
    pyproject = os.path.join(directory, "pyproject.toml")
    if not os.path.isfile(pyproject):
        return None
    from ..._toml import load_toml

    name = load_toml(pyproject).get("project", {}).get("name")
    return normalize_name(name) if isinstance(name, str) else None

