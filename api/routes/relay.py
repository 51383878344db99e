"""The relay of EIP-712-signed commits and reveals, and of claims (claimMany for an account)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from api.deps import StateDep, WriteLimit
from api.relay import Relayed, RelayRefused, relay_claims, relay_commit, relay_reveal
from api.schemas import (
    ClaimRelayPublic,
    ClaimRelayRequest,
    CommitRelayRequest,
    RelayedClaimPublic,
    RelayPublic,
    RevealRelayRequest,
)

router = APIRouter(prefix="/relay", tags=["relay"])

# a commit or reveal is well under 1 KiB, a claim with a 10-deep proof about 1 KiB; api.main.SmallBodyLimit
# enforces this (`merit claim --relay` splits what does not fit into several requests)
RELAY_BODY_LIMIT = 16 * 1024
RELAY_PATHS = ("/relay/commits", "/relay/reveals", "/relay/claims")

REFUSALS: dict[int | str, dict[str, str]] = {
    400: {"description": "expired, nonce ahead, undecodable signature, or the registry would refuse it"},
    403: {"description": "the signature is not the contributor's over these fields, chain and registry"},
    409: {"description": "replayed signature or used nonce"},
    413: {"description": "body over 16 KiB"},
    429: {"description": "too many writes"},
    503: {"description": "no relayer configured"},
}
# A reveal names its artifact: when the store holds it, one the oracle would reject is not revealed.
# (A relayed commit carries only a commitment: its file is checked by `merit submit`, not here.)
REVEAL_REFUSALS: dict[int | str, dict[str, str]] = {
    **REFUSALS,
    422: {"description": "the stored artifact is not valid for the project and kind: the detail names line and reason"},
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
    responses=REVEAL_REFUSALS,
)
async def relay_reveal_route(request: RevealRelayRequest, state: StateDep) -> RelayPublic:
    try:
        relayed = await run_in_threadpool(relay_reveal, state, request)
    except RelayRefused as exc:
        raise HTTPException(exc.status, exc.message) from None
    return _public(relayed, request.contributor)


CLAIM_REFUSALS: dict[int | str, dict[str, str]] = {
    400: {"description": "the distributor would refuse it: a bad proof, an unknown, swept or closed epoch, paused"},
    409: {"description": "an allocation in it is claimed already"},
    413: {"description": "body over 16 KiB"},
    422: {"description": "no claims, more than 16, or a proof over 32 hashes"},
    429: {"description": "too many writes, or too many relayed claims for this account or client (Retry-After)"},
    502: {"description": "sent, but reverted on chain"},
    503: {"description": "no relayer configured, or the relayer has too little ETH"},
    504: {"description": "sent, but not mined within 60 s"},
}


@router.post(
    "/claims",
    response_model=ClaimRelayPublic,
    status_code=201,
    dependencies=[WriteLimit],
    summary="Send claimMany(account, claims) for an account; the relayer pays the gas, the account gets the tokens",
    description="No signature: the distributor pays each allocation only to the account in its leaf, "
    "whoever sends it. Nothing is sent that a static call says would revert; the claims sent are "
    "rate-limited per account and per client.",
    responses=CLAIM_REFUSALS,
)
async def relay_claims_route(request: ClaimRelayRequest, state: StateDep, http: Request) -> ClaimRelayPublic:
    client = http.client.host if http.client else "unknown"
    try:
        relayed = await run_in_threadpool(relay_claims, state, request, client)
    except RelayRefused as exc:
        raise HTTPException(exc.status, exc.message, headers=exc.headers) from None
    return ClaimRelayPublic(
        tx_hash=relayed.tx_hash,
        account=relayed.account,
        amount=str(relayed.amount),
        claims=[RelayedClaimPublic(epoch_key=str(k), index=i, amount=str(a)) for k, i, a in relayed.claims],
        block_number=relayed.block_number,
    )
