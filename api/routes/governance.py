"""Proposals, their votes, and delegations."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from api import models as m
from api.deps import LimitDep, SessionDep
from api.schemas import (
    AddressStr,
    DelegationPublic,
    FundsEpoch,
    ProposalPublic,
    VotePublic,
)
from dao.proposals import decode_fund_epoch, epoch_key, parse_fund_epoch_description

router = APIRouter(tags=["governance"])

SUPPORT = {0: "against", 1: "for", 2: "abstain"}
ProposalId = Annotated[str, Path(pattern=r"^[0-9]{1,78}$", description="proposal id, decimal", examples=["1234567890"])]


def funds_epoch(proposal: m.Proposal) -> FundsEpoch | None:
    """What a funding proposal funds, from its description and its fundEpoch action; None for
    proposals with neither."""
    described = parse_fund_epoch_description(proposal.description)
    calls = [decode_fund_epoch(bytes.fromhex(data.removeprefix("0x"))) for data in json.loads(proposal.calldatas)]
    action = next((c for c in calls if c is not None), None)
    if action is not None:
        project_id, epoch, report_cid = action.project_id, action.epoch, action.report_cid
    elif described is not None:
        project_id, epoch, report_cid = described.project_id, described.epoch, described.report_cid
    else:
        return None
    try:
        key: str | None = str(epoch_key(project_id, epoch))
    except ValueError:  # a description may name numbers no distributor epoch has
        key = None
    return FundsEpoch(
        project_id=project_id,
        epoch=epoch,
        epoch_key=key,
        report_cid=report_cid,
        attempt=described.attempt if described else None,
        proposer=described.proposer if described else None,
        merkle_root=action.merkle_root if action else None,
        total=str(action.total) if action else None,
        claim_deadline=action.claim_deadline if action else None,
        consistent=described is not None
        and action is not None
        and (described.project_id, described.epoch, described.report_cid)
        == (action.project_id, action.epoch, action.report_cid)
        and described.proposer == proposal.proposer,
    )


def _proposals_public(session: Session, proposals: list[m.Proposal]) -> list[ProposalPublic]:
    ids = [p.proposal_id for p in proposals]
    tallies: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for pid, support, weight in session.execute(
        select(m.Vote.proposal_id, m.Vote.support, m.Vote.weight).where(m.Vote.proposal_id.in_(ids))
    ):
        tallies[pid][support] += weight
    states: dict[int, tuple[str, int | None]] = {}
    extended: dict[int, int] = {}
    for e in session.scalars(
        select(m.ProposalEvent)
        .where(m.ProposalEvent.proposal_id.in_(ids))
        .order_by(m.ProposalEvent.block_number, m.ProposalEvent.log_index)
    ):
        if e.event == "extended":
            extended[e.proposal_id] = e.eta_or_deadline or 0
        else:
            states[e.proposal_id] = (
                e.event,
                e.eta_or_deadline if e.event == "queued" else states.get(e.proposal_id, ("", None))[1],
            )
    out = []
    for p in proposals:
        state, eta = states.get(p.proposal_id, ("created", None))
        votes = tallies[p.proposal_id]
        out.append(
            ProposalPublic(
                proposal_id=str(p.proposal_id),
                proposer=p.proposer,
                targets=json.loads(p.targets),
                values=json.loads(p.values),
                calldatas=json.loads(p.calldatas),
                description=p.description,
                vote_start=p.vote_start,
                vote_end=extended.get(p.proposal_id, p.vote_end),
                state=state,
                eta=eta,
                votes_for=str(votes[1]),
                votes_against=str(votes[0]),
                votes_abstain=str(votes[2]),
                funds_epoch=funds_epoch(p),
                block_number=p.block_number,
                tx_hash=p.tx_hash,
            )
        )
    return out


@router.get("/proposals", response_model=list[ProposalPublic], summary="Governor proposals, newest first")
def list_proposals(session: SessionDep, limit: LimitDep) -> list[ProposalPublic]:
    rows = list(session.scalars(select(m.Proposal).order_by(m.Proposal.block_number.desc()).limit(limit)))
    return _proposals_public(session, rows)


def _proposal_or_404(session: Session, proposal_id: str) -> m.Proposal:
    number = int(proposal_id)
    proposal = session.get(m.Proposal, number) if number < 2**256 else None
    if proposal is None:
        raise HTTPException(404, f"no proposal {proposal_id}")
    return proposal


@router.get(
    "/proposals/{proposal_id}",
    response_model=ProposalPublic,
    summary="One proposal with its tallies",
    responses={404: {"description": "no such proposal"}},
)
def get_proposal(proposal_id: ProposalId, session: SessionDep) -> ProposalPublic:
    return _proposals_public(session, [_proposal_or_404(session, proposal_id)])[0]


@router.get(
    "/proposals/{proposal_id}/votes",
    response_model=list[VotePublic],
    summary="The proposal's votes",
    responses={404: {"description": "no such proposal"}},
)
def list_votes(proposal_id: ProposalId, session: SessionDep) -> list[VotePublic]:
    proposal = _proposal_or_404(session, proposal_id)
    return [
        VotePublic(
            proposal_id=str(v.proposal_id),
            voter=v.voter,
            support=SUPPORT.get(v.support, str(v.support)),
            weight=str(v.weight),
            reason=v.reason,
            block_number=v.block_number,
            tx_hash=v.tx_hash,
        )
        for v in session.scalars(
            select(m.Vote)
            .where(m.Vote.proposal_id == proposal.proposal_id)
            .order_by(m.Vote.block_number, m.Vote.log_index)
        )
    ]


@router.get("/delegations", response_model=list[DelegationPublic], summary="Delegation changes, newest first")
def list_delegations(
    session: SessionDep,
    limit: LimitDep,
    delegator: Annotated[AddressStr | None, Query()] = None,
    delegate: Annotated[AddressStr | None, Query(description="to this delegate")] = None,
) -> list[DelegationPublic]:
    query = select(m.Delegation)
    if delegator is not None:
        query = query.where(m.Delegation.delegator == delegator)
    if delegate is not None:
        query = query.where(m.Delegation.to_delegate == delegate)
    rows = session.scalars(query.order_by(m.Delegation.block_number.desc(), m.Delegation.log_index.desc()).limit(limit))
    return [
        DelegationPublic(
            delegator=d.delegator,
            from_delegate=d.from_delegate,
            to_delegate=d.to_delegate,
            block_number=d.block_number,
            tx_hash=d.tx_hash,
        )
        for d in rows
    ]
