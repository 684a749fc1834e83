"""The installed distributions of an interpreter, read from its site-packages folders.

Names and versions come from ``*.dist-info`` folder names (the wheel spec writes them as
``{name}-{version}.dist-info``, both normalized); METADATA or PKG-INFO is read only for
egg-info and for names that do not split cleanly. ``direct_url.json`` (PEP 610) is read on
demand. Folders named by ``.pth`` path lines are scanned after the site folder, as ``site``
adds them to ``sys.path``; ``import`` lines in ``.pth`` files are never run.

One project counts once per folder, as ``pip list`` and ``importlib.metadata`` count it:
distro packages (Debian's ``python3-cryptography``) ship a ``.dist-info`` and an
``.egg-info`` of one project side by side, and that is one distribution (the ``.dist-info``
is read). Two ``.dist-info`` (or two ``.egg-info``) of one name in one folder, or a pair that
disagrees on the version, is a real duplicate: which one imports is undefined. Across
folders the first on ``sys.path`` wins, as at import.
"""

from __future__ import annotations

import os

from .model import normalize_name

TYPE_CHECKING = False  # not typing's, which costs verify's start-up
if TYPE_CHECKING:
    from collections.abc import Iterable

    from packaging.direct_url import DirectUrl


class InstalledDistribution:
    """One installed distribution.

    Attributes:
        name: PEP 503 normalized name.
        version: the installed version string.
        metadata_dir: the ``.dist-info`` / ``.egg-info`` path.
        site_dir: the folder it was found in.
        from_base: found in a site folder of the base interpreter of a venv made with
            ``--system-site-packages`` (importable from the venv, as pip counts it).
    """

    __slots__ = ("name", "version", "metadata_dir", "site_dir", "from_base", "_direct_url")

    _UNREAD = object()

    def __init__(self, name: str, version: str, metadata_dir: str, site_dir: str, from_base: bool = False):
        self.name = name
        self.version = version
        self.metadata_dir = metadata_dir
        self.site_dir = site_dir
        self.from_base = from_base
        self._direct_url = self._UNREAD

    def direct_url(self) -> DirectUrl | None:
        """The parsed ``direct_url.json`` (PEP 610), or None for an install from an index.

        An unreadable or malformed file (not PEP 610's shape, by ``packaging.direct_url``)
        counts as absent: it cannot prove a URL install.
        """
        if self._direct_url is self._UNREAD:
            self._direct_url = None
            from .._io import read_regular_file

            try:
                data = read_regular_file(os.path.join(self.metadata_dir, "direct_url.json"), 1024 * 1024)
            except OSError:
                return None
            import json

            try:
                parsed = json.loads(data)
            except (ValueError, RecursionError):
                return None
            self._direct_url = _direct_url(parsed)
        return self._direct_url  # type: ignore[return-value]  # _UNREAD was replaced above

    def __repr__(self) -> str:
        return f"InstalledDistribution({self.name!r}, {self.version!r})"


class Inventory:
    """What an interpreter has installed.

    Attributes:
        distributions: normalized name -> the :class:`InstalledDistribution` that Python
            imports (the first found along the site folders).
        duplicates: ``(kept, other)`` pairs for a name installed twice in the same folder
            (a broken upgrade: which one imports is arbitrary).
        site_dirs: the folders scanned, in order.
    """

    __slots__ = ("distributions", "duplicates", "site_dirs", "_checkouts")

    def __init__(self, distributions: dict[str, InstalledDistribution], duplicates: list[tuple[InstalledDistribution, InstalledDistribution]],
                 site_dirs: list[str]) -> None:  # fmt: skip
        self.distributions: dict[str, InstalledDistribution] = distributions
        self.duplicates: list[tuple[InstalledDistribution, InstalledDistribution]] = duplicates
        self.site_dirs: list[str] = site_dirs
        self._checkouts: dict[str, tuple[str | None, str]] = {}

    def checkout_head(self, checkout: str) -> tuple[str | None, str]:
        """``(commit, problem)`` of a git checkout an editable install points at: the commit
        ``git rev-parse HEAD`` gives (problem empty), or None and why it could not be read.
        Asked once per folder."""
        if checkout not in self._checkouts:
            self._checkouts[checkout] = _git_head(checkout)
        return self._checkouts[checkout]

    def fingerprint(self) -> str:
        """``"sha256:<hex>"`` over the sorted ``name==version`` lines: equal sets, equal prints."""
        import hashlib

        lines = sorted(f"{d.name}=={d.version}\n" for d in self.distributions.values())
        return "sha256:" + hashlib.sha256("".join(lines).encode()).hexdigest()


def _git_head(checkout: str) -> tuple[str | None, str]:
    import subprocess

    try:
        from .._io import announce

        announce(["git", "-C", checkout, "rev-parse", "HEAD"])
        head = subprocess.run(["git", "-C", checkout, "rev-parse", "HEAD"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None, f"cannot read the commit of the checkout {checkout} (is git installed?)"
    commit = head.stdout.strip()
    if head.returncode != 0 or not commit:
        return None, f"{checkout} is not a git checkout"
    return commit, ""


def _direct_url(parsed: object) -> DirectUrl | None:
    """``parsed`` as PEP 610 data (``packaging.direct_url``), or None when it has not that shape."""
    from packaging.direct_url import DirectUrl, DirectUrlValidationError

    if not isinstance(parsed, dict):
        return None
    try:
        return DirectUrl.from_dict(parsed)
    except (DirectUrlValidationError, TypeError, ValueError):
        return None


def scan_inventory(site_dirs: list[str], base_site_dirs: Iterable[str] = ()) -> Inventory:
    """Find every installed distribution in ``site_dirs`` and the folders their ``.pth`` files add.

    Args:
        site_dirs: site-packages folders in ``sys.path`` order; missing ones are skipped.
        base_site_dirs: those of ``site_dirs`` that belong to the base interpreter of a
            ``--system-site-packages`` venv; what they (and folders their ``.pth`` files
            name) hold is marked ``from_base``.

    Returns:
        An :class:`Inventory`.
    """
    found: dict[str, InstalledDistribution] = {}
    duplicates: list[tuple[InstalledDistribution, InstalledDistribution]] = []
    base = set(base_site_dirs)
    queue = list(dict.fromkeys(site_dirs))
    scanned: list[str] = []
    position = 0
    while position < len(queue):
        folder = queue[position]
        position += 1
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            continue
        scanned.append(folder)
        in_this_folder: dict[str, InstalledDistribution] = {}
        for entry in names:
            if entry.endswith(".pth"):
                added = [p for p in _pth_folders(folder, entry) if p not in queue]
                queue.extend(added)
                if folder in base:
                    base.update(added)
                continue
            dist = _read_distribution(folder, entry, folder in base)
            if dist is None:
                continue
            kept = in_this_folder.get(dist.name)
            if kept is not None:
                if _one_project(kept, dist):
                    if dist.metadata_dir.endswith(".dist-info"):
                        in_this_folder[dist.name] = dist  # the .dist-info is what pip reads
                        if found[dist.name] is kept:
                            found[dist.name] = dist
                else:
                    duplicates.append((kept, dist))
                continue
            in_this_folder[dist.name] = dist
            found.setdefault(dist.name, dist)
    # A duplicate in a folder later on sys.path is shadowed: it is never imported.
    imported = [(kept, other) for kept, other in duplicates if found[kept.name].site_dir == kept.site_dir]
    return Inventory(found, imported, scanned)


def _one_project(a: InstalledDistribution, b: InstalledDistribution) -> bool:
    """A ``.dist-info`` beside an ``.egg-info`` of the same version: one install, as distro
    packages lay it out."""
    return a.metadata_dir.endswith(".dist-info") != b.metadata_dir.endswith(".dist-info") and a.version == b.version


def _read_distribution(folder: str, entry: str, from_base: bool) -> InstalledDistribution | None:
    if entry.endswith(".dist-info"):
        stem = entry[: -len(".dist-info")]
        name, sep, version = stem.partition("-")
        path = folder + os.sep + entry
        if sep and version and "-" not in version:
            return InstalledDistribution(_normalize_folder_name(name), version, path, folder, from_base)
        return _from_metadata_file(os.path.join(path, "METADATA"), path, folder, from_base)
    if entry.endswith(".egg-info"):
        path = os.path.join(folder, entry)
        metadata = os.path.join(path, "PKG-INFO") if os.path.isdir(path) else path
        return _from_metadata_file(metadata, path, folder, from_base)
    return None


def _normalize_folder_name(name: str) -> str:
    """PEP 503 form of a dist-info name; most are one ``lower``/``replace`` away from it."""
    quick = name.lower().replace("_", "-").replace(".", "-")
    return quick if "--" not in quick else normalize_name(name)


def _from_metadata_file(metadata: str, path: str, folder: str, from_base: bool) -> InstalledDistribution | None:
    """Name and Version from a core metadata file's header fields."""
    from .._io import read_regular_file

    name = version = None
    try:
        text = read_regular_file(metadata).decode("utf-8", "replace")
    except OSError:
        return None
    for line in text.splitlines():
        if not line.strip():
            break  # the body (description) follows the headers
        key, _, value = line.partition(":")
        key = key.strip().lower()
        if key == "name":
            name = value.strip()
        elif key == "version":
            version = value.strip()
        if name and version:
            break
    if not name or not version:
        return None
    return InstalledDistribution(normalize_name(name), version, path, folder, from_base)


def _pth_folders(folder: str, entry: str) -> list[str]:
    """Existing folders named by path lines of a ``.pth`` file, as ``site.addpackage`` reads them."""
    folders: list[str] = []
    try:
        with open(os.path.join(folder, entry), encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return folders
    for line in lines:
        if not line.strip() or line.startswith("#") or line.startswith(("import ", "import\t")):
            continue
        candidate = os.path.normpath(os.path.join(folder, line.rstrip()))
        if os.path.isdir(candidate):
            folders.append(candidate)
    return folders
