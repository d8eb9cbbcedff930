"""Plain-text transcripts: speaker turns, earnings-call Q&A, or bare paragraphs.

This is the catch-all for text, so whatever a file holds becomes segments and
any text file can be indexed; the text is returned unchanged. It also owns the
speaker-line grammar (``Name: text``, ``NAME (Title): text``, ``Jane Doe -- CFO``
lines) that the Markdown parser reuses, and the ``Speaker: utterance`` rendering
that the subtitle and JSON parsers use to build their readable text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum

from rag.formats.lines import Line, iter_lines
from rag.formats.registry import ParseError, Parser, register
from rag.models import ParsedTranscript, Segment, SegmentKind

_TIME = r"\d{1,2}(?::\d{1,2}){1,2}(?:[.,]\d{1,3})?"
_LEADING_TIME = re.compile(rf"[\[(]?({_TIME})[\])]?(?=\s|$)\s*")
_TRAILING_TIME = re.compile(rf"\s*[\[(]?({_TIME})[\])]?$")
_TIME_ONLY = re.compile(rf"[\[(]?({_TIME})[\])]?")
_LABEL = re.compile(
    r"(?P<name>[^:：()（）\[\]]{1,60}?)\s*"
    r"(?:[(（](?P<paren>(?:[^()（）]|\([^()]*\)){1,80})[)）])?\s*[:：]\s*(?P<rest>.*)",
    re.DOTALL,
)
_DASH_HEADER = re.compile(r"(?P<name>.+?)(?:\s+(?:--|-|–|—)\s+|\s*(?:—|–)\s*)(?P<title>\S.{0,100})")
_BULLET = re.compile(r"(?:[-*+•·]|\d{1,3}[.)])\s+")
_CJK_NAME = re.compile(r"[\u3400-\u9fff·•]{1,8}")
_NAME_TOKEN = re.compile(r"[\w'’.\-&]+")
_PARTICLES = frozenset({"de", "da", "van", "von", "der", "den", "del", "la", "le", "di", "du"})
_SMALL_WORDS = frozenset(
    {"a", "an", "and", "at", "by", "for", "in", "of", "on", "or", "the", "to", "vs", "with"}
)
_HEADING_WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")
_OPERATOR_NAMES = frozenset({"operator", "moderator", "coordinator", "conference operator"})
_QUESTION_LABELS = frozenset({"q", "question", "问"})
_ANSWER_LABELS = frozenset({"a", "answer", "答"})
_LIST_HEADING = re.compile(
    r"participants|executives|analysts|attendees|speakers|representatives|参会|与会", re.I
)
_ANALYST_GROUP = re.compile(r"analyst|conference call participants|other participants", re.I)
_MANAGEMENT_GROUP = re.compile(r"corporate|company|executives|management|presenters", re.I)
_ANALYST_TITLE = re.compile(r"\banalyst|research\b|分析师", re.I)
_MANAGEMENT_TITLE = re.compile(
    r"\b(?:chief|officer|ceo|cfo|coo|cto|president|chair\w*|director|head|vice|vp|"
    r"treasurer|investor relations|founder|executive|controller|manager)\b|总裁|总监|董事|经理",
    re.I,
)
_QA_HEADING = re.compile(
    r"questions?[\s\-]*(?:and|&)[\s\-]*answers?|\bq\s*&\s*a\b|\bq\s*and\s*a\b|问答", re.I
)
_QA_OPENING = re.compile(
    r"\b(?:first|next|following)\s+question\b|"
    r"\b(?:now|begin|open)\b[^.?!]{0,60}\bquestions?\b|"
    r"questions?[\s\-]*(?:and|&)[\s\-]*answers?[^.?!]{0,30}\b(?:now|begin|open)",
    re.I,
)
_TURN_CHARS = 1000
_INTRODUCTION = re.compile(r"\bquestions?\b[^.?!]{0,80}\b(?:from|of|with)\b|\bline of\b", re.I)


@dataclass(frozen=True)
class Label:
    """Who speaks, as a speaker line names them: the name, a title, a time stamp."""

    name: str
    title: str | None = None
    time: float | None = None


class LineKind(Enum):
    TEXT = "text"
    LABEL = "label"
    """``Name: words`` (the words may be empty: the turn then starts on the next line)."""
    HEADER = "header"
    """A line naming the speaker of the lines below it (``Jane Doe -- CFO``)."""
    TIME = "time"
    HEADING = "heading"


@dataclass(frozen=True)
class Entry:
    """One line as its format sees it; the builder decides what it means in context."""

    line: Line
    kind: LineKind = LineKind.TEXT
    label: Label | None = None
    content_start: int | None = None
    """For LABEL: where the turn's words begin (``line.end`` when none follow)."""
    strong: bool = False
    """The line's markup alone (a title, bold) makes it a speaker line."""
    heading: str | None = None
    time: float | None = None
    """For TIME: the seconds of a time stamp standing alone on its line."""


def parse_time(value: str) -> float | None:
    """``01:02:03``, ``1:02`` or ``00:01:02.5`` as seconds; None when not a time."""
    parts = value.replace(",", ".").split(":")
    if not 2 <= len(parts) <= 3:
        return None
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        return None
    if any(n >= 60 for n in numbers[1:]):
        return None
    seconds = 0.0
    for n in numbers:
        seconds = seconds * 60 + n
    return seconds


def is_name(value: str) -> bool:
    """A person's name or a role as transcripts label speakers: ``Jane Doe``, ``GRAD A``."""
    if _CJK_NAME.fullmatch(value):
        return True
    tokens = value.split()
    if not 1 <= len(tokens) <= 5 or not tokens[0][0].isupper():
        return False
    for token in tokens:
        if token in _PARTICLES or token.isdigit():
            continue
        if not (token[0].isupper() and _NAME_TOKEN.fullmatch(token)):
            return False
    return True


def parse_label(name: str, paren: str | None = None) -> Label | None:
    """The speaker a label names, or None when the label is not a speaker's name.

    A time stamp may lead the name (``[00:01:02] Jane``) or stand in the
    parentheses (``Jane (00:01:02)``); otherwise the parentheses hold a title.
    """
    name = name.strip()
    time = None
    if lead := _LEADING_TIME.match(name):
        time = parse_time(lead.group(1))
        name = name[lead.end() :]
    title = paren.strip() if paren else None
    if title and _TIME_ONLY.fullmatch(title):
        time, title = parse_time(title), None
    if not name or not is_name(name):
        return None
    return Label(name, title or None, time)


def classify(line: Line) -> Entry:
    """What a line of plain text looks like on its own, before its context is known."""
    text = line.text
    if (alone := _TIME_ONLY.fullmatch(text)) and (time := parse_time(alone[1])) is not None:
        return Entry(line, LineKind.TIME, time=time)
    lead_time = None
    skip = 0
    if lead := _LEADING_TIME.match(text):
        lead_time = parse_time(lead.group(1))
        skip = lead.end() if lead_time is not None else 0
    body = text[skip:]
    if trail := _TRAILING_TIME.search(body):
        name = body[: trail.start()]
        if name and is_name(name) and (time := parse_time(trail.group(1))) is not None:
            return Entry(line, LineKind.HEADER, Label(name, time=time), strong=True)
    if (m := _LABEL.fullmatch(body)) and (label := parse_label(m["name"], m["paren"])):
        time = label.time if label.time is not None else lead_time
        return Entry(
            line,
            LineKind.LABEL,
            Label(label.name, label.title, time),
            content_start=line.start + skip + m.start("rest") if m["rest"] else line.end,
            strong=label.title is not None,
        )
    if (m := _DASH_HEADER.fullmatch(body)) and is_name(m["name"]):
        title = m["title"]
        if (title[0].isupper() or title[0].isdigit()) and not title.endswith(("?", "!")):
            return Entry(line, LineKind.HEADER, Label(m["name"], title, lead_time), strong=True)
    return Entry(line, LineKind.TEXT)


def _line_breaks(text: str) -> int:
    return len((text + "x").splitlines()) - 1


def _heading_like(text: str) -> bool:
    if len(text) > 80 or text.endswith((".", ",", ";", "!", "?", ":", "。", "，", "：")):
        return False
    if re.fullmatch(r"[\u3400-\u9fff\d\s]{2,20}", text):
        return True
    words = _HEADING_WORD.findall(text)
    if not 1 <= len(words) <= 10 or not words[0][0].isupper():
        return False
    return all(w[0].isupper() or w[0].isdigit() or w.lower() in _SMALL_WORDS for w in words)


@dataclass
class _Person:
    titles: list[str] = field(default_factory=list)
    group: str | None = None

    @property
    def analyst(self) -> bool:
        return self.group == "analyst" or any(_ANALYST_TITLE.search(t) for t in self.titles)

    @property
    def management(self) -> bool:
        return not self.analyst and (
            self.group == "management" or any(_MANAGEMENT_TITLE.search(t) for t in self.titles)
        )


@dataclass
class _Block:
    """A run of lines that becomes one segment."""

    start: int
    end: int
    title: str | None
    speaker: str | None = None
    time: float | None = None
    kind: SegmentKind = SegmentKind.TURN
    in_qa: bool = False
    open_ended: bool = False
    """A turn runs over paragraph breaks until the next speaker; bare prose does not."""


def _marker_kind(name: str) -> SegmentKind:
    """``Q:`` and ``A:`` labels mark questions and answers rather than speakers."""
    if name.lower() in _QUESTION_LABELS:
        return SegmentKind.QUESTION
    if name.lower() in _ANSWER_LABELS:
        return SegmentKind.ANSWER
    return SegmentKind.TURN


def _list_entry(text: str) -> tuple[str, str | None] | None:
    """A participants-list line: ``Jane Doe - CFO``, ``Jane Doe, Analyst, Firm``, ``- Jane``."""
    bullet = _BULLET.match(text)
    body = text[bullet.end() :] if bullet else text
    if m := _LABEL.fullmatch(body):
        if m["paren"] and not m["rest"] and is_name(m["name"].strip()):
            return m["name"].strip(), m["paren"].strip()
    if m := re.fullmatch(r"(?P<name>[^(（]+?)\s*[(（](?P<title>[^()（）]+)[)）]", body):
        if is_name(m["name"]):
            return m["name"], m["title"].strip()
    if (m := _DASH_HEADER.fullmatch(body)) and is_name(m["name"]):
        return m["name"], m["title"]
    name, comma, title = body.partition(",")
    if comma and is_name(name.strip()) and title.strip():
        return name.strip(), title.strip()
    if bullet and is_name(body):
        return body, None
    return None


class _Builder:
    """Turns classified lines into segments: turns, sections, lists and Q&A."""

    def __init__(self, text: str, entries: list[Entry], guess_headings: bool) -> None:
        self.text = text
        self.entries = entries
        self.guess_headings = guess_headings
        self.people: dict[str, _Person] = {}
        counts: dict[str, int] = {}
        for e in entries:
            if e.label and e.kind in (LineKind.LABEL, LineKind.HEADER):
                counts[e.label.name] = counts.get(e.label.name, 0) + 1
                if e.strong:
                    counts[e.label.name] += 1
        self.known = {name for name, n in counts.items() if n >= 2}
        labelled = sum(1 for e in entries if e.label and e.label.name in self.known)
        if entries and labelled >= len(entries) / 2:
            self.known |= set(counts)  # a transcript of labelled lines: every label is a speaker

    def _break_before(self, i: int) -> bool:
        if i == 0:
            return True
        gap = self.text[self.entries[i - 1].line.end : self.entries[i].line.start]
        return _line_breaks(gap) >= 2

    def _is_speaker_name(self, name: str) -> bool:
        return name in self.known or name in self.people or name.lower() in _OPERATOR_NAMES

    def _roles(self) -> list[str]:
        """Each line's role: turn, header, heading, time or text."""
        raw: list[str] = []
        for e in self.entries:
            if e.heading is not None:
                raw.append("heading")
            elif e.kind is LineKind.TIME:
                raw.append("time")
            elif e.kind is LineKind.LABEL and e.label and (e.strong or e.label.name in self.known):
                raw.append("turn" if e.content_start != e.line.end else "header")
            elif e.kind is LineKind.HEADER or (
                e.kind is LineKind.TEXT and e.line.text.lower() in _OPERATOR_NAMES
            ):
                raw.append("header")
            else:
                raw.append("text")
        roles = list(raw)
        n = len(raw)
        for i in range(n):
            if roles[i] != "text" or not self.guess_headings or i == n - 1:
                continue
            if self._break_before(i) and _heading_like(self.entries[i].line.text):
                if raw[i + 1] in ("turn", "header", "heading") or self._break_before(i + 1):
                    roles[i] = "heading?"
        for i in range(n):
            if roles[i] == "header":
                nxt = roles[i + 1] if i + 1 < n else None
                if nxt == "text" or (nxt == "heading?" and not self._break_before(i + 1)):
                    if nxt == "heading?":
                        roles[i + 1] = "text"
                else:
                    roles[i] = "text"
        return ["heading" if r == "heading?" else r for r in roles]

    def build(self) -> list[Segment]:
        roles = self._roles()
        blocks: list[_Block] = []
        section: str | None = None
        current: _Block | None = None
        list_block: _Block | None = None
        list_group: str | None = None
        list_title: str | None = None
        in_list = False
        pending_time: float | None = None
        qa = False
        for i, (e, role) in enumerate(zip(self.entries, roles, strict=True)):
            line = e.line
            nxt = roles[i + 1] if i + 1 < len(roles) else None
            if in_list:
                entry = _list_entry(line.text) if role in ("text", "header") else None
                if entry and role == "header" and nxt not in (None, "heading"):
                    entry = entry if _list_entry(self.entries[i + 1].line.text) else None
                if entry:
                    self._add_person(entry[0], entry[1], list_group)
                    if list_block is None:
                        list_block = _Block(line.start, line.end, list_title)
                        blocks.append(list_block)
                    list_block.end = line.end
                    continue
                in_list, list_block, current = False, None, None
            if (
                role in ("text", "heading")
                and e.heading is None
                and e.kind is LineKind.TEXT
                and nxt == "text"
                and self._is_speaker_name(line.text)
            ):
                role = "header"  # a bare name known from elsewhere heads its turn
            if role == "heading":
                current = None
                heading = e.heading if e.heading is not None else line.text
                is_qa = bool(_QA_HEADING.search(heading))
                if _LIST_HEADING.search(heading) and len(heading) <= 60 and not is_qa:
                    in_list, list_title = True, heading
                    list_group = (
                        "analyst"
                        if _ANALYST_GROUP.search(heading)
                        else "management"
                        if _MANAGEMENT_GROUP.search(heading)
                        else None
                    )
                    continue
                section = heading or None
                qa = qa or is_qa
                continue
            if role == "time":
                pending_time = e.time
                continue
            if role in ("turn", "header"):
                label = e.label or Label(line.text)
                kind = _marker_kind(label.name)
                speaker = label.name if kind is SegmentKind.TURN else None
                if speaker:
                    self._add_person(speaker, label.title, None)
                time = label.time if label.time is not None else pending_time
                pending_time = None
                current = _Block(-1, -1, section, speaker, time, kind, in_qa=qa, open_ended=True)
                if role == "turn" and e.content_start is not None:
                    current.start, current.end = e.content_start, line.end
                blocks.append(current)
                continue
            if current is not None and (current.open_ended or not self._break_before(i)):
                if current.start < 0:
                    current.start = line.start
                current.end = line.end
            else:
                current = _Block(line.start, line.end, section, time=pending_time, in_qa=qa)
                pending_time = None
                blocks.append(current)
        blocks = [b for b in blocks if b.start >= 0]
        self._mark_qa(blocks)
        return [
            Segment(
                b.kind,
                b.start,
                b.end,
                title=b.title,
                speaker=b.speaker,
                start_time=b.time,
                role=self._role(b.speaker),
            )
            for b in blocks
        ]

    def _role(self, speaker: str | None) -> str | None:
        """The first title a speaker line or the participants list gives the speaker."""
        person = self.people.get(speaker or "")
        return person.titles[0] if person and person.titles else None

    def _add_person(self, name: str, title: str | None, group: str | None) -> None:
        person = self.people.setdefault(name, _Person())
        if title:
            person.titles.append(title)
        if group:
            person.group = group

    def _mark_qa(self, blocks: list[_Block]) -> None:
        """In the Q&A part, analysts' turns are questions and management's replies answers."""
        turns = [b for b in blocks if b.speaker is not None]
        has_cues = any(p.analyst for p in self.people.values())
        operators = {b.speaker for b in turns if b.speaker and b.speaker.lower() in _OPERATOR_NAMES}
        start = next((i for i, b in enumerate(turns) if b.in_qa), None)
        for i, b in enumerate(turns):
            if start is not None and i >= start:
                break
            said = self.text[b.start : b.end]
            person = self.people.get(b.speaker or "")
            if (b.speaker in operators or has_cues) and _QA_OPENING.search(said):
                start = i
            elif person is not None and person.analyst:
                start = i
        if start is None:
            return
        presenters = {b.speaker for b in turns[:start]}
        introductions = any(
            b.speaker in operators and _INTRODUCTION.search(self.text[b.start : b.end])
            for b in turns[start:]
        )
        analysts: dict[str, bool] = {}
        asking = False
        previous: _Block | None = None
        for b in turns[start:]:
            name = b.speaker or ""
            if name in operators:
                asking = False
                previous = b
                continue
            if name not in analysts:
                analysts[name] = self._decide_analyst(
                    name, b, previous, presenters, operators, introductions
                )
            if analysts[name]:
                b.kind, asking = SegmentKind.QUESTION, True
            elif asking:
                b.kind = SegmentKind.ANSWER
            previous = b

    def _decide_analyst(
        self,
        name: str,
        turn: _Block,
        previous: _Block | None,
        presenters: set[str | None],
        operators: set[str | None],
        introductions: bool,
    ) -> bool:
        person = self.people.get(name, _Person())
        if person.analyst:
            return True
        if person.management or name in presenters:
            return False
        if introductions:
            return (
                previous is not None
                and previous.speaker in operators
                and bool(_INTRODUCTION.search(self.text[previous.start : previous.end]))
            )
        return "?" in self.text[turn.start : turn.end]


def build_segments(text: str, entries: list[Entry], guess_headings: bool = True) -> list[Segment]:
    """Segments for classified lines: speaker turns (Q&A in calls) or bare paragraphs."""
    return _Builder(text, entries, guess_headings).build()


def sniff(text: str) -> bool:
    """Plain text never claims content; it is the fallback when nothing else does."""
    return False


def parse(text: str) -> ParsedTranscript:
    entries = [classify(line) for line in iter_lines(text)]
    if not entries:
        raise ParseError("the text is empty")
    segments = build_segments(text, entries)
    if not segments:
        segments = [Segment(SegmentKind.TURN, e.line.start, e.line.end) for e in entries]
    return ParsedTranscript(text=text, format="text", segments=segments)


@dataclass(frozen=True)
class Utterance:
    """One timed piece of speech from a structured source (a subtitle cue, a JSON item)."""

    text: str
    speaker: str | None = None
    start: float | None = None
    end: float | None = None


def render_turns(utterances: Iterable[Utterance], format: str) -> ParsedTranscript:
    """Readable ``Speaker: words`` paragraphs, one per turn, merging a speaker's consecutive
    utterances; each turn's segment covers its words and spans its utterances' times.

    A long monologue is cut into paragraphs of about ``_TURN_CHARS`` so that the
    times of each stay precise enough to cite.
    """
    turns: list[tuple[str | None, list[str], float | None, float | None]] = []
    for u in utterances:
        words = " ".join(u.text.split())
        if not words:
            continue
        speaker = " ".join(u.speaker.split()) if u.speaker else None
        if turns and turns[-1][0] == speaker and sum(map(len, turns[-1][1])) < _TURN_CHARS:
            name, parts, start, _ = turns[-1]
            turns[-1] = (name, [*parts, words], start, u.end)
        else:
            turns.append((speaker or None, [words], u.start, u.end))
    if not turns:
        raise ParseError(f"no text found in the {format} content")
    pieces: list[str] = []
    segments: list[Segment] = []
    pos = 0
    for speaker, parts, start, end in turns:
        prefix = f"{speaker}: " if speaker else ""
        body = " ".join(parts)
        if pieces:
            pieces.append("\n\n")
            pos += 2
        pieces.append(prefix + body)
        begin = pos + len(prefix)
        pos = begin + len(body)
        segments.append(
            Segment(SegmentKind.TURN, begin, pos, speaker=speaker, start_time=start, end_time=end)
        )
    return ParsedTranscript(text="".join(pieces), format=format, segments=segments)


PARSER = register(Parser("text", (".txt", ".text"), parse, sniff, priority=-100, fallback=True))
