"""The EIP-712 commit and reveal path with an independent signer: @metamask/eth-sig-util (what
wallets run, tests/contracts/rewards/js/sign_typed_data.js) signs the typed data dao.eip712 builds;
its signature equals eth-account's and the registry accepts it from any relayer. A signature for
another chain, past its deadline, replayed, or over a tampered field is refused with its named
error, and nothing is recorded."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import brownie
import pytest

from dao import eip712
from dao.vocabulary import Phase, Status
from tests.contracts.rewards.registry_state import registry_state
from tests.helpers import HOUR, Sealed, advance_to_phase, latest_timestamp, revert_message

SIGNER_JS = Path(__file__).parent / "js" / "sign_typed_data.js"


@pytest.fixture(scope="module")
def signer(accounts):
    """A contributor who only signs: a local key, no ether, never sends a transaction."""
    return accounts.add("0x" + "5e" * 32)


def js_sign(typed: dict[str, Any], private_key: str, tmp_path: Path) -> str:
    """The signature @metamask/eth-sig-util gives over `typed` (bytes sent as 0x-hex)."""
    message = {k: "0x" + v.hex() if isinstance(v, bytes) else v for k, v in typed["message"].items()}
    request, response = tmp_path / "request.json", tmp_path / "response.json"
    request.write_text(json.dumps([{"privateKey": private_key, "typedData": {**typed, "message": message}}]))
    subprocess.run(["node", str(SIGNER_JS), str(request), str(response)], check=True, timeout=60)
    (result,) = json.loads(response.read_text())
    assert "error" not in result, result
    return result["signature"]


def commit_typed(registry, chain_id, signer, sealed, *, nonce=0, deadline=None):
    return eip712.commit(
        chain_id,
        registry.address,
        contributor=signer.address,
        project_id=sealed.project_id,
        commitment=sealed.commitment,
        nonce=nonce,
        deadline=latest_timestamp() + HOUR if deadline is None else deadline,
    )


def reveal_typed(registry, chain_id, signer, sealed, contribution_id, *, nonce=1, deadline=None):
    return eip712.reveal(
        chain_id,
        registry.address,
        contributor=signer.address,
        contribution_id=contribution_id,
        kind=sealed.kind,
        cid=sealed.cid,
        salt=sealed.salt,
        nonce=nonce,
        deadline=latest_timestamp() + HOUR if deadline is None else deadline,
    )


def commit_args(typed, signature):
    m = typed["message"]
    return m["contributor"], m["projectId"], m["commitment"], m["nonce"], m["deadline"], signature


def reveal_args(typed, sealed, signature):
    m = typed["message"]
    return (m["contributor"], m["contributionId"], sealed.project_id, sealed.epoch, m["kind"], m["cid"], m["salt"],
            m["nonce"], m["deadline"], signature)  # fmt: skip


@pytest.fixture
def sealed(registry, project, signer):
    return Sealed(signer.address, project, 0)


@pytest.fixture
def committed(registry, sealed, signer, outsider, chain, tmp_path):
    """The signer's commit, signed in JS and relayed by the outsider: contribution 1, nonce 0 used."""
    typed = commit_typed(registry, chain.id, signer, sealed)
    registry.commitBySig(*commit_args(typed, js_sign(typed, signer.private_key, tmp_path)), {"from": outsider})
    return 1


def test_the_js_signature_equals_eth_accounts(registry, sealed, signer, chain, tmp_path):
    for typed in (
        commit_typed(registry, chain.id, signer, sealed),
        reveal_typed(registry, chain.id, signer, sealed, 1),
    ):
        ours = "0x" + eip712.sign(typed, signer.private_key).hex()
        assert js_sign(typed, signer.private_key, tmp_path) == ours
        assert eip712.recover(typed, bytes.fromhex(ours[2:])) == signer.address


def test_a_js_signed_commit_and_reveal_are_accepted_from_a_relayer(registry, sealed, signer, outsider, chain, tmp_path):
    typed = commit_typed(registry, chain.id, signer, sealed)
    tx = registry.commitBySig(*commit_args(typed, js_sign(typed, signer.private_key, tmp_path)), {"from": outsider})
    event = tx.events["Committed"]
    assert (event["contributor"], event["relayer"], event["commitment"]) == (
        signer.address,
        outsider.address,
        "0x" + sealed.commitment.hex(),
    )
    advance_to_phase(registry, sealed.project_id, 0, Phase.REVEAL)
    typed = reveal_typed(registry, chain.id, signer, sealed, 1)
    tx = registry.revealBySig(
        *reveal_args(typed, sealed, js_sign(typed, signer.private_key, tmp_path)), {"from": outsider}
    )
    event = tx.events["Revealed"]
    assert (event["contributor"], event["relayer"], event["cid"]) == (signer.address, outsider.address, sealed.cid)
    assert registry.contribution(1)["status"] == Status.REVEALED.code and registry.nonces(signer) == 2


@pytest.mark.parametrize("step", ["commit", "reveal"])
@pytest.mark.parametrize("attack", ["wrong-chain-id", "expired", "replay", "tampered"])
def test_a_bad_signature_is_refused_and_nothing_is_recorded(
    registry, token, sealed, committed, signer, outsider, chain, tmp_path, step, attack
):
    if step == "reveal":
        advance_to_phase(registry, sealed.project_id, 0, Phase.REVEAL)
    chain_id = chain.id + 1 if attack == "wrong-chain-id" else chain.id
    deadline = latest_timestamp() - 1 if attack == "expired" else None
    nonce = 0 if attack == "replay" else 1  # nonce 0 went to the fixture's commit
    if step == "commit":
        typed = commit_typed(registry, chain_id, signer, sealed, nonce=nonce, deadline=deadline)
    else:
        typed = reveal_typed(registry, chain_id, signer, sealed, committed, nonce=nonce, deadline=deadline)
    signature = js_sign(typed, signer.private_key, tmp_path)
    args = list(commit_args(typed, signature) if step == "commit" else reveal_args(typed, sealed, signature))
    if attack == "tampered":  # the commitment, or the CID, differs from what was signed
        if step == "commit":
            args[2] = b"\x01" * 32
        else:
            args[5] = sealed.cid[:-1] + "a"
    error = {
        "wrong-chain-id": ("RegistryInvalidSignature", signer),
        "expired": ("RegistryExpiredSignature", typed["message"]["deadline"]),
        "replay": ("InvalidAccountNonce", signer, 1),
        "tampered": ("RegistryInvalidSignature", signer),
    }[attack]
    before = registry_state(registry, token, [signer, outsider])
    with brownie.reverts(revert_message(*error)):
        getattr(registry, f"{step}BySig")(*args, {"from": outsider})
    assert registry_state(registry, token, [signer, outsider]) == before
