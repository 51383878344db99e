"""ContributionRegistry on two project clocks under random sequences of commit / reveal / attest /
forfeit / schedule changes / pause / funding / time travel, against a model that predicts every
call's outcome (success, or the exact custom error with its arguments). The model keeps its own
schedule configurations and reads its clock through dao.epochs.EpochClock, and computes every
commitment with dao.commitments. After every step, read from the chain in one call through
contracts/test/RegistryProbe.sol:

- the registry holds exactly the bonds still owed (commits committed or revealed, not yet attested
  or forfeited), and every other balance (contributors, the treasury, the distributor) is what the
  model's settlements made it: each bond settled at most once, nothing paid twice;
- each contribution's status, its revealed fields and its attestation are the model's;
- each project's schedule configurations, its epoch and phase now, its pause and the distributor's
  next fundable epoch are the model's.

The chain's clock is the model's: blocks carry no time of their own (anvil's block timestamp
interval is 0 during the run), so every call and transaction runs at the time of the latest block,
and only the time rules move it (a block mined at a chosen timestamp). Refusals are predicted as
eth_calls whose revert data must decode to exactly the predicted error; successes are sent as
transactions whose receipts must succeed and carry exactly the predicted events. The run pattern
(a plain hypothesis RuleBasedStateMachine, a snapshot before the run, a revert in __init__) is
tests/contracts/stateful/test_distributor_state.py's.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import brownie
from brownie import web3
from eth_abi import decode, encode
from eth_utils import function_abi_to_4byte_selector, keccak
from eth_utils.abi import get_abi_input_types
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from web3.exceptions import ContractLogicError
from web3.logs import DISCARD

from dao.abi import abi
from dao.commitments import contribution_commitment
from dao.epochs import EpochClock, ScheduleConfig
from dao.proposals import epoch_key
from dao.vocabulary import ContributionKind, Phase, Status
from tests.contracts.rewards.epochs import REPORT_CID
from tests.helpers import CID, TOKEN, hidden_slices, latest_timestamp, project_params

# hypothesis keeps its first examples small and cuts some short (a step draws many bytes): a round of
# EXAMPLES runs about 950-1,300 steps; should it fall short of MIN_STEPS, short rounds of TOP_UP
# examples (new sequences) follow until it is reached
EXAMPLES = 32
TOP_UP = 8
STEPS = 50
MIN_STEPS = 1_000
MAX_ROUNDS = 6

# (function, outcome) pairs every run shows many times (hypothesis varies which rules an example may
# draw, so rarer outcomes are only printed with -s): each success and the refusals of the clock
MUST_HAPPEN = [
    ("commit", "accepted"),
    ("commit", "RegistryNotInCommitWindow"),
    ("reveal", "accepted"),
    ("reveal", "RegistryNotInRevealWindow"),
    ("reveal", "RegistryRevealMismatch"),
    ("attestScores", "accepted"),
    ("forfeitUnrevealed", "accepted"),
    ("setSchedule", "accepted"),
    ("fundEpoch", "accepted"),
    ("fundEpoch", "DistributorEpochNotClosed"),
]

MAX_WINDOW = 365 * 86_400  # ContributionRegistry.MAX_WINDOW
MAX_SCORE = 2**248 - 1
UNLIMITED = 2**256 - 1
ZERO = bytes(32)
ZERO_ADDRESS = "0x" + "00" * 20
DEFAULT_ADMIN_ROLE = bytes(32)
ORACLE_ROLE = keccak(text="ORACLE_ROLE")
GUARDIAN_ROLE = keccak(text="GUARDIAN_ROLE")

# Two projects with clocks of their own: a run begins as project 1's first commit window opens, and
# project 2 starts a little later. (start, seconds after the setup began; commit window; reveal window; bond)
PROJECT_SETUP = {1: (60, 100, 80, TOKEN), 2: (210, 45, 150, 0)}
PROJECTS = tuple(PROJECT_SETUP)
UNKNOWN_PROJECT = 9
BONDS = (0, 7, TOKEN, 2 * TOKEN + 3)
# a zero window, MAX_WINDOW and just over it beside ordinary ones
WINDOWS = (0, 1, 20, 45, 90, 160, 300, MAX_WINDOW, MAX_WINDOW + 1)
MAX_CID_LENGTH = 128  # ContributionRegistry.MAX_CID_LENGTH
GOOD_CIDS = (CID, "bafkreiabc", "c" * MAX_CID_LENGTH)
SALTS = tuple(bytes([i]) * 32 for i in (1, 2, 3))  # few, so identical commits happen
CAROL_ALLOWANCE = 3 * TOKEN + 5  # carol approves the registry for a few bonds only
OUTSIDER_TOKENS = 2 * TOKEN + 5  # the outsider holds a few bonds' worth

picks = st.integers(0, 63)


@dataclass
class ModelCommit:
    id: int
    contributor: str
    project: int  # where and when it was committed: what its seal binds
    epoch: int
    commitment: bytes
    bond: int
    # what the commitment hides: the reveal's arguments (an odd commit hides another project or epoch)
    bound_project: int
    bound_epoch: int
    kind: int
    cid: str
    salt: bytes
    status: Status = Status.COMMITTED
    score: int = 0

    @property
    def honest(self) -> bool:
        """Whether its right reveal can succeed (in the window): the commitment binds where and when it
        was committed, and a CID the registry takes."""
        return (self.bound_project, self.bound_epoch) == (self.project, self.epoch) and 0 < len(
            self.cid
        ) <= MAX_CID_LENGTH

    def reveal_args(self) -> list:
        return [self.id, self.bound_project, self.bound_epoch, self.kind, self.cid, self.salt]

    def unrevealed(self) -> list:
        """IContributionRegistry.Unrevealed, as its Committed event names it."""
        return [self.id, self.contributor, self.project, self.epoch, self.commitment]


def commitment_of(contributor: str, project_id: int, epoch: int, kind: int, cid: str, salt: bytes) -> bytes:
    if cid:
        return contribution_commitment(
            contributor=contributor,
            project_id=project_id,
            epoch=epoch,
            kind=ContributionKind.from_code(kind),
            cid=cid,
            salt=salt,
        )
    # dao.commitments refuses an empty CID; the registry takes its commit and refuses its reveal
    return keccak(
        encode(
            ["address", "uint256", "uint256", "uint8", "bytes32", "bytes32"],
            [contributor, project_id, epoch, kind, keccak(b""), salt],
        )
    )


def test_registry_state_machine(
    deployment,
    registry,
    distributor,
    token,
    treasury,
    oracle,
    guardian,
    deployer,
    alice,
    bob,
    carol,
    outsider,
    RegistryProbe,
):
    # ------------------------------------------------------------------ setup (Brownie)
    base = latest_timestamp()
    initial_configs: dict[int, list[ScheduleConfig]] = {}
    for project_id, (start_in, commit_window, reveal_window, bond) in PROJECT_SETUP.items():
        params = project_params(
            start=base + start_in,
            slices=hidden_slices(),
            commit_window=commit_window,
            reveal_window=reveal_window,
            bond=bond,
        )
        tx = registry.registerProject(params, {"from": treasury})
        assert tx.return_value == project_id
        initial_configs[project_id] = [ScheduleConfig(0, base + start_in, commit_window, reveal_window, bond)]
    contributors = [a.address for a in (alice, bob, carol, outsider)]
    for account in (alice, bob, outsider):
        token.approve(registry, UNLIMITED, {"from": account})
    token.approve(registry, CAROL_ALLOWANCE, {"from": carol})
    token.transfer(outsider, OUTSIDER_TOKENS, {"from": alice})
    token.approve(distributor, UNLIMITED, {"from": treasury})
    probe = web3.eth.contract(address=RegistryProbe.deploy({"from": deployer}).address, abi=RegistryProbe.abi)
    reg = web3.eth.contract(address=registry.address, abi=abi("ContributionRegistry"))
    dist = web3.eth.contract(address=distributor.address, abi=abi("RewardDistributor"))
    holders = [*contributors, treasury.address]  # whose balances the model follows
    accounts = [reg.address, dist.address, *holders]
    cap = dist.functions.epochCap().call()

    start_time = base + PROJECT_SETUP[1][0]  # where every run begins
    steps_run: Counter[str] = Counter()
    outcomes: Counter[tuple[str, str]] = Counter()  # (function, error or "accepted")

    class RegistryMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            # chain.revert() without Brownie's bookkeeping, as in test_distributor_state.py
            rpc("evm_revert", snapshot[0])
            snapshot[0] = rpc("evm_snapshot")
            brownie.history._revert(web3.eth.block_number)
            steps_run["examples"] += 1
            self.now = start_time
            self.configs = {p: list(configs) for p, configs in initial_configs.items()}
            self.paused = dict.fromkeys(PROJECTS, False)
            self.commits: list[ModelCommit] = []
            self.balances = dict(initial_balances)
            self.allowances = dict.fromkeys(contributors, UNLIMITED)
            self.allowances[carol.address] = CAROL_ALLOWANCE
            self.next_fundable = dict.fromkeys(PROJECTS, 0)
            self.funded: set[int] = set()
            self.settlements: Counter[int] = Counter()  # bond settlement events per contribution

        @initialize(
            first=st.lists(
                st.tuples(st.integers(0, 3), st.integers(0, 1), st.sampled_from(GOOD_CIDS), st.sampled_from(SALTS)),
                min_size=1,
                max_size=4,
            )
        )
        def first_commits(self, first):
            """A run begins in project 1's first commit window with a few honest commits, so that the
            rules that reveal, attest and forfeit have work from the first step."""
            for who, kind, cid, salt in first:
                self.do_commit(contributors[who], PROJECTS[0], PROJECTS[0], 0, kind, cid, salt)

        # ------------------------------------------------------------------ helpers

        def clock(self, project_id: int) -> EpochClock:
            return EpochClock(self.configs[project_id])

        def attempt(self, expected: tuple | None, call, sender: str):
            """Asserts the call is refused with exactly `expected` (name, *args), or sends it and
            asserts it succeeded; returns the receipt of a success."""
            steps_run["steps"] += 1
            outcomes[(call.fn_name, expected[0] if expected else "accepted")] += 1
            if expected is not None:
                assert refusal(call, sender) == normal(expected)
                return None
            receipt = web3.eth.wait_for_transaction_receipt(
                call.transact({"from": sender, "gas": 2_000_000, "gasPrice": 0})
            )
            assert receipt.status == 1, f"expected success, got {refusal(call, sender)}"
            return receipt

        def move_to(self, timestamp: int) -> None:
            steps_run["steps"] += 1
            if timestamp > self.now:
                rpc("evm_mine", timestamp)
                self.now = timestamp

        def transfer(self, source: str, destination: str, amount: int) -> None:
            self.balances[source] -= amount
            self.balances[destination] += amount

        def pick(self, pick: int, wanted: tuple[Status, ...]) -> ModelCommit:
            """A commit with one of the `wanted` statuses where there is one, else any."""
            pool = [c for c in self.commits if c.status in wanted] or self.commits
            return pool[pick % len(pool)]

        def current_epoch(self, project_id: int) -> int:
            """The epoch the project's clock shows now (0 before it starts, or for an unknown project)."""
            if project_id not in self.configs:
                return 0
            epoch = self.clock(project_id).epoch_at(self.now)
            return 0 if epoch is None else epoch

        # ------------------------------------------------------------------ predictions

        def commit_refusal(self, sender: str, project_id: int, commitment: bytes) -> tuple | None:
            """The error commit() must give, in the contract's order of checks, or None."""
            if commitment == ZERO:
                return ("RegistryZeroCommitment",)
            if project_id not in self.configs:
                return ("RegistryUnknownProject", project_id)
            if self.paused[project_id]:
                return ("RegistryProjectPaused", project_id)
            clock = self.clock(project_id)
            epoch = clock.epoch_at(self.now)
            if epoch is None:
                return ("RegistryNotStarted", project_id, clock.start)
            windows = clock.windows(epoch)
            if self.now >= windows.reveal_start:
                return ("RegistryNotInCommitWindow", project_id, epoch, windows.reveal_start)
            bond = clock.bond(epoch)
            if bond > 0:  # ERC20.transferFrom: the allowance first, then the balance
                if self.allowances[sender] < bond:
                    return ("ERC20InsufficientAllowance", reg.address, self.allowances[sender], bond)
                if self.balances[sender] < bond:
                    return ("ERC20InsufficientBalance", sender, self.balances[sender], bond)
            return None

        def reveal_refusal(self, sender, contribution_id, project_id, epoch, kind, cid, salt) -> tuple | None:
            if kind > ContributionKind.LABELS.code:
                return ("RegistryInvalidKind", kind)
            if not 1 <= contribution_id <= len(self.commits):
                return ("RegistryUnknownContribution", contribution_id)
            c = self.commits[contribution_id - 1]
            if c.status != Status.COMMITTED:
                return ("RegistryNotCommitted", contribution_id)
            if (sender, project_id, epoch, commitment_of(sender, project_id, epoch, kind, cid, salt)) != (
                c.contributor,
                c.project,
                c.epoch,
                c.commitment,
            ):
                return ("RegistryRevealMismatch", contribution_id, sender)
            windows = self.clock(project_id).windows(epoch)
            if not windows.reveal_start <= self.now < windows.end:
                return ("RegistryNotInRevealWindow", contribution_id, windows.reveal_start, windows.end)
            if not 0 < len(cid.encode()) <= MAX_CID_LENGTH:
                return ("RegistryInvalidCid", len(cid.encode()))
            return None

        def attest_refusal(self, sender, ids, scores, verdicts) -> tuple | None:
            if sender != oracle.address:
                return ("AccessControlUnauthorizedAccount", sender, ORACLE_ROLE)
            if not len(ids) == len(scores) == len(verdicts):
                return ("RegistryBatchLengthMismatch", len(ids), len(scores), len(verdicts))
            attested: set[int] = set()  # a batch sees its own earlier attestations
            for contribution_id, score in zip(ids, scores):
                revealed = (
                    1 <= contribution_id <= len(self.commits)
                    and self.commits[contribution_id - 1].status == Status.REVEALED
                    and contribution_id not in attested
                )
                if not revealed:
                    return ("RegistryNotRevealed", contribution_id)
                if score > MAX_SCORE:
                    return ("RegistryScoreTooLarge", contribution_id, score)
                attested.add(contribution_id)
            return None

        def forfeit_refusal(self, entries) -> tuple | None:
            forfeited: set[int] = set()
            for contribution_id, contributor, project_id, epoch, commitment in entries:
                sealed = (
                    1 <= contribution_id <= len(self.commits)
                    and contribution_id not in forfeited
                    and self.commits[contribution_id - 1].status == Status.COMMITTED
                    and self.commits[contribution_id - 1].unrevealed()
                    == [contribution_id, contributor, project_id, epoch, commitment]
                )
                if not sealed:
                    return ("RegistryNotCommitted", contribution_id)
                end = self.clock(project_id).windows(epoch).end
                if self.now < end:
                    return ("RegistryRevealWindowOpen", contribution_id, end)
                forfeited.add(contribution_id)
            return None

        # ------------------------------------------------------------------ contributors

        def do_commit(self, sender, project_id, bound_project, bound_epoch, kind, cid, salt, zero=False) -> None:
            commitment = ZERO if zero else commitment_of(sender, bound_project, bound_epoch, kind, cid, salt)
            expected = self.commit_refusal(sender, project_id, commitment)
            receipt = self.attempt(expected, reg.functions.commit(project_id, commitment), sender)
            if receipt is None:
                return
            clock = self.clock(project_id)
            epoch = clock.epoch_at(self.now)
            c = ModelCommit(
                len(self.commits) + 1,
                sender,
                project_id,
                epoch,
                commitment,
                clock.bond(epoch),
                bound_project,
                bound_epoch,
                kind,
                cid,
                salt,
            )
            self.commits.append(c)
            if c.bond > 0:
                self.transfer(sender, reg.address, c.bond)
                if self.allowances[sender] != UNLIMITED:
                    self.allowances[sender] -= c.bond
            assert events(receipt, reg, "Committed") == normal(
                [("Committed", c.id, project_id, sender, epoch, commitment, c.bond, ZERO_ADDRESS)]
            )

        @rule(
            who=st.integers(0, 3),
            project_id=st.sampled_from((*PROJECTS, *PROJECTS, *PROJECTS, UNKNOWN_PROJECT)),
            kind=st.integers(0, 1),
            cid=st.sampled_from(GOOD_CIDS),
            salt=st.sampled_from(SALTS),
            odd=st.sampled_from([None] * 6 + ["zero", "next epoch", "other project", "empty cid", "long cid"]),
        )
        def commit(self, who, project_id, kind, cid, salt, odd):
            """Mostly an honest commit: the content bound to this project's epoch now. Sometimes one the
            registry takes in its window but whose reveal can never succeed (bound to another epoch or
            project, or a CID the reveal refuses), or a zero commitment."""
            sender = contributors[who]
            bound_project, bound_epoch = project_id, self.current_epoch(project_id)
            if odd == "next epoch":
                bound_epoch += 1
            elif odd == "other project":
                bound_project = PROJECTS[0] if project_id != PROJECTS[0] else PROJECTS[1]
            elif odd == "empty cid":
                cid = ""
            elif odd == "long cid":
                cid = "d" * (MAX_CID_LENGTH + 1)
            self.do_commit(sender, project_id, bound_project, bound_epoch, kind, cid, salt, zero=odd == "zero")

        # what most other rules act on, so drawn twice as often (hypothesis draws rules about evenly)
        commit_again = commit

        def do_reveal(self, sender, args) -> None:
            receipt = self.attempt(self.reveal_refusal(sender, *args), reg.functions.reveal(*args), sender)
            if receipt is None:
                return
            c = self.commits[args[0] - 1]
            c.status = Status.REVEALED
            assert events(receipt, reg, "Revealed") == normal(
                [("Revealed", c.id, c.project, sender, c.epoch, c.kind, c.cid, ZERO_ADDRESS)]
            )

        def waiting(self) -> list[ModelCommit]:
            """Honest commits not revealed yet whose reveal window is ahead or open."""
            return [
                c
                for c in self.commits
                if c.status == Status.COMMITTED and c.honest and self.now < self.clock(c.project).windows(c.epoch).end
            ]

        @precondition(lambda self: self.waiting())
        @rule(pick=picks, when=st.sampled_from(["first second", "midway", "last second"]))
        def wait_and_reveal(self, pick, when):
            """A contributor waits for their honest commit's reveal window and reveals (with the right
            data): at its first second, midway, or at its last second (at once when that has passed)."""
            waiting = self.waiting()
            c = waiting[pick % len(waiting)]
            windows = self.clock(c.project).windows(c.epoch)
            target = {
                "first second": windows.reveal_start,
                "midway": (windows.reveal_start + windows.end) // 2,
                "last second": windows.end - 1,
            }[when]
            self.move_to(max(self.now, target))
            self.do_reveal(c.contributor, c.reveal_args())

        reveal_in_its_window = wait_and_reveal  # drawn twice as often too, as is attest

        @precondition(lambda self: self.commits)
        @rule(
            pick=picks,
            wrong=st.sampled_from(
                [None] * 3
                + ["twice", "salt", "cid", "kind", "bad kind", "epoch", "project", "someone else", "unknown id"]
            ),
            other=st.integers(1, 3),
        )
        def reveal(self, pick, wrong, other):
            """A contributor reveals their own commit whenever it is (in its window or not), with the right
            data or a wrong one, or someone else's commit, or one revealed before, or an unknown id."""
            c = self.pick(pick, (Status.REVEALED, Status.ACCEPTED) if wrong == "twice" else (Status.COMMITTED,))
            sender, args = c.contributor, c.reveal_args()
            if wrong == "salt":
                args[5] = bytes([args[5][0] ^ 0xFF]) + args[5][1:]
            elif wrong == "cid":
                args[4] += "x"
            elif wrong == "kind":
                args[3] = 1 - args[3]
            elif wrong == "bad kind":
                args[3] = 2
            elif wrong == "epoch":
                args[2] += 1
            elif wrong == "project":
                args[1] = PROJECTS[0] if args[1] != PROJECTS[0] else PROJECTS[1]
            elif wrong == "someone else":
                sender = contributors[(contributors.index(c.contributor) + other) % len(contributors)]
            elif wrong == "unknown id":
                args[0] = 0 if other == 1 else len(self.commits) + other - 1
            self.do_reveal(sender, args)

        # ------------------------------------------------------------------ oracle and anyone

        @precondition(lambda self: any(c.status == Status.REVEALED for c in self.commits))
        @rule(
            chosen=st.lists(picks, min_size=1, max_size=3),
            verdicts=st.lists(st.booleans(), min_size=4, max_size=4),
            scores=st.lists(st.integers(0, 10**6), min_size=4, max_size=4),
            how=st.sampled_from(
                ["revealed"] * 4 + ["one twice", "and another", "not the oracle", "lengths", "score too large"]
            ),
        )
        def attest(self, chosen, verdicts, scores, how):
            """The oracle attests revealed contributions valid or invalid; or names one twice in a batch, or
            adds one of any status (committed, attested, forfeited) or an unknown id; or is not the oracle."""
            ids = list(dict.fromkeys(self.pick(p, (Status.REVEALED,)).id for p in chosen))
            if how == "one twice":
                ids.append(ids[chosen[-1] % len(ids)])
            elif how == "and another":
                ids.insert(chosen[0] % (len(ids) + 1), self.pick(chosen[-1], tuple(Status)).id)
                if chosen[0] % 5 == 0:
                    ids[-1] = len(self.commits) + 1
            scores, verdicts = scores[: len(ids)], verdicts[: len(ids)]
            sender = oracle.address
            if how == "not the oracle":
                sender = contributors[chosen[0] % len(contributors)]
            elif how == "lengths":
                scores = scores[:-1]
            elif how == "score too large":
                scores[-1] = MAX_SCORE + 1
            expected = self.attest_refusal(sender, ids, scores, verdicts)
            receipt = self.attempt(expected, reg.functions.attestScores(ids, scores, verdicts, REPORT_CID), sender)
            if receipt is None:
                return
            predicted, forfeited = [], 0
            for contribution_id, score, valid in zip(ids, scores, verdicts):
                c = self.commits[contribution_id - 1]
                c.status, c.score = (Status.ACCEPTED if valid else Status.REJECTED), score
                outcomes[("attestScores", "valid" if valid else "invalid")] += 1
                predicted.append(("ScoreAttested", c.id, score, valid, REPORT_CID))
                if c.bond == 0:
                    continue
                if valid:
                    predicted.append(("BondReturned", c.id, c.contributor, c.bond))
                    self.transfer(reg.address, c.contributor, c.bond)
                else:
                    predicted.append(("BondForfeited", c.id, c.contributor, c.bond))
                    forfeited += c.bond
            self.transfer(reg.address, treasury.address, forfeited)
            happened = events(receipt, reg, "ScoreAttested", "BondReturned", "BondForfeited")
            self.settlements.update(e[1] for e in happened if e[0] != "ScoreAttested")
            assert happened == normal(predicted)

        attest_again = attest

        def closed_unrevealed(self) -> list[ModelCommit]:
            """Commits never revealed whose reveal window has closed: what anyone may forfeit."""
            return [
                c
                for c in self.commits
                if c.status == Status.COMMITTED and self.clock(c.project).windows(c.epoch).end <= self.now
            ]

        @precondition(lambda self: any(c.status == Status.COMMITTED for c in self.commits))
        @rule(
            chosen=st.lists(picks, min_size=1, max_size=3),
            how=st.sampled_from(["closed"] * 4 + ["one twice", "unrevealed", "any", "tampered", "unknown id"]),
            sender=st.integers(0, 4),
        )
        def forfeit(self, chosen, how, sender):
            """Anyone forfeits unrevealed commits whose reveal window closed (where there are some); or
            names one twice, or commits whose window may be open, or of any status, or not as committed."""
            closed = self.closed_unrevealed()
            if how in ("closed", "one twice") and closed:
                distinct = {closed[p % len(closed)].id: closed[p % len(closed)] for p in chosen}
                entries = [c.unrevealed() for c in distinct.values()]
                if how == "one twice":
                    entries.append(list(entries[0]))
            else:
                wanted = tuple(Status) if how == "any" else (Status.COMMITTED,)
                entries = [self.pick(p, wanted).unrevealed() for p in chosen]
            if how == "tampered":  # one field of the last entry is not what was committed
                field = chosen[-1] % 4 + 1
                entries[-1][field] = {
                    1: contributors[(contributors.index(entries[-1][1]) + 1) % len(contributors)],
                    2: PROJECTS[0] if entries[-1][2] != PROJECTS[0] else PROJECTS[1],
                    3: entries[-1][3] + 1,
                    4: keccak(entries[-1][4]),
                }[field]
            elif how == "unknown id":
                entries[-1][0] = len(self.commits) + 1
            sent_by = holders[sender]
            receipt = self.attempt(self.forfeit_refusal(entries), reg.functions.forfeitUnrevealed(entries), sent_by)
            if receipt is None:
                return
            predicted = []
            for entry in entries:
                c = self.commits[entry[0] - 1]
                c.status = Status.FORFEITED
                predicted.append(("BondForfeited", c.id, c.contributor, c.bond))
                self.transfer(reg.address, treasury.address, c.bond)
            happened = events(receipt, reg, "BondForfeited")
            self.settlements.update(e[1] for e in happened)
            assert happened == normal(predicted)

        # ------------------------------------------------------------------ governance

        @rule(
            project_id=st.sampled_from((*PROJECTS, *PROJECTS, *PROJECTS, UNKNOWN_PROJECT)),
            commit_window=st.sampled_from(WINDOWS),
            reveal_window=st.sampled_from(WINDOWS),
            bond=st.sampled_from(BONDS),
            action=st.sampled_from(
                ["schedule"] * 4
                + ["schedule by outsider", "pause", "unpause", "unpause", "pause by outsider", "unpause by guardian"]
            ),
        )
        def govern(self, project_id, commit_window, reveal_window, bond, action):
            """Governance changes a project's windows and bond (from the next epoch not started), or the
            guardian pauses its commits and governance lets them in again; or an outsider tries to."""
            if action.startswith("schedule"):
                self.set_schedule(project_id, commit_window, reveal_window, bond, action == "schedule")
            else:
                self.pause_or_unpause(PROJECTS[project_id % len(PROJECTS)], action)

        def set_schedule(self, project_id, commit_window, reveal_window, bond, by_governance):
            sender = treasury.address if by_governance else alice.address
            expected, change = None, None
            if not by_governance:
                expected = ("AccessControlUnauthorizedAccount", sender, DEFAULT_ADMIN_ROLE)
            elif project_id not in self.configs:
                expected = ("RegistryUnknownProject", project_id)
            else:
                last = self.configs[project_id][-1]
                from_epoch = (
                    last.from_epoch if self.now < last.start_time else self.clock(project_id).epoch_at(self.now) + 1
                )
                start = last.start_time + (from_epoch - last.from_epoch) * last.length
                change = ScheduleConfig(from_epoch, start, commit_window, reveal_window, bond)
                if not (0 < commit_window <= MAX_WINDOW and 0 < reveal_window <= MAX_WINDOW):
                    expected = ("RegistryInvalidSchedule", start, commit_window, reveal_window)
            call = reg.functions.setSchedule(project_id, commit_window, reveal_window, bond)
            if self.attempt(expected, call, sender) is None:
                return
            configs = self.configs[project_id]
            if configs[-1].from_epoch == change.from_epoch:  # a change not yet in effect is replaced
                configs[-1] = change
            else:
                configs.append(change)

        def pause_or_unpause(self, project_id, action):
            paused = self.paused[project_id]
            if action == "pause":
                sender, call = guardian.address, reg.functions.pauseProject(project_id)
                expected = ("RegistryProjectPaused", project_id) if paused else None
            elif action == "unpause":
                sender, call = treasury.address, reg.functions.unpauseProject(project_id)
                expected = None if paused else ("RegistryProjectNotPaused", project_id)
            elif action == "pause by outsider":
                sender, call = outsider.address, reg.functions.pauseProject(project_id)
                expected = ("AccessControlUnauthorizedAccount", sender, GUARDIAN_ROLE)
            else:
                sender, call = guardian.address, reg.functions.unpauseProject(project_id)
                expected = ("AccessControlUnauthorizedAccount", sender, DEFAULT_ADMIN_ROLE)
            if self.attempt(expected, call, sender) is not None:
                self.paused[project_id] = action == "pause"

        @rule(
            project_id=st.sampled_from(PROJECTS),
            which=st.sampled_from(
                ["next", "next", "last closed", "current", "passed over", "ahead", "unknown project"]
            ),
            total=st.integers(1, 10 * TOKEN),
        )
        def fund(self, project_id, which, total):
            """The distributor funds a project's epoch only once it closed, never below the next fundable."""
            epoch = 0
            if which == "unknown project":
                project_id = UNKNOWN_PROJECT
            else:
                nxt, clock = self.next_fundable[project_id], self.clock(project_id)
                last_closed = clock.last_closed(self.now)
                epoch = {
                    "next": nxt,
                    "last closed": 0 if last_closed is None else last_closed,
                    "current": self.current_epoch(project_id),
                    "passed over": max(nxt - 1, 0),
                    "ahead": nxt + 2,
                }[which]
            key = epoch_key(project_id, epoch)
            expected = None
            if key in self.funded:
                expected = ("DistributorEpochAlreadyFunded", key)
            elif project_id not in self.configs:
                expected = ("RegistryUnknownProject", project_id)  # the registry's, passed through
            elif epoch < self.next_fundable[project_id]:
                expected = ("DistributorEpochPassedOver", project_id, epoch, self.next_fundable[project_id])
            elif self.now < self.clock(project_id).windows(epoch).end:
                end = self.clock(project_id).windows(epoch).end
                expected = ("DistributorEpochNotClosed", project_id, epoch, end)
            assert total <= cap
            root = keccak(key.to_bytes(32, "big"))
            call = dist.functions.fundEpoch(project_id, epoch, root, total, REPORT_CID, self.now + 1_000)
            if self.attempt(expected, call, treasury.address) is not None:
                self.funded.add(key)
                self.next_fundable[project_id] = epoch + 1
                self.transfer(treasury.address, dist.address, total)

        # ------------------------------------------------------------------ time

        @rule(seconds=st.sampled_from([1, 1, 2, 5, 10, 30, 60, 120, 400]))
        def wait(self, seconds):
            self.move_to(self.now + seconds)

        @rule(
            project_id=st.sampled_from(PROJECTS),
            boundary=st.sampled_from(["reveal", "reveal", "reveal", "end", "end", "next end"]),
            offset=st.sampled_from([-1, 0, 0, 1]),
        )
        def to_boundary(self, project_id, boundary, offset):
            """To a second before, at, or after a boundary of a project's clock: the start of a reveal
            window (the current epoch's, or the next's when it has passed), the current epoch's end,
            or the next one's (an epoch passed over whole); the first epoch's start before it."""
            clock = self.clock(project_id)
            epoch = clock.epoch_at(self.now)
            if epoch is None:
                target = clock.start
            elif boundary == "reveal":
                target = clock.windows(epoch).reveal_start
                if target + offset <= self.now:
                    target = clock.windows(epoch + 1).reveal_start
            else:
                target = clock.windows(epoch if boundary == "end" else epoch + 1).end
            self.move_to(target + offset)

        # ------------------------------------------------------------------ invariants

        @invariant()
        def chain_agrees(self):
            timestamp, balances, contributions, projects = probe.functions.read(
                reg.address, dist.address, holders, list(PROJECTS)
            ).call()
            assert timestamp == self.now
            # bonds held = bonds owed; every other balance as the settlements made it
            owed = sum(c.bond for c in self.commits if c.status in (Status.COMMITTED, Status.REVEALED))
            assert balances[0] == owed == self.balances[reg.address]
            assert dict(zip(accounts, balances)) == self.balances
            # each bond settled at most once, and exactly the settled ones (a zero bond attested moves nothing)
            assert all(n == 1 for n in self.settlements.values()), f"a bond was settled twice: {self.settlements}"
            settled = {Status.ACCEPTED, Status.REJECTED, Status.FORFEITED}
            assert set(self.settlements) == {
                c.id for c in self.commits if c.status in settled and (c.bond > 0 or c.status == Status.FORFEITED)
            }
            assert len(contributions) == len(self.commits)
            for c, ((contributor, project_id, epoch, kind, status), attested, score, valid) in zip(
                self.commits, contributions
            ):
                assert Status.from_code(status) == c.status, f"contribution {c.id}"
                if c.status == Status.COMMITTED:
                    assert (contributor, project_id, epoch, kind) == (ZERO_ADDRESS, 0, 0, 0)
                else:
                    shown = 0 if c.status == Status.FORFEITED else c.kind
                    assert normal((contributor, project_id, epoch, kind)) == normal(
                        (c.contributor, c.project, c.epoch, shown)
                    )
                accepted = c.status == Status.ACCEPTED
                assert (attested, score, valid) == (c.status in (Status.ACCEPTED, Status.REJECTED), c.score, accepted)
            for project_id, (schedules, epoch, phase, paused, next_fundable) in zip(PROJECTS, projects):
                assert [ScheduleConfig(*s) for s in schedules] == self.configs[project_id]
                clock = self.clock(project_id)
                now_epoch = clock.epoch_at(self.now)
                shown = (
                    (0, Phase.NOT_STARTED)
                    if now_epoch is None
                    else (now_epoch, clock.windows(now_epoch).phase(self.now))
                )
                assert (epoch, Phase.from_code(phase)) == shown
                assert (paused, next_fundable) == (self.paused[project_id], self.next_fundable[project_id])

    # From here on a block takes the latest block's time: only the time rules move the clock.
    rpc("anvil_setBlockTimestampInterval", 0)
    try:
        assert latest_timestamp() < start_time, "the setup took too long"
        rpc("evm_mine", start_time)
        balances = probe.functions.read(reg.address, dist.address, holders, []).call()[1]
        initial_balances = dict(zip(accounts, balances))
        snapshot = [rpc("evm_snapshot")]
        for round_ in range(MAX_ROUNDS):
            steps_run["rounds"] += 1
            run_state_machine_as_test(
                RegistryMachine,
                settings=settings(
                    max_examples=EXAMPLES if round_ == 0 else TOP_UP,
                    stateful_step_count=STEPS,
                    deadline=None,
                    database=None,
                    suppress_health_check=[
                        HealthCheck.too_slow,
                        HealthCheck.filter_too_much,
                        HealthCheck.data_too_large,
                    ],
                ),
            )
            if steps_run["steps"] >= MIN_STEPS:
                break
        rpc("evm_revert", snapshot[0])
        brownie.history._revert(web3.eth.block_number)
    finally:
        rpc("anvil_removeBlockTimestampInterval")
    print(dict(steps_run))
    for key, n in sorted(outcomes.items()):
        print(*key, n)
    assert steps_run["steps"] >= MIN_STEPS, f"only {steps_run['steps']} random steps ran in {MAX_ROUNDS} rounds"
    # the run did what it is for: each of these happened at least once
    missing = [outcome for outcome in MUST_HAPPEN if not outcomes[outcome]]
    assert not missing, f"never happened in {steps_run['steps']} steps: {missing}"


def rpc(method: str, *params: object) -> object:
    """A raw JSON-RPC request to the node (Brownie's wrappers around these are slow)."""
    response = web3.provider.make_request(method, list(params))
    assert "error" not in response, response
    return response["result"]


def normal(value):
    """Addresses in lower case, anywhere in a tuple or list (decoded errors and events compare so)."""
    if isinstance(value, (tuple, list)):
        return type(value)(normal(v) for v in value)
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return value.lower()
    return value


def events(receipt, contract, *names: str) -> list[tuple]:
    """The receipt's events of these names, in log order, as (name, *args)."""
    found = []
    for name in names:
        for event in getattr(contract.events, name)().process_receipt(receipt, errors=DISCARD):
            found.append((event.logIndex, (name, *event.args.values())))
    return [normal(entry) for _, entry in sorted(found)]


# the registry's errors, the token's (a bond's transferFrom) and the distributor's
_ERRORS = {
    function_abi_to_4byte_selector(e): e
    for contract in ("ContributionRegistry", "MeritToken", "RewardDistributor")
    for e in abi(contract)
    if e["type"] == "error"
}


def refusal(call, sender: str) -> tuple | None:
    """(error name, *arguments) the call reverts with as an eth_call from `sender`, or None."""
    try:
        call.call({"from": sender})
    except ContractLogicError as error:
        data = str(error.data)
    except ValueError as error:  # Brownie's middleware on web3 raises the node's error as is
        data = error.args[0]["data"]
    else:
        return None
    raw = bytes.fromhex(data[2:])
    entry = _ERRORS[raw[:4]]
    return normal((entry["name"], *decode(get_abi_input_types(entry), raw[4:])))
