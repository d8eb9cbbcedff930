"""The FastAPI application: wiring of routes, the engine and error translation."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse

from api.headers import add_header_middleware
from api.limits import BODY_REFUSED, BodyLimitMiddleware
from api.routes import ask, health, index, page, transcripts
from api.security import UNAUTHORIZED, require_for_method, require_read
from index.store import IndexMissingError, ModelMismatchError, StorageFullError, StoreError
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
    app.state.settings = settings
    read, by_method = [Depends(require_read)], [Depends(require_for_method)]
    with_body = {**UNAUTHORIZED, **BODY_REFUSED}
    app.include_router(ask.router, dependencies=read, responses=with_body)
    app.include_router(transcripts.router, dependencies=by_method, responses=with_body)
    app.include_router(index.router, dependencies=by_method, responses=UNAUTHORIZED)
    app.include_router(health.router)
    page.mount_page(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=int(settings.max_request_mb * 2**20))
    add_header_middleware(app, settings)

    @app.exception_handler(IndexMissingError)
    async def index_missing(_: Request, exc: IndexMissingError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=503)

    @app.exception_handler(ModelMismatchError)
    async def model_mismatch(_: Request, exc: ModelMismatchError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=409)

    @app.exception_handler(StorageFullError)
    async def storage_full(_: Request, exc: StorageFullError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=507)

    @app.exception_handler(StoreError)
    async def store_error(_: Request, exc: StoreError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=409)

    return app
