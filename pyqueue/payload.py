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
from collections.abc import Callable, Mapping
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
    data = _as_dict(obj)
    try:
        dumps(data, limit=limit)  # checks it too: one walk for both
    except NotJSONData as e:
        raise PayloadMismatch(str(e)) from None
    return data


_JSON_SCALARS = frozenset({type(None), bool, int, float, str})


def _as_dict(obj: Any) -> dict[str, Any]:
    """``dataclasses.asdict(obj)``, without its recursive walk when every field holds a plain scalar.

    ``asdict`` hands such values over as they are (it copies only containers
    and dataclasses), so the result is the same; most payloads are flat, and
    ``asdict`` was the largest part of checking one.
    """
    data = {name: getattr(obj, name) for name in _field_names(obj.__class__)}
    if all(type(value) in _JSON_SCALARS for value in data.values()):
        return data
    return dataclasses.asdict(obj)


@functools.cache
def _field_names(cls: Any) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


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


Loader = Callable[[object, str], object]
"""Checks a value against one type and returns it as loaded: ``load(value, path)``, *path* naming it in errors."""


def _load(tp: Any, value: object, path: str) -> object:
    return _loader(tp)(value, path)


def _loader(tp: Any) -> Loader:
    """The loader of *tp*, made once per type: an enqueue loads every payload, so the type is read only once.

    A type that cannot be a dictionary key (none of those pyqueue checks)
    gets a loader made afresh.
    """
    try:
        return _cached_loader(tp)
    except TypeError:  # unhashable
        return _make_loader(tp)


@functools.cache
def _cached_loader(tp: Any) -> Loader:
    return _make_loader(tp)


def _make_loader(tp: Any) -> Loader:
    if _is_any_json(tp):
        return _load_json
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return _DataclassLoader(tp)
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return _union_loader(tuple(_loader(option) for option in typing.get_args(tp)))
    if origin is typing.Literal:
        return _literal_loader(typing.get_args(tp))
    if origin is list:
        (item,) = typing.get_args(tp) or (Any,)
        return _list_loader(_loader(item))
    if origin is dict:
        key_tp, item = typing.get_args(tp) or (str, Any)
        return _dict_loader(key_tp, _loader(item))
    scalar = _SCALAR_LOADERS.get(tp) if tp is None or isinstance(tp, type) else None
    return scalar or _unknown_loader(tp)


def _load_json(value: object, path: str) -> object:
    try:
        check_json_data(value, path)
    except NotJSONData as e:
        raise PayloadMismatch(str(e)) from None
    return value


def _union_loader(options: tuple[Loader, ...]) -> Loader:
    def load(value: object, path: str) -> object:
        reasons = []
        for option in options:
            try:
                return option(value, path)
            except PayloadMismatch as e:
                reasons.append(str(e))
        raise PayloadMismatch(" or ".join(reasons))

    return load


def _literal_loader(allowed: tuple[object, ...]) -> Loader:
    def load(value: object, path: str) -> object:
        if value not in allowed:
            raise PayloadMismatch(f"{path} must be one of {allowed!r}, got {value!r}")
        return value

    return load


def _list_loader(item: Loader) -> Loader:
    def load(value: object, path: str) -> object:
        if not isinstance(value, list):
            raise PayloadMismatch(f"{path} must be a list, got {_kind(value)}")
        return [item(v, f"{path}[{i}]") for i, v in enumerate(value)]

    return load


def _dict_loader(key_tp: Any, item: Loader) -> Loader:
    def load(value: object, path: str) -> object:
        if not isinstance(value, dict):
            raise PayloadMismatch(f"{path} must be an object, got {_kind(value)}")
        if key_tp is not str:
            raise PayloadMismatch(f"{path}: only str keys are supported, not {key_tp!r}")
        for k in value:
            if not isinstance(k, str):
                raise PayloadMismatch(f"{path} has a key {k!r} that is not a string")
        return {k: item(v, f"{path}.{k}") for k, v in value.items()}

    return load


def _load_none(value: object, path: str) -> object:
    if value is not None:
        raise PayloadMismatch(f"{path} must be null, got {_kind(value)}")
    return None


def _load_bool(value: object, path: str) -> object:
    if not isinstance(value, bool):
        raise PayloadMismatch(f"{path} must be true or false, got {_kind(value)}")
    return value


def _load_int(value: object, path: str) -> object:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PayloadMismatch(f"{path} must be an integer, got {_kind(value)}")
    return value


def _load_float(value: object, path: str) -> object:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PayloadMismatch(f"{path} must be a number, got {_kind(value)}")
    _load_json(value, path)  # NaN and the infinities are not JSON numbers
    return float(value)


def _load_str(value: object, path: str) -> object:
    if not isinstance(value, str):
        raise PayloadMismatch(f"{path} must be a string, got {_kind(value)}")
    return value


_SCALAR_LOADERS: dict[Any, Loader] = {
    type(None): _load_none,
    None: _load_none,
    bool: _load_bool,
    int: _load_int,
    float: _load_float,
    str: _load_str,
}


def _unknown_loader(tp: Any) -> Loader:
    def load(value: object, path: str) -> object:
        raise PayloadMismatch(f"{path} has a type pyqueue cannot check: {tp!r}")

    return load


class _DataclassLoader:
    """Loads a payload dataclass; its fields' loaders are made on first use (a dataclass may contain itself)."""

    def __init__(self, cls: type) -> None:
        self.cls = cls
        self._fields: dict[str, tuple[Loader, bool]] | None = None

    def _resolve(self) -> dict[str, tuple[Loader, bool]]:
        hints = typing.get_type_hints(self.cls)
        self._fields = {
            f.name: (
                _loader(hints[f.name]),
                f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING,
            )
            for f in dataclasses.fields(self.cls)
            if f.init
        }
        return self._fields

    def __call__(self, value: object, path: str) -> object:
        cls = self.cls
        if type(value) is not dict and not isinstance(value, Mapping):  # the ABC check only for other types
            raise PayloadMismatch(f"{path} must be an object with the fields of {cls.__name__}, got {_kind(value)}")
        fields = self._fields if self._fields is not None else self._resolve()
        if not fields.keys() >= value.keys():
            unknown = sorted(str(k) for k in value if k not in fields)
            raise PayloadMismatch(f"{path} has unexpected field(s) {', '.join(unknown)} for {cls.__name__}")
        kwargs = {}
        for name, (load, required) in fields.items():
            if name in value:
                kwargs[name] = load(value[name], f"{path}.{name}")
            elif required:
                raise PayloadMismatch(f"{path} is missing the required field {name!r} of {cls.__name__}")
        return cls(**kwargs)


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, int) and value.bit_length() > 1024:
        return f"int of {value.bit_length()} bits"
    if isinstance(value, (int, float, str, bool)):
        text = repr(value)
        return f"{type(value).__name__} {text if len(text) <= 60 else text[:57] + '...'}"
    return type(value).__name__
