"""Benchmark inputs: a corpus folder (or a generated one), its chunks, and questions.

The real corpus is never copied into the project; without ``--corpus`` the
bench writes plain-text earnings calls it makes up from a fixed seed.
"""

from __future__ import annotations

import random
from pathlib import Path

from index.builder import collect_files
from rag.chunking import Chunker
from rag.decoding import decode
from rag.formats import parse

QUESTIONS = [
    "What was revenue growth in the quarter?",
    "What is the capital expenditure plan for next year?",
    "How did gross margin change compared with last year?",
    "What guidance did management give for the full year?",
    "How much cash was returned to shareholders through buybacks?",
    "What did they say about supply chain constraints?",
    "How is the company affected by interest rates?",
    "What drove the increase in operating expenses?",
    "What are the plans for international expansion?",
    "How did free cash flow develop?",
    "What is the outlook for demand in the second half?",
    "Did the company raise its dividend?",
    "What was said about pricing and inflation?",
    "How many new customers were added?",
    "What acquisitions were completed during the quarter?",
    "What is the net debt and leverage ratio?",
    "How did the cloud business perform?",
    "What are the main risks mentioned by the CFO?",
    "What was earnings per share?",
    "How is artificial intelligence being used in products?",
    "What happened to inventory levels?",
    "What is the headcount plan?",
    "How did same store sales do?",
    "What was the effective tax rate?",
    "What is the strategy for margin expansion?",
]

_TOPICS = [
    "revenue",
    "gross margin",
    "operating income",
    "free cash flow",
    "capital spending",
    "subscriber growth",
    "inventory",
    "pricing",
    "guidance",
    "share repurchases",
]
_SEGMENTS = ["cloud", "retail", "industrial", "consumer", "international", "services"]


def generate(folder: Path, transcripts: int, seed: int = 7) -> Path:
    """Write ``transcripts`` made-up earnings calls of about 2,500 words each."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(transcripts):
        company = f"Company {n:04d}"
        lines = [f"{company} Q{n % 4 + 1} earnings call", ""]
        for _ in range(160):
            topic, segment = rng.choice(_TOPICS), rng.choice(_SEGMENTS)
            change = rng.randint(-20, 40)
            lines.append(
                f"In {segment}, {topic} changed by {change}% year over year, and we expect "
                f"{rng.choice(['continued', 'slower', 'stronger'])} momentum as customers "
                f"{rng.choice(['expand', 'renew', 'consolidate'])} their {segment} budgets."
            )
        (folder / f"call_{n:04d}.txt").write_text("\n".join(lines), encoding="utf-8")
    return folder


def files_of(corpus: Path, limit: int | None) -> list[Path]:
    files = collect_files([corpus])
    return files[:limit] if limit else files


def chunk_texts(files: list[Path]) -> list[str]:
    """The text each chunk is embedded from, exactly as the indexer sees it."""
    chunker = Chunker()
    texts: list[str] = []
    for path in files:
        parsed = parse(decode(path.read_bytes()), filename=path.name)
        texts.extend(c.embed_text for c in chunker.chunk(parsed))
    return texts
