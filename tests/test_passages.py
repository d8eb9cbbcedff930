from pathlib import Path

import pytest

from rag.engine import Engine
from rag.models import Neighbour, StoredChunk
from rag.passages import grows, passage, span
from rag.retrieval import Filters
from rag.settings import Settings
from tests.factories import meeting_transcript


def _chunk(start: int, end: int, kind: str = "turn") -> StoredChunk:
    return StoredChunk(1, 1, "m.txt", start, end, kind, "x", None, "B", None, 2.0, 3.0, "B")


def _window(
    start: int, end: int, speaker: str, kind: str = "turn", section: str | None = None
) -> Neighbour:
    return Neighbour(start, start, end, kind, section, speaker, speaker, float(start), float(end))


WINDOWS = [_window(0, 100, "A"), _window(80, 200, "B"), _window(180, 300, "C")]


def test_a_passage_grows_forward_first_then_back_within_its_limit() -> None:
    chunk = _chunk(80, 200)
    assert span(chunk, WINDOWS, 220) == (80, 300)
    assert span(chunk, WINDOWS, 300) == (0, 300)
    assert span(chunk, WINDOWS, 119) == (80, 200)


def test_a_passage_may_end_at_a_line_but_starts_where_a_window_does() -> None:
    text = "x" * 230 + "\n" + "y" * 69  # the transcript from 0: a line ends at 230
    assert span(_chunk(80, 200), WINDOWS, 160, text=text) == (80, 230)
    assert span(_chunk(80, 200), WINDOWS, 220, text=text) == (80, 300)
    assert span(_chunk(80, 200), WINDOWS, 240, text=text) == (0, 230)


def test_a_passage_never_grows_into_one_already_cited() -> None:
    assert span(_chunk(80, 200), WINDOWS, 300, taken=[(250, 300)]) == (0, 200)
    assert span(_chunk(80, 200), WINDOWS, 300, taken=[(0, 50)]) == (80, 300)


def test_a_passage_stops_at_a_chunk_it_cannot_join() -> None:
    text = "x" * 250 + "\n" + "y" * 49
    qa = [*WINDOWS[:2], _window(180, 300, "C", kind="qa")]
    assert span(_chunk(80, 200), qa, 300, text=text) == (0, 200)
    other_section = [*WINDOWS[:2], _window(180, 300, "C", section="Q&A")]
    assert span(_chunk(80, 200), other_section, 300, text=text) == (0, 200)
    # Under a filter, a window it leaves out (id 180) is a wall like any other.
    assert span(_chunk(80, 200), WINDOWS, 300, text=text, allowed={0, 80}) == (0, 200)
    assert span(_chunk(80, 200), WINDOWS, 300, text=text, allowed={80, 180}) == (80, 300)


def test_only_turn_windows_grow() -> None:
    assert grows(_chunk(0, 10))
    assert not any(grows(_chunk(0, 10, kind)) for kind in ("qa", "chapter", "summary"))


def test_a_passage_names_the_speaker_who_opens_it_and_the_roles_inside() -> None:
    grown = passage(_chunk(80, 200), WINDOWS, 0, 300, "t" * 300)
    assert (grown.start, grown.end, grown.text) == (0, 300, "t" * 300)
    assert grown.speaker == "A"
    assert grown.roles == "A; B; C"
    assert (grown.start_time, grown.end_time) == (0.0, 300.0)
    assert passage(_chunk(80, 200), WINDOWS, 80, 200, "t") == _chunk(80, 200)


@pytest.fixture(scope="module")
def meeting(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("meeting") / "data"
    Engine(Settings(data_dir=data_dir)).add_text("design-meeting.txt", meeting_transcript())
    return data_dir


QUESTION = "What did the team say about the battery of the kelp harvester?"


def test_a_meeting_answer_cites_the_discussion_after_the_window_found(meeting: Path) -> None:
    text = meeting_transcript()
    windows = Engine(Settings(data_dir=meeting, passage_chars=0)).ask(QUESTION, 3).answers
    answers = Engine(Settings(data_dir=meeting)).ask(QUESTION, 3).answers
    window, cited = windows[0].citation, answers[0].citation
    # The window said where the battery was raised; the passage goes on with the talk.
    assert "battery of the kelp harvester" in text[window.start : window.end]
    assert cited.start <= window.start < window.end < cited.end
    assert cited.end - cited.start <= 1400
    assert answers[0].text == text[cited.start : cited.end]
    assert text[cited.end] == "\n"
    assert window.start <= answers[0].highlight.start < answers[0].highlight.end <= window.end
    line = text.rfind("\n", 0, cited.start) + 1
    assert text[line : cited.start] == f"{cited.speaker}: "  # the turn it opens with
    spans = sorted((a.citation.start, a.citation.end) for a in answers)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))


def test_a_speaker_filter_keeps_passages_to_that_speakers_windows(meeting: Path) -> None:
    engine = Engine(Settings(data_dir=meeting))
    filtered = engine.ask(QUESTION, 3, Filters(speakers=["Marketing"])).answers
    assert filtered
    for answer in filtered:
        assert answer.citation.speaker == "Marketing"
