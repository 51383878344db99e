"""Artifacts by CID: streamed from the artifact store; uploads (size-limited) return the CID."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from api.deps import StateDep, StoreDep, WriteLimit
from api.schemas import ArtifactPublic, CidStr
from dao.artifacts.errors import (
    ArtifactError,
    ArtifactNotFoundError,
    StoreUnavailableError,
    UnsupportedCidError,
)

router = APIRouter(prefix="/artifacts", tags=["artifacts"])


@router.get(
    "/{cid}",
    summary="An artifact's bytes, streamed and verified block by block",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"application/octet-stream": {}}},
        404: {"description": "not in the store"},
        422: {"description": "not a CID"},
    },
)
def get_artifact(
    cid: Annotated[CidStr, Path(description="IPFS CID, any spelling")], store: StoreDep
) -> StreamingResponse:
    try:
        pieces = store.iter_content(cid)  # reads the root now: a missing artifact is a 404, not a cut stream
        first = next(pieces, b"")
    except ArtifactNotFoundError:
        raise HTTPException(404, f"artifact {cid} is not in the store") from None
    except UnsupportedCidError as exc:
        raise HTTPException(422, str(exc)) from None
    except StoreUnavailableError as exc:
        raise HTTPException(503, f"the artifact store is unavailable: {exc}") from None
    except ArtifactError as exc:
        raise HTTPException(502, f"artifact {cid} cannot be served: {exc}") from None

    def stream() -> Iterator[bytes]:
        yield first
        yield from pieces

    return StreamingResponse(stream(), media_type="application/octet-stream", headers={"X-Artifact-Cid": cid})


@router.post(
    "",
    response_model=ArtifactPublic,
    status_code=201,
    dependencies=[WriteLimit],
    summary="Store an artifact (the request body, raw) and get its CID",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                "text/csv": {"schema": {"type": "string"}},
                "application/json": {"schema": {"type": "object"}},
            },
        }
    },
    responses={
        413: {"description": "over the size limit"},
        415: {"description": "content type refused"},
        429: {"description": "too many writes"},
    },
)
async def upload_artifact(request: Request, state: StateDep) -> ArtifactPublic:
    settings = state.settings
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in settings.upload_content_types:
        raise HTTPException(
            415,
            f"content type {content_type or '(none)'!r} is not accepted; "
            f"use one of {', '.join(settings.upload_content_types)}",
        )
    limit = settings.upload_max_bytes
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise HTTPException(413, f"the body is {declared} bytes; the limit is {limit}")
    body = bytearray()
    async for piece in request.stream():
        body += piece
        if len(body) > limit:
            raise HTTPException(413, f"the body is over the limit of {limit} bytes")
    if not body:
        raise HTTPException(400, "the body is empty: send the artifact's bytes")
    try:
        cid = await run_in_threadpool(state.store.put, bytes(body))
    except StoreUnavailableError as exc:
        raise HTTPException(503, f"the artifact store is unavailable: {exc}") from None
    return ArtifactPublic(cid=cid, size=len(body))
