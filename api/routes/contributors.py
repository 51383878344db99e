"""Contributors: totals, history, and what they can still claim."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.responses import Response
from sqlalchemy import select
from web3 import Web3

from api import models as m
from api.clock import indexed_now
from api.deps import DeploymentDep, LimitDep, SessionDep, StateDep
from api.routes.contributions import PageToken, history_response
from api.schemas import (
    AddressStr,
    ClaimArgs,
    ContributionKind,
    ContributionPage,
    ContributorPublic,
    DbId,
    EpochAllocationPublic,
    Status,
    UnclaimedPublic,
)
from dao.abi import abi
from dao.proposals import epoch_key

router = APIRouter(prefix="/contributors", tags=["contributors"])

Address = Annotated[AddressStr, Path(description="the contributor's address")]


def _allocation_public(a: m.AllocationRow, claimed: bool) -> EpochAllocationPublic:
    return EpochAllocationPublic(
        project_id=a.project_id,
        epoch=a.epoch,
        epoch_key=str(epoch_key(a.project_id, a.epoch)),
        index=a.leaf_index,
        account=a.account,
        amount=str(a.amount),
        claimed=claimed,
    )


@router.get(
    "/{address}",
    response_model=ContributorPublic,
    summary="A contributor's totals and allocations",
    responses={404: {"description": "never contributed nor was allocated anything"}},
)
def get_contributor(address: Address, session: SessionDep) -> ContributorPublic:
    counts: dict[str, int] = defaultdict(int)
    total_score = bonds_held = 0
    projects = set()
    for status, score, bond, bond_state, project_id in session.execute(
        select(
            m.Contribution.status,
            m.Contribution.score,
            m.Contribution.bond,
            m.Contribution.bond_state,
            m.Contribution.project_id,
        ).where(m.Contribution.contributor == address)
    ):
        counts[status] += 1
        if status == Status.ACCEPTED.value:
            total_score += score or 0
        if bond_state == "held":
            bonds_held += bond
        projects.add(project_id)
    allocations = list(
        session.scalars(
            select(m.AllocationRow)
            .where(m.AllocationRow.account == address)
            .order_by(m.AllocationRow.project_id, m.AllocationRow.epoch, m.AllocationRow.leaf_index)
        )
    )
    claims = {
        (c.project_id, c.epoch, c.leaf_index): c.amount
        for c in session.scalars(select(m.Claim).where(m.Claim.account == address))
    }
    if not sum(counts.values()) and not allocations:
        raise HTTPException(404, f"{address} has no contributions and no allocations")
    return ContributorPublic(
        address=address,
        contributions=sum(counts.values()),
        committed=counts[Status.COMMITTED.value],
        revealed=counts[Status.REVEALED.value],
        accepted=counts[Status.ACCEPTED.value],
        rejected=counts[Status.REJECTED.value],
        forfeited=counts[Status.FORFEITED.value],
        total_score=str(total_score),
        bonds_held=str(bonds_held),
        allocated=str(sum(a.amount for a in allocations)),
        claimed=str(sum(claims.values())),
        projects=sorted(projects),
        allocations=[_allocation_public(a, (a.project_id, a.epoch, a.leaf_index) in claims) for a in allocations],
    )


@router.get(
    "/{address}/contributions",
    response_model=ContributionPage,
    summary="A contributor's history, newest first (keyset pages)",
    responses={400: {"description": "malformed page token"}},
)
async def contributor_history(
    address: Address,
    state: StateDep,
    limit: LimitDep,
    page_token: PageToken = None,
    project: Annotated[DbId | None, Query()] = None,
    kind: ContributionKind | None = None,
    epoch: Annotated[DbId | None, Query(description="the project epoch it was committed in")] = None,
    status: Status | None = None,
) -> Response:
    return await history_response(
        state,
        limit=limit,
        page_token=page_token,
        contributor=address,
        project=project,
        kind=kind,
        epoch=epoch,
        status=status,
    )


_distributor_abi = Web3().eth.contract(abi=abi("RewardDistributor"))


@router.get(
    "/{address}/unclaimed",
    response_model=UnclaimedPublic,
    summary="Every allocation the account can still claim, with one claimMany payload",
)
def unclaimed(address: Address, session: SessionDep, deployment: DeploymentDep) -> UnclaimedPublic:
    # the chain's time as far as the index knows (a local chain's clock may differ from the host's)
    now = indexed_now(session) or int(time.time())
    swept = {(row.project_id, row.epoch) for row in session.execute(select(m.Sweep.project_id, m.Sweep.epoch))}
    claimed = {
        (row.project_id, row.epoch, row.leaf_index)
        for row in session.execute(
            select(m.Claim.project_id, m.Claim.epoch, m.Claim.leaf_index).where(m.Claim.account == address)
        )
    }
    open_claims = []
    for allocation, key, deadline in session.execute(
        select(m.AllocationRow, m.Epoch.epoch_key, m.Epoch.claim_deadline)
        .join(m.Epoch)
        .where(m.AllocationRow.account == address, m.Epoch.report_status == "ok")
        .order_by(m.AllocationRow.project_id, m.AllocationRow.epoch, m.AllocationRow.leaf_index)
    ):
        at = (allocation.project_id, allocation.epoch)
        if (*at, allocation.leaf_index) in claimed or at in swept or deadline < now or allocation.amount == 0:
            continue
        open_claims.append(
            ClaimArgs(
                project_id=allocation.project_id,
                epoch=allocation.epoch,
                epoch_key=str(key),
                index=allocation.leaf_index,
                amount=str(allocation.amount),
                proof=json.loads(allocation.proof),
            )
        )
    calldata = None
    if open_claims:
        calldata = _distributor_abi.encode_abi(
            "claimMany",
            args=[
                address,
                [
                    (int(c.epoch_key), c.index, int(c.amount), [bytes.fromhex(p[2:]) for p in c.proof])
                    for c in open_claims
                ],
            ],
        )
    return UnclaimedPublic(
        account=address,
        total=str(sum(int(c.amount) for c in open_claims)),
        claims=open_claims,
        distributor=deployment.address("distributor"),
        claim_many_calldata=calldata,
    )
