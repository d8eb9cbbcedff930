"""SRT and WebVTT subtitles: timed cues merged into readable speaker turns.

A subtitle file is cue numbers, timings and markup, not what a person reads,
so the parser builds ``Speaker: words`` paragraphs and its segments index that
text, each carrying the times of the cues it was made from.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

import srt
import webvtt
from webvtt.errors import MalformedCaptionError, MalformedFileError

from rag.formats.lines import Line
from rag.formats.plaintext import LineKind, Utterance, classify, render_turns
from rag.formats.registry import ParseError, Parser, register
from rag.models import ParsedTranscript

_SRT_START = re.compile(r"\ufeff?\s*\d+[ \t]*\r?\n[ \t]*\d{1,2}:\d{2}:\d{2},\d{1,3}[ \t]*-->")
_VTT_START = re.compile(r"\ufeff?WEBVTT(?:[ \t]|\r?\n|\r|$)")
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?\s+([^>]*)>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>|\{\\[^}]*\}")
_DIALOGUE_DASH = re.compile(r"-\s+")


def _utterances(lines: Iterable[tuple[str, float, float]]) -> list[Utterance]:
    """Cue text lines to utterances: voice tags or ``Name:`` prefixes name the speaker,
    and a line without either keeps the speaker before it."""
    speaker: str | None = None
    result: list[Utterance] = []
    for raw, start, end in lines:
        if voice := _VOICE.search(raw):
            speaker = " ".join(voice.group(1).split()) or speaker
        words = html.unescape(_TAG.sub("", raw)).strip()
        if dash := _DIALOGUE_DASH.match(words):
            words = words[dash.end() :]
        entry = classify(Line(words, 0, len(words)))
        if entry.kind is LineKind.LABEL and entry.label and entry.content_start is not None:
            speaker, words = entry.label.name, words[entry.content_start :]
        result.append(Utterance(words, speaker, start, end))
    return result


def _srt_error(text: str, error: srt.SRTParseError) -> ParseError:
    """Name the cue that broke the parse and what is wrong with it."""
    before = text[: error.expected_start].strip()
    number = len(re.split(r"\n[ \t\r]*\n", before)) + 1 if before else 1
    lines = error.unmatched_content.strip().splitlines()
    if not lines:
        return ParseError(f"malformed SRT: cue {number} is incomplete")
    timing = next((line for line in lines[:2] if "-->" in line), None)
    if timing is None:
        return ParseError(f"malformed SRT: cue {number} has no timestamp line")
    return ParseError(f"malformed SRT: cue {number} has a bad timestamp line {timing.strip()!r}")


def parse_srt(text: str) -> ParsedTranscript:
    try:
        cues = list(srt.parse(text.lstrip("\ufeff")))
    except srt.SRTParseError as exc:
        raise _srt_error(text.lstrip("\ufeff"), exc) from None
    except (ValueError, OverflowError) as exc:
        raise ParseError(f"malformed SRT: {exc}") from None
    if not cues:
        raise ParseError("malformed SRT: no cues found")
    for cue in cues:
        for block in re.split(r"\n[ \t\r]*\n", cue.content)[1:]:
            if (first := block.strip().split("\n")[0].strip()).isdigit():
                raise ParseError(f"malformed SRT: cue {first} has no timestamp line")
    lines = [
        (line, cue.start.total_seconds(), cue.end.total_seconds())
        for cue in cues
        for line in cue.content.splitlines()
    ]
    return render_turns(_utterances(lines), "srt")


def parse_vtt(text: str) -> ParsedTranscript:
    body = text.lstrip("\ufeff")
    if not _VTT_START.match(body):
        raise ParseError("malformed WebVTT: the file does not start with a WEBVTT header")
    try:
        captions = webvtt.WebVTT.from_string(body).captions
        timings = sum(1 for line in body.splitlines() if "-->" in line)
        if len(captions) != timings:
            webvtt.WebVTT.from_string(body, strict=True)
            raise ParseError("malformed WebVTT: a cue's timing line could not be read")
    except (MalformedCaptionError, MalformedFileError, ValueError, OverflowError) as exc:
        raise ParseError(f"malformed WebVTT: {exc}") from None
    if not captions:
        raise ParseError("malformed WebVTT: no cues found")
    lines = [
        (line, c.start_time.in_milliseconds() / 1000, c.end_time.in_milliseconds() / 1000)
        for c in captions
        for line in c.raw_text.splitlines()
    ]
    return render_turns(_utterances(lines), "vtt")


def sniff_srt(text: str) -> bool:
    return bool(_SRT_START.match(text))


def sniff_vtt(text: str) -> bool:
    return bool(_VTT_START.match(text))


SRT = register(Parser("srt", (".srt",), parse_srt, sniff_srt, priority=20))
VTT = register(Parser("vtt", (".vtt", ".webvtt"), parse_vtt, sniff_vtt, priority=20))
