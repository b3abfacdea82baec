"""What each memory task does to the memory, under CPython: deterministic and safe to repeat."""

from __future__ import annotations

import pytest

from web.memory import logic
from web.memory.model import CONTRADICTION, REPETITION, Memory, diff
from web.memory.reader import load

T0 = 1_750_000_000_000.0
MINUTE = 60_000.0


def extracted(memory: Memory, text: str, now: float = T0) -> str:
    saved = logic.save_unit(memory, text, now)
    logic.apply_extraction(memory, saved.unit.id, saved.unit.content_hash, logic.draft_claims(text), now)
    return saved.unit.id


def test_saving_the_same_text_twice_finds_the_same_unit_unchanged() -> None:
    memory = Memory()
    first = logic.save_unit(memory, "Coffee helps me focus in the morning.", T0)
    again = logic.save_unit(memory, "Coffee helps me  focus in the morning. ", T0 + 1)
    assert first.created and first.changed
    assert not again.created and not again.changed
    assert again.unit.id == first.unit.id and again.unit.saves == 2
    assert list(memory.units) == [first.unit.id]


def test_an_edited_unit_keeps_its_id_and_gets_a_new_hash() -> None:
    memory = Memory()
    first = logic.save_unit(memory, "Coffee helps me focus.", T0)
    edited = logic.save_unit(memory, "Coffee helps me focus a lot.", T0 + 1, unit_id=first.unit.id)
    assert edited.changed and edited.unit.id == first.unit.id
    assert edited.unit.content_hash != first.unit.content_hash


def test_empty_and_oversized_notes_are_refused_with_a_reason() -> None:
    with pytest.raises(logic.NoteError, match="needs some text"):
        logic.save_unit(Memory(), "   ", T0)
    with pytest.raises(logic.NoteError, match="at most"):
        logic.save_unit(Memory(), "x" * (logic.MAX_NOTE_CHARS + 1), T0)


def test_extraction_makes_one_claim_per_sentence_and_a_second_run_changes_nothing() -> None:
    memory = Memory()
    unit_id = extracted(memory, "Coffee helps me focus in the morning. Tea is calmer than coffee.")
    assert sorted(c.text for c in memory.claims.values()) == [
        "Coffee helps me focus in the morning.",
        "Tea is calmer than coffee.",
    ]
    unit = memory.units[unit_id]
    assert unit.claim_count == 2 and unit.extracted_hash == unit.content_hash
    before = memory.to_records()
    again = logic.apply_extraction(memory, unit_id, unit.content_hash, logic.draft_claims(unit.text), T0 + 5)
    assert again == []
    assert diff(before, memory.to_records()) == {}
    assert logic.extraction_skip_reason(memory, unit_id, unit.content_hash) == (
        "this version of the note was already extracted"
    )


def test_re_extracting_an_edited_note_replaces_its_claims() -> None:
    memory = Memory()
    unit_id = extracted(memory, "Coffee helps me focus in the morning.")
    edited = logic.save_unit(memory, "Tea helps me sleep at night.", T0 + 1, unit_id=unit_id)
    assert logic.extraction_skip_reason(memory, unit_id, "stale-hash") is not None
    logic.apply_extraction(memory, unit_id, edited.unit.content_hash, logic.draft_claims(edited.unit.text), T0 + 1)
    assert [c.text for c in memory.claims.values()] == ["Tea helps me sleep at night."]


def test_the_same_sentence_in_two_notes_is_one_claim_seen_twice() -> None:
    memory = Memory()
    a = extracted(memory, "Walking clears my head. I walk daily.")
    b = extracted(memory, "Walking clears my head. Running hurts my knees.", T0 + MINUTE)
    shared = memory.claims[logic.claim_id_for("Walking clears my head.")]
    assert shared.sources == (a, b) and shared.support == 2
    assert shared.confidence == pytest.approx(logic.INITIAL_CONFIDENCE + logic.REINFORCE)
    assert shared.last_seen == T0 + MINUTE


def test_the_contradiction_observer_flags_opposite_claims_once() -> None:
    memory = Memory()
    extracted(memory, "Coffee helps my focus at work.")
    b = extracted(memory, "Coffee does not help my focus at work.", T0 + 1)
    found = logic.observe_contradictions(memory, b, T0 + 2)
    assert len(found) == 1
    flag = memory.flags[found[0]]
    assert flag.kind == CONTRADICTION and len(flag.claim_ids) == 2
    assert "coffee" in flag.note
    assert logic.observe_contradictions(memory, b, T0 + 3) == []


def test_the_repetition_observer_flags_a_term_in_three_claims() -> None:
    memory = Memory()
    extracted(memory, "Sleep matters for memory.")
    extracted(memory, "Sleep improves my mood.", T0 + 1)
    c = extracted(memory, "Sleep comes easier after exercise.", T0 + 2)
    found = logic.observe_repetitions(memory, c, T0 + 3)
    flags = [memory.flags[f] for f in found]
    assert [(f.kind, f.term, len(f.claim_ids)) for f in flags] == [(REPETITION, "sleep", 3)]
    assert logic.observe_repetitions(memory, c, T0 + 4) == []


def test_consolidation_merges_near_duplicates_into_the_older_claim_and_moves_flags() -> None:
    memory = Memory()
    a = extracted(memory, "Morning coffee helps my focus at work.")
    extracted(memory, "Coffee does not help my focus at work.", T0 + 1)
    b = extracted(memory, "Morning coffee really helps my focus at work!", T0 + 2)
    logic.observe_contradictions(memory, a, T0 + 3)
    logic.observe_contradictions(memory, b, T0 + 3)
    assert len(memory.claims) == 3 and len(memory.flags) == 2
    merged = logic.merge_duplicates(memory, b)
    assert len(merged) == 1
    kept = memory.claims[merged[0][0]]
    assert kept.sources == (a, b) and kept.support == 2
    assert len(memory.claims) == 2
    assert all(merged[0][1] not in f.claim_ids for f in memory.flags.values())
    (flag,) = memory.flags.values()  # the two contradictions are now the same pair: one flag
    assert merged[0][0] in flag.claim_ids
    assert logic.merge_duplicates(memory, b) == []


def test_chains_link_claims_sharing_a_term() -> None:
    memory = Memory()
    extracted(memory, "Sleep matters for memory.")
    extracted(memory, "Sleep improves my mood.", T0 + 1)
    changed = logic.rebuild_chains(memory)
    assert changed == ["ch-sleep"]
    assert len(memory.chains["ch-sleep"].claim_ids) == 2
    assert logic.rebuild_chains(memory) == []


def test_decay_lowers_stale_claims_once_per_slot() -> None:
    memory = Memory()
    extracted(memory, "Old idea about gardens.")
    extracted(memory, "Fresh idea about rivers.", T0 + 20 * MINUTE)
    now = T0 + 21 * MINUTE
    ids = logic.decay_candidates(memory, now, 10 * MINUTE, slot=7)
    assert [memory.claims[i].text for i in ids] == ["Old idea about gardens."]
    assert logic.decay(memory, ids, 7, 0.5) == 1
    assert memory.claims[ids[0]].confidence == pytest.approx(0.35)
    assert logic.decay(memory, ids, 7, 0.5) == 0
    assert logic.decay_candidates(memory, now, 10 * MINUTE, slot=7) == []
    assert memory.meta["decay_slot"] == 7


def test_dormancy_marks_quiet_chains_and_wakes_them_on_new_activity() -> None:
    memory = Memory()
    extracted(memory, "Sleep matters for memory.")
    extracted(memory, "Sleep improves my mood.", T0 + 1)
    logic.rebuild_chains(memory)
    assert logic.check_dormancy(memory, T0 + 31 * MINUTE, 30 * MINUTE) == ["ch-sleep"]
    extracted(memory, "Sleep comes easier after exercise.", T0 + 32 * MINUTE)
    logic.rebuild_chains(memory)
    assert not memory.chains["ch-sleep"].dormant


def test_session_summary_names_counts_topics_and_the_latest_note() -> None:
    memory = Memory()
    extracted(memory, "Sleep matters for memory.")
    unit = extracted(memory, "Sleep improves my mood. Exercise helps sleep.", T0 + 1)
    summary = logic.summarize_session(memory, memory.units[unit].session_id, T0 + 2)
    assert summary is not None
    assert summary.text.startswith("2 notes, 3 claims. Main topics: sleep,")
    assert summary.text.endswith("Latest: “Sleep improves my mood.”")


def test_goal_progress_counts_covered_terms_at_their_best_confidence() -> None:
    memory = Memory()
    goal = logic.add_goal(memory, "Understand sleep and exercise", T0)
    assert goal.terms == ("understand", "sleep", "exercise")
    extracted(memory, "Sleep matters for memory.")
    checked = logic.goal_progress(memory, goal.id, T0 + 1)
    assert checked is not None
    assert checked.matched == ("sleep",)
    assert checked.progress == pytest.approx(logic.INITIAL_CONFIDENCE / 3, abs=1e-4)
    with pytest.raises(logic.NoteError):
        logic.add_goal(memory, "it is", T0)


def test_synthesis_combines_the_strongest_claims_and_names_the_dissent() -> None:
    memory = Memory()
    extracted(memory, "Coffee helps my focus.")
    extracted(memory, "Coffee tastes great with milk.", T0 + 1)
    extracted(memory, "Coffee does not help my sleep.", T0 + 2)
    logic.rebuild_chains(memory)
    assert [topic for topic, _ in logic.synthesis_topics(memory)] == ["coffee"]
    synthesis = logic.synthesize(memory, "coffee", T0 + 3)
    assert synthesis is not None
    assert synthesis.text == (
        "On “coffee” (3 notes): Coffee helps my focus; Coffee tastes great with milk. "
        "But: Coffee does not help my sleep."
    )
    assert logic.synthesis_topics(memory) == []


def test_memory_records_round_trip_and_diff_lists_only_changes() -> None:
    memory = Memory()
    extracted(memory, "Sleep matters for memory.")
    records = memory.to_records()
    again, _loaded = load(records)
    assert again.to_records() == records
    logic.save_unit(again, "Another note entirely here.", T0 + 1)
    changes = diff(records, again.to_records())
    assert list(changes) == ["units"] and len(changes["units"][0]) == 1 and changes["units"][1] == []
