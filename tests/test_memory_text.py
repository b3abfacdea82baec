"""The memory app's text helpers: sentences, key terms, negation, hashes."""

from __future__ import annotations

from web.memory import text as tx


def test_sentences_split_on_punctuation_and_line_breaks_and_drop_fragments() -> None:
    note = "Coffee helps me focus in the morning. Too much.\nTea is calmer than coffee! Is it really better?"
    assert tx.sentences(note) == [
        "Coffee helps me focus in the morning.",
        "Tea is calmer than coffee!",
        "Is it really better?",
    ]


def test_key_terms_are_frequent_content_words_stemmed_in_first_seen_order() -> None:
    assert tx.key_terms("The notes about notes and the queue: a queue of tasks, tasks") == ["note", "queue", "task"]
    assert tx.key_terms("it is what it is") == []


def test_negation_is_found_in_plain_and_contracted_forms() -> None:
    assert tx.is_negated("Coffee does not help")
    assert tx.is_negated("Coffee doesn't help")
    assert tx.is_negated("Coffee doesn\u2019t help")
    assert not tx.is_negated("Coffee helps a lot")


def test_content_hash_ignores_spacing_but_not_wording() -> None:
    assert tx.content_hash("a  note\n here ") == tx.content_hash("a note here")
    assert tx.content_hash("a note here") != tx.content_hash("a note there")


def test_jaccard() -> None:
    assert tx.jaccard(["a", "b"], ["a", "b"]) == 1.0
    assert tx.jaccard(["a", "b"], ["b", "c"]) == 1 / 3
    assert tx.jaccard([], []) == 1.0
