"""How and from what a lockfile was made, written into the lockfile itself.

In a requirements.txt, as comment lines after uv's header (pip and uv ignore comments)::

    # lockgate: generated-by=lockgate 0.1.0; uv 0.13.9
    # lockgate: pyproject=pyproject.toml
    # lockgate: options=--extra full --torch-backend cpu
    # lockgate: inputs-sha256=<hex>
    # lockgate: uv-settings={"environment":{"UV_EXCLUDE_NEWER":"2025-01-01"}}
    # lockgate: body-sha256=<hex>

``uv-settings`` (present only when there are any) is canonical JSON of the uv settings from
outside the command line that steered the resolution (:mod:`lockgate.lock.uv_settings`).

In a pylock.toml, as the ``[tool.lockgate]`` table at the end of the file (PEP 751 reserves
``[tool]`` for tools), with the same keys (``options`` a list of strings).

``inputs-sha256`` covers what resolution reads from the pyproject (:func:`dependency_inputs`)
and the content of each ``--constraint`` file; ``body-sha256`` covers the whole lockfile but its
own line (:func:`lock_sha256`): the body (every line but the provenance lines; for pylock.toml,
everything before ``[tool.lockgate]``), then the other provenance lines, each part joined with
``\\n`` and without trailing blank lines, so a checkout that turns LF into CRLF does not count as
an edit. Locks written before the provenance was covered recorded the body's hash alone
(:func:`body_sha256`); they are still read and checked as they were.
"""

from __future__ import annotations

import hashlib
import json
from enum import Enum
from typing import Any

REQUIREMENTS_PREFIX = "# lockgate: "
PYLOCK_TABLE = "[tool.lockgate]"



class Provenance:
    """The provenance record of one lockfile.

    Attributes:
        generated_by: ``"lockgate X; uv Y"``.
        pyproject: the pyproject's path relative to the lockfile's folder, ``/``-separated.
        options: the ``lockgate generate`` options that made it (no output path), canonical order.
        inputs_sha256: hex sha256 of :func:`dependency_inputs` as canonical JSON.
        body_sha256: hex sha256 of the lockfile but this line (:func:`lock_sha256`), or, in a lock
            written before the provenance was covered, of its body alone (:func:`body_sha256`).
        uv_settings: the uv settings from the environment and configuration files that steered
            the resolution (:func:`lockgate.lock.uv_settings.resolution_settings`); ``{}`` when none.
    """

    __slots__ = ("generated_by", "pyproject", "options", "inputs_sha256", "body_sha256", "uv_settings")

    def __init__(self, generated_by: str, pyproject: str, options: list[str], inputs_sha256: str, body_sha256: str = "",
                 uv_settings: dict[str, Any] | None = None):  # fmt: skip
        self.generated_by = generated_by
        self.pyproject = pyproject
        self.options = list(options)
        self.inputs_sha256 = inputs_sha256
        self.body_sha256 = body_sha256
        self.uv_settings = uv_settings or {}


class Integrity(Enum):
    """Does a lockfile still match its recorded ``body-sha256``?"""

    INTACT = "intact"  #: as lockgate wrote it, provenance lines included
    BODY_ONLY = "body-only"  #: an earlier lockgate's lock (body hash alone), its body as written
    EDITED = "edited"  #: the body or a provenance line changed since


def integrity(text: str, format: str, provenance: Provenance) -> Integrity:
    """How ``text`` (a lockfile whose provenance is ``provenance``) compares with its hash.

    A lock whose recorded hash is its body's alone was written before the provenance lines were
    covered: it is :attr:`Integrity.BODY_ONLY`, checked as it was then (the next
    ``lockgate generate`` covers it). A current lock never matches that way, so deleting an
    option from it is :attr:`Integrity.EDITED`.
    """
    if lock_sha256(text, format) == provenance.body_sha256:
        return Integrity.INTACT
    if body_sha256(text, format) == provenance.body_sha256:
        return Integrity.BODY_ONLY
    return Integrity.EDITED


def dependency_inputs(document: dict[str, Any], path: str | None = None) -> dict[str, Any]:
    """What resolution reads from a parsed pyproject.toml.

    Returns:
        ``{"name", "requires-python", "dependencies", "optional-dependencies",
        "dependency-groups", "dynamic", "tool.uv"}``: the project's own fields (PEP 621,
        PEP 735), which of dependencies / optional-dependencies are dynamic (their values live
        in a build backend, out of lockgate's sight), and the ``[tool.uv]`` settings that steer
        resolution (:data:`lockgate.lock.uv_settings.RESOLUTION_KEYS`: sources, indexes,
        environments, constraints, overrides, exclude-newer, prerelease…).

    Raises:
        LockgateError: ``project``, ``tool`` or ``tool.uv`` is not a table (naming ``path``).
    """
    from ..shapes import string_list, table
    from .uv_settings import RESOLUTION_KEYS

    project = table(document.get("project"), "project", path)
    uv = table(table(document.get("tool"), "tool", path).get("uv"), "tool.uv", path)
    dynamic = string_list(project.get("dynamic"), "project.dynamic", path)
    return {
        "name": project.get("name"),
        "requires-python": project.get("requires-python"),
        "dependencies": project.get("dependencies"),
        "optional-dependencies": project.get("optional-dependencies"),
        "dependency-groups": document.get("dependency-groups"),
        "dynamic": [field for field in dynamic if field in ("dependencies", "optional-dependencies")],
        "tool.uv": {key: uv[key] for key in sorted(RESOLUTION_KEYS) if key in uv},
    }


def inputs_sha256(document: dict[str, Any], path: str | None = None, *, constraints: dict[str, str] | None = None) -> str:
    """Hex sha256 of :func:`dependency_inputs` as JSON with sorted keys and no spaces.

    ``constraints`` (recorded path -> text of each ``--constraint`` file), when there are any,
    is added under ``"constraints"`` as path -> hex sha256 of the text (lines joined with
    ``\\n``, trailing blank lines dropped); without them the hash is what it always was.
    """
    inputs = dependency_inputs(document, path)
    if constraints:
        inputs["constraints"] = {name: hashlib.sha256(_canonical(text).encode()).hexdigest() for name, text in constraints.items()}
    canonical = json.dumps(inputs, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def body_sha256(text: str, format: str) -> str:
    """Hex sha256 of a lockfile's text without its provenance (``format``: ``requirements.txt``
    or ``pylock.toml``): what ``body-sha256`` recorded before it covered the provenance too."""
    body = split_provenance(text, format)[0]
    return hashlib.sha256(_canonical(body).encode()).hexdigest()


def lock_sha256(text: str, format: str) -> str:
    """Hex sha256 of a lockfile's text without its ``body-sha256`` line: what ``body-sha256``
    records (see the module doc), so an edit of any provenance line shows, not only of the body."""
    body, provenance = split_provenance(text, format)
    covered = "".join(line for line in provenance.splitlines(True) if not _is_hash_line(line, format))
    return hashlib.sha256(f"{_canonical(body)}\n{_canonical(covered)}".encode()).hexdigest()


def _canonical(text: str) -> str:
    return "\n".join(text.rstrip().splitlines())


def _is_hash_line(line: str, format: str) -> bool:
    if format == "pylock.toml":
        return line.partition("=")[0].strip() == "body-sha256"
    return line.startswith(f"{REQUIREMENTS_PREFIX}body-sha256=")


def split_provenance(text: str, format: str) -> tuple[str, str]:
    """``(body, provenance text)`` of a lockfile; the provenance part is empty when absent."""
    lines = text.splitlines(keepends=True)
    if format == "pylock.toml":
        for index, line in enumerate(lines):
            if line.strip() == PYLOCK_TABLE:
                return "".join(lines[:index]).rstrip("\r\n") + "\n", "".join(lines[index:])
        return text, ""
    mine = [line for line in lines if line.startswith(REQUIREMENTS_PREFIX)]
    return "".join(line for line in lines if not line.startswith(REQUIREMENTS_PREFIX)), "".join(mine)


def stamp(body: str, format: str, provenance: Provenance) -> str:
    """The lockfile text: ``body`` (as uv wrote it) with ``provenance`` added; sets
    ``provenance.body_sha256`` (:func:`lock_sha256` of the result)."""
    unsigned = _with_fields(body, format, _fields(provenance))
    provenance.body_sha256 = lock_sha256(unsigned, format)
    return _with_fields(body, format, {**_fields(provenance), "body-sha256": provenance.body_sha256})


def _with_fields(body: str, format: str, fields: dict[str, Any]) -> str:
    if format == "pylock.toml":
        table = "".join(f"{key} = {_toml_value(value)}\n" for key, value in fields.items())
        return f"{body.rstrip()}\n\n{PYLOCK_TABLE}\n{table}"
    from shlex import join

    fields = {**fields, "options": join(fields["options"])}
    lines = body.splitlines(keepends=True)
    header = 0
    while header < len(lines) and lines[header].startswith("#"):
        header += 1
    mine = "".join(f"{REQUIREMENTS_PREFIX}{key}={value}\n" for key, value in fields.items())
    return "".join(lines[:header]) + mine + "".join(lines[header:])


def read_provenance(text: str, format: str, path: str) -> Provenance | None:
    """The provenance written by :func:`stamp`, or None when the lockfile has none.

    Raises:
        LockgateError: the provenance is there but malformed (names ``path``).
    """
    from ..errors import LockgateError

    provenance_text = split_provenance(text, format)[1]
    if not provenance_text:
        return None
    if format == "pylock.toml":
        from .._toml import loads_toml

        fields = loads_toml(provenance_text, path).get("tool", {}).get("lockgate", {})
    else:
        from shlex import split

        fields = dict(line[len(REQUIREMENTS_PREFIX) :].rstrip("\r\n").partition("=")[::2] for line in provenance_text.splitlines(True))
        try:
            fields["options"] = split(fields.get("options", ""))
        except ValueError as error:
            raise LockgateError(f"lockgate provenance: options: {error}", path) from None
    missing = [key for key in ("generated-by", "pyproject", "inputs-sha256", "body-sha256") if not isinstance(fields.get(key), str)]
    if missing or not isinstance(fields.get("options"), list):
        raise LockgateError(f"lockgate provenance lines are damaged ({', '.join(missing) or 'options'}); run lockgate generate again", path)
    settings = fields.get("uv-settings", "{}")
    try:
        uv_settings = json.loads(settings) if isinstance(settings, str) else None
    except ValueError:
        uv_settings = None
    if not isinstance(uv_settings, dict):
        raise LockgateError("lockgate provenance: uv-settings is not a JSON object; run lockgate generate again", path)
    return Provenance(fields["generated-by"], fields["pyproject"], fields["options"], fields["inputs-sha256"], fields["body-sha256"],
                      uv_settings)  # fmt: skip


def _fields(provenance: Provenance) -> dict[str, Any]:
    """The recorded fields but ``body-sha256``, in the order they are written (it comes last)."""
    fields: dict[str, Any] = {
        "generated-by": provenance.generated_by,
        "pyproject": provenance.pyproject,
        "options": provenance.options,
        "inputs-sha256": provenance.inputs_sha256,
    }
    if provenance.uv_settings:
        fields["uv-settings"] = json.dumps(provenance.uv_settings, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return fields


def _toml_value(value: object) -> str:
    """A TOML basic string or array of them; JSON's string escapes are valid TOML."""
    if isinstance(value, list):
        return "[" + ", ".join(json.dumps(item, ensure_ascii=False) for item in value) + "]"
    return json.dumps(value, ensure_ascii=False)
