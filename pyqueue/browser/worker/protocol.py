"""The messages between the page and its worker runner: JSON text, checked on receipt.

Both sides post JSON text rather than structured-clone objects, so what
arrives is parsed by one function, :func:`decode`, which refuses anything
that is not a known kind with fields of the right types: a message is
untrusted input (a task's error text or a handler's id travels in it), and a
malformed one must not become an exception deep in the page's code. Pure
Python, tested under CPython.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from ...constants import DB_NAME, DEFAULT_LEASE_MS
from ...visibility import DEFAULT_HIDDEN_GRACE_MS

# page -> worker
BOOT = "boot"
PAUSE = "pause"
RESUME = "resume"
STOP = "stop"
VISIBILITY = "visibility"
REPLY = "reply"
WAKE = "wake"
# worker -> page
READY = "ready"
STATUS = "status"
STARTED = "started"
FAILED = "failed"
STOPPED = "stopped"
CALL = "call"

_STR = (str,)
_NUM = (int, float)
_OPT_STR = (str, type(None))
_OPT_NUM = (int, float, type(None))
_ANY = (object,)

_FIELDS: dict[str, dict[str, tuple[type, ...]]] = {
    BOOT: {"config": (dict,)},
    PAUSE: {},
    RESUME: {},
    STOP: {"grace_ms": _OPT_NUM},
    VISIBILITY: {"hidden": (bool,)},
    REPLY: {"call": (int,), "result": _ANY, "error": _OPT_STR},
    WAKE: {},
    READY: {"owner": _STR, "scope": _STR},
    STATUS: {"state": _STR, "counts": (dict,), "running": (list,), "last_error": _OPT_STR},
    STARTED: {"task": _STR, "type": _STR, "timeout_ms": _OPT_NUM},
    FAILED: {"reason": _STR},
    STOPPED: {},
    CALL: {"call": (int,), "task": _STR, "type": _STR},
}


class BadMessage(ValueError):
    """Raised when a message is not JSON, not a known kind, or has a missing or mistyped field."""


@dataclass(frozen=True)
class Message:
    """One checked message: its *kind* and its fields (only the known ones, of the known types)."""

    kind: str
    fields: dict[str, Any]

    def __getitem__(self, name: str) -> Any:
        return self.fields[name]


def encode(kind: str, **fields: Any) -> str:
    """The JSON text of a message of *kind*; raises :class:`BadMessage` if it would not pass :func:`decode`."""
    text = json.dumps({"kind": kind, **fields})
    decode(text)
    return text


def decode(text: object) -> Message:
    """Parse and check a received message; raises :class:`BadMessage` saying what is wrong."""
    if not isinstance(text, str):
        raise BadMessage(f"a message must be JSON text, not {type(text).__name__}")
    try:
        data = json.loads(text)
    except ValueError as e:
        raise BadMessage(f"a message is not JSON: {e}") from None
    if not isinstance(data, dict):
        raise BadMessage("a message must be a JSON object")
    kind = data.get("kind")
    spec = _FIELDS.get(kind) if isinstance(kind, str) else None
    if spec is None or not isinstance(kind, str):
        raise BadMessage(f"unknown message kind {kind!r}")
    fields: dict[str, Any] = {}
    for name, types in spec.items():
        value = data.get(name)
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types and object not in types):
            raise BadMessage(f"message {kind!r}: field {name!r} has the wrong type ({type(value).__name__})")
        fields[name] = value
    if kind == STATUS:
        _check_status(fields)
    return Message(kind, fields)


def _check_status(fields: dict[str, Any]) -> None:
    if not all(isinstance(t, str) for t in fields["running"]):
        raise BadMessage("message 'status': 'running' must list task ids")
    counts = fields["counts"]
    if not all(isinstance(k, str) and type(v) is int for k, v in counts.items()):
        raise BadMessage("message 'status': 'counts' must map names to integers")


@dataclass(frozen=True)
class WorkerConfig:
    """What the worker needs to start: where the runtime and the code are, which registry, which options.

    *entry* names the app's registry as ``"module:attribute"``: a
    :class:`~pyqueue.registry.TaskRegistry`, or a function returning one. The
    module must be importable in the worker: from a wheel in *packages*
    (loaded with ``pyodide.loadPackage``), a zip in *archives* (unpacked onto
    ``sys.path``), or a file in *files* (URL to a path under that directory).
    Every URL is on the page's own origin.
    """

    entry: str
    pyodide_url: str = "/static/vendor/pyodide/"
    packages: tuple[str, ...] = ()
    archives: tuple[str, ...] = ()
    files: dict[str, str] = field(default_factory=dict)
    db_name: str = DB_NAME
    concurrency: int = 1
    batch_size: int = 1
    lease_ms: float = DEFAULT_LEASE_MS
    hidden_grace_ms: float = DEFAULT_HIDDEN_GRACE_MS
    backoff_base_ms: float = 1_000.0
    """The worker runner retries with :func:`~pyqueue.exponential_backoff` from this base."""
    status_every_ms: float = 1_000.0
    """How often the worker says it is alive besides the changes it reports."""
    options: dict[str, Any] = field(default_factory=dict)
    """The app's own settings (JSON), handed to the entry function (see :class:`~.entry.WorkerSetup`)."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WorkerConfig:
        """The config a boot message carries; raises :class:`BadMessage` for an unknown or mistyped option."""
        try:
            config = cls(
                **{**data, "packages": tuple(data.get("packages", ())), "archives": tuple(data.get("archives", ()))}
            )
        except TypeError as e:
            raise BadMessage(f"bad worker config: {e}") from None
        if not isinstance(config.entry, str) or ":" not in config.entry:
            raise BadMessage(f"bad worker config: entry {config.entry!r} is not 'module:attribute'")
        return config
