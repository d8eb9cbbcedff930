"""Highlights: the answering sentence, absolute offsets, a neighbour only when it earns it."""

from __future__ import annotations

from rag.e5_export import NAME as E5_NAME
from rag.embedding import load_embedder
from rag.highlight import highlight
from rag.lexical import LexicalIndex

PREFIX = "Header line that is not part of the chunk.\n"
CHUNK = (
    "Q:What is the capital expenditure plan? "
    "A:Thanks for the question. We discussed many topics today. "
    "The company plans a three-year capital expenditure of 380 billion yuan. "
    "Weather was nice in Hangzhou."
)
TEXT = PREFIX + CHUNK


def _span(question: str, **kwargs: object) -> str:
    start = len(PREFIX)
    s, e = highlight(question, TEXT, start, start + len(CHUNK), **kwargs)  # type: ignore[arg-type]
    assert start <= s < e <= start + len(CHUNK)
    return TEXT[s:e]


def test_picks_the_sentence_with_the_questions_terms() -> None:
    span = _span("How much will the company spend on capital expenditure?")
    assert span.startswith("The company plans")


def test_answer_start_skips_the_question_line() -> None:
    answer_start = TEXT.index("A:")
    span = _span("What is the capital expenditure plan?", answer_start=answer_start)
    assert "380 billion" in span and "Q:" not in span


def test_idf_prefers_rare_terms() -> None:
    index = LexicalIndex.build(
        [1, 2, 3], ["nice weather", "nice weather today", "380 billion plan"]
    )
    span = _span("nice 380 billion?", idf=index.idf)
    assert "380 billion" in span


def test_words_that_frame_the_question_mark_no_sentence() -> None:
    # "discussed" and "many" are rare in this index, and only frame the question.
    index = LexicalIndex.build(
        [1, 2, 3, 4], ["discussed many topics", "company plans", "company", "company plans"]
    )
    span = _span("How many plans did the company say they discussed?", idf=index.idf)
    assert span.startswith("The company plans")


def test_a_verb_marks_the_sentence_that_says_its_past_tense() -> None:
    text = "Thanks for the question. Cloud revenue grew 34 percent. Revenue growth will slow."
    s, e = highlight("How much did cloud revenue grow?", text, 0, len(text))
    assert text[s:e] == "Cloud revenue grew 34 percent."


def test_no_shared_terms_gives_one_sentence() -> None:
    span = _span("zebra")
    assert span.count(".") + span.count("?") <= 1


def test_embedder_finds_english_for_a_chinese_question() -> None:
    e5 = load_embedder(E5_NAME)
    span = _span("资本开支计划是多少？", answer_start=TEXT.index("A:"), embedder=e5)
    assert "380 billion" in span


def test_a_title_before_a_name_ends_no_sentence() -> None:
    text = "Mr. Chair, we issued 590,000 business loans. The weather was mild. Dr. Lee agreed."
    start, end = highlight("How many business loans were issued?", text, 0, len(text))
    assert text[start:end] == "Mr. Chair, we issued 590,000 business loans."
