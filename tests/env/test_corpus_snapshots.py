"""Each corpus lockfile's parse, pinned entry by entry: a reader change that alters what any
real file means shows up here as a diff. LOCKGATE_UPDATE_SNAPSHOTS=1 rewrites the snapshots."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import CORPUS

from lockgate.errors import LockgateError
from lockgate.readers import read_lockfile

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
FILES = sorted(p.relative_to(CORPUS).as_posix() for p in CORPUS.glob("*/*") if p.suffix in (".txt", ".lock", ".toml") and "pyproject" not in p.name)


def describe(path: Path) -> str:
    """One line per entry: name, version, extras, marker, source, hash count, FILE:LINE."""
    try:
        lock = read_lockfile(str(path))
    except LockgateError as error:
        return f"error: {str(error).replace(str(CORPUS), '<corpus>')}\n"
    lines = [f"format {lock.format}; options {sorted((k, repr(v)) for k, v in lock.options.items())}"]
    for entry in lock.packages:
        origin = (entry.origin or "").replace(str(CORPUS), "<corpus>")
        source = entry.source.describe().replace(str(CORPUS), "<corpus>")
        extras = f"[{','.join(entry.extras)}]" if entry.extras else ""
        lines.append(f"{entry.name}{extras} {'===' if entry.arbitrary else '=='}{entry.version} ; {entry.marker or '-'} | {source}"
                     f"{' editable' if entry.source.editable else ''} | {len(entry.hashes)} hashes | {origin}")  # fmt: skip
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("name", FILES)
def test_corpus_parse_matches_its_snapshot(corpus, name):
    snapshot = SNAPSHOTS / (name.replace("/", "__") + ".txt")
    text = describe(corpus / name)
    if os.environ.get("LOCKGATE_UPDATE_SNAPSHOTS"):
        snapshot.write_text(text)
    assert snapshot.exists(), f"no snapshot for {name}: run with LOCKGATE_UPDATE_SNAPSHOTS=1 and review it"
    assert text == snapshot.read_text()
