"""periplon workflows against the lock: the roots their references name (``tasks lock
--workflow``) and whether the lock satisfies every reference (``tasks check``)."""

from __future__ import annotations

from ..errors import LockgateError
from .config import TasksConfig
from .diff import periplon_notice
from .locked import lock_folder, read_existing, with_locked_sources
from .lockfile import TaskLock
from .resolve import parse_root

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

    from .definition import TaskDefinition
    from .resolve import TaskRequirement
    from .workflow_refs import WorkflowReference


def workflow_roots(paths: Iterable[str]) -> list[str]:
    """The roots periplon workflows name, in file order, without repeats: every ``uses:
    NAME@CONSTRAINT``, and every ``imports: {namespace: GROUP@CONSTRAINT}`` as
    ``group:GROUP@CONSTRAINT``.

    Raises:
        LockgateError: a workflow or one of its references cannot be read (file and line named).
    """
    from .workflow_refs import IMPORT, USES, read_workflow_references

    roots: list[str] = []
    for path in paths:
        for reference in read_workflow_references(path):
            if reference.kind in (USES, IMPORT):
                _workflow_requirement(reference)  # a malformed one is refused here, with its file and line
                root = _workflow_root(reference)
                if root not in roots:
                    roots.append(root)
    return roots


def check_workflows(config: TasksConfig, paths: Iterable[str]) -> tuple[int, list[str]]:
    """``tasks check``: is every reference of these periplon workflows satisfied by the lock?

    A ``uses: NAME@CONSTRAINT`` is satisfied when NAME is locked at a version the constraint
    allows; an ``imports: {namespace: GROUP@CONSTRAINT}`` when the group is; a ``uses_workflow:
    namespace:workflow`` when the namespace is imported in the same file, that import is
    satisfied, and the locked group has that workflow in ``spec.workflows``. Every locked task
    and group a reference reaches (its locked dependencies too) is read from its source and
    checked against the lock's checksum: a file changed since it was locked fails, naming it.

    Returns:
        ``(references checked, one "FILE:LINE: …" line per unsatisfied reference)``.

    Raises:
        LockgateError: no lock, or a workflow or reference that cannot be read.
    """
    from .workflow_refs import IMPORT, read_workflow_references

    locked = read_existing(config)
    files = _LockedFiles(config, locked)
    checked, problems = 0, []
    for path in paths:
        references = read_workflow_references(path)
        imports = {reference.namespace: reference for reference in references if reference.kind == IMPORT}
        for reference in references:
            checked += 1
            problem = _workflow_problem(reference, imports, locked, files, config.lockfile)
            if problem:
                problems.append(f"{path}:{reference.line}: {_field(reference)} {reference.text}: {problem}")
    return checked, problems


def _workflow_problem(reference: WorkflowReference, imports: dict[str | None, WorkflowReference], locked: TaskLock, files: _LockedFiles, lockfile: str) -> str | None:
    """Why one workflow reference is not satisfied by the lock, or None."""
    from .workflow_refs import USES_WORKFLOW

    if reference.kind != USES_WORKFLOW:
        return _pin_problem(reference, locked, lockfile) or files.tampered(_workflow_requirement(reference).name)
    namespace, _, workflow = reference.text.partition(":")
    if not namespace or not workflow or ":" in workflow:
        return "expected namespace:workflow"
    imported = imports.get(namespace)
    if imported is None:
        return f"this workflow has no imports.{namespace}"
    if _pin_problem(imported, locked, lockfile):
        return f"imports.{namespace} ({imported.text}) is not satisfied"
    return files.workflow_problem(_workflow_requirement(imported).name, workflow)


def _pin_problem(reference: WorkflowReference, locked: TaskLock, lockfile: str) -> str | None:
    requirement = _workflow_requirement(reference)
    task = locked.tasks.get(requirement.name)
    if task is None:
        return f"{requirement.name} is not in {lockfile}"
    if not requirement.constraint.allows(task.version):
        return f"locked {task.version} does not satisfy {requirement.constraint.text}"
    return None


class _LockedFiles:
    """The locked tasks' and groups' files, read once each from their sources and checked
    against the lock's checksums (for ``tasks check``)."""

    def __init__(self, config: TasksConfig, locked: TaskLock):
        from .fetch import LockedReader

        config = with_locked_sources(config, locked)
        self.locked = locked
        self.reader = LockedReader(lock_folder(config), sources=config.sources)
        self.read: dict[str, TaskDefinition | str] = {}  # name -> its definition, or why it cannot be used

    def tampered(self, name: str) -> str | None:
        """Why the locked ``name`` or a locked task it depends on (at any depth) cannot be
        used as locked, or None."""
        if self.locked.by_periplon:  # nothing vouches for its files until it is adopted
            return periplon_notice(self.locked)
        seen, queue = {name}, [name]
        while queue:
            current = queue.pop()
            found = self._definition(current)
            if isinstance(found, str):
                return found
            for dependency in self.locked.tasks[current].dependencies:
                if dependency not in seen and dependency in self.locked.tasks:
                    seen.add(dependency)
                    queue.append(dependency)
        return None

    def workflow_problem(self, name: str, workflow: str) -> str | None:
        """Why the locked group ``name`` does not offer ``workflow`` (or cannot be used), or None."""
        problem = self.tampered(name)
        if problem:
            return problem
        definition = self._definition(name)
        names = definition.workflow_names if not isinstance(definition, str) else []
        if workflow not in names:
            return f"{name}@{self.locked.tasks[name].version} has no workflow {workflow!r} (it has: {', '.join(names) or 'none'})"
        return None

    def _definition(self, name: str) -> TaskDefinition | str:
        if name not in self.read:
            task = self.locked.tasks[name]
            try:
                self.read[name] = self.reader.exact(task)[1]
            except LockgateError as error:  # gone, invalid or changed: nothing vouches for it
                self.read[name] = f"the locked {name}@{task.version} cannot be used ({error}); run lockgate tasks verify"
        return self.read[name]


def _field(reference: WorkflowReference) -> str:
    from .workflow_refs import IMPORT, USES

    fields = {USES: "uses", IMPORT: f"imports.{reference.namespace}"}
    return fields.get(reference.kind, "uses_workflow")


def _workflow_root(reference: WorkflowReference) -> str:
    from .task_schema import GROUP_PREFIX
    from .workflow_refs import IMPORT

    return GROUP_PREFIX + reference.text if reference.kind == IMPORT else reference.text  # the root as a lock records it


def _workflow_requirement(reference: WorkflowReference) -> TaskRequirement:
    """A workflow's ``uses:`` or import as a requirement; a malformed one names its file and line."""
    try:
        return parse_root(_workflow_root(reference))
    except LockgateError as error:
        raise LockgateError(error.message, reference.path, reference.line) from None
