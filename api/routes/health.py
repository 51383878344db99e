"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError

from api import models as m
from api.deps import StateDep
from api.schemas import HealthPublic, ReadinessPublic

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthPublic, summary="The process answers")
def health() -> HealthPublic:
    return HealthPublic(status="ok")


@router.get(
    "/ready",
    response_model=ReadinessPublic,
    summary="The database answers and its schema is current",
    responses={503: {"model": ReadinessPublic, "description": "not ready"}},
)
def ready(state: StateDep) -> JSONResponse:
    revision, block, database = None, None, False
    try:
        with state.sessions() as session:
            revision = session.execute(text("SELECT version_num FROM alembic_version")).scalar()
            block = session.execute(select(m.IndexerCursor.block_number).limit(1)).scalar()
            database = True
    except SQLAlchemyError:
        pass
    body = ReadinessPublic(
        status="ready" if database and revision else "not ready",
        database=database,
        schema_revision=revision,
        indexed_block=block,
    )
    return JSONResponse(body.model_dump(), status_code=200 if body.status == "ready" else 503)
