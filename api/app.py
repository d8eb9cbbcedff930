"""The FastAPI application: wiring of routes, the engine and error translation."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from api.routes import ask, health, index, page, transcripts
from index.store import IndexMissingError, ModelMismatchError, StoreError
from rag.engine import Engine
from rag.settings import Settings

log = logging.getLogger("api")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = Engine(settings)
        for message in engine.store.repairs:
            log.warning("startup repair: %s", message)
        log.warning(
            "store check: %d transcripts, %d chunks, %d vectors%s",
            len(engine.transcripts()),
            engine.store.count_chunks(),
            engine.store.vector_count,
            "" if engine.store.repairs else ", in step",
        )
        engine.warm_up()
        app.state.engine = engine
        yield

    app = FastAPI(
        title="Transcript Q&A",
        description="Answers questions about transcripts with passages cited to their characters.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.include_router(ask.router)
    app.include_router(transcripts.router)
    app.include_router(index.router)
    app.include_router(health.router)
    page.mount_page(app)

    @app.exception_handler(IndexMissingError)
    async def index_missing(_: Request, exc: IndexMissingError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=503)

    @app.exception_handler(ModelMismatchError)
    async def model_mismatch(_: Request, exc: ModelMismatchError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=409)

    @app.exception_handler(StoreError)
    async def store_error(_: Request, exc: StoreError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=409)

    return app
