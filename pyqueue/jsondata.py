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
    """
    if not _plainly_json(value, max_depth, texts=True):
        _check_exactly(value, path, max_depth)


def _plainly_json(value: object, max_depth: int, *, texts: bool) -> bool:
    """True if *value* is surely JSON data that :func:`_check_exactly` accepts; ``False`` means "not sure".

    The quick pass that spares almost every value the exact walk (which builds
    a path and a stack entry for each value, and was a third of an enqueue's
    Python): level by level, exact types only (a subclass of ``str`` or
    ``dict`` is left to the exact walk), no paths. It never raises and never
    says why: on any doubt the exact walk runs and names the problem, so the
    errors are the exact walk's. A cycle has no last level: it reaches
    *max_depth* and is left to the exact walk too. With *texts* false the
    strings are not checked for lone surrogates: the caller checks the JSON
    text that holds them all (see :func:`dumps`).
    """
    if type(value) is not dict and type(value) is not list:
        return False  # a single scalar: the exact walk is as quick
    level: list[Any] = [value]
    depth = 0
    count = 1
    while level:
        if depth >= max_depth:
            return False
        deeper: list[Any] = []
        for container in level:
            count += len(container)
            if count > MAX_NODES:
                return False
            if type(container) is dict:
                for key in container:
                    if type(key) is not str or (texts and not _plain_text(key)):
                        return False
                items = container.values()
            else:
                items = container
            for item in items:
                kind = type(item)
                if kind is str:
                    if texts and not _plain_text(item):
                        return False
                elif kind is int:
                    if not -_INT_BOUND < item < _INT_BOUND:
                        return False
                elif kind is float:
                    if not -math.inf < item < math.inf:  # false for NaN too
                        return False
                elif kind is dict or kind is list:
                    deeper.append(item)
                elif item is not None and kind is not bool:
                    return False
        level = deeper
        depth += 1
    return True


_INT_BOUND = 1 << 1024
"""The exact walk refuses an integer of more than 1024 bits: one whose magnitude reaches this."""


def _plain_text(text: str) -> bool:
    """True if *text* is valid Unicode (no lone surrogate), so UTF-8 and JSON can hold it."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_exactly(value: object, path: str, max_depth: int) -> None:
    """The exact walk behind :func:`check_json_data`: every value, with its path for the message."""
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
    if not _plain_text(text):
        raise NotJSONData(f"{path} contains a lone surrogate, which is not valid Unicode text")


_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False, check_circular=False)
"""Compact JSON text, made once (``json.dumps`` with options makes an encoder per call).

It skips json's own cycle check, for values the quick pass accepted: plain dicts and lists it walked
to their last level, so acyclic.
"""

_CHECKING_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)
"""The same with the cycle check, for what only the exact walk accepted: a subclass of ``dict`` may
show the walk other items than the encoder reads."""


def dumps(value: object, *, limit: int | None = None, path: str = "payload", max_depth: int = MAX_DEPTH) -> str:
    """Check *value* and return its compact JSON text, enforcing a size *limit* in bytes."""
    plain = _plainly_json(value, max_depth, texts=False)
    if not plain:
        _check_exactly(value, path, max_depth)
    text = (_ENCODER if plain else _CHECKING_ENCODER).encode(value)
    try:
        size = len(text) if text.isascii() else len(text.encode("utf-8"))
    except UnicodeEncodeError:  # a lone surrogate, in a string the quick pass did not check
        _check_exactly(value, path, max_depth)  # names it
        raise
    if limit is not None and size > limit:
        raise NotJSONData(f"{path} is {size} bytes of JSON, over the limit of {limit} bytes")
    return text
