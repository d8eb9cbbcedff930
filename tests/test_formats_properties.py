"""Every registered parser either returns valid offsets or raises ParseError, whatever it gets."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rag.decoding import DecodeError, decode
from rag.formats import ParseError, get_parser, known_formats, parse
from rag.models import ParsedTranscript

FORMATS = known_formats()
UNCHANGED = {"text", "markdown", "minutes"}
PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_valid(parsed: ParsedTranscript, source: str, name: str | None = None) -> None:
    if (name or parsed.format) in UNCHANGED:
        assert parsed.text == source
    for seg in parsed.segments:
        assert 0 <= seg.start < seg.end <= len(parsed.text)
        piece = parsed.text[seg.start : seg.end]
        assert piece and piece == piece.strip()


def parse_or_reject(text: str, name: str | None) -> None:
    try:
        parsed = get_parser(name).parse(text) if name else parse(text)
    except ParseError as exc:
        assert str(exc)
        return
    assert_valid(parsed, text, name)


def parse_all(text: str) -> None:
    parse_or_reject(text, None)
    for name in FORMATS:
        parse_or_reject(text, name)


@PROPERTY
@given(st.binary(max_size=400))
def test_arbitrary_bytes(data: bytes) -> None:
    try:
        text = decode(data)
    except DecodeError:
        return
    parse_all(text)


@PROPERTY
@given(st.text(max_size=400))
def test_arbitrary_text(text: str) -> None:
    parse_all(text)


NAMES = st.sampled_from(
    ["Operator", "Jane Doe", "JOHN SMITH", "Dr. Amara Nwosu", "A", "Q", "张三", "Grad E", "x"]
)
TITLES = st.sampled_from(["CFO", "Chief Executive Officer", "Analyst, Firm & Co.", "00:01:02"])
WORDS = st.lists(
    st.sampled_from([*"abc XYZ?.,:-—()[]<>#*\t\r\n\u2028问", "\r\n", "Jane: ", "00:01 "]),
    max_size=30,
).map("".join)
STAMP = st.sampled_from(["", "[00:01:02] ", "00:01:02 ", "(1:02) ", "99:99 "])


@st.composite
def speaker_line(draw: st.DrawFn) -> str:
    name, title, words = draw(NAMES), draw(TITLES), draw(WORDS)
    shape = draw(st.integers(0, 9))
    return (
        draw(STAMP)
        + [
            f"{name}: {words}",
            f"{name} ({title}): {words}",
            f"{name} -- {title}",
            f"{name} — {title}",
            f"{name} - {title}",
            f"**{name}:** {words}",
            f"# {words}",
            f"{name}",
            "Question-and-Answer Session",
            f"Conference Call Participants\n{name} - {title}",
        ][shape]
    )


@st.composite
def speaker_document(draw: st.DrawFn) -> str:
    lines = draw(st.lists(st.one_of(speaker_line(), WORDS), max_size=20))
    separators = draw(st.lists(st.sampled_from(["\n", "\n\n", "\r\n", "\r\n\r\n"]), min_size=20))
    return "".join(line + sep for line, sep in zip(lines, separators, strict=False))


@PROPERTY
@given(speaker_document())
def test_speaker_shaped_text(text: str) -> None:
    parse_all(text)


def _stamp(ms: int, sep: str) -> str:
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


@st.composite
def cues(draw: st.DrawFn, vtt: bool) -> str:
    sep = "." if vtt else ","
    parts = ["WEBVTT\n"] if vtt and draw(st.booleans()) else []
    for n in range(draw(st.integers(0, 6))):
        start = draw(st.integers(0, 10_000_000))
        end = start + draw(st.integers(-50, 10_000))
        timing = f"{_stamp(start, sep)} --> {_stamp(max(end, 0), sep)}"
        if draw(st.booleans()):
            timing = draw(st.sampled_from(["00:00:0x --> 1", "", "-->", timing[:-3]]))
        voice = draw(st.sampled_from(["", "<v Jane Doe>", "<v>", "Jane: ", "<b>", "&amp;"]))
        ident = draw(st.sampled_from([str(n + 1), "", "x", "NOTE"]))
        parts.append(f"{ident}\n{timing}\n{voice}{draw(WORDS)}\n")
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return "\n".join(parts).replace("\n", newline)


@PROPERTY
@given(st.booleans().flatmap(cues))
def test_cue_shaped_text(text: str) -> None:
    parse_all(text)


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=12,
)
ITEM = st.fixed_dictionaries(
    {},
    optional={
        "speaker": st.one_of(NAMES, st.integers(0, 3), st.none(), JSON_VALUES),
        "text": st.one_of(WORDS, JSON_VALUES),
        "start": st.one_of(st.floats(allow_nan=True), st.integers(-5, 10**9), JSON_VALUES),
        "end": st.one_of(st.floats(0, 1e6), st.integers(0, 10**9)),
        "start_ms": st.integers(0, 10**7),
    },
)


@st.composite
def json_document(draw: st.DrawFn) -> str:
    items = draw(st.lists(st.one_of(ITEM, JSON_VALUES), max_size=6))
    shape = draw(st.sampled_from(["list", "segments", "utterances", "other"]))
    data = {"list": items, "other": draw(JSON_VALUES)}.get(shape, {shape: items})
    text = json.dumps(data)
    if draw(st.booleans()):
        text = text[: draw(st.integers(0, len(text)))]
    return text


@PROPERTY
@given(json_document())
def test_json_shaped_text(text: str) -> None:
    parse_all(text)


@pytest.mark.parametrize("name", FORMATS)
def test_every_parser_rejects_empty_text(name: str) -> None:
    with pytest.raises(ParseError):
        get_parser(name).parse("")
