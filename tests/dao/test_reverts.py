"""Reverts in words (dao.reverts): every custom error in the contracts' ABIs has a sentence, so a
new error cannot reach a user as ``Name(arg=...)``; the sentences for the governor's and the
timelock's states say what happened and when, and an unknown error keeps its name."""

from __future__ import annotations

import pytest
from eth_abi import encode
from eth_utils import function_signature_to_4byte_selector, keccak

from dao.abi import CONTRACTS, abi
from dao.chain import _abi_type, decode_custom_error, explain_revert
from dao.proposals import ProposalState
from dao.reverts import SENTENCES, Chain, explain, when


def custom_errors() -> dict[str, dict]:
    return {e["name"]: e for c in CONTRACTS for e in abi(c) if e.get("type") == "error"}


def sample(item: dict):
    kind = item["type"]
    if kind == "address":
        return "0x" + "ab" * 20
    if kind.startswith("bytes"):
        return b"\x01" * (int(kind[5:]) if kind[5:] else 4)
    if kind == "string":
        return "text"
    return 7


def revert_data(entry: dict, values: list) -> str:
    types = [_abi_type(i) for i in entry["inputs"]]
    selector = function_signature_to_4byte_selector(f"{entry['name']}({','.join(types)})")
    return "0x" + (selector + encode(types, values)).hex()


class Reverted(Exception):
    def __init__(self, data: str) -> None:
        super().__init__("execution reverted")
        self.data = data


@pytest.mark.parametrize("name", sorted(custom_errors()))
def test_every_custom_error_has_a_sentence(name):
    assert name in SENTENCES, f"{name} has no sentence in dao.reverts.SENTENCES"
    entry = custom_errors()[name]
    values = [sample(i) for i in entry["inputs"]]
    if name == "GovernorUnexpectedProposalState":
        values[2] = (1 << ProposalState.ACTIVE).to_bytes(32, "big")
    sentence, code = explain_revert(Reverted(revert_data(entry, values)))
    assert sentence and not sentence.startswith(f"{name}("), sentence
    assert "{" not in sentence and code in (1, 3)


def bitmap(*states: ProposalState) -> bytes:
    return sum(1 << s for s in states).to_bytes(32, "big")


class FakeGovernor:
    """Answers the reads a sentence makes, as a deployment's contracts would."""

    def __init__(self, **values):
        self.values = values

    @property
    def functions(self):
        values = self.values

        class Functions:
            def __getattr__(self, name):
                return lambda *args: type("Call", (), {"call": lambda _self: values[name]})()

        return Functions()


class Contracts:
    def __init__(self, **values):
        self.governor = self.timelock = FakeGovernor(**values)


def test_voting_on_an_executed_proposal():
    args = {"proposalId": 5, "current": ProposalState.EXECUTED, "expectedStates": bitmap(ProposalState.ACTIVE)}
    sentence, code = explain("GovernorUnexpectedProposalState", args)
    assert sentence == "voting is closed: the proposal was executed" and code == 1


def test_voting_before_it_opens_says_when():
    args = {"proposalId": 5, "current": ProposalState.PENDING, "expectedStates": bitmap(ProposalState.ACTIVE)}
    sentence, _ = explain("GovernorUnexpectedProposalState", args, Chain(1000, Contracts(proposalSnapshot=1060)))
    assert sentence == "you cannot vote yet: voting has not opened yet: it opens in 60 s (at 1970-01-01 00:17:40 UTC)"


def test_queueing_a_defeated_proposal_and_executing_before_the_delay():
    queue = {"proposalId": 5, "current": ProposalState.DEFEATED, "expectedStates": bitmap(ProposalState.SUCCEEDED)}
    assert explain("GovernorUnexpectedProposalState", queue)[0].startswith(
        "the proposal cannot be queued: the proposal was defeated"
    )
    active = {**queue, "current": ProposalState.ACTIVE}
    sentence = explain("GovernorUnexpectedProposalState", active, Chain(100, Contracts(proposalDeadline=400)))[0]
    assert "voting is still open: it ends in 300 s" in sentence
    ready = Contracts(getOperationState=1, getTimestamp=1300)
    op = {"operationId": b"\x01" * 32, "expectedStates": (1 << 2).to_bytes(32, "big")}
    sentence = explain("TimelockUnexpectedOperationState", op, Chain(1000, ready))[0]
    assert sentence == (
        "the timelock delay has not ended: it ends in 300 s (at 1970-01-01 00:21:40 UTC); execute it then"
    )


def test_roles_by_name_and_not_found_codes():
    role = keccak(text="ORACLE_ROLE")
    sentence, code = explain("AccessControlUnauthorizedAccount", {"account": "0xAb", "neededRole": role})
    assert sentence.startswith("0xAb lacks ORACLE_ROLE") and code == 1
    assert explain("RegistryUnknownProject", {"projectId": 9})[1] == 3


def test_an_unknown_error_keeps_its_name_and_arguments():
    assert explain("SomethingNew", {"x": 1, "b": b"\x02"}) == ("SomethingNew(x=1, b=0x02)", 1)
    assert decode_custom_error("0xdeadbeef") is None
    assert explain_revert(Reverted("0xdeadbeef00"))[1] == 1


def test_times():
    assert when(160, 100) == "in 60 s (at 1970-01-01 00:02:40 UTC)"
    assert when(40, 100) == "60 s ago (at 1970-01-01 00:00:40 UTC)"
    assert when(40, None) == "at 1970-01-01 00:00:40 UTC"
