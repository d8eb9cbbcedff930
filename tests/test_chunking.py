import re
from dataclasses import replace

from rag.chunking import Chunker, ChunkingConfig, count_words, sentence_spans, windows
from rag.formats import parse
from rag.models import ChunkKind, ParsedTranscript, Segment, SegmentKind


def test_seed_chunks_are_exact_slices_within_the_size_cap(seed_text: str) -> None:
    chunks = Chunker().chunk(parse(seed_text, filename="seed.txt"))
    assert len(chunks) >= 20
    for chunk in chunks:
        assert seed_text[chunk.start : chunk.end] == chunk.text
        assert len(chunk.text) <= 1500


def test_question_and_answer_form_one_chunk(seed_text: str) -> None:
    chunks = Chunker().chunk(parse(seed_text, filename="seed.txt"))
    qa = [c for c in chunks if c.kind is ChunkKind.QA]
    assert len(qa) == 11
    for chunk in qa:
        assert chunk.question and chunk.text.startswith(chunk.question)
        assert "\nA:" in chunk.text


def test_chapter_chunk_keeps_its_title(seed_text: str) -> None:
    chunks = Chunker().chunk(parse(seed_text, filename="seed.txt"))
    chapters = [c for c in chunks if c.kind is ChunkKind.CHAPTER]
    assert chapters
    for c in chapters:
        assert c.section and c.text.lstrip('"“').startswith(c.section[:20])


def test_sentences_split_on_english_and_chinese_punctuation() -> None:
    text = "First one. Second one! 第三句。第四句？Last"
    spans = sentence_spans(text, 0, len(text))
    assert [text[s:e] for s, e in spans] == [
        "First one.",
        "Second one!",
        "第三句。",
        "第四句？",
        "Last",
    ]


def _long_text() -> str:
    english = " ".join(f"Sentence number {i} talks about revenue and margins." for i in range(60))
    chinese = "".join(f"第{i}句讲的是云计算收入的增长情况。" for i in range(80))
    return english + "\n" + chinese


def test_long_text_becomes_overlapping_sentence_windows() -> None:
    text = _long_text()
    config = ChunkingConfig(words=120, overlap_words=20, max_chars=1500)
    spans = windows(text, 0, len(text), config)
    assert len(spans) > 3
    for (s1, e1), (s2, _) in zip(spans, spans[1:], strict=False):
        assert s2 < e1, "consecutive windows overlap"
        assert s2 > s1
    for s, e in spans:
        assert e - s <= 1500
        assert count_words(text[s:e]) <= 120 * 1.5
        assert re.search(r"[.。]$", text[s:e]), "windows end at a sentence boundary"
    assert spans[-1][1] == len(text)


def test_long_turn_is_chunked_with_offsets() -> None:
    text = "Speaker intro\n" + _long_text()
    seg = Segment(SegmentKind.TURN, 14, len(text), speaker="Jane")
    chunks = Chunker().chunk(ParsedTranscript(text, "plain", [seg]))
    assert len(chunks) > 3
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
        assert chunk.speaker == "Jane"
        assert len(chunk.text) <= 1500


def test_unspaced_overlong_sentence_is_still_capped() -> None:
    text = "字" * 5000
    seg = Segment(SegmentKind.TURN, 0, len(text))
    chunks = Chunker().chunk(ParsedTranscript(text, "plain", [seg]))
    assert all(len(c.text) <= 1500 for c in chunks)
    assert chunks[0].start == 0 and chunks[-1].end == len(text)


def _meeting() -> ParsedTranscript:
    lines = [
        f"Speaker {'ABC'[i % 3]}: Point number {i} about the remote control design."
        for i in range(60)
    ]
    text = "\n".join(lines)
    segments, pos = [], 0
    for line in lines:
        label = line.index(": ") + 2
        segments.append(
            Segment(SegmentKind.TURN, pos + label, pos + len(line), speaker=line[: label - 2])
        )
        pos += len(line) + 1
    return ParsedTranscript(text, "text", segments)


def test_short_turns_are_grouped_into_overlapping_windows() -> None:
    parsed = _meeting()
    chunks = Chunker().chunk(parsed)
    assert 3 <= len(chunks) < len(parsed.segments) / 3
    for chunk in chunks:
        assert parsed.text[chunk.start : chunk.end] == chunk.text
        assert chunk.kind is ChunkKind.TURN
        assert chunk.embed_text.startswith(f"{chunk.speaker}: ")
        assert count_words(chunk.text) <= 110 * 1.5
    for a, b in zip(chunks, chunks[1:], strict=False):
        assert b.start < a.end, "windows share a turn or two"
    assert chunks[-1].end == len(parsed.text)


def test_turn_windows_do_not_cross_sections() -> None:
    parsed = _meeting()
    half = len(parsed.segments) // 2
    parsed.segments = [
        replace(s, title="Part one" if i < half else "Part two")
        for i, s in enumerate(parsed.segments)
    ]
    boundary = parsed.segments[half].start
    for chunk in Chunker().chunk(parsed):
        assert chunk.end <= boundary or chunk.start >= boundary
        assert chunk.section in ("Part one", "Part two")


def test_chunks_carry_their_speakers_roles() -> None:
    text = (
        "Executives\nJane Doe - CEO\nTom Lee - CFO\n\nAnalysts\nMark Fox - Bank One\n\n"
        "Question-and-Answer Session\n\n"
        "Operator\nOur first question comes from the line of Mark Fox with Bank One.\n\n"
        "Mark Fox\nCan you talk about margins?\n\nTom Lee\nMargins were flat.\n\n"
        "Jane Doe\nAnd prices held.\n"
    )
    [qa] = [c for c in Chunker().chunk(parse(text)) if c.kind is ChunkKind.QA]
    assert qa.roles == "Bank One; CFO; CEO"
