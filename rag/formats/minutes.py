"""The "minutes" page of a meeting-notes site, as scraped: summary, chapters, Q&A.

Page chrome (login links, language switch, player controls) surrounds the
content; only lines inside the three marked sections become segments.
"""

from __future__ import annotations

import re

from rag.formats.lines import Line, iter_lines
from rag.formats.registry import ParseError, Parser, register
from rag.models import ParsedTranscript, Segment, SegmentKind

SUMMARY_MARKERS = {"会议摘要", "meeting summary", "summary"}
CHAPTER_MARKERS = {"会议速览", "chapter overview", "chapters", "meeting overview"}
QA_MARKERS = {"要点回答", "key answers", "key q&a", "q&a highlights"}

_QUESTION = re.compile(r"^(?:Q|问)\s*[:：]\s*", re.IGNORECASE)
_ANSWER = re.compile(r"^(?:A|答)\s*[:：]\s*", re.IGNORECASE)
_WORD = re.compile(r"\w+")


def _marker(line: Line) -> str | None:
    key = line.text.lower()
    if key in SUMMARY_MARKERS:
        return "summary"
    if key in CHAPTER_MARKERS:
        return "chapters"
    if key in QA_MARKERS:
        return "qa"
    return None


def _is_prose(line: Line) -> bool:
    """Chrome is a few words ("follow", "1.5"); content is a sentence or more."""
    return len(_WORD.findall(line.text)) >= 6 or len(line.text) >= 40


def sniff(text: str) -> bool:
    found = {m for line in iter_lines(text[:200_000]) if (m := _marker(line))}
    chinese = {"会议摘要", "会议速览", "要点回答"}
    has_chinese_marker = any(marker in text for marker in chinese)
    return len(found) >= 2 and has_chinese_marker


def _chapters(lines: list[Line]) -> list[Segment]:
    """Chapters are a one-line title followed by its paragraph."""
    segments: list[Segment] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        if nxt is not None and len(line.text) < len(nxt.text) and len(line.text) <= 300:
            title = line.text.strip("\"'“”‘’「」 ")
            segments.append(Segment(SegmentKind.CHAPTER, line.start, nxt.end, title=title))
            i += 2
        else:
            segments.append(Segment(SegmentKind.CHAPTER, line.start, line.end))
            i += 1
    return segments


def _qa(lines: list[Line], title: str | None) -> list[Segment]:
    segments: list[Segment] = []
    for line in lines:
        if q := _QUESTION.match(line.text):
            segments.append(
                Segment(SegmentKind.QUESTION, line.start + q.end(), line.end, title=title)
            )
        elif a := _ANSWER.match(line.text):
            segments.append(
                Segment(SegmentKind.ANSWER, line.start + a.end(), line.end, title=title)
            )
        elif segments and _is_prose(line):
            last = segments[-1]
            segments[-1] = Segment(last.kind, last.start, line.end, title=title)
        elif segments:
            break  # trailing page chrome ends the Q&A section
    return segments


def parse(text: str) -> ParsedTranscript:
    sections: dict[str, list[Line]] = {}
    titles: dict[str, str] = {}
    current: str | None = None
    for line in iter_lines(text):
        if marker := _marker(line):
            current = marker
            titles[marker] = line.text
            sections.setdefault(marker, [])
        elif current is not None:
            sections[current].append(line)
    if not sections:
        raise ParseError("no summary, chapter or Q&A section markers found")

    segments: list[Segment] = []
    for line in sections.get("summary", []):
        if _is_prose(line):
            segments.append(
                Segment(SegmentKind.SUMMARY, line.start, line.end, title=titles["summary"])
            )
    segments.extend(_chapters(sections.get("chapters", [])))
    segments.extend(_qa(sections.get("qa", []), titles.get("qa")))
    return ParsedTranscript(text=text, format="minutes", segments=segments)


PARSER = register(Parser("minutes", (".txt", ".minutes"), parse, sniff, priority=10))
