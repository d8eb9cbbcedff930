"""Typed records passed between the stages: parse -> chunk -> embed -> store -> retrieve."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class SegmentKind(StrEnum):
    SUMMARY = "summary"
    CHAPTER = "chapter"
    QUESTION = "question"
    ANSWER = "answer"
    TURN = "turn"


class ChunkKind(StrEnum):
    SUMMARY = "summary"
    CHAPTER = "chapter"
    QA = "qa"
    TURN = "turn"


ROLES_SEPARATOR = "; "
"""Between the roles of a chunk's speakers, which are stored and searched as one string."""


@dataclass(frozen=True)
class Segment:
    """A structural unit of a transcript; ``text[start:end]`` of its transcript is its text."""

    kind: SegmentKind
    start: int
    end: int
    title: str | None = None
    speaker: str | None = None
    start_time: float | None = None
    end_time: float | None = None
    role: str | None = None
    """The speaker's role where the transcript names it ("Chief Financial Officer")."""


@dataclass
class ParsedTranscript:
    """The stored text, unchanged, and the segments found in it."""

    text: str
    format: str
    segments: list[Segment] = field(default_factory=list)

    def segment_text(self, segment: Segment) -> str:
        return self.text[segment.start : segment.end]


@dataclass(frozen=True)
class Chunk:
    """A retrievable passage: ``text`` is exactly the cited source characters.

    ``embed_text`` adds context the span does not contain (a chapter title, the
    question a window of an answer belongs to) so the encoder sees it.
    """

    start: int
    end: int
    kind: ChunkKind
    text: str
    embed_text: str
    section: str | None = None
    speaker: str | None = None
    question: str | None = None
    start_time: float | None = None
    end_time: float | None = None
    roles: str | None = None
    """Its speakers' roles, as the transcript names them ("Chief Financial Officer"), joined
    by ``ROLES_SEPARATOR``: stored and searched as one string."""


@dataclass(frozen=True)
class ChunkSpan:
    """Where a stored chunk lies, without its text: enough to rank and drop overlaps."""

    id: int
    transcript_id: int
    start: int
    end: int


@dataclass(frozen=True)
class StoredChunk:
    """A chunk as the store returns it, with its ids and its transcript's name."""

    id: int
    transcript_id: int
    transcript: str
    start: int
    end: int
    kind: str
    text: str
    section: str | None
    speaker: str | None
    question: str | None
    start_time: float | None
    end_time: float | None
    roles: str | None = None
    """Its speakers' roles, as the transcript names them ("Chief Financial Officer"), joined
    by ``ROLES_SEPARATOR``: stored and searched as one string."""


@dataclass(frozen=True)
class Neighbour:
    """A chunk near a retrieved one, without its text: where a cited passage may grow to (or
    must stop), and what the passage then says of its speakers and times."""

    id: int
    start: int
    end: int
    kind: str
    section: str | None
    speaker: str | None
    roles: str | None
    start_time: float | None
    end_time: float | None


@dataclass(frozen=True)
class TranscriptInfo:
    id: int
    name: str
    format: str
    sha256: str
    chars: int
    chunks: int
    added_at: str


@dataclass(frozen=True)
class Citation:
    transcript_id: int
    transcript: str
    start: int
    end: int
    section: str | None
    speaker: str | None
    question: str | None
    start_time: float | None = None
    end_time: float | None = None
    roles: tuple[str, ...] = ()
    """What the transcript calls the passage's speakers ("Chief Financial Officer"), in the
    order they speak: a reader weighs a CFO's answer differently from an analyst's."""


@dataclass(frozen=True)
class Highlight:
    """The sentence or two of an answer that best answer the question (absolute offsets)."""

    start: int
    end: int


@dataclass(frozen=True)
class Answer:
    rank: int
    score: float
    confidence: float
    text: str
    highlight: Highlight
    citation: Citation
