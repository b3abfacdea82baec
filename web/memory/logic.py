"""What each background task does to the memory, as plain functions over a :class:`~.model.Memory`.

Every function here is deterministic: given the same memory and the same
``now`` it makes the same change. Each is written to be safe to run twice
(a retried attempt, or the same task imported back), so a repeat changes
nothing or the same thing again: that is what lets the queue retry freely.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

from . import text as tx
from .model import CONTRADICTION, REPETITION, Chain, Claim, Flag, Goal, Memory, Summary, Synthesis, Unit, session_of

MAX_NOTE_CHARS = 20_000
INITIAL_CONFIDENCE = 0.7
REINFORCE = 0.25
CONTRADICTION_OVERLAP = 0.5
DUPLICATE_OVERLAP = 0.75
REPEAT_THRESHOLD = 3
CHAIN_MIN_CLAIMS = 2
SYNTHESIS_MIN_CLAIMS = 3
SYNTHESIS_MAX_CLAIMS = 5
CONFIDENCE_FLOOR = 0.05


class NoteError(ValueError):
    """Raised when a note or goal cannot be saved (empty, too long); the message says why."""


# ----------------------------------------------------------------------------- units


@dataclass(frozen=True, slots=True)
class Saved:
    """What saving a note did: the unit as stored, whether it is new, and whether its text changed."""

    unit: Unit
    created: bool
    changed: bool


def unit_id_for(text: str) -> str:
    """A new note's id comes from its text, so adding the same note twice finds the first one."""
    return "u-" + tx.content_hash(text)[:12]


def save_unit(memory: Memory, text: str, now: float, unit_id: str | None = None) -> Saved:
    """Add a note, or re-save one: unchanged text keeps its hash (so it is not extracted again)."""
    clean = tx.normalize(text)
    if not clean:
        raise NoteError("a note needs some text")
    if len(clean) > MAX_NOTE_CHARS:
        raise NoteError(f"a note holds at most {MAX_NOTE_CHARS} characters, this one has {len(clean)}")
    digest = tx.content_hash(clean)
    key = unit_id or unit_id_for(clean)
    old = memory.units.get(key)
    if old is None:
        unit = Unit(key, clean, digest, session_of(now), created_at=now, updated_at=now)
        memory.units[key] = unit
        return Saved(unit, created=True, changed=True)
    changed = old.content_hash != digest
    unit = replace(old, text=clean, content_hash=digest, updated_at=now, saves=old.saves + 1)
    memory.units[key] = unit
    return Saved(unit, created=False, changed=changed)


# ----------------------------------------------------------------------------- extraction


@dataclass(frozen=True, slots=True)
class Draft:
    """A claim as extracted from one sentence, before it meets the memory."""

    id: str
    text: str
    terms: tuple[str, ...]
    negated: bool


def claim_id_for(sentence: str) -> str:
    """The same sentence in two notes is the same claim (seen twice), not two claims."""
    return "c-" + tx.fingerprint(tx.normalize(sentence).casefold(), length=12)


def draft_claims(text: str) -> list[Draft]:
    """The claims in a note: one per sentence of three words or more, with its key terms."""
    drafts: dict[str, Draft] = {}
    for sentence in tx.sentences(text):
        draft = Draft(claim_id_for(sentence), sentence, tuple(tx.key_terms(sentence)), tx.is_negated(sentence))
        drafts.setdefault(draft.id, draft)
    return list(drafts.values())


def extraction_skip_reason(memory: Memory, unit_id: str, content_hash: str) -> str | None:
    """Why extracting this version of the note would do nothing, or ``None`` if it is due."""
    unit = memory.units.get(unit_id)
    if unit is None:
        return "the note is gone"
    if unit.content_hash != content_hash:
        return "the note changed since; the newer version has its own extraction"
    if unit.extracted_hash == content_hash:
        return "this version of the note was already extracted"
    return None


def apply_extraction(memory: Memory, unit_id: str, content_hash: str, drafts: list[Draft], now: float) -> list[str]:
    """Replace the note's claims with *drafts*; return the claim ids. Does nothing if it is not due."""
    if extraction_skip_reason(memory, unit_id, content_hash) is not None:
        return []
    for claim in list(memory.claims.values()):
        if unit_id in claim.sources:
            rest = tuple(s for s in claim.sources if s != unit_id)
            if rest:
                memory.claims[claim.id] = replace(claim, sources=rest, support=max(1, claim.support - 1))
            else:
                del memory.claims[claim.id]
    for draft in drafts:
        old = memory.claims.get(draft.id)
        if old is None:
            memory.claims[draft.id] = Claim(
                draft.id,
                draft.text,
                draft.terms,
                draft.negated,
                sources=(unit_id,),
                confidence=INITIAL_CONFIDENCE,
                support=1,
                created_at=now,
                last_seen=now,
            )
        else:
            memory.claims[draft.id] = replace(
                old,
                sources=(*old.sources, unit_id),
                support=old.support + 1,
                confidence=min(1.0, round(old.confidence + REINFORCE, 4)),
                last_seen=now,
            )
    memory.units[unit_id] = replace(memory.units[unit_id], extracted_hash=content_hash, claim_count=len(drafts))
    memory.bump()
    return [d.id for d in drafts]


def claims_of(memory: Memory, unit_id: str) -> list[Claim]:
    return sorted((c for c in memory.claims.values() if unit_id in c.sources), key=lambda c: c.id)


# ----------------------------------------------------------------------------- observers


def observe_contradictions(memory: Memory, unit_id: str, now: float) -> list[str]:
    """Flag pairs of claims about the same terms where one says ``not`` and the other does not."""
    found = []
    for claim in claims_of(memory, unit_id):
        if len(claim.terms) < 2:
            continue
        for other in memory.claims.values():
            if other.id == claim.id or other.negated == claim.negated or len(other.terms) < 2:
                continue
            if tx.jaccard(claim.terms, other.terms) < CONTRADICTION_OVERLAP:
                continue
            pair = tuple(sorted((claim.id, other.id)))
            flag_id = "f-" + tx.fingerprint(CONTRADICTION, *pair, length=12)
            shared = sorted(set(claim.terms) & set(other.terms))
            if flag_id not in memory.flags:
                memory.flags[flag_id] = Flag(
                    flag_id, CONTRADICTION, pair, shared[0], f"disagree about {', '.join(shared)}", now
                )
                found.append(flag_id)
    return found


def observe_repetitions(memory: Memory, unit_id: str, now: float) -> list[str]:
    """Flag each term of the note that now appears in at least three claims."""
    found = []
    terms = sorted({t for c in claims_of(memory, unit_id) for t in c.terms})
    for term in terms:
        ids = tuple(sorted(c.id for c in memory.claims.values() if term in c.terms))
        if len(ids) < REPEAT_THRESHOLD:
            continue
        flag_id = "f-" + tx.fingerprint(REPETITION, term, length=12)
        old = memory.flags.get(flag_id)
        if old is None or old.claim_ids != ids:
            memory.flags[flag_id] = Flag(
                flag_id, REPETITION, ids, term, f"“{term}” comes back in {len(ids)} claims", now
            )
            found.append(flag_id)
    return found


OBSERVERS = {"contradictions": observe_contradictions, "repetitions": observe_repetitions}


# ----------------------------------------------------------------------------- consolidation


def merge_duplicates(memory: Memory, unit_id: str) -> list[tuple[str, str]]:
    """Merge the note's claims into older near-duplicates (same polarity, most terms shared).

    Returns ``(kept, merged)`` id pairs. The older claim keeps its id and text
    and gains the other's sources and support; flags follow it.
    """
    merged: list[tuple[str, str]] = []
    for claim in claims_of(memory, unit_id):
        if claim.id not in memory.claims or len(claim.terms) < 2:
            continue
        for other in sorted(memory.claims.values(), key=lambda c: (c.created_at, c.id)):
            if other.id == claim.id or other.negated != claim.negated or len(other.terms) < 2:
                continue
            if tx.jaccard(claim.terms, other.terms) < DUPLICATE_OVERLAP:
                continue
            keep, drop = sorted((claim, other), key=lambda c: (c.created_at, c.id))
            memory.claims[keep.id] = replace(
                keep,
                sources=tuple(dict.fromkeys((*keep.sources, *drop.sources))),
                support=keep.support + drop.support,
                confidence=max(keep.confidence, drop.confidence),
                last_seen=max(keep.last_seen, drop.last_seen),
            )
            del memory.claims[drop.id]
            _redirect_flags(memory, drop.id, keep.id)
            merged.append((keep.id, drop.id))
            break
    if merged:
        memory.bump()
    return merged


def _redirect_flags(memory: Memory, old: str, new: str) -> None:
    """Point flags at the claim that absorbed *old*; two contradictions that become one pair become one flag."""
    for flag in list(memory.flags.values()):
        if old not in flag.claim_ids:
            continue
        ids = tuple(sorted({new if i == old else i for i in flag.claim_ids}))
        if flag.kind != CONTRADICTION:
            memory.flags[flag.id] = replace(flag, claim_ids=ids)
            continue
        del memory.flags[flag.id]
        flag_id = "f-" + tx.fingerprint(CONTRADICTION, *ids, length=12)
        if len(ids) == 2 and flag_id not in memory.flags:
            memory.flags[flag_id] = replace(flag, id=flag_id, claim_ids=ids)


def rebuild_chains(memory: Memory) -> list[str]:
    """Link claims that share a key term into chains; return the ids of chains that changed."""
    by_term: dict[str, list[Claim]] = {}
    for claim in memory.claims.values():
        for term in claim.terms:
            by_term.setdefault(term, []).append(claim)
    chains: dict[str, Chain] = {}
    changed = []
    for term, claims in by_term.items():
        if len(claims) < CHAIN_MIN_CLAIMS:
            continue
        chain_id = "ch-" + term
        ids = tuple(sorted(c.id for c in claims))
        last = max(c.last_seen for c in claims)
        old = memory.chains.get(chain_id)
        if old is not None and old.claim_ids == ids and old.last_activity == last:
            chains[chain_id] = old
            continue
        chains[chain_id] = Chain(chain_id, term, ids, last, dormant=False, checked_at=old.checked_at if old else None)
        changed.append(chain_id)
    changed += [key for key in memory.chains if key not in chains]
    memory.chains = chains
    return sorted(changed)


# ----------------------------------------------------------------------------- periodic work


def decay_candidates(memory: Memory, now: float, stale_after_ms: float, slot: int) -> list[str]:
    """Claims not seen for *stale_after_ms* that this decay slot has not lowered yet."""
    return sorted(c.id for c in memory.claims.values() if c.last_seen <= now - stale_after_ms and c.decayed_slot < slot)


def decay(memory: Memory, claim_ids: list[str], slot: int, factor: float) -> int:
    """Lower the confidence of *claim_ids* by *factor*, once per slot; return how many changed."""
    changed = 0
    for claim_id in claim_ids:
        claim = memory.claims.get(claim_id)
        if claim is None or claim.decayed_slot >= slot:
            continue
        lowered = max(CONFIDENCE_FLOOR, round(claim.confidence * factor, 4))
        memory.claims[claim_id] = replace(claim, confidence=lowered, decayed_slot=slot)
        changed += 1
    memory.meta["decay_slot"] = max(slot, int(memory.meta.get("decay_slot", -1)))
    return changed


def check_dormancy(memory: Memory, now: float, dormant_after_ms: float) -> list[str]:
    """Mark chains with no activity for *dormant_after_ms* dormant (and woken ones active); return the dormant."""
    dormant = []
    for chain in list(memory.chains.values()):
        is_dormant = chain.last_activity <= now - dormant_after_ms
        memory.chains[chain.id] = replace(chain, dormant=is_dormant, checked_at=now)
        if is_dormant:
            dormant.append(chain.id)
    return sorted(dormant)


# ----------------------------------------------------------------------------- summaries, goals, syntheses


def session_fingerprint(memory: Memory, session_id: str) -> str:
    """Changes whenever a note of the session is added, edited or extracted."""
    units = sorted((u.id, u.extracted_hash or "") for u in memory.units.values() if u.session_id == session_id)
    return tx.fingerprint(*(part for pair in units for part in pair), length=12)


def summarize_session(memory: Memory, session_id: str, now: float) -> Summary | None:
    """Summarise the session's notes: how many, their main terms, and the latest note's first sentence."""
    units = sorted((u for u in memory.units.values() if u.session_id == session_id), key=lambda u: u.created_at)
    if not units:
        memory.summaries.pop(session_id, None)
        return None
    unit_ids = {u.id for u in units}
    claims = [c for c in memory.claims.values() if unit_ids & set(c.sources)]
    counts = Counter(t for c in claims for t in c.terms)
    top = tuple(t for t, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:5])
    latest = (tx.sentences(units[-1].text) or [units[-1].text])[0]
    notes = f"{len(units)} note{'s' if len(units) != 1 else ''}"
    text = f"{notes}, {len(claims)} claim{'s' if len(claims) != 1 else ''}."
    if top:
        text += f" Main topics: {', '.join(top)}."
    text += f" Latest: “{_clip(latest, 140)}”"
    summary = Summary(session_id, text, len(units), len(claims), top, now)
    memory.summaries[session_id] = summary
    return summary


def goal_id_for(text: str) -> str:
    return "g-" + tx.fingerprint(tx.normalize(text).casefold(), length=12)


def add_goal(memory: Memory, text: str, now: float) -> Goal:
    """Set a goal; its key terms are what the claims are checked against."""
    clean = tx.normalize(text)
    terms = tuple(tx.key_terms(clean, limit=8))
    if not terms:
        raise NoteError("a goal needs at least one word that says what it is about")
    goal_id = goal_id_for(clean)
    goal = memory.goals.get(goal_id) or Goal(goal_id, clean, terms, now)
    memory.goals[goal_id] = goal
    return goal


def goal_progress(memory: Memory, goal_id: str, now: float) -> Goal | None:
    """How much of a goal the memory covers: each goal term counts with the best confidence of a claim on it."""
    goal = memory.goals.get(goal_id)
    if goal is None:
        return None
    best: dict[str, float] = {}
    supporting: list[Claim] = []
    for claim in memory.claims.values():
        shared = set(goal.terms) & set(claim.terms)
        if not shared or claim.negated:
            continue
        supporting.append(claim)
        for term in shared:
            best[term] = max(best.get(term, 0.0), claim.confidence)
    progress = round(sum(best.values()) / len(goal.terms), 4) if goal.terms else 0.0
    top = sorted(supporting, key=lambda c: (-c.confidence, c.id))[:10]
    updated = replace(
        goal,
        progress=min(1.0, progress),
        matched=tuple(t for t in goal.terms if t in best),
        claim_ids=tuple(c.id for c in top),
        checked_at=now,
    )
    memory.goals[goal_id] = updated
    return updated


def synthesis_topics(memory: Memory) -> list[tuple[str, str]]:
    """Chains big enough to synthesise whose claims changed since their synthesis: ``(topic, fingerprint)``."""
    out = []
    for chain in sorted(memory.chains.values(), key=lambda c: c.term):
        if len(chain.claim_ids) < SYNTHESIS_MIN_CLAIMS:
            continue
        ids = _synthesis_claims(memory, chain.term)
        old = memory.syntheses.get("s-" + chain.term)
        if old is not None and old.claim_ids == ids:
            continue
        out.append((chain.term, tx.fingerprint(*ids, length=12)))
    return out


def _synthesis_claims(memory: Memory, topic: str) -> tuple[str, ...]:
    claims = [c for c in memory.claims.values() if topic in c.terms]
    ranked = sorted(claims, key=lambda c: (-c.confidence, c.created_at, c.id))[:SYNTHESIS_MAX_CLAIMS]
    return tuple(c.id for c in ranked)


def synthesize(memory: Memory, topic: str, now: float) -> Synthesis | None:
    """Combine the strongest claims on *topic* into one statement, the dissenting ones named as such."""
    ids = _synthesis_claims(memory, topic)
    if len(ids) < 2:
        memory.syntheses.pop("s-" + topic, None)
        return None
    claims = [memory.claims[i] for i in ids]
    agree = [_clip(c.text.rstrip(".!?;"), 160) for c in claims if not c.negated]
    disagree = [_clip(c.text.rstrip(".!?;"), 160) for c in claims if c.negated]
    sources = len({s for c in claims for s in c.sources})
    text = f"On “{topic}” ({sources} note{'s' if sources != 1 else ''}): "
    text += "; ".join(agree) + "." if agree else "nothing is asserted."
    if disagree:
        text += " But: " + "; ".join(disagree) + "."
    synthesis = Synthesis("s-" + topic, topic, text, ids, now)
    memory.syntheses[synthesis.id] = synthesis
    return synthesis


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
