"""Tiny, valid wheels for tests and benchmarks (wheel spec 1.0, RECORD with sha256)."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path


def record_hash(data: bytes) -> str:
    """The RECORD form of a sha256: ``sha256=<urlsafe base64, no padding>``."""
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def make_wheel(
    folder: Path,
    name: str,
    version: str,
    *,
    requires: tuple[str, ...] = (),
    extras: dict[str, tuple[str, ...]] | None = None,
    files: dict[str, bytes] | None = None,
    tag: str = "py3-none-any",
) -> Path:
    """Write ``{name}-{version}-{tag}.whl`` into ``folder`` and return its path.

    Args:
        name: distribution name as written in METADATA (the file name uses its escaped form).
        requires: Requires-Dist lines (PEP 508).
        extras: extra name -> requirements added under ``extra == NAME``.
        files: path in the wheel -> bytes; default is one module ``{module}/__init__.py``.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    escaped = name.replace("-", "_").replace(".", "_")
    dist_info = f"{escaped}-{version}.dist-info"
    metadata = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    metadata += [f"Requires-Dist: {r}" for r in requires]
    for extra, extra_requires in (extras or {}).items():
        metadata.append(f"Provides-Extra: {extra}")
        metadata += [f'Requires-Dist: {r} ; extra == "{extra}"' for r in extra_requires]
    contents = dict(files or {f"{escaped.lower()}/__init__.py": f"__version__ = {version!r}\n".encode()})
    contents[f"{dist_info}/METADATA"] = ("\n".join(metadata) + "\n").encode()
    contents[f"{dist_info}/WHEEL"] = f"Wheel-Version: 1.0\nGenerator: lockgate-tests\nRoot-Is-Purelib: true\nTag: {tag}\n".encode()
    record = "".join(f"{path},{record_hash(data)},{len(data)}\n" for path, data in contents.items())
    contents[f"{dist_info}/RECORD"] = (record + f"{dist_info}/RECORD,,\n").encode()
    target = folder / f"{escaped}-{version}-{tag}.whl"
    with zipfile.ZipFile(target, "w") as archive:
        for path, data in contents.items():
            archive.writestr(path, data)
    return target
