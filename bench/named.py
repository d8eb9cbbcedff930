"""Questions that name a call by its file name: does the first answer come from that call?

Users keep many calls in one index and ask about one by name ("What did AVD say about
revenue growth?" of ``AVD_q1_2021.txt``), while the call's passages say "we". This indexes
the seed and ``--calls`` earnings calls of a corpus folder whose files are named
``TICKER_qN_YEAR.txt`` (the ECTSum corpus is; without ``--corpus``, made-up calls named
so), then asks four questions about each of ``--named`` of them, in English and in
Chinese, under each retrieval mode and counts how often the first answer is the named
company's (any quarter), the named call's, or the call's among the first five, and how often
the final mode says answerable.

    tar -xzf ../shared/corpus/ect_corpus.tar.gz -C /tmp
    .venv/bin/python -m bench.named --corpus /tmp/ect_corpus
"""

from __future__ import annotations

import argparse
import random
import shutil
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.corpus import files_of, generate
from rag.engine import Engine
from rag.retrieval import MODES
from rag.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
TOPICS = (
    "What did {} say about revenue growth?",
    "What guidance did {} give for the full year?",
    "How did {} describe its margins?",
    "What did {} management say about the pandemic's impact?",
)
TOPICS_ZH = (
    "{}的收入增长情况如何？",
    "{}对全年业绩给出了什么指引？",
    "{}如何描述其利润率？",
    "{}管理层如何评价疫情的影响？",
)
"""The same four asked in Chinese: the ticker is the only word the call's title shares."""


def _made_up_calls(folder: Path, calls: int) -> Path:
    """``bench.corpus`` calls under ticker-style names (two letters and a number)."""
    generate(folder / "made", calls)
    named = folder / "named"
    named.mkdir(exist_ok=True)
    for n, path in enumerate(sorted((folder / "made").glob("*.txt"))):
        ticker = f"{chr(65 + n % 26)}{chr(65 + n // 26 % 26)}X{n}"
        shutil.copy(path, named / f"{ticker}_q{n % 4 + 1}_2025.txt")
    return named


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, help="folder of TICKER_qN_YEAR.txt calls")
    parser.add_argument("--calls", type=int, default=60, help="calls indexed beside the seed")
    parser.add_argument("--named", type=int, default=30, help="calls asked about by name")
    parser.add_argument("--work", type=Path, default=Path("/tmp/rag-quality-named"))
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    corpus = args.corpus or _made_up_calls(args.work, args.calls)
    rng = random.Random(args.seed)
    calls = sorted(rng.sample(files_of(corpus, None), args.calls), key=lambda p: p.name)
    engine = Engine(Settings(data_dir=args.work / "data"))
    engine.build([ROOT / "seeds", *calls])
    asked = rng.sample(calls, min(args.named, len(calls)))
    sets = {
        language: [(t.format(p.name.split("_")[0]), p.name) for p in asked for t in topics]
        for language, topics in (("en", TOPICS), ("zh", TOPICS_ZH))
    }

    table = Table(
        "mode", "language", "n", "company first", "call first", "call in first 5", "answerable"
    )
    for mode, (language, questions) in [(m, q) for m in MODES for q in sets.items()]:
        company = first = five = answerable = 0
        for question, name in questions:
            result = engine.ask(question, 5, mode=mode)
            cited = [a.citation.transcript for a in result.answers]
            ticker = name.split("_")[0]
            company += bool(cited) and cited[0].split("_")[0] == ticker
            first += bool(cited) and cited[0] == name
            five += name in cited
            answerable += result.answerable
        n = len(questions)
        rates = (f"{v / n:.3f}" for v in (company, first, five, answerable))
        table.add_row(mode, language, str(n), *rates)
    Console().print(table)


if __name__ == "__main__":
    main()
