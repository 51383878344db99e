"""The API's public models (`XPublic`) and validated input types.

Amounts and other uint256 values are decimal strings (JSON numbers lose precision past 2^53);
addresses are EIP-55 checksummed; CIDs are base32 CIDv1 (`dao.artifacts.normalize_cid`). Write
bodies refuse unknown fields.
"""

from __future__ import annotations

import base64
import binascii
from enum import Enum
from typing import Annotated

from eth_utils import is_address, to_checksum_address
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from dao.artifacts.cid import normalize_cid
from dao.artifacts.errors import InvalidCidError
from dao.vocabulary import ContributionKind

EXAMPLE_ADDRESS = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
EXAMPLE_CID = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"
EXAMPLE_ROOT = "0x" + "ab" * 32
MAX_DB_INT = 2**63 - 1


def checksum_address(value: str) -> str:
    if not isinstance(value, str) or not is_address(value):
        raise ValueError(f"not a 20-byte hex address: {value!r}")
    digits = value[2:] if value.startswith(("0x", "0X")) else value
    if digits != digits.lower() and digits != digits.upper() and to_checksum_address(value) != value:
        raise ValueError(f"{value} has a wrong EIP-55 checksum (mistyped?)")
    return to_checksum_address(value)


def cid_string(value: str) -> str:
    try:
        return normalize_cid(value)
    except InvalidCidError as exc:
        raise ValueError(str(exc)) from None


def canonical_cid(value: str) -> str:
    """A CID already in its base32 CIDv1 form: what is signed is what goes on chain."""
    normal = cid_string(value)
    if normal != value:
        raise ValueError(f"sign the base32 CIDv1 form of the CID, {normal}, not {value}")
    return value


AddressStr = Annotated[
    str,
    AfterValidator(checksum_address),
    Field(examples=[EXAMPLE_ADDRESS], description="20-byte address; any case, EIP-55 checked"),
]
CidStr = Annotated[str, AfterValidator(cid_string), Field(examples=[EXAMPLE_CID], description="IPFS CID")]
CanonicalCidStr = Annotated[
    str, AfterValidator(canonical_cid), Field(examples=[EXAMPLE_CID], description="IPFS CID, base32 CIDv1")
]
DbId = Annotated[int, Field(ge=0, le=MAX_DB_INT)]
Uint = Annotated[
    str, Field(pattern=r"^[0-9]{1,78}$", examples=["1000000000000000000"], description="uint256 as a decimal string")
]


class Status(str, Enum):
    PENDING = "pending"
    SCORED = "scored"
    REJECTED = "rejected"


class _Public(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ProjectPublic(_Public):
    project_id: int = Field(examples=[1])
    name: str = Field(examples=["iris-classifier"])
    task: str = Field(examples=["classification"])
    metric: str = Field(examples=["accuracy"])
    benchmark_cid: str = Field(examples=[EXAMPLE_CID])
    answers_commitment: str = Field(examples=[EXAMPLE_ROOT])
    paused: bool = False
    contributions: int = Field(0, description="contributions submitted to it")
    block_number: int


class ContributionPublic(_Public):
    contribution_id: int = Field(examples=[42])
    project_id: int = Field(examples=[1])
    contributor: str = Field(examples=[EXAMPLE_ADDRESS])
    kind: ContributionKind
    cid: str = Field(examples=[EXAMPLE_CID])
    relayer: str | None = Field(None, description="who sent it for the contributor, if relayed")
    status: Status = Field(
        description="pending: not attested yet; scored: attested; rejected: its epoch report rejected it"
    )
    score: Uint | None = None
    report_cid: str | None = None
    epoch_id: int | None = None
    block_number: int
    tx_hash: str


class ScoreExplanationPublic(_Public):
    epoch_id: int
    accepted: bool
    metric: str | None = Field(None, examples=["accuracy"])
    metric_value: float | None = Field(None, examples=[0.93])
    gain: float | None = Field(None, description="gain over the champion", examples=[0.012])
    confidence_interval: tuple[float, float] | None = Field(
        None, description="bootstrap interval of the gain", examples=[[0.004, 0.02]]
    )
    rejection_reason: str | None = Field(None, examples=["no_significant_gain"])
    detail: str | None = None
    copy_of: str | None = None
    report_cid: str


class ContributionDetail(ContributionPublic):
    explanation: ScoreExplanationPublic | None = Field(None, description="from the epoch report that scored it")


class ContributionPage(BaseModel):
    items: list[ContributionPublic]
    next_page_token: str | None = Field(None, description="pass as ?page_token= for the next page; null at the end")


class EpochAllocationPublic(_Public):
    epoch_id: int
    index: int
    account: str
    amount: Uint
    claimed: bool


class ContributorPublic(BaseModel):
    address: str = Field(examples=[EXAMPLE_ADDRESS])
    contributions: int
    pending: int
    scored: int
    rejected: int
    total_score: Uint
    allocated: Uint = Field(description="sum of their allocations over every epoch")
    claimed: Uint
    projects: list[int]
    allocations: list[EpochAllocationPublic]


class EpochPublic(_Public):
    epoch_id: int = Field(examples=[1])
    merkle_root: str = Field(examples=[EXAMPLE_ROOT])
    total: Uint
    claimed: Uint
    report_cid: str
    claim_deadline: int = Field(description="unix seconds")
    swept: bool
    swept_amount: Uint | None = None
    report_status: str = Field(description="ok | missing (not in the store yet) | invalid", examples=["ok"])
    report_error: str | None = None
    project: str | None = None
    allocations: int
    block_number: int
    tx_hash: str


class AllocationPage(BaseModel):
    items: list[EpochAllocationPublic]
    next_page_token: str | None = None


class ClaimArgs(BaseModel):
    epoch_id: int
    index: int
    amount: Uint
    proof: list[str] = Field(examples=[[EXAMPLE_ROOT]])


class ProofPublic(ClaimArgs):
    account: str = Field(examples=[EXAMPLE_ADDRESS])
    merkle_root: str
    claimed: bool
    distributor: str = Field(description="RewardDistributor to call claim(epochId, index, account, amount, proof) on")


class UnclaimedPublic(BaseModel):
    account: str = Field(examples=[EXAMPLE_ADDRESS])
    total: Uint
    claims: list[ClaimArgs]
    distributor: str
    claim_many_calldata: str | None = Field(
        None, description="ABI-encoded claimMany(account, claims): send it to the distributor as is"
    )


class VotePublic(_Public):
    proposal_id: Uint
    voter: str
    support: str = Field(examples=["for"])
    weight: Uint
    reason: str
    block_number: int
    tx_hash: str


class FundsEpoch(BaseModel):
    epoch_id: int
    report_cid: str


class ProposalPublic(BaseModel):
    proposal_id: Uint
    proposer: str
    targets: list[str]
    values: list[Uint]
    calldatas: list[str]
    description: str
    vote_start: int
    vote_end: int
    state: str = Field(description="created | queued | executed | canceled (from events)", examples=["queued"])
    eta: int | None = None
    votes_for: Uint
    votes_against: Uint
    votes_abstain: Uint
    funds_epoch: FundsEpoch | None = Field(
        None, description="the epoch and report a reward proposal funds, read from its description"
    )
    block_number: int
    tx_hash: str


class DelegationPublic(BaseModel):
    delegator: str
    from_delegate: str
    to_delegate: str
    block_number: int
    tx_hash: str


class LeaderboardEntry(BaseModel):
    rank: int
    contributor: str
    total_score: Uint
    scored_contributions: int


class ArtifactPublic(BaseModel):
    cid: str = Field(examples=[EXAMPLE_CID])
    size: int


class SubmissionRelayRequest(BaseModel):
    """A contributor's EIP-712 Submission (dao.eip712.submission) and their signature."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "contributor": EXAMPLE_ADDRESS,
                    "project_id": 1,
                    "kind": "model_predictions",
                    "cid": EXAMPLE_CID,
                    "nonce": 0,
                    "deadline": 1893456000,
                    "signature": "0x" + "11" * 65,
                }
            ]
        },
    )

    contributor: AddressStr
    project_id: int = Field(ge=1, lt=2**56)
    kind: ContributionKind
    cid: CanonicalCidStr
    nonce: int = Field(ge=0, lt=2**256)
    deadline: int = Field(ge=0, lt=2**256)
    signature: str = Field(pattern=r"^0x[0-9a-fA-F]{130}$", description="65 bytes r, s, v as 0x-hex")


class RelayPublic(BaseModel):
    tx_hash: str
    contribution_id: int
    contributor: str
    block_number: int


class HealthPublic(BaseModel):
    status: str = Field(examples=["ok"])


class ReadinessPublic(BaseModel):
    status: str
    database: bool
    schema_revision: str | None
    indexed_block: int | None


class PageTokenError(ValueError):
    pass


def encode_page_token(last_key: int) -> str:
    return base64.urlsafe_b64encode(f"k:{last_key}".encode()).decode().rstrip("=")


def decode_page_token(token: str) -> int:
    """The key after which the next page starts; PageTokenError when the token is not one we made."""
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise PageTokenError(f"malformed page token: {token!r}") from None
    prefix, _, number = text.partition(":")
    if prefix != "k" or not number.isdigit() or int(number) > MAX_DB_INT:
        raise PageTokenError(f"malformed page token: {token!r}")
    return int(number)
