import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from rag.cli import app
from tests.conftest import DATA, ROOT
from tests.factories import executives_call

runner = CliRunner()


def test_ask_on_empty_data_dir_says_how_to_build(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "rag.cli", "ask", "anything", "--data-dir", str(tmp_path / "d")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert proc.returncode != 0
    assert "rag index build" in proc.stderr


def test_ask_json_gives_cited_answers(seed_data_dir: Path, seed_text: str) -> None:
    result = runner.invoke(
        app,
        [
            "ask",
            "What is the Qianwen project?",
            "--json",
            "--top-k",
            "3",
            "--data-dir",
            str(seed_data_dir),
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert len(payload["answers"]) == 3
    for answer in payload["answers"]:
        c = answer["citation"]
        assert seed_text[c["start"] : c["end"]] == answer["text"]


def test_ask_prints_passages(seed_data_dir: Path) -> None:
    result = runner.invoke(app, ["ask", "AI bubble", "--data-dir", str(seed_data_dir)])
    assert result.exit_code == 0
    assert "no indication of an AI bubble" in result.output


def test_ask_names_the_speakers_roles(seed_data_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(seed_data_dir, data)
    call = tmp_path / "plant.txt"
    call.write_text(executives_call())
    assert runner.invoke(app, ["add", str(call), "--data-dir", str(data)]).exit_code == 0
    result = runner.invoke(
        app,
        ["ask", "How much will the Brno plant cost?", "--data-dir", str(data)],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert "Maria Lopez · Chief Financial Officer" in result.output


def test_transcripts_lists_the_seed(seed_data_dir: Path) -> None:
    result = runner.invoke(app, ["transcripts", "--data-dir", str(seed_data_dir)])
    assert result.exit_code == 0
    assert "alibaba-fy2026" in result.output


def test_eval_prints_a_table(seed_data_dir: Path) -> None:
    result = runner.invoke(
        app, ["eval", str(DATA / "seed_dev.jsonl"), "--data-dir", str(seed_data_dir)]
    )
    assert result.exit_code == 0, result.output
    assert "hit@3" in result.output and "seed_dev (zh)" in result.output


def test_eval_lenient_counts_gold_span(seed_data_dir: Path, tmp_path: Path) -> None:
    first = json.loads((DATA / "seed_dev.jsonl").read_text(encoding="utf-8").splitlines()[0])
    first |= {"gold": ["words no transcript holds"], "gold_span": first["gold"]}
    path = tmp_path / "lenient.jsonl"
    path.write_text(json.dumps(first) + "\n", encoding="utf-8")
    args = ["eval", str(path), "--data-dir", str(seed_data_dir)]
    strict = runner.invoke(app, args)
    lenient = runner.invoke(app, [*args, "--lenient"])
    assert strict.exit_code == 0 and lenient.exit_code == 0, strict.output + lenient.output
    assert "0.000 (0)" in strict.output
    assert "1.000 (1)" in lenient.output


def test_build_then_if_missing_skips(tmp_path: Path) -> None:
    seed = ROOT / "seeds"
    first = runner.invoke(app, ["index", "build", str(seed), "--data-dir", str(tmp_path)])
    assert first.exit_code == 0, first.output
    assert "indexed 1 transcript" in first.output
    again = runner.invoke(app, ["index", "build", "--if-missing", "--data-dir", str(tmp_path)])
    assert again.exit_code == 0 and "already exists" in again.output


def test_build_of_missing_path_fails_cleanly(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["index", "build", str(tmp_path / "nope"), "--data-dir", str(tmp_path / "d")]
    )
    assert result.exit_code == 1
    assert "no such file" in result.output


def test_add_rm_and_rebuild(seed_data_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(seed_data_dir, data)
    sample = DATA / "samples" / "standup.srt"
    added = runner.invoke(app, ["add", str(sample), "--data-dir", str(data)])
    assert added.exit_code == 0, added.output
    assert "added" in added.output and "(srt," in added.output
    again = runner.invoke(app, ["add", str(sample), "--data-dir", str(data)])
    assert "already stored" in again.output
    bad = tmp_path / "bad.srt"
    bad.write_text("1\nnot a time\nhello\n")
    failed = runner.invoke(app, ["add", str(bad), "--data-dir", str(data)])
    assert failed.exit_code == 1 and "bad.srt" in failed.output
    rebuilt = runner.invoke(app, ["index", "rebuild", "--data-dir", str(data)])
    assert rebuilt.exit_code == 0 and "rebuilt 2 transcript(s)" in rebuilt.output
    tid = added.output.split("added ")[1].split(":")[0]
    assert runner.invoke(app, ["rm", tid, "--data-dir", str(data)]).exit_code == 0
    missing = runner.invoke(app, ["rm", tid, "--data-dir", str(data)])
    assert missing.exit_code == 1 and "no transcript" in missing.output
