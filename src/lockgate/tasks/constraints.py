"""Version constraints as Cargo writes them, evaluated by node-semver (SemVer 2.0 ranges).

Accepted: ``1.2.3`` (the same as ``^1.2.3``), ``=1.2.3``, ``^1.2``, ``~1.2.3``, ``1.2.*``,
``*``, comparisons joined by commas (``>=1.2, <2``) and ``latest`` (any version). Pre-releases
match only a constraint that names a pre-release of the same ``major.minor.patch``
(``^1.5.0-beta.1``), as in Cargo and npm.
"""

from __future__ import annotations

import re
from functools import cmp_to_key

from ..errors import LockgateError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_PART = re.compile(
    r"^(?P<op>=|\^|~|>=|<=|>|<)?\s*"
    r"(?P<version>(?:\d+|[*xX])(?:\.(?:\d+|[*xX])){0,2}(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)$"
)


class Constraint:
    """A parsed constraint.

    Attributes:
        text: as written (``"^1.0"``, ``">=1.2, <2"``).
        range: the node-semver range it became (``"^1.0"``, ``">=1.2 <2"``).
    """

    __slots__ = ("text", "range")

    def __init__(self, text: str, range_: str):
        self.text = text
        self.range = range_

    def allows(self, version: str) -> bool:
        """True when the SemVer ``version`` satisfies the constraint (node-semver's answer,
        remembered per range and version: thousands of tasks share a few ranges)."""
        key = (self.range, version)
        allowed = _ALLOWS.get(key)
        if allowed is None:
            allowed = _ALLOWS[key] = _satisfies(version, self.range)
        return allowed

    def __repr__(self) -> str:
        return f"Constraint({self.text!r})"


_ALLOWS: dict[tuple[str, str], bool] = {}
_RANGES: dict[str, object] = {}


def _satisfies(version: str, range_: str) -> bool:
    """``nodesemver.satisfies`` with each range parsed once."""
    from nodesemver import make_range

    parsed = _RANGES.get(range_)
    if parsed is None:
        try:
            parsed = _RANGES[range_] = make_range(range_, False)
        except ValueError:
            return False
    return bool(parsed.test(version, include_prerelease=False))  # type: ignore[attr-defined]


def parse_constraint(text: object, where: str = "") -> Constraint:
    """Parse a Cargo-style constraint.

    Args:
        text: the constraint; a number (YAML reads ``1.2`` as a float) is taken as written.
        where: ``"FILE: field"`` named in the error.

    Raises:
        LockgateError: not a constraint this module accepts.
    """
    written = str(text).strip()
    if written in ("latest", "*", ""):
        return Constraint(written or "*", "*")
    parts = []
    for part in written.split(","):
        found = _PART.match(part.strip())
        if not found:
            raise LockgateError(f"{where}: invalid version constraint {written!r}: use 1.2.3, ^1.2, ~1.2.3, =1.2.3, 1.2.*, >=1.2, <2, * or latest")
        operator, version = found.group("op") or "", found.group("version")
        if not operator and not re.search(r"[*xX]", version):
            operator = "^"  # Cargo: a bare version is a caret requirement
        parts.append(operator + version)
    return Constraint(written, " ".join(parts))


def is_semver(version: object) -> bool:
    """True for a SemVer 2.0 version (``1.2.3``, ``1.0.0-rc.1+build.5``); not ``1.2``, ``v1.2.3``
    or ``01.2.3``."""
    from nodesemver import valid

    return isinstance(version, str) and version[:1].isdigit() and valid(version, loose=False) is not None


def release_parts(version: str) -> tuple[int, int, int]:
    """``(major, minor, patch)`` of a SemVer version, pre-release and build left out (node-semver's parse)."""
    from nodesemver import make_semver

    parsed = make_semver(version, loose=False)
    return parsed.major, parsed.minor, parsed.patch


def version_key(version: str) -> Any:
    """A sort key that orders SemVer versions by precedence (pre-releases before releases)."""
    return _key(version)


def _compare(a: str, b: str) -> int:
    from nodesemver import compare

    order: int = compare(a, b, loose=False)
    return order


_key = cmp_to_key(_compare)
