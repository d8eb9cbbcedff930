from rag.formats import ParseError, detect_format, parse
from rag.models import SegmentKind


def test_every_segment_is_its_own_slice_of_the_text(seed_text: str) -> None:
    parsed = parse(seed_text, filename="seed.txt")
    assert parsed.format == "minutes"
    assert parsed.text == seed_text
    for seg in parsed.segments:
        piece = seed_text[seg.start : seg.end]
        assert piece and piece == piece.strip()
        assert parsed.segment_text(seg) == piece


def test_sections_are_found_and_chrome_dropped(seed_text: str) -> None:
    parsed = parse(seed_text, filename="seed.txt")
    kinds = [s.kind for s in parsed.segments]
    assert kinds.count(SegmentKind.SUMMARY) == 1
    assert kinds.count(SegmentKind.CHAPTER) == 15
    assert kinds.count(SegmentKind.QUESTION) == 11
    first_content = seed_text.index("会议摘要")
    last_answer_end = max(s.end for s in parsed.segments)
    assert all(s.start > first_content for s in parsed.segments)
    assert "follow" not in seed_text[min(s.start for s in parsed.segments) : last_answer_end]


def test_chapters_carry_their_title_line(seed_text: str) -> None:
    parsed = parse(seed_text, filename="seed.txt")
    chapters = [s for s in parsed.segments if s.kind is SegmentKind.CHAPTER]
    for chapter in chapters:
        assert chapter.title
        body = parsed.segment_text(chapter)
        assert body.splitlines()[0].strip('"“”') == chapter.title
        assert len(body.splitlines()) == 2


def test_every_question_is_followed_by_its_answer(seed_text: str) -> None:
    parsed = parse(seed_text, filename="seed.txt")
    segs = parsed.segments
    for i, seg in enumerate(segs):
        if seg.kind is SegmentKind.QUESTION:
            assert segs[i + 1].kind is SegmentKind.ANSWER
            assert seed_text[seg.start - 2 : seg.start] == "Q:"
            assert seed_text[segs[i + 1].start - 2 : segs[i + 1].start] == "A:"


def test_minutes_is_detected_by_content_not_name(seed_text: str) -> None:
    assert detect_format(seed_text, "anything.bin") == "minutes"


def test_unknown_format_is_a_parse_error() -> None:
    try:
        parse("hello", format="nope")
    except ParseError as exc:
        assert "unknown format" in str(exc)
    else:
        raise AssertionError("expected ParseError")
