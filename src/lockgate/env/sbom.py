"""A CycloneDX 1.6 SBOM (JSON) of a live environment, made with ``cyclonedx-python-lib``
(``lockgate freeze --format cyclonedx-json``, ``lockgate run --record R --sbom``): one library
component per installed distribution with its name, version and purl (``pkg:pypi/NAME@VERSION``,
with a ``vcs_url`` or ``download_url`` qualifier for a direct URL install); its hashes are the
lock's for that version when a lock is given and lists some, else the sha256 of the installed
``RECORD`` (which lists every installed file's hash; property ``lockgate:hash-of`` says which);
a VCS or folder install has its PEP 610 ``direct_url.json`` source as an external reference.

Spec: https://cyclonedx.org/docs/1.6/json/ ; purl: https://github.com/package-url/purl-spec
"""

from __future__ import annotations

import os

from ..errors import LockgateError

TYPE_CHECKING = False  # not typing's: env stays off typing at run time
if TYPE_CHECKING:
    from cyclonedx.model.component import Component

    from .interpreter import Interpreter
    from .inventory import InstalledDistribution, Inventory

_MISSING = "a CycloneDX SBOM needs lockgate[attest] (cyclonedx-python-lib): pip install 'lockgate[attest]'"
_ALGORITHMS = {"sha256": "SHA-256", "sha384": "SHA-384", "sha512": "SHA-512"}


def sbom_json(interpreter: Interpreter, inventory: Inventory, lockfile: str | None = None) -> str:
    """The CycloneDX 1.6 JSON of ``inventory`` (see the module doc), validated against
    CycloneDX's schema as the library ships it.

    Args:
        interpreter, inventory: the environment (as verify found it).
        lockfile: the lock it was verified against, for its hashes; None: RECORD hashes only.

    Raises:
        LockgateError: cyclonedx-python-lib is missing, the lock cannot be read, or the
            document does not validate (a bug: nothing is written).
    """
    try:
        from cyclonedx.model import Property
        from cyclonedx.model.bom import Bom, BomMetaData
        from cyclonedx.model.component import Component, ComponentType
        from cyclonedx.output.json import JsonV1Dot6
        from cyclonedx.validation.json import JsonStrictValidator
    except ImportError:
        raise LockgateError(_MISSING) from None
    from cyclonedx.schema import SchemaVersion

    from .. import __version__

    locked = _locked_hashes(lockfile) if lockfile else {}
    environment = Component(name=interpreter.prefix, type=ComponentType.PLATFORM, version=interpreter.version, bom_ref="environment",
                            description=f"Python environment of {interpreter.executable}",
                            properties=[Property(name="lockgate:environment-fingerprint", value=inventory.fingerprint()),
                                        Property(name="lockgate:platform", value=interpreter.platform())])  # fmt: skip
    tool = Component(name="lockgate", version=__version__, type=ComponentType.APPLICATION)
    bom = Bom(metadata=BomMetaData(component=environment))
    bom.metadata.tools.components.add(tool)
    for dist in sorted(inventory.distributions.values(), key=lambda d: d.name):
        component = _component(dist, locked.get((dist.name, dist.version), ()))
        bom.components.add(component)
        bom.register_dependency(environment, [component])
    text = JsonV1Dot6(bom).output_as_string(indent=2)
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    if error is not None:
        raise LockgateError(f"the SBOM does not validate against CycloneDX 1.6 (a lockgate bug): {error}")
    return text + "\n"


def _locked_hashes(lockfile: str) -> dict[tuple[str, str], tuple[str, ...]]:
    """``(name, version) -> ("algo:hex", ...)`` of a lock's entries that list hashes."""
    from .readers import read_lockfile

    hashes: dict[tuple[str, str], tuple[str, ...]] = {}
    for entry in read_lockfile(lockfile).packages:
        if entry.name and entry.version and entry.hashes:
            hashes[(entry.name, entry.version)] = hashes.get((entry.name, entry.version), ()) + entry.hashes
    return hashes


def _component(dist: InstalledDistribution, locked: tuple[str, ...]) -> Component:
    from cyclonedx.model import ExternalReference, ExternalReferenceType, HashAlgorithm, HashType, Property, XsUri
    from cyclonedx.model.component import Component
    from packageurl import PackageURL

    qualifiers: dict[str, str] = {}
    references = []
    direct = dist.direct_url()
    if direct is not None and direct.vcs_info is not None:
        source = f"{direct.vcs_info.vcs}+{direct.url}@{direct.vcs_info.commit_id}"
        qualifiers["vcs_url"] = source
        references.append(ExternalReference(type=ExternalReferenceType.VCS, url=XsUri(source), comment="PEP 610 direct_url.json"))
    elif direct is not None:
        editable = direct.dir_info is not None and bool(direct.dir_info.editable)
        qualifiers["download_url"] = direct.url
        kind = ExternalReferenceType.OTHER if direct.dir_info is not None else ExternalReferenceType.DISTRIBUTION
        comment = "PEP 610 direct_url.json: " + ("an editable folder" if editable else "a folder" if direct.dir_info else "an archive")
        references.append(ExternalReference(type=kind, url=XsUri(direct.url), comment=comment))
    hashes, hash_of = [], "none"
    archive = direct.archive_info.hashes if direct is not None and direct.archive_info is not None else None
    pairs = [tuple(item.split(":", 1)) for item in locked if ":" in item] or (list(archive.items()) if archive else [])
    if pairs:
        hash_of = "lock" if locked else "archive (direct_url.json)"
    else:
        record = _record_sha256(dist)
        if record:
            pairs, hash_of = [("sha256", record)], "installed RECORD"
    for algorithm, value in pairs:
        if algorithm in _ALGORITHMS:
            hashes.append(HashType(alg=HashAlgorithm(_ALGORITHMS[algorithm]), content=value))
    purl = PackageURL(type="pypi", name=dist.name, version=dist.version, qualifiers=qualifiers or None)
    return Component(name=dist.name, version=dist.version, purl=purl, bom_ref=purl.to_string(), hashes=hashes, external_references=references,
                     properties=[Property(name="lockgate:hash-of", value=hash_of)])  # fmt: skip


def _record_sha256(dist: InstalledDistribution) -> str | None:
    """sha256 of the distribution's installed RECORD (it lists every installed file's hash), or None."""
    import hashlib

    from .._io import read_regular_file

    try:
        return hashlib.sha256(read_regular_file(os.path.join(dist.metadata_dir, "RECORD"))).hexdigest()
    except OSError:
        return None
