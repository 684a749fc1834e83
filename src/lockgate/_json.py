"""JSON data as types, for annotations only: import them under ``if TYPE_CHECKING:``.

``JSONValue`` is what ``json.dumps`` writes and ``json.loads`` returns. Its containers are
read-only (``Sequence``, ``Mapping``), hence covariant: a ``dict[str, int]`` or a ``list[str]``
is a JSONValue as it is. Narrow a value read back with ``isinstance(value, Mapping)``, or
``Sequence`` (less ``str``). ``JSONObject`` is a JSON object built or returned whole (``to_dict``).
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: nothing here runs, and typing stays off verify's start-up
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import TypeAlias

    JSONValue: TypeAlias = "None | bool | int | float | str | Sequence[JSONValue] | Mapping[str, JSONValue]"
    JSONObject: TypeAlias = "dict[str, JSONValue]"
