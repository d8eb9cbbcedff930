"""Dependencies the routes receive: the engine that the app created at start-up."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from rag.engine import Engine


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


EngineDep = Annotated[Engine, Depends(get_engine)]
