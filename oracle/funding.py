"""The epoch's funding proposal, and how the journal stores it (every byte, so that the proposal
sent after a restart is the one whose id was recorded before the crash)."""

from __future__ import annotations

from typing import Any

from dao.proposals import Action, Proposal, fund_epoch_proposal


def funding_proposal(
    *,
    token: str,
    distributor: str,
    project_id: int,
    epoch: int,
    merkle_root: str,
    total: int,
    report_cid: str,
    claim_deadline: int,
    proposer: str,
    attempt: int,
) -> Proposal:
    """approve(distributor, total) then fundEpoch(projectId, epoch, root, total, reportCid,
    claimDeadline), described with the project, epoch, report CID and attempt, and proposable by
    `proposer` alone (dao.proposals.fund_epoch_proposal)."""
    details = (
        f"Merkle root: {merkle_root}\nTotal: {total} token base units\nClaim deadline: {claim_deadline} (unix time)"
    )
    return fund_epoch_proposal(
        token,
        distributor,
        project_id,
        epoch,
        merkle_root,
        total,
        report_cid,
        claim_deadline,
        proposer=proposer,
        attempt=attempt,
        description=details,
    )


def proposal_to_json(proposal: Proposal) -> dict[str, Any]:
    return {
        "description": proposal.description,
        "actions": [
            {"target": a.target, "value": str(a.value), "calldata": "0x" + a.calldata.hex()} for a in proposal.actions
        ],
        "proposal_id": str(proposal.proposal_id),
    }


def proposal_from_json(data: dict[str, Any]) -> Proposal:
    proposal = Proposal(
        actions=tuple(
            Action(target=a["target"], calldata=a["calldata"], value=int(a["value"])) for a in data["actions"]
        ),
        description=data["description"],
    )
    if str(proposal.proposal_id) != data["proposal_id"]:
        raise ValueError("the journaled proposal does not hash to its recorded id: the journal was altered")
    return proposal
