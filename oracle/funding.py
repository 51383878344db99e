"""The epoch's funding proposal, and how the journal stores it (every byte, so that the proposal
sent after a restart is the one whose id was recorded before the crash)."""

from __future__ import annotations

from typing import Any

from eth_utils import to_bytes
from web3 import Web3

from dao.abi import abi
from dao.proposals import Action, Proposal


def funding_proposal(*, token: str, distributor: str, epoch: int, merkle_root: str, total: int, report_cid: str,
                     claim_deadline: int) -> Proposal:
    """approve(distributor, total) then fundEpoch(epoch, root, total, reportCid, claimDeadline),
    described with the epoch and the report CID."""
    eth = Web3().eth
    approve = eth.contract(abi=abi("MeritToken")).encode_abi("approve", args=[Web3.to_checksum_address(distributor), total])
    fund = eth.contract(abi=abi("RewardDistributor")).encode_abi(
        "fundEpoch", args=[epoch, to_bytes(hexstr=merkle_root), total, report_cid, claim_deadline])
    description = (f"# Fund OpenMerit epoch {epoch}\n\nReport: ipfs://{report_cid}\n"
                   f"Merkle root: {merkle_root}\nTotal: {total} base units\nClaim deadline: {claim_deadline}\n")
    return Proposal(actions=(Action(token, approve), Action(distributor, fund)), description=description)


def proposal_to_json(proposal: Proposal) -> dict[str, Any]:
    return {
        "description": proposal.description,
        "actions": [{"target": a.target, "value": str(a.value), "calldata": "0x" + a.calldata.hex()}
                    for a in proposal.actions],
        "proposal_id": str(proposal.proposal_id),
    }


def proposal_from_json(data: dict[str, Any]) -> Proposal:
    proposal = Proposal(
        actions=tuple(Action(target=a["target"], calldata=a["calldata"], value=int(a["value"]))
                      for a in data["actions"]),
        description=data["description"],
    )
    if str(proposal.proposal_id) != data["proposal_id"]:
        raise ValueError("the journaled proposal does not hash to its recorded id: the journal was altered")
    return proposal
