"""Is a uv.lock still the lock of its project? The question ``uv lock --check`` answers.

uv compares what the lock recorded of the project (``[package.metadata]``: ``requires-dist``,
``provides-extras``, ``requires-dev``; the lock's ``requires-python``; the project's version and
whether it is virtual) with the project's pyproject.toml, and besides checks settings that live
outside it (indexes, ``[tool.uv]``, uv.toml, ``UV_*`` variables) and local packages' metadata.

Here the recorded metadata is compared with packaging for a plain project: one pyproject without
dynamic fields or ``[tool.uv]`` settings that change a resolution, no uv.toml, no ``UV_*``
setting that does, no local package but the project. Where they agree, the lock is fresh, as uv
says; anything else (they differ, or the project is not plain) is uv's to decide: ``uv lock
--check --offline``, about 20 ms. So uv has the last word on every stale verdict.
"""

from __future__ import annotations

import os

from ..model import normalize_name

TYPE_CHECKING = False  # not typing's: importing typing costs verify's start-up
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

#: ``[tool.uv]`` keys that do not change what uv locks.
_PLAIN_TOOL_UV = frozenset({"package", "default-groups", "managed", "cache-keys", "required-version"})
#: ``UV_*`` variables that do not change what uv locks (any other sends the question to uv).
_PLAIN_ENV = frozenset({
    "UV_OFFLINE", "UV_CACHE_DIR", "UV_NO_CACHE", "UV_PYTHON", "UV_PYTHON_PREFERENCE", "UV_PYTHON_DOWNLOADS", "UV_PROJECT_ENVIRONMENT",
    "UV_NO_PROGRESS", "UV_LINK_MODE", "UV_NATIVE_TLS", "UV_HTTP_TIMEOUT", "UV_CONCURRENT_DOWNLOADS", "UV_CONCURRENT_BUILDS",
    "UV_CONCURRENT_INSTALLS", "UV_NO_SYNC", "UV_FROZEN", "UV_LOCKED", "UV_NO_ENV_FILE", "UV_PYTHON_INSTALL_DIR", "UV_TOOL_DIR",
    "UV_COLOR", "UV_NO_COLOR", "UV_REQUIRE_HASHES", "UV_VERIFY_HASHES", "UV_COMPILE_BYTECODE", "UV_SYSTEM_PYTHON",
})  # fmt: skip


def staleness(project: str, python: str, immutable: bool, load: Callable[[], tuple[dict[str, Any], dict[str, Any]]]) -> str | None:
    """Why the lock no longer describes its project, or None when ``uv lock --check`` passes.

    Args:
        project: the folder of the lock and its pyproject.toml.
        python: the interpreter uv checks it with (``--python``).
        immutable: every package but the project comes from a network index or a git commit
            (:func:`~lockgate.env.readers.uv_lock.sources_immutable`): then a fresh verdict is
            kept in lockgate's cache under everything it depends on (:func:`_fresh_key`).
        load: returns the parsed uv.lock and pyproject.toml (called only when needed).

    Returns:
        None (fresh), else one sentence: what changed, or uv's own words (also when uv
        could not decide: a failure, as anything undecided).
    """
    from ...cache import read_fact, write_fact

    key = _fresh_key(project, python) if immutable else None
    if key is not None and read_fact("uv-lock-fresh", key) is True:
        return None
    document, pyproject = load()
    root = _root(document, pyproject)
    differs = _compare(document, root, pyproject) if root is not None else ""
    if differs is None and root is not None and _plain(project, document, pyproject):
        verdict = None
    else:
        verdict = _ask_uv(project, differs or "", python)
    if verdict is None and key is not None:
        write_fact("uv-lock-fresh", key, True)
    return verdict


def _fresh_key(project: str, python: str) -> dict[str, object] | None:
    """Everything uv's verdict on a fresh lock depends on, for lockgate's cache: the bytes of
    uv.lock, pyproject.toml and every uv.toml uv would read, the ``UV_*`` variables, the uv
    binary and the target interpreter (their stat), as ``uv lock --check`` reads them."""
    from ..._uv import find_uv
    from ...cache import digest
    from ...errors import LockgateError
    from ..interpreter import facts_key

    try:
        uv = find_uv()
        status = os.stat(uv)
        configured = _uv_config_paths(project)
    except (LockgateError, OSError):
        return None
    files = [os.path.join(project, "uv.lock"), os.path.join(project, "pyproject.toml"), *configured]
    digests = {}
    for path in files:
        try:
            with open(path, "rb") as handle:
                digests[path] = digest(handle.read())
        except FileNotFoundError:
            continue
        except OSError:
            return None
    environment = {name: value for name, value in os.environ.items() if name.startswith("UV_")}
    return {"files": digests, "uv": [os.path.realpath(uv), status.st_size, status.st_mtime_ns], "env": environment,
            "python": facts_key(python)}  # fmt: skip


def _ask_uv(project: str, differs: str, python: str) -> str | None:
    """uv's verdict: None when ``uv lock --check --offline`` passes, else what is stale."""
    import subprocess

    from ..._io import announce
    from ..._uv import find_uv
    from ...errors import LockgateError

    try:
        command = [find_uv(), "lock", "--check", "--offline", "--quiet", f"--python={python}"]
    except LockgateError as error:
        return f"no uv to check it against pyproject.toml ({error})"
    announce(command, project)
    result = subprocess.run(command, cwd=project, capture_output=True, text=True)
    if result.returncode == 0:
        return None
    said = [line.removeprefix("error: ").strip() for line in result.stderr.splitlines() if line.startswith("error:")]
    if differs and said and "needs to be updated" in said[0]:
        return differs
    return f"uv lock --check: {said[0] if said else 'exit ' + str(result.returncode)}"


def _compare(document: dict[str, Any], root: dict[str, Any], pyproject: dict[str, Any]) -> str | None:
    """None when the recorded metadata equals pyproject's, else what differs (``""`` when
    this comparison cannot tell)."""
    try:
        return _differences(document, root, pyproject)
    except (ValueError, TypeError, KeyError, AttributeError):  # packaging's Invalid* are ValueErrors
        return ""


def _root(document: dict[str, Any], pyproject: dict[str, Any]) -> dict[str, Any] | None:
    """The project's ``[[package]]`` (editable, or virtual as uv makes a project without a
    build system), or None where its pyproject does not give it plainly."""
    table, tool = pyproject.get("project"), pyproject.get("tool", {})
    tool_uv = tool.get("uv", {}) if isinstance(tool, dict) else None
    packages = document.get("package")
    if not isinstance(table, dict) or "dynamic" in table or not isinstance(table.get("requires-python"), str):
        return None
    if not isinstance(tool_uv, dict) or not isinstance(table.get("name"), str) or not isinstance(packages, list):
        return None
    is_package = tool_uv.get("package", "build-system" in pyproject)
    wanted = {"virtual": "."} if is_package is False else {"editable": "."}
    roots = [p for p in packages if isinstance(p, dict) and p.get("source") == wanted and normalize_name(str(p.get("name"))) == normalize_name(table["name"])]
    return roots[0] if len(roots) == 1 else None


def _plain(project: str, document: dict[str, Any], pyproject: dict[str, Any]) -> bool:
    """Nothing but the recorded metadata can change uv's verdict: no settings that change a
    resolution (``[tool.uv]``, uv.toml, ``UV_*``), no local package but the project."""
    tool_uv = pyproject.get("tool", {}).get("uv", {})
    if not set(tool_uv) <= _PLAIN_TOOL_UV or document.get("version") != 1:
        return False
    if any(key in document for key in ("manifest", "options", "conflicts", "supported-markers", "required-markers")):
        return False
    from ...errors import LockgateError
    from .uv_lock import sources_immutable

    if any(name.startswith("UV_") and name not in _PLAIN_ENV for name in os.environ):
        return False
    try:
        if _uv_config_paths(project):
            return False
    except LockgateError:  # a pyproject.toml above that is not TOML: uv's to say
        return False

    return sources_immutable(document)


def _uv_config_paths(project: str) -> list[str]:
    """The configuration files uv reads for the project besides its pyproject.toml
    (:func:`lockgate._uv.uv_config_files`: a uv.toml, a workspace's pyproject above, the user's,
    the system's, ``UV_CONFIG_FILE``)."""
    from ..._uv import uv_config_files

    return [path for _, path, _ in uv_config_files(project, os.path.join(project, "pyproject.toml"), os.environ)]


def _differences(document: dict[str, Any], root: dict[str, Any], pyproject: dict[str, Any]) -> str | None:
    """What the lock recorded of the project against pyproject's; None if equal."""
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

    table, metadata = pyproject["project"], root.get("metadata", {})
    if not isinstance(metadata, dict) or (document.get("version"), document.get("revision", 0)) < (1, 1):
        return ""  # before revision 1 a lock recorded no extras nor empty groups: uv's rules for it are uv's
    if SpecifierSet(table["requires-python"]) != SpecifierSet(str(document.get("requires-python"))):
        return f"requires-python is {table['requires-python']}, the lock's {document.get('requires-python')}"
    if "version" in root and ("version" not in table or Version(table["version"]) != Version(root["version"])):
        return f"version is {table.get('version')}, the lock's {root['version']}"
    optional = table.get("optional-dependencies", {})
    extras = {normalize_name(name) for name in optional}
    recorded_extras = {normalize_name(name) for name in metadata.get("provides-extras", [])}
    if extras != recorded_extras:
        return f"extras are {', '.join(sorted(extras)) or 'none'}, the lock's {', '.join(sorted(recorded_extras)) or 'none'}"
    wanted = {_pep508(text, None) for text in table.get("dependencies", [])}
    wanted |= {_pep508(text, name) for name, texts in optional.items() for text in texts}
    changes = [_changed("dependencies", wanted, {_recorded(item) for item in metadata.get("requires-dist", [])})]
    groups, recorded = _flat_groups(pyproject.get("dependency-groups", {})), metadata.get("requires-dev", {})
    if set(groups) != set(recorded):
        return f"dependency groups are {', '.join(sorted(groups)) or 'none'}, the lock's {', '.join(sorted(recorded)) or 'none'}"
    for name in sorted(groups):
        changes.append(_changed(f"dependency group {name}", {_pep508(text, None) for text in groups[name]},
                                {_recorded(item) for item in recorded[name]}))  # fmt: skip
    return next((change for change in changes if change), None)


def _changed(what: str, wanted: set[tuple[Any, ...]], recorded: set[tuple[Any, ...]]) -> str | None:
    if wanted == recorded:
        return None
    added, removed = sorted(_text(key) for key in wanted - recorded), sorted(_text(key) for key in recorded - wanted)
    parts = [f"added {', '.join(added)}" if added else "", f"removed {', '.join(removed)}" if removed else ""]
    return f"{what} changed: {'; '.join(part for part in parts if part)}"


def _flat_groups(groups: dict[str, Any]) -> dict[str, list[str]]:
    """PEP 735 groups by normalized name, ``{include-group = …}`` expanded."""
    by_name = {normalize_name(name): items for name, items in groups.items()}

    def expand(name: str, seen: tuple[str, ...]) -> list[str]:
        if name in seen:
            raise ValueError(f"dependency group {name} includes itself")
        out: list[str] = []
        for item in by_name[name]:
            out += expand(normalize_name(item["include-group"]), (*seen, name)) if isinstance(item, dict) else [item]
        return out

    return {name: expand(name, ()) for name in by_name}


def _pep508(text: str, extra: str | None) -> tuple[Any, ...]:
    """A pyproject requirement as a comparable key; ``extra``: the extra it is listed under.
    A URL requirement raises ValueError: its lowering is uv's."""
    from packaging.requirements import Requirement

    requirement = Requirement(text)
    if requirement.url:
        raise ValueError("a URL requirement")
    marker = str(requirement.marker) if requirement.marker else ""
    if extra is not None:
        marker = f"{f'({marker})' if ' or ' in marker else marker} and extra == '{normalize_name(extra)}'" if marker else f"extra == '{normalize_name(extra)}'"
    return _key(requirement.name, requirement.extras, str(requirement.specifier), marker)


def _recorded(item: dict[str, Any]) -> tuple[Any, ...]:
    """A ``requires-dist`` / ``requires-dev`` row of the lock as a comparable key; a row with a
    source (``url``, ``path``, ``index``…) raises ValueError."""
    if not set(item) <= {"name", "extras", "specifier", "marker"}:
        raise ValueError("a requirement with a source")
    return _key(item["name"], item.get("extras", ()), item.get("specifier", ""), item.get("marker", ""))


def _key(name: str, extras: Any, specifier: str, marker: str) -> tuple[Any, ...]:
    from packaging.markers import Marker
    from packaging.specifiers import SpecifierSet

    return normalize_name(name), frozenset(normalize_name(e) for e in extras), SpecifierSet(specifier), str(Marker(marker)) if marker else ""


def _text(key: tuple[Any, ...]) -> str:
    name, extras, specifier, marker = key
    extras_text = f"[{','.join(sorted(extras))}]" if extras else ""
    return f"{name}{extras_text}{specifier}{f' ; {marker}' if marker else ''}"
