"""JSON exports: segment lists, Whisper segments and AssemblyAI utterances become turns."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.formats import ParseError, detect_format, parse
from rag.models import ParsedTranscript

SAMPLES = Path(__file__).resolve().parent / "data" / "samples"


def load(name: str) -> str:
    return (SAMPLES / name).read_text(encoding="utf-8")


def turns(parsed: ParsedTranscript) -> list[tuple[str | None, str, float | None, float | None]]:
    for seg in parsed.segments:
        piece = parsed.text[seg.start : seg.end]
        assert piece and piece == piece.strip()
    return [(s.speaker, parsed.segment_text(s), s.start_time, s.end_time) for s in parsed.segments]


def test_list_of_segments_merges_consecutive_speakers() -> None:
    parsed = parse(load("interview-segments.json"), filename="interview-segments.json")
    assert parsed.format == "json"
    got = turns(parsed)
    assert [(s, a, b) for s, _, a, b in got] == [
        ("Interviewer", 0.0, 4.8),
        ("Dr. Amara Nwosu", 5.1, 15.2),
        ("Interviewer", 15.9, 18.0),
        ("Dr. Amara Nwosu", 18.3, 22.7),
    ]
    assert got[1][1].endswith("in a basement. We froze them within a day, which saved almost all.")
    assert parsed.text.startswith("Interviewer: Thanks for joining us.")


def test_whisper_segments_without_speakers() -> None:
    parsed = parse(load("lecture-whisper.json"))
    got = turns(parsed)
    assert len(got) == 1
    speaker, text, start, end = got[0]
    assert (speaker, start, end) == (None, 0.0, 19.3)
    assert text.startswith("Today we look at the Orrery Cipher, a substitution cipher")
    assert parsed.text == text


def test_assemblyai_utterances_in_milliseconds() -> None:
    parsed = parse(load("support-call-utterances.json"))
    got = turns(parsed)
    assert [(s, a, b) for s, _, a, b in got] == [
        ("A", 0.32, 3.9),
        ("B", 4.41, 8.8),
        ("A", 9.2, 16.9),
        ("B", 24.1, 27.35),
    ]
    assert "E-417 means the meter lost its mobile signal. Please hold" in got[2][1]


def test_millisecond_keys_and_large_integers_are_converted() -> None:
    by_key = [{"text": "hi", "start_ms": 1500, "end_ms": 2500}]
    assert turns(parse(json.dumps(by_key)))[0][2:] == (1.5, 2.5)
    by_size = [{"text": "hi", "start": 12000, "end": 15500}]
    assert turns(parse(json.dumps(by_size)))[0][2:] == (12.0, 15.5)
    seconds = [{"text": "hi", "start": 12.0, "end": 15.5}]
    assert turns(parse(json.dumps(seconds)))[0][2:] == (12.0, 15.5)


def test_long_monologues_are_cut_into_citable_paragraphs() -> None:
    items = [
        {"text": f"Sentence number {i} of a long talk.", "start": i, "end": i + 1}
        for i in range(200)
    ]
    parsed = parse(json.dumps({"segments": items}))
    got = turns(parsed)
    assert len(got) > 1
    assert all(len(text) <= 1100 for _, text, _, _ in got)
    assert got[1][2] == got[0][3]


def test_detection_by_content_and_extension() -> None:
    assert detect_format(load("interview-segments.json"), None) == "json"
    assert detect_format(load("support-call-utterances.json"), "call.txt") == "json"
    assert detect_format('[{"text": "cut sh', None) == "json"
    assert detect_format("not json", "x.json") == "json"
    assert detect_format("[link](http://example.com)", None) != "json"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[{"text": "hello", "sta', "malformed JSON at line 1"),
        ('{"segments": [{"text": "a"}', "malformed JSON"),
        ('{"foo": 1}', "expected a list of segments or an object"),
        ('"just a string"', "expected a list or an object"),
        ('{"segments": "x"}', "'segments' must be a list"),
        ("[]", "holds no segments"),
        ('[{"text": "a"}, 3]', "item 2 of the list is not an object"),
        ('[{"speaker": "A"}]', "item 1 of the list has no 'text' string"),
        ('[{"text": "a", "start": "soon"}]', "non-numeric 'start'"),
        ('[{"text": "a", "start": 5, "end": 2}]', "ends before it starts"),
        ('[{"text": "   "}]', "no text found"),
        ("[" * 100_000, "malformed JSON"),
    ],
)
def test_malformed_or_wrong_shape(text: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse(text, filename="bad.json")


def test_crlf_and_bom() -> None:
    text = "\ufeff" + load("interview-segments.json").replace("\n", "\r\n")
    assert turns(parse(text)) == turns(parse(load("interview-segments.json")))
