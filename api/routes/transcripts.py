"""The stored transcripts: list them and read one in full."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, HTTPException

from api.deps import EngineDep
from api.schemas import ErrorOut, TranscriptDetail, TranscriptOut

router = APIRouter(prefix="/transcripts", tags=["transcripts"])


@router.get("", response_model=list[TranscriptOut])
def list_transcripts(engine: EngineDep) -> list[TranscriptOut]:
    return [TranscriptOut.model_validate(asdict(t)) for t in engine.transcripts()]


@router.get(
    "/{transcript_id}",
    response_model=TranscriptDetail,
    responses={404: {"model": ErrorOut}},
)
def get_transcript(transcript_id: int, engine: EngineDep) -> TranscriptDetail:
    found = engine.transcript(transcript_id)
    if found is None:
        raise HTTPException(404, f"no transcript with id {transcript_id}")
    info, text = found
    return TranscriptDetail(**asdict(info), text=text)
