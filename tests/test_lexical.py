"""The BM25 tokenizer and index: Chinese and English terms, ids, persistence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag.lexical import LexicalIndex, Tokenizer, inflections, title_of, tokenize, top_k

DOCS = {
    101: "Alibaba Cloud revenue grew 34% year-on-year, driven by AI demand.",
    -7: "The free cash flow outflow was 21 billion yuan this quarter.",
    2**40: "公司计划在未来三年投入3800亿元用于资本开支。",
    55: "The recipe calls for apples, flour and butter.",
}


@pytest.fixture(scope="module")
def index() -> LexicalIndex:
    return LexicalIndex.build(list(DOCS), list(DOCS.values()))


def test_chinese_is_cut_into_bigrams_not_one_token() -> None:
    terms = Tokenizer()("资本开支计划")
    assert terms == ["资本", "本开", "开支", "支计", "计划"]


def test_english_is_lowercased_stemmed_and_stopwords_dropped() -> None:
    terms = Tokenizer()("What are Alibaba's Capital Expenditures?")
    assert terms == ["alibaba", "capit", "expenditur"]


def test_mixed_text_keeps_numbers_and_both_scripts() -> None:
    terms = Tokenizer()("RMB 380 billion资本开支, 3.5% growth")
    assert "380" in terms and "3.5" in terms and "资本" in terms and "billion" in terms


def test_an_acronym_and_its_plural_are_one_term() -> None:
    tokenize = Tokenizer()
    assert tokenize("our GPUs, LLMs and KPIs") == tokenize("our GPU, LLM and KPI")
    assert sorted(tokenize("GPUs利用率")) == sorted(["gpu", "利用", "用率"])
    assert tokenize("Yes, this is") == tokenize("yes, this is")  # not an acronym


def test_single_letter_speakers_survive() -> None:
    assert "d" in Tokenizer()("What did D think?")


def test_a_title_is_the_file_name_read_as_words_without_its_extension() -> None:
    assert set(Tokenizer()(title_of("AVD_q1_2021.txt"))) == {"avd", "q", "1", "2021"}
    assert set(Tokenizer()(title_of("alibaba-fy2026-q2-earnings-call.md"))) == {
        "alibaba",
        "fy",
        "2026",
        "q",
        "2",
        "earn",
        "call",
    }


def test_a_name_of_letters_joined_by_an_ampersand_stays_one_term() -> None:
    tokenizer = Tokenizer()
    assert tokenizer("What did AT&T say about wireless?") == ["att", "say", "wireless"]
    assert "mt" in tokenizer("M&T Bank's deposits")
    assert tokenizer("R&D") == ["research", "develop"]  # a known abbreviation stays spelt out


@pytest.mark.parametrize(
    ("asked", "written"),
    [
        ("$247.8B", "247.8 billion dollars"),
        ("29%", "29 percent"),
        ("12 per cent", "12%"),
        ("10M downloads", "10 million downloads"),
        ("RMB 380bn", "380 billion yuan"),
        ("USD 41 bn", "41 billion US dollars"),
        ("20k users", "20 thousand users"),
        ("FCF", "free cash flow"),
        ("R&D", "research and development"),
        ("FX headwinds", "foreign exchange headwinds"),
        ("the NIM", "the net interest margin"),
        ("P&L", "profit and loss"),
        ("up 50bp", "up 50 basis points"),
        ("KPIs", "key performance indicators"),
        ("YoY", "year-on-year"),
        ("the CEO's view", "the chief executive officer's view"),
        ("US sales", "U.S. sales"),
        ("sales in the USA", "sales in the United States of America"),
        ("trade with the UK", "trade with the U.K"),
        ("US$5 billion", "5 billion U.S. dollars"),
    ],
)
def test_figures_and_terms_give_the_same_terms_however_they_are_written(
    asked: str, written: str
) -> None:
    tokenizer = Tokenizer()
    assert set(tokenizer(asked)) == set(tokenizer(written))


def test_the_country_is_never_the_pronoun() -> None:
    tokenizer = Tokenizer()
    assert not set(tokenizer("How did US sales grow?")) & set(tokenizer("Let us talk about it"))


def test_british_and_american_spellings_give_the_same_terms() -> None:
    # Meetings from Britain write "colour" 172 times and "color" once; calls write "color".
    tokenizer = Tokenizer()
    assert tokenizer("the colours of the programme") == tokenizer("the colors of the program")
    assert tokenizer("organisation, analysed, labour") == tokenizer("organization, analyzed, labor")


def test_a_term_one_typing_slip_from_a_known_one_reads_as_it() -> None:
    index = LexicalIndex.build([1, 2], ["revenue grew", "the project"])
    assert index.nearest(tokenize("revnue")[0]) == tokenize("revenue")[0]  # a letter left out
    assert index.nearest(tokenize("porject")[0]) == tokenize("project")[0]  # two swapped
    assert index.nearest(tokenize("revenue")[0]) is None  # known
    assert index.nearest(tokenize("rvnue")[0]) is None  # two slips
    assert index.nearest("grow") is None  # too short to tell a slip from another word


def test_a_letter_glued_to_a_number_inside_a_word_is_no_unit() -> None:
    assert "billion" not in Tokenizer()("B2B sales")
    assert "percent" in Tokenizer()("an increase17% on the year")


def test_search_finds_the_right_document_with_its_id(index: LexicalIndex) -> None:
    assert index.search("cash flow", 3)[0][0] == -7
    assert index.search("资本开支是多少", 3)[0][0] == 2**40
    assert index.search("cloud revenues", 3)[0][0] == 101


def test_search_leaves_out_documents_without_a_shared_term(index: LexicalIndex) -> None:
    hits = index.search("apple recipe", 10)
    assert [cid for cid, _ in hits] == [55]
    assert index.search("zebra", 10) == []
    assert index.search("", 10) == []


def test_a_word_counts_by_its_best_reading_not_the_sum_of_them() -> None:
    idx = LexicalIndex.build(
        [1, 2, 3, 4],
        [
            "We will plan a project and a program for the year.",
            "Our capital expenditure plan is 380 billion.",
            "Revenue grew in the quarter.",
            "Margins held.",
        ],
    )
    senses = [["capital expenditures", "expenses"], ["plan", "project", "program"]]
    assert [cid for cid, _ in idx.search("", 4, senses)][0] == 2
    # Read as one flat query, the three senses of one word outweigh the answer.
    flat = " ".join(sense for group in senses for sense in group)
    assert [cid for cid, _ in idx.search(flat, 4)][0] == 1
    assert idx.search("", 4, [["nothing", "here"]]) == []


def test_a_verb_reads_as_its_past_tense_and_back() -> None:
    # The stemmer keeps "grew" and "grow" apart; past participles, often adjectives
    # ("driven by demand" for "autonomous driving"), are left out.
    forms = inflections()
    assert forms["grow"] == {"grew"} and "grow" in forms["grew"]
    assert forms["sell"] == {"sold"} and "rise" in forms["rose"] and "fall" in forms["fell"]
    assert "driven" not in forms["drive"]
    idx = LexicalIndex.build(
        [1, 2, 3],
        ["Global retail sales grew 21 percent.", "Sales growth will slow.", "We sold the unit."],
    )
    assert [cid for cid, _ in idx.search("How much did retail sales grow?", 3)][0] == 1
    assert [cid for cid, _ in idx.search("What did they sell?", 3)] == [3]
    # Asked in both forms, the word still counts once.
    assert idx.search("grow grew", 3) == idx.search("grow", 3)
    # A word that frames the question keeps its one form: calls report what was "said".
    framed = LexicalIndex.build([1, 2], ["He said the plant is ready.", "They say it is late."])
    assert [cid for cid, _ in framed.search("What did they say?", 2)] == [2]


def _every_chunk(idx: LexicalIndex, query: str, senses: list[list[str]]) -> np.ndarray:
    groups = [[idx.terms(text) for text in group] for group in senses]
    return idx._bm25.get_scores(idx.terms(query)) + sum(
        np.max([idx._bm25.get_scores(reading) for reading in group], axis=0) for group in groups
    )


def test_best_readings_match_scoring_every_chunk() -> None:
    rng = np.random.default_rng(7)
    vocab = ["plan", "project", "program", "capital", "spend", "money", "cloud", "growth"]
    texts = [" ".join(rng.choice(vocab, size=rng.integers(1, 9))) for _ in range(3000)]
    idx = LexicalIndex.build(list(range(3000)), texts)
    senses = [["plan", "project", "program"], ["capital spending", "spend money"]]
    for k in (1, 5, 50):
        found = [score for _, score in idx.search("cloud", k, senses)]
        every = _every_chunk(idx, "cloud", senses)
        assert found == pytest.approx(sorted(every, reverse=True)[:k], rel=1e-5)


def test_best_readings_stay_exact_when_the_bound_misleads() -> None:
    # 1,200 chunks say all three senses: their bound counts three, their score one, so the
    # first pool (the best 1,000 bounds) holds none of the chunks that really score best.
    texts = (
        ["plan project program"] * 1200
        + ["cloud cloud revenue"] * 5
        + ["cloud report"] * 800
        + ["other"] * 500
    )
    idx = LexicalIndex.build(list(range(len(texts))), texts)
    senses = [["plan", "project", "program"]]
    found = idx.search("cloud", 5, senses)
    assert {cid for cid, _ in found} == set(range(1200, 1205))
    every = _every_chunk(idx, "cloud", senses)
    assert [s for _, s in found] == pytest.approx(sorted(every, reverse=True)[:5], rel=1e-5)


def test_idf_is_higher_for_rarer_terms() -> None:
    idx = LexicalIndex.build([1, 2, 3], ["cloud growth", "cloud margin", "cloud backlog"])
    idf = idx.idf(["cloud", "backlog"])
    assert idf["backlog"] > idf["cloud"]


def test_save_and_load_round_trip(index: LexicalIndex, tmp_path: Path) -> None:
    target = tmp_path / "lexical"
    index.save(target)
    index.save(target)  # replacing an existing index works too
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lexical"]
    loaded = LexicalIndex.load(target)
    assert len(loaded) == len(DOCS)
    for query in ("cash flow", "资本开支", "apples"):
        assert loaded.search(query, 4) == index.search(query, 4)


def test_build_rejects_mismatched_lengths() -> None:
    with pytest.raises(ValueError):
        LexicalIndex.build([1, 2], ["only one"])


def test_texts_without_a_single_term_still_make_an_index() -> None:
    index = LexicalIndex.build([1, 2], ["= \u0088", "!!!"])
    assert len(index) == 2
    assert index.search("anything at all", 5) == []
    assert index.search(" ", 5) == []


@pytest.mark.parametrize("n", [1, 7, 100, 20_000])
def test_top_k_finds_the_highest_scores_best_first(n: int) -> None:
    rng = np.random.default_rng(n)
    scores = np.round(rng.random(n) * (rng.random(n) < 0.3), 2).astype(np.float32)
    for k in (1, 5, 50):
        top = top_k(scores, k)
        assert len(top) == min(k, n)
        assert np.all(np.diff(scores[top]) <= 0)
        assert np.array_equal(scores[top], np.sort(scores)[::-1][: min(k, n)])


def test_an_index_can_weigh_terms_as_a_larger_collection_does() -> None:
    index = LexicalIndex.build([1, 2, 3], ["cloud revenue grew", "cloud margins", "retail"])
    own = dict(index.search("cloud revenue", 3))
    doubled = dict(
        index.search(
            "cloud revenue", 3, idf=lambda terms: {t: 2 * v for t, v in index.idf(terms).items()}
        )
    )
    assert doubled.keys() == own.keys()
    assert all(doubled[i] == pytest.approx(2 * own[i]) for i in own)
