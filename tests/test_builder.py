"""Adding, deleting and rebuilding through the indexer, with the real model and store."""

import shutil
from pathlib import Path

import pytest

from rag.decoding import DecodeError
from rag.engine import Engine
from rag.settings import Settings
from tests.factories import minutes_transcript


@pytest.fixture
def engine(seed_data_dir: Path, tmp_path: Path) -> Engine:
    shutil.copytree(seed_data_dir, tmp_path / "data")
    return Engine(Settings(data_dir=tmp_path / "data"))


def _cited(engine: Engine, question: str) -> str:
    return engine.ask(question, 3).answers[0].citation.transcript


def test_added_transcript_is_searchable_and_deduplicated(engine: Engine) -> None:
    first = engine.add_text("zorblax-1.txt", minutes_transcript(1))
    assert first.created and first.chunks == 3 and first.format == "minutes"
    assert _cited(engine, "How much kelp did greenhouse unit 1 harvest?") == "zorblax-1.txt"
    again = engine.add_bytes("renamed.txt", minutes_transcript(1).encode("utf-8"))
    assert not again.created and again.id == first.id
    assert len(engine.transcripts()) == 2


def test_bad_bytes_store_nothing(engine: Engine) -> None:
    before = engine.transcripts()
    with pytest.raises(DecodeError):
        engine.add_bytes("x.txt", b"\x00\x01\x02" * 100)
    assert engine.transcripts() == before
    assert engine.store.vector_count == engine.store.count_chunks()


def test_rebuild_keeps_everything_and_answers_the_same(engine: Engine) -> None:
    engine.add_text("zorblax-2.txt", minutes_transcript(2))
    question = "What is the capital expenditure plan?"
    before = [(a.citation.start, a.citation.end) for a in engine.ask(question, 5).answers]
    generation = engine.store.db.generation
    ids = engine.rebuild()
    assert sorted(ids) == sorted(t.id for t in engine.transcripts())
    assert engine.store.db.generation == generation + 1
    after = [(a.citation.start, a.citation.end) for a in engine.ask(question, 5).answers]
    assert after == before
    assert engine.store.vector_count == engine.store.count_chunks()
    assert Engine(engine.settings).store.repairs == []


def test_uploads_and_deletes_during_a_rebuild_are_not_lost(engine: Engine) -> None:
    seed_id = engine.transcripts()[0].id
    events: list[str] = []

    def progress(done: int, total: int) -> None:
        if not events:  # mid-rebuild, before the swap: a user uploads and deletes
            events.append("upload")
            engine.add_text("zorblax-3.txt", minutes_transcript(3))
            engine.delete(seed_id)

    engine.rebuild(progress)
    names = [t.name for t in engine.transcripts()]
    assert names == ["zorblax-3.txt"]
    assert _cited(engine, "How much kelp did greenhouse unit 3 harvest?") == "zorblax-3.txt"
    assert engine.store.vector_count == engine.store.count_chunks()


def test_a_second_process_sees_writes_of_the_first(engine: Engine) -> None:
    other = Engine(engine.settings)
    engine.add_text("zorblax-4.txt", minutes_transcript(4))
    assert _cited(other, "How much kelp did greenhouse unit 4 harvest?") == "zorblax-4.txt"
    other.rebuild()
    assert _cited(engine, "How much kelp did greenhouse unit 4 harvest?") == "zorblax-4.txt"
