import json
import shutil
import sqlite3
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from index.store import Indexed, ModelMismatchError, NewTranscript, StorageFullError, Store
from rag.chunking import Chunker
from rag.embedding import load_embedder, resolve_backend
from rag.engine import Engine
from rag.formats import parse
from rag.lexical import TOKENIZER_VERSION
from rag.settings import Settings, get_settings
from tests.conftest import SEEDS, SmallDisk
from tests.factories import call_transcript, chinese_call_transcript, executives_call


def _answers(engine: Engine, question: str) -> list[tuple[int, int, float]]:
    return [(a.citation.start, a.citation.end, a.score) for a in engine.ask(question, 5).answers]


@pytest.fixture
def engine(seed_data_dir: Path, tmp_path: Path) -> Engine:
    shutil.copytree(seed_data_dir, tmp_path / "data")
    return Engine(Settings(data_dir=tmp_path / "data"))


def test_reopened_data_dir_answers_the_same(seed_engine: Engine, seed_data_dir: Path) -> None:
    question = "What is the capital expenditure plan?"
    before = _answers(seed_engine, question)
    reopened = Engine(Settings(data_dir=seed_data_dir))
    assert reopened.store.repairs == []
    assert _answers(reopened, question) == before


def test_chunk_spans_locate_the_chunks_without_their_text(seed_engine: Engine) -> None:
    store = seed_engine.store
    ids = [int(i) for i in store.db.chunk_ids(store.db.generation)] + [10**12]
    spans, chunks = store.chunk_spans(ids), store.get_chunks(ids)
    assert len(spans) == len(ids) - 1 > 0 and 10**12 not in spans
    assert {i: (s.transcript_id, s.start, s.end) for i, s in spans.items()} == {
        i: (c.transcript_id, c.start, c.end) for i, c in chunks.items()
    }


def test_store_records_its_spaces_and_refuses_another_model(engine: Engine, seed_text: str) -> None:
    spaces = engine.store.spaces
    minilm = load_embedder("all-MiniLM-L6-v2").name
    assert [(s.name, s.model) for s in spaces][:2] == [
        ("dense", minilm),
        ("dense_question", minilm),
    ]
    assert all(s.dim == 384 for s in spaces)
    chunks = Chunker().chunk(parse(seed_text, filename="x.txt"))
    vectors = {s.name: np.zeros((len(chunks), 384), dtype=np.float32) for s in spaces}
    fake = NewTranscript("other.txt", "minutes", seed_text + " ", Indexed(chunks, vectors))
    other = [replace(spaces[0], model="another-model"), *spaces[1:]]
    with pytest.raises(ModelMismatchError, match="rebuild"):
        engine.store.add_transcript(fake, other)
    assert len(engine.transcripts()) == 1


def test_lost_vector_and_keyword_files_are_repaired_from_the_database(engine: Engine) -> None:
    data_dir = engine.settings.data_dir
    before = _answers(engine, "What did they say about an AI bubble?")
    for path in data_dir.glob("vectors-*.faiss*"):
        path.unlink()
    for path in data_dir.glob("keywords-*"):
        shutil.rmtree(path)
    reopened = Engine(Settings(data_dir=data_dir))
    repairs = " ".join(reopened.store.repairs)
    assert "vector file" in repairs and "keyword index" in repairs
    assert _answers(reopened, "What did they say about an AI bubble?") == before
    assert Engine(Settings(data_dir=data_dir)).store.repairs == []


def test_a_keyword_index_of_another_tokenizer_version_is_rebuilt(engine: Engine) -> None:
    data_dir = engine.settings.data_dir
    [meta] = data_dir.glob("keywords-*/lexical.json")
    meta.write_text(json.dumps({"tokenizer": TOKENIZER_VERSION - 1}))
    reopened = Engine(Settings(data_dir=data_dir))
    assert any("keyword index" in repair for repair in reopened.store.repairs)
    assert json.loads(meta.read_text())["tokenizer"] == TOKENIZER_VERSION
    # Rebuilt with this version's documents: every passage holds its transcript's title.
    hits = reopened.store.keyword_search("earnings", 1000)
    assert len(hits) == reopened.store.count_chunks()


def test_a_database_from_before_speakers_roles_opens_and_gains_them(engine: Engine) -> None:
    data_dir = engine.settings.data_dir
    before = _answers(engine, "What did they say about an AI bubble?")
    with sqlite3.connect(data_dir / "store.sqlite") as conn:
        conn.execute("ALTER TABLE chunks DROP COLUMN roles")
        conn.execute("PRAGMA user_version = 1")
    reopened = Engine(Settings(data_dir=data_dir))
    assert _answers(reopened, "What did they say about an AI bubble?") == before
    added = reopened.add_text("executives.txt", executives_call())
    ids = sorted(reopened.store.chunk_filter(transcript_ids=[added.id]))
    roles = {c.roles for c in reopened.store.get_chunks(ids).values()}
    assert "Chief Financial Officer" in roles


def test_unfinished_build_leaves_the_old_state(engine: Engine) -> None:
    """A crash after the new generation's files are written but before the switch commits."""
    data_dir = engine.settings.data_dir
    generation = engine.store.db.generation
    stray = data_dir / f"vectors-dense-{generation + 1}.faiss"
    stray.write_bytes(b"half-written")
    (data_dir / f"keywords-{generation + 1}").mkdir()
    before = _answers(engine, "What is the capital expenditure plan?")
    reopened = Engine(Settings(data_dir=data_dir))
    assert not stray.exists() and not (data_dir / f"keywords-{generation + 1}").exists()
    assert reopened.store.db.generation == generation
    assert _answers(reopened, "What is the capital expenditure plan?") == before


def test_building_the_same_files_again_keeps_ids_and_reuses_vectors(tmp_path: Path) -> None:
    engine = Engine(Settings(data_dir=tmp_path))
    first = engine.build([SEEDS])
    second = engine.build([SEEDS])
    assert first == second
    names = sorted(p.name for p in tmp_path.glob("vectors-*.faiss"))
    generation = engine.store.db.generation
    assert names == sorted(f"vectors-{s.name}-{generation}.faiss" for s in engine.store.spaces)
    assert engine.store.vector_count == engine.store.count_chunks()


def test_delete_removes_transcript_and_vectors(engine: Engine) -> None:
    [info] = engine.transcripts()
    assert engine.delete(info.id)
    assert engine.transcripts() == []
    assert engine.store.vector_count == 0
    assert engine.store.search("dense", np.ones(384, dtype=np.float32), 5) == []
    assert engine.store.keyword_search("capital expenditure", 5) == []
    assert not engine.delete(info.id)


def test_a_fresh_store_is_not_built(tmp_path: Path) -> None:
    store = Store(tmp_path)
    assert not store.is_built and store.spaces == [] and store.repairs == []


def test_int8_documents_are_recorded_as_their_own_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RAG_BACKEND", "onnx-int8")
    get_settings.cache_clear()
    try:
        spaces = Engine(Settings(data_dir=tmp_path, multilingual_model="")).configured_spaces()
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert {s.model for s in spaces} == {"all-MiniLM-L6-v2+int8"}
    settings = Settings(data_dir=tmp_path, multilingual_model="", backend="onnx")
    assert {s.model for s in Engine(settings).configured_spaces()} == {"all-MiniLM-L6-v2"}


def test_auto_backend_keeps_the_precision_an_index_was_built_with(
    tmp_path: Path, seed_text: str
) -> None:
    """An index from another CPU (or an older version) still takes uploads under ``auto``."""
    other = "bf16" if resolve_backend("auto") == "onnx" else "onnx"
    built = Engine(Settings(data_dir=tmp_path, multilingual_model="", backend=other))
    built.add_text("seed.txt", seed_text)
    names = {s.model for s in built.store.spaces}
    auto = Engine(Settings(data_dir=tmp_path, multilingual_model="", backend="auto"))
    assert {s.model for s in auto.configured_spaces()} == names
    assert auto.add_text("again.txt", seed_text + "\nOne more line.").created
    assert {s.model for s in Store(tmp_path).spaces} == names
    fresh = Engine(Settings(data_dir=tmp_path / "new", multilingual_model="", backend="auto"))
    assert {s.model for s in fresh.configured_spaces()} != names
    named = Engine(
        Settings(data_dir=tmp_path, multilingual_model="", backend=resolve_backend("auto"))
    )
    with pytest.raises(ModelMismatchError, match="rebuild"):
        named.add_text("third.txt", seed_text + "\nAnother line.")


def _engine_on(small_disk: SmallDisk, seed_data_dir: Path) -> Engine:
    shutil.copytree(seed_data_dir, small_disk.path / "data")
    return Engine(Settings(data_dir=small_disk.path / "data"))


def test_a_full_disk_refuses_an_upload_and_keeps_what_was_stored(
    seed_data_dir: Path, small_disk: SmallDisk
) -> None:
    engine = _engine_on(small_disk, seed_data_dir)
    question = "What is the capital expenditure plan?"
    before, names = _answers(engine, question), [t.name for t in engine.transcripts()]
    chunks = engine.store.count_chunks()
    small_disk.fill()
    with pytest.raises(StorageFullError, match="is full: call.txt was not stored"):
        engine.add_text("call.txt", call_transcript(1))
    assert [t.name for t in engine.transcripts()] == names
    assert engine.store.vector_count == chunks == engine.store.count_chunks()
    assert _answers(engine, question) == before
    small_disk.free()
    assert engine.add_text("call.txt", call_transcript(1)).created
    assert engine.store.vector_count == engine.store.count_chunks() > chunks
    assert Engine(Settings(data_dir=engine.settings.data_dir)).store.repairs == []


def test_a_full_disk_fails_a_rebuild_and_frees_what_it_wrote(
    seed_data_dir: Path, small_disk: SmallDisk
) -> None:
    engine = _engine_on(small_disk, seed_data_dir)
    data_dir, generation = engine.settings.data_dir, engine.store.db.generation
    question = "What is the capital expenditure plan?"
    before = _answers(engine, question)
    small_disk.fill()
    with pytest.raises(StorageFullError, match="the new index was not made live"):
        engine.rebuild()
    assert not list(data_dir.glob(f"*-{generation + 1}*"))
    assert engine.store.db.generation == generation
    assert _answers(engine, question) == before
    small_disk.free()
    engine.rebuild()
    assert engine.store.db.generation == generation + 1
    assert _answers(engine, question) == before


def test_an_upload_scores_its_words_as_it_will_after_the_merge(engine: Engine) -> None:
    # Until the merge, an upload sits in a small keyword delta; weighed by its own three
    # chunks, a word only it has scored a fifth of what it scores once merged.
    engine.add_text("review.txt", chinese_call_transcript())
    before = engine.store.keyword_search("洗碗机", 3)
    engine.rebuild()
    after = engine.store.keyword_search("洗碗机", 3)
    assert before[0][1] == pytest.approx(after[0][1], rel=0.25)
