"""The API's documented contract: request and response models."""

from __future__ import annotations

from pydantic import BaseModel, Field


class AskRequest(BaseModel):
    question: str = Field(..., min_length=1, max_length=2000, description="English or Chinese.")
    top_k: int = Field(5, ge=1, le=50, description="How many answers to return.")


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


class AnswerOut(BaseModel):
    rank: int
    score: float
    text: str = Field(description="Exactly the cited characters of the transcript.")
    citation: CitationOut


class AskResponse(BaseModel):
    question: str
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
    status: int = Field(description="413 too large, 415 not a transcript, 422 malformed.")
    detail: str


class UploadResponse(BaseModel):
    transcripts: list[UploadedOut]
    errors: list[UploadErrorOut] = Field(description="Files that were rejected; none stored.")


class UploadFailure(ErrorOut):
    errors: list[UploadErrorOut]


class JobOut(BaseModel):
    id: str
    state: str = Field(description="queued, running, done or failed.")
    done: int = Field(description="Chunks embedded so far.")
    total: int = Field(description="Chunks to embed.")
    error: str | None = None
    started_at: float | None = None
    finished_at: float | None = None
