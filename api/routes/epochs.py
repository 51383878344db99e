"""Epochs: every project's epochs on its clock (commits, reveals, the revealed hidden slice, the
funding), the funded epochs of all projects with their verification, allocations and claim
proofs. A funded epoch is named by (project_id, epoch); the distributor's `epoch_key` is given
beside it."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api import models as m
from api.clock import current_epoch, indexed_now, project_clocks
from api.deps import DeploymentDep, LimitDep, SessionDep
from api.routes.contributions import PageToken
from api.routes.projects import ProjectId, clock_public, project_or_404
from api.schemas import (
    AddressStr,
    AllocationPage,
    DbId,
    EpochAllocationPublic,
    EpochVerificationPublic,
    FundedEpochPublic,
    PageTokenError,
    ProjectEpochPage,
    ProjectEpochPublic,
    ProofPublic,
    RevealedSlicePublic,
    VerificationDifference,
    VerificationPublic,
    decode_page_token,
    encode_page_token,
)
from dao.epochs import EpochClock
from dao.proposals import epoch_key
from dao.vocabulary import Status

router = APIRouter(tags=["epochs"])

EpochNumber = Annotated[DbId, Path(description="the project's epoch number", examples=[3])]
EpochKey = tuple[int, int]  # (project_id, epoch)


EMBEDDED_DIFFERENCES = 20  # differences shown inside the epoch views; .../verification lists all


def verification_public(epoch: m.Epoch, *, limit: int | None = EMBEDDED_DIFFERENCES) -> VerificationPublic:
    differences = json.loads(epoch.verification_differences or "[]")
    return VerificationPublic(
        status=epoch.verification_status,  # one of the statuses the indexer writes
        differences=[VerificationDifference(**d) for d in differences[:limit]],
        difference_count=len(differences),
        unchecked=json.loads(epoch.verification_unchecked or "[]"),
        reason=epoch.verification_error,
        checked_block=epoch.verified_block,
        checked_at=epoch.verified_at,
    )


def funded_public(session: Session, epochs: list[m.Epoch]) -> list[FundedEpochPublic]:
    keys = {(e.project_id, e.epoch) for e in epochs}
    projects = sorted({p for p, _ in keys})
    claimed: dict[EpochKey, int] = defaultdict(int)
    for project_id, epoch, amount in session.execute(
        select(m.Claim.project_id, m.Claim.epoch, m.Claim.amount).where(m.Claim.project_id.in_(projects))
    ):
        claimed[(project_id, epoch)] += amount
    sweeps = {
        (s.project_id, s.epoch): s for s in session.scalars(select(m.Sweep).where(m.Sweep.project_id.in_(projects)))
    }
    counts = {
        (row.project_id, row.epoch): row.n
        for row in session.execute(
            select(m.AllocationRow.project_id, m.AllocationRow.epoch, func.count().label("n"))
            .where(m.AllocationRow.project_id.in_(projects))
            .group_by(m.AllocationRow.project_id, m.AllocationRow.epoch)
        )
    }
    out = []
    for e in epochs:
        key = (e.project_id, e.epoch)
        sweep = sweeps.get(key)
        out.append(
            FundedEpochPublic(
                project_id=e.project_id,
                epoch=e.epoch,
                epoch_key=str(e.epoch_key),
                merkle_root=e.merkle_root,
                total=str(e.total),
                claimed=str(claimed.get(key, 0)),
                report_cid=e.report_cid,
                claim_deadline=e.claim_deadline,
                swept=sweep is not None,
                swept_amount=str(sweep.amount) if sweep is not None else None,
                report_status=e.report_status,
                report_error=e.report_error,
                allocations=counts.get(key, 0),
                block_number=e.block_number,
                tx_hash=e.tx_hash,
                verification=verification_public(e),
            )
        )
    return out


@router.get("/epochs", response_model=list[FundedEpochPublic], summary="Funded epochs of every project, newest first")
def list_funded_epochs(session: SessionDep, limit: LimitDep) -> list[FundedEpochPublic]:
    rows = session.scalars(
        select(m.Epoch).order_by(m.Epoch.block_number.desc(), m.Epoch.project_id, m.Epoch.epoch.desc()).limit(limit)
    )
    return funded_public(session, list(rows))


def _clock_or_404(session: Session, project_id: int) -> EpochClock:
    project_or_404(session, project_id)
    clock = project_clocks(session, [project_id]).get(project_id)
    if clock is None:
        raise HTTPException(404, f"project {project_id} has no indexed schedule yet")
    return clock


def _epoch_items(
    session: Session, project_id: int, clock: EpochClock, now: int | None, epochs: list[int]
) -> list[ProjectEpochPublic]:
    low, high = min(epochs), max(epochs)
    in_range = (m.Contribution.project_id == project_id) & m.Contribution.epoch.between(low, high)
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in session.execute(
        select(m.Contribution.epoch, m.Contribution.status, func.count().label("n"))
        .where(in_range)
        .group_by(m.Contribution.epoch, m.Contribution.status)
    ):
        counts[row.epoch][row.status] += row.n
    slices = {
        s.epoch: s
        for s in session.scalars(
            select(m.RevealedSlice).where(
                m.RevealedSlice.project_id == project_id, m.RevealedSlice.epoch.between(low, high)
            )
        )
    }
    funded_rows = list(
        session.scalars(select(m.Epoch).where(m.Epoch.project_id == project_id, m.Epoch.epoch.between(low, high)))
    )
    funded = {f.epoch: f for f in funded_public(session, funded_rows)}
    revealed_states = (Status.REVEALED.value, Status.ACCEPTED.value, Status.REJECTED.value)
    items = []
    for epoch in epochs:
        by_status = counts.get(epoch, {})
        piece = slices.get(epoch)
        items.append(
            ProjectEpochPublic(
                **clock_public(clock.windows(epoch), now).model_dump(),
                project_id=project_id,
                bond=str(clock.bond(epoch)),
                commits=sum(by_status.values()),
                reveals=sum(by_status.get(s, 0) for s in revealed_states),
                forfeited=by_status.get(Status.FORFEITED.value, 0),
                slice=None
                if piece is None
                else RevealedSlicePublic(
                    slice_set=piece.slice_set,
                    index=piece.slice_index,
                    cid=piece.cid,
                    content_hash=piece.content_hash,
                    salt=piece.salt,
                    block_number=piece.block_number,
                    tx_hash=piece.tx_hash,
                ),
                funding=funded.get(epoch),
            )
        )
    return items


@router.get(
    "/projects/{project_id}/epochs",
    response_model=ProjectEpochPage,
    summary="A project's epochs, from the current one (or the newest with activity) down to 0",
    responses={404: {"description": "no such project"}, 400: {"description": "malformed page token"}},
)
def list_project_epochs(
    project_id: ProjectId, session: SessionDep, limit: LimitDep, page_token: PageToken = None
) -> ProjectEpochPage:
    clock = _clock_or_404(session, project_id)
    now = indexed_now(session)
    newest = [current_epoch(clock, now).epoch if now is not None else 0]
    for column, where in (
        (m.Contribution.epoch, m.Contribution.project_id),
        (m.Epoch.epoch, m.Epoch.project_id),
        (m.RevealedSlice.epoch, m.RevealedSlice.project_id),
    ):
        newest.append(session.scalar(select(func.max(column)).where(where == project_id)) or 0)
    top = max(newest)
    if page_token is not None:
        try:
            top = min(top, decode_page_token(page_token) - 1)
        except PageTokenError as exc:
            raise HTTPException(400, str(exc)) from None
    epochs = list(range(top, max(top - limit, -1), -1))
    if not epochs:
        return ProjectEpochPage(items=[], next_page_token=None)
    items = _epoch_items(session, project_id, clock, now, epochs)
    return ProjectEpochPage(items=items, next_page_token=encode_page_token(epochs[-1]) if epochs[-1] > 0 else None)


@router.get(
    "/projects/{project_id}/epochs/{epoch}",
    response_model=ProjectEpochPublic,
    summary="One epoch of a project: windows and phase, commits and reveals, hidden slice, funding",
    responses={404: {"description": "no such project"}},
)
def get_project_epoch(project_id: ProjectId, epoch: EpochNumber, session: SessionDep) -> ProjectEpochPublic:
    clock = _clock_or_404(session, project_id)
    return _epoch_items(session, project_id, clock, indexed_now(session), [epoch])[0]


def _funded_or_404(session: Session, project_id: int, epoch: int) -> m.Epoch:
    funded = session.get(m.Epoch, (project_id, epoch))
    if funded is None:
        raise HTTPException(404, f"epoch {epoch} of project {project_id} was not funded (or is not indexed yet)")
    return funded


@router.get(
    "/projects/{project_id}/epochs/{epoch}/verification",
    response_model=EpochVerificationPublic,
    summary="Whether the funded epoch's report matches the chain and its recomputation, with every difference",
    responses={404: {"description": "not funded (or not indexed yet)"}},
)
def get_verification(project_id: ProjectId, epoch: EpochNumber, session: SessionDep) -> EpochVerificationPublic:
    funded = _funded_or_404(session, project_id, epoch)
    return EpochVerificationPublic(
        **verification_public(funded, limit=None).model_dump(),
        project_id=project_id,
        epoch=epoch,
        report_cid=funded.report_cid,
    )


def _claimed_indexes(session: Session, project_id: int, epoch: int, indexes: list[int]) -> set[int]:
    return set(
        session.scalars(
            select(m.Claim.leaf_index).where(
                m.Claim.project_id == project_id, m.Claim.epoch == epoch, m.Claim.leaf_index.in_(indexes)
            )
        )
    )


@router.get(
    "/projects/{project_id}/epochs/{epoch}/allocations",
    response_model=AllocationPage,
    summary="The funded epoch's allocations by leaf index (keyset pages)",
    responses={404: {"description": "not funded"}, 400: {"description": "malformed page token"}},
)
def list_allocations(
    project_id: ProjectId, epoch: EpochNumber, session: SessionDep, limit: LimitDep, page_token: PageToken = None
) -> AllocationPage:
    _funded_or_404(session, project_id, epoch)
    query = select(m.AllocationRow).where(m.AllocationRow.project_id == project_id, m.AllocationRow.epoch == epoch)
    if page_token is not None:
        try:
            query = query.where(m.AllocationRow.leaf_index > decode_page_token(page_token))
        except PageTokenError as exc:
            raise HTTPException(400, str(exc)) from None
    rows = list(session.scalars(query.order_by(m.AllocationRow.leaf_index).limit(limit + 1)))
    page = rows[:limit]
    claimed = _claimed_indexes(session, project_id, epoch, [r.leaf_index for r in page])
    key = str(epoch_key(project_id, epoch))
    return AllocationPage(
        items=[
            EpochAllocationPublic(
                project_id=project_id,
                epoch=epoch,
                epoch_key=key,
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
    "/projects/{project_id}/epochs/{epoch}/proofs/{address}",
    response_model=ProofPublic,
    summary="An account's allocation in the funded epoch with its merkle proof, ready for claim()",
    responses={404: {"description": "not funded, report not loaded, or no allocation for the account"}},
)
def get_proof(
    project_id: ProjectId,
    epoch: EpochNumber,
    address: Annotated[AddressStr, Path()],
    session: SessionDep,
    deployment: DeploymentDep,
) -> ProofPublic:
    funded = _funded_or_404(session, project_id, epoch)
    if funded.report_status != "ok":
        raise HTTPException(
            404,
            f"the report of epoch {epoch} of project {project_id} is {funded.report_status}: "
            f"{funded.report_error or 'no proofs yet'}",
        )
    rows = list(
        session.scalars(
            select(m.AllocationRow)
            .where(
                m.AllocationRow.project_id == project_id,
                m.AllocationRow.epoch == epoch,
                m.AllocationRow.account == address,
            )
            .order_by(m.AllocationRow.leaf_index)
        )
    )
    if not rows:
        raise HTTPException(404, f"{address} has no allocation in epoch {epoch} of project {project_id}")
    claimed = _claimed_indexes(session, project_id, epoch, [r.leaf_index for r in rows])
    row = next((r for r in rows if r.leaf_index not in claimed), rows[0])
    return ProofPublic(
        project_id=project_id,
        epoch=epoch,
        epoch_key=str(funded.epoch_key),
        index=row.leaf_index,
        amount=str(row.amount),
        proof=json.loads(row.proof),
        account=address,
        merkle_root=funded.merkle_root,
        claimed=row.leaf_index in claimed,
        distributor=deployment.address("distributor"),
    )
