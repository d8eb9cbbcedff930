"""GET /health: is the service up, and what does it hold."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import EngineDep
from api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
def health(engine: EngineDep) -> Health:
    return Health(
        status="ok",
        transcripts=engine.store.count_transcripts(),
        chunks=engine.store.count_chunks(),
        vectors=engine.store.vector_count,
        model=engine.store.model,
    )
