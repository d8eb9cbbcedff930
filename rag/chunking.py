"""Turns parsed segments into retrievable chunks that keep the transcript's structure.

A question and its answers stay together, a chapter keeps its title, runs of
short speaker turns are grouped into passage-sized windows (meetings are mostly
"Yeah." and "So what about the battery?": one chunk per turn is too small to
answer anything), and long text is cut into overlapping windows at sentence
boundaries. Every chunk's
``text`` is exactly ``transcript[start:end]`` so citations are exact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.models import (
    ROLES_SEPARATOR,
    Chunk,
    ChunkKind,
    ParsedTranscript,
    Segment,
    SegmentKind,
)

# A sentence ends at Western punctuation followed by space, or right after CJK
# punctuation, or at a line break.
_SENTENCE_END = re.compile(r"(?<=[.!?;])[\"'”’)\]]*\s+|(?<=[。！？；])[”’」』）]*\s*|\n+")
_WORD = re.compile(r"[A-Za-z0-9]+(?:['’.,-][A-Za-z0-9]+)*|[\u3400-\u9fff]")
_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class ChunkingConfig:
    words: int = 120
    overlap_words: int = 20
    max_chars: int = 1500
    turn_words: int = 110
    turn_overlap_words: int = 30


def count_words(text: str) -> float:
    """Words of Latin text plus CJK characters at about 1.5 per word."""
    cjk = len(_CJK.findall(text))
    return len(_WORD.findall(text)) - cjk + cjk / 1.5


def sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence boundaries inside ``text[start:end]``, as absolute offsets, blanks trimmed."""
    spans: list[tuple[int, int]] = []
    pos = start
    for match in _SENTENCE_END.finditer(text, start, end):
        spans.append((pos, match.start() if match.group().isspace() else match.end()))
        pos = match.end()
    spans.append((pos, end))
    trimmed = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            trimmed.append((s, e))
    return trimmed


def _split_long(text: str, s: int, e: int, max_chars: int) -> list[tuple[int, int]]:
    """Cut one over-long sentence at spaces (or anywhere, for unspaced text)."""
    pieces = []
    while e - s > max_chars:
        cut = text.rfind(" ", s + max_chars // 2, s + max_chars)
        cut = cut if cut > s else s + max_chars
        pieces.append((s, cut))
        s = cut
        while s < e and text[s].isspace():
            s += 1
    pieces.append((s, e))
    return pieces


def windows(text: str, start: int, end: int, config: ChunkingConfig) -> list[tuple[int, int]]:
    """Sentence-aligned windows of about ``config.words`` words, overlapping a little."""
    sentences: list[tuple[int, int]] = []
    for s, e in sentence_spans(text, start, end):
        sentences.extend(_split_long(text, s, e, config.max_chars))
    if not sentences:
        return []
    result: list[tuple[int, int]] = []
    i = 0
    while i < len(sentences):
        j, words = i, 0.0
        while j < len(sentences):
            candidate_chars = sentences[j][1] - sentences[i][0]
            if j > i and (words >= config.words or candidate_chars > config.max_chars):
                break
            words += count_words(text[sentences[j][0] : sentences[j][1]])
            j += 1
        result.append((sentences[i][0], sentences[j - 1][1]))
        if j >= len(sentences):
            break
        # Step back over whole sentences to overlap by about overlap_words.
        back, overlap = j, 0.0
        while back - 1 > i:
            overlap += count_words(text[sentences[back - 1][0] : sentences[back - 1][1]])
            if overlap > config.overlap_words:
                break
            back -= 1
        i = back if back < j else j
    return result


@dataclass(frozen=True)
class TurnWindow:
    start: int
    end: int
    speakers: tuple[str, ...]
    """Who speaks in the window, in order of first appearance."""


@dataclass(frozen=True)
class TurnWindowConfig:
    words: int = 110
    overlap_words: int = 30
    max_chars: int = 1500


def _speakers(turns: list[Segment]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(t.speaker for t in turns if t.speaker))


def _group(
    text: str, turns: list[Segment], sizes: list[float], config: TurnWindowConfig
) -> list[TurnWindow]:
    """Windows over turns that each fit in ``max_chars`` on their own."""
    result: list[TurnWindow] = []
    i = 0
    while i < len(turns):
        j, words = i, 0.0
        while j < len(turns):
            if j > i and (
                words >= config.words or turns[j].end - turns[i].start > config.max_chars
            ):
                break
            words += sizes[j]
            j += 1
        result.append(TurnWindow(turns[i].start, turns[j - 1].end, _speakers(turns[i:j])))
        if j >= len(turns):
            break
        back, overlap = j, 0.0
        while back - 1 > i and overlap + sizes[back - 1] <= config.overlap_words:
            overlap += sizes[back - 1]
            back -= 1
        i = back
    return result


def turn_windows(
    text: str, turns: list[Segment], config: TurnWindowConfig | None = None
) -> list[TurnWindow]:
    """Windows of consecutive ``turns`` (segments of ``text``, in order) as absolute spans."""
    config = config or TurnWindowConfig()
    result: list[TurnWindow] = []
    run: list[Segment] = []

    def flush() -> None:
        if run:
            sizes = [count_words(text[t.start : t.end]) for t in run]
            result.extend(_group(text, run, sizes, config))
            run.clear()

    chunking = ChunkingConfig(config.words, config.overlap_words, config.max_chars)
    for turn in turns:
        if run and turn.title != run[-1].title:
            flush()
        too_long = turn.end - turn.start > config.max_chars
        if too_long or count_words(text[turn.start : turn.end]) > config.words * 1.5:
            flush()
            speakers = (turn.speaker,) if turn.speaker else ()
            result.extend(
                TurnWindow(s, e, speakers) for s, e in windows(text, turn.start, turn.end, chunking)
            )
        else:
            run.append(turn)
    flush()
    return result


def _fits(text: str, config: ChunkingConfig) -> bool:
    return count_words(text) <= config.words * 1.5 and len(text) <= config.max_chars


def _roles(segments: list[Segment]) -> str | None:
    """The distinct roles of the segments' speakers, in order ("Analyst; Chief Executive
    Officer"): a question may ask for a speaker by role."""
    return ROLES_SEPARATOR.join(dict.fromkeys(s.role for s in segments if s.role)) or None


def _with_context(context: str | None, body: str) -> str:
    return f"{context}\n{body}" if context and context not in body else body


class Chunker:
    """Chunks one parsed transcript; stateless apart from its configuration."""

    def __init__(self, config: ChunkingConfig | None = None) -> None:
        self.config = config or ChunkingConfig()

    def chunk(self, parsed: ParsedTranscript) -> list[Chunk]:
        chunks: list[Chunk] = []
        segments = parsed.segments
        i = 0
        while i < len(segments):
            seg = segments[i]
            if seg.kind is SegmentKind.TURN:
                j = i
                while j < len(segments) and segments[j].kind is SegmentKind.TURN:
                    j += 1
                chunks.extend(self._turns(parsed, segments[i:j]))
                i = j
                continue
            if seg.kind is SegmentKind.QUESTION:
                answers = []
                j = i + 1
                while j < len(segments) and segments[j].kind is SegmentKind.ANSWER:
                    answers.append(segments[j])
                    j += 1
                chunks.extend(self._qa(parsed, seg, answers))
                i = j
                continue
            kind = {
                SegmentKind.SUMMARY: ChunkKind.SUMMARY,
                SegmentKind.CHAPTER: ChunkKind.CHAPTER,
            }.get(seg.kind, ChunkKind.TURN)
            chunks.extend(self._plain(parsed, seg, kind))
            i += 1
        return chunks

    def _make(
        self,
        parsed: ParsedTranscript,
        start: int,
        end: int,
        kind: ChunkKind,
        seg: Segment,
        context: str | None = None,
        question: str | None = None,
        section: str | None = None,
        roles: str | None = None,
    ) -> Chunk:
        text = parsed.text[start:end]
        return Chunk(
            start=start,
            end=end,
            kind=kind,
            text=text,
            embed_text=_with_context(context, text),
            section=section if section is not None else seg.title,
            speaker=seg.speaker,
            question=question,
            start_time=seg.start_time,
            end_time=seg.end_time,
            roles=roles if roles is not None else seg.role,
        )

    def _turns(self, parsed: ParsedTranscript, turns: list[Segment]) -> list[Chunk]:
        """Windows of consecutive turns; each names the speaker who opens it."""
        config = TurnWindowConfig(
            self.config.turn_words, self.config.turn_overlap_words, self.config.max_chars
        )
        chunks = []
        for window in turn_windows(parsed.text, turns, config):
            inside = [t for t in turns if t.start < window.end and window.start < t.end]
            first, last = inside[0], inside[-1]
            speaker = window.speakers[0] if window.speakers else None
            text = parsed.text[window.start : window.end]
            context = f"{speaker}: {text}" if speaker else text
            chunks.append(
                Chunk(
                    start=window.start,
                    end=window.end,
                    kind=ChunkKind.TURN,
                    text=text,
                    embed_text=_with_context(first.title, context),
                    section=first.title,
                    speaker=speaker,
                    start_time=first.start_time,
                    end_time=last.end_time,
                    roles=_roles(inside),
                )
            )
        return chunks

    def _plain(self, parsed: ParsedTranscript, seg: Segment, kind: ChunkKind) -> list[Chunk]:
        body = parsed.segment_text(seg)
        if _fits(body, self.config):
            return [self._make(parsed, seg.start, seg.end, kind, seg, context=seg.title)]
        return [
            self._make(parsed, s, e, kind, seg, context=seg.title)
            for s, e in windows(parsed.text, seg.start, seg.end, self.config)
        ]

    def _qa(self, parsed: ParsedTranscript, q: Segment, answers: list[Segment]) -> list[Chunk]:
        question = parsed.segment_text(q)
        section = q.title
        roles = _roles([q, *answers])
        if not answers:
            return [self._make(parsed, q.start, q.end, ChunkKind.TURN, q, section=section)]
        end = answers[-1].end
        last = answers[-1]
        if _fits(parsed.text[q.start : end], self.config):
            return [
                self._make(
                    parsed,
                    q.start,
                    end,
                    ChunkKind.QA,
                    q,
                    question=question,
                    section=section,
                    roles=roles,
                )
            ]
        # Too long for one chunk: the question travels with each window of the answer.
        chunks = []
        for s, e in windows(parsed.text, answers[0].start, end, self.config):
            speaker_seg = next((a for a in answers if a.start <= s < a.end), last)
            if not chunks and e - q.start <= self.config.max_chars:
                s = q.start
            chunks.append(
                self._make(
                    parsed,
                    s,
                    e,
                    ChunkKind.QA,
                    speaker_seg,
                    context=question,
                    question=question,
                    section=section,
                    roles=roles,
                )
            )
        return chunks
