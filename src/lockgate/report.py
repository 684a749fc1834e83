"""The one Report model every lockgate check returns: findings with a status, a subject,
what was expected, what was found, and a message."""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: importing typing would cost every command's start-up
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

MATCHED = "matched"
MISMATCHED = "mismatched"
MISSING = "missing"
EXTRA = "extra"
SKIPPED = "skipped"
NOT_APPLICABLE = "not_applicable"
MODIFIED = "modified"
UNVERIFIABLE = "unverifiable"
NOT_CPU_ONLY = "not_cpu_only"
#: The lock selects no distribution for the target: nothing was checked, which fails.
NOTHING_SELECTED = "nothing_selected"

VERIFY_STATUSES = (MATCHED, MISMATCHED, MISSING, EXTRA, SKIPPED, NOT_APPLICABLE)
#: verify's statuses when installed files are checked too (``--integrity``).
INTEGRITY_STATUSES = (*VERIFY_STATUSES, MODIFIED, UNVERIFIABLE)
#: verify's extra status under ``--cpu-only``: a CUDA distribution or non-CPU PyTorch build.
CPU_ONLY_STATUSES = (NOT_CPU_ONLY,)


class Finding:
    """One checked subject.

    Attributes:
        status: one of the check's statuses (for verify: ``VERIFY_STATUSES``).
        subject: what was checked (a distribution name, a task, a file).
        expected: what the lock asks for, or None.
        found: what is there, or None.
        message: one human sentence; empty when there is nothing to add.
        fails: True when this finding makes the check fail under the options it ran with.
        details: extra JSON-ready fields for this finding (e.g. ``{"files": [...]}``), or None.
    """

    __slots__ = ("status", "subject", "expected", "found", "message", "fails", "details")

    def __init__(self, status: str, subject: str, expected: str | None = None, found: str | None = None, message: str = "", *,
                 fails: bool = False, details: dict[str, Any] | None = None):  # fmt: skip
        self.status = status
        self.subject = subject
        self.expected = expected
        self.found = found
        self.message = message
        self.fails = fails
        self.details = details

    def to_dict(self, subject_key: str = "name") -> dict[str, Any]:
        """JSON-ready form: ``{subject_key, "status", "expected", "found", "message", **details}``."""
        data = {
            subject_key: self.subject,
            "status": self.status,
            "expected": self.expected,
            "found": self.found,
            "message": self.message,
        }
        if self.details:
            data.update(self.details)
        return data

    def replace(self, **changes: Any) -> Finding:
        """A copy with some attributes changed (findings are values once a check returns them)."""
        values = {name: getattr(self, name) for name in self.__slots__}
        values.update(changes)
        status, subject, expected, found, message = (values.pop(key) for key in ("status", "subject", "expected", "found", "message"))
        return Finding(status, subject, expected, found, message, **values)

    def __repr__(self) -> str:
        return f"Finding({self.status}, {self.subject!r}, expected={self.expected!r}, found={self.found!r})"


class Report:
    """The result of one check.

    Attributes:
        schema: the JSON schema name and version, e.g. ``"lockgate.verify/1"``.
        statuses: every status this check can give, in display order (keys of ``summary``).
        findings: list of :class:`Finding`, one per subject.
        header: JSON-ready fields that describe the run (lockfile, environment…), in order; a
            value may be a zero-argument callable, computed once when first read
            (:meth:`header_value`, :meth:`to_dict`), so text output skips costly fields.
        fix: shell commands that would repair a failure (shown with text output).
        items_key: the JSON key under which findings are listed (``"packages"`` for verify).
        subject_key: the JSON key that holds each finding's subject (``"name"`` for verify).
    """

    __slots__ = ("schema", "statuses", "findings", "header", "fix", "items_key", "subject_key")

    def __init__(self, schema: str, statuses: tuple[str, ...], findings: list[Finding], header: dict[str, Any] | None = None, *,
                 fix: Iterable[str] = (), items_key: str = "packages", subject_key: str = "name"):  # fmt: skip
        self.schema = schema
        self.statuses = statuses
        self.findings = findings
        self.header = header or {}
        self.fix = list(fix)
        self.items_key = items_key
        self.subject_key = subject_key

    @property
    def passed(self) -> bool:
        """True when no finding fails."""
        return not any(finding.fails for finding in self.findings)

    def summary(self) -> dict[str, int]:
        """Count of findings per status, every status present (zeros included)."""
        counts = dict.fromkeys(self.statuses, 0)
        for finding in self.findings:
            counts[finding.status] = counts.get(finding.status, 0) + 1
        return counts

    def failures(self) -> list[Finding]:
        """The findings that fail the check."""
        return [finding for finding in self.findings if finding.fails]

    def header_value(self, key: str) -> Any:
        """A header field, computed now if it was deferred."""
        value = self.header[key]
        if callable(value):
            value = self.header[key] = value()
        return value

    def to_dict(self) -> dict[str, Any]:
        """``{"schema", **header, "passed", "summary", items_key: [finding dicts]}``."""
        return {
            "schema": self.schema,
            **{key: self.header_value(key) for key in self.header},
            "passed": self.passed,
            "summary": self.summary(),
            self.items_key: [finding.to_dict(self.subject_key) for finding in self.findings],
        }
