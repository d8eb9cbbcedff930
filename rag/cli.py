"""The `rag` command: argument parsing and printing over the library, nothing more."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from index.store import StoreError
from rag.decoding import DecodeError
from rag.engine import Engine
from rag.evaluation import CitedSpan, EvalQuestion, load_questions, score_set
from rag.formats import ParseError
from rag.retrieval import MODES, Filters
from rag.settings import Settings

app = typer.Typer(help="Ask transcripts questions; get cited passages.", no_args_is_help=True)
index_app = typer.Typer(help="Build and maintain the index.", no_args_is_help=True)
app.add_typer(index_app, name="index")

console = Console()
err = Console(stderr=True)

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Data directory (default: $RAG_DATA_DIR or ./data)."),
]


def _settings(data_dir: Path | None) -> Settings:
    return Settings(data_dir=data_dir) if data_dir else Settings()


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}")
    return typer.Exit(code=1)


def _engine(data_dir: Path | None) -> Engine:
    return Engine(_settings(data_dir))


@index_app.command("build")
def index_build(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or folders.")] = None,
    if_missing: Annotated[
        bool, typer.Option("--if-missing", help="Do nothing when an index already exists.")
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Index these transcripts (default: seeds/), replacing what the index held."""
    engine = _engine(data_dir)
    if if_missing and engine.store.is_built and engine.store.count_chunks():
        console.print(f"an index already exists in {engine.settings.data_dir}")
        return
    targets = paths or [engine.settings.seeds_dir]
    with _progress_bar() as bar:
        task = bar.add_task("embedding chunks", total=None)
        try:
            ids = engine.build(
                targets, lambda done, total: bar.update(task, completed=done, total=total)
            )
        except (FileNotFoundError, DecodeError, ParseError, StoreError) as exc:
            raise _fail(str(exc)) from None
    console.print(
        f"indexed {len(ids)} transcript(s), {engine.store.count_chunks()} chunks "
        f"into {engine.settings.data_dir}"
    )


def _progress_bar() -> Progress:
    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
    )


@index_app.command("rebuild")
def index_rebuild(data_dir: DataDir = None) -> None:
    """Re-parse and re-embed every stored transcript, then swap the new index in."""
    engine = _engine(data_dir)
    with _progress_bar() as bar:
        task = bar.add_task("rebuilding", total=None)
        try:
            ids = engine.rebuild(lambda done, total: bar.update(task, completed=done, total=total))
        except (ParseError, StoreError) as exc:
            raise _fail(str(exc)) from None
    console.print(f"rebuilt {len(ids)} transcript(s), {engine.store.count_chunks()} chunks")


@app.command()
def add(
    files: Annotated[list[Path], typer.Argument(help="Transcript files to add.")],
    format: Annotated[
        str | None, typer.Option("--format", help="Parse all as this format.")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Store and index transcripts; the same file twice is stored once."""
    engine = _engine(data_dir)
    failed = 0
    for path in files:
        try:
            result = engine.add_bytes(path.name, path.read_bytes(), format)
        except (OSError, DecodeError, ParseError, StoreError) as exc:
            err.print(f"[red]error:[/red] {path}: {exc}")
            failed += 1
            continue
        verb = "added" if result.created else "already stored as"
        console.print(
            f"{verb} {result.id}: {result.name} ({result.format}, {result.chunks} chunks)"
        )
    if failed:
        raise typer.Exit(code=1)


@app.command()
def rm(
    transcript_id: Annotated[int, typer.Argument(help="The id `rag transcripts` shows.")],
    data_dir: DataDir = None,
) -> None:
    """Remove a transcript and its vectors."""
    if not _engine(data_dir).delete(transcript_id):
        raise _fail(f"no transcript with id {transcript_id}")
    console.print(f"removed {transcript_id}")


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, in English or Chinese.")],
    top_k: Annotated[int, typer.Option("--top-k", min=1, max=50)] = 5,
    transcript: Annotated[
        list[int] | None, typer.Option("--transcript", help="Only this transcript id (repeatable).")
    ] = None,
    speaker: Annotated[
        list[str] | None, typer.Option("--speaker", help="Only this speaker (repeatable).")
    ] = None,
    kind: Annotated[
        list[str] | None,
        typer.Option("--kind", help="Only this kind: qa, chapter, summary, turn (repeatable)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Answer a question with cited passages; the best sentences are in bold."""
    engine = _engine(data_dir)
    try:
        result = engine.ask(question, top_k, Filters(transcript, speaker, kind))
    except StoreError as exc:
        raise _fail(str(exc)) from None
    if as_json:
        console.print_json(json.dumps(asdict(result), ensure_ascii=False))
        return
    if not result.answerable:
        console.print("[yellow]Not in the transcripts.[/yellow] The closest passages:\n")
    for answer in result.answers:
        c = answer.citation
        where = " · ".join(x for x in (c.section, c.speaker, ", ".join(c.roles)) if x)
        console.print(
            f"[bold]{answer.rank}.[/bold] [cyan]{escape(c.transcript)}[/cyan] "
            f"\\[{c.start}, {c.end}) confidence {answer.confidence:.2f}"
            + (f"  [dim]{escape(where)}[/dim]" if where else "")
        )
        lo, hi = answer.highlight.start - c.start, answer.highlight.end - c.start
        passage = Text(answer.text[:lo])
        passage.append(answer.text[lo:hi], style="bold")
        passage.append(answer.text[hi:])
        console.print(passage, soft_wrap=True)
        console.print()


@app.command()
def transcripts(data_dir: DataDir = None) -> None:
    """List the stored transcripts."""
    table = Table("id", "name", "format", "chars", "chunks", "added")
    for t in _engine(data_dir).transcripts():
        table.add_row(str(t.id), t.name, t.format, str(t.chars), str(t.chunks), t.added_at)
    console.print(table)


@app.command("eval")
def evaluate(
    sets: Annotated[list[Path], typer.Argument(help="Question sets (.jsonl or a folder).")],
    top_k: Annotated[int, typer.Option("--top-k", min=1, max=50)] = 10,
    mode: Annotated[
        str | None, typer.Option("--mode", help=f"Retrieval mode: {', '.join(MODES)}.")
    ] = None,
    restrict: Annotated[
        bool, typer.Option("--restrict", help="Search only each question's own file.")
    ] = False,
    lenient: Annotated[
        bool,
        typer.Option(
            "--lenient", help="Count a set's gold_span (lenient evidence) where it has one."
        ),
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Score retrieval on question sets: hit@1/3/5 and MRR@10, per language too."""
    engine = _engine(data_dir)
    if mode is not None and mode not in MODES:
        raise _fail(f"unknown mode {mode!r}; one of {', '.join(MODES)}")
    texts: dict[int, str] = {}
    ids_by_name = {t.name: t.id for t in engine.transcripts()}

    def answer(q: EvalQuestion) -> list[CitedSpan]:
        spans = []
        filters = None
        if restrict and q.file:
            filters = Filters(transcript_ids=[ids_by_name.get(Path(q.file).name, -1)])
        for a in engine.ask(q.q, top_k, filters, mode).answers:
            c = a.citation
            if c.transcript_id not in texts:
                texts[c.transcript_id] = (engine.transcript(c.transcript_id) or (None, ""))[1]
            spans.append(CitedSpan(c.transcript, texts[c.transcript_id][c.start : c.end]))
        return spans

    table = Table("set", "n", "hit@1", "hit@3", "hit@5", "MRR@10")
    for path in sets:
        try:
            questions = load_questions(path)
            name = path.stem if path.is_file() else path.name
            scores = score_set(name, questions, answer, lenient)
        except (OSError, ValueError, KeyError) as exc:
            raise _fail(f"{path}: {exc}") from None
        except StoreError as exc:
            raise _fail(str(exc)) from None
        for s in scores.values():
            n = len(s.ranks)
            table.add_row(
                s.name,
                str(n),
                *(f"{s.hit_at(k):.3f} ({s.hits_at(k)})" for k in (1, 3, 5)),
                f"{s.mrr:.3f}",
            )
    console.print(table)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address.")] = None,
    port: Annotated[int | None, typer.Option(help="Port.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Serve the HTTP API and chat page."""
    import os

    import uvicorn

    from api.security import InsecureBindError, check_bind, open_access_notice

    settings = _settings(data_dir)
    host = host or settings.host
    try:
        check_bind(host, settings)
    except InsecureBindError as exc:
        raise _fail(str(exc)) from None
    if notice := open_access_notice(host, settings):
        err.print(notice, markup=False, highlight=False)
    if data_dir:
        os.environ["RAG_DATA_DIR"] = str(data_dir)
    uvicorn.run("api.app:create_app", factory=True, host=host, port=port or settings.port)


if __name__ == "__main__":
    app()
