"""The stored transcripts: upload, list, read in full, delete."""

from __future__ import annotations

import re
from dataclasses import asdict
from pathlib import PurePosixPath, PureWindowsPath
from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Path, Response, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from api.deps import EngineDep
from api.schemas import (
    ErrorOut,
    TranscriptDetail,
    TranscriptOut,
    UploadedOut,
    UploadErrorOut,
    UploadFailure,
    UploadResponse,
    ValidationFailure,
)
from index.store import StorageFullError
from rag.decoding import DecodeError, EmptyInputError, decode
from rag.formats import ParseError, UnknownFormatError, known_formats

router = APIRouter(prefix="/transcripts", tags=["transcripts"])

_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")

TranscriptId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The id the list shows.")]


def safe_name(filename: str | None) -> str:
    """The file's base name only, so a name can never become a path."""
    base = PureWindowsPath(PurePosixPath(filename or "").name).name
    base = _UNSAFE.sub("", base).strip()[:200]
    return base if base not in ("", ".", "..") else "upload.txt"


def _status_of(exc: Exception) -> int:
    if isinstance(exc, EmptyInputError):
        return 422
    if isinstance(exc, (DecodeError, UnknownFormatError)):
        return 415
    return 422


@router.post(
    "",
    status_code=201,
    response_model=UploadResponse,
    responses={
        200: {"model": UploadResponse, "description": "Every file was already stored."},
        413: {"model": UploadFailure | ErrorOut, "description": "Too large, or too many files."},
        415: {"model": UploadFailure},
        422: {"model": UploadFailure | ErrorOut | ValidationFailure},
        507: {"model": UploadFailure, "description": "The disk holding the data is full."},
    },
)
async def upload(
    response: Response,
    engine: EngineDep,
    files: Annotated[list[UploadFile], File(description="One or more transcript files.")],
    format: Annotated[str | None, Form(description="Parse every file as this format.")] = None,
) -> UploadResponse | JSONResponse:
    settings = engine.settings
    if format is not None and format not in known_formats():
        raise HTTPException(422, f"unknown format {format!r}; known: {', '.join(known_formats())}")
    if len(files) > settings.max_upload_files:
        raise HTTPException(413, f"at most {settings.max_upload_files} files per upload")
    limit = int(settings.max_upload_mb * 1024 * 1024)
    stored: list[UploadedOut] = []
    errors: list[UploadErrorOut] = []
    for upload_file in files:
        name = safe_name(upload_file.filename)
        data = await upload_file.read(limit + 1)
        if len(data) > limit:
            errors.append(
                UploadErrorOut(
                    name=name,
                    status=413,
                    detail=f"{name}: larger than the {settings.max_upload_mb:g} MB limit",
                )
            )
            continue
        try:
            text = await run_in_threadpool(decode, data)
            if len(text) > settings.max_transcript_chars:
                errors.append(
                    UploadErrorOut(
                        name=name,
                        status=413,
                        detail=f"{name}: longer than the "
                        f"{settings.max_transcript_chars:,} character limit",
                    )
                )
                continue
            result = await run_in_threadpool(engine.add_text, name, text, format)
        except (DecodeError, ParseError) as exc:
            errors.append(
                UploadErrorOut(name=name, status=_status_of(exc), detail=f"{name}: {exc}")
            )
            continue
        except StorageFullError as exc:
            errors.append(UploadErrorOut(name=name, status=507, detail=str(exc)))
            continue
        stored.append(UploadedOut.model_validate(asdict(result)))
    if not stored:
        detail = "; ".join(e.detail for e in errors)
        body = UploadFailure(detail=detail, errors=errors)
        return JSONResponse(body.model_dump(), status_code=errors[0].status)
    response.status_code = 201 if any(s.created for s in stored) else 200
    return UploadResponse(transcripts=stored, errors=errors)


@router.get("", response_model=list[TranscriptOut])
def list_transcripts(engine: EngineDep) -> list[TranscriptOut]:
    return [TranscriptOut.model_validate(asdict(t)) for t in engine.transcripts()]


@router.get(
    "/{transcript_id}",
    response_model=TranscriptDetail,
    responses={404: {"model": ErrorOut}},
)
def get_transcript(transcript_id: TranscriptId, engine: EngineDep) -> TranscriptDetail:
    found = engine.transcript(transcript_id)
    if found is None:
        raise HTTPException(404, f"no transcript with id {transcript_id}")
    info, text = found
    return TranscriptDetail(**asdict(info), text=text)


@router.delete("/{transcript_id}", status_code=204, responses={404: {"model": ErrorOut}})
def delete_transcript(transcript_id: TranscriptId, engine: EngineDep) -> Response:
    if not engine.delete(transcript_id):
        raise HTTPException(404, f"no transcript with id {transcript_id}")
    return Response(status_code=204)
