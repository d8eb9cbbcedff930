"""Confidence and the answerable rule: dev questions pass, unrelated ones do not."""

from __future__ import annotations

import pytest

from rag.confidence import confidence, question_words, term_coverage
from rag.engine import Engine
from rag.evaluation import load_questions
from tests.conftest import DATA


def test_confidence_is_bounded_and_monotone() -> None:
    low, mid, high = confidence(0.70, 0.0), confidence(0.85, 0.3), confidence(0.95, 1.0)
    assert 0.0 <= low < mid < high <= 1.0
    assert confidence(0.85, 0.8) > confidence(0.85, 0.2)


def test_term_coverage_weighs_unknown_terms_fully() -> None:
    idf = {"cloud": 1.0, "revenu": 1.0}
    cover = term_coverage("cloud revenue pie", "Cloud revenue grew", lambda t: idf, 3.0)
    assert cover == pytest.approx(2 / 5)
    assert term_coverage("", "anything", lambda t: {}, 3.0) == 0.0


def test_a_chinese_word_is_present_through_its_english_senses() -> None:
    passage = "Our three-year capital expenditure plan"
    assert term_coverage("资本开支计划", passage, lambda t: {}, 3.0) == pytest.approx(1.0)
    assert term_coverage("苹果派", passage, lambda t: {}, 3.0) == 0.0
    # The English words of a mixed question count as before, beside the Chinese ones.
    assert term_coverage("capital 苹果", passage, lambda t: {}, 3.0) == pytest.approx(0.5)


def test_dev_questions_are_answerable(seed_engine: Engine) -> None:
    questions = load_questions(DATA / "seed_dev.jsonl")
    results = [seed_engine.ask(q.q, 5) for q in questions]
    assert all(r.answerable for r in results), [r.question for r in results if not r.answerable]
    assert all(0.0 <= a.confidence <= 1.0 for r in results for a in r.answers)


def test_most_unrelated_questions_are_not_answerable(seed_engine: Engine) -> None:
    questions = [q for q in (DATA / "unrelated_questions.txt").read_text().splitlines() if q]
    assert len(questions) == 20
    rejected = sum(not seed_engine.ask(q, 5).answerable for q in questions)
    assert rejected >= 16


def test_chinese_questions_over_the_english_seed_are_answerable(seed_engine: Engine) -> None:
    questions = load_questions(DATA / "seed_zh.jsonl")
    answerable = [q.q for q in questions if seed_engine.ask(q.q, 5).answerable]
    assert len(answerable) >= 12, answerable


def test_unrelated_chinese_questions_are_not_answerable(seed_engine: Engine) -> None:
    path = DATA / "unrelated_questions_zh.txt"
    questions = [q for q in path.read_text(encoding="utf-8").splitlines() if q]
    assert len(questions) == 20
    rejected = sum(not seed_engine.ask(q, 5).answerable for q in questions)
    assert rejected >= 18


def test_questions_about_companies_the_seed_never_names_are_not_answerable(
    seed_engine: Engine,
) -> None:
    """The rest of each question (revenue, growth, users) is what the call is about."""
    for name in ("near_miss_questions.txt", "near_miss_questions_zh.txt"):
        questions = [q for q in (DATA / name).read_text(encoding="utf-8").splitlines() if q]
        assert len(questions) == 10
        answerable = [q for q in questions if seed_engine.ask(q, 5).answerable]
        assert len(answerable) <= 1, answerable


def test_keyword_questions_on_absent_topics_are_not_answerable(seed_engine: Engine) -> None:
    """e5 puts a one- or two-word question close to every passage, so its one word the call
    does use ("impact", "plans") is no reason to answer."""
    path = DATA / "absent_keywords.txt"
    questions = [q for q in path.read_text(encoding="utf-8").splitlines() if q]
    assert len(questions) == 28
    answerable = [q for q in questions if seed_engine.ask(q, 5).answerable]
    assert len(answerable) <= 3, answerable


def test_keyword_questions_the_seed_answers_stay_answerable(seed_engine: Engine) -> None:
    questions = load_questions(DATA / "seed_keywords.jsonl")
    refused = [q.q for q in questions if not seed_engine.ask(q.q, 5).answerable]
    assert len(refused) <= 1, refused


def test_a_short_question_needs_a_closer_passage() -> None:
    assert confidence(0.85, 0.0, words=2) < 0.5 < confidence(0.85, 0.0, words=3)
    assert question_words("Tariff impact?", []) == 2
    assert question_words("净现金？", [("净现金", ["net cash"])]) == 1


def test_words_that_frame_a_question_count_neither_way() -> None:
    # The seed, summarised in the third person, never says "say": it weighed as the rarest word.
    passage = "Faced with fierce competition, strategies will be adjusted."
    idf = lambda terms: {t: 1.0 for t in terms if t.startswith("compet")}  # noqa: E731
    assert term_coverage("What did they say about competition?", passage, idf, 8.0) == 1.0
    assert term_coverage("How much competition?", passage, idf, 8.0) == 1.0
    assert term_coverage("Summarize their view of competition", passage, idf, 8.0) == 1.0
    # A Chinese word whose first sense frames ("to discuss"; 情况 "circumstances") does too.
    assert term_coverage("他们讨论了竞争", passage, idf, 8.0) == 1.0
    assert term_coverage("竞争情况如何？", passage, idf, 8.0) == 1.0
    assert term_coverage("What is the competitive situation?", passage, idf, 8.0) == 1.0


def test_words_that_frame_a_question_do_not_make_it_longer() -> None:
    # "Any comments on share repurchases?" asks with two words, as "Share repurchases?" does.
    assert question_words("Any comments on share repurchases?", []) == 2
    assert question_words("Can you talk about the impact of tariffs?", []) == 2
    assert (
        question_words("竞争情况如何？", [("竞争", ["competition"]), ("情况", ["circumstances"])])
        == 1
    )


def test_framed_questions_on_absent_topics_are_not_answerable(seed_engine: Engine) -> None:
    """The call never speaks of buybacks, crypto or pensions; framed ("Any comments on ..."),
    each was asked with three words, and e5 put "share" (as in market share) near enough."""
    path = DATA / "absent_framed.txt"
    questions = [q for q in path.read_text(encoding="utf-8").splitlines() if q]
    assert len(questions) == 15
    answerable = [q for q in questions if seed_engine.ask(q, 5).answerable]
    assert len(answerable) <= 2, answerable


@pytest.mark.parametrize(
    "question",
    [
        "Any comments on cloud growth?",
        "How do they view AI demand?",
        "Tell me about instant retail.",
    ],
)
def test_framed_questions_on_topics_of_the_call_are_answerable(
    seed_engine: Engine, question: str
) -> None:
    assert seed_engine.ask(question, 5).answerable


def test_what_they_said_about_a_topic_of_the_call_is_answerable(seed_engine: Engine) -> None:
    result = seed_engine.ask("What did they say about competition?", 5)
    assert result.answerable
    assert "competition" in result.answers[0].text


def test_a_typo_weighs_as_the_word_it_misspells(seed_engine: Engine) -> None:
    # "proect" is no word of the call; as one, it weighed 8 against every passage.
    result = seed_engine.ask("What is the Qianwen proect?", 5)
    assert result.answerable
    assert "personal AI assistant" in result.answers[0].text


def test_a_company_a_transcript_names_is_no_reason_to_refuse(seed_engine: Engine) -> None:
    # 阿里巴巴 is "Ali Baba" and "Alibaba, PRC e-commerce company"; the call says Alibaba.
    assert seed_engine.ask("阿里巴巴的资本开支计划是多少？", 5).answerable


def test_a_verb_is_present_in_its_past_tense() -> None:
    idf = lambda terms: {t: 1.0 for t in terms if t in {"revenu", "grew", "grow"}}  # noqa: E731
    assert term_coverage("How much did revenue grow?", "Revenue grew 9%.", idf, 8.0) == 1.0


def test_a_lone_character_counts_neither_for_nor_against() -> None:
    # 单 ("bill") and 均 ("equal") are guesses; the passage answers 单均亏损 ("loss per order").
    assert term_coverage("单均亏损", "Losses per order fell.", lambda t: {}, 3.0) == pytest.approx(
        1.0
    )


def test_a_figure_counts_as_one_word_its_value() -> None:
    passage = "Total revenue reached 247.8 billion yuan."
    assert term_coverage("2478亿", passage, lambda t: {}, 3.0) == pytest.approx(1.0)
    assert term_coverage("2479亿", passage, lambda t: {}, 3.0) == 0.0
    # 千万 spells ten million, but as a translation of "be sure to" it is a word, not a value.
    chinese = [("sure", ["千万"])]
    assert term_coverage("Be sure", "八亿六千万元", lambda t: {}, 3.0, chinese) == 1.0


def test_a_chinese_word_counts_in_part_for_the_terms_of_a_sense_a_passage_has() -> None:
    idf = lambda terms: {t: 2.0 for t in terms}  # noqa: E731
    # 利润率 reads "profit margin"; calls say "margins" alone.
    assert term_coverage("利润率", "Margins widened.", idf, 3.0) == pytest.approx(0.5)
    assert term_coverage("利润率", "Profit margins widened.", idf, 3.0) == 1.0
    assert term_coverage("利润率", "Sales grew.", idf, 3.0) == 0.0


def test_coverage_within_sentences_needs_the_words_said_together() -> None:
    passage = (
        "Capital spending rose. Sales were flat. Margins fell. Costs rose. "
        "We opened a plant in Western Australia."
    )
    idf = lambda terms: {t: 2.0 for t in terms}  # noqa: E731
    assert term_coverage("capital of Australia", passage, idf, 3.0) == 1.0
    scattered = term_coverage("capital of Australia", passage, idf, 3.0, sentences=3)
    assert scattered == pytest.approx(0.5)
    together = "Capital spending in Western Australia rose. Sales were flat."
    assert term_coverage("capital of Australia", together, idf, 3.0, sentences=3) == 1.0
    # The title counts beside every run of sentences.
    titled = term_coverage(
        "capital of Australia", passage, idf, 3.0, context="Australia Fund", sentences=3
    )
    assert titled == 1.0
