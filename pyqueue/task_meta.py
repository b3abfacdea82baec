"""A task's ``meta``: free JSON data about the task (who enqueued it, a correlation id), never read by pyqueue.

Not to be confused with the IndexedDB object store named ``meta``
(:data:`pyqueue.browser.schema.META`), which holds the enqueue counter and
the rate-limit state: a task's meta lives in its record, beside its payload,
and travels with it through every change, export and import.

Meta is checked like a payload when it is given (an object of JSON data, no
deeper than :data:`~pyqueue.jsondata.MAX_DEPTH`, at most
:data:`MAX_META_BYTES` as JSON) and again when a stored row is read, so a
hostile value written by hand is refused there like any other broken field.
"""

from __future__ import annotations

from .jsondata import JSONValue, NotJSONData, dumps

MAX_META_BYTES = 16 * 1024
"""The largest meta, as compact UTF-8 JSON: room for names and ids, not for a second payload."""

TaskMeta = dict[str, JSONValue]


def check_meta(value: object) -> TaskMeta:
    """Return *value* if it is valid meta, else raise :class:`~pyqueue.jsondata.NotJSONData` naming why.

    Valid meta is an object (a dict with text keys) of JSON data, nested at most
    :data:`~pyqueue.jsondata.MAX_DEPTH` levels, of at most :data:`MAX_META_BYTES`.
    """
    if not isinstance(value, dict):
        raise NotJSONData(f"meta is a {type(value).__name__}, not an object")
    if value:  # most tasks have none: nothing to walk or measure
        dumps(value, limit=MAX_META_BYTES, path="meta")
    return value
