"""The memory's records: what a note becomes, as immutable values with a plain-JSON form.

Each kind lives in its own IndexedDB object store (see :mod:`.idb_store`),
keyed by ``id``; :class:`Memory` is one consistent snapshot of all of them,
which the pure functions in :mod:`.logic` read and change. Records come back
into a snapshot only through :func:`.reader.load`, which checks them first.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar

JSON = Any

CONTRADICTION = "contradiction"
REPETITION = "repetition"


def session_of(ms: float) -> str:
    """The session a time belongs to: its UTC day, e.g. ``2025-06-01``."""
    return time.strftime("%Y-%m-%d", time.gmtime(ms / 1000.0))


@dataclass(frozen=True, slots=True)
class Unit:
    """A note the user wrote. ``extracted_hash`` is the content hash its current claims came from."""

    id: str
    text: str
    content_hash: str
    session_id: str
    created_at: float
    updated_at: float
    saves: int = 1
    extracted_hash: str | None = None
    claim_count: int = 0


@dataclass(frozen=True, slots=True)
class Claim:
    """A sentence taken from one or more units, with its key terms and a confidence that decays."""

    id: str
    text: str
    terms: tuple[str, ...]
    negated: bool
    sources: tuple[str, ...]
    confidence: float
    support: int
    created_at: float
    last_seen: float
    decayed_slot: int = -1


@dataclass(frozen=True, slots=True)
class Flag:
    """What an observer noticed: two claims that contradict, or a term that keeps coming back."""

    id: str
    kind: str
    claim_ids: tuple[str, ...]
    term: str
    note: str
    created_at: float


@dataclass(frozen=True, slots=True)
class Goal:
    """A user-set goal, tracked against the claims that mention its terms."""

    id: str
    text: str
    terms: tuple[str, ...]
    created_at: float
    progress: float = 0.0
    matched: tuple[str, ...] = ()
    claim_ids: tuple[str, ...] = ()
    checked_at: float | None = None


@dataclass(frozen=True, slots=True)
class Chain:
    """Claims linked by a shared key term; dormant when none of them was seen for a while."""

    id: str
    term: str
    claim_ids: tuple[str, ...]
    last_activity: float
    dormant: bool = False
    checked_at: float | None = None


@dataclass(frozen=True, slots=True)
class Summary:
    """A summary of one session's units."""

    id: str
    text: str
    unit_count: int
    claim_count: int
    top_terms: tuple[str, ...]
    generated_at: float


@dataclass(frozen=True, slots=True)
class Synthesis:
    """Related claims on one topic combined into one statement."""

    id: str
    topic: str
    text: str
    claim_ids: tuple[str, ...]
    generated_at: float


@dataclass(frozen=True, slots=True)
class SetAside:
    """A stored or imported record that broke a reader rule (:mod:`.reader`): not loaded, named with the reason."""

    store: str
    id: str
    reason: str


def to_record(entity: object) -> dict[str, JSON]:
    """The plain-JSON form of a record (tuples become lists)."""
    return {f.name: _plain(getattr(entity, f.name)) for f in dataclasses.fields(entity)}  # type: ignore[arg-type]


def _plain(value: object) -> JSON:
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


@dataclass
class Memory:
    """One snapshot of the whole memory. Functions in :mod:`.logic` change it in place."""

    units: dict[str, Unit] = field(default_factory=dict)
    claims: dict[str, Claim] = field(default_factory=dict)
    flags: dict[str, Flag] = field(default_factory=dict)
    goals: dict[str, Goal] = field(default_factory=dict)
    chains: dict[str, Chain] = field(default_factory=dict)
    summaries: dict[str, Summary] = field(default_factory=dict)
    syntheses: dict[str, Synthesis] = field(default_factory=dict)
    meta: dict[str, JSON] = field(default_factory=dict)
    set_aside: list[SetAside] = field(default_factory=list)
    """Records the reader did not load (:mod:`.reader`); not part of :meth:`to_records`."""

    KINDS: ClassVar[dict[str, type]] = {
        "units": Unit,
        "claims": Claim,
        "flags": Flag,
        "goals": Goal,
        "chains": Chain,
        "summaries": Summary,
        "syntheses": Synthesis,
    }

    @property
    def revision(self) -> int:
        """Bumped by every change to the claims, so follow-up tasks can say which state they saw."""
        return int(self.meta.get("revision", 0))

    def bump(self) -> int:
        self.meta["revision"] = self.revision + 1
        return self.revision

    def to_records(self) -> dict[str, list[dict[str, JSON]]]:
        """Every record, per store, sorted by id; ``meta`` is one record with id ``"meta"``."""
        out: dict[str, list[dict[str, JSON]]] = {}
        for store in self.KINDS:
            items: dict[str, Any] = getattr(self, store)
            out[store] = [to_record(items[key]) for key in sorted(items)]
        out["meta"] = [{"id": "meta", **self.meta}] if self.meta else []
        return out

    def counts(self) -> dict[str, int]:
        return {store: len(getattr(self, store)) for store in self.KINDS}


STORES = (*Memory.KINDS, "meta")
"""The object stores of the memory database, one per kind plus ``meta``."""


def diff(
    before: dict[str, list[dict[str, JSON]]], after: dict[str, list[dict[str, JSON]]]
) -> dict[str, tuple[list[dict[str, JSON]], list[str]]]:
    """What to write to go from *before* to *after*: per store, the records to put and the ids to delete."""
    changes: dict[str, tuple[list[dict[str, JSON]], list[str]]] = {}
    for store in STORES:
        old = {r["id"]: r for r in before.get(store, [])}
        new = {r["id"]: r for r in after.get(store, [])}
        puts = [r for key, r in new.items() if old.get(key) != r]
        deletes = [key for key in old if key not in new]
        if puts or deletes:
            changes[store] = (puts, deletes)
    return changes
