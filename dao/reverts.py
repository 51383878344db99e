"""Reverts in words: every custom error of the contracts' ABIs (ours and the OpenZeppelin errors
they can raise) as a sentence that says what happened and what to do, with the exit code the CLI
gives it (1 a refusal, 3 something named that does not exist).

Where a time matters (voting opens or ends, a timelock delay ends, a window closes) the sentence
says "in N s (at DATE)", measured from the chain's latest block when a node is at hand. An error no
sentence knows keeps its decoded name and arguments. tests/dao/test_reverts.py fails when an ABI
gains an error without a sentence here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from eth_utils import is_hex_address, keccak, to_checksum_address

from dao.proposals import ProposalState

EXIT_FAILED = 1
EXIT_NOT_FOUND = 3

ROLES = {
    "0x" + "00" * 32: "DEFAULT_ADMIN_ROLE",
    **{
        "0x" + keccak(text=name).hex(): name
        for name in ("MINTER_ROLE", "ORACLE_ROLE", "GUARDIAN_ROLE", "PROPOSER_ROLE", "EXECUTOR_ROLE", "CANCELLER_ROLE")
    },
}

# Errors about something named that does not exist: the CLI exits 3 on them.
NOT_FOUND = frozenset(
    {"RegistryUnknownProject", "RegistryUnknownContribution", "GovernorNonexistentProposal", "DistributorUnknownEpoch"}
)


@dataclass(frozen=True)
class Chain:
    """What a sentence may read from the chain: the latest block's time and the deployment's
    contracts (dao.chain.OpenMeritContracts); either may be None."""

    now: int | None = None
    contracts: Any = None

    def read(self, contract: str, function: str, *args: Any) -> Any:
        """A view call's result, or None when there is no chain or the call fails."""
        try:
            return getattr(getattr(self.contracts, contract).functions, function)(*args).call()
        except Exception:  # no chain here, or a node that does not answer: the sentence goes without
            return None


def when(timestamp: int | None, now: int | None) -> str:
    """``in 42 s (at 2025-05-01 12:00:00 UTC)``, ``42 s ago (at ...)``, or ``at ...``."""
    if timestamp is None:
        return "at a time this node did not give"
    at = datetime.fromtimestamp(int(timestamp), UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    if now is None:
        return f"at {at}"
    delta = int(timestamp) - int(now)
    return f"in {delta} s (at {at})" if delta >= 0 else f"{-delta} s ago (at {at})"


def _states(bitmap: bytes | int) -> list[ProposalState]:
    bits = int.from_bytes(bitmap, "big") if isinstance(bitmap, bytes) else int(bitmap)
    return [state for state in ProposalState if bits & (1 << state)]


_STATE_WORDS = {
    ProposalState.PENDING: "voting has not opened yet",
    ProposalState.ACTIVE: "voting is still open",
    ProposalState.CANCELED: "the proposal was canceled",
    ProposalState.DEFEATED: "the proposal was defeated (too few votes for, or no quorum)",
    ProposalState.SUCCEEDED: "the proposal succeeded and waits to be queued (`merit queue`)",
    ProposalState.QUEUED: "the proposal is queued in the timelock",
    ProposalState.EXPIRED: "the proposal expired",
    ProposalState.EXECUTED: "the proposal was executed",
}


def _proposal_state(args: dict[str, Any], chain: Chain) -> str:
    pid = args["proposalId"]
    current = ProposalState(args["current"])
    expected = _states(args["expectedStates"])
    if expected == [ProposalState.ACTIVE]:
        what = "voting is closed" if current > ProposalState.ACTIVE else "you cannot vote yet"
    elif ProposalState.SUCCEEDED in expected and ProposalState.QUEUED in expected:
        what = "the proposal cannot be executed"
    elif expected == [ProposalState.SUCCEEDED]:
        what = "the proposal cannot be queued"
    elif expected == [ProposalState.PENDING]:
        what = "the proposal can no longer be changed"
    else:
        what = "the proposal is not in a state that allows this"
    state = _STATE_WORDS[current]
    if current == ProposalState.PENDING:
        state += f": it opens {when(chain.read('governor', 'proposalSnapshot', pid), chain.now)}"
    elif current == ProposalState.ACTIVE:
        state += f": it ends {when(chain.read('governor', 'proposalDeadline', pid), chain.now)}"
        if ProposalState.SUCCEEDED in expected:
            state += "; if it passes, queue it then"
    elif current == ProposalState.QUEUED:
        eta = chain.read("governor", "proposalEta", pid)
        if ProposalState.SUCCEEDED in expected and ProposalState.QUEUED in expected:
            what = "the timelock delay has not ended"
        state += f"; it can be executed {when(eta, chain.now)} (`merit execute`)"
    return f"{what}: {state}"


def _timelock_state(args: dict[str, Any], chain: Chain) -> str:
    operation = args["operationId"]
    operation_id = bytes.fromhex(operation[2:]) if isinstance(operation, str) else operation
    # OpenZeppelin's TimelockController.OperationState: Unset, Waiting, Ready, Done
    bits = int.from_bytes(args["expectedStates"], "big") if isinstance(args["expectedStates"], bytes) else 0
    state = chain.read("timelock", "getOperationState", operation_id)
    if state == 1 or (state is None and bits == 1 << 2):
        ready = chain.read("timelock", "getTimestamp", operation_id)
        return f"the timelock delay has not ended: it ends {when(ready, chain.now)}; execute it then"
    if state == 3:
        return "the timelock already executed this operation"
    if state == 0:
        return "the timelock has no such operation: queue the proposal first (`merit queue`)"
    if bits == 1:
        return "the timelock already holds this operation (it was queued before)"
    return "the timelock operation is not in a state that allows this"


def _role(args: dict[str, Any], _chain: Chain) -> str:
    role = args["neededRole"]
    role_hex = "0x" + role.hex() if isinstance(role, bytes) else str(role)
    name = ROLES.get(role_hex.lower(), role_hex)
    who = args["account"]
    if name == "DEFAULT_ADMIN_ROLE":
        return f"{who} is not an admin of this contract; governance (the timelock) holds that role"
    return f"{who} lacks {name}: only an account governance granted {name} may do this"


def _at(key: str) -> Callable[[dict[str, Any], Chain], str]:
    return lambda args, chain: when(args[key], chain.now)


Sentence = str | Callable[[dict[str, Any], Chain], str]

# A str is formatted with the error's arguments and "{at:NAME}" placeholders are not used: a
# callable builds sentences that need times or reads.
SENTENCES: dict[str, Sentence] = {
    # governor
    "GovernorUnexpectedProposalState": _proposal_state,
    "GovernorAlreadyCastVote": "{voter} has already voted on this proposal; a vote cannot be changed",
    "GovernorInsufficientProposerVotes": (
        "{proposer} has {votes} votes (base units) and proposing needs {threshold}: "
        "get tokens delegated to it, or delegate your own (`merit delegate`)"
    ),
    "GovernorOnlyExecutor": "only the timelock may do this ({account} is not it): make it a proposal",
    "GovernorNonexistentProposal": "there is no proposal {proposalId} on this governor",
    "GovernorAlreadyQueuedProposal": "proposal {proposalId} is already queued: execute it after the timelock delay",
    "GovernorProposalQueueingFailed": "the timelock did not accept proposal {proposalId}",
    "GovernorProposalQueueingNotRequired": "proposal {proposalId} needs no queueing: execute it",
    "GovernorRestrictedProposer": "{proposer} may not make this proposal (its description names another proposer)",
    "GovernorUnableToCancel": "{account} cannot cancel proposal {proposalId}: only its proposer, while it is pending",
    "GovernorInvalidProposalLength": (
        "a proposal needs as many targets, calldatas and values ({targets}, {calldatas}, {values}), and at least one"
    ),
    "GovernorInvalidVoteType": "the vote must be for, against or abstain",
    "GovernorInvalidVoteParams": "this governor takes no vote parameters",
    "GovernorInvalidSignature": "the vote signature is not {voter}'s",
    "GovernorDisabledDeposit": "the governor takes no ETH: send it to the treasury (the timelock)",
    "GovernorInvalidQuorumFraction": "a quorum of {quorumNumerator}/{quorumDenominator} is more than the whole",
    "GovernorInvalidVotingPeriod": "a voting period of {votingPeriod} s is not allowed (it must be above 0)",
    "GovernorPreventLateQuorumVoteExtensionTooLarge": (
        "a late-quorum extension of {newVoteExtension} s is over the largest allowed, {maxVoteExtension} s"
    ),
    "ERC6372InconsistentClock": "the governor's clock and the token's disagree: the deployment is miswired",
    # timelock
    "TimelockUnexpectedOperationState": _timelock_state,
    "TimelockInsufficientDelay": (
        "a delay of {delay} s is below the timelock's minimum of {minDelay} s: schedule it with at least {minDelay} s"
    ),
    "TimelockUnauthorizedCaller": "{caller} may not call the timelock directly: go through a proposal",
    "TimelockUnexecutedPredecessor": "the timelock must first execute the operation this one follows ({predecessorId})",
    "TimelockInvalidOperationLength": (
        "an operation needs as many targets, payloads and values ({targets}, {payloads}, {values})"
    ),
    "FailedCall": "a call the transaction makes failed (a proposal action reverted without a reason)",
    # access control and ownership
    "AccessControlUnauthorizedAccount": _role,
    "AccessControlBadConfirmation": "an account may renounce only its own role",
    "OwnableUnauthorizedAccount": "{account} is not the owner of this contract",
    "OwnableInvalidOwner": "{owner} cannot own this contract",
    # token
    "ERC20InsufficientBalance": "{sender} has {balance} and needs {needed} (token base units): too few tokens",
    "ERC20InsufficientAllowance": (
        "the allowance of {spender} is {allowance} and this needs {needed} (token base units): approve more first"
    ),
    "ERC20InvalidReceiver": "tokens cannot be sent to {receiver}",
    "ERC20InvalidSender": "tokens cannot be sent from {sender}",
    "ERC20InvalidApprover": "{approver} cannot approve a spender",
    "ERC20InvalidSpender": "{spender} cannot be approved as a spender",
    "ERC20ExceededCap": "the supply would be {increasedSupply}, over the cap of {cap} (base units)",
    "ERC20ExceededSafeSupply": "the supply would be {increasedSupply}, over the largest the votes can count, {cap}",
    "ERC20InvalidCap": "a cap of {cap} is not allowed",
    "ERC2612ExpiredSignature": "the permit signature expired {deadline_at}: sign a new one",
    "ERC2612InvalidSigner": "the permit is signed by {signer}, not by the owner {owner}",
    "ERC5805FutureLookup": "votes at {timepoint} are not known yet (the clock is at {clock})",
    "VotesExpiredSignature": "the delegation signature expired {expiry_at}: sign a new one",
    "InvalidAccountNonce": "the signature's nonce is stale: {account}'s nonce is {currentNonce}; sign again",
    "MeritTokenDistributionLengthMismatch": (
        "the initial distribution names {recipients} recipients and {amounts} amounts: give one amount each"
    ),
    "MeritTokenZeroAdmin": "the token needs an admin (the timelock) at deployment",
    "CheckpointUnorderedInsertion": "a vote checkpoint went back in time: the node's clock moved backwards",
    "ECDSAInvalidSignature": "the signature is not valid",
    "ECDSAInvalidSignatureLength": "a signature of {length} bytes is not valid (65 are needed)",
    "ECDSAInvalidSignatureS": "the signature is malleable (high s); sign again",
    # vesting
    "InsufficientBalance": "the vesting wallet holds {balance} and this needs {needed} (base units)",
    "InvalidCliffDuration": "a cliff of {cliffSeconds} s is longer than the vesting of {durationSeconds} s",
    # shared
    "ReentrancyGuardReentrantCall": "the contract refused a nested call into itself",
    "SafeERC20FailedOperation": "the token {token} refused the transfer",
    "SafeCastOverflowedUintDowncast": "the number {value} does not fit {bits} bits",
    "StringTooLong": "the text is too long for this field",
    "InvalidShortString": "the text is not a valid short string",
    "EnforcedPause": "the distributor is paused by the guardian: claims and funding wait until it is unpaused",
    "ExpectedPause": "the distributor is not paused, so there is nothing to unpause",
    # contribution registry
    "RegistryUnknownProject": "there is no project {projectId} in the registry (`merit project list` shows them)",
    "RegistryProjectPaused": "project {projectId} is paused by the guardian: it takes no commits until unpaused",
    "RegistryProjectNotPaused": "project {projectId} is not paused, so there is nothing to unpause",
    "RegistryInvalidCid": "a CID of {length} bytes is not accepted: it must be 1 to 128 bytes",
    "RegistryEmptyName": "the project needs a name",
    "RegistryInvalidSchedule": (
        "the schedule (start {start}, commit window {commitWindow} s, reveal window {revealWindow} s) is refused: "
        "windows must be above 0 and not too long, and the start not in the past"
    ),
    "RegistryInvalidSlices": "the project needs hidden slices (their root is {slicesRoot}, their count {sliceCount})",
    "RegistryNotStarted": lambda a, c: (
        f"project {a['projectId']} has not started: its first epoch opens {when(a['start'], c.now)}"
    ),
    "RegistryNotInCommitWindow": lambda a, c: (
        f"commits for epoch {a['epoch']} of project {a['projectId']} closed {when(a['commitEnd'], c.now)}: "
        "submit in the next epoch's commit window"
    ),
    "RegistryNotInRevealWindow": lambda a, c: (
        f"contribution {a['contributionId']} can be revealed only from {when(a['revealStart'], c.now)} "
        f"until {when(a['revealEnd'], c.now)}"
    ),
    "RegistryZeroCommitment": "the commitment is empty",
    "RegistryUnknownContribution": "there is no contribution {contributionId} in the registry",
    "RegistryRevealMismatch": (
        "the reveal of contribution {contributionId} by {revealer} does not match its commit "
        "(kind, CID, salt, project, epoch or contributor differ): only its contributor can reveal it, with its salt"
    ),
    "RegistryNotCommitted": "contribution {contributionId} was already revealed or forfeited",
    "RegistryRevealWindowOpen": lambda a, c: (
        f"contribution {a['contributionId']}'s reveal window is open until {when(a['revealEnd'], c.now)}: "
        "it cannot be forfeited before"
    ),
    "RegistryNotRevealed": "contribution {contributionId} is not revealed, or was attested already",
    "RegistryBatchLengthMismatch": "the batch has {ids} ids, {scores} scores and {verdicts} verdicts: give one each",
    "RegistryExpiredSignature": "the signature expired {deadline_at}: sign again",
    "RegistryInvalidSignature": "the signature is not {contributor}'s over this commit or reveal on this chain",
    "RegistryInvalidKind": "kind {kind} is not a contribution kind",
    "RegistryScoreTooLarge": "the score {score} of contribution {contributionId} does not fit 248 bits",
    "RegistryEpochNotClosed": lambda a, c: (
        f"epoch {a['epoch']} of project {a['projectId']} closes {when(a['end'], c.now)}: wait until then"
    ),
    "RegistrySliceAlreadyRevealed": "the hidden slice of epoch {epoch} of project {projectId} was revealed already",
    "RegistryNoSlicesLeft": "project {projectId} used every hidden slice: governance must register a new set",
    "RegistryInvalidSliceProof": "slice {sliceIndex} is not the one project {projectId} committed to at that index",
    # reward distributor
    "DistributorZeroRoot": "the epoch needs a merkle root",
    "DistributorEpochAlreadyFunded": "epoch key {epochKey} was funded already: an epoch is funded once",
    "DistributorUnknownEpoch": "epoch key {epochKey} was never funded: there is nothing to claim yet",
    "DistributorInvalidTotal": "a total of {total} is zero or over the per-epoch cap of {cap} (base units)",
    "DistributorInvalidDeadline": "the claim deadline {claimDeadline_at} is in the past or too far ahead",
    "DistributorClaimWindowClosed": lambda a, c: (
        f"the claim window of epoch key {a['epochKey']} closed {when(a['claimDeadline'], c.now)}: "
        "unclaimed rewards go back to the treasury"
    ),
    "DistributorClaimWindowOpen": lambda a, c: (
        f"the claim window of epoch key {a['epochKey']} is open until {when(a['claimDeadline'], c.now)}: "
        "it cannot be swept before"
    ),
    "DistributorAlreadyClaimed": "this reward (epoch key {epochKey}, leaf {index}) was claimed already",
    "DistributorInvalidProof": "the proof for leaf {index} of epoch key {epochKey} does not match the epoch's root",
    "DistributorProofTooLong": "a proof of {length} hashes is longer than the largest accepted, {maxLength}",
    "DistributorEpochOverClaimed": "this claim would take the epoch past its total ({claimed} of {total} claimed)",
    "DistributorEpochSwept": "epoch key {epochKey} was swept: its unclaimed rewards went back to the treasury",
    "DistributorNoClaims": "no claims were given",
    "DistributorEpochNotClosed": lambda a, c: (
        f"epoch {a['epoch']} of project {a['projectId']} closes {when(a['end'], c.now)}: it can be funded after"
    ),
    "DistributorEpochPassedOver": (
        "epoch {epoch} of project {projectId} can never be funded: a later one was; the next fundable is {nextFundable}"
    ),
    "DistributorOneEpochPerTransaction": "one transaction funds one epoch: make one proposal per epoch",
    "DistributorInvalidEpoch": "project {projectId}, epoch {epoch} is out of range",
}


def explain(name: str, args: dict[str, Any], chain: Chain | None = None) -> tuple[str, int]:
    """The sentence for the custom error `name` with its decoded `args`, and its exit code; an
    error without a sentence keeps ``Name(arg=value, ...)``."""
    chain = chain or Chain()
    code = EXIT_NOT_FOUND if name in NOT_FOUND else EXIT_FAILED
    args = {k: to_checksum_address(v) if isinstance(v, str) and is_hex_address(v) else v for k, v in args.items()}
    sentence = SENTENCES.get(name)
    try:
        if callable(sentence):
            return sentence(args, chain), code
        if isinstance(sentence, str):
            shown = {k: ("0x" + v.hex() if isinstance(v, bytes) else v) for k, v in args.items()}
            shown.update({f"{k}_at": when(v, chain.now) for k, v in args.items() if isinstance(v, int)})
            return sentence.format(**shown), code
    except Exception:  # a sentence that cannot be built must not hide the error itself
        pass
    shown_args = ", ".join(f"{k}={'0x' + v.hex() if isinstance(v, bytes) else v}" for k, v in args.items())
    return f"{name}({shown_args})", code
