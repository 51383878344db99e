"""The API's public models (`XPublic`) and validated input types.

Amounts and other uint256 values are decimal strings (JSON numbers lose precision past 2^53);
addresses are EIP-55 checksummed; CIDs are base32 CIDv1 (`dao.artifacts.normalize_cid`). Write
bodies refuse unknown fields.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any, Literal

from eth_utils import is_address, to_checksum_address
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from dao.artifacts.cid import normalize_cid
from dao.artifacts.errors import InvalidCidError
from dao.vocabulary import ContributionKind, Phase, Status

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


HexBytes32 = Annotated[
    str,
    AfterValidator(lambda value: value.lower()),
    Field(pattern=r"^0x[0-9a-fA-F]{64}$", examples=[EXAMPLE_ROOT], description="32 bytes as 0x-hex"),
]
BOND_STATES = "held | returned | forfeited | none (the commit posted no bond)"


class _Public(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ScheduleConfigPublic(BaseModel):
    """One of a project's schedule configurations: epochs from `from_epoch` on."""

    from_epoch: int = Field(examples=[0])
    start: int = Field(description="unix seconds at which epoch `from_epoch` starts", examples=[1735689600])
    commit_window: int = Field(description="seconds", examples=[86400])
    reveal_window: int = Field(description="seconds", examples=[43200])
    bond: Uint = Field(description="token base units each commit posts")


class EpochClockPublic(BaseModel):
    """An epoch's windows on its project's clock and where it is at `now`."""

    epoch: int = Field(examples=[3])
    commit_start: int = Field(description="unix seconds; commits in [commit_start, reveal_start)")
    reveal_start: int = Field(description="unix seconds; reveals in [reveal_start, end)")
    end: int = Field(description="unix seconds")
    phase: Phase | None = Field(None, description="at `now`; null while nothing is indexed")
    seconds_left: int | None = Field(None, description="until the phase ends (0 once closed)")


class SlicesPublic(BaseModel):
    """The project's current set of committed hidden answer slices."""

    slice_set: int = Field(examples=[1])
    slices_root: str = Field(examples=[EXAMPLE_ROOT])
    count: int
    used: int = Field(description="revealed, one per scored epoch")
    left: int


class ProjectPublic(_Public):
    project_id: int = Field(examples=[1])
    name: str = Field(examples=["iris-classifier"])
    task: str = Field(examples=["classification"])
    metric: str = Field(examples=["accuracy"])
    benchmark_cid: str = Field(examples=[EXAMPLE_CID])
    paused: bool = False
    contributions: int = Field(0, description="commits made to it")
    schedule: ScheduleConfigPublic | None = Field(None, description="the configuration in effect at `now`")
    pending_schedule: ScheduleConfigPublic | None = Field(
        None, description="a change that takes effect from a later epoch, if any"
    )
    now: int | None = Field(None, description="timestamp of the newest indexed block: the time the clock is read at")
    current_epoch: EpochClockPublic | None = None
    slices: SlicesPublic | None = None
    block_number: int
    tx_hash: str


class ContributionPublic(_Public):
    contribution_id: int = Field(examples=[42])
    project_id: int = Field(examples=[1])
    epoch: int = Field(examples=[3], description="the project epoch it was committed in")
    contributor: str = Field(examples=[EXAMPLE_ADDRESS])
    status: Status = Field(
        description="committed; revealed; accepted or rejected (attested valid or invalid); "
        "forfeited (never revealed, bond to the treasury)"
    )
    commitment: str = Field(examples=[EXAMPLE_ROOT])
    bond: Uint
    bond_state: str = Field(description=BOND_STATES, examples=["held"])
    relayer: str | None = Field(None, description="who sent the commit for the contributor, if relayed")
    block_number: int = Field(description="block of the commit")
    tx_hash: str = Field(description="transaction of the commit")
    kind: ContributionKind | str | None = Field(None, description="once revealed")
    cid: str | None = Field(None, examples=[EXAMPLE_CID], description="once revealed")
    reveal_block: int | None = None
    reveal_tx: str | None = None
    reveal_relayer: str | None = None
    score: Uint | None = Field(None, description="once attested")
    valid: bool | None = Field(None, description="once attested")
    report_cid: str | None = None


class ScoreExplanationPublic(_Public):
    project_id: int
    epoch: int
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
    epoch_clock: EpochClockPublic | None = Field(None, description="its epoch's windows and phase at the index's now")
    explanation: ScoreExplanationPublic | None = Field(None, description="from the epoch report that scored it")


class ContributionPage(BaseModel):
    items: list[ContributionPublic]
    next_page_token: str | None = Field(None, description="pass as ?page_token= for the next page; null at the end")


class EpochAllocationPublic(_Public):
    project_id: int
    epoch: int
    epoch_key: Uint = Field(description="(project_id << 128) | epoch: the distributor's name of the epoch")
    index: int
    account: str
    amount: Uint
    claimed: bool


class ContributorPublic(BaseModel):
    address: str = Field(examples=[EXAMPLE_ADDRESS])
    contributions: int
    committed: int
    revealed: int
    accepted: int
    rejected: int
    forfeited: int
    total_score: Uint = Field(description="sum of the scores of accepted contributions")
    bonds_held: Uint
    allocated: Uint = Field(description="sum of their allocations over every funded epoch")
    claimed: Uint
    projects: list[int]
    allocations: list[EpochAllocationPublic]


class VerificationDifference(BaseModel):
    """One way the epoch's report departs from the chain's record or from its recomputation."""

    path: str = Field(
        description="where: a dotted path into the report, list positions in brackets; `chain.*` is what "
        "the chain records of the epoch (funding, revealed slice), `report` the report as a whole",
        examples=["allocations[0].amount_wei"],
    )
    reported: Any = Field(
        None, description="what the report says (integers past 2^53 as decimal strings)", examples=["600000000"]
    )
    expected: Any = Field(
        None,
        description="what the chain records, or what recomputing the epoch from its public artifacts gives",
        examples=["500000000"],
    )


VERIFICATION_STATUSES = (
    "pending (not checked yet, or the report is not loaded) | matches (the report agrees with the chain "
    "and with its recomputation) | differs (see `differences`) | unavailable (something the check needs "
    "is not there yet, see `reason`; tried again by the indexer)"
)


class VerificationPublic(BaseModel):
    """The epoch's report checked by the indexer as anyone can check it: against what the chain
    records of the epoch (its funding, its revealed hidden slice, its reveals, the previous epoch's
    report) and against scoring the epoch again from its public artifacts (`merit verify`)."""

    status: Literal["pending", "matches", "differs", "unavailable"] = Field(
        description=VERIFICATION_STATUSES, examples=["matches"]
    )
    differences: list[VerificationDifference] = Field(
        default_factory=list, description="empty unless `differs`; in the epoch views, the first 20 only"
    )
    difference_count: int = Field(0, description="all the differences (GET .../verification lists every one)")
    unchecked: list[str] = Field(
        default_factory=list,
        description="what public data could not settle (never counted as a match), e.g. the scoring parameters",
    )
    reason: str | None = Field(None, description="why it is unavailable")
    checked_block: int | None = Field(None, description="the newest indexed block when it was checked")
    checked_at: int | None = Field(None, description="that block's time, unix seconds")


class EpochVerificationPublic(VerificationPublic):
    project_id: int = Field(examples=[1])
    epoch: int = Field(examples=[3])
    report_cid: str


class FundedEpochPublic(_Public):
    project_id: int = Field(examples=[1])
    epoch: int = Field(examples=[3])
    epoch_key: Uint
    merkle_root: str = Field(examples=[EXAMPLE_ROOT])
    total: Uint
    claimed: Uint
    report_cid: str
    claim_deadline: int = Field(description="unix seconds")
    swept: bool
    swept_amount: Uint | None = None
    report_status: str = Field(
        description="ok | missing (not in the store yet) | invalid (unreadable, another epoch's, another root)",
        examples=["ok"],
    )
    report_error: str | None = None
    allocations: int
    block_number: int
    tx_hash: str
    verification: VerificationPublic = Field(description="whether the report is what the public data gives")


class RevealedSlicePublic(BaseModel):
    slice_set: int
    index: int
    cid: str
    content_hash: str
    salt: str
    block_number: int
    tx_hash: str


class ProjectEpochPublic(EpochClockPublic):
    """One epoch of a project: its clock, its commits and reveals, its hidden slice once revealed,
    and its funding once funded."""

    project_id: int = Field(examples=[1])
    bond: Uint
    commits: int = Field(description="contributions committed in it")
    reveals: int = Field(description="of those, revealed (attested ones included)")
    forfeited: int
    slice: RevealedSlicePublic | None = None
    funding: FundedEpochPublic | None = None


class ProjectEpochPage(BaseModel):
    items: list[ProjectEpochPublic]
    next_page_token: str | None = None


class AllocationPage(BaseModel):
    items: list[EpochAllocationPublic]
    next_page_token: str | None = None


class ClaimArgs(BaseModel):
    project_id: int
    epoch: int
    epoch_key: Uint = Field(description="the distributor's epochKey argument")
    index: int
    amount: Uint
    proof: list[str] = Field(examples=[[EXAMPLE_ROOT]])


class ProofPublic(ClaimArgs):
    account: str = Field(examples=[EXAMPLE_ADDRESS])
    merkle_root: str
    claimed: bool
    distributor: str = Field(description="RewardDistributor to call claim(epochKey, index, account, amount, proof) on")


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
    """What a funding proposal funds: its description (dao.proposals.fund_epoch_description) and its
    fundEpoch action, each read back; a field either leaves out is null."""

    project_id: int
    epoch: int
    epoch_key: Uint | None = Field(None, description="null when the numbers fit no distributor epoch")
    report_cid: str
    attempt: int | None = Field(None, description="from the description: 1, then 2 when proposed again, ...")
    proposer: str | None = Field(None, description="the only account the description lets propose it")
    merkle_root: str | None = Field(None, description="from the fundEpoch action")
    total: Uint | None = None
    claim_deadline: int | None = None
    consistent: bool = Field(
        description="description and action agree (project, epoch, report CID) and the proposer is the one named"
    )


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
        None, description="the project epoch a funding proposal funds, from its description and its action"
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
    """An entry of the deprecated all-kinds leaderboard (its scores add units that differ)."""

    rank: int
    contributor: str
    total_score: Uint = Field(description="sum of the raw on-chain scores (score x 1e9) of every kind")
    scored_contributions: int


class KindLeaderboardEntry(BaseModel):
    rank: int = Field(description="1 for the most tokens earned in this kind")
    contributor: str = Field(examples=[EXAMPLE_ADDRESS])
    tokens_earned: Uint = Field(
        description="token base units allocated to the account for this kind over the project's funded epochs "
        "(claimed or not); see the leaderboard's `attribution`"
    )
    tokens_claimed: Uint = Field(description="of its allocations in the epochs counted here, the base units claimed")
    score: float = Field(
        description="in the leaderboard's `score_unit`: for model_predictions the sum of its accepted gains over "
        "the champion, for labels the sum over epochs of its annotator score",
        examples=[0.031],
    )
    score_raw: Uint = Field(description="the same as attested on chain: round(score x 1e9) summed")
    scored_contributions: int = Field(description="accepted contributions of this kind with a score above zero")
    accepted_contributions: int = Field(description="contributions of this kind the oracle attested valid")
    epochs: list[int] = Field(description="the epochs it earned tokens or a score in, for this kind")


class KindLeaderboard(BaseModel):
    project_id: int = Field(examples=[1])
    kind: ContributionKind
    score_unit: str = Field(
        description="what `score` measures", examples=["accuracy gain over the champion (accuracy points)"]
    )
    attribution: str = Field(
        description="how an epoch's allocation (one per account, all kinds together) is counted for a kind"
    )
    entries: list[KindLeaderboardEntry]


class ArtifactPublic(BaseModel):
    cid: str = Field(examples=[EXAMPLE_CID])
    size: int


EXAMPLE_SIGNATURE = "0x" + "11" * 65
Signature = Annotated[
    str, Field(pattern=r"^0x[0-9a-fA-F]{130}$", description="65 bytes r, s, v as 0x-hex", examples=[EXAMPLE_SIGNATURE])
]


class CommitRelayRequest(BaseModel):
    """A contributor's EIP-712 Commit (dao.eip712.commit) and their signature."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "contributor": EXAMPLE_ADDRESS,
                    "project_id": 1,
                    "commitment": EXAMPLE_ROOT,
                    "nonce": 0,
                    "deadline": 1893456000,
                    "signature": EXAMPLE_SIGNATURE,
                }
            ]
        },
    )

    contributor: AddressStr
    project_id: int = Field(ge=1, lt=2**32)
    commitment: HexBytes32 = Field(description="dao.commitments.contribution_commitment")
    nonce: int = Field(ge=0, lt=2**256)
    deadline: int = Field(ge=0, lt=2**256)
    signature: Signature


class RevealRelayRequest(BaseModel):
    """A contributor's EIP-712 Reveal (dao.eip712.reveal) and their signature, with the project and
    epoch of the commit (the commitment binds them)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "contributor": EXAMPLE_ADDRESS,
                    "contribution_id": 42,
                    "project_id": 1,
                    "epoch": 3,
                    "kind": "model_predictions",
                    "cid": EXAMPLE_CID,
                    "salt": EXAMPLE_ROOT,
                    "nonce": 1,
                    "deadline": 1893456000,
                    "signature": EXAMPLE_SIGNATURE,
                }
            ]
        },
    )

    contributor: AddressStr
    contribution_id: int = Field(ge=1, le=MAX_DB_INT)
    project_id: int = Field(ge=1, lt=2**32)
    epoch: int = Field(ge=0, lt=2**32)
    kind: ContributionKind
    cid: CanonicalCidStr
    salt: HexBytes32
    nonce: int = Field(ge=0, lt=2**256)
    deadline: int = Field(ge=0, lt=2**256)
    signature: Signature


class RelayPublic(BaseModel):
    tx_hash: str
    contribution_id: int
    contributor: str
    project_id: int
    epoch: int
    block_number: int


MAX_RELAY_CLAIMS = 16  # a relayed claimMany's claims; more go in further requests
MAX_PROOF_LENGTH = 32  # RewardDistributor.MAX_PROOF_LENGTH


def _uint256(value: str) -> str:
    if int(value) >= 2**256:
        raise ValueError("over the uint256 range")
    return value


Uint256 = Annotated[Uint, AfterValidator(_uint256)]


class RelayClaimItem(BaseModel):
    """One allocation to claim, as `/contributors/{address}/unclaimed` serves it."""

    model_config = ConfigDict(extra="forbid")

    epoch_key: Uint256 = Field(description="the distributor's epochKey")
    index: int = Field(ge=0, lt=2**256)
    amount: Uint256
    proof: list[HexBytes32] = Field(max_length=MAX_PROOF_LENGTH)


class ClaimRelayRequest(BaseModel):
    """Claims the relayer sends as one claimMany(account, claims). No signature: the distributor
    pays only the account named in each leaf, whoever sends the claim."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "account": EXAMPLE_ADDRESS,
                    "claims": [
                        {
                            "epoch_key": "340282366920938463463374607431768211456",
                            "index": 0,
                            "amount": "7000000000000000000",
                            "proof": [EXAMPLE_ROOT],
                        }
                    ],
                }
            ]
        },
    )

    account: AddressStr
    claims: list[RelayClaimItem] = Field(min_length=1, max_length=MAX_RELAY_CLAIMS)


class RelayedClaimPublic(BaseModel):
    epoch_key: Uint
    index: int
    amount: Uint


class ClaimRelayPublic(BaseModel):
    tx_hash: str
    account: str
    amount: Uint = Field(description="token base units paid to the account")
    claims: list[RelayedClaimPublic]
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
