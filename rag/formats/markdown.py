"""Markdown meeting notes and transcripts: ``#`` headings are sections.

Speaker lines follow the plain-text grammar (imported from ``plaintext``), plus
``**Name:**`` bold labels and list bullets. A section without any speaker
becomes one CHAPTER segment (its heading and paragraphs); the text is
returned unchanged.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from rag.formats.lines import Line, iter_lines
from rag.formats.plaintext import Entry, LineKind, build_segments, classify, parse_label
from rag.formats.registry import ParseError, Parser, register
from rag.models import ParsedTranscript, Segment, SegmentKind

_HEADING = re.compile(r"(#{1,6})(?:\s+(.*?))?(?:\s+#+)?\s*")
_FENCE = re.compile(r"(```|~~~)")
_RULE = re.compile(r"(?:[-*_]\s*){3,}")
_BULLET = re.compile(r"(?:[-*+]|\d{1,3}[.)])\s+")
_BOLD_LABEL = re.compile(
    r"(?P<mark>\*\*|__)(?P<name>[^*_:：()（）]{1,60}?)\s*"
    r"(?:[(（](?P<paren>[^()（）]{1,80})[)）])?\s*(?P<colon>[:：])?(?P=mark)\s*"
)
_EMPHASIS = re.compile(r"^[*_`\s]+|[*_`\s]+$")


def _bold_label(line: Line) -> Entry | None:
    """``**Name:** words``, ``**Name**: words`` or ``**Name (Title):**`` as a speaker line."""
    m = _BOLD_LABEL.match(line.text)
    if not m:
        return None
    end = m.end()
    if not m["colon"]:
        colon = re.match(r"[:：]\s*", line.text[end:])
        if not colon:
            return None
        end += colon.end()
    label = parse_label(m["name"], m["paren"])
    if label is None:
        return None
    content = line.start + end if end < len(line.text) else line.end
    return Entry(line, LineKind.LABEL, label, content_start=content, strong=True)


def _entry(line: Line) -> Entry:
    bullet = _BULLET.match(line.text)
    if bullet:
        line = Line(line.text[bullet.end() :], line.start + bullet.end(), line.end)
    return _bold_label(line) or classify(line)


def _entries(text: str) -> list[Entry]:
    entries: list[Entry] = []
    fence: str | None = None
    for line in iter_lines(text):
        if fence is not None:
            if line.text.startswith(fence):
                fence = None
            entries.append(Entry(line))
            continue
        if opening := _FENCE.match(line.text):
            fence = opening.group(1)
            entries.append(Entry(line))
        elif heading := _HEADING.fullmatch(line.text):
            title = _EMPHASIS.sub("", heading.group(2) or "")
            entries.append(Entry(line, heading=title))
        elif not _RULE.fullmatch(line.text):
            entries.append(_entry(line))
    return entries


def _chapters(entries: list[Entry], segments: list[Segment]) -> list[Segment]:
    """Replace the paragraphs of each headed section without speakers by one CHAPTER."""
    headings = [e for e in entries if e.heading is not None]
    ends = [h.line.end for h in headings]
    sections: dict[int, list[int]] = {}
    for i, seg in enumerate(segments):
        if (owner := bisect_right(ends, seg.start) - 1) >= 0:
            sections.setdefault(owner, []).append(i)
    replaced: dict[int, Segment | None] = {}
    for owner, inside in sections.items():
        if any(
            segments[i].speaker is not None or segments[i].kind is not SegmentKind.TURN
            for i in inside
        ):
            continue
        heading = headings[owner]
        m = _HEADING.fullmatch(heading.line.text)
        start = heading.line.start + m.start(2) if m and m.group(2) else segments[inside[0]].start
        chapter = Segment(SegmentKind.CHAPTER, start, segments[inside[-1]].end, heading.heading)
        replaced.update(dict.fromkeys(inside))
        replaced[inside[0]] = chapter
    return [
        replaced[i] if i in replaced else seg
        for i, seg in enumerate(segments)
        if replaced.get(i, seg) is not None
    ]


def parse(text: str) -> ParsedTranscript:
    entries = _entries(text)
    if not entries:
        raise ParseError("the Markdown text is empty")
    segments = _chapters(entries, build_segments(text, entries, guess_headings=False))
    if not segments:
        segments = [Segment(SegmentKind.TURN, e.line.start, e.line.end) for e in entries]
    return ParsedTranscript(text=text, format="markdown", segments=segments)


def sniff(text: str) -> bool:
    """Two or more ATX headings, or one that opens the document."""
    headings = 0
    for n, line in enumerate(iter_lines(text[:100_000])):
        if _HEADING.fullmatch(line.text):
            if n == 0:
                return True
            headings += 1
            if headings >= 2:
                return True
    return False


PARSER = register(Parser("markdown", (".md", ".markdown"), parse, sniff, priority=5))
