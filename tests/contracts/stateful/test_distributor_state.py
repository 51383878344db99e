"""RewardDistributor under random sequences of fund / claim / claimMany / sweep / pause / unpause /
time travel, with small random trees, against a model that predicts every call's outcome (the
exact error of each refusal). After every step, read from the chain in one call through
contracts/test/DistributorProbe.sol:

- no leaf is paid twice (Claimed events per (epoch, index) never exceed one);
- the distributor's balance equals funded minus claimed minus swept;
- each epoch's claimed never exceeds its total (and equals the model's);
- a claimed flag never goes back (and the flags are exactly the leaves paid);
- every holder's balance is what the payments made it.

The pattern that works with Brownie 1.22, whose own `state_machine` fixture ships compiled and
fails with "TypeError: ..._BrownieStateMachine object expected": a plain hypothesis
RuleBasedStateMachine, a snapshot before the run and a revert in __init__, run by
run_state_machine_as_test; the test asserts that at least MIN_STEPS random steps ran.

Speed: a step is a couple of JSON-RPC requests. Brownie deploys the fixtures, but the steps
go through web3 with the ABIs of dao.abi: an expected refusal is an eth_call whose revert
data must decode to exactly the predicted error (a reverted transaction changes nothing, so
mining it would add time and no evidence), an expected success is a transaction whose receipt
must succeed. The unit tests in tests/contracts/rewards send the refusals as transactions.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import brownie
from brownie import web3
from eth_abi import decode
from eth_utils import function_abi_to_4byte_selector
from eth_utils.abi import get_abi_input_types
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from web3.exceptions import ContractLogicError
from web3.logs import DISCARD

from dao.abi import abi
from dao.merkle import RewardLeaf, StandardMerkleTree, reward_tree
from dao.proposals import epoch_key
from tests.contracts.rewards.epochs import REPORT_CID
from tests.helpers import advance_to, register_project

# hypothesis keeps its first examples small (a dozen or so, each a step or two); the ones after
# them mostly run STEPS steps each
MAX_EXAMPLES = 36
STEPS = 60
MIN_STEPS = 1_000
MAX_ROUNDS = 3
MAX_EPOCHS = 8
# Deadlines sit WINDOW after funding. A short jump (SHORT_JUMP, at most STEPS of them per run)
# never reaches one; a long jump passes every deadline set so far. So the model knows which
# epochs are closed without reading the clock, and no claim lands near a deadline by chance.
WINDOW = 5_000
SHORT_JUMP = 10
LONG_JUMP = 10_000
assert STEPS * SHORT_JUMP < WINDOW / 2 and LONG_JUMP > WINDOW
# A second bitmap word (256) and a far one, beside the first few indices.
INDEX_POOL = (0, 1, 2, 3, 255, 256, 1_000_000)
FUTURE = 10**6  # an epoch of project 1 that no run reaches

leaf_specs = st.lists(
    st.tuples(st.sampled_from(INDEX_POOL), st.integers(0, 3), st.integers(1, 10**20)),
    min_size=1,
    max_size=5,
    unique_by=lambda spec: spec[0],
)


@dataclass
class ModelEpoch:
    leaves: list[RewardLeaf]
    tree: StandardMerkleTree
    total: int
    deadline: int
    claimed: set[int] = field(default_factory=set)
    claimed_amount: int = 0
    closed: bool = False
    swept: bool = False

    def args(self, epoch_id: int, leaf: RewardLeaf) -> tuple:
        return epoch_id, leaf.index, leaf.account, leaf.amount, self.tree.get_proof(leaf.value())


def test_distributor_state_machine(
    deployment,
    registry,
    distributor,
    token,
    treasury,
    guardian,
    deployer,
    alice,
    bob,
    carol,
    outsider,
    DistributorProbe,
):
    # project 1's epochs 1..MAX_EPOCHS + 1 have closed, so each may be funded; FUTURE never closes in a run
    project_id = register_project(registry, treasury, commit_window=60, reveal_window=60)
    advance_to(registry.epochEnd(project_id, MAX_EPOCHS + 1))
    future_end = registry.epochEnd(project_id, FUTURE)
    probe = web3.eth.contract(address=DistributorProbe.deploy({"from": deployer}).address, abi=DistributorProbe.abi)
    dist = web3.eth.contract(address=distributor.address, abi=abi("RewardDistributor"))
    tok = web3.eth.contract(address=token.address, abi=abi("MeritToken"))
    holders = [h.address for h in (alice, bob, carol, outsider)]
    everyone = [*holders, treasury.address]  # whose balances the model follows
    cap = dist.functions.epochCap().call()
    steps_run: Counter[str] = Counter()
    snapshot = [rpc("evm_snapshot")]

    def read_chain(epoch_ids, flag_keys):
        return probe.functions.read(
            dist.address, everyone, epoch_ids, [e for e, _ in flag_keys], [i for _, i in flag_keys]
        ).call()

    class DistributorMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            # chain.revert() without Brownie's bookkeeping (200 ms a time): the node's revert,
            # then Brownie's history trimmed to match. The node drops a snapshot it reverts to,
            # so the next one is taken at once.
            rpc("evm_revert", snapshot[0])
            snapshot[0] = rpc("evm_snapshot")
            brownie.history._revert(web3.eth.block_number)
            steps_run["examples"] += 1
            self.epochs: dict[int, ModelEpoch] = {}
            self.paused = False
            self.funded = self.paid = self.swept = 0
            self.balances = dict(zip(everyone, read_chain([], [])[0][1:]))
            self.payments: Counter[tuple[int, int]] = Counter()
            self.flags_seen: set[tuple[int, int]] = set()

        # ------------------------------------------------------------------ helpers

        def attempt(self, expected: tuple | None, call, sender: str):
            """Asserts the call is refused with exactly `expected` (name, *args), or sends it and
            asserts it succeeded; returns the receipt of a success."""
            steps_run["steps"] += 1
            if expected is not None:
                assert refusal(call, sender) == expected
                return None
            receipt = web3.eth.wait_for_transaction_receipt(
                call.transact({"from": sender, "gas": 2_000_000, "gasPrice": 0})
            )
            assert receipt.status == 1, f"expected success, got {refusal(call, sender)}"
            for event in dist.events.Claimed().process_receipt(receipt, errors=DISCARD):
                self.payments[(event.args.epochKey, event.args.index)] += 1
            return receipt

        def claim_refusal(
            self, epoch_id: int, leaf: RewardLeaf, claimed: set, claimed_amount: int, genuine: bool = True
        ) -> tuple | None:
            """The error claim() must give, in the contract's order of checks, or None."""
            epoch = self.epochs[epoch_id]
            if epoch.closed:
                return ("DistributorClaimWindowClosed", epoch_id, epoch.deadline)
            if leaf.index in claimed:
                return ("DistributorAlreadyClaimed", epoch_id, leaf.index)
            if not genuine:
                return ("DistributorInvalidProof", epoch_id, leaf.index)
            if claimed_amount + leaf.amount > epoch.total:
                return ("DistributorEpochOverClaimed", epoch_id, claimed_amount + leaf.amount, epoch.total)
            return None

        def pick(self, epoch_pick: int, leaf_pick: int) -> tuple[int, ModelEpoch, RewardLeaf]:
            epoch_id = sorted(self.epochs)[epoch_pick % len(self.epochs)]
            epoch = self.epochs[epoch_id]
            return epoch_id, epoch, epoch.leaves[leaf_pick % len(epoch.leaves)]

        def pay(self, epoch_id: int, leaf: RewardLeaf) -> None:
            epoch = self.epochs[epoch_id]
            epoch.claimed.add(leaf.index)
            epoch.claimed_amount += leaf.amount
            self.paid += leaf.amount
            self.balances[leaf.account] += leaf.amount

        # ------------------------------------------------------------------ rules

        @precondition(lambda self: len(self.epochs) < MAX_EPOCHS)
        @rule(specs=leaf_specs, shortfall_percent=st.sampled_from([0, 0, 0, 30, 90]))
        def fund(self, specs, shortfall_percent):
            leaves = [RewardLeaf(index, holders[who], amount) for index, who, amount in specs]
            tree = reward_tree(leaves)
            tree_total = sum(leaf.amount for leaf in leaves)
            # governance may fund less than the tree adds up to; the epoch must then refuse the excess
            total = max(1, tree_total - tree_total * shortfall_percent // 100)
            epoch = len(self.epochs) + 1
            epoch_id = epoch_key(1, epoch)
            approved = web3.eth.wait_for_transaction_receipt(
                tok.functions.approve(dist.address, total).transact(
                    {"from": treasury.address, "gas": 200_000, "gasPrice": 0}
                )
            )
            deadline = web3.eth.get_block(approved.blockNumber).timestamp + WINDOW
            self.attempt(
                None, dist.functions.fundEpoch(1, epoch, tree.root, total, REPORT_CID, deadline), treasury.address
            )
            self.epochs[epoch_id] = ModelEpoch(leaves, tree, total, deadline)
            self.funded += total
            self.balances[treasury.address] -= total

        @precondition(lambda self: self.epochs)
        @rule(
            epoch_pick=st.integers(0, MAX_EPOCHS),
            bad=st.sampled_from(["zero root", "over cap", "again", "passed over", "future"]),
        )
        def fund_badly(self, epoch_pick, bad):
            epoch_id = sorted(self.epochs)[epoch_pick % len(self.epochs)]
            epoch = epoch_id & (2**128 - 1)
            root, total, new = self.epochs[epoch_id].tree.root, 1, len(self.epochs) + 1
            expected = {
                "zero root": ("DistributorZeroRoot",),
                "over cap": ("DistributorInvalidTotal", cap + 1, cap),
                "again": ("DistributorEpochAlreadyFunded", epoch_id),
                "passed over": ("DistributorEpochPassedOver", 1, 0, new),
                "future": ("DistributorEpochNotClosed", 1, FUTURE, future_end),
            }[bad]
            if bad == "zero root":
                root, epoch = "0x" + "00" * 32, new
            elif bad == "over cap":
                total, epoch = cap + 1, new
            elif bad == "passed over":
                epoch = 0  # never funded, and epochs after it were
            elif bad == "future":
                epoch = FUTURE
            deadline = self.epochs[max(self.epochs)].deadline
            self.attempt(
                expected, dist.functions.fundEpoch(1, epoch, root, total, REPORT_CID, deadline), treasury.address
            )

        @precondition(lambda self: self.epochs)
        @rule(
            epoch_pick=st.integers(0, MAX_EPOCHS),
            leaf_pick=st.integers(0, 4),
            sender=st.integers(0, 3),
            tamper=st.sampled_from([None, None, None, "amount", "account", "index"]),
        )
        def claim(self, epoch_pick, leaf_pick, sender, tamper):
            epoch_id, epoch, leaf = self.pick(epoch_pick, leaf_pick)
            args = list(epoch.args(epoch_id, leaf))
            if tamper == "amount":
                args[3] += 1
            elif tamper == "account":
                args[2] = next(h for h in holders if h != leaf.account)
            elif tamper == "index":
                args[1] = next(i for i in INDEX_POOL if all(i != other.index for other in epoch.leaves))
            sent = RewardLeaf(args[1], args[2], args[3])
            expected = (
                ("EnforcedPause",)
                if self.paused
                else self.claim_refusal(epoch_id, sent, epoch.claimed, epoch.claimed_amount, genuine=tamper is None)
            )
            if self.attempt(expected, dist.functions.claim(*args), holders[sender]) is not None:
                self.pay(epoch_id, leaf)

        @precondition(lambda self: self.epochs)
        @rule(epoch_pick=st.integers(0, MAX_EPOCHS), leaf_pick=st.integers(0, 4), sender=st.integers(0, 3))
        def claim_unpaid(self, epoch_pick, leaf_pick, sender):
            """A genuine claim of a leaf not paid yet where there is one: most claims of a run
            would otherwise meet a leaf paid before."""
            epoch_id, epoch, _ = self.pick(epoch_pick, 0)
            unpaid = [leaf for leaf in epoch.leaves if leaf.index not in epoch.claimed] or epoch.leaves
            leaf = unpaid[leaf_pick % len(unpaid)]
            expected = (
                ("EnforcedPause",)
                if self.paused
                else self.claim_refusal(epoch_id, leaf, epoch.claimed, epoch.claimed_amount)
            )
            if self.attempt(expected, dist.functions.claim(*epoch.args(epoch_id, leaf)), holders[sender]) is not None:
                self.pay(epoch_id, leaf)

        @precondition(lambda self: self.epochs)
        @rule(
            who=st.integers(0, 3), picks=st.lists(st.tuples(st.integers(0, MAX_EPOCHS), st.integers(0, 4)), max_size=4)
        )
        def claim_many(self, who, picks):
            account = holders[who]
            chosen = []
            for epoch_pick, leaf_pick in picks:
                epoch_id, epoch, _ = self.pick(epoch_pick, 0)
                own = [leaf for leaf in epoch.leaves if leaf.account == account]
                if own:
                    chosen.append((epoch_id, own[leaf_pick % len(own)]))
            expected = None
            if self.paused:
                expected = ("EnforcedPause",)
            elif not chosen:
                expected = ("DistributorNoClaims",)
            else:
                # the claims are checked in order, each seeing the ones before it
                claimed = {e: set(self.epochs[e].claimed) for e, _ in chosen}
                amounts = {e: self.epochs[e].claimed_amount for e, _ in chosen}
                for epoch_id, leaf in chosen:
                    expected = self.claim_refusal(epoch_id, leaf, claimed[epoch_id], amounts[epoch_id])
                    if expected:
                        break
                    claimed[epoch_id].add(leaf.index)
                    amounts[epoch_id] += leaf.amount
            entries = [(e, leaf.index, leaf.amount, self.epochs[e].tree.get_proof(leaf.value())) for e, leaf in chosen]
            receipt = self.attempt(expected, dist.functions.claimMany(account, entries), holders[-1 - who])
            if receipt is not None:
                for epoch_id, leaf in chosen:
                    self.pay(epoch_id, leaf)
                transfers = tok.events.Transfer().process_receipt(receipt, errors=DISCARD)
                assert [t.args.value for t in transfers] == [sum(leaf.amount for _, leaf in chosen)]

        @precondition(lambda self: self.epochs)
        @rule(epoch_pick=st.integers(0, MAX_EPOCHS), sender=st.integers(0, 3))
        def sweep(self, epoch_pick, sender):
            epoch_id = sorted(self.epochs)[epoch_pick % len(self.epochs)]
            epoch = self.epochs[epoch_id]
            expected = (
                ("DistributorEpochSwept", epoch_id)
                if epoch.swept
                else ("DistributorClaimWindowOpen", epoch_id, epoch.deadline)
                if not epoch.closed
                else None
            )
            receipt = self.attempt(expected, dist.functions.sweep(epoch_id), holders[sender])
            if receipt is not None:
                unclaimed = epoch.total - epoch.claimed_amount
                swept = dist.events.EpochSwept().process_receipt(receipt, errors=DISCARD)
                assert [e.args.amount for e in swept] == [unclaimed]
                epoch.swept = True
                self.swept += unclaimed
                self.balances[treasury.address] += unclaimed

        @precondition(lambda self: self.epochs)
        @rule(valid=st.sampled_from([True, True, True, False]))
        def pause_or_unpause(self, valid):
            """Mostly the call that changes the state (pause when running, unpause when paused),
            sometimes the one the contract must refuse."""
            if self.paused == valid:
                self.attempt(None if self.paused else ("ExpectedPause",), dist.functions.unpause(), treasury.address)
                self.paused = False
            else:
                self.attempt(("EnforcedPause",) if self.paused else None, dist.functions.pause(), guardian.address)
                self.paused = True

        @precondition(lambda self: self.epochs)
        @rule(long=st.sampled_from([False, False, True]))
        def travel(self, long):
            steps_run["steps"] += 1
            rpc("evm_increaseTime", LONG_JUMP if long else SHORT_JUMP)
            rpc("evm_mine")
            if long:
                for epoch in self.epochs.values():
                    epoch.closed = True

        # ------------------------------------------------------------------ invariants

        @invariant()
        def chain_agrees(self):
            ids = sorted(self.epochs)
            flag_keys = [(e, leaf.index) for e in ids for leaf in self.epochs[e].leaves]
            balances, epochs, flags = read_chain(ids, flag_keys)

            assert all(count == 1 for count in self.payments.values()), "a leaf was paid twice"
            assert balances[0] == self.funded - self.paid - self.swept
            for epoch_id, (total, claimed, swept) in zip(ids, epochs):
                model = self.epochs[epoch_id]
                assert claimed <= total
                assert (total, claimed, swept) == (model.total, model.claimed_amount, model.swept)
            on_chain = {key for key, flag in zip(flag_keys, flags) if flag}
            assert self.flags_seen <= on_chain, "a claimed flag went back"
            assert on_chain == {(e, i) for e in ids for i in self.epochs[e].claimed}
            assert on_chain == set(self.payments)
            self.flags_seen = on_chain
            assert dict(zip(everyone, balances[1:])) == self.balances

    # should a round fall short of MIN_STEPS (a run may end early, rarely), another draws new sequences
    for _ in range(MAX_ROUNDS):
        run_state_machine_as_test(
            DistributorMachine,
            settings=settings(
                max_examples=MAX_EXAMPLES,
                stateful_step_count=STEPS,
                deadline=None,
                database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
            ),
        )
        if steps_run["steps"] >= MIN_STEPS:
            break
    rpc("evm_revert", snapshot[0])
    brownie.history._revert(web3.eth.block_number)
    assert steps_run["steps"] >= MIN_STEPS, f"only {steps_run['steps']} random steps ran in {MAX_ROUNDS} rounds"


def rpc(method: str, *params: object) -> object:
    """A raw JSON-RPC request to the node (Brownie's wrappers around these are slow)."""
    response = web3.provider.make_request(method, list(params))
    assert "error" not in response, response
    return response["result"]


_ERRORS = {function_abi_to_4byte_selector(e): e for e in abi("RewardDistributor") if e["type"] == "error"}


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
    return (entry["name"], *decode(get_abi_input_types(entry), raw[4:]))
