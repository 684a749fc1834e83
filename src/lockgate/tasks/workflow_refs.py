"""The task references of a periplon workflow file, with their lines.

periplon's workflow DSL (``src/dsl/schema.rs``) names predefined tasks in ``tasks.<id>.uses``
(``NAME@CONSTRAINT``), at any depth of ``subtasks`` (a list of one-entry mappings of task id to
task), imports task groups as ``imports: {namespace: GROUP@CONSTRAINT}`` and runs a group's
workflow with ``uses_workflow: namespace:workflow``. Only these fields are read; the rest of
the workflow is periplon's business.
"""

from __future__ import annotations

from ..errors import LockgateError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from yaml import Node

USES = "uses"
IMPORT = "import"
USES_WORKFLOW = "uses_workflow"


class WorkflowReference:
    """One reference in a workflow.

    Attributes:
        kind: ``uses`` (a task), ``import`` (a task group, under ``namespace``) or
            ``uses_workflow`` (``namespace:workflow``).
        text: the reference as written.
        path, line: where it is (line 1-based).
        namespace: the import's namespace, or None.
    """

    __slots__ = ("kind", "text", "path", "line", "namespace")

    def __init__(self, kind: str, text: str, path: str, line: int, namespace: str | None = None) -> None:
        self.kind = kind
        self.text = text
        self.path = path
        self.line = line
        self.namespace = namespace

    def __repr__(self) -> str:
        return f"WorkflowReference({self.kind!r}, {self.text!r}, line {self.line})"


def read_workflow_references(path: str) -> list[WorkflowReference]:
    """Every ``uses``, ``imports`` entry and ``uses_workflow`` of a workflow file, in file order.

    Raises:
        LockgateError: unreadable or invalid YAML, or one of these fields is not text (file
            and line named).
    """
    from .._io import read_text
    from .._yaml import load_yaml

    root = load_yaml(read_text(path), path, nodes=True)
    found: list[WorkflowReference] = []
    if root is None:
        return found
    top = _mapping(root, path)
    imports = top.get("imports")
    if imports is not None:
        for namespace, value in _mapping(imports, path).items():
            found.append(WorkflowReference(IMPORT, _text(value, path, f"imports.{namespace}"), path, value.start_mark.line + 1, namespace))
    if "tasks" in top:
        _tasks(top["tasks"], path, found)
    return sorted(found, key=lambda reference: reference.line)


def _tasks(node: Node, path: str, found: list[WorkflowReference]) -> None:
    """The references of a ``tasks`` mapping and, recursively, of its subtasks."""
    import yaml

    for task_id, task in _mapping(node, path).items():
        if not isinstance(task, yaml.MappingNode):
            continue  # periplon refuses it; nothing here refers to a task
        fields = _mapping(task, path)
        for field, kind in (("uses", USES), ("uses_workflow", USES_WORKFLOW)):
            if field in fields:
                value = fields[field]
                found.append(WorkflowReference(kind, _text(value, path, f"{task_id}.{field}"), path, value.start_mark.line + 1))
        subtasks = fields.get("subtasks")
        if isinstance(subtasks, yaml.SequenceNode):
            for entry in subtasks.value:
                if isinstance(entry, yaml.MappingNode):
                    _tasks(entry, path, found)


def _mapping(node: Node, path: str) -> dict[str, Node]:
    """A mapping node's entries, keyed by their text (later keys win, as in YAML's loaders)."""
    import yaml

    if not isinstance(node, yaml.MappingNode):
        raise LockgateError("expected a mapping", path, node.start_mark.line + 1)
    return {str(key.value): value for key, value in node.value if isinstance(key, yaml.ScalarNode)}


def _text(node: Node, path: str, field: str) -> str:
    import yaml

    if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
        raise LockgateError(f"{field}: expected NAME@CONSTRAINT text", path, node.start_mark.line + 1)
    return str(node.value).strip()
