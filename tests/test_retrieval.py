from rag.engine import Engine
from rag.models import StoredChunk
from rag.retrieval import drop_overlaps


def _chunk(cid: int, tid: int, start: int, end: int) -> StoredChunk:
    return StoredChunk(cid, tid, "t", start, end, "turn", "x", None, None, None, None, None)


def test_overlapping_chunks_keep_the_better_one() -> None:
    ranked = [
        (_chunk(2, 1, 80, 200), 0.9),
        (_chunk(1, 1, 0, 100), 0.5),
        (_chunk(3, 2, 80, 200), 0.4),
        (_chunk(4, 1, 200, 300), 0.3),
    ]
    assert [c.id for c, _ in drop_overlaps(ranked)] == [2, 3, 4]


def test_ai_bubble_question_cites_the_answer_first(seed_engine: Engine, seed_text: str) -> None:
    result = seed_engine.ask("What did they say about an AI bubble?", 5)
    first = result.answers[0]
    assert "no indication of an AI bubble" in first.text
    c = first.citation
    assert seed_text[c.start : c.end] == first.text
    assert c.question and c.question in first.text
    assert c.transcript == "alibaba-fy2026-q2-earnings-call.txt"


def test_answers_are_ranked_and_never_overlap(seed_engine: Engine) -> None:
    answers = seed_engine.ask("How did cloud revenue grow?", 20).answers
    assert [a.rank for a in answers] == list(range(1, len(answers) + 1))
    assert [a.score for a in answers] == sorted((a.score for a in answers), reverse=True)
    spans = sorted((a.citation.start, a.citation.end) for a in answers)
    for (_, e1), (s2, _) in zip(spans, spans[1:], strict=False):
        assert s2 >= e1
