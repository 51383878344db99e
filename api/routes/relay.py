"""The relay of EIP-712-signed commits and reveals."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from starlette.concurrency import run_in_threadpool

from api.deps import StateDep, WriteLimit
from api.relay import Relayed, RelayRefused, relay_commit, relay_reveal
from api.schemas import CommitRelayRequest, RelayPublic, RevealRelayRequest

router = APIRouter(prefix="/relay", tags=["relay"])

RELAY_BODY_LIMIT = 16 * 1024  # a commit or reveal is well under 1 KiB; api.main.SmallBodyLimit enforces this
RELAY_PATHS = ("/relay/commits", "/relay/reveals")

REFUSALS: dict[int | str, dict[str, str]] = {
    400: {"description": "expired, nonce ahead, undecodable signature, or the registry would refuse it"},
    403: {"description": "the signature is not the contributor's over these fields, chain and registry"},
    409: {"description": "replayed signature or used nonce"},
    413: {"description": "body over 16 KiB"},
    429: {"description": "too many writes"},
    503: {"description": "no relayer configured"},
}


def _public(relayed: Relayed, contributor: str) -> RelayPublic:
    return RelayPublic(
        tx_hash=relayed.tx_hash,
        contribution_id=relayed.contribution_id,
        contributor=contributor,
        project_id=relayed.project_id,
        epoch=relayed.epoch,
        block_number=relayed.block_number,
    )


@router.post(
    "/commits",
    response_model=RelayPublic,
    status_code=201,
    dependencies=[WriteLimit],
    summary="Send a contributor's signed commit (commitBySig); the relayer pays the gas, the contributor the bond",
    responses=REFUSALS,
)
async def relay_commit_route(request: CommitRelayRequest, state: StateDep) -> RelayPublic:
    try:
        relayed = await run_in_threadpool(relay_commit, state, request)
    except RelayRefused as exc:
        raise HTTPException(exc.status, exc.message) from None
    return _public(relayed, request.contributor)


@router.post(
    "/reveals",
    response_model=RelayPublic,
    status_code=201,
    dependencies=[WriteLimit],
    summary="Send a contributor's signed reveal (revealBySig) in its epoch's reveal window",
    responses=REFUSALS,
)
async def relay_reveal_route(request: RevealRelayRequest, state: StateDep) -> RelayPublic:
    try:
        relayed = await run_in_threadpool(relay_reveal, state, request)
    except RelayRefused as exc:
        raise HTTPException(exc.status, exc.message) from None
    return _public(relayed, request.contributor)
