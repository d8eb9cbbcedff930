"""Markdown: headings are sections, speaker lines (plain or bold) are turns, else chapters."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.formats import detect_format, parse
from rag.models import ParsedTranscript, SegmentKind

SAMPLE = Path(__file__).resolve().parent / "data" / "samples" / "meeting-notes.md"


def assert_offsets(parsed: ParsedTranscript, source: str) -> None:
    assert parsed.text == source
    for seg in parsed.segments:
        piece = source[seg.start : seg.end]
        assert piece and piece == piece.strip()


@pytest.fixture(scope="module")
def notes() -> ParsedTranscript:
    return parse(SAMPLE.read_text(encoding="utf-8"), filename="meeting-notes.md")


def test_text_is_unchanged_and_offsets_exact(notes: ParsedTranscript) -> None:
    assert notes.format == "markdown"
    assert_offsets(notes, SAMPLE.read_text(encoding="utf-8"))


def test_speaker_turns_take_their_heading_as_section(notes: ParsedTranscript) -> None:
    turns = [(s.title, s.speaker) for s in notes.segments if s.speaker]
    assert turns == [
        ("Offline Mode", "Rafael Duarte"),
        ("Offline Mode", "Ines Okoye"),
        ("Offline Mode", "Rafael Duarte"),
        ("Offline Mode", "Mei Takahashi"),
        ("Search Ranking", "Ines Okoye"),
        ("Search Ranking", "Mei Takahashi"),
        ("Search Ranking", "Rafael Duarte"),
    ]
    first = notes.segment_text(next(s for s in notes.segments if s.speaker))
    assert first.startswith("The offline tile cache, codenamed Bramblewick")
    bold_with_title = [s for s in notes.segments if s.title == "Search Ranking"][1]
    assert notes.segment_text(bold_with_title).startswith("We should show addresses")


def test_sections_without_speakers_are_chapters(notes: ParsedTranscript) -> None:
    chapters = [s for s in notes.segments if s.kind is SegmentKind.CHAPTER]
    assert [c.title for c in chapters] == [
        "Weekly Product Sync — Tidewater Maps",
        "Attendees",
        "Action Items",
    ]
    action = notes.segment_text(chapters[-1])
    assert action.startswith("Action Items\n\nRafael will finish")
    assert action.endswith("schedule the next sync for 19 March.")


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_crlf_and_label_variants(newline: str) -> None:
    text = newline.join(
        [
            "# Retro",
            "",
            "**Ana:** First point.",
            "**Ben**: Second point.",
            "- Ana: A bulleted turn.",
            "__Ben (Lead):__",
            "A turn on the next line.",
            "",
            "## Notes ##",
            "",
            "No speakers here.",
            "```",
            "# not a heading",
            "```",
        ]
    )
    parsed = parse(text, filename="retro.markdown")
    assert_offsets(parsed, text)
    got = [(s.kind, s.title, s.speaker, parsed.segment_text(s)) for s in parsed.segments]
    assert got[:4] == [
        (SegmentKind.TURN, "Retro", "Ana", "First point."),
        (SegmentKind.TURN, "Retro", "Ben", "Second point."),
        (SegmentKind.TURN, "Retro", "Ana", "A bulleted turn."),
        (SegmentKind.TURN, "Retro", "Ben", "A turn on the next line."),
    ]
    assert got[4][:2] == (SegmentKind.CHAPTER, "Notes")
    assert got[4][3].endswith("# not a heading" + newline + "```")


def test_detection_by_headings_and_extension() -> None:
    assert detect_format("# Title\n\nSome text.", None) == "markdown"
    assert detect_format("Intro\n\n## One\n\ntext\n\n## Two\n\nmore", None) == "markdown"
    assert detect_format("no headings at all", "notes.md") == "markdown"
    assert detect_format("#hashtag is not a heading\n\ntext", None) == "text"
    assert detect_format(SAMPLE.read_text(encoding="utf-8"), None) == "markdown"
