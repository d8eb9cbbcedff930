"""Scores retrieval on question sets with gold evidence, by the shared scoring rule.

A question is answered at rank k when one of the first k answers cites a span
(at most 1,500 characters) of the right transcript that contains a gold
snippet, compared case-insensitively with whitespace runs collapsed. Sets that
also carry ``gold_span`` (a lenient superset of the evidence, as QMSum's do) can
be scored by it too: the two measures differ by about .08 at hit@1 there, so a
number means little without saying which evidence it counted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

MAX_SPAN = 1500
_SPACES = re.compile(r"\s+")
_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class EvalQuestion:
    id: str
    q: str
    gold: list[str]
    file: str | None = None
    gold_span: list[str] = field(default_factory=list)

    @property
    def language(self) -> str:
        return "zh" if _CJK.search(self.q) else "en"


@dataclass(frozen=True)
class CitedSpan:
    """What an answer points at: a transcript name and the cited characters."""

    transcript: str
    text: str


@dataclass
class SetScore:
    name: str
    ranks: list[int | None] = field(default_factory=list)
    """Rank of the first hit per question (1-based), None when not in the first 10."""

    def hit_at(self, k: int) -> float:
        return sum(1 for r in self.ranks if r is not None and r <= k) / max(len(self.ranks), 1)

    def hits_at(self, k: int) -> int:
        return sum(1 for r in self.ranks if r is not None and r <= k)

    @property
    def mrr(self) -> float:
        return sum(1 / r for r in self.ranks if r is not None and r <= 10) / max(len(self.ranks), 1)


def load_questions(path: Path) -> list[EvalQuestion]:
    """A ``.jsonl`` file, or a folder holding ``questions.jsonl``."""
    if path.is_dir():
        path = path / "questions.jsonl"
    questions = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                questions.append(
                    EvalQuestion(
                        row["id"], row["q"], row["gold"], row.get("file"), row.get("gold_span", [])
                    )
                )
    return questions


def has_lenient_evidence(questions: Iterable[EvalQuestion]) -> bool:
    return any(q.gold_span for q in questions)


def normalize(text: str) -> str:
    return _SPACES.sub(" ", text).strip().lower()


def first_hit_rank(
    question: EvalQuestion, spans: Iterable[CitedSpan], lenient: bool = False
) -> int | None:
    """``lenient`` counts ``gold_span`` as the evidence where the question has one."""
    evidence = question.gold_span if lenient and question.gold_span else question.gold
    golds = [normalize(g) for g in evidence if g.strip()]
    for rank, span in enumerate(spans, start=1):
        if rank > 10:
            break
        if len(span.text) > MAX_SPAN:
            continue
        if question.file and Path(span.transcript).name != Path(question.file).name:
            continue
        cited = normalize(span.text)
        if any(g in cited for g in golds):
            return rank
    return None


def score_set(
    name: str,
    questions: list[EvalQuestion],
    answer: Callable[[EvalQuestion], list[CitedSpan]],
    lenient: bool = False,
) -> dict[str, SetScore]:
    """Scores for the whole set and, when it mixes languages, for each language."""
    scores = {name: SetScore(name)}
    for question in questions:
        rank = first_hit_rank(question, answer(question), lenient)
        scores[name].ranks.append(rank)
        key = f"{name} ({question.language})"
        scores.setdefault(key, SetScore(key)).ranks.append(rank)
    if len(scores) == 2:
        del scores[next(k for k in scores if k != name)]
    return scores
