"""Text helpers for extraction: sentences, key terms, negation, similarity, content hashes.

Deterministic and dependency-free: the same text always gives the same claims.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable

STOPWORDS = frozenset(
    """
    a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each even ever every few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself just like may me
    might more most much must my myself nor of off on once only or other our ours ourselves out over own per
    quite rather really same she should so some such than that the their theirs them themselves then there these
    they this those through to too under until up upon us very was we were what when where which while who whom
    why will with within would yet you your yours yourself yourselves one two get got make made still well way
    thing things lot lots today yesterday tomorrow now always often sometimes usually maybe perhaps almost
    """.split()  # noqa: SIM905 - a word list reads better as text
)

NEGATIONS = frozenset(
    """
    not no never none nothing nobody nowhere neither nor cannot without isn't aren't wasn't weren't don't doesn't
    didn't won't wouldn't can't couldn't shouldn't hasn't haven't hadn't
    """.split()  # noqa: SIM905 - a word list reads better as text
)

MIN_SENTENCE_WORDS = 3
MAX_TERMS = 6

_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n+")
_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")


def normalize(text: str) -> str:
    """Collapse runs of whitespace and trim: two texts that differ only in spacing are the same note."""
    return " ".join(text.split())


def fingerprint(*parts: object, length: int = 16) -> str:
    """A short stable hash of *parts* (hex), for content hashes and unique keys."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).hexdigest()
    return digest[:length]


def content_hash(text: str) -> str:
    """The hash of a note's normalized text: re-saving unchanged text gives the same hash."""
    return fingerprint(normalize(text))


def sentences(text: str) -> list[str]:
    """Split *text* into sentences (on . ! ? ; and line breaks), dropping ones shorter than three words."""
    out = []
    for raw in _SENTENCE_END.split(text):
        sentence = normalize(raw)
        if len(words(sentence)) >= MIN_SENTENCE_WORDS:
            out.append(sentence)
    return out


def words(text: str) -> list[str]:
    """Lower-case words of *text*, apostrophes kept inside words (``don't``)."""
    return [w.replace("\u2019", "'") for w in _WORD.findall(text.casefold())]


def stem(word: str) -> str:
    """A deliberately light stem: plural ``-s`` and possessive ``'s`` go, so ``notes`` matches ``note``."""
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def key_terms(text: str, limit: int = MAX_TERMS) -> list[str]:
    """The most frequent content words of *text* (stemmed), ties in order of first appearance."""
    terms = [
        stem(w)
        for w in words(text)
        if len(w) >= 3 and w not in STOPWORDS and w not in NEGATIONS and not w.isdigit() and "'" not in w
    ]
    counts = Counter(terms)
    first = {t: i for i, t in reversed(list(enumerate(terms)))}
    return sorted(counts, key=lambda t: (-counts[t], first[t]))[:limit]


def is_negated(text: str) -> bool:
    """True if *text* contains a negation word (``not``, ``never``, ``don't`` ...)."""
    return any(w in NEGATIONS or w.endswith("n't") for w in words(text))


def jaccard(a: Iterable[str], b: Iterable[str]) -> float:
    """Overlap of two term sets, from 0 (nothing shared) to 1 (the same)."""
    sa, sb = set(a), set(b)
    if not sa and not sb:
        return 1.0
    return len(sa & sb) / len(sa | sb)
