"""The epoch funding proposal, built without a chain: its two actions' calldata, its description
convention and the values it refuses. tests/contracts/rewards/test_governance_funding.py runs
the same proposal through the Governor, which proves the encoding agrees with the contracts."""

from __future__ import annotations

import pytest
from eth_abi import decode
from eth_utils import keccak, to_checksum_address

from dao.proposals import (
    FundingDescription,
    Proposal,
    calldata,
    decode_fund_epoch,
    fund_epoch_description,
    fund_epoch_proposal,
    parse_fund_epoch_description,
)

TOKEN = to_checksum_address("0x" + "70" * 20)
DISTRIBUTOR = to_checksum_address("0x" + "d1" * 20)
ORACLE = to_checksum_address("0x" + "0a" * 20)
ROOT = "0x" + "ab" * 32
CID = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
DEADLINE = 1_900_000_000


def proposal(**changes: object) -> Proposal:
    values: dict[str, object] = dict(
        token=TOKEN,
        distributor=DISTRIBUTOR,
        project_id=3,
        epoch=7,
        merkle_root=ROOT,
        total=12_345 * 10**18,
        report_cid=CID,
        claim_deadline=DEADLINE,
        proposer=ORACLE,
        description="Scores of week 7: 31 contributions, 12 paid.",
    )
    values.update(changes)
    return fund_epoch_proposal(**values)  # type: ignore[arg-type]


def selector(signature: str) -> bytes:
    return keccak(text=signature)[:4]


def test_the_first_action_approves_the_distributor_for_the_total() -> None:
    approve = proposal().actions[0]
    assert approve.target == TOKEN and approve.value == 0
    assert approve.calldata[:4] == selector("approve(address,uint256)")
    assert decode(["address", "uint256"], approve.calldata[4:]) == (DISTRIBUTOR.lower(), 12_345 * 10**18)


def test_the_second_action_funds_the_projects_epoch() -> None:
    fund = proposal().actions[1]
    assert fund.target == DISTRIBUTOR and fund.value == 0
    assert fund.calldata[:4] == selector("fundEpoch(uint256,uint256,bytes32,uint256,string,uint64)")
    assert decode(["uint256", "uint256", "bytes32", "uint256", "string", "uint64"], fund.calldata[4:]) == (
        3,
        7,
        bytes.fromhex("ab" * 32),
        12_345 * 10**18,
        CID,
        DEADLINE,
    )
    decoded = decode_fund_epoch(fund.calldata)
    assert decoded is not None and (decoded.project_id, decoded.epoch, decoded.epoch_key) == (3, 7, (3 << 128) | 7)


def test_the_root_may_be_hex_or_bytes() -> None:
    assert proposal(merkle_root=bytes.fromhex("ab" * 32)) == proposal()


def test_the_description_names_the_epoch_and_report_and_ends_with_its_only_proposer() -> None:
    text = proposal().description
    assert text == (
        f"# Fund OpenMerit project 3, reward epoch 7\n\nReport: ipfs://{CID}\nAttempt: 1\n"
        f"\nScores of week 7: 31 contributions, 12 paid.\n#proposer={ORACLE}"
    )
    said = parse_fund_epoch_description(text)
    assert said == FundingDescription(project_id=3, epoch=7, report_cid=CID, attempt=1, proposer=ORACLE)


def test_another_attempt_is_another_proposal() -> None:
    again = proposal(attempt=2)
    said = parse_fund_epoch_description(again.description)
    assert said is not None and said.attempt == 2 and again.proposal_id != proposal().proposal_id


def test_the_free_text_is_optional() -> None:
    assert fund_epoch_description(3, 0, CID, proposer=ORACLE) == (
        f"# Fund OpenMerit project 3, reward epoch 0\n\nReport: ipfs://{CID}\nAttempt: 1\n#proposer={ORACLE}"
    )
    assert proposal(description="  ").description == fund_epoch_description(3, 7, CID, proposer=ORACLE)


@pytest.mark.parametrize(
    "text",
    [
        "Mint to a contributor",
        f"# Fund OpenMerit project 3, reward epoch x\n\nReport: ipfs://{CID}\nAttempt: 1\n#proposer={ORACLE}",
        f"# Fund OpenMerit project 3, reward epoch 7\nReport: ipfs://{CID}\nAttempt: 1\n#proposer={ORACLE}",
        f"Intro\n# Fund OpenMerit project 3, reward epoch 7\n\nReport: ipfs://{CID}\nAttempt: 1\n#proposer={ORACLE}",
        # the restricted-proposer suffix must be the very last characters, or Governor ignores it
        f"# Fund OpenMerit project 3, reward epoch 7\n\nReport: ipfs://{CID}\nAttempt: 1\n#proposer={ORACLE}\n",
    ],
)
def test_other_descriptions_are_not_read_as_funding(text: str) -> None:
    assert parse_fund_epoch_description(text) is None


def test_the_proposal_id_depends_on_every_argument() -> None:
    base = proposal().proposal_id
    changed = [
        proposal(project_id=4),
        proposal(epoch=8),
        proposal(total=1),
        proposal(claim_deadline=DEADLINE + 1),
        proposal(merkle_root="0x" + "cd" * 32),
        proposal(report_cid=CID[:-1] + "a"),
        proposal(description="another summary"),
        proposal(proposer=TOKEN),
        proposal(attempt=3),
    ]
    ids = {p.proposal_id for p in changed}
    assert base not in ids and len(ids) == len(changed)
    assert proposal().proposal_id == base


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"merkle_root": "0x" + "00" * 32}, "merkle_root must not be zero"),
        ({"merkle_root": "0x" + "ab" * 31}, "merkle_root must be 32 bytes, got 31"),
        ({"total": 0}, "total must be"),
        ({"total": 2**96}, "total must be"),
        ({"total": True}, "total must be"),
        ({"total": 1.5e18}, "total must be"),
        ({"claim_deadline": 0}, "claim_deadline must be"),
        ({"claim_deadline": 2**64}, "claim_deadline must be"),
        ({"epoch": -1}, "epoch must be"),
        ({"project_id": -1}, "project_id must be"),
        ({"epoch": 2**128}, "epoch must be an integer in 0..2\\^128-1"),
        ({"report_cid": ""}, "report_cid must be"),
        ({"report_cid": "bafy with space"}, "report_cid must be"),
        ({"report_cid": "b" * 129}, "report_cid must be"),
        ({"token": "0x1234"}, "token must be a 20-byte hex address"),
        ({"distributor": None}, "distributor must be a 20-byte hex address"),
        ({"proposer": "oracle"}, "proposer must be a 20-byte hex address"),
        ({"attempt": 0}, "attempt must be a positive integer"),
    ],
)
def test_values_the_contracts_would_refuse_are_refused_here(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        proposal(**changes)


def test_calldata_checks_the_function_and_its_arguments() -> None:
    assert calldata("RewardDistributor", "sweep", 3) == selector("sweep(uint256)") + (3).to_bytes(32, "big")
    with pytest.raises(ValueError, match="RewardDistributor has 0 functions named 'withdraw'"):
        calldata("RewardDistributor", "withdraw", 1)
    with pytest.raises(ValueError, match="takes 1 arguments, got 2"):
        calldata("RewardDistributor", "sweep", 1, 2)
