"""Text folding and fuzzy matching for name search (accent-insensitive, typo-tolerant)."""
from __future__ import annotations

import re
import unicodedata

from rapidfuzz.distance import DamerauLevenshtein

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})
_NON_WORD = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    """Lower-case, without accents or punctuation: 'Nénette-Œuvre' -> 'nenette oeuvre'."""
    text = unicodedata.normalize("NFKD", (text or "").translate(_LIGATURES))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return _NON_WORD.sub(" ", text).strip()


def words(text: str) -> list[str]:
    """The folded words of a text."""
    return fold(text).split()


def max_typos(word: str) -> int:
    """How many typos a query word may carry: none under 3 letters, 1 up to 7, then 2."""
    if len(word) < 3:
        return 0
    return 1 if len(word) <= 7 else 2


def word_matches(query_word: str, candidate_words: list[str]) -> bool:
    """Whether a query word is a prefix of, or within its typo allowance of, a candidate word.

    Three-letter words (Ali, Awa, Nour without its last letter…) get one typo against whole
    words of the same length only: against prefixes they would match far too much.
    """
    allowed = max_typos(query_word)
    for cand in candidate_words:
        if cand.startswith(query_word):
            return True
        if len(query_word) == 3:
            if len(cand) == 3 and DamerauLevenshtein.distance(query_word, cand,
                                                              score_cutoff=1) <= 1:
                return True
            continue
        if allowed and (
            DamerauLevenshtein.distance(query_word, cand, score_cutoff=allowed) <= allowed
            or DamerauLevenshtein.distance(query_word, cand[:len(query_word)],
                                           score_cutoff=allowed) <= allowed
        ):
            return True
    return False


def fuzzy_match(query: str, search_text: str) -> bool:
    """Whether every word of `query` matches some word of `search_text` (already folded)."""
    q = words(query)
    cands = search_text.split()
    return bool(q) and all(word_matches(w, cands) for w in q)
