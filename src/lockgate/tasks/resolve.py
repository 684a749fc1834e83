"""Resolving task references to one version per task, with backtracking (resolvelib).

Among the versions every requirement allows, the newest is tried first, except that a version
the current lock already pins is preferred while it still fits (as Cargo keeps Cargo.lock).
Optional dependencies are required when some source has a version that fits their
constraint, and skipped otherwise. Conflicts name both sides; dependency cycles are refused
with their path.
"""

from __future__ import annotations

from resolvelib import AbstractProvider, BaseReporter

from ..errors import LockgateError
from .constraints import Constraint, parse_constraint, version_key
from .definition import TaskDefinition
from .sources import TaskSource
from .task_schema import NAME_PATTERN, Kind, TaskRef

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
    from typing import Any, Protocol, TextIO

    from resolvelib.resolvers import Criterion, Result
    from resolvelib.structs import RequirementInformation

    class _Graph(Protocol):
        def iter_children(self, key: Any) -> Iterator[Any]: ...

    Information = RequirementInformation["TaskRequirement", "Candidate"]

ROOT = "(root)"
#: How a search resolvelib cannot make is refused (the message starts with it).
RESOLVER_LIMIT = "resolvelib cannot search this task graph"
_MAX_ROUNDS = 100_000  # resolvelib pins about one task a round; this bounds only pathological backtracking


class TaskRequirement:
    """``name`` at ``constraint``, asked for by ``parent`` (``name@version``, or None for a root)."""

    __slots__ = ("name", "constraint", "parent")

    def __init__(self, name: TaskRef, constraint: Constraint, parent: str | None = None):
        self.name = name
        self.constraint = constraint
        self.parent = parent

    def __repr__(self) -> str:
        return f"{self.name}@{self.constraint.text}"


class Candidate:
    """One version of a task, and the source it comes from."""

    __slots__ = ("definition", "source")

    def __init__(self, definition: TaskDefinition, source: TaskSource):
        self.definition = definition
        self.source = source

    @property
    def name(self) -> TaskRef:
        return self.definition.name

    @property
    def version(self) -> str:
        return self.definition.version


class ResolvedTask:
    """A task in the resolution.

    Attributes:
        candidate: the chosen :class:`Candidate`.
        constraints: requirer (``(root)`` or a task name) -> the constraint text it asked.
        dependencies: dependency name -> the version chosen for it (skipped optional ones absent).
    """

    __slots__ = ("candidate", "constraints", "dependencies")

    def __init__(self, candidate: Candidate, constraints: dict[str, str], dependencies: dict[str, str]):
        self.candidate = candidate
        self.constraints = constraints
        self.dependencies = dependencies


def parse_root(text: str) -> TaskRequirement:
    """``name@constraint`` (or a bare ``name``: any version) as a root requirement; a task
    group is ``group:NAME@CONSTRAINT``.

    Raises:
        LockgateError: a malformed reference, or an empty version after ``@`` (periplon refuses ``app@``).
    """
    name, at, constraint = str(text).partition("@")
    ref = TaskRef.parse(name.strip())
    if not NAME_PATTERN.match(ref.name):
        raise LockgateError(f"task reference {text!r}: expected NAME@CONSTRAINT or group:NAME@CONSTRAINT, e.g. app@^1.0")
    if at and not constraint.strip():
        raise LockgateError(f"task reference {text!r}: no version after @; write {name}@CONSTRAINT (e.g. {name}@^1.0) or {name} for any version")
    return TaskRequirement(ref, parse_constraint(constraint or "*", f"task reference {text!r}"))


def resolve(roots: list[TaskRequirement], sources: Sequence[TaskSource], preferred: dict[str, str] | None = None, *,
            reporter: BaseReporter[TaskRequirement, Candidate, str] | None = None, bounds: dict[str, Constraint] | None = None) -> dict[str, ResolvedTask]:  # fmt: skip
    """One version of every task the roots need.

    Args:
        roots: root requirements (:func:`parse_root`).
        sources: task sources, searched by descending priority.
        preferred: name -> version to keep when it still fits (the current lock's pins).
        reporter: resolvelib's progress hooks (:class:`StepReporter` for ``tasks lock -v``).
        bounds: name -> a constraint every version of that task must meet besides the
            requirements' (an update policy: ``tasks update --policy``); versions outside it
            are never candidates.

    Returns:
        name -> :class:`ResolvedTask`, sorted by name.

    Raises:
        LockgateError: no version satisfies the requirements (both sides named), a task is in
            no source, or the dependencies form a cycle (its path shown).
    """
    from resolvelib import ResolutionImpossible, ResolutionTooDeep, Resolver

    provider = _Provider(sorted(sources, key=lambda s: -s.priority), preferred or {}, bounds or {})
    if reporter is None:  # -v shows resolvelib's steps, so it takes resolvelib's way
        direct = _first_fit(roots, provider)
        if direct is not None:
            return direct
    try:
        result = Resolver(provider, reporter or BaseReporter()).resolve(roots, max_rounds=_MAX_ROUNDS)
    except ResolutionImpossible as error:
        raise LockgateError(_conflict_message(error.causes, provider)) from None
    except ResolutionTooDeep:
        raise LockgateError("task resolution gave up after too many rounds; narrow the constraints") from None
    except RecursionError:  # resolvelib's backtracking walks parents without a visited set: a cycle loops it
        raise LockgateError(f"{RESOLVER_LIMIT}: its optional dependencies form a cycle it walks forever; "
                            "pin the tasks in the cycle (NAME@=VERSION) or make the back edge required") from None
    _refuse_cycles(result.mapping, result.graph)
    return _resolved(result, provider)


def available_versions(sources: Sequence[TaskSource], name: str) -> list[str]:
    """Every version of task ``name`` the sources offer, newest first."""
    return [candidate.version for candidate in _Provider(sorted(sources, key=lambda s: -s.priority), {}).candidates(name)]


class StepReporter(BaseReporter["TaskRequirement", "Candidate", str]):
    """Writes the resolution's steps, one line each, to ``stream`` (``tasks lock -v``): each
    requirement added, each version pinned, each rejected, and each conflict backtracked."""

    def __init__(self, stream: TextIO):
        self.stream = stream

    def _say(self, text: str) -> None:
        self.stream.write(f"lockgate tasks: {text}\n")

    def adding_requirement(self, requirement: TaskRequirement, parent: Candidate | None) -> None:
        by = f" (from {parent.name}@{parent.version})" if parent is not None else " (root)"
        self._say(f"requires {requirement.name} {requirement.constraint.text}{by}")

    def pinning(self, candidate: Candidate) -> None:
        self._say(f"pinned {candidate.name}@{candidate.version} from {candidate.source.describe()}")

    def rejecting_candidate(self, criterion: Criterion[TaskRequirement, Candidate], candidate: Candidate) -> None:
        self._say(f"rejected {candidate.name}@{candidate.version}")

    def resolving_conflicts(self, causes: Collection[Information]) -> None:
        self._say("backtracking: " + "; ".join(f"{cause.requirement.name} {cause.requirement.constraint.text}" for cause in causes))


class _Provider(AbstractProvider["TaskRequirement", "Candidate", str]):
    """resolvelib's provider over the task sources."""

    def __init__(self, sources: Sequence[TaskSource], preferred: dict[str, str], bounds: dict[str, Constraint] | None = None):
        self.sources = sources
        self.preferred = preferred
        self.bounds = bounds or {}
        self._candidates: dict[str, list[Candidate]] = {}

    def candidates(self, name: str) -> list[Candidate]:
        """Every version of ``name`` within its bound, newest first; a version in two sources
        comes from the higher."""
        found = self._candidates.get(name)
        if found is None:
            by_version: dict[str, Candidate] = {}
            bound = self.bounds.get(name)
            for source in self.sources:
                for version in source.versions(name):
                    if version not in by_version and (bound is None or bound.allows(version)):
                        by_version[version] = Candidate(source.definition(name, version), source)
            found = self._candidates[name] = sorted(by_version.values(), key=lambda c: version_key(c.version), reverse=True)
        return found

    def identify(self, requirement_or_candidate: TaskRequirement | Candidate) -> str:
        name: str = requirement_or_candidate.name
        return name

    def get_preference(self, identifier: str, resolutions: Mapping[str, Candidate], candidates: Mapping[str, Iterator[Candidate]],
                       information: Mapping[str, Iterator[Information]], backtrack_causes: Sequence[Information]) -> tuple[bool, int, str]:  # fmt: skip
        causes = {cause.requirement.name for cause in backtrack_causes}
        return (identifier not in causes, sum(1 for _ in candidates[identifier]), identifier)

    def find_matches(self, identifier: str, requirements: Mapping[str, Iterator[TaskRequirement]],
                     incompatibilities: Mapping[str, Iterator[Candidate]]) -> list[Candidate]:  # fmt: skip
        wanted = list(requirements[identifier])
        excluded = {candidate.version for candidate in incompatibilities[identifier]}
        matches = [c for c in self.candidates(identifier) if c.version not in excluded and all(r.constraint.allows(c.version) for r in wanted)]
        kept = self.preferred.get(identifier)
        matches.sort(key=lambda c: c.version != kept)  # stable: the locked pin first, then newest first
        return matches

    def find_first(self, name: str, constraints: Iterable[Constraint]) -> Candidate | None:
        """The locked version of ``name`` if every constraint allows it, else the newest one
        they all allow, or None."""
        candidates = self.candidates(name)
        kept = self.preferred.get(name)
        ordered = [c for c in candidates if c.version == kept] + candidates if kept else candidates
        return next((c for c in ordered if all(constraint.allows(c.version) for constraint in constraints)), None)

    def is_satisfied_by(self, requirement: TaskRequirement, candidate: Candidate) -> bool:
        return requirement.constraint.allows(candidate.version)

    def get_dependencies(self, candidate: Candidate) -> list[TaskRequirement]:
        requirements = []
        for dependency in candidate.definition.dependencies:
            requirement = TaskRequirement(dependency.name, dependency.constraint, candidate.definition.key)
            if dependency.optional and not any(dependency.constraint.allows(c.version) for c in self.candidates(dependency.name)):
                continue  # optional and not available: skipped
            requirements.append(requirement)
        return requirements

    def narrow_requirement_selection(self, identifiers: Iterable[str], resolutions: Mapping[str, Candidate],
                                     candidates: Mapping[str, Iterator[Candidate]], information: Mapping[str, Iterator[Information]],
                                     backtrack_causes: Sequence[Information]) -> Iterable[str]:  # fmt: skip
        return identifiers


def _first_fit(roots: list[TaskRequirement], provider: _Provider) -> dict[str, ResolvedTask] | None:
    """The resolution in one pass, or None when it needs backtracking.

    Each task is pinned when first required: to the locked version if it fits every
    constraint asked of it so far, else to the newest that does. If no later constraint rejects
    a pin, each pin is the newest (or locked) version allowed by all of its constraints, which
    is what resolvelib returns; the cost grows with tasks x dependencies. A rejected pin, or a
    task no version fits, returns None: resolvelib then searches (and words the conflict).
    """
    from collections import deque

    chosen: dict[str, Candidate] = {}
    edges: dict[str, list[str]] = {}  # the requirements added: a skipped optional dependency is none
    asked: dict[str, dict[str, Constraint]] = {}
    queue: deque[tuple[TaskRequirement, str]] = deque((root, ROOT) for root in roots)
    while queue:
        requirement, requirer = queue.popleft()
        name: str = requirement.name
        asked.setdefault(name, {})[requirer] = requirement.constraint
        pinned = chosen.get(name)
        if pinned is not None:
            if not requirement.constraint.allows(pinned.version):
                return None
            continue
        fitting = provider.find_first(name, asked[name].values())
        if fitting is None:
            return None
        chosen[name] = fitting
        edges[name] = []
        for dependency in provider.get_dependencies(fitting):
            edges[name].append(dependency.name)
            queue.append((dependency, name))
    _refuse_cycles(chosen, _Children(edges))
    resolved: dict[str, ResolvedTask] = {}
    for name in sorted(chosen):
        candidate = chosen[name]
        constraints = {requirer: constraint.text for requirer, constraint in asked[name].items()}
        dependencies = {d.name: chosen[d.name].version for d in candidate.definition.dependencies if d.name in chosen}
        resolved[name] = ResolvedTask(candidate, dict(sorted(constraints.items())), dict(sorted(dependencies.items())))
    return resolved


class _Children:
    """The dependency graph of a first-fit resolution, as :func:`_refuse_cycles` walks it."""

    def __init__(self, edges: dict[str, list[str]]):
        self.edges = edges

    def iter_children(self, name: str) -> Iterator[str]:
        return iter(self.edges.get(name, ()))


def _resolved(result: Result[TaskRequirement, Candidate, str], provider: _Provider) -> dict[str, ResolvedTask]:
    resolved = {}
    for name in sorted(result.mapping):
        candidate = result.mapping[name]
        constraints = {}
        for information in result.criteria[name].information:
            parent = information.parent
            if parent is None:
                constraints[ROOT] = information.requirement.constraint.text
            elif result.mapping.get(parent.name) is parent:
                constraints[parent.name] = information.requirement.constraint.text
        dependencies = {d.name: result.mapping[d.name].version for d in candidate.definition.dependencies if d.name in result.mapping}
        resolved[name] = ResolvedTask(candidate, dict(sorted(constraints.items())), dict(sorted(dependencies.items())))
    return resolved


def _conflict_message(causes: Collection[Information], provider: _Provider) -> str:
    """"no version of X satisfies A (required by p@1) and B (required by q@2); available: …"."""
    by_name: dict[TaskRef, list[Information]] = {}
    for cause in causes:
        by_name.setdefault(cause.requirement.name, []).append(cause)
    name, group = max(by_name.items(), key=lambda item: len(item[1]))
    asked = []
    for cause in group:
        who = cause.parent.definition.key if cause.parent is not None else "the roots"
        text = f"{cause.requirement.constraint.text} (required by {who})"
        if text not in asked:
            asked.append(text)
    available = [c.version for c in reversed(provider.candidates(name))]
    as_group = [] if name.kind is Kind.GROUP else list(reversed(provider.candidates(TaskRef(Kind.GROUP, name.name))))
    if not available and as_group:  # periplon names groups group:NAME; a bare name is a task
        return f"{name} is a task group ({as_group[0].definition.path}): write group:{name}@{group[0].requirement.constraint.text}"
    if not available:
        sources = ", ".join(source.describe() for source in provider.sources) or "no sources configured"
        return f"task {name} not found in any source ({sources}); required as {' and '.join(asked)}"
    return f"no version of {name} satisfies {' and '.join(asked)}; available: {', '.join(available)}"


def _refuse_cycles(mapping: Mapping[str, Any], graph: _Graph) -> None:
    """Raise on the first dependency cycle, showing its path ``a -> b -> c -> a``.

    Depth-first, with an explicit stack: chains of a thousand tasks exceed Python's recursion limit.
    """
    done: set[str] = set()
    for start in sorted(mapping):
        if start in done:
            continue
        path, on_path = [start], {start}
        stack = [iter(sorted(graph.iter_children(start)))]
        while stack:
            child = next(stack[-1], None)
            if child is None:
                stack.pop()
                done.add(path[-1])
                on_path.discard(path.pop())
            elif child in on_path:
                cycle = path[path.index(child) :] + [child]
                raise LockgateError(f"dependency cycle: {' -> '.join(cycle)}")
            elif child not in done:
                path.append(child)
                on_path.add(child)
                stack.append(iter(sorted(graph.iter_children(child))))
