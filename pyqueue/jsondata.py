"""What counts as JSON data, checked strictly and without recursion before anything is written.

``json.dumps`` alone is too lenient for a durable queue: it writes ``NaN`` and
``Infinity`` (which JavaScript's ``JSON.parse`` rejects), turns tuples into
lists and int keys into strings, so a payload would not come back as it went in.

It is also recursive, like ``json.loads``, ``repr`` and Pyodide's ``to_js``:
on Pyodide's small C stack a value nested a few thousand levels deep makes any
of them a fatal error that stops the whole runtime, where CPython would raise
``RecursionError``. So :func:`check_json_data` walks a value with its own
stack and refuses one nested deeper than :data:`MAX_DEPTH` before anything
recursive touches it.
"""

from __future__ import annotations

import json
import math
from typing import Any, Union

JSONValue = Union[  # noqa: UP007 - a recursive alias needs Union at runtime
    None, bool, int, float, str, list["JSONValue"], dict[str, "JSONValue"]
]

MAX_DEPTH = 64
"""How deeply lists and objects may nest in a payload, a result or a progress value.

Far below the few thousand levels that crash Pyodide, far above what any task needs.
"""

RECORD_DEPTH = MAX_DEPTH + 3
"""The same limit for a whole task record, which wraps its values (record, field, list of errors)."""

MAX_NODES = 1_000_000
"""How many values (containers and scalars) one check visits at most.

A value whose lists share children (``a = [b, b]``, ``b = [c, c]``...) is small
in memory but exponential to walk; this bound stops such a walk in time.
"""


class NotJSONData(ValueError):
    """Raised when a value is not JSON data; the message names where and why."""


class _Leave:
    """Stack marker: the walk has finished the children of the container with this id."""

    __slots__ = ("ident",)

    def __init__(self, ident: int) -> None:
        self.ident = ident


def check_json_data(value: object, path: str = "payload", *, max_depth: int = MAX_DEPTH) -> None:
    """Raise :class:`NotJSONData` unless *value* round-trips through JSON unchanged.

    Also refused: containers nested more than *max_depth* levels, a container
    that contains itself, and more than :data:`MAX_NODES` values. The walk
    uses its own stack, so it is safe on any input.

    Most values are plain (exact ``dict``, ``list``, ``str``, ``int``, ``float``,
    ``bool``, ``None``) and valid: :func:`_plainly_valid` accepts those without
    building a path per value; anything it does not vouch for is walked again
    by :func:`_walk`, which names the first problem.
    """
    if not _plainly_valid(value, max_depth):
        _walk(value, path, max_depth)


def _walk(value: object, path: str, max_depth: int) -> None:
    """The full check: depth first, tracking the path, so the first problem is named where it is."""
    root = path
    active: set[int] = set()  # the containers on the path from the top to the value being checked
    stack: list[tuple[object, str, int] | _Leave] = [(value, path, 0)]
    visited = 0
    while stack:
        item = stack.pop()
        if isinstance(item, _Leave):
            active.discard(item.ident)
            continue
        value, path, depth = item
        visited += 1
        if visited > MAX_NODES:
            raise NotJSONData(f"{root} holds more than {MAX_NODES} values")
        if not isinstance(value, (list, dict)):
            _check_scalar(value, path)
            continue
        if id(value) in active:
            raise NotJSONData(f"{path} contains itself (a cycle)")
        if depth >= max_depth:
            raise NotJSONData(f"{path} is nested more than {max_depth} levels deep")
        active.add(id(value))
        stack.append(_Leave(id(value)))
        children: list[tuple[object, str, int]] = []
        if isinstance(value, list):
            children = [(v, f"{path}[{i}]", depth + 1) for i, v in enumerate(value)]
        else:
            for key, v in value.items():
                if not isinstance(key, str):
                    raise NotJSONData(f"{path} has a key {_show(key)} that is not a string")
                _check_text(key, f"{path} key")
                children.append((v, f"{path}.{key}", depth + 1))
        stack.extend(reversed(children))  # the first child is checked first, so errors come in order


def _plainly_valid(value: object, max_depth: int) -> bool:
    """True if *value* is JSON data built of the exact plain types; ``False`` leaves the verdict to the full walk.

    It walks level by level with no path text and no per-value tuple, so it
    costs a fraction of the full walk. It never says ``True`` where the full
    walk raises: every container below *max_depth* levels (a cycle is never
    that shallow), at most :data:`MAX_NODES` values, text keys, and scalars
    passing :func:`_check_scalar`'s rules. Subclasses (an ``IntEnum``, an
    ``OrderedDict``) are left to the full walk.
    """
    level: list[Any] = [value]
    seen, depth = 1, 0  # values met so far; how deep the values of *level* sit (the top is 0)
    while level:
        below: list[Any] = []
        for item in level:
            kind = type(item)
            if kind is str:
                if not item.isascii() and not _encodes(item):
                    return False
            elif kind is dict or kind is list:
                if depth >= max_depth:
                    return False
                if kind is dict:
                    for key in item:
                        if type(key) is not str or (not key.isascii() and not _encodes(key)):
                            return False
                    below.extend(item.values())
                else:
                    below.extend(item)
                if seen + len(below) > MAX_NODES:
                    return False
            elif kind is int:
                if item.bit_length() > 1024:
                    return False
            elif kind is float:
                if not math.isfinite(item):
                    return False
            elif item is not None and kind is not bool:
                return False
        seen += len(below)
        level = below
        depth += 1
    return True


def _encodes(text: str) -> bool:
    """True if *text* is valid Unicode (no lone surrogate): what :func:`_check_text` accepts."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_scalar(value: object, path: str) -> None:
    if isinstance(value, str):
        _check_text(value, path)
    elif value is None or isinstance(value, bool):
        return
    elif isinstance(value, int):
        if value.bit_length() > 1024:
            raise NotJSONData(f"{path} is an integer too large for JSON numbers ({value.bit_length()} bits)")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise NotJSONData(f"{path} is {value!r}, which JSON cannot represent")
    else:
        raise NotJSONData(f"{path} is of type {type(value).__name__}, which is not JSON data")


def _show(key: object) -> str:
    # Only keys reach here: hashable, so never a list or dict; a tuple of tuples might nest deeply.
    if isinstance(key, tuple) and any(isinstance(k, tuple) for k in key):
        return f"<tuple of {len(key)} items>"
    try:
        text = repr(key)
    except ValueError:  # an int too long to print
        return f"<{type(key).__name__}>"
    return text if len(text) <= 80 else text[:77] + "..."


def _check_text(text: str, path: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise NotJSONData(f"{path} contains a lone surrogate, which is not valid Unicode text") from None


def dumps(value: object, *, limit: int | None = None, path: str = "payload", max_depth: int = MAX_DEPTH) -> str:
    """Check *value* and return its compact JSON text, enforcing a size *limit* in bytes."""
    check_json_data(value, path, max_depth=max_depth)
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    if limit is not None:
        size = len(text.encode("utf-8"))
        if size > limit:
            raise NotJSONData(f"{path} is {size} bytes of JSON, over the limit of {limit} bytes")
    return text
