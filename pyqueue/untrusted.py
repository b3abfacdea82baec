"""Reading JSON text that pyqueue did not write: import files, stored rows, form fields, text from the page.

``json.loads`` recurses once per nesting level, and on Pyodide's small C stack
a few thousand levels (a 9 KB file) is a fatal error that stops the runtime,
not a ``RecursionError``. :func:`loads` therefore measures the nesting of the
text first, with a linear scan that counts brackets outside strings, and only
then parses it. Values built in Python are checked the same way, without
recursion, by :func:`~pyqueue.jsondata.check_json_data`.

``NaN`` and ``Infinity`` are parsed (Python reads them) rather than refusing
the whole text: what holds them is refused one level up, where the refusal
can name it and keep the rest (a task record with one is quarantined, not the
whole import file; a payload with one is refused by enqueue).
"""

from __future__ import annotations

import json
import re

from .jsondata import MAX_DEPTH, JSONValue, NotJSONData

MAX_TEXT_CHARS = 64 * 1024 * 1024
"""The longest JSON text read at all (64 Mi characters): a bound on the work one read can ask for."""

_SPECIAL = re.compile(r'[\\"\[\]{}]')


def check_text_depth(text: str, *, max_depth: int = MAX_DEPTH, what: str = "the JSON text") -> None:
    """Raise :class:`~pyqueue.jsondata.NotJSONData` if *text* nests lists and objects deeper than *max_depth*.

    Strings are skipped (a bracket inside one does not count) and escapes
    honoured. The scan never under-counts what ``json.loads`` would recurse
    into: up to the first syntax error both read the text the same way, and
    ``json.loads`` stops there.
    """
    if text.count("[") + text.count("{") <= max_depth:
        return  # too few brackets to nest that deep: the common case, at C speed
    depth = 0
    in_string = False
    skip = -1  # the position of a character escaped by a backslash
    for match in _SPECIAL.finditer(text):
        at = match.start()
        if at == skip:
            continue
        char = text[at]
        if in_string:
            if char == "\\":
                skip = at + 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > max_depth:
                raise NotJSONData(f"{what} nests lists and objects more than {max_depth} levels deep")
        elif char in "]}":
            depth = max(depth - 1, 0)  # a stray closer (invalid JSON) never lowers the count below zero


def loads(
    text: object, *, what: str = "the JSON text", max_depth: int = MAX_DEPTH, max_chars: int = MAX_TEXT_CHARS
) -> JSONValue:
    """Parse untrusted JSON *text*, refusing what is not text, too long, too deep or not JSON.

    Every refusal is a :class:`~pyqueue.jsondata.NotJSONData` whose message
    starts with *what*; nothing else escapes (no ``RecursionError``, no
    ``ValueError`` from an integer of too many digits).
    """
    if not isinstance(text, str):
        raise NotJSONData(f"{what} is a {type(text).__name__}, not JSON text")
    if len(text) > max_chars:
        raise NotJSONData(f"{what} is {len(text)} characters long, over the limit of {max_chars}")
    check_text_depth(text, max_depth=max_depth, what=what)
    try:
        value: JSONValue = json.loads(text)
    except (ValueError, RecursionError) as e:  # RecursionError cannot happen after the scan; kept as a guard
        raise NotJSONData(f"{what} is not valid JSON: {e}") from None
    return value
