"""Contributors: totals, history, and what they can still claim."""

from __future__ import annotations

import json
import time
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.responses import Response
from sqlalchemy import select
from web3 import Web3

from api import models as m
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

router = APIRouter(prefix="/contributors", tags=["contributors"])

Address = Annotated[AddressStr, Path(description="the contributor's address")]


@router.get(
    "/{address}",
    response_model=ContributorPublic,
    summary="A contributor's totals and allocations",
    responses={404: {"description": "never contributed nor was allocated anything"}},
)
def get_contributor(address: Address, session: SessionDep) -> ContributorPublic:
    counts = {"pending": 0, "scored": 0, "rejected": 0}
    total_score, projects = 0, set()
    for status, score, project_id in session.execute(
        select(m.Contribution.status, m.Contribution.score, m.Contribution.project_id).where(
            m.Contribution.contributor == address
        )
    ):
        counts[status] = counts.get(status, 0) + 1
        total_score += score or 0
        projects.add(project_id)
    allocations = list(
        session.scalars(
            select(m.AllocationRow)
            .where(m.AllocationRow.account == address)
            .order_by(m.AllocationRow.epoch_id, m.AllocationRow.leaf_index)
        )
    )
    claims = {
        (c.epoch_id, c.leaf_index): c.amount for c in session.scalars(select(m.Claim).where(m.Claim.account == address))
    }
    if not sum(counts.values()) and not allocations:
        raise HTTPException(404, f"{address} has no contributions and no allocations")
    return ContributorPublic(
        address=address,
        contributions=sum(counts.values()),
        pending=counts["pending"],
        scored=counts["scored"],
        rejected=counts["rejected"],
        total_score=str(total_score),
        allocated=str(sum(a.amount for a in allocations)),
        claimed=str(sum(claims.values())),
        projects=sorted(projects),
        allocations=[
            EpochAllocationPublic(
                epoch_id=a.epoch_id,
                index=a.leaf_index,
                account=a.account,
                amount=str(a.amount),
                claimed=(a.epoch_id, a.leaf_index) in claims,
            )
            for a in allocations
        ],
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
    epoch: Annotated[DbId | None, Query()] = None,
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
    now = int(time.time())
    swept = set(session.scalars(select(m.Sweep.epoch_id)))
    claimed = set(session.execute(select(m.Claim.epoch_id, m.Claim.leaf_index).where(m.Claim.account == address)))
    open_claims = []
    for allocation, deadline in session.execute(
        select(m.AllocationRow, m.Epoch.claim_deadline)
        .join(m.Epoch)
        .where(m.AllocationRow.account == address, m.Epoch.report_status == "ok")
        .order_by(m.AllocationRow.epoch_id, m.AllocationRow.leaf_index)
    ):
        key = (allocation.epoch_id, allocation.leaf_index)
        if key in claimed or allocation.epoch_id in swept or deadline < now or allocation.amount == 0:
            continue
        open_claims.append(
            ClaimArgs(
                epoch_id=allocation.epoch_id,
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
                [(c.epoch_id, c.index, int(c.amount), [bytes.fromhex(p[2:]) for p in c.proof]) for c in open_claims],
            ],
        )
    return UnclaimedPublic(
        account=address,
        total=str(sum(int(c.amount) for c in open_claims)),
        claims=open_claims,
        distributor=deployment.address("distributor"),
        claim_many_calldata=calldata,
    )
