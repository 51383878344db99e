"""Artifacts by CID: streamed from the artifact store; uploads (size-limited) return the CID."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from api.deps import AppState, StateDep, StoreDep, WriteLimit
from api.schemas import ArtifactPublic, CidStr
from api.validation import CannotCheck, load_format
from dao.artifacts.errors import (
    ArtifactError,
    ArtifactNotFoundError,
    StoreUnavailableError,
    UnsupportedCidError,
)
from dao.vocabulary import ContributionKind
from oracle.scoring.rejections import ArtifactRejected
from oracle.scoring.validation import check_contribution

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
    description="With `project` and `kind` the artifact is first checked against the project's format "
    "(task, metric, benchmark item ids, and classes once an epoch report names them) by the oracle's own "
    "parsers; one it would reject is refused with 422 naming the line and the reason, and is not stored.",
    responses={
        404: {"description": "`project` names no indexed project"},
        409: {"description": "the project's benchmark inputs are not in this API's store: the check cannot run"},
        413: {"description": "over the size limit"},
        415: {"description": "content type refused"},
        422: {"description": "not valid for the project and kind: the detail names the line and the reason"},
        429: {"description": "too many writes"},
    },
)
async def upload_artifact(
    request: Request,
    state: StateDep,
    project: Annotated[
        int | None, Query(ge=1, description="check the artifact against this project's format (with `kind`)")
    ] = None,
    kind: Annotated[
        ContributionKind | None, Query(description="what the artifact is for the project (with `project`)")
    ] = None,
) -> ArtifactPublic:
    settings = state.settings
    if (project is None) != (kind is None):
        raise HTTPException(422, "give both `project` and `kind` to check an artifact, or neither")
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
    if project is not None and kind is not None:
        await run_in_threadpool(_check, state, bytes(body), project, kind)
    try:
        cid = await run_in_threadpool(state.store.put, bytes(body))
    except StoreUnavailableError as exc:
        raise HTTPException(503, f"the artifact store is unavailable: {exc}") from None
    return ArtifactPublic(cid=cid, size=len(body))


def _check(state: AppState, data: bytes, project: int, kind: ContributionKind) -> None:
    with state.sessions() as session:
        try:
            fmt = load_format(session, state.store, project)
        except CannotCheck as exc:
            raise HTTPException(exc.status, exc.message) from None
    try:
        check_contribution(data, kind, fmt)
    except ArtifactRejected as error:
        raise HTTPException(
            422, f"not valid {kind.value} for project {project}: {error.detail} ({error.reason.value})"
        ) from None
