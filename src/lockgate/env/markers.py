"""PEP 508 marker evaluation for a target interpreter, through ``packaging.markers``.

packaging.markers is imported on first use: a lock without markers never pays for it, and
nor does one whose markers are all in lockgate's marker cache (:mod:`lockgate.cache`): results
keyed by packaging's version, the target's whole marker environment and the extras and groups
in play, the things a result depends on. A miss, or no cache, evaluates with packaging.
"""

from __future__ import annotations

from ..errors import LockgateError

TYPE_CHECKING = False  # not typing's: importing typing costs verify's start-up
if TYPE_CHECKING:
    from collections.abc import Iterable


class MarkerEvaluator:
    """Evaluates lock markers against one target environment, each distinct marker once.

    Args:
        environment: the target's PEP 508 marker variables
            (:meth:`lockgate.env.interpreter.Interpreter.marker_environment`).
        extras: extras selected (PEP 751 ``extras`` marker variable).
        groups: dependency groups selected (PEP 751 ``dependency_groups``).
        cached: read results from lockgate's marker cache, and keep new ones for :meth:`save`.
    """

    def __init__(self, environment: dict[str, str], extras: Iterable[str] = (), groups: Iterable[str] = (), *, cached: bool = False) -> None:
        self._requirement_env: dict[str, str | frozenset[str]] = {**environment, "extra": ""}
        self._lock_env: dict[str, str | frozenset[str]] = {**environment, "extras": frozenset(extras), "dependency_groups": frozenset(groups)}
        self._results: dict[tuple[str, str], bool] = {}
        self._cache_key = _cache_key(environment, extras, groups) if cached else None
        self._stored: dict[str, bool] | None = None
        self._new: dict[str, bool] = {}

    def applies(self, marker: str | None, context: str = "requirement", origin: str = "") -> bool:
        """True when ``marker`` holds for the target (a missing marker always holds).

        Args:
            marker: PEP 508 marker text.
            context: ``"requirement"`` (requirements files: ``extra`` is empty, as pip has it)
                or ``"lock_file"`` (PEP 751: ``extras``/``dependency_groups`` are sets).
            origin: ``FILE:LINE`` named in the error for an invalid marker.

        Raises:
            LockgateError: the marker is not valid PEP 508.
        """
        if not marker:
            return True
        key = (marker, context)
        result = self._results.get(key)
        if result is None:
            result = self._results[key] = self._cached_or_evaluated(marker, context, origin)
        return result

    def contains(self, specifier: str, version: str, origin: str = "") -> bool:
        """Does the PEP 440 ``specifier`` (``>=3.10``) admit ``version`` (pre-releases too)?
        Cached as markers are (:meth:`applies`).

        Raises:
            LockgateError: the specifier is not valid PEP 440.
        """
        key = (f"{specifier}\n{version}", "specifier")
        result = self._results.get(key)
        if result is None:
            result = self._results[key] = self._cached_or_evaluated(*key, origin)
        return result

    def save(self) -> None:
        """Keep the results evaluated here in the marker cache (nothing without ``cached``)."""
        if self._cache_key is not None and self._new:
            from ..cache import write_fact

            write_fact("markers", self._cache_key, {**(self._stored or {}), **self._new})
            self._new = {}

    def _cached_or_evaluated(self, marker: str, context: str, origin: str) -> bool:
        if self._cache_key is None:
            return self._evaluate(marker, context, origin)
        if self._stored is None:
            from ..cache import read_fact

            stored = read_fact("markers", self._cache_key)
            self._stored = stored if isinstance(stored, dict) else {}
        name = f"{context}\n{marker}"
        result = self._stored.get(name)
        if not isinstance(result, bool):
            result = self._new[name] = self._evaluate(marker, context, origin)
        return result

    def _evaluate(self, marker: str, context: str, origin: str) -> bool:
        if context == "specifier":
            specifier, _, version = marker.partition("\n")
            return _contains(specifier, version, origin)
        from packaging.markers import InvalidMarker, Marker, UndefinedComparison, UndefinedEnvironmentName

        environment = self._lock_env if context == "lock_file" else self._requirement_env
        try:
            return Marker(marker).evaluate(environment, context="lock_file" if context == "lock_file" else "requirement")
        except (InvalidMarker, UndefinedComparison, UndefinedEnvironmentName, RecursionError) as error:
            path, _, line = origin.rpartition(":")
            why = "nested too deeply" if isinstance(error, RecursionError) else error
            shown = marker if len(marker) <= 80 else marker[:79] + "…"
            raise LockgateError(
                f"invalid marker {shown!r}: {why}", path or origin or None, int(line) if line.isdigit() else None
            ) from None


def _contains(specifier: str, version: str, origin: str) -> bool:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        return SpecifierSet(specifier).contains(version, prereleases=True)
    except InvalidSpecifier as error:
        path, _, line = origin.rpartition(":")
        raise LockgateError(f"invalid Python requirement {specifier!r}: {error}", path or origin or None, int(line) if line.isdigit() else None) from None


def _cache_key(environment: dict[str, str], extras: Iterable[str], groups: Iterable[str]) -> dict[str, object]:
    """Everything a marker's result depends on but its text: packaging's version (its
    evaluation rules), the target's marker environment, and the extras and groups selected."""
    import packaging  # its __init__ alone: the version, not the marker machinery

    return {"packaging": packaging.__version__, "environment": environment, "extras": sorted(extras), "groups": sorted(groups)}
