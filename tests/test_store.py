from pathlib import Path

import numpy as np
import pytest

from index.store import Indexed, ModelMismatchError, NewTranscript, Store
from rag.chunking import Chunker
from rag.engine import Engine
from rag.formats import parse
from rag.settings import Settings
from tests.conftest import SEEDS


def _answers(engine: Engine, question: str) -> list[tuple[int, int, float]]:
    return [(a.citation.start, a.citation.end, a.score) for a in engine.ask(question, 5).answers]


def test_reopened_data_dir_answers_the_same(seed_engine: Engine, seed_data_dir: Path) -> None:
    question = "What is the capital expenditure plan?"
    before = _answers(seed_engine, question)
    reopened = Engine(Settings(data_dir=seed_data_dir))
    assert reopened.store.repairs == []
    assert _answers(reopened, question) == before


def test_store_records_model_and_refuses_another(tmp_path: Path, seed_text: str) -> None:
    engine = Engine(Settings(data_dir=tmp_path))
    engine.build([SEEDS])
    assert engine.store.model == "all-MiniLM-L6-v2" and engine.store.dim == 384
    chunks = Chunker().chunk(parse(seed_text, filename="x.txt"))
    vectors = np.zeros((len(chunks), 384), dtype=np.float32)
    fake = NewTranscript("other.txt", "minutes", seed_text + " ", Indexed(chunks, vectors))
    with pytest.raises(ModelMismatchError, match="rebuild"):
        engine.store.add_transcript(fake, "another-model")
    assert len(engine.transcripts()) == 1


def test_vectors_file_lost_is_repaired_from_the_database(tmp_path: Path) -> None:
    engine = Engine(Settings(data_dir=tmp_path))
    engine.build([SEEDS])
    before = _answers(engine, "What did they say about an AI bubble?")
    for path in tmp_path.glob("vectors-*.faiss"):
        path.unlink()
    reopened = Engine(Settings(data_dir=tmp_path))
    assert any("missing" in m for m in reopened.store.repairs)
    assert _answers(reopened, "What did they say about an AI bubble?") == before


def test_unfinished_build_leaves_the_old_state(tmp_path: Path) -> None:
    """A crash after the new vector file is written but before the switch commits."""
    engine = Engine(Settings(data_dir=tmp_path))
    engine.build([SEEDS])
    generation = engine.store.db.generation
    stray = tmp_path / f"vectors-{generation + 1}.faiss"
    stray.write_bytes(b"half-written")
    (tmp_path / f"vectors-{generation}.faiss.tmp").write_bytes(b"junk")
    reopened = Store(tmp_path)
    assert not stray.exists()
    assert reopened.db.generation == generation
    assert len(reopened.search(np.ones(384, dtype=np.float32) / 384**0.5, 3)) == 3


def test_rebuilding_the_same_files_keeps_ids_and_reuses_vectors(tmp_path: Path) -> None:
    engine = Engine(Settings(data_dir=tmp_path))
    first = engine.build([SEEDS])
    second = engine.build([SEEDS])
    assert first == second
    assert len(list(tmp_path.glob("vectors-*.faiss"))) == 1
    assert engine.store.count_chunks() == len(engine.store.db.chunk_ids(engine.store.db.generation))


def test_delete_removes_transcript_and_vectors(tmp_path: Path) -> None:
    engine = Engine(Settings(data_dir=tmp_path))
    [tid] = engine.build([SEEDS])
    assert engine.delete(tid)
    assert engine.transcripts() == []
    assert engine.store.search(np.ones(384, dtype=np.float32), 5) == []
    assert not engine.delete(tid)
