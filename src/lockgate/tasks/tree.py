"""``tasks tree``: the locked graph from the roots."""

from __future__ import annotations

from .config import TasksConfig
from .locked import implied_roots, read_existing
from .resolve import parse_root


class TreeNode:
    """One task in the locked graph, as :func:`tasks_tree` gives it.

    Attributes:
        name, version: the task (``version`` None when the lock names it but does not lock it).
        constraint: the constraint that selected it from its parent (``(root)`` for a root).
        repeated: shown already above; its children are not repeated.
        children: its dependencies, sorted by name.
    """

    __slots__ = ("name", "version", "constraint", "repeated", "children")

    def __init__(self, name: str, version: str | None, constraint: str, repeated: bool = False):
        self.name = name
        self.version = version
        self.constraint = constraint
        self.repeated = repeated
        self.children: list[TreeNode] = []


def tasks_tree(config: TasksConfig) -> list[TreeNode]:
    """The locked graph from the roots (:class:`TreeNode`), each task with the constraint that
    selected it; a task already shown with dependencies is marked ``repeated`` instead of
    expanded again. :func:`lockgate.render.render_task_tree` draws it."""
    locked = read_existing(config)
    roots = [parse_root(root).name for root in locked.roots] or implied_roots(locked)
    shown: set[str] = set()

    def node(name: str, constraint: str) -> TreeNode:
        task = locked.tasks.get(name)
        if task and name in shown and task.dependencies:
            return TreeNode(name, task.version, constraint, repeated=True)
        made = TreeNode(name, task.version if task else None, constraint)
        shown.add(name)
        for child in sorted(task.dependencies) if task else []:
            child_task = locked.tasks.get(child)
            made.children.append(node(child, child_task.constraints.get(name, "") if child_task else ""))
        return made

    return [node(root, locked.tasks[root].constraints.get("(root)", "") if root in locked.tasks else "") for root in roots]
