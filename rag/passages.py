"""The passage an answer cites: the window search found, grown into the talk around it.

Meetings are cut into windows of about 110 words so that search can tell one topic from the
next, but a discussion runs longer than that, and a reader (or a scorer) judging the answer
needs the exchange, not a fifth of it. So the cited passage grows from the retrieved window by
whole neighbouring windows of the same transcript and section: forward first (a topic is
raised, then discussed), then back, while it stays within ``limit`` characters and clear of
the passages already cited. Q&A pairs, chapters and summaries are whole units and stay as
they are. The highlight still marks the sentences of the window that answer the question.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace

from rag.models import ROLES_SEPARATOR, ChunkKind, Neighbour, StoredChunk

PASSAGE_CHARS = 1400
"""Longest passage an answer cites, in characters (``RAG_PASSAGE_CHARS``; 0 cites the
window alone). Chosen on QMSum val, every window placement alike: see the README."""


def grows(chunk: StoredChunk) -> bool:
    return chunk.kind == ChunkKind.TURN


def span(
    chunk: StoredChunk,
    nearby: Sequence[Neighbour],
    limit: int,
    taken: Sequence[tuple[int, int]] = (),
    text: str = "",
    text_start: int = 0,
    allowed: Collection[int] | None = None,
) -> tuple[int, int]:
    """The passage's ``[start, end)``: the chunk's, grown forward then back in turn while it
    fits in ``limit`` and overlaps nothing ``taken``.

    It grows through the ``nearby`` windows of the chunk's kind and section (and ``allowed``,
    under a filter) and stops at any other chunk: a window's talk never runs into a Q&A pair, a
    chapter, another section or a window the filter leaves out. It may end where a window ends
    or at any line end of ``text`` (the transcript from ``text_start``: a window's last turns
    need not come whole), and starts where a window starts, so the speaker who opens it is
    known.
    """
    start, end = chunk.start, chunk.end
    windows = [n for n in nearby if _joins(chunk, n, allowed)]
    blocked = [*taken, *_walls(chunk, [n for n in nearby if not _joins(chunk, n, allowed)])]
    stops = {n.end for n in windows if n.end > end}
    last = max(stops, default=end)
    line = text.find("\n", end - text_start)
    while 0 <= line and text_start + line < last:
        stops.add(text_start + line)
        line = text.find("\n", line + 1)
    ends = sorted(e for e in stops if e > end)
    starts = sorted({n.start for n in windows if n.start < start}, reverse=True)

    def free(a: int, b: int) -> bool:
        return not any(x < b and a < y for x, y in blocked)

    grew = True
    while grew:
        grew = False
        if ends and ends[0] - start <= limit and free(end, ends[0]):
            end = ends.pop(0)
            grew = True
        if starts and end - starts[0] <= limit and free(starts[0], start):
            start = starts.pop(0)
            grew = True
    return start, end


def _joins(chunk: StoredChunk, other: Neighbour, allowed: Collection[int] | None) -> bool:
    return (
        other.kind == chunk.kind
        and other.section == chunk.section
        and (allowed is None or other.id in allowed)
    )


def _walls(chunk: StoredChunk, others: Sequence[Neighbour]) -> list[tuple[int, int]]:
    """The spans of ``others`` outside the chunk: a wall it overlaps stops it at its edge."""
    walls = []
    for n in others:
        if n.start < chunk.start:
            walls.append((n.start, min(n.end, chunk.start)))
        if n.end > chunk.end:
            walls.append((max(n.start, chunk.end), n.end))
    return walls


def passage(
    chunk: StoredChunk, neighbours: Sequence[Neighbour], start: int, end: int, text: str
) -> StoredChunk:
    """The chunk as its passage ``[start, end)`` (``text``): opened by the speaker of the window
    it starts with; its roles and times those of the windows it holds whole."""
    if (start, end) == (chunk.start, chunk.end):
        return chunk
    inside = [n for n in neighbours if start <= n.start and n.end <= end]
    first = next((n for n in inside if n.start == start), None)
    roles = dict.fromkeys(
        role for n in inside for role in (n.roles.split(ROLES_SEPARATOR) if n.roles else ())
    )
    ends = [n.end_time for n in inside if n.end_time is not None]
    return replace(
        chunk,
        start=start,
        end=end,
        text=text,
        speaker=first.speaker if first else chunk.speaker,
        start_time=first.start_time if first else chunk.start_time,
        end_time=max(ends) if ends else chunk.end_time,
        roles=ROLES_SEPARATOR.join(roles) or chunk.roles,
    )
