"""POST /ask: a question in, cited answers out."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter

from api.deps import EngineDep
from api.schemas import AskRequest, AskResponse, ErrorOut
from rag.retrieval import Filters

router = APIRouter(tags=["ask"])


@router.post(
    "/ask",
    response_model=AskResponse,
    responses={503: {"model": ErrorOut, "description": "No index has been built yet."}},
)
def ask(body: AskRequest, engine: EngineDep) -> AskResponse:
    filters = Filters(body.transcript_ids, body.speakers, body.kinds)
    return AskResponse.model_validate(asdict(engine.ask(body.question, body.top_k, filters)))
