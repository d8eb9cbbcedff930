import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from rag.engine import Engine
from rag.models import StoredChunk
from rag.retrieval import drop_overlaps
from rag.settings import Settings
from tests.factories import chinese_call_transcript, executives_call, unnamed_call


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


def test_words_only_one_passage_uses_lift_it_first(seed_engine: Engine) -> None:
    """Only one chunk of the seed shares a word with these; both encoders rank it second."""
    for question in ("What was the free cash flow?", "How much cash did they burn?"):
        assert "free cash flow outflow" in seed_engine.ask(question, 3).answers[0].text


@pytest.mark.parametrize(
    ("question", "fact"),
    [
        ("What was $247.8B?", "247.8 billion yuan"),
        ("What had more than 10M downloads?", "10 million downloads"),
        ("What grew by 29 percent?", "accelerated to 29%"),
    ],
)
def test_figures_asked_in_other_units_find_their_passage_and_are_answerable(
    seed_engine: Engine, question: str, fact: str
) -> None:
    # "10M" was "10" and "m", and "29%" no word at all: right passage, judged unanswerable.
    result = seed_engine.ask(question, 3)
    assert fact in result.answers[0].text
    assert result.answerable


@pytest.mark.parametrize(
    ("question", "fact"),
    [
        ("哪个应用下载量超过一千万？", "10 million downloads"),
        ("218亿元的自由现金流流出是怎么回事？", "21.8 billion yuan"),
    ],
)
def test_chinese_figures_meet_english_ones_and_are_answerable(
    seed_engine: Engine, question: str, fact: str
) -> None:
    # 一千万 and 218亿 shared no term with "10 million" and "21.8 billion": judged .17, .20.
    result = seed_engine.ask(question, 3)
    assert fact in result.answers[0].text
    assert result.answerable


def test_abbreviations_meet_the_words_they_stand_for(seed_engine: Engine) -> None:
    # "FCF" was one word the call never uses: the passage on free cash flow came third.
    assert "free cash flow" in seed_engine.ask("How much FCF did they burn?", 3).answers[0].text
    # "YoY" counted against the passages that say "year-on-year": judged unanswerable (.40).
    result = seed_engine.ask("How fast did group revenue grow YoY?", 3)
    assert result.answerable
    assert any("year-on-year" in a.text for a in result.answers[:2])


def test_answers_are_ranked_and_never_overlap(seed_engine: Engine) -> None:
    answers = seed_engine.ask("How did cloud revenue grow?", 20).answers
    assert [a.rank for a in answers] == list(range(1, len(answers) + 1))
    assert [a.score for a in answers] == sorted((a.score for a in answers), reverse=True)
    spans = sorted((a.citation.start, a.citation.end) for a in answers)
    for (_, e1), (s2, _) in zip(spans, spans[1:], strict=False):
        assert s2 >= e1


@pytest.fixture(scope="module")
def seed_among_calls(seed_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """The seed call beside 30 short calls: many transcripts with a passage or two each."""
    data_dir = tmp_path_factory.mktemp("among_calls") / "data"
    shutil.copytree(seed_data_dir, data_dir)
    engine = Engine(Settings(data_dir=data_dir))
    for growth in range(8, 38):
        engine.add_text(f"call-{growth}.txt", unnamed_call(growth))
    return engine


@pytest.mark.parametrize(
    "question",
    ["How much FCF did they burn?", "What rose 15% on a like-for-like basis?", "自由现金流？"],
)
def test_asking_for_more_answers_never_changes_the_first_ones(
    seed_among_calls: Engine, question: str
) -> None:
    def cited(top_k: int) -> list[tuple[str, int, int]]:
        answers = seed_among_calls.ask(question, top_k).answers
        return [(a.citation.transcript, a.citation.start, a.citation.end) for a in answers]

    many = seed_among_calls.ask(question, 50).answers
    assert len(many) == 50
    assert [a.score for a in many] == sorted((a.score for a in many), reverse=True)
    assert cited(5) == cited(50)[:5]


def test_concurrent_questions_get_the_answers_asked_alone(seed_engine: Engine) -> None:
    """Each question's two encoder families run on two threads and searches share the store's
    lock, so many questions at once must not mix their vectors or rankings."""
    questions = [
        "How did cloud revenue grow?",
        "阿里巴巴的资本开支计划是多少？",
        "What did they say about an AI bubble?",
        "What is the Qianwen app?",
    ]

    def cited(question: str) -> list[tuple[int, int]]:
        answers = seed_engine.ask(question, 5).answers
        return [(a.citation.start, a.citation.end) for a in answers]

    alone = {q: cited(q) for q in questions}
    with ThreadPoolExecutor(max_workers=8) as pool:
        together = list(pool.map(cited, questions * 6))
    assert together == [alone[q] for q in questions * 6]


def test_chinese_names_find_the_passages_that_spell_them_in_pinyin(seed_engine: Engine) -> None:
    # The dictionary reads 高德 as "high virtue" and 银泰 as "silver safe"; the call says
    # "Gaode" and "Yintai". Before names were spelt, neither question was answerable.
    for question, spelt in (
        ("高德、淘宝等内部应用是怎么变现的？", "Gaode, Taobao"),
        ("不包括高鑫和银泰，集团收入增长了多少？", "Yintai"),
    ):
        result = seed_engine.ask(question, 3)
        assert result.answerable
        assert spelt in result.answers[0].text


def test_a_chinese_coinage_finds_the_passage_that_translates_it(seed_engine: Engine) -> None:
    # 闪购 ("flash sale") is in no dictionary; read as "to dodge" and "to buy" it ranked the
    # answer 10th and a wrong passage was called answerable.
    result = seed_engine.ask("闪购业务是如何改善的？", 3)
    assert result.answerable
    assert "flash sale business" in " ".join(result.answers[0].text.split())


def test_the_english_encoder_reads_a_chinese_question_in_english(seed_engine: Engine) -> None:
    # all-MiniLM-L6-v2 alone, given the Chinese text, ranked these answers 9th and not at all.
    for question, evidence in (
        ("为什么很难计算资本开支与增量收入的比率？", "difficult to make accurate estimates"),
        ("资本开支计划是多少？", "capital expenditure plan"),
    ):
        answers = seed_engine.ask(question, 3, mode="dense").answers
        assert any(evidence in " ".join(a.text.split()) for a in answers)


@pytest.fixture(scope="module")
def seed_and_chinese_call(seed_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """The seed index with a Chinese call uploaded beside it (not merged: a delta)."""
    data_dir = tmp_path_factory.mktemp("seed-and-chinese") / "data"
    shutil.copytree(seed_data_dir, data_dir)
    engine = Engine(Settings(data_dir=data_dir))
    engine.add_text("review.txt", chinese_call_transcript())
    return engine


def test_a_company_a_chinese_transcript_names_is_no_reason_to_refuse(
    seed_data_dir: Path, tmp_path: Path
) -> None:
    # Over the seed alone 京东 ("Jingdong, Chinese e-commerce company") is named nowhere, so
    # the question is refused; a transcript that names it in Chinese answers it.
    data_dir = tmp_path / "data"
    shutil.copytree(seed_data_dir, data_dir)
    engine = Engine(Settings(data_dir=data_dir))
    question = "京东的物流成本下降了吗？"
    assert not engine.ask(question, 3).answerable
    engine.add_text("jd.txt", "京东：本季度物流成本下降了百分之五，配送时间缩短到一天。")
    result = engine.ask(question, 3)
    assert result.answerable and result.answers[0].citation.transcript == "jd.txt"


def test_an_english_question_finds_a_chinese_passage_by_its_words(
    seed_and_chinese_call: Engine,
) -> None:
    engine = seed_and_chinese_call
    first = engine.ask("What did they say about the air purifier?", 3).answers[0]
    assert first.citation.transcript == "review.txt" and "空气净化器" in first.text
    # The index knows the upload's words before any merge: they weigh as rare, not unknown.
    idf = engine.store.keyword_idf(["净化", "revenu"])
    assert idf["净化"] > idf["revenu"]


def test_the_english_encoder_reads_a_chinese_passage_in_english(
    seed_and_chinese_call: Engine,
) -> None:
    # all-MiniLM-L6-v2 scored the Chinese call's text at the bottom of its list, so these
    # were not in the first five; it now embeds the passage's gloss.
    for question, fact in (
        ("Where will the first overseas factory open?", "海外工厂"),
        ("How much revenue did the dishwasher contribute?", "洗碗机"),
    ):
        answers = seed_and_chinese_call.ask(question, 3).answers
        assert fact in answers[0].text


def test_chinese_questions_over_chinese_text_meet_it_in_english(
    seed_and_chinese_call: Engine,
) -> None:
    # The question's gloss against the passage's text (not its gloss) lost these to
    # English passages of the seed.
    for question, fact in (("本季度营收是多少？", "八亿六千万"), ("回购计划有多大？", "五亿元")):
        answers = seed_and_chinese_call.ask(question, 3).answers
        assert fact in answers[0].text


def test_a_question_of_stop_words_and_punctuation_is_not_answerable(
    seed_and_chinese_call: Engine,
) -> None:
    # Over Chinese text e5 finds these close to everything (confidence .73 and .86).
    for question in ("是什么？", "，。？" * 10, "What is it?"):
        assert not seed_and_chinese_call.ask(question, 3).answerable
    assert seed_and_chinese_call.ask("回购计划有多大？", 3).answerable


@pytest.fixture(scope="module")
def two_unnamed_calls(seed_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Engine:
    data_dir = tmp_path_factory.mktemp("two-calls") / "data"
    shutil.copytree(seed_data_dir, data_dir)
    engine = Engine(Settings(data_dir=data_dir))
    engine.add_text("ACME_q3_2025.txt", unnamed_call(12))
    engine.add_text("globex-q3-2025-call.txt", unnamed_call(31))
    return engine


def test_a_question_naming_a_call_by_its_file_name_gets_that_calls_passages(
    two_unnamed_calls: Engine,
) -> None:
    # Neither call says whose it is; content alone ranks them alike for both questions.
    for company, name in (("Globex", "globex-q3-2025-call.txt"), ("ACME", "ACME_q3_2025.txt")):
        first = two_unnamed_calls.ask(f"What did {company} say about revenue growth?", 3).answers[0]
        assert first.citation.transcript == name
        assert "revenue grew" in first.text


@pytest.fixture(scope="module")
def executives(seed_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Engine:
    data_dir = tmp_path_factory.mktemp("executives") / "data"
    shutil.copytree(seed_data_dir, data_dir)
    engine = Engine(Settings(data_dir=data_dir))
    engine.add_text("executives.txt", executives_call())
    return engine


def test_a_question_asking_for_a_speaker_by_role_gets_that_speakers_turn(
    executives: Engine,
) -> None:
    # Both executives speak of the plant; only the speaker lines say who holds which role.
    for role, speaker, title in (
        ("CFO", "Maria Lopez", "Chief Financial Officer"),
        ("chief executive", "Alex Stone", "Chief Executive Officer"),
    ):
        first = executives.ask(f"What did the {role} say about the Brno plant?", 3).answers[0]
        assert first.citation.speaker == speaker
        assert first.citation.roles == (title,)
