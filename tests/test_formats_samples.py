"""Every sample parses in the format its name says, and chunks into exact, bounded passages."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.chunking import Chunker
from rag.decoding import decode
from rag.formats import parse
from rag.models import ChunkKind

SAMPLES = Path(__file__).resolve().parent / "data" / "samples"
EXPECTED_FORMATS = {
    "earnings-call.txt": "text",
    "meeting-notes.md": "markdown",
    "standup.srt": "srt",
    "design-review.vtt": "vtt",
    "interview-segments.json": "json",
    "lecture-whisper.json": "json",
    "support-call-utterances.json": "json",
    "quarterly-review-gb18030.txt": "text",
    "facilities-call-utf16.txt": "text",
    "xss-notes.txt": "text",
}


def load(name: str) -> str:
    return decode((SAMPLES / name).read_bytes())


def test_every_sample_is_listed() -> None:
    on_disk = {p.name for p in SAMPLES.iterdir() if p.name != "README.md"}
    assert on_disk == set(EXPECTED_FORMATS)


@pytest.mark.parametrize("name", sorted(EXPECTED_FORMATS))
def test_sample_parses_and_chunks_exactly(name: str) -> None:
    parsed = parse(load(name), filename=name)
    assert parsed.format == EXPECTED_FORMATS[name]
    assert parse(load(name)).format == EXPECTED_FORMATS[name]  # content alone tells
    for seg in parsed.segments:
        piece = parsed.text[seg.start : seg.end]
        assert piece and piece == piece.strip()
    chunks = Chunker().chunk(parsed)
    assert chunks
    for chunk in chunks:
        assert chunk.text == parsed.text[chunk.start : chunk.end]
        assert 0 < len(chunk.text) <= 1500


def test_earnings_call_chunks_pair_questions_with_answers() -> None:
    chunks = Chunker().chunk(parse(load("earnings-call.txt"), filename="earnings-call.txt"))
    qa = [c for c in chunks if c.kind is ChunkKind.QA]
    assert len(qa) == 3
    assert all(c.question and c.text.startswith(c.question) for c in qa)
    assert "Quillfeather is about 15%" in qa[0].text
    assert {c.speaker for c in qa} == {"Daniel Okafor", "Sofia Brandt", "Marcus Yee"}


def test_readme_names_a_distinct_fact_for_every_sample() -> None:
    readme = (SAMPLES / "README.md").read_text(encoding="utf-8")
    for name in EXPECTED_FORMATS:
        assert f"`{name}`" in readme
