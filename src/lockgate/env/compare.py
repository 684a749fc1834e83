"""Comparison of a lockfile with an installed environment: one finding per locked entry and
per installed distribution, each made once and final: duplicate installs, CPU-only violations
and installed-file problems (from a file check run before) are part of it, not patched in later.
Comparison reads nothing itself; what it needs from disk comes from the inventory.

Version equality is PEP 440's (``1.0`` equals ``1.0.0``); packaging.version is imported only
when the two strings differ. A VCS entry matches on the commit in ``direct_url.json``
(PEP 610), a URL entry on its URL or archive hash, a directory entry on its folder and
editable flag.
"""

from __future__ import annotations

import os

from ..report import EXTRA, MATCHED, MISMATCHED, MISSING, MODIFIED, NOT_APPLICABLE, NOT_CPU_ONLY, SKIPPED, STALE, UNVERIFIABLE, Finding
from ..urls import comparable
from .inventory import InstalledDistribution, Inventory
from .model import INDEX, URL, VCS, LockedPackage, Lockfile

TYPE_CHECKING = False  # not typing's: importing typing costs verify's start-up 2.5 ms
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from packaging.direct_url import DirectUrl

    from .integrity import DistributionIntegrity
    from .markers import MarkerEvaluator
    from .model import Source


class CompareOptions:
    """How strictly to compare.

    Attributes:
        skip: normalized names to leave unchecked (status ``skipped``).
        allow_missing: locked entries that are not installed do not fail.
        strict: extra distributions fail, and so do differences PEP 440 forgives (a local
            version ``+cu121`` the lock does not name, an index pin installed from a URL).
        extras: extras selected (pylock.toml markers).
        groups: dependency groups selected (pylock.toml markers); None means the lock's
            default groups.
        cpu_only: a CUDA distribution or non-CPU PyTorch build that applies here (locked or
            installed) is ``not_cpu_only`` (:mod:`lockgate.env.cpu_only`), or stays
            ``mismatched`` with the reason added when its version differs too.
    """

    __slots__ = ("skip", "allow_missing", "strict", "extras", "groups", "cpu_only")

    def __init__(self, *, skip: Iterable[str] = frozenset(), allow_missing: bool = False, strict: bool = False, extras: Iterable[str] = (),
                 groups: Iterable[str] | None = None, cpu_only: bool = False) -> None:  # fmt: skip
        self.skip = frozenset(skip)
        self.allow_missing = allow_missing
        self.strict = strict
        self.extras = tuple(extras)
        self.groups = None if groups is None else tuple(groups)
        self.cpu_only = cpu_only


def compare(lockfile: Lockfile, inventory: Inventory, environment: Callable[[], dict[str, str]], options: CompareOptions, *,
            files: dict[str, DistributionIntegrity] | None = None) -> list[Finding]:  # fmt: skip
    """Compare a lockfile with what is installed (:class:`Comparison` in one call)."""
    return Comparison(lockfile, inventory, environment, options).findings(files)


class Comparison:
    """One lockfile against one environment.

    Args:
        lockfile: the parsed lock.
        inventory: the target's installed distributions.
        environment: a zero-argument callable returning the target's marker environment
            (called only if a marker, a Python requirement or ``cpu_only`` needs it).
        options: :class:`CompareOptions`.

    Raises (from its methods):
        LockgateError: a marker in the lock is invalid.
    """

    def __init__(self, lockfile: Lockfile, inventory: Inventory, environment: Callable[[], dict[str, str]], options: CompareOptions) -> None:
        self.lockfile = lockfile
        self.inventory = inventory
        self.options = options
        self._environment = environment
        self._groups = options.groups if options.groups is not None else lockfile.options.get("default_groups", ())
        self._evaluator: MarkerEvaluator | None = None
        self._installed_directories: dict[str, InstalledDistribution] | None = None
        self._rows: list[tuple[LockedPackage, bool, InstalledDistribution | None]] | None = None

    def evaluator(self) -> MarkerEvaluator:
        if self._evaluator is None:
            from .markers import MarkerEvaluator

            self._evaluator = MarkerEvaluator(self._environment(), self.options.extras, self._groups, cached=True)
        return self._evaluator

    def save_marker_results(self) -> None:
        """Keep the marker results evaluated for this comparison in lockgate's marker cache."""
        if self._evaluator is not None:
            self._evaluator.save()

    def rows(self) -> list[tuple[LockedPackage, bool, InstalledDistribution | None]]:
        """``(entry, applies, installed)`` per lock entry: whether it applies here (or is
        skipped) and the installed distribution it accounts for."""
        if self._rows is None:
            entries = self.lockfile.packages
            applies = [entry.name in self.options.skip or self._applies(entry) for entry in entries]
            self._rows = [(entry, ok, self._installed_for(entry) if ok else None) for entry, ok in zip(entries, applies)]
        return self._rows

    def selects_anything(self) -> bool:
        """Does any lock entry apply to the target (skipped ones count; a constraint that is
        not installed does not)?"""
        return any(ok and not (dist is None and entry.constraint_only) for entry, ok, dist in self.rows())

    def locked_installed(self) -> list[InstalledDistribution]:
        """The installed distributions a lock entry that applies here (and is not skipped)
        accounts for: what ``--integrity`` checks."""
        found = {dist.name: dist for entry, ok, dist in self.rows() if ok and dist is not None and entry.name not in self.options.skip}
        return list(found.values())

    def findings(self, files: dict[str, DistributionIntegrity] | None = None) -> list[Finding]:
        """Every finding, final: in lock order, then installed distributions the lock does not name.

        Args:
            files: name -> :class:`~lockgate.env.integrity.DistributionIntegrity` of a file
                check already run, or None; folded into those distributions' findings
                (``modified`` / ``unverifiable``).
        """
        findings = self._python_findings()
        rows = self.rows()
        claimed = {entry.name for entry, ok, _ in rows if ok and entry.name}
        claimed.update(dist.name for _, _, dist in rows if dist is not None)
        for entry, ok, dist in rows:
            if entry.name in self.options.skip:
                found = dist.version if dist else None
                findings.append(Finding(SKIPPED, entry.subject, entry.expected(), found, "skipped by request"))
            elif ok:
                findings.append(self._finish(self._check_entry(entry, dist), dist, files))
            elif entry.name in self.inventory.distributions and entry.name not in claimed:
                claimed.add(entry.name)  # installed, but locked only for other environments: one `extra` row
                other = self.inventory.distributions[entry.name]
                findings.append(self._finish(self._unlocked(other, entry), other, files))
            else:
                message = f"marker is false here: {entry.marker}"
                findings.append(Finding(NOT_APPLICABLE, entry.subject, entry.expected(), None, message))
        for dist in self.inventory.distributions.values():
            if dist.name not in claimed:
                findings.append(self._finish(self._unlocked(dist, None), dist, files))
        return findings

    def _finish(self, finding: Finding, dist: InstalledDistribution | None, files: dict[str, DistributionIntegrity] | None) -> Finding:
        """The finding with what else is known of its distribution: installed twice, not
        CPU-only, its files."""
        if finding.status == SKIPPED:
            return finding
        if dist is not None and dist.from_base and finding.status != MATCHED:  # a plain match stays a quiet row
            finding = finding.replace(message=_joined(finding.message, "from the base interpreter"))
        finding = self._with_duplicate(finding)
        if self.options.cpu_only:
            finding = self._with_cpu_only(finding, dist)
        if files and dist is not None and dist.name in files:
            finding = _with_files(finding, files[dist.name], self.options.strict)
        return finding

    def _with_duplicate(self, finding: Finding) -> Finding:
        for kept, other in self.inventory.duplicates:
            if kept.name == finding.subject:
                message = f"installed twice in {kept.site_dir}; which one imports is undefined: reinstall it"
                return finding.replace(status=MISMATCHED, found=f"{kept.version} and {other.version}", message=message, fails=True)
        return finding

    def _with_cpu_only(self, finding: Finding, dist: InstalledDistribution | None) -> Finding:
        from .cpu_only import cpu_only_problem

        if finding.status not in (MATCHED, MISMATCHED, MISSING, EXTRA):
            return finding
        version = dist.version if dist else finding.expected
        problem = cpu_only_problem(finding.subject, version, self._environment()["sys_platform"] == "linux")
        if not problem:
            return finding
        status = MISMATCHED if finding.status == MISMATCHED else NOT_CPU_ONLY  # a version mismatch stays the headline
        return finding.replace(status=status, fails=True, message=_joined(finding.message, problem))

    def _applies(self, entry: LockedPackage) -> bool:
        return self.evaluator().applies(entry.marker, entry.marker_context, entry.origin) if entry.marker else True

    def _python_findings(self) -> list[Finding]:
        """PEP 751 ``requires-python`` and ``environments``: does the lock cover this interpreter?
        And is a uv.lock still its project's lock?"""
        stale = self.lockfile.options.get("stale")
        findings = [Finding(STALE, self.lockfile.path, None, None, f"the lock no longer describes its project: {stale}", fails=True)] if stale else []
        requires = self.lockfile.options.get("requires_python")
        if requires:
            version = self._environment()["python_full_version"]
            if not self.evaluator().contains(requires, version, self.lockfile.path):
                findings.append(
                    Finding(MISMATCHED, "requires-python", requires, version, "the lock is not for this Python", fails=True)
                )
        environments = self.lockfile.options.get("environments") or ()
        if environments and not any(self.evaluator().applies(m, "requirement", self.lockfile.path) for m in environments):
            findings.append(
                Finding(
                    MISMATCHED, "environments", " or ".join(environments), _describe_platform(self._environment()),
                    "the lock does not cover this environment", fails=True,
                )
            )  # fmt: skip
        return findings

    def _check_entry(self, entry: LockedPackage, installed: InstalledDistribution | None) -> Finding:
        """The finding for an entry that applies here and is not skipped."""
        if installed is None:
            if entry.constraint_only:
                return Finding(NOT_APPLICABLE, entry.subject, entry.expected(), None, "a constraint only; not installed")
            message = "not installed" + ("; allowed by --allow-missing" if self.options.allow_missing else "")
            return Finding(MISSING, entry.subject, entry.expected(), None, message, fails=not self.options.allow_missing)
        python = self._environment()["python_full_version"] if entry.requires_python else None
        if python and entry.requires_python and not self.evaluator().contains(entry.requires_python, python, entry.origin):
            message = f"the lock's entry needs Python {entry.requires_python}"
            return Finding(MISMATCHED, entry.subject, entry.expected(), installed.version, message, fails=True)
        return self._match(entry, installed)

    def _installed_for(self, entry: LockedPackage) -> InstalledDistribution | None:
        if entry.name:
            return self.inventory.distributions.get(entry.name)
        return self._installed_from_directory(entry.source.path)

    def _installed_from_directory(self, path: str | None) -> InstalledDistribution | None:
        """The distribution installed from a local folder (for ``-e .`` entries without a name)."""
        if self._installed_directories is None:
            self._installed_directories = {}
            for dist in self.inventory.distributions.values():
                local = _local_path(dist.direct_url())
                if local:
                    self._installed_directories.setdefault(os.path.realpath(local), dist)
        return self._installed_directories.get(os.path.realpath(path)) if path else None

    def _unlocked(self, dist: InstalledDistribution, other_environment: LockedPackage | None) -> Finding:
        if dist.name in self.options.skip:
            return Finding(SKIPPED, dist.name, None, dist.version, "skipped by request")
        if other_environment is not None:
            unselected = self._unselected(other_environment)
            message = unselected or f"installed, but the lock names it only where {other_environment.marker}"
        else:
            message = "installed, not in the lock"
        return Finding(EXTRA, dist.name, None, dist.version, message, fails=self.options.strict)

    def _unselected(self, entry: LockedPackage) -> str:
        """``locked under extra 'yaml', not selected`` when selecting one more of the lock's
        extras or groups would make ``entry`` apply here; else empty."""
        from .markers import MarkerEvaluator

        extras, groups = self.options.extras, tuple(self._groups)
        candidates = [("extra", name, (*extras, name), groups) for name in self.lockfile.options.get("extras") or () if name not in extras]
        candidates += [("group", name, extras, (*groups, name)) for name in self.lockfile.options.get("dependency_groups") or ()
                       if name not in groups]  # fmt: skip
        for kind, name, with_extras, with_groups in candidates:
            if MarkerEvaluator(self._environment(), with_extras, with_groups).applies(entry.marker, entry.marker_context, entry.origin):
                return f"installed; locked under {kind} '{name}', not selected (--{kind} {name})"
        return ""

    def _match(self, entry: LockedPackage, installed: InstalledDistribution) -> Finding:
        kind = entry.source.kind
        if kind == INDEX:
            return self._match_index(entry, installed)
        version_problem = entry.version and not _versions_equal(entry.version, installed.version, False)
        direct_url = installed.direct_url()
        if kind == VCS:
            verdict = _vcs_verdict(entry, direct_url, self.inventory)
        elif kind == URL:
            verdict = _url_verdict(entry, direct_url)
        else:
            verdict = _directory_verdict(entry, direct_url)
        found = _describe_install(installed, direct_url)
        if version_problem:
            return Finding(MISMATCHED, entry.subject, entry.expected(), found, f"version {installed.version} installed", fails=True)
        problem, note = verdict
        if problem:
            return Finding(MISMATCHED, entry.subject, entry.expected(), found, problem, fails=True)
        return Finding(MATCHED, entry.subject, entry.expected(), found, note or "", fails=False)

    def _match_index(self, entry: LockedPackage, installed: InstalledDistribution) -> Finding:
        expected = entry.expected()
        equal = _versions_equal(entry.version or "", installed.version, entry.arbitrary)
        if equal is False:
            return Finding(MISMATCHED, entry.subject, expected, installed.version, "", fails=True)
        notes = []
        if equal == "local":
            notes.append(f"local version {installed.version} where the lock pins {entry.version}")
        if self.options.strict:
            direct_url = installed.direct_url()
            if direct_url is not None:
                notes.append(f"installed from {direct_url.url}, the lock pins an index release")
        strict_note = "; ".join(notes)
        if strict_note and self.options.strict:
            strict_note += " (fails with --strict)"
        return Finding(MATCHED, entry.subject, expected, installed.version, strict_note, fails=bool(notes) and self.options.strict)


_PROBLEM_WORDS = {"hash": "changed", "size": "resized", "outside": "outside the environment"}


def _with_files(finding: Finding, integrity: DistributionIntegrity, strict: bool) -> Finding:
    """A distribution whose files differ becomes ``modified`` (a version mismatch stays the
    headline); one without RECORD becomes ``unverifiable``."""
    from collections import Counter

    details = finding.details
    if not integrity.has_record:
        note, status, fails = "no RECORD: its files cannot be verified", UNVERIFIABLE, strict
    elif integrity.problems:
        counts = Counter(_PROBLEM_WORDS.get(p["problem"], p["problem"]) for p in integrity.problems)
        note = "files: " + ", ".join(f"{n} {words}" for words, n in counts.items())
        status, fails = (MODIFIED, True) if integrity.modified else (finding.status, False)
        details = {**(details or {}), "files": integrity.problems}
    else:
        return finding
    return finding.replace(
        status=finding.status if finding.status == MISMATCHED else status,
        message=_joined(finding.message, note), fails=finding.fails or fails, details=details,
    )  # fmt: skip


def _joined(message: str, note: str) -> str:
    return f"{message}; {note}" if message else note


def _versions_equal(locked: str, installed: str, arbitrary: bool) -> bool | str:
    """True, False, or ``"local"`` (equal under PEP 440 but for a local label the lock lacks)."""
    if arbitrary:
        return locked.lower() == installed.lower()
    if locked == installed:
        return True
    from packaging.version import InvalidVersion, Version

    try:
        want, have = Version(locked), Version(installed)
    except InvalidVersion:
        return False
    if want == have:
        return True
    if want.local is None and have.local is not None and Version(have.public) == want:
        return "local"
    return False


def _vcs_verdict(entry: LockedPackage, direct_url: DirectUrl | None, inventory: Inventory) -> tuple[str, str]:
    """(problem, note) for a VCS entry; an empty problem means matched."""
    source = entry.source
    if direct_url is None:
        return "installed from an index, not from the locked repository", ""
    vcs_info = direct_url.vcs_info
    if vcs_info is None:
        if direct_url.dir_info is not None and direct_url.dir_info.editable and source.editable:
            return _editable_checkout_verdict(source, _local_path(direct_url), inventory)
        return f"installed from {direct_url.url}, not from the locked repository", ""
    if _normalize_repo_url(direct_url.url) != _normalize_repo_url(source.url or ""):
        return f"installed from {direct_url.url}", ""
    installed_commit = vcs_info.commit_id or ""
    if source.commit:
        if installed_commit.lower() != source.commit.lower():
            return f"commit {installed_commit[:12]} installed, the lock pins {source.commit[:12]}", ""
        return "", ""
    requested = vcs_info.requested_revision
    if source.requested_revision and requested != source.requested_revision:
        return f"revision {requested or 'default'} installed, the lock names {source.requested_revision}", ""
    return "", f"the lock names {source.requested_revision or 'no revision'}, not a commit; installed commit {installed_commit[:12]}"


def _editable_checkout_verdict(source: Source, checkout: str | None, inventory: Inventory) -> tuple[str, str]:
    """pip installs ``-e git+URL@SHA`` as an editable checkout: compare that checkout's HEAD."""
    if not checkout:
        return "editable install without a local checkout", ""
    commit, problem = inventory.checkout_head(checkout)
    if commit is None:
        return problem, ""
    wanted = source.commit or source.requested_revision
    if source.commit and commit.lower() != source.commit.lower():
        return f"checkout {checkout} is at {commit[:12]}, the lock pins {source.commit[:12]}", ""
    return "", "" if source.commit else f"checkout at {commit[:12]}; the lock names {wanted}, not a commit"


def _url_verdict(entry: LockedPackage, direct_url: DirectUrl | None) -> tuple[str, str]:
    source = entry.source
    if direct_url is None:
        return "installed from an index, not from the locked URL", ""
    archive = direct_url.archive_info.hashes if direct_url.archive_info else None  # packaging folds the legacy `hash` in
    installed_hashes = {f"{algo}:{value}".lower() for algo, value in (archive or {}).items()}
    if installed_hashes & {h.lower() for h in entry.hashes}:
        return "", ""
    local = _local_path(direct_url)
    if source.path and local and _same_file(source.path, local):
        return "", ""
    if source.url and comparable(direct_url.url) == comparable(source.url):
        return "", ""
    return f"installed from {direct_url.url}", ""


def _directory_verdict(entry: LockedPackage, direct_url: DirectUrl | None) -> tuple[str, str]:
    source = entry.source
    installed_path = _local_path(direct_url)
    if direct_url is None or installed_path is None or direct_url.dir_info is None:
        where = direct_url.url if direct_url else "an index"
        return f"installed from {where}, not from {source.path}", ""
    if source.path and not _same_file(installed_path, source.path):
        return f"installed from {installed_path}", ""
    editable = bool(direct_url.dir_info.editable)
    if editable != source.editable:
        return ("installed editable; the lock asks for a regular install" if editable else "installed as a copy; the lock asks for -e"), ""
    return "", ""


def _describe_install(installed: InstalledDistribution, direct_url: DirectUrl | None) -> str:
    if direct_url is None:
        return installed.version
    vcs_info = direct_url.vcs_info
    if vcs_info:
        return f"{installed.version} ({vcs_info.vcs or 'git'}+{direct_url.url}@{vcs_info.commit_id or '?'})"
    if direct_url.dir_info is not None and direct_url.dir_info.editable:
        return f"{installed.version} (-e {_local_path(direct_url) or direct_url.url})"
    return f"{installed.version} ({direct_url.url})"


def _local_path(direct_url: DirectUrl | None) -> str | None:
    if direct_url is None or not direct_url.url.startswith("file:"):
        return None
    from urllib.parse import unquote, urlsplit

    return unquote(urlsplit(direct_url.url).path)


def _same_file(a: str, b: str) -> bool:
    return os.path.realpath(a) == os.path.realpath(b)


def _normalize_repo_url(url: str) -> str:
    """Compare repositories, not spellings: no ``git+``, credentials, ``.git`` or trailing slash."""
    if "+" in url.split("://", 1)[0]:
        url = url.split("+", 1)[1]
    url = comparable(url).rstrip("/")
    return url[:-4] if url.endswith(".git") else url


def _describe_platform(environment: dict[str, str]) -> str:
    return f"{environment.get('sys_platform')} {environment.get('platform_machine')} Python {environment.get('python_full_version')}"
