"""Plain-text transcripts: speaker turns, earnings-call Q&A, sections, encodings, fallback."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.decoding import decode
from rag.formats import detect_format, parse
from rag.models import ParsedTranscript, SegmentKind

SAMPLES = Path(__file__).resolve().parent / "data" / "samples"
QMSUM = Path(__file__).resolve().parents[2] / "shared" / "eval" / "qmsum_val" / "transcripts"


def load(name: str) -> str:
    return decode((SAMPLES / name).read_bytes())


def assert_offsets(parsed: ParsedTranscript, source: str) -> None:
    assert parsed.text == source
    for seg in parsed.segments:
        piece = source[seg.start : seg.end]
        assert piece and piece == piece.strip()


@pytest.fixture(scope="module")
def call() -> ParsedTranscript:
    return parse(load("earnings-call.txt"), filename="earnings-call.txt")


def test_call_keeps_text_and_offsets(call: ParsedTranscript) -> None:
    assert call.format == "text"
    assert_offsets(call, load("earnings-call.txt"))


def test_turns_cover_words_after_the_speaker_line(call: ParsedTranscript) -> None:
    ceo = [s for s in call.segments if s.speaker == "Tobias Werner"]
    assert len(ceo) == 4
    first = call.segment_text(ceo[0])
    assert first.startswith("Thank you, Lena.")
    assert "Quillfeather picking arm" in first and "Brno" in first  # all three paragraphs
    assert "Chief Executive Officer" not in first


def test_speakers_are_names_without_titles(call: ParsedTranscript) -> None:
    speakers = {s.speaker for s in call.segments if s.speaker}
    assert speakers == {
        "Operator",
        "Lena Marsh",
        "Tobias Werner",
        "Priya Raman",
        "Daniel Okafor",
        "Sofia Brandt",
        "Marcus Yee",
    }


def test_turns_keep_their_speakers_roles(call: ParsedTranscript) -> None:
    roles = {s.speaker: s.role for s in call.segments if s.speaker}
    assert roles["Tobias Werner"] == "Chief Executive Officer"
    assert roles["Daniel Okafor"] == "Analyst, Halden Securities"
    assert roles["Operator"] is None


def test_analyst_questions_are_paired_with_management_answers(call: ParsedTranscript) -> None:
    pairs: list[tuple[str | None, list[str | None]]] = []
    for seg in call.segments:
        if seg.kind is SegmentKind.QUESTION:
            pairs.append((seg.speaker, []))
        elif seg.kind is SegmentKind.ANSWER:
            pairs[-1][1].append(seg.speaker)
    assert pairs == [
        ("Daniel Okafor", ["Tobias Werner", "Priya Raman"]),
        ("Sofia Brandt", ["Priya Raman"]),
        ("Marcus Yee", ["Tobias Werner"]),
    ]
    questions = [call.segment_text(s) for s in call.segments if s.kind is SegmentKind.QUESTION]
    assert questions[1].startswith("Thank you. Priya, what drove the 220 basis points")


def test_operator_turns_and_prepared_remarks_stay_turns(call: ParsedTranscript) -> None:
    for seg in call.segments:
        if seg.speaker == "Operator" or seg.title == "Prepared Remarks":
            assert seg.kind is SegmentKind.TURN


def test_sections_and_participants_lists(call: ParsedTranscript) -> None:
    titles = {s.title for s in call.segments if s.speaker}
    assert titles == {"Prepared Remarks", "Question-and-Answer Session"}
    lists = [s for s in call.segments if s.speaker is None and s.title]
    assert [s.title for s in lists] == ["Company Participants", "Conference Call Participants"]
    assert call.segment_text(lists[1]).splitlines()[-1] == "Marcus Yee - Analyst, Pellworth & Co."


INLINE = """[00:00:05] OPERATOR: Good morning. We will now open the line for questions.
Our first question is from Ann Lee of Bank X.
[00:00:20] ANN LEE: Hi. What is the margin outlook?
[00:00:31] JOHN SMITH (CEO): We expect margins to grow.
It will be gradual.
[00:00:45] OPERATOR: Next question from Bob Ray of Firm Y.
[00:00:50] BOB RAY: Thanks. Any update on pricing?
[00:01:02] JOHN SMITH (CEO): Prices are stable.
"""


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_inline_labels_titles_and_timestamps(newline: str) -> None:
    text = INLINE.replace("\n", newline)
    parsed = parse(text, filename="call.txt")
    assert_offsets(parsed, text)
    got = [(s.kind, s.speaker, s.start_time) for s in parsed.segments]
    assert got == [
        (SegmentKind.TURN, "OPERATOR", 5.0),
        (SegmentKind.QUESTION, "ANN LEE", 20.0),
        (SegmentKind.ANSWER, "JOHN SMITH", 31.0),
        (SegmentKind.TURN, "OPERATOR", 45.0),
        (SegmentKind.QUESTION, "BOB RAY", 50.0),
        (SegmentKind.ANSWER, "JOHN SMITH", 62.0),
    ]
    assert parsed.segment_text(parsed.segments[2]) == (
        f"We expect margins to grow.{newline}It will be gradual."
    )


def test_questions_found_without_operator_by_question_marks() -> None:
    text = (
        "Prepared Remarks\n\nAlice Chen: We grew 10% this year.\n\n"
        "Questions and Answers\n\nBen Ortiz: How much of that was pricing?\n\n"
        "Alice Chen: About half of it.\n\nBen Ortiz: Thanks.\n"
    )
    parsed = parse(text)
    got = [(s.kind, s.speaker, s.title) for s in parsed.segments]
    assert got == [
        (SegmentKind.TURN, "Alice Chen", "Prepared Remarks"),
        (SegmentKind.QUESTION, "Ben Ortiz", "Questions and Answers"),
        (SegmentKind.ANSWER, "Alice Chen", "Questions and Answers"),
        (SegmentKind.QUESTION, "Ben Ortiz", "Questions and Answers"),
    ]


def test_q_and_a_labels_mark_questions_and_answers() -> None:
    text = "Q: What is the budget?\nA: Two million.\nQ: When?\nA: Next year.\n"
    parsed = parse(text)
    assert [s.kind for s in parsed.segments] == [SegmentKind.QUESTION, SegmentKind.ANSWER] * 2
    assert parsed.segment_text(parsed.segments[1]) == "Two million."


def test_text_without_speakers_becomes_paragraphs() -> None:
    text = "A plain note.\r\nIt has two lines.\r\n\r\nSecond paragraph.\r\n\r\n\r\nThird one."
    parsed = parse(text)
    assert parsed.format == "text"
    assert_offsets(parsed, text)
    assert [parsed.segment_text(s) for s in parsed.segments] == [
        "A plain note.\r\nIt has two lines.",
        "Second paragraph.",
        "Third one.",
    ]
    assert all(s.speaker is None and s.kind is SegmentKind.TURN for s in parsed.segments)


def test_a_single_colon_line_is_not_a_speaker() -> None:
    parsed = parse("Note: remember the milk.\n\nAnother line here.\n")
    assert [s.speaker for s in parsed.segments] == [None, None]


def test_a_lone_heading_is_still_indexed() -> None:
    parsed = parse("Just A Title")
    assert [parsed.segment_text(s) for s in parsed.segments] == ["Just A Title"]


def test_gb18030_chinese_transcript() -> None:
    raw = (SAMPLES / "quarterly-review-gb18030.txt").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = decode(raw)
    parsed = parse(text, filename="quarterly-review-gb18030.txt")
    assert_offsets(parsed, text)
    assert [s.speaker for s in parsed.segments] == [
        "主持人",
        "王丽华",
        "陈志远",
        "主持人",
        "王丽华",
    ]
    assert {s.title for s in parsed.segments} == {"季度经营会议纪要"}
    assert "青岚二号" in parsed.segment_text(parsed.segments[1])


def test_utf16_crlf_transcript() -> None:
    raw = (SAMPLES / "facilities-call-utf16.txt").read_bytes()
    assert raw[:2] in (b"\xff\xfe", b"\xfe\xff")
    text = decode(raw)
    assert "\r\n" in text
    parsed = parse(text, filename="facilities-call-utf16.txt")
    assert_offsets(parsed, text)
    kofi, sara = "Kofi Mensah", "Sara Lindholm"
    assert [s.speaker for s in parsed.segments] == [None, kofi, sara, kofi, sara, kofi]
    assert parsed.segment_text(parsed.segments[2]).endswith("needs 1,200 new panels.")


def test_markup_in_text_is_kept_verbatim() -> None:
    text = load("xss-notes.txt")
    parsed = parse(text, filename="xss-notes.txt")
    assert_offsets(parsed, text)
    spans = [parsed.segment_text(s) for s in parsed.segments]
    assert any("<script>alert(1)</script>" in s for s in spans)
    assert any("<img src=x onerror=alert(1)>" in s for s in spans)


def test_detection_falls_back_to_plain_text() -> None:
    assert detect_format("hello there", None) == "text"
    assert detect_format("hello there", "notes.txt") == "text"
    assert detect_format("hello there", "notes.log") == "text"
    assert detect_format(load("earnings-call.txt"), None) == "text"


@pytest.mark.skipif(not QMSUM.is_dir(), reason="QMSum transcripts are not available")
def test_qmsum_meeting_transcripts_parse_with_speakers() -> None:
    files = sorted(QMSUM.glob("*.txt"))
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8")
        parsed = parse(text, filename=path.name)
        assert parsed.format == "text"
        assert_offsets(parsed, text)
        with_speaker = sum(1 for s in parsed.segments if s.speaker)
        assert with_speaker >= 0.95 * len(parsed.segments), path.name
        lines = [line for line in text.splitlines() if line.strip()]
        assert len(parsed.segments) >= 0.95 * len(lines), path.name


def test_bare_name_lines_known_from_the_participants_list() -> None:
    text = (
        "Executives\nJane Doe - CEO\nTom Lee - CFO\n\nAnalysts\nMark Fox - Bank One\n\n"
        "Operator\nGood day. I will now turn it over to Jane Doe.\n\n"
        "Jane Doe\nThanks. We had a great quarter.\n\n"
        "Question-and-Answer Session\n\n"
        "Operator\nOur first question comes from the line of Mark Fox with Bank One.\n\n"
        "Mark Fox\nCan you talk about margins?\n\nTom Lee\nMargins were flat.\n"
    )
    parsed = parse(text)
    turns = [(s.kind, s.speaker) for s in parsed.segments if s.speaker]
    assert turns == [
        (SegmentKind.TURN, "Operator"),
        (SegmentKind.TURN, "Jane Doe"),
        (SegmentKind.TURN, "Operator"),
        (SegmentKind.QUESTION, "Mark Fox"),
        (SegmentKind.ANSWER, "Tom Lee"),
    ]
    assert [s.role for s in parsed.segments if s.speaker == "Tom Lee"] == ["CFO"]


def test_name_lines_with_trailing_times() -> None:
    text = "Speaker 1  0:03\nHi, welcome.\n\nSpeaker 2  0:09\nThanks.\n\nSpeaker 1  1:02:15\nSo.\n"
    parsed = parse(text)
    got = [(s.speaker, s.start_time, parsed.segment_text(s)) for s in parsed.segments]
    assert got == [
        ("Speaker 1", 3.0, "Hi, welcome."),
        ("Speaker 2", 9.0, "Thanks."),
        ("Speaker 1", 3735.0, "So."),
    ]
