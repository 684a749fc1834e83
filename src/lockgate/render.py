"""Rendering a :class:`~lockgate.report.Report` as text (people) or JSON (programs)."""

from __future__ import annotations

from .report import MATCHED, NOT_APPLICABLE, SKIPPED, Report

_LAST = (SKIPPED, NOT_APPLICABLE)
_FILES_SHOWN = 10  # per finding; JSON has them all


def render_json(report: Report) -> str:
    """The report as JSON text (``report.to_dict()``), indented, ending with a newline."""
    import json

    return json.dumps(report.to_dict(), indent=2) + "\n"


def render_text(report: Report, *, title: str, target: str, quiet: bool = False, hidden: tuple[str, ...] = (MATCHED,),
                labels: tuple[str, str] = ("expected", "found"), verdicts: tuple[str, str] = ("passed", "FAILED")) -> str:  # fmt: skip
    """The report as text: a verdict line, counts, one line per finding that is not matched
    (failing ones first, skipped and not-applicable last; matched ones that carry a note
    too) with the files it names under it, then the commands that fix a failure.

    Args:
        report: the report.
        title: what ran, e.g. ``"lockgate verify"``.
        target: what was checked against what, e.g. ``"requirements.txt vs /venv (Python 3.11.7)"``.
        quiet: only the verdict line and the failing findings; nothing at all on success.
        hidden: statuses not listed unless they fail or carry a message (``matched``).
        labels: the words before a finding's expected and found values (diff: ``A``, ``B``).
        verdicts: the verdict's words for a pass and a failure.

    Returns:
        The text, ending with a newline (empty when quiet and passed).
    """
    if quiet and report.passed:
        return ""
    verdict = verdicts[0] if report.passed else verdicts[1]
    counts = ", ".join(f"{n} {status.replace('_', ' ')}" for status, n in report.summary().items())
    lines = [f"{title}: {verdict}: {target}", f"  {counts}"]
    shown = [f for f in report.findings if f.fails or (not quiet and (f.status not in hidden or f.message))]
    shown.sort(key=lambda f: (not f.fails, f.status in _LAST))
    if shown:
        width_status = max(len(f.status) for f in shown)
        width_subject = max(len(f.subject) for f in shown)
        width_expected = max(len(f.expected or "-") for f in shown)
        for f in shown:
            line = f"  {f.status:<{width_status}}  {f.subject:<{width_subject}}  {labels[0]} {f.expected or '-':<{width_expected}}  {labels[1]} {f.found or '-'}"
            lines.append(f"{line}  ({f.message})" if f.message else line)
            lines.extend(_file_lines((f.details or {}).get("files", ())))
    if report.fix:
        lines.append("to fix:")
        lines.extend(f"  {command}" for command in report.fix)
    return "\n".join(lines) + "\n"


def _file_lines(files) -> list[str]:
    """Indented ``problem  path  (what differs)`` lines, the first few of them."""
    lines = [f"      {item['problem']:<9}  {item['path']}  ({_describe_file(item)})" for item in files[:_FILES_SHOWN]]
    if len(files) > _FILES_SHOWN:
        lines.append(f"      … and {len(files) - _FILES_SHOWN} more (--format json lists them all)")
    return lines


def _describe_file(item: dict) -> str:
    problem, expected, found = item["problem"], item["expected"], item["found"]
    if problem == "hash":
        return f"content differs: RECORD {expected}, file {found}"
    if problem == "size":
        return f"{found} bytes, RECORD says {expected}"
    if problem == "missing":
        return "listed in RECORD, not on disk"
    if problem == "unlisted":
        return f"{found} bytes, not in RECORD"
    if problem == "outside":
        return f"resolves to {expected}, outside the environment; not opened"
    return f"{problem}: {found}"


def render_task_tree(roots) -> str:
    """The locked task graph (:func:`lockgate.tasks.tree.tasks_tree`) as an indented tree:
    ``name@version (constraint)``, ``(*)`` after a task shown before."""
    lines: list[str] = []

    def draw(node, prefix: str, last: bool, top: bool) -> None:
        label = f"{node.name}@{node.version}" if node.version else f"{node.name} (not locked)"
        label += f" ({node.constraint})" if node.constraint else ""
        branch = "" if top else ("└── " if last else "├── ")
        lines.append(f"{prefix}{branch}{label}{' (*)' if node.repeated else ''}")
        inner = prefix if top else prefix + ("    " if last else "│   ")
        for index, child in enumerate(node.children):
            draw(child, inner, index == len(node.children) - 1, False)

    for root in roots:
        draw(root, "", True, True)
    return "\n".join(lines) + "\n"


def render_outdated(rows: list[dict]) -> str:
    """``tasks outdated`` as a table: task, locked, newest allowed, newest, update (``major!``
    when breaking)."""
    header = ("task", "locked", "allowed", "latest", "update")
    table = [header, *[(r["name"], r["locked"], r["compatible"] or "-", r["latest"] or "-", r["update"] + "!" * r["breaking"]) for r in rows]]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    return "".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() + "\n" for row in table)
