"""The API's documented contract: request and response models."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field


class AskRequest(BaseModel):
    question: str = Field(..., min_length=1, max_length=2000, description="English or Chinese.")
    top_k: int = Field(5, ge=1, le=50, description="How many answers to return.")
    transcript_ids: list[Annotated[int, Field(ge=1, le=2**63 - 1)]] | None = Field(
        None, max_length=1000, description="Only search these transcripts."
    )
    speakers: list[Annotated[str, Field(min_length=1, max_length=200)]] | None = Field(
        None, max_length=100, description="Only passages these speakers lead (any case)."
    )
    kinds: list[Literal["qa", "chapter", "summary", "turn"]] | None = Field(
        None, description="Only these kinds of passage."
    )


class CitationOut(BaseModel):
    transcript_id: int
    transcript: str = Field(description="The transcript's name.")
    start: int = Field(description="First cited character (inclusive).")
    end: int = Field(description="End of the cited span (exclusive).")
    section: str | None = None
    speaker: str | None = None
    question: str | None = Field(None, description="For a Q&A pair, the question's text.")
    start_time: float | None = Field(None, description="Seconds, for subtitles.")
    end_time: float | None = None
    roles: list[str] = Field(
        default_factory=list,
        description="The speakers' roles as the transcript names them (\"Chief Financial "
        'Officer"), in the order they speak; empty where it names none.',
    )


class HighlightOut(BaseModel):
    start: int = Field(description="Inside the citation: the sentence or two that answer best.")
    end: int


class AnswerOut(BaseModel):
    rank: int
    score: float = Field(description="The ranking score (comparable within one response).")
    confidence: float = Field(description="0 to 1: how likely this passage answers the question.")
    text: str = Field(description="Exactly the cited characters of the transcript.")
    highlight: HighlightOut
    citation: CitationOut


class AskResponse(BaseModel):
    question: str
    answerable: bool = Field(
        description="False when nothing in the transcripts answers the question; the answers "
        "are then only the closest passages."
    )
    answers: list[AnswerOut]
    took_ms: float


class TranscriptOut(BaseModel):
    id: int
    name: str
    format: str
    chars: int
    chunks: int
    added_at: str


class TranscriptDetail(TranscriptOut):
    text: str


class Health(BaseModel):
    status: str
    transcripts: int
    chunks: int
    vectors: int = Field(description="Vectors in the live index; equals chunks when in step.")
    model: str | None


class ErrorOut(BaseModel):
    detail: str


class UploadedOut(BaseModel):
    id: int
    name: str
    format: str
    chunks: int
    created: bool = Field(description="False when the same file was already stored.")


class UploadErrorOut(BaseModel):
    name: str
    status: int = Field(
        description="413 too large, 415 not a transcript, 422 malformed, 507 the disk is full."
    )
    detail: str


class UploadResponse(BaseModel):
    transcripts: list[UploadedOut]
    errors: list[UploadErrorOut] = Field(description="Files that were rejected; none stored.")


class UploadFailure(ErrorOut):
    errors: list[UploadErrorOut]


class ValidationFailure(BaseModel):
    """FastAPI's own 422: where the request did not match its schema, and why."""

    detail: list[dict[str, Any]]


class JobOut(BaseModel):
    id: str
    state: str = Field(description="queued, running, done or failed.")
    done: int = Field(description="Chunks embedded so far.")
    total: int = Field(description="Chunks to embed.")
    error: str | None = None
    started_at: float | None = None
    finished_at: float | None = None
