"""YAML loading through PyYAML's safe loader (libyaml's when available), bounded before anything
is built: a document nested deeper than :data:`MAX_YAML_DEPTH`, one whose aliases expand to more
than :data:`MAX_YAML_NODES` nodes, or one that refers to itself is refused, with one-line errors
naming the file and line (task files, task locks, periplon's task-sources.yaml and workflows)."""

from __future__ import annotations

from .errors import LockgateError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from yaml import Node

#: Bounds on a YAML document, checked on its node graph before anything is built from it.
MAX_YAML_DEPTH = 100
MAX_YAML_NODES = 1_000_000  # after expanding aliases: a 1 KB alias bomb expands to billions


def load_yaml(text: str, path: str, *, nodes: bool = False) -> Any:
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


def _check_bounds(root: Node, path: str) -> None:
    """Depth and expanded size of a composed YAML node graph (aliases share nodes), in one
    iterative post-order walk; a node met again while it is open is a cycle. A document
    without shared nodes (no aliases: the common case) needs only its depth."""
    if not _shares_nodes(root, path):
        return
    sizes: dict[int, int] = {}
    depths: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[Node, list[Node] | None]] = [(root, None)]
    while stack:
        node, children = stack.pop()
        key = id(node)
        if children is not None:  # every child is done
            open_nodes.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in children)
            depths[key] = 1 + max((depths[id(child)] for child in children), default=0)
            if depths[key] > MAX_YAML_DEPTH or sizes[key] > MAX_YAML_NODES:
                what = f"nested deeper than {MAX_YAML_DEPTH}" if depths[key] > MAX_YAML_DEPTH else f"more than {MAX_YAML_NODES:,} nodes once aliases are expanded"
                raise LockgateError(f"refused: the YAML is {what}", path, node.start_mark.line + 1)
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            raise LockgateError("refused: the YAML refers to itself (a recursive alias)", path, node.start_mark.line + 1)
        open_nodes.add(key)
        children = _children(node)
        stack.append((node, children))
        stack.extend((child, None) for child in children if id(child) not in sizes)


def _shares_nodes(root: Node, path: str) -> bool:
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


def _children(node: Node) -> list[Node]:
    value = node.value
    if isinstance(value, list):
        return [item for pair in value for item in pair] if value and isinstance(value[0], tuple) else list(value)
    return []
