"""Typed payloads: dataclasses checked field by field against their annotations.

A payload is validated twice: when it is enqueued (so a bad one is never
written) and when it is dispatched (so a row that no longer fits, written by
an older version or by hand, fails at once with a clear reason instead of
reaching the handler).
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

from .jsondata import JSONValue, NotJSONData, check_json_data, dumps

P = TypeVar("P")


class PayloadMismatch(ValueError):
    """Raised when data does not fit a payload dataclass; the message names the field."""


def load_payload(cls: type[P], data: object) -> P:
    """Build an instance of the dataclass *cls* from JSON *data*, checking every field."""
    return typing.cast(P, _load(cls, data, "payload"))


def dump_payload(obj: object, *, limit: int | None = None) -> dict[str, JSONValue]:
    """Return the JSON form of a payload dataclass instance, at most *limit* bytes as JSON text."""
    if not dataclasses.is_dataclass(obj) or isinstance(obj, type):
        raise PayloadMismatch(f"payload is a {type(obj).__name__}, not a dataclass instance")
    data = dataclasses.asdict(obj)
    try:
        dumps(data, limit=limit)  # checks it too: one walk for both
    except NotJSONData as e:
        raise PayloadMismatch(str(e)) from None
    return data


_JSON_SCALARS = frozenset({type(None), bool, int, float, str})


def _is_any_json(tp: Any) -> bool:
    """True for ``Any``, ``object`` and :data:`JSONValue` in any of its spellings.

    ``get_type_hints`` re-evaluates the alias's inner forward references, so a
    field annotated ``JSONValue`` may arrive as an equal-looking but distinct
    union, or as a bare ``ForwardRef('JSONValue')`` inside ``list[...]``.
    """
    if tp is Any or tp is object:
        return True
    if isinstance(tp, typing.ForwardRef):
        return tp.__forward_arg__ == "JSONValue"
    if typing.get_origin(tp) not in (typing.Union, types.UnionType):
        return False
    args = typing.get_args(tp)
    origins = {typing.get_origin(a) for a in args}
    return set(args) >= _JSON_SCALARS and {list, dict} <= origins


def _load(tp: Any, value: object, path: str) -> object:
    if _is_any_json(tp):
        try:
            check_json_data(value, path)
        except NotJSONData as e:
            raise PayloadMismatch(str(e)) from None
        return value
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return _load_dataclass(tp, value, path)
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return _load_union(typing.get_args(tp), value, path)
    if origin is typing.Literal:
        if value not in typing.get_args(tp):
            raise PayloadMismatch(f"{path} must be one of {typing.get_args(tp)!r}, got {value!r}")
        return value
    if origin is list:
        if not isinstance(value, list):
            raise PayloadMismatch(f"{path} must be a list, got {_kind(value)}")
        (item,) = typing.get_args(tp) or (Any,)
        return [_load(item, v, f"{path}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise PayloadMismatch(f"{path} must be an object, got {_kind(value)}")
        key_tp, item = typing.get_args(tp) or (str, Any)
        if key_tp is not str:
            raise PayloadMismatch(f"{path}: only str keys are supported, not {key_tp!r}")
        for k in value:
            if not isinstance(k, str):
                raise PayloadMismatch(f"{path} has a key {k!r} that is not a string")
        return {k: _load(item, v, f"{path}.{k}") for k, v in value.items()}
    return _load_scalar(tp, value, path)


def _load_scalar(tp: Any, value: object, path: str) -> object:
    if tp is type(None) or tp is None:
        if value is not None:
            raise PayloadMismatch(f"{path} must be null, got {_kind(value)}")
        return None
    if tp is bool:
        if not isinstance(value, bool):
            raise PayloadMismatch(f"{path} must be true or false, got {_kind(value)}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise PayloadMismatch(f"{path} must be an integer, got {_kind(value)}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise PayloadMismatch(f"{path} must be a number, got {_kind(value)}")
        try:
            check_json_data(value, path)
        except NotJSONData as e:
            raise PayloadMismatch(str(e)) from None
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise PayloadMismatch(f"{path} must be a string, got {_kind(value)}")
        return value
    raise PayloadMismatch(f"{path} has a type pyqueue cannot check: {tp!r}")


def _load_union(options: tuple[Any, ...], value: object, path: str) -> object:
    reasons = []
    for option in options:
        try:
            return _load(option, value, path)
        except PayloadMismatch as e:
            reasons.append(str(e))
    raise PayloadMismatch(" or ".join(reasons))


def _load_dataclass(cls: type, value: object, path: str) -> object:
    if not isinstance(value, Mapping):
        raise PayloadMismatch(f"{path} must be an object with the fields of {cls.__name__}, got {_kind(value)}")
    hints = _type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(str(k) for k in value if k not in fields)
    if unknown:
        raise PayloadMismatch(f"{path} has unexpected field(s) {', '.join(unknown)} for {cls.__name__}")
    kwargs = {}
    for name, f in fields.items():
        if name in value:
            kwargs[name] = _load(hints[name], value[name], f"{path}.{name}")
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise PayloadMismatch(f"{path} is missing the required field {name!r} of {cls.__name__}")
    return cls(**kwargs)


@functools.cache
def _type_hints(cls: type) -> dict[str, Any]:
    """A dataclass's resolved annotations; computed once per class (it is checked for every task)."""
    return typing.get_type_hints(cls)


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, int) and value.bit_length() > 1024:
        return f"int of {value.bit_length()} bits"
    if isinstance(value, (int, float, str, bool)):
        text = repr(value)
        return f"{type(value).__name__} {text if len(text) <= 60 else text[:57] + '...'}"
    return type(value).__name__
