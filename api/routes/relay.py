"""The relay of EIP-712-signed submissions."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from starlette.concurrency import run_in_threadpool

from api.deps import StateDep, WriteLimit
from api.relay import RelayRefused, relay_submission
from api.schemas import RelayPublic, SubmissionRelayRequest

router = APIRouter(prefix="/relay", tags=["relay"])

RELAY_BODY_LIMIT = 16 * 1024  # a submission is well under 1 KiB; api.main.SmallBodyLimit enforces this


@router.post(
    "/submissions",
    response_model=RelayPublic,
    status_code=201,
    dependencies=[WriteLimit],
    summary="Send a contributor's signed submission; the relayer pays the gas",
    responses={
        400: {"description": "expired, nonce ahead, or the registry would refuse it"},
        403: {"description": "the signature is not the contributor's"},
        409: {"description": "replayed signature or used nonce"},
        413: {"description": "body over 16 KiB"},
        429: {"description": "too many writes"},
        503: {"description": "no relayer configured"},
    },
)
async def relay(request: SubmissionRelayRequest, state: StateDep) -> RelayPublic:
    try:
        relayed = await run_in_threadpool(relay_submission, state, request)
    except RelayRefused as exc:
        raise HTTPException(exc.status, exc.message) from None
    return RelayPublic(
        tx_hash=relayed.tx_hash,
        contribution_id=relayed.contribution_id,
        contributor=request.contributor,
        block_number=relayed.block_number,
    )
