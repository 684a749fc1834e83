"""Task and task group values, built from ``task/v1`` and ``taskgroup/v1`` documents by
constructors that check every field as periplon's loader checks them, so lockgate never pins a
file periplon refuses to load (as ``packaging.pylock`` builds ``Pylock`` from a dict: the first
wrong field raises :class:`TaskSchemaError`, naming its key path).

periplon's rules (``src/dsl/predefined_tasks/schema.rs`` and ``parser.rs``, ``groups/schema.rs``
and ``groups/parser.rs``): ``metadata.name`` lowercase with single hyphens and
``metadata.version`` SemVer; a task's ``spec.agent_template.description`` is required and not
empty; every input has a ``type`` of string, number, boolean, object, array or secret, and its
``validation`` rules fit that type (``pattern`` strings only, ``min``/``max`` numbers only,
``min_length``/``max_length`` strings and arrays only); every output has a ``source`` of type
``file`` (``path``), ``state`` (``key``) or ``task_output`` (``task``); input and output names
are letters, digits, ``_`` and ``-``; a dependency names its ``version``; an example has a
``name`` and ``inputs``. A group has at least one task, no name twice among its tasks,
workflows or dependencies, and every workflow has ``tasks``. Unknown fields are allowed, as
periplon allows them.

A group takes part in resolution as ``group:NAME`` (:class:`TaskRef`): its tasks are its
dependencies (``required: false`` ones optional) and so are the groups it depends on. A task
name cannot hold ``:``, so the two never collide.
"""

from __future__ import annotations

import enum
import re

from ..errors import LockgateError
from .constraints import Constraint, is_semver, parse_constraint

TASK_API_VERSION = "task/v1"
TASK_KIND = "PredefinedTask"
GROUP_API_VERSION = "taskgroup/v1"
GROUP_KIND = "TaskGroup"
INPUT_TYPES = ("string", "number", "boolean", "object", "array", "secret")
OUTPUT_SOURCES = {"file": "path", "state": "key", "task_output": "task"}
HOOK_FIELDS = {"command": ("command",), "validate": ("check", "message"), "message": ("content",)}
NAME_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")  # a task name: no leading, trailing or double hyphen
GROUP_PREFIX = "group:"

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NoReturn


class Kind(enum.Enum):
    """What a name refers to: a ``task/v1`` task or a ``taskgroup/v1`` task group."""

    TASK = "task"
    GROUP = "group"


class TaskRef(str):
    """The name of a task or a task group, as resolution and the lock key it.

    A ``str`` equal to its printed form (``NAME``, or ``group:NAME`` for a group), so that it
    keys dicts, sorts and compares as the lock file and the command line spell it; ``kind``
    (:class:`Kind`) and the bare ``name`` say what it is, so no other code reads the text. It is
    built from a kind and a name, or parsed at the edges (:meth:`parse`: command-line roots and
    the lock's keys). No attributes of its own (``kind`` and ``name`` are read off the one
    text that holds them): no ``__dict__`` per name for the garbage collector to walk, in locks
    of thousands of tasks.
    """

    __slots__ = ()

    def __new__(cls, kind: Kind, name: str) -> TaskRef:
        return super().__new__(cls, GROUP_PREFIX + name if kind is Kind.GROUP else name)

    @classmethod
    def parse(cls, text: str) -> TaskRef:
        """``NAME`` (a task) or ``group:NAME`` (a group), as the lock and the command line write it."""
        return text if isinstance(text, TaskRef) else str.__new__(cls, text)

    @property
    def kind(self) -> Kind:
        """:attr:`Kind.GROUP` for ``group:NAME``, else :attr:`Kind.TASK` (a task name holds no ``:``)."""
        return Kind.GROUP if self.startswith(GROUP_PREFIX) else Kind.TASK

    @property
    def name(self) -> str:
        """The name without the kind: ``NAME``."""
        return self[len(GROUP_PREFIX) :] if self.startswith(GROUP_PREFIX) else str(self)

    def __reduce__(self) -> tuple[object, ...]:
        return TaskRef.parse, (str(self),)


class TaskSchemaError(LockgateError):
    """A field of a task or group document is wrong: ``field`` is its key path (e.g.
    ``spec.inputs.x.type``); the message reads ``FIELD: problem``."""

    def __init__(self, field: str, problem: str, path: str):
        self.field = field
        super().__init__(f"{field}: {problem}", path)


class TaskDependency:
    """One entry of ``spec.dependencies`` (or of a group's ``spec.tasks``): ``name`` (a
    :class:`TaskRef`), ``constraint`` (a :class:`~lockgate.tasks.constraints.Constraint`) and
    ``optional``."""

    __slots__ = ("name", "constraint", "optional")

    def __init__(self, name: TaskRef, constraint: Constraint, optional: bool = False):
        self.name = name
        self.constraint = constraint
        self.optional = optional


class Task:
    """A checked ``task/v1`` document: ``name`` (a :class:`TaskRef` of kind TASK), ``version``
    and ``dependencies`` (:class:`TaskDependency`, in file order). Build it with
    :meth:`from_document`."""

    __slots__ = ("name", "version", "dependencies")
    kind = Kind.TASK

    def __init__(self, name: TaskRef, version: str, dependencies: list[TaskDependency]):
        self.name = name
        self.version = version
        self.dependencies = dependencies

    @property
    def workflow_names(self) -> list[str]:
        """None: only a group has workflows."""
        return []

    @classmethod
    def from_document(cls, document: object, path: str) -> Task:
        """Check a ``task/v1`` document as periplon does (module doc).

        Raises:
            TaskSchemaError: ``FIELD: problem`` naming ``path``, for the first field that is wrong.
        """
        fields = _Fields(path)
        spec_document, name, version = _header(document, TASK_API_VERSION, TASK_KIND, "task", fields)
        spec = fields.mapping(spec_document.get("spec"), "spec", required=True)
        _agent_template(fields.mapping(spec.get("agent_template"), "spec.agent_template", required=True), fields)
        _inputs(spec.get("inputs"), "spec.inputs", fields)
        _outputs(spec.get("outputs"), fields)
        for index, example in enumerate(fields.items(spec.get("examples"), "spec.examples")):
            field = f"spec.examples[{index}]"
            example = fields.mapping(example, field, required=True)
            fields.text(example, "name", f"{field}.", required=True)
            fields.text(example, "description", f"{field}.")
            fields.mapping(example.get("inputs"), f"{field}.inputs", required=True)
        return cls(TaskRef(Kind.TASK, name), version, _dependencies(spec.get("dependencies"), "spec.dependencies", "optional", Kind.TASK, fields))


class TaskGroup:
    """A checked ``taskgroup/v1`` document: ``name`` (a :class:`TaskRef` of kind GROUP),
    ``version``, ``dependencies`` (its tasks, ``required: false`` ones optional, then the
    groups it depends on) and ``workflow_names`` (its ``spec.workflows``, what
    ``uses_workflow`` may name). Build it with :meth:`from_document`."""

    __slots__ = ("name", "version", "dependencies", "workflow_names")
    kind = Kind.GROUP

    def __init__(self, name: TaskRef, version: str, dependencies: list[TaskDependency], workflow_names: list[str]):
        self.name = name
        self.version = version
        self.dependencies = dependencies
        self.workflow_names = workflow_names

    @classmethod
    def from_document(cls, document: object, path: str) -> TaskGroup:
        """Check a ``taskgroup/v1`` document as periplon does (module doc).

        Raises:
            TaskSchemaError: ``FIELD: problem`` naming ``path``, for the first field that is wrong.
        """
        fields = _Fields(path)
        spec_document, name, version = _header(document, GROUP_API_VERSION, GROUP_KIND, "task group", fields)
        spec = fields.mapping(spec_document.get("spec"), "spec", required=True)
        if not spec.get("tasks"):
            fields.fail("spec.tasks", "a task group needs at least one task")
        tasks = _dependencies(spec.get("tasks"), "spec.tasks", "required", Kind.TASK, fields)
        groups = _dependencies(spec.get("dependencies"), "spec.dependencies", "optional", Kind.GROUP, fields)
        workflows = []
        for index, workflow in enumerate(fields.items(spec.get("workflows"), "spec.workflows")):
            field = f"spec.workflows[{index}]"
            workflow = fields.mapping(workflow, field, required=True)
            workflows.append(fields.text(workflow, "name", f"{field}.", required=True) or "")
            if workflow.get("tasks") is None:
                fields.fail(f"{field}.tasks", "is required")
            _inputs(workflow.get("inputs"), f"{field}.inputs", fields)
        _unique(workflows, "spec.workflows", fields)
        _shared_config(fields.mapping(spec.get("shared_config"), "spec.shared_config"), fields)
        _hooks(fields.mapping(spec.get("hooks"), "spec.hooks"), fields)
        return cls(TaskRef(Kind.GROUP, name), version, [*tasks, *groups], workflows)


class _Fields:
    """Field checks that raise :class:`TaskSchemaError` (``FIELD: problem``, naming ``path``)."""

    def __init__(self, path: str):
        self.path = path

    def fail(self, field: str, problem: str) -> NoReturn:
        raise TaskSchemaError(field, problem, self.path)

    def mapping(self, value: object, field: str, *, required: bool = False) -> dict[str, Any]:
        if value is None and not required:
            return {}
        if not isinstance(value, dict):
            self.fail(field, "must be a mapping" if value is not None else "is required")
        return value

    def items(self, value: object, field: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(field, "must be a list")
        return value

    def text(self, parent: dict[str, Any], key: str, prefix: str, *, required: bool = False) -> str | None:
        value = parent.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, str) or (required and not value):
            self.fail(prefix + key, "is required" if value in (None, "") else "must be a string")
        return value

    def flag(self, parent: dict[str, Any], key: str, prefix: str) -> None:
        if key in parent and not isinstance(parent[key], bool):
            self.fail(prefix + key, "must be true or false")

    def whole(self, parent: dict[str, Any], key: str, prefix: str, *, low: int = 0) -> None:
        value = parent.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not low <= value < 2**32):
            self.fail(prefix + key, f"must be a whole number from {low}")

    def strings(self, parent: dict[str, Any], key: str, prefix: str) -> None:
        value = parent.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            self.fail(prefix + key, "must be a list of strings")


def _header(document: object, api_version: str, kind: str, what: str, fields: _Fields) -> tuple[dict[str, Any], str, str]:
    """The document as a mapping, its ``metadata.name`` and ``metadata.version``, checked."""
    if not isinstance(document, dict):
        fields.fail("(document)", f"a {what} file is a mapping with apiVersion, kind, metadata and spec")
    if document.get("apiVersion") != api_version:
        fields.fail("apiVersion", f"must be {api_version!r}, found {document.get('apiVersion')!r}")
    if document.get("kind") != kind:
        fields.fail("kind", f"must be {kind!r}, found {document.get('kind')!r}")
    metadata = fields.mapping(document.get("metadata"), "metadata", required=True)
    name = metadata.get("name")
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        fields.fail("metadata.name", f"{name!r} is not a {what} name: lowercase letters, digits and single hyphens inside")
    version = metadata.get("version")
    if not is_semver(version):
        fields.fail("metadata.version", f"{version!r} is not a SemVer 2.0 version such as \"1.2.0\" (quote it)")
    for key in ("author", "description", "license", "repository"):
        fields.text(metadata, key, "metadata.")
    fields.strings(metadata, "tags", "metadata.")
    return document, str(name), str(version)


def _agent_template(template: dict[str, Any], fields: _Fields) -> None:
    prefix = "spec.agent_template."
    fields.text(template, "description", prefix, required=True)
    for key in ("model", "system_prompt"):
        fields.text(template, key, prefix)
    fields.strings(template, "tools", prefix)
    fields.whole(template, "max_turns", prefix)
    _permissions(fields.mapping(template.get("permissions"), prefix + "permissions"), prefix + "permissions.", fields)


def _permissions(permissions: dict[str, Any], prefix: str, fields: _Fields) -> None:
    fields.text(permissions, "mode", prefix)
    fields.strings(permissions, "allowed_directories", prefix)


def _inputs(value: object, field: str, fields: _Fields) -> None:
    for name, spec in fields.mapping(value, field).items():
        where = f"{field}.{_field_name(name, field, fields)}"
        spec = fields.mapping(spec, where, required=True)
        kind = spec.get("type")
        if kind not in INPUT_TYPES:
            fields.fail(f"{where}.type", f"{kind!r} is not one of {', '.join(INPUT_TYPES)}")
        fields.flag(spec, "required", f"{where}.")
        for key in ("description", "source"):
            fields.text(spec, key, f"{where}.")
        _validation(fields.mapping(spec.get("validation"), f"{where}.validation"), kind, f"{where}.validation.", fields)


def _validation(rules: dict[str, Any], kind: str, prefix: str, fields: _Fields) -> None:
    if rules.get("pattern") is not None:
        fields.text(rules, "pattern", prefix)
        if kind != "string":
            fields.fail(prefix + "pattern", "applies to string inputs only")
    for key in ("min", "max"):
        value = rules.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or kind != "number"):
            fields.fail(prefix + key, "must be a number, on a number input")
    for key in ("min_length", "max_length"):
        fields.whole(rules, key, prefix)
        if rules.get(key) is not None and kind not in ("string", "array"):
            fields.fail(prefix + key, "applies to string and array inputs only")
    fields.items(rules.get("allowed_values"), prefix + "allowed_values")


def _outputs(value: object, fields: _Fields) -> None:
    for name, spec in fields.mapping(value, "spec.outputs").items():
        where = f"spec.outputs.{_field_name(name, 'spec.outputs', fields)}"
        spec = fields.mapping(spec, where, required=True)
        for key in ("description", "type"):
            fields.text(spec, key, f"{where}.")
        source = fields.mapping(spec.get("source"), f"{where}.source", required=True)
        kind = source.get("type")
        if kind not in OUTPUT_SOURCES:
            fields.fail(f"{where}.source.type", f"{kind!r} is not one of {', '.join(OUTPUT_SOURCES)}")
        fields.text(source, OUTPUT_SOURCES[kind], f"{where}.source.", required=True)


def _field_name(name: object, field: str, fields: _Fields) -> str:
    text = str(name)
    if not text or not all(c.isalnum() or c in "_-" for c in text):
        fields.fail(f"{field}.{text}", "a name is letters, digits, '_' and '-'")
    return text


def _dependencies(value: object, field: str, flag: str, kind: Kind, fields: _Fields) -> list[TaskDependency]:
    """Entries ``{name, version, <flag>}`` naming a ``kind``; ``flag`` is ``optional`` (default
    false) or ``required`` (a group's task list, default true)."""
    found = []
    for index, entry in enumerate(fields.items(value, field)):
        where = f"{field}[{index}]"
        entry = fields.mapping(entry, where, required=True)
        name = entry.get("name")
        if not isinstance(name, str) or not NAME_PATTERN.match(name):
            fields.fail(f"{where}.name", f"{name!r} is not a task name")
        fields.flag(entry, flag, f"{where}.")
        if entry.get("version") in (None, ""):
            fields.fail(f"{where}.version", "is required (a constraint such as ^1.2; periplon refuses an entry without one)")
        optional = not entry.get("required", True) if flag == "required" else entry.get("optional", False)
        found.append(TaskDependency(TaskRef(kind, name), parse_constraint(entry["version"], f"{fields.path}: {where}.version"), optional))
    _unique([dependency.name.name for dependency in found], field, fields)
    return found


def _unique(names: list[Any], field: str, fields: _Fields) -> None:
    seen = set()
    for name in names:
        if name in seen:
            fields.fail(field, f"{name!r} is named twice")
        seen.add(name)


def _shared_config(config: dict[str, Any], fields: _Fields) -> None:
    prefix = "spec.shared_config."
    _inputs(config.get("inputs"), prefix + "inputs", fields)
    _permissions(fields.mapping(config.get("permissions"), prefix + "permissions"), prefix + "permissions.", fields)
    for key, value in fields.mapping(config.get("environment"), prefix + "environment").items():
        if not isinstance(value, str) or not value:
            fields.fail(f"{prefix}environment.{key}", "must be a non-empty string")
    fields.whole(config, "max_turns", prefix, low=1)


def _hooks(hooks: dict[str, Any], fields: _Fields) -> None:
    for stage in ("post_install", "pre_use", "post_uninstall"):
        for index, hook in enumerate(fields.items(hooks.get(stage), f"spec.hooks.{stage}")):
            where = f"spec.hooks.{stage}[{index}]"
            hook = fields.mapping(hook, where, required=True)
            kind = hook.get("type")
            if kind not in HOOK_FIELDS:
                fields.fail(f"{where}.type", f"{kind!r} is not one of {', '.join(HOOK_FIELDS)}")
            for key in HOOK_FIELDS[kind]:
                fields.text(hook, key, f"{where}.", required=True)
            if kind == "message" and hook.get("level", "info") not in ("info", "warning", "error"):
                fields.fail(f"{where}.level", "must be info, warning or error")
