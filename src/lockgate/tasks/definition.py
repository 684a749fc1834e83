"""Task definitions: ``*.task.yaml`` files of ``apiVersion: task/v1``, ``kind: PredefinedTask``
(periplon's predefined-task format), read with YAML's safe loader and checked field by field.

Unknown fields are kept: they are part of the task and of its checksum.

Checksum: ``"sha256:" + hex(sha256(canonical))`` where ``canonical`` is the parsed document as
JSON: object keys sorted by code point, no whitespace (``","`` and ``":"`` separators),
non-ASCII characters written as UTF-8 (not ``\\u`` escapes), floats in Python's shortest
round-trip form, YAML timestamps as ISO 8601 strings, NaN and infinities refused. It depends on
the content only, never on the file's formatting, comments, key order, the process or the machine.
"""

from __future__ import annotations

import re

from ..errors import LockgateError
from .constraints import Constraint, is_semver, parse_constraint

API_VERSION = "task/v1"
KIND = "PredefinedTask"
NAME_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")  # a task name: no leading, trailing or double hyphen


class TaskDependency:
    """One entry of ``spec.dependencies``: ``name``, ``constraint`` (a
    :class:`~lockgate.tasks.constraints.Constraint`) and ``optional``."""

    __slots__ = ("name", "constraint", "optional")

    def __init__(self, name: str, constraint: Constraint, optional: bool = False):
        self.name = name
        self.constraint = constraint
        self.optional = optional


class TaskDefinition:
    """A parsed, checked task file.

    Attributes:
        name: ``metadata.name``.
        version: ``metadata.version`` (SemVer 2.0).
        dependencies: list of :class:`TaskDependency`.
        document: the whole parsed document, unknown fields included.
        path: the file it was read from.
        checksum: ``"sha256:<hex>"`` of the canonical document (module doc).
    """

    __slots__ = ("name", "version", "dependencies", "document", "path", "checksum")

    def __init__(self, name, version, dependencies, document, path, checksum):
        self.name = name
        self.version = version
        self.dependencies = dependencies
        self.document = document
        self.path = path
        self.checksum = checksum

    @property
    def key(self) -> str:
        """``name@version``."""
        return f"{self.name}@{self.version}"

    def summary(self) -> dict:
        """The metadata a lock keeps: description, author and license, where present."""
        metadata = self.document["metadata"]
        return {key: metadata[key] for key in ("description", "author", "license") if key in metadata}


def load_task(path: str) -> TaskDefinition:
    """Read and check one task file.

    Raises:
        LockgateError: unreadable file, invalid YAML (with its line), or a schema error naming
            the field path and what is wrong.
    """
    from .._io import read_text

    return parse_task(read_text(path), path)


def parse_task(text: str, path: str) -> TaskDefinition:
    """Parse and check task YAML that came from ``path`` (named in errors)."""
    document = load_yaml(text, path)
    name, version, dependencies = _check(document, path)
    return TaskDefinition(name, version, dependencies, document, path, checksum(document, path))


#: Bounds on a YAML document, checked on its node graph before anything is built from it.
MAX_YAML_DEPTH = 100
MAX_YAML_NODES = 1_000_000  # after expanding aliases: a 1 KB alias bomb expands to billions


def load_yaml(text: str, path: str, *, nodes: bool = False):
    """YAML through the safe loader (libyaml's when available), bounded: a document nested
    deeper than :data:`MAX_YAML_DEPTH`, one whose aliases expand to more than
    :data:`MAX_YAML_NODES` nodes, or one that refers to itself is refused before it is built.
    With ``nodes``, the checked node graph is returned instead (``yaml.Node``: values with
    their lines).

    Raises:
        LockgateError: invalid or out-of-bounds YAML, naming the line.
    """
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_bounds(node, path)
        return node if nodes else loader.construct_document(node)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        raise LockgateError(f"invalid YAML: {error.problem or error.context}", path, mark.line + 1 if mark else None) from None
    except AttributeError:  # PyYAML's answer to !!timestamp on text that is no date
        raise LockgateError("invalid YAML: a !!timestamp value is not a date", path) from None
    except (yaml.YAMLError, ValueError, TypeError, OverflowError) as error:  # !!float abc, !!binary zz
        raise LockgateError(f"invalid YAML: {str(error).splitlines()[0] if str(error) else type(error).__name__}", path) from None
    finally:
        loader.dispose()


def _check_bounds(root, path: str) -> None:
    """Depth and expanded size of a composed YAML node graph (aliases share nodes), in one
    iterative post-order walk; a node met again while it is open is a cycle. A document
    without shared nodes (no aliases: the common case) needs only its depth."""
    if not _shares_nodes(root, path):
        return
    sizes: dict[int, int] = {}
    depths: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[object, list | None]] = [(root, None)]
    while stack:
        node, children = stack.pop()
        key = id(node)
        if children is not None:  # every child is done
            open_nodes.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in children)
            depths[key] = 1 + max((depths[id(child)] for child in children), default=0)
            if depths[key] > MAX_YAML_DEPTH or sizes[key] > MAX_YAML_NODES:
                what = f"nested deeper than {MAX_YAML_DEPTH}" if depths[key] > MAX_YAML_DEPTH else f"more than {MAX_YAML_NODES:,} nodes once aliases are expanded"
                raise LockgateError(f"refused: the YAML is {what}", path, node.start_mark.line + 1)  # type: ignore[attr-defined]
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            raise LockgateError("refused: the YAML refers to itself (a recursive alias)", path, node.start_mark.line + 1)  # type: ignore[attr-defined]
        open_nodes.add(key)
        children = _children(node)
        stack.append((node, children))
        stack.extend((child, None) for child in children if id(child) not in sizes)


def _shares_nodes(root, path: str) -> bool:
    """Walk the tree once, depth-first, refusing it past :data:`MAX_YAML_DEPTH`; True when a
    node is met twice (an alias), so that sizes and cycles must be checked too."""
    seen: set[int] = set()
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_YAML_DEPTH:
            raise LockgateError(f"refused: the YAML is nested deeper than {MAX_YAML_DEPTH}", path, node.start_mark.line + 1)
        value = node.value
        if not isinstance(value, list):
            continue
        key = id(node)
        if key in seen:
            return True
        seen.add(key)
        for child in _children(node):
            stack.append((child, depth + 1))
    return False


def _children(node) -> list:
    value = node.value
    if isinstance(value, list):
        return [item for pair in value for item in pair] if value and isinstance(value[0], tuple) else list(value)
    return []


def checksum(document, path: str = "") -> str:
    """``"sha256:<hex>"`` of a parsed document's canonical JSON (module doc).

    Raises:
        LockgateError: the document holds a value JSON cannot carry (NaN, binary, sets…).
    """
    import hashlib

    return "sha256:" + hashlib.sha256(canonical_json(document, path)).hexdigest()


def canonical_json(document, path: str = "") -> bytes:
    """The canonical serialization that :func:`checksum` hashes, as UTF-8 bytes."""
    import json

    try:
        text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_timestamp)
    except (TypeError, ValueError) as error:
        raise LockgateError(f"a value cannot be checksummed ({error}); use strings, numbers, lists and mappings", path) from None
    return text.encode()


def _timestamp(value):
    import datetime

    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def _check(document, path: str) -> tuple[str, str, list[TaskDependency]]:
    """The schema of task/v1; returns ``(name, version, dependencies)``."""

    def fail(field: str, problem: str):
        raise LockgateError(f"{field}: {problem}", path)

    if not isinstance(document, dict):
        fail("(document)", "a task file is a mapping with apiVersion, kind, metadata and spec")
    if document.get("apiVersion") != API_VERSION:
        fail("apiVersion", f"must be {API_VERSION!r}, found {document.get('apiVersion')!r}")
    if document.get("kind") != KIND:
        fail("kind", f"must be {KIND!r}, found {document.get('kind')!r}")
    metadata = _mapping(document, "metadata", fail, required=True)
    name = metadata.get("name")
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        fail("metadata.name", f"{name!r} is not a task name: lowercase letters, digits and single hyphens inside")
    version = metadata.get("version")
    if not is_semver(version):
        fail("metadata.version", f"{version!r} is not a SemVer 2.0 version such as \"1.2.0\" (quote it)")
    for field in ("author", "description", "license", "repository"):
        if field in metadata and not isinstance(metadata[field], str):
            fail(f"metadata.{field}", "must be a string")
    tags = metadata.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        fail("metadata.tags", "must be a list of strings")
    spec = _mapping(document, "spec", fail, required=True)
    for field in ("agent_template", "inputs", "outputs"):
        _mapping(spec, field, fail, prefix="spec.")
    if not isinstance(spec.get("examples", []), list):
        fail("spec.examples", "must be a list")
    return str(name), str(version), _dependencies(spec.get("dependencies", []), fail, path)


def _mapping(parent: dict, field: str, fail, *, required: bool = False, prefix: str = "") -> dict:
    value = parent.get(field)
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        fail(prefix + field, "must be a mapping" if value is not None else "is required")
    assert isinstance(value, dict)  # fail() raises
    return value


def _dependencies(entries, fail, path: str) -> list[TaskDependency]:
    if not isinstance(entries, list):
        fail("spec.dependencies", "must be a list of {name, version, optional}")
    found = []
    for index, entry in enumerate(entries):
        field = f"spec.dependencies[{index}]"
        if not isinstance(entry, dict):
            fail(field, "must be a mapping with name, version and optional")
        name = entry.get("name")
        if not isinstance(name, str) or not NAME_PATTERN.match(name):
            fail(f"{field}.name", f"{name!r} is not a task name")
        optional = entry.get("optional", False)
        if not isinstance(optional, bool):
            fail(f"{field}.optional", "must be true or false")
        constraint = parse_constraint(entry.get("version", "*"), f"{path}: {field}.version")
        found.append(TaskDependency(name, constraint, optional))
    return found
