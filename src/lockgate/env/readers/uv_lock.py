"""Reader for ``uv.lock``, uv's project lock (https://docs.astral.sh/uv/concepts/projects/layout/#the-lockfile).

uv.lock keeps markers on dependency edges, not on packages. For one project (no workspace
members, no declared conflicts) the packages it installs, and the marker of each, follow from
a walk of that graph from the project: a package's marker is the OR, over the edges that
reach it, of (the parent's marker AND the edge's marker), which is what ``uv export``
computes. Everything else goes through ``uv export --frozen``: workspaces and conflicts need
uv's logic, and a local wheel folder's files carry no hash in uv.lock (uv export hashes them).
"""

from __future__ import annotations

import os
import re

from ..._io import header_lines, read_text
from ..._toml import loads_toml
from ..._uv import find_uv
from ...errors import LockgateError
from ..model import DIRECTORY, URL, VCS, LockedPackage, Lockfile, Selection, Source, normalize_name

TYPE_CHECKING = False  # not typing's: importing typing costs verify's start-up
if TYPE_CHECKING:
    from typing import Any

    # A marker in disjunctive normal form: clauses OR-ed, each a set of edge markers AND-ed.
    Clauses = frozenset[frozenset[str]]

FORMAT = "uv.lock"
#: The most OR-ed clauses a package's marker may have before the walk hands over to uv export.
MAX_CLAUSES = 16

_PACKAGE_HEADER = re.compile(r"^\[\[package\]\]\s*$", re.M)

ALWAYS: Clauses = frozenset({frozenset()})  # one clause with nothing to hold: no marker


def read_uv_lock(path: str, *, selection: Selection = Selection(), python: str | None = None) -> Lockfile:
    """Read a uv.lock as ``uv sync`` with this selection of extras and groups would install it.

    Args:
        path: the uv.lock; its project's pyproject.toml must be in the same folder.
        selection: the project's extras and dependency groups, as ``uv sync``'s flags give them
            (``--group`` adds to uv's default groups).
        python: the interpreter the lock is checked for (uv needs one that its
            requires-python admits); None skips the freshness check.

    Returns:
        A :class:`~lockgate.env.model.Lockfile` with format ``"uv.lock"``: the packages the
        project needs, each with the marker under which it is installed; origins are
        ``uv.lock:LINE`` when the graph was walked here, ``packages[N]`` of uv's export otherwise
        (then ``options["exported_with"]`` holds the uv command). With ``python``,
        ``options["stale"]`` says why ``uv lock --check`` fails (the lock no longer describes
        its project), else None (:mod:`~lockgate.env.readers.uv_fresh`).

    Raises:
        LockgateError: no pyproject.toml beside the lock, invalid TOML, or uv export failed
            (uv's message follows).
    """
    from .parsed_cache import cached_parse

    project = os.path.dirname(os.path.abspath(path))
    pyproject = os.path.join(project, "pyproject.toml")
    if not os.path.isfile(pyproject):
        raise LockgateError("uv.lock needs its project's pyproject.toml in the same folder to be read", path)
    documents: list[tuple[dict[str, Any], dict[str, Any]]] = []

    def load() -> tuple[dict[str, Any], dict[str, Any]]:
        if not documents:
            documents.append((loads_toml(read_text(path), path), loads_toml(read_text(pyproject), pyproject)))
        return documents[0]

    def parse() -> tuple[Lockfile, dict[str, object]] | None:
        document, project_table = load()
        walked = _walk(path, read_text(path), document, project_table, selection)
        return (walked, {"immutable": sources_immutable(document)}) if walked is not None else None

    parsed = cached_parse(path, [path, pyproject], selection, False, parse)
    lockfile = parsed[0] if parsed is not None else _export(path, project, selection)
    if python is not None:
        from .uv_fresh import staleness

        immutable = bool(parsed[1].get("immutable")) if parsed is not None else sources_immutable(load()[0])
        lockfile.options["stale"] = staleness(project, python, immutable, load)
    return lockfile


def sources_immutable(document: dict[str, Any]) -> bool:
    """Does every package but the project come from where uv reads nothing again (an index on
    the network, a git commit), so that uv's verdict on the lock depends on files alone?"""
    packages = document.get("package")
    if not isinstance(packages, list) or not all(isinstance(p, dict) and isinstance(p.get("source"), dict) for p in packages):
        return False
    return sum(not _immutable_source(p["source"]) for p in packages) <= 1  # the project itself is the one


def _immutable_source(source: dict[str, Any]) -> bool:
    registry = source.get("registry")
    return (isinstance(registry, str) and "://" in registry and not registry.startswith("file:")) or (
        isinstance(source.get("git"), str) and "#" in source["git"]
    )


def _export(path: str, project: str, selection: Selection) -> Lockfile:
    """The lock as ``uv export --frozen --offline --format pylock.toml`` writes it."""
    import subprocess

    from ..._io import announce
    from .pylock_toml import lockfile_from_document

    command = [find_uv(), "export", "--frozen", "--offline", "--quiet", "--format", "pylock.toml", "--no-header"]
    command += selection.uv_flags()
    announce(command, project)
    result = subprocess.run(command, cwd=project, capture_output=True, text=True)
    if result.returncode != 0:
        detail = (result.stderr.strip() or result.stdout.strip()).replace("\n", " ")
        raise LockgateError(f"uv export could not read it: {detail}", path)
    document = loads_toml(result.stdout, f"{path} (as exported by uv)")
    lockfile = lockfile_from_document(path, document, project, FORMAT)  # origins: packages[N]; export lines are not uv.lock lines
    lockfile.options["exported_with"] = command[1:]
    return lockfile


class _Graph:
    """uv.lock's ``[[package]]`` tables and the edges between them, by position in the file."""

    def __init__(self, packages: list[dict[str, Any]]) -> None:
        self.packages = packages
        self.by_name: dict[str, list[int]] = {}
        for index, package in enumerate(packages):
            self.by_name.setdefault(normalize_name(package["name"]), []).append(index)

    def target(self, edge: object) -> int | None:
        """The package an edge names (``version`` and ``source`` tell same-named ones apart), or None."""
        if not isinstance(edge, dict) or not isinstance(edge.get("name"), str):
            return None
        found = [
            index
            for index in self.by_name.get(normalize_name(edge["name"]), ())
            if edge.get("version", self.packages[index].get("version")) == self.packages[index].get("version")
            and edge.get("source", self.packages[index]["source"]) == self.packages[index]["source"]
        ]
        return found[0] if len(found) == 1 else None


def _walk(path: str, text: str, document: dict[str, Any], pyproject: dict[str, Any], selection: Selection) -> Lockfile | None:
    """The Lockfile from walking the graph, or None where uv export must decide."""
    packages, manifest = document.get("package"), document.get("manifest", {})
    if document.get("version") != 1 or "conflicts" in document or not isinstance(manifest, dict) or "members" in manifest:
        return None
    if not isinstance(packages, list) or not all(_plain_package(package) for package in packages):
        return None
    if not _strings(document.get("supported-markers", [])) or not isinstance(document.get("requires-python", ""), str):
        return None
    root = _root(packages, pyproject)
    if root is None or not isinstance(packages[root].get("optional-dependencies", {}), dict):
        return None
    extras = selection.extras_of(packages[root].get("optional-dependencies", {}))
    selected_groups = _groups(packages[root], pyproject, selection)
    if selected_groups is None or not set(extras) <= set(packages[root].get("optional-dependencies", {})):
        return None
    markers = _reach(_Graph(packages), root, extras, selected_groups, not selection.only_groups)
    if markers is None:
        return None
    project = os.path.dirname(os.path.abspath(path))
    lines = header_lines(text, _PACKAGE_HEADER)
    entries = []
    for index, package in enumerate(packages):
        if index in markers and "virtual" not in package["source"] and not (selection.only_groups and index == root):
            origin = f"{path}:{lines[index]}" if len(lines) == len(packages) else f"{path}:package[{index}]"
            entry = _entry(package, _marker_text(markers[index]), project, origin)
            if entry is None:
                return None
            entries.append(entry)
    options = {"requires_python": document.get("requires-python"), "environments": list(document.get("supported-markers", ())),
               "extras": list(packages[root].get("optional-dependencies", {})), "dependency_groups": list(packages[root].get("dev-dependencies", {})),
               "default_groups": []}  # fmt: skip
    return Lockfile(path, FORMAT, entries, options, [path])


def _plain_package(package: object) -> bool:
    """A ``[[package]]`` of the shape the walk reads (uv export words the error for any other)."""
    if not isinstance(package, dict) or not isinstance(package.get("name"), str) or not isinstance(package.get("source"), dict):
        return False
    tables = [package.get("optional-dependencies", {}), package.get("dev-dependencies", {})]
    return isinstance(package.get("dependencies", []), list) and all(
        isinstance(table, dict) and all(isinstance(edges, list) for edges in table.values()) for table in tables
    )


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _root(packages: list[dict[str, Any]], pyproject: dict[str, Any]) -> int | None:
    """The position of the project's own package: named as pyproject's project, at ``.``."""
    tool_uv, name = _tool_uv(pyproject), _table(pyproject.get("project")).get("name")
    if tool_uv is None or "workspace" in tool_uv or not isinstance(name, str):
        return None
    for index, package in enumerate(packages):
        if normalize_name(package["name"]) == normalize_name(name) and package["source"] in ({"editable": "."}, {"virtual": "."}, {"directory": "."}):
            return index
    return None


def _table(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _tool_uv(pyproject: dict[str, Any]) -> dict[str, Any] | None:
    """pyproject's ``[tool.uv]`` (empty when absent), or None when it is not a table."""
    value = _table(pyproject.get("tool")).get("uv", {})
    return value if isinstance(value, dict) else None


def _groups(root: dict[str, Any], pyproject: dict[str, Any], selection: Selection) -> list[str] | None:
    """The dependency groups uv installs: its default groups (``tool.uv.default-groups``,
    else ``dev``) that the lock has unless the selection leaves them out, plus those asked
    for; None for one the lock lacks."""
    asked = selection.groups
    locked = root.get("dev-dependencies", {})
    if not selection.default_groups:
        return None if any(name not in locked for name in asked) else list(dict.fromkeys(asked))
    defaults = (_tool_uv(pyproject) or {}).get("default-groups", ["dev"])
    if defaults == "all":
        defaults = list(locked)
    if not _strings(defaults):
        return None
    chosen = [name for name in defaults if name in locked]
    if any(name not in locked for name in asked) or (len(chosen) != len(defaults) and defaults != ["dev"]):
        return None
    return list(dict.fromkeys([*chosen, *asked]))


def _reach(graph: _Graph, root: int, extras: tuple[str, ...], groups: list[str], project: bool = True) -> dict[int, Clauses] | None:
    """Each reachable package's marker, by position: propagated to a fixed point (cycles are
    allowed), a node being a package or one of its extras. ``project`` False (``--only-group``)
    leaves out the project's own dependencies. None where an edge names no single package,
    names an extra the package lacks, or a marker grows past :data:`MAX_CLAUSES`."""
    reached: dict[tuple[int, str | None], Clauses] = {(root, None): ALWAYS, **{(root, extra): ALWAYS for extra in extras}}
    pending = list(reached)
    while pending:
        node = pending.pop()
        index, extra = node
        package = graph.packages[index]
        edges = package.get("dependencies", []) if extra is None else package["optional-dependencies"][extra]
        if node == (root, None):
            own = edges if project else []
            edges = [*own, *(edge for group in groups for edge in package["dev-dependencies"][group])]
        for edge in edges:
            target = graph.target(edge)
            if target is None or not isinstance(edge.get("marker", ""), str) or not _strings(edge.get("extra", [])):
                return None
            clauses = _and(reached[node], edge.get("marker"))
            for reached_node in [(target, None), *((target, name) for name in edge.get("extra", []))]:
                if reached_node[1] is not None and reached_node[1] not in graph.packages[target].get("optional-dependencies", {}):
                    return None
                merged = _or(reached.get(reached_node, frozenset()), clauses)
                if merged != reached.get(reached_node):
                    if len(merged) > MAX_CLAUSES:
                        return None
                    reached[reached_node] = merged
                    pending.append(reached_node)
    return {index: clauses for (index, extra), clauses in reached.items() if extra is None}


def _and(clauses: Clauses, marker: str | None) -> Clauses:
    return clauses if not marker else frozenset(clause | _conjuncts(marker) for clause in clauses)


def _conjuncts(marker: str) -> frozenset[str]:
    """The parts of a plain ``a and b`` marker (so a part the parent has is not repeated), else the whole."""
    parts = marker.split(" and ")
    if "(" in marker or " or " in marker or any(part.count("'") % 2 or part.count('"') % 2 for part in parts):
        return frozenset({marker})
    return frozenset(parts)


def _or(left: Clauses, right: Clauses) -> Clauses:
    """The union, without clauses that hold a smaller one (``a or (a and b)`` is ``a``)."""
    union = left | right
    return frozenset(clause for clause in union if not any(other < clause for other in union))


def _marker_text(clauses: Clauses) -> str | None:
    if ALWAYS <= clauses:
        return None

    def conjunction(clause: frozenset[str]) -> str:
        return " and ".join(f"({marker})" if " or " in marker and len(clause) > 1 else marker for marker in sorted(clause))

    return " or ".join(sorted(conjunction(clause) for clause in clauses))


def _entry(package: dict[str, Any], marker: str | None, project: str, origin: str) -> LockedPackage | None:
    """One package as uv export would write it, or None for a source only uv export can turn
    into one (a local wheel folder: its files have no hash in uv.lock)."""
    source_table, version = package["source"], package.get("version")
    kind, value = next(iter(source_table.items())) if len(source_table) else (None, None)
    hashes = _file_hashes(package)
    if not isinstance(value, str) or hashes is None or not isinstance(version, (str, type(None))):
        return None
    if not isinstance(source_table.get("subdirectory", ""), str):
        return None
    if kind == "registry":
        if "://" not in value:
            return None
        source = Source(url=value)
    elif kind == "git":
        source = _git_source(value)
    elif kind in ("editable", "directory"):
        source, version, hashes = Source(DIRECTORY, path=os.path.normpath(os.path.join(project, value)), editable=kind == "editable"), None, ()
    elif kind in ("url", "path"):
        local = os.path.normpath(os.path.join(project, value)) if kind == "path" else None
        source = Source(URL, url=value if kind == "url" else None, path=local, subdirectory=source_table.get("subdirectory"))
    else:
        return None
    return LockedPackage(normalize_name(package["name"]), version, marker=marker, marker_context="lock_file", hashes=hashes,
                         source=source, origin=origin)  # fmt: skip


def _file_hashes(package: dict[str, Any]) -> tuple[str, ...] | None:
    """``algo:digest`` of the package's wheels, then its sdist (as uv export lists them), or None
    when a file has no hash."""
    wheels = package.get("wheels", [])
    if not isinstance(wheels, list):
        return None
    files = [*wheels, *([package["sdist"]] if "sdist" in package else [])]
    if not all(isinstance(file, dict) and isinstance(file.get("hash"), str) and ":" in file["hash"] for file in files):
        return None
    return tuple(file["hash"] for file in files)


def _git_source(value: str) -> Source:
    """``URL?rev=R&subdirectory=S#COMMIT`` (``tag=``/``branch=`` name the revision too)."""
    from urllib.parse import parse_qs

    address, _, commit = value.partition("#")
    url, _, query = address.partition("?")
    fields = {key: values[0] for key, values in parse_qs(query).items()}
    revision = fields.get("rev") or fields.get("tag") or fields.get("branch")
    return Source(VCS, url=url, vcs="git", requested_revision=revision, commit=commit or None, subdirectory=fields.get("subdirectory"))
