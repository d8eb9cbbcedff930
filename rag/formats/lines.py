"""Line splitting that keeps character offsets, shared by the line-oriented parsers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Line:
    """One line with surrounding whitespace trimmed; ``start``/``end`` index the full text."""

    text: str
    start: int
    end: int


def iter_lines(text: str) -> Iterator[Line]:
    """Yield the non-blank lines of ``text`` (any of \\n, \\r\\n, \\r line ends)."""
    pos = 0
    for raw in text.splitlines(keepends=True):
        body = raw.rstrip("\r\n")
        stripped = body.strip()
        if stripped:
            lead = len(body) - len(body.lstrip())
            start = pos + lead
            yield Line(stripped, start, start + len(stripped))
        pos += len(raw)
