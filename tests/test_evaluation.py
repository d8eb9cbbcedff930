from pathlib import Path

from rag.engine import Engine
from rag.evaluation import CitedSpan, EvalQuestion, first_hit_rank, load_questions, score_set
from tests.conftest import DATA


def test_rule_ignores_case_and_whitespace_and_rejects_long_spans() -> None:
    q = EvalQuestion("x", "q", ["No  indication of\nan AI bubble"])
    good = CitedSpan("a.txt", "there is no indication  of an ai BUBBLE.")
    assert first_hit_rank(q, [CitedSpan("a.txt", "other"), good]) == 2
    assert first_hit_rank(q, [CitedSpan("a.txt", good.text + " " * 1500)]) is None


def test_rule_requires_the_named_file() -> None:
    q = EvalQuestion("x", "q", ["budget"], file="b.txt")
    assert first_hit_rank(q, [CitedSpan("a.txt", "the budget")]) is None
    assert first_hit_rank(q, [CitedSpan("b.txt", "the budget")]) == 1


def test_scores_split_by_language() -> None:
    qs = [EvalQuestion("1", "What?", ["a"]), EvalQuestion("2", "什么？", ["b"])]
    scores = score_set("s", qs, lambda q: [CitedSpan("t", "a")])
    assert scores["s"].hit_at(1) == 0.5
    assert scores["s (en)"].hit_at(1) == 1.0 and scores["s (zh)"].hit_at(1) == 0.0


def test_seed_dev_set_is_answered(seed_engine: Engine) -> None:
    questions = load_questions(DATA / "seed_dev.jsonl")
    text = seed_engine.transcript(1)[1]  # type: ignore[index]

    def answer(q: EvalQuestion) -> list[CitedSpan]:
        return [
            CitedSpan(a.citation.transcript, text[a.citation.start : a.citation.end])
            for a in seed_engine.ask(q.q, 10).answers
        ]

    score = score_set("seed_dev", questions, answer)["seed_dev"]
    assert score.hits_at(3) >= 13
    assert score.hits_at(1) >= 12


def test_questions_load_from_a_folder(tmp_path: Path) -> None:
    (tmp_path / "questions.jsonl").write_text('{"id": "a", "q": "?", "gold": ["x"]}\n')
    assert load_questions(tmp_path)[0].id == "a"


def test_lenient_scoring_counts_gold_span_only_when_asked() -> None:
    q = EvalQuestion("x", "q", ["exact words"], gold_span=["exact words", "nearby words"])
    spans = [CitedSpan("a.txt", "some nearby words here")]
    assert first_hit_rank(q, spans) is None
    assert first_hit_rank(q, spans, lenient=True) == 1
    plain = EvalQuestion("y", "q", ["exact words"])
    assert first_hit_rank(plain, [CitedSpan("a.txt", "the exact words")], lenient=True) == 1
    assert score_set("s", [q], lambda _: spans, lenient=True)["s"].hits_at(1) == 1


def test_gold_span_loads_when_present(tmp_path: Path) -> None:
    path = tmp_path / "set.jsonl"
    path.write_text(
        '{"id": "a", "q": "?", "gold": ["x"], "gold_span": ["x y"]}\n'
        '{"id": "b", "q": "?", "gold": ["z"]}\n'
    )
    a, b = load_questions(path)
    assert a.gold_span == ["x y"] and b.gold_span == []


def test_chinese_questions_over_the_english_seed_are_found(seed_engine: Engine) -> None:
    questions = load_questions(DATA / "seed_zh.jsonl")
    assert all(q.language == "zh" for q in questions)
    text = seed_engine.transcript(1)[1]  # type: ignore[index]

    def answer(q: EvalQuestion) -> list[CitedSpan]:
        return [
            CitedSpan(a.citation.transcript, text[a.citation.start : a.citation.end])
            for a in seed_engine.ask(q.q, 10).answers
        ]

    score = score_set("seed_zh", questions, answer)["seed_zh"]
    assert score.hits_at(5) >= 12
    assert score.hits_at(1) >= 9
