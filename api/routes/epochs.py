"""Epochs, their allocations, and claim proofs."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path
from sqlalchemy import select
from sqlalchemy.orm import Session

from api import models as m
from api.deps import DeploymentDep, LimitDep, SessionDep
from api.routes.contributions import PageToken
from api.schemas import (
    AddressStr,
    AllocationPage,
    DbId,
    EpochAllocationPublic,
    EpochPublic,
    PageTokenError,
    ProofPublic,
    decode_page_token,
    encode_page_token,
)

router = APIRouter(prefix="/epochs", tags=["epochs"])

EpochId = Annotated[DbId, Path(description="epoch id", examples=[1])]


def _claimed_totals(session: Session, epoch_ids: list[int]) -> dict[int, int]:
    totals: dict[int, int] = defaultdict(int)
    for epoch_id, amount in session.execute(
        select(m.Claim.epoch_id, m.Claim.amount).where(m.Claim.epoch_id.in_(epoch_ids))
    ):
        totals[epoch_id] += amount
    return totals


def _public(session: Session, epochs: list[m.Epoch]) -> list[EpochPublic]:
    ids = [e.epoch_id for e in epochs]
    claimed = _claimed_totals(session, ids)
    sweeps = {s.epoch_id: s for s in session.scalars(select(m.Sweep).where(m.Sweep.epoch_id.in_(ids)))}
    counts: dict[int, int] = defaultdict(int)
    for (epoch_id,) in session.execute(select(m.AllocationRow.epoch_id).where(m.AllocationRow.epoch_id.in_(ids))):
        counts[epoch_id] += 1
    return [
        EpochPublic(
            epoch_id=e.epoch_id,
            merkle_root=e.merkle_root,
            total=str(e.total),
            claimed=str(claimed.get(e.epoch_id, 0)),
            report_cid=e.report_cid,
            claim_deadline=e.claim_deadline,
            swept=e.epoch_id in sweeps,
            swept_amount=str(sweeps[e.epoch_id].amount) if e.epoch_id in sweeps else None,
            report_status=e.report_status,
            report_error=e.report_error,
            project=e.project,
            allocations=counts.get(e.epoch_id, 0),
            block_number=e.block_number,
            tx_hash=e.tx_hash,
        )
        for e in epochs
    ]


def _epoch_or_404(session: Session, epoch_id: int) -> m.Epoch:
    epoch = session.get(m.Epoch, epoch_id)
    if epoch is None:
        raise HTTPException(404, f"epoch {epoch_id} was not funded (or is not indexed yet)")
    return epoch


@router.get("", response_model=list[EpochPublic], summary="Funded epochs, newest first")
def list_epochs(session: SessionDep) -> list[EpochPublic]:
    return _public(session, list(session.scalars(select(m.Epoch).order_by(m.Epoch.epoch_id.desc()))))


@router.get(
    "/{epoch_id}", response_model=EpochPublic, summary="One epoch", responses={404: {"description": "not funded"}}
)
def get_epoch(epoch_id: EpochId, session: SessionDep) -> EpochPublic:
    return _public(session, [_epoch_or_404(session, epoch_id)])[0]


@router.get(
    "/{epoch_id}/allocations",
    response_model=AllocationPage,
    summary="The epoch's allocations by leaf index",
    responses={404: {"description": "not funded"}, 400: {"description": "malformed page token"}},
)
def list_allocations(
    epoch_id: EpochId, session: SessionDep, limit: LimitDep, page_token: PageToken = None
) -> AllocationPage:
    _epoch_or_404(session, epoch_id)
    query = select(m.AllocationRow).where(m.AllocationRow.epoch_id == epoch_id)
    if page_token is not None:
        try:
            query = query.where(m.AllocationRow.leaf_index > decode_page_token(page_token))
        except PageTokenError as exc:
            raise HTTPException(400, str(exc)) from None
    rows = list(session.scalars(query.order_by(m.AllocationRow.leaf_index).limit(limit + 1)))
    page = rows[:limit]
    claimed = set(
        session.scalars(
            select(m.Claim.leaf_index).where(
                m.Claim.epoch_id == epoch_id, m.Claim.leaf_index.in_([r.leaf_index for r in page])
            )
        )
    )
    return AllocationPage(
        items=[
            EpochAllocationPublic(
                epoch_id=epoch_id,
                index=r.leaf_index,
                account=r.account,
                amount=str(r.amount),
                claimed=r.leaf_index in claimed,
            )
            for r in page
        ],
        next_page_token=encode_page_token(page[-1].leaf_index) if len(rows) > limit else None,
    )


@router.get(
    "/{epoch_id}/proofs/{address}",
    response_model=ProofPublic,
    summary="An account's allocation in the epoch with its merkle proof, ready for claim()",
    responses={404: {"description": "not funded, report not loaded, or no allocation for the account"}},
)
def get_proof(
    epoch_id: EpochId, address: Annotated[AddressStr, Path()], session: SessionDep, deployment: DeploymentDep
) -> ProofPublic:
    epoch = _epoch_or_404(session, epoch_id)
    if epoch.report_status != "ok":
        raise HTTPException(
            404, f"epoch {epoch_id}'s report is {epoch.report_status}: {epoch.report_error or 'no proofs yet'}"
        )
    rows = list(
        session.scalars(
            select(m.AllocationRow)
            .where(m.AllocationRow.epoch_id == epoch_id, m.AllocationRow.account == address)
            .order_by(m.AllocationRow.leaf_index)
        )
    )
    if not rows:
        raise HTTPException(404, f"{address} has no allocation in epoch {epoch_id}")
    claimed = set(
        session.scalars(
            select(m.Claim.leaf_index).where(
                m.Claim.epoch_id == epoch_id, m.Claim.leaf_index.in_([r.leaf_index for r in rows])
            )
        )
    )
    row = next((r for r in rows if r.leaf_index not in claimed), rows[0])
    return ProofPublic(
        epoch_id=epoch_id,
        index=row.leaf_index,
        amount=str(row.amount),
        proof=json.loads(row.proof),
        account=address,
        merkle_root=epoch.merkle_root,
        claimed=row.leaf_index in claimed,
        distributor=deployment.address("distributor"),
    )
