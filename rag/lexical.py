"""Keyword (BM25) search over chunks, for the words that vectors blur.

Names, numbers and a question's own wording ("free cash flow", "380 billion",
an analyst's question read out on a call) are found exactly by term matching;
dense encoders smear them. The tokenizer handles English (lowercased, Snowball
stemmed, stop words dropped) and Chinese (overlapping character bigrams, so a
Chinese sentence is not one giant token and no dictionary has to be loaded).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import threading
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path, PurePath

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_EN_PLUS
from breame.data.spelling_constants import BRITISH_ENGLISH_SPELLINGS
from rapidfuzz import process
from rapidfuzz.distance import OSA

from rag.figures import spell_percents, values

_CJK_RANGE = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(
    rf"(?P<cjk>[{_CJK_RANGE}]+)"
    rf"|(?P<num>\d+(?:[.,]\d+)*)"
    rf"|(?P<word>[^\W\d_{_CJK_RANGE}]+(?:['’][^\W\d_{_CJK_RANGE}]+)*)"
)
_ACRONYM_PLURAL = re.compile(r"(?<![A-Za-z])([A-Z]{2,})s(?![A-Za-z])")
""""GPUs", "LLMs", "KPIs": Snowball keeps the s after a vowel or with no vowel at all."""
_FIGURE = re.compile(
    r"(\d+(?:[.,]\d+)*)"
    r"(\s*%|\s*per\s+cent\b|\s*(?:bn|billion|mn|mln|million|tn|trillion|bps?)\b|[bmk]\b)"
)
_CURRENCY = re.compile(r"\busd\b|\busa?\$|\$(?=\s*\d)|\b(?:rmb|cny)\b")
_UNIT_WORDS = {
    "%": "percent",
    "per cent": "percent",
    "b": "billion",
    "bn": "billion",
    "m": "million",
    "mn": "million",
    "mln": "million",
    "tn": "trillion",
    "k": "thousand",
    "bp": "basis points",
    "bps": "basis points",
    "usd": "usa dollar",
    "us$": "usa dollar",
    "usa$": "usa dollar",
    "$": "dollar",
    "rmb": "yuan",
    "cny": "yuan",
}
"""Figures as calls write them and as people ask: "$247.8B" and "247.8 billion", "29%" and
"29 percent", "USD" and "U.S. dollars", "RMB" and "yuan" give the same terms."""


def _spell_figure(match: re.Match[str]) -> str:
    start, unit = match.start(), " ".join(match.group(2).split())
    if len(unit) == 1 and unit.isalpha() and start and match.string[start - 1].isalnum():
        return match.group(0)  # "b2b" is no figure
    return f"{match.group(1)} {_UNIT_WORDS.get(unit, unit)} "


def _spell_units(text: str) -> str:
    """``text`` (lower-cased) with the units of its figures and currencies in words."""
    text = _FIGURE.sub(_spell_figure, text)
    if "$" in text or "usd" in text or "rmb" in text or "cny" in text:
        text = _CURRENCY.sub(lambda m: f" {_UNIT_WORDS[m.group(0)]} ", text)
    return text


# Single letters stay: meeting speakers are "PhD D", "Grad B".
STOPWORDS = frozenset(STOPWORDS_EN_PLUS) - {"d", "m", "o", "y"}
_ABBREVIATIONS = {
    "capex": "capital expenditure",
    "opex": "operating expenses",
    "fcf": "free cash flow",
    "yoy": "year over year",
    "y/y": "year over year",
    "qoq": "quarter over quarter",
    "q/q": "quarter over quarter",
    "ytd": "year to date",
    "r&d": "research and development",
    "m&a": "mergers and acquisitions",
    "sg&a": "selling general and administrative",
    "cogs": "cost of goods sold",
    "eps": "earnings per share",
    "gmv": "gross merchandise volume",
    "arr": "annual recurring revenue",
    "arpu": "average revenue per user",
    "roe": "return on equity",
    "roi": "return on investment",
    "roic": "return on invested capital",
    "bps": "basis points",
    "ceo": "chief executive officer",
    "cfo": "chief financial officer",
    "coo": "chief operating officer",
    "ai": "artificial intelligence",
    "fx": "foreign exchange",
    "cagr": "compound annual growth rate",
    "aum": "assets under management",
    "nim": "net interest margin",
    "nii": "net interest income",
    "revpar": "revenue per available room",
    "ipo": "initial public offering",
    "kpi": "key performance indicator",
    "saas": "software as a service",
    "esg": "environmental social and governance",
    "ltm": "last twelve months",
    "ttm": "trailing twelve months",
    "dau": "daily active users",
    "mau": "monthly active users",
    "p&l": "profit and loss",
}
"""Abbreviations calls and analysts use for words the other side writes out ("How much FCF
did they burn?" of "free cash flow"): each is read as its words, in passages and questions."""
_SPELT = {
    abbreviation: [w for w in words.split() if w not in STOPWORDS]
    for abbreviation, words in _ABBREVIATIONS.items()
    if abbreviation.isalpha()
}
_JOINED = re.compile(
    r"(?<![\w&/])("
    + "|".join(re.escape(a) for a in _ABBREVIATIONS if not a.isalpha())
    + r")(?![\w&/])"
)
_AMPERSAND_NAME = re.compile(r"(?<![\w&])([a-z]{1,2})&([a-z]{1,2})(?![\w&])")
"""A name of letters joined by "&" ("AT&T", "S&P", "M&T"), read as one term ("att"): its
letters alone are stop words or single letters, so "What did AT&T say?" lost the name."""
_INITIALISM = re.compile(r"(?<![\w.])(?:[A-Za-z]\.){1,4}[A-Za-z](?!\w)\.?")
_COUNTRY_CODE = re.compile(r"\bUSA?\b")
_COUNTRY_NAMES = re.compile(r"\bunited (?:(states)(?: of america)?|(kingdom))\b")
"""Calls write "U.S." and "U.K.", people type "US" and "UK": dotted initialisms are read
without their dots, and the United States is one term however it is written ("US", "USA",
"United States"), never the pronoun "us"."""
_META = "lexical.json"
_NO_TERMS = " "
TOKENIZER_VERSION = 7
"""Bumped when terms, documents or scoring change; an index saved by another version is
rebuilt on open. 4: each chunk's document holds its transcript's title (``title_of``), and
figures' units and common abbreviations are spelt out (``_spell_units``,
``_ABBREVIATIONS``). 5: dotted initialisms and the United States (``_INITIALISM``).
6: British spellings read as American ones ("colour" is "color"). 7: more finance
abbreviations ("FX", "CAGR", "NIM", "P&L"), names joined by "&" ("AT&T"), "50bp"."""
K1, B = 0.9, 0.4
"""BM25's term saturation and length normalisation: the values common in IR toolkits
(Anserini). Against bm25s' 1.2/0.75, fused with the encoders, they gained 1 of 15, 4 of
135 and 1 of 48 questions at hit@1 on seed_dev, QMSum val and an analysts' question set
from earnings calls; nearby values score alike."""


def normalize(text: str) -> str:
    """``text`` as the tokenizer reads it: lower-cased, initialisms without dots, acronyms'
    plurals, units, percentages and joined abbreviations ("R&D") spelt out. Idempotent."""
    text = unicodedata.normalize("NFKC", text)
    if "." in text:
        text = _INITIALISM.sub(lambda m: m.group(0).replace(".", ""), text)
    text = _ACRONYM_PLURAL.sub(r"\1", text)
    if "US" in text:
        text = _COUNTRY_CODE.sub("usa", text)
    text = text.lower()
    if "united " in text:
        text = _COUNTRY_NAMES.sub(lambda m: "usa" if m.group(1) else "uk", text)
    text = spell_percents(_spell_units(text))
    if "&" in text or "/" in text:
        text = _JOINED.sub(lambda m: f" {_ABBREVIATIONS[m.group(1)]} ", text)
        text = _AMPERSAND_NAME.sub(r"\1\2", text)
    return text


class Tokenizer:
    """Text to BM25 terms: stemmed English words, whole numbers, Chinese bigrams.

    An acronym's plural is the acronym ("GPUs" is "gpu"), as Snowball would do
    for a word.
    """

    def __init__(self) -> None:
        self._stemmer = Stemmer.Stemmer("english")

    def __call__(self, text: str) -> list[str]:
        text = normalize(text)
        terms: list[str] = []
        words: list[str] = []
        for match in _TOKEN.finditer(text):
            if cjk := match.group("cjk"):
                if len(cjk) == 1:
                    terms.append(cjk)
                else:
                    terms.extend(cjk[i : i + 2] for i in range(len(cjk) - 1))
            elif num := match.group("num"):
                terms.append(num.replace(",", ""))
            else:
                word = match.group("word").replace("’", "'")
                if word.endswith("'s"):
                    word = word[:-2]
                word = BRITISH_ENGLISH_SPELLINGS.get(word, word)
                if word in _SPELT:
                    words.extend(_SPELT[word])
                elif word not in STOPWORDS:
                    words.append(word)
        terms.extend(self._stemmer.stemWords(words))
        terms.extend(values(text))
        return terms


_local = threading.local()


def tokenize(text: str) -> list[str]:
    """``Tokenizer`` for any thread: a Snowball stemmer must not be shared between threads."""
    tokenizer = getattr(_local, "tokenizer", None)
    if tokenizer is None:
        tokenizer = _local.tokenizer = Tokenizer()
    return tokenizer(text)


@lru_cache(maxsize=1)
def inflections() -> dict[str, frozenset[str]]:
    """Terms to the other terms of the same verb, its base form and past tense, that the
    stemmer tells apart: "grow" to "grew", "sold" to "sell" (lemminflect's lexicon; 754
    terms). A question asks "How much did revenue grow?" of a call that says "revenue grew";
    the index keeps each form as written, and a question's word reads as either. Past
    participles are left out: often adjectives ("driven by demand" is no "driving"). So are
    nouns made of verbs ("growth"): rules for them ("-th", "-ure", "-al") pair "tote" with
    "total" and "attain" with "attention"."""
    from lemminflect import Inflections

    siblings: dict[str, set[str]] = {}
    for lemma, tags in Inflections()._getInflDict().items():
        words = {lemma, *tags.get("VBD", ())}
        if not all(w.isalpha() and w.islower() for w in words):
            continue
        stems = [tokenize(w) for w in words]
        terms = {t[0] for t in stems if len(t) == 1}
        for term in terms if len(terms) > 1 else ():
            siblings.setdefault(term, set()).update(terms - {term})
    return {term: frozenset(others) for term, others in siblings.items()}


@lru_cache(maxsize=16384)
def term_set(text: str) -> frozenset[str]:
    """The distinct terms of a passage or sentence; cached, as the same passages answer many
    questions and highlighting and confidence both read them."""
    return frozenset(tokenize(text))


FRAME_TERMS = frozenset(
    tokenize(
        "say said says tell told talk talked mention mentioned discuss discussed discussion "
        "comment commented think thought describe described explain explained speak spoke "
        "view views feel felt opinion summarize summarise summary overview much many "
        "situation situations circumstance circumstances"
    )
)
"""Words that frame a question rather than name its topic ("What did they say about
competition?", "How do they view ...", "Summarize ...", "How much ...", "What is the
situation with ...", and 情况 "circumstances" in 收入增长情况如何): a call summarised in the
third person never says "say", so the word weighed as the rarest of all and the passage on
competition read as a fifth of the question. Confidence, highlights and a transcript's
named share pass over them; keyword search keeps them, as "I think" is where meetings give
opinions."""


def title_of(name: str) -> str:
    """A transcript's file name without its extension, read as words ("AVD_q1_2021.txt" is
    avd, q, 1, 2021): users name a call by its file ("What did AVD say about margins?")
    while its passages say "we"."""
    return PurePath(name).stem


TYPO_LETTERS = 5
"""Shortest term (a stem, all letters) read as a typing slip of a known one: a letter left
out, added or changed, or two swapped ("revnue", stem revnu, is "revenue", revenu). Shorter
ones have too many neighbours, and two slips turned "northwest" into "northeast"."""


def idf_of(frequencies: Mapping[str, int], chunks: int) -> dict[str, float]:
    """BM25's inverse document frequency of terms held by ``frequencies[term]`` of ``chunks``."""
    return {
        term: float(np.log(1 + (chunks - df + 0.5) / (df + 0.5)))
        for term, df in frequencies.items()
    }


def top_k(scores: np.ndarray, k: int, stride: int = 16) -> np.ndarray:
    """Indices of the ``k`` highest scores, best first, without partitioning all of them.

    The kth best of every ``stride``-th score is no higher than the kth best of
    all, so every true top-k score passes it as a threshold, and only the few
    that pass are sorted: half the time of ``argpartition`` at a million chunks.
    """
    k = min(k, len(scores))
    candidates = np.arange(len(scores))
    sample = scores[::stride]
    if len(sample) > k:
        candidates = np.flatnonzero(scores >= np.partition(sample, len(sample) - k)[-k])
    if len(candidates) > k:
        part = np.argpartition(scores[candidates], len(candidates) - k)[len(candidates) - k :]
        candidates = candidates[part]
    return candidates[np.argsort(-scores[candidates], kind="stable")]


class LexicalIndex:
    """BM25 over chunk texts, keyed by the caller's int64 chunk ids."""

    def __init__(self, bm25: bm25s.BM25, ids: np.ndarray) -> None:
        self._bm25 = bm25
        self._ids = ids
        self._vocab: dict[str, int] = bm25.vocab_dict
        self._words: dict[str, list[str]] | None = None

    @classmethod
    def build(cls, ids: Sequence[int], texts: Sequence[str]) -> LexicalIndex:
        if len(ids) != len(texts):
            raise ValueError(f"{len(ids)} ids for {len(texts)} texts")
        terms = [tokenize(t) for t in texts]
        if not any(terms):
            # bm25s cannot index an empty vocabulary (texts of punctuation only); a term
            # no tokenizer emits keeps the index valid and matches no question.
            terms = [[_NO_TERMS]] * len(terms)
        bm25 = bm25s.BM25(k1=K1, b=B)
        bm25.index(terms, show_progress=False)
        return cls(bm25, np.asarray(ids, dtype=np.int64))

    def __len__(self) -> int:
        return len(self._ids)

    def ids(self) -> np.ndarray:
        return self._ids

    def terms(self, text: str) -> list[str]:
        """The query terms the index knows, each once, in order."""
        return list(dict.fromkeys(t for t in tokenize(text) if t in self._vocab))

    def _forms(self, query: str) -> tuple[list[str], list[list[list[str]]]]:
        """The query's known terms, and each term with other forms the index knows
        (``inflections``) as a group of alternatives: the best form counts, as for a
        Chinese word's senses."""
        terms: list[str] = []
        groups: list[list[list[str]]] = []
        siblings = inflections()
        seen: set[tuple[str, ...]] = set()  # "grow" and "grew" asked together count once
        for term in dict.fromkeys(tokenize(query)):
            forms = () if term in FRAME_TERMS else siblings.get(term, ())
            known = tuple(f for f in sorted({term, *forms}) if f in self._vocab)
            if not known or known in seen:
                continue
            seen.add(known)
            if known == (term,):
                terms.append(term)
            else:
                groups.append([[f] for f in known])
        return terms, groups

    def search(
        self,
        query: str,
        k: int,
        alternatives: Sequence[Sequence[str]] = (),
        idf: Callable[[list[str]], Mapping[str, float]] | None = None,
    ) -> list[tuple[int, float]]:
        """The ``k`` best chunks for ``query``, best first; chunks sharing no term are left out.

        Each entry of ``alternatives`` is one word given as alternative readings (a Chinese
        word's English senses): it adds its best reading's score, not their sum, so a
        passage that says "plan", "project" and "program" is not counted thrice for 计划.
        ``idf``: the weights of a larger collection this index is part of, in place of
        its own (every chunk is scored; for a small index).
        """
        terms, forms = self._forms(query)
        groups = [[self.terms(text) for text in group] for group in alternatives]
        groups = [[reading for reading in group if reading] for group in groups] + forms
        groups = [group for group in groups if group]
        if not (terms or groups) or not len(self._ids):
            return []
        if idf is not None:
            used = sorted({*terms, *(t for group in groups for r in group for t in r)})
            wanted, own = idf(used), self.idf(used)
            scale = {t: wanted[t] / own[t] for t in used if own.get(t) and t in wanted}
            exact = self._exact(None, terms, groups, scale)
            top = top_k(exact, k)
            return [(int(self._ids[i]), float(exact[i])) for i in top if exact[i] > 0]
        if not groups:
            scores = self._bm25.get_scores(terms)
            top = top_k(scores, k)
            return [(int(self._ids[i]), float(scores[i])) for i in top if scores[i] > 0]
        rows, scores = self._best_readings(terms, groups, k)
        return [(int(self._ids[r]), float(s)) for r, s in zip(rows, scores, strict=True) if s > 0]

    def _best_readings(
        self, terms: list[str], groups: list[list[list[str]]], k: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` rows by the terms' scores plus each group's best reading, exactly.

        One pass over every term of every reading (a group's terms once each) bounds each
        row's score from above; exact scores are taken for the rows with the best bounds
        only, and the rest cannot beat the kth of those once it clears their best bound
        (else eight times as many rows are scored). A few milliseconds at a million
        chunks, where a score array per reading took tens.
        """
        bound = self._bm25.get_scores(
            terms + [t for group in groups for t in dict.fromkeys(t for r in group for t in r)]
        )
        size = max(8 * k, 1000)
        while True:
            pool = top_k(bound, size)
            exact = self._exact(pool, terms, groups)
            best = np.argsort(-exact, kind="stable")[:k]
            if len(pool) == len(bound) or (len(best) and exact[best[-1]] >= bound[pool[-1]]):
                return pool[best], exact[best]
            size *= 8

    def _exact(
        self,
        rows: np.ndarray | None,
        terms: list[str],
        groups: list[list[list[str]]],
        scale: Mapping[str, float] | None = None,
    ) -> np.ndarray:
        cache: dict[str, np.ndarray] = {}

        def score(term: str) -> np.ndarray:
            if term not in cache:
                cache[term] = self._term_scores(term, rows) * (scale or {}).get(term, 1.0)
            return cache[term]

        total = np.zeros(len(self._ids) if rows is None else len(rows), dtype=np.float64)
        for term in terms:
            total += score(term)
        for group in groups:
            total += np.max([sum(score(t) for t in reading) for reading in group], axis=0)
        return total

    def _term_scores(self, term: str, rows: np.ndarray | None) -> np.ndarray:
        """``term``'s BM25 score in each of ``rows`` (every row if None; 0 where absent),
        from its postings."""
        index = self._vocab[term]
        matrix = self._bm25.scores
        start, end = int(matrix["indptr"][index]), int(matrix["indptr"][index + 1])
        docs, values = matrix["indices"][start:end], matrix["data"][start:end]
        if rows is None:
            every = np.zeros(len(self._ids))
            every[docs] = values
            return every
        if not len(docs):
            return np.zeros(len(rows))
        if np.any(docs[1:] <= docs[:-1]):  # bm25s keeps them sorted; cheap to be sure
            order = np.argsort(docs, kind="stable")
            docs, values = docs[order], values[order]
        at = np.minimum(np.searchsorted(docs, rows), len(docs) - 1)
        return np.where(docs[at] == rows, values[at], 0.0)

    def document_frequencies(self, terms: Sequence[str]) -> dict[str, int]:
        """How many chunks hold each of ``terms`` that the index knows."""
        indptr = self._bm25.scores["indptr"]
        return {
            term: int(indptr[self._vocab[term] + 1]) - int(indptr[self._vocab[term]])
            for term in terms
            if term in self._vocab
        }

    def idf(self, terms: Sequence[str]) -> dict[str, float]:
        """BM25's inverse document frequency of known terms (for highlighting)."""
        return idf_of(self.document_frequencies(terms), len(self._ids))

    def nearest(self, term: str) -> str | None:
        """The known term that a term the index lacks is one typing slip from, if any."""
        if term in self._vocab or len(term) < TYPO_LETTERS or not term.isalpha():
            return None
        if self._words is None:
            by_letter: dict[str, list[str]] = {}
            for known in self._vocab:
                if known.isalpha():
                    by_letter.setdefault(known[0], []).append(known)
            self._words = by_letter
        # People rarely slip on a word's first letter; looking among words that share it
        # keeps this a few milliseconds on a million chunks.
        words = self._words.get(term[0], [])
        found = process.extractOne(term, words, scorer=OSA.distance, score_cutoff=1)
        return found[0] if found else None

    def save(self, directory: Path) -> None:
        """Write the index to ``directory`` all at once: a temp dir is renamed into place."""
        directory = Path(directory)
        directory.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
        try:
            self._bm25.save(str(tmp), show_progress=False)
            np.save(tmp / "ids.npy", self._ids)
            (tmp / _META).write_text(json.dumps({"tokenizer": TOKENIZER_VERSION}))
            if directory.exists():
                old = directory.with_name(f".{directory.name}.old")
                shutil.rmtree(old, ignore_errors=True)
                os.replace(directory, old)
                os.replace(tmp, directory)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(tmp, directory)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        directory = Path(directory)
        meta = json.loads((directory / _META).read_text())
        if meta.get("tokenizer") != TOKENIZER_VERSION:
            raise ValueError(f"{directory} was built by another tokenizer; rebuild the index")
        bm25 = bm25s.BM25.load(str(directory), show_progress=False)
        return cls(bm25, np.load(directory / "ids.npy"))
