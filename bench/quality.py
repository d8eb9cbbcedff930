"""Retrieval quality of every mode on every shared question set, in one table.

Beside the shared sets, ``tests/data/seed_zh.jsonl``: the project's own Chinese
wording of 14 seed_dev questions (the same gold), as one Chinese question is too
few to judge cross-language search by; ``tests/data/seed_zh_names.jsonl``: 8 Chinese
questions about the call's brands and places (淘宝, 高德, 千问), which English text
spells in pinyin or translates; ``tests/data/seed_shorthand.jsonl``: 21 questions (8 in
Chinese) that write the call's figures or terms another way ("$247.8B", "10M", "29 percent", "FCF",
"R&D"); ``tests/data/seed_keywords.jsonl``: 24 questions of one to four words ("Capex
plan?", "净现金？"), as typed into a search box; ``chinese_call_en`` and
``chinese_call_zh``: English and Chinese questions about a short Chinese call
(``tests/data/chinese_call.txt``) indexed beside the seed.

Each corpus is indexed once through the real pipeline (`Engine.build`, into a
work folder whose SQLite vector cache makes later runs cheap), then every
question is asked through `Engine.ask` under each retrieval mode and scored by
the shared rule (sets with ``gold_span`` a second time by it, rows marked
"(gold_span)": the lenient evidence QMSum also ships). Also: how often dev
questions, unrelated ones and near misses (companies the seed never names) come back
answerable, and the median time of
one ask in the final mode.

    .venv/bin/python -m bench.quality [--shared ../shared] [--work /tmp/rag-quality]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from rag.engine import Engine
from rag.evaluation import (
    CitedSpan,
    EvalQuestion,
    SetScore,
    has_lenient_evidence,
    load_questions,
    score_set,
)
from rag.retrieval import MODES, Filters
from rag.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
UNRELATED = {
    "unrelated": "unrelated_questions.txt",
    "unrelated (Chinese)": "unrelated_questions_zh.txt",
    "near-miss": "near_miss_questions.txt",
    "near-miss (Chinese)": "near_miss_questions_zh.txt",
    "absent keywords": "absent_keywords.txt",
    "absent, framed": "absent_framed.txt",
}
"""Question lists nothing in a corpus answers: off-topic ones, ones about companies the
seed never names whose other words (revenue, growth, users) it is full of, and one or two
words on topics the seed never mentions, typed as into a search box ("Tariff impact?"), and
such topics framed as a question ("Any comments on share repurchases?")."""


def _engine(work: Path, name: str, sources: Sequence[Path]) -> Engine:
    engine = Engine(Settings(data_dir=work / name))
    engine.build(sources)
    return engine


def _scores(
    engine: Engine, name: str, questions: list[EvalQuestion], mode: str, restrict: bool
) -> dict[str, SetScore]:
    texts: dict[int, str] = {}
    ids = {t.name: t.id for t in engine.transcripts()}
    answered: dict[str, list[CitedSpan]] = {}

    def answer(q: EvalQuestion) -> list[CitedSpan]:
        if q.id in answered:
            return answered[q.id]
        filters = Filters(transcript_ids=[ids[q.file]]) if restrict and q.file else None
        spans = []
        for a in engine.ask(q.q, 10, filters, mode).answers:
            c = a.citation
            if c.transcript_id not in texts:
                texts[c.transcript_id] = (engine.transcript(c.transcript_id) or (None, ""))[1]
            spans.append(CitedSpan(c.transcript, texts[c.transcript_id][c.start : c.end]))
        answered[q.id] = spans
        return spans

    scores = score_set(name, questions, answer)
    if has_lenient_evidence(questions):
        label = f"{name} (gold_span)"
        scores |= score_set(label, questions, answer, lenient=True)
    return scores


def _answerable_rate(engine: Engine, questions: Sequence[str]) -> float:
    return sum(engine.ask(q, 5).answerable for q in questions) / len(questions)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--work", type=Path, default=Path("/tmp/rag-quality"))
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "quality.json")
    parser.add_argument("--modes", default=",".join(MODES))
    args = parser.parse_args(argv)
    modes = args.modes.split(",")
    eval_dir = args.shared / "eval"
    # (question set, the corpus it asks about, its questions, whether each names its file)
    corpora = [
        ("seed_dev", "seed", [ROOT / "seeds"], eval_dir / "seed_dev.jsonl", False),
        ("seed_zh", "seed", [ROOT / "seeds"], ROOT / "tests" / "data" / "seed_zh.jsonl", False),
        (
            "seed_zh_names",
            "seed",
            [ROOT / "seeds"],
            ROOT / "tests" / "data" / "seed_zh_names.jsonl",
            False,
        ),
        (
            "seed_shorthand",
            "seed",
            [ROOT / "seeds"],
            ROOT / "tests" / "data" / "seed_shorthand.jsonl",
            False,
        ),
        (
            "seed_keywords",
            "seed",
            [ROOT / "seeds"],
            ROOT / "tests" / "data" / "seed_keywords.jsonl",
            False,
        ),
        (
            "chinese_call_en",
            "seed_and_chinese_call",
            [ROOT / "seeds", ROOT / "tests" / "data" / "chinese_call.txt"],
            ROOT / "tests" / "data" / "chinese_call_en.jsonl",
            False,
        ),
        (
            "chinese_call_zh",
            "seed_and_chinese_call",
            [ROOT / "seeds", ROOT / "tests" / "data" / "chinese_call.txt"],
            ROOT / "tests" / "data" / "chinese_call_zh.jsonl",
            False,
        ),
        (
            "qmsum_val",
            "qmsum",
            [eval_dir / "qmsum_val" / "transcripts"],
            eval_dir / "qmsum_val",
            True,
        ),
    ]
    unrelated = {
        label: [
            q
            for q in (ROOT / "tests" / "data" / name).read_text(encoding="utf-8").splitlines()
            if q.strip()
        ]
        for label, name in UNRELATED.items()
    }
    rows: list[dict] = []
    rates: list[dict] = []
    console = Console()
    engines: dict[str, Engine] = {}
    for name, corpus, sources, set_path, has_files in corpora:
        if not set_path.exists():
            console.print(f"skipping {name}: {set_path} not found")
            continue
        if corpus not in engines:
            engines[corpus] = _engine(args.work, corpus, sources)
        engine = engines[corpus]
        questions = load_questions(set_path)
        for mode in modes:
            for restrict in (False, True) if has_files else (False,):
                label = f"{name} (own file)" if restrict else name
                for score in _scores(engine, label, questions, mode, restrict).values():
                    n = len(score.ranks)
                    rows.append(
                        {"set": score.name, "mode": mode, "n": n, "mrr10": round(score.mrr, 3)}
                        | {f"hit{k}": round(score.hit_at(k), 3) for k in (1, 3, 5)}
                    )
        timings = []
        for q in questions[:30]:
            started = time.perf_counter()
            engine.ask(q.q, 5)
            timings.append((time.perf_counter() - started) * 1000)
        rates.append(
            {
                "set": name,
                "dev_answerable": round(_answerable_rate(engine, [q.q for q in questions]), 3),
                **{
                    f"{label} answerable": round(_answerable_rate(engine, asked), 3)
                    for label, asked in unrelated.items()
                },
                "ask_p50_ms": round(statistics.median(timings), 1),
            }
        )
    table = Table("set", "mode", "n", "hit@1", "hit@3", "hit@5", "MRR@10")
    for r in rows:
        table.add_row(
            r["set"],
            r["mode"],
            str(r["n"]),
            *(f"{r[k]:.3f}" for k in ("hit1", "hit3", "hit5")),
            f"{r['mrr10']:.3f}",
        )
    console.print(table)
    answerable = Table(
        "set",
        "dev answerable",
        *(f"{label} answerable" for label in UNRELATED),
        "ask p50 ms (final)",
    )
    for r in rates:
        answerable.add_row(
            r["set"],
            f"{r['dev_answerable']:.2f}",
            *(f"{r[f'{label} answerable']:.2f}" for label in UNRELATED),
            f"{r['ask_p50_ms']:.1f}",
        )
    console.print(answerable)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"scores": rows, "answerable": rates}, indent=2))


if __name__ == "__main__":
    main()
