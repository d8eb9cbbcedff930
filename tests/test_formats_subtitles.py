"""SRT and WebVTT: cues merge into readable speaker turns that keep their times."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.formats import ParseError, detect_format, parse
from rag.models import ParsedTranscript

SAMPLES = Path(__file__).resolve().parent / "data" / "samples"


def load(name: str) -> str:
    return (SAMPLES / name).read_text(encoding="utf-8")


def assert_offsets(parsed: ParsedTranscript) -> None:
    for seg in parsed.segments:
        piece = parsed.text[seg.start : seg.end]
        assert piece and piece == piece.strip()


def turns(parsed: ParsedTranscript) -> list[tuple[str | None, str, float | None, float | None]]:
    return [(s.speaker, parsed.segment_text(s), s.start_time, s.end_time) for s in parsed.segments]


def test_srt_cues_merge_into_turns_with_times() -> None:
    parsed = parse(load("standup.srt"), filename="standup.srt")
    assert parsed.format == "srt"
    assert_offsets(parsed)
    got = turns(parsed)
    assert [(s, a, b) for s, _, a, b in got] == [
        ("Hannah Kowalski", 1.0, 9.8),
        ("Omar Haddad", 10.1, 19.5),
        ("Hannah Kowalski", 20.0, 24.75),
        ("Omar Haddad", 25.0, 29.9),
        ("Hannah Kowalski", 30.2, 33.0),
    ]
    assert got[1][1] == (
        "Nice. I spent the day on the Larkspur invoice exporter. "
        "It now writes CSV and PDF files, and the PDF layout passed review."
    )


def test_srt_readable_text_is_speaker_paragraphs() -> None:
    parsed = parse(load("standup.srt"), filename="standup.srt")
    paragraphs = parsed.text.split("\n\n")
    assert len(paragraphs) == 5
    assert paragraphs[2] == "Hannah Kowalski: Any blockers?"
    assert "-->" not in parsed.text and "<i>" not in parsed.text


def test_vtt_voices_tags_and_entities() -> None:
    parsed = parse(load("design-review.vtt"), filename="design-review.vtt")
    assert parsed.format == "vtt"
    assert_offsets(parsed)
    got = turns(parsed)
    assert [(s, a, b) for s, _, a, b in got] == [
        ("Greta Lindqvist", 0.5, 9.1),
        ("Jonas Becker", 9.5, 15.25),
        ("Greta Lindqvist", 15.6, 20.0),
        ("Jonas Becker", 20.3, 26.8),
        ("Greta Lindqvist", 27.0, 30.0),
    ]
    assert got[1][1] == "The mascot, a fox called Pemberly, now greets users on the first screen."
    assert got[3][1] == "Only by 40 milliseconds & we lazy-load the animation."
    assert "NOTE" not in parsed.text and "<v" not in parsed.text


def test_speaker_is_carried_forward_and_none_when_never_named() -> None:
    text = "WEBVTT\n\n00:01.000 --> 00:02.000\nHello there.\n\n00:02.500 --> 00:04.000\nStill me.\n"
    parsed = parse(text)
    assert turns(parsed) == [(None, "Hello there. Still me.", 1.0, 4.0)]
    assert parsed.text == "Hello there. Still me."


@pytest.mark.parametrize("name", ["standup.srt", "design-review.vtt"])
def test_crlf_gives_the_same_result(name: str) -> None:
    lf = parse(load(name), filename=name)
    crlf = parse(load(name).replace("\n", "\r\n"), filename=name)
    assert crlf.text == lf.text and crlf.segments == lf.segments


def test_detection_by_content_and_extension() -> None:
    assert detect_format(load("standup.srt"), None) == "srt"
    assert detect_format(load("design-review.vtt"), "notes.txt") == "vtt"
    assert detect_format("\ufeffWEBVTT\n\n00:01.000 --> 00:02.000\nhi\n", None) == "vtt"
    assert detect_format("anything", "clip.srt") == "srt"
    assert detect_format("anything", "clip.vtt") == "vtt"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "1\n00:00:01,000 --> 00:00:02,000\nhi\n\n2\n00:00:0x,000 --> 00:00:03,000\nyo\n",
            "cue 2 has a bad timestamp line",
        ),
        (
            "1\n00:00:01,000 --> 00:00:02,000\nhi\n\n2\n00:00:02,000 --> 00:00:03,000\nyo\n\n"
            "3\nno timing here\n",
            "cue 3 has no timestamp line",
        ),
        ("just some words\n", "malformed SRT"),
        ("1\n00:00:01,000 --> 00:00:02,000\n\n", "no text"),
    ],
)
def test_malformed_srt(text: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse(text, filename="bad.srt")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("00:00:01.000 --> 00:00:02.000\nhi\n", "WEBVTT header"),
        ("WEBVTT\n\n00:00:01.000 --> 00:00:0\nhi\n", "malformed WebVTT"),
        ("WEBVTT\n\n", "no cues"),
    ],
)
def test_malformed_vtt(text: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse(text, filename="bad.vtt")
