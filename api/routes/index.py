"""Index maintenance: start a rebuild in the background and follow it."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, HTTPException

from api.deps import EngineDep
from api.schemas import ErrorOut, JobOut

router = APIRouter(prefix="/index", tags=["index"])


@router.post(
    "/rebuild",
    status_code=202,
    response_model=JobOut,
    responses={409: {"model": ErrorOut, "description": "A rebuild is already running."}},
)
def rebuild(engine: EngineDep) -> JobOut:
    return JobOut.model_validate(asdict(engine.rebuilds.start()))


@router.get("/jobs/{job_id}", response_model=JobOut, responses={404: {"model": ErrorOut}})
def job(job_id: str, engine: EngineDep) -> JobOut:
    found = engine.rebuilds.get(job_id)
    if found is None:
        raise HTTPException(404, f"no job with id {job_id}")
    return JobOut.model_validate(asdict(found))
