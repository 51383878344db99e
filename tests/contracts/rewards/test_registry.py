"""ContributionRegistry, function by function: registerProject, pauseProject / unpauseProject,
submit, submitBySig, attestScores, the views, and the roles the timelock grants and revokes.
Every revert asserts its named error; every state change's event is checked field by field."""

import brownie
import pytest
from brownie import web3
from eth_abi import encode
from eth_utils import keccak

from dao import eip712
from tests.helpers import revert_message

ADMIN_ROLE = bytes(32)
ZERO_ADDRESS = "0x" + "00" * 20
COMMITMENT = "0x" + "c0" * 32
BENCHMARK_CID = "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"
CID = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"
REPORT_CID = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
PREDICTIONS, LABELS = 0, 1
CLASSIFICATION, REGRESSION, LABELLING = 0, 1, 2
HOUR = 3600


@pytest.fixture(scope="module")
def oracle_role(registry):
    return registry.ORACLE_ROLE()


@pytest.fixture(scope="module")
def guardian_role(registry):
    return registry.GUARDIAN_ROLE()


@pytest.fixture(scope="module")
def signer(accounts):
    """A contributor who only signs: a local key, no ether, never sends a transaction."""
    return accounts.add("0x" + "5e" * 32)


@pytest.fixture
def project(registry, treasury):
    """Project 1 (classification) and project 2 (labelling), both open."""
    registry.registerProject("digits", CLASSIFICATION, "accuracy", BENCHMARK_CID, COMMITMENT, {"from": treasury})
    registry.registerProject("birds", LABELLING, "dawid-skene", BENCHMARK_CID, COMMITMENT, {"from": treasury})
    return 1


@pytest.fixture
def submitted(registry, project, alice, bob):
    """Contributions 1 (alice, predictions) and 2 (bob, labels) and 3 (alice, labels)."""
    registry.submit(1, PREDICTIONS, CID, {"from": alice})
    registry.submit(2, LABELS, CID, {"from": bob})
    registry.submit(2, LABELS, CID, {"from": alice})
    return [1, 2, 3]


def now_plus(seconds):
    return web3.eth.get_block("latest").timestamp + seconds


def signed(
    registry,
    chain,
    signer,
    *,
    project_id=1,
    kind=PREDICTIONS,
    cid=CID,
    nonce=0,
    deadline=None,
    contributor=None,
    chain_id=None,
    verifying=None,
):
    """submitBySig's arguments for a submission `signer` signed (for `contributor`, itself by default)."""
    contributor = contributor or signer.address
    deadline = now_plus(HOUR) if deadline is None else deadline
    typed = eip712.submission(
        chain_id or chain.id,
        verifying or registry.address,
        contributor=contributor,
        project_id=project_id,
        kind=kind,
        cid=cid,
        nonce=nonce,
        deadline=deadline,
    )
    return [contributor, project_id, kind, cid, nonce, deadline, eip712.sign(typed, signer.private_key)]


def registry_state(registry, contribution_ids=(1, 2, 3, 4), contributors=()):
    return {
        "projects": registry.projectCount(),
        "contributions": registry.contributionCount(),
        "paused": [registry.project(p)[2] for p in range(1, registry.projectCount() + 1)],
        "attestations": [tuple(registry.attestation(c)) for c in contribution_ids],
        "nonces": [registry.nonces(c) for c in contributors],
    }


# ------------------------------------------------------------------------------ registerProject


def test_register_project_stores_it_and_emits_everything(registry, treasury):
    tx = registry.registerProject("digits", REGRESSION, "rmse", BENCHMARK_CID, COMMITMENT, {"from": treasury})
    assert tx.return_value == 1
    assert dict(tx.events["ProjectRegistered"]) == {
        "projectId": 1,
        "name": "digits",
        "task": REGRESSION,
        "metric": "rmse",
        "benchmarkCid": BENCHMARK_CID,
        "answersCommitment": COMMITMENT,
    }
    assert tuple(registry.project(1)) == (True, REGRESSION, False, COMMITMENT)
    assert registry.projectCount() == 1
    assert registry.registerProject("x", LABELLING, "", CID, COMMITMENT, {"from": treasury}).return_value == 2


def test_register_project_only_by_governance(registry, deployer, guardian, oracle, outsider):
    for caller in (deployer, guardian, oracle, outsider):
        with brownie.reverts(revert_message("AccessControlUnauthorizedAccount", caller, ADMIN_ROLE)):
            registry.registerProject("digits", CLASSIFICATION, "accuracy", BENCHMARK_CID, COMMITMENT, {"from": caller})
    assert registry.projectCount() == 0


@pytest.mark.parametrize(
    "name, commitment, cid, error",
    [
        ("", COMMITMENT, BENCHMARK_CID, ("RegistryEmptyName",)),
        ("digits", "0x" + "00" * 32, BENCHMARK_CID, ("RegistryZeroCommitment",)),
        ("digits", COMMITMENT, "", ("RegistryInvalidCid", 0)),
        ("digits", COMMITMENT, "b" * 129, ("RegistryInvalidCid", 129)),
    ],
    ids=["empty-name", "zero-commitment", "empty-cid", "cid-too-long"],
)
def test_register_project_rejects_bad_input(registry, treasury, name, commitment, cid, error):
    with brownie.reverts(revert_message(*error)):
        registry.registerProject(name, CLASSIFICATION, "accuracy", cid, commitment, {"from": treasury})
    assert registry.projectCount() == 0


def test_register_project_accepts_the_longest_cid(registry, treasury):
    tx = registry.registerProject("digits", CLASSIFICATION, "accuracy", "b" * 128, COMMITMENT, {"from": treasury})
    assert tx.events["ProjectRegistered"]["benchmarkCid"] == "b" * 128


# ------------------------------------------------------------------------------ pause / unpause


def test_guardian_pauses_a_project_and_only_that_one(registry, project, guardian, alice):
    tx = registry.pauseProject(1, {"from": guardian})
    assert dict(tx.events["ProjectPaused"]) == {"projectId": 1, "guardian": guardian}
    assert registry.project(1)[2] and not registry.project(2)[2]
    with brownie.reverts(revert_message("RegistryProjectPaused", 1)):
        registry.submit(1, PREDICTIONS, CID, {"from": alice})
    registry.submit(2, LABELS, CID, {"from": alice})
    assert registry.contributionCount() == 1


def test_only_the_guardian_pauses(registry, project, guardian_role, treasury, oracle, outsider):
    for caller in (treasury, oracle, outsider):
        with brownie.reverts(revert_message("AccessControlUnauthorizedAccount", caller, guardian_role)):
            registry.pauseProject(1, {"from": caller})
    assert not registry.project(1)[2]


def test_pause_rejects_an_unknown_or_paused_project(registry, project, guardian):
    for unknown in (0, 3):
        with brownie.reverts(revert_message("RegistryUnknownProject", unknown)):
            registry.pauseProject(unknown, {"from": guardian})
    registry.pauseProject(1, {"from": guardian})
    with brownie.reverts(revert_message("RegistryProjectPaused", 1)):
        registry.pauseProject(1, {"from": guardian})


def test_governance_unpauses_and_submissions_resume(registry, project, guardian, treasury, alice):
    registry.pauseProject(1, {"from": guardian})
    tx = registry.unpauseProject(1, {"from": treasury})
    assert dict(tx.events["ProjectUnpaused"]) == {"projectId": 1}
    assert not registry.project(1)[2]
    registry.submit(1, PREDICTIONS, CID, {"from": alice})
    assert registry.contributionCount() == 1


def test_only_governance_unpauses(registry, project, guardian, outsider):
    registry.pauseProject(1, {"from": guardian})
    for caller in (guardian, outsider):
        with brownie.reverts(revert_message("AccessControlUnauthorizedAccount", caller, ADMIN_ROLE)):
            registry.unpauseProject(1, {"from": caller})
    assert registry.project(1)[2]


def test_unpause_rejects_an_unknown_or_running_project(registry, project, treasury):
    with brownie.reverts(revert_message("RegistryUnknownProject", 3)):
        registry.unpauseProject(3, {"from": treasury})
    with brownie.reverts(revert_message("RegistryProjectNotPaused", 1)):
        registry.unpauseProject(1, {"from": treasury})


# ------------------------------------------------------------------------------ submit


def test_submit_records_the_contribution_and_emits_everything(registry, project, alice, chain):
    tx = registry.submit(1, PREDICTIONS, CID, {"from": alice})
    assert tx.return_value == 1
    assert dict(tx.events["ContributionSubmitted"]) == {
        "contributionId": 1,
        "projectId": 1,
        "contributor": alice,
        "kind": PREDICTIONS,
        "cid": CID,
        "relayer": ZERO_ADDRESS,
    }
    assert tuple(registry.contribution(1)) == (alice, 1, PREDICTIONS, tx.timestamp)
    assert registry.contributionCount() == 1


def test_submit_takes_both_kinds_and_numbers_contributions_across_projects(registry, project, alice, bob):
    ids = [
        registry.submit(2, LABELS, CID, {"from": bob}).return_value,
        registry.submit(1, PREDICTIONS, "b" * 128, {"from": alice}).return_value,
    ]
    assert ids == [1, 2]
    assert tuple(registry.contribution(1))[:3] == (bob, 2, LABELS)
    assert tuple(registry.contribution(2))[:3] == (alice, 1, PREDICTIONS)


@pytest.mark.parametrize(
    "project_id, kind, cid, error",
    [
        (0, PREDICTIONS, CID, ("RegistryUnknownProject", 0)),
        (3, PREDICTIONS, CID, ("RegistryUnknownProject", 3)),
        (1, 2, CID, ("RegistryInvalidKind", 2)),
        (1, 255, CID, ("RegistryInvalidKind", 255)),
        (1, PREDICTIONS, "", ("RegistryInvalidCid", 0)),
        (1, PREDICTIONS, "b" * 129, ("RegistryInvalidCid", 129)),
    ],
    ids=["project-0", "unknown-project", "kind-2", "kind-255", "empty-cid", "cid-too-long"],
)
def test_submit_rejects_bad_input(registry, project, alice, project_id, kind, cid, error):
    with brownie.reverts(revert_message(*error)):
        registry.submit(project_id, kind, cid, {"from": alice})
    assert registry.contributionCount() == 0


# ------------------------------------------------------------------------------ submitBySig


def test_submit_by_sig_records_the_signer_and_the_relayer(registry, project, signer, outsider, chain):
    args = signed(registry, chain, signer, project_id=2, kind=LABELS)
    tx = registry.submitBySig(*args, {"from": outsider})
    assert tx.return_value == 1
    assert dict(tx.events["ContributionSubmitted"]) == {
        "contributionId": 1,
        "projectId": 2,
        "contributor": signer,
        "kind": LABELS,
        "cid": CID,
        "relayer": outsider,
    }
    assert tuple(registry.contribution(1)) == (signer, 2, LABELS, tx.timestamp)
    assert registry.nonces(signer) == 1
    # the next submission takes the next nonce
    registry.submitBySig(*signed(registry, chain, signer, nonce=1), {"from": outsider})
    assert registry.nonces(signer) == 2


def test_submit_by_sig_at_the_deadline_passes_and_after_it_reverts(registry, project, signer, outsider, chain):
    deadline = now_plus(HOUR)
    web3.provider.make_request("evm_setNextBlockTimestamp", [deadline])
    registry.submitBySig(*signed(registry, chain, signer, deadline=deadline), {"from": outsider})

    late = signed(registry, chain, signer, nonce=1, deadline=deadline)
    web3.provider.make_request("evm_setNextBlockTimestamp", [deadline + 1])
    before = registry_state(registry, contributors=[signer])
    with brownie.reverts(revert_message("RegistryExpiredSignature", deadline)):
        registry.submitBySig(*late, {"from": outsider})
    assert registry_state(registry, contributors=[signer]) == before


def test_submit_by_sig_rejects_another_signer(registry, project, signer, alice, outsider, chain, accounts):
    impostor = accounts.add("0x" + "1a" * 32)
    args = signed(registry, chain, impostor, contributor=signer.address)
    before = registry_state(registry, contributors=[signer])
    with brownie.reverts(revert_message("RegistryInvalidSignature", signer)):
        registry.submitBySig(*args, {"from": outsider})
    assert registry_state(registry, contributors=[signer]) == before


@pytest.mark.parametrize(
    "field, value",
    [
        ("project", 2),
        ("kind", LABELS),
        ("cid", CID[:-1] + "a"),
        ("deadline", None),
    ],
    ids=["project", "kind", "cid", "deadline"],
)
def test_submit_by_sig_rejects_a_changed_submission(registry, project, signer, outsider, chain, field, value):
    args = signed(registry, chain, signer)
    position = {"project": 1, "kind": 2, "cid": 3, "deadline": 5}[field]
    args[position] = args[5] + 1 if field == "deadline" else value
    before = registry_state(registry, contributors=[signer])
    with brownie.reverts(revert_message("RegistryInvalidSignature", signer)):
        registry.submitBySig(*args, {"from": outsider})
    assert registry_state(registry, contributors=[signer]) == before


@pytest.mark.parametrize("signature", [b"", b"\x01" * 64, b"\x00" * 65], ids=["empty", "64-bytes", "zeros"])
def test_submit_by_sig_rejects_a_malformed_signature(registry, project, signer, outsider, chain, signature):
    args = signed(registry, chain, signer)
    args[6] = signature
    with brownie.reverts(revert_message("RegistryInvalidSignature", signer)):
        registry.submitBySig(*args, {"from": outsider})
    assert registry.nonces(signer) == 0


def test_submit_by_sig_rejects_a_nonce_out_of_turn(registry, project, signer, outsider, chain):
    args = signed(registry, chain, signer, nonce=1)
    with brownie.reverts(revert_message("InvalidAccountNonce", signer, 0)):
        registry.submitBySig(*args, {"from": outsider})
    assert registry.nonces(signer) == 0 and registry.contributionCount() == 0


def test_submit_by_sig_to_a_paused_project_keeps_the_nonce(registry, project, signer, guardian, outsider, chain):
    registry.pauseProject(1, {"from": guardian})
    with brownie.reverts(revert_message("RegistryProjectPaused", 1)):
        registry.submitBySig(*signed(registry, chain, signer), {"from": outsider})
    assert registry.nonces(signer) == 0


def test_submit_by_sig_rejects_a_kind_outside_kind(registry, project, signer, outsider, chain):
    with brownie.reverts(revert_message("RegistryInvalidKind", 2)):
        registry.submitBySig(*signed(registry, chain, signer, kind=2), {"from": outsider})
    assert registry.nonces(signer) == 0


def test_submit_by_sig_from_a_contract_account(registry, project, signer, deployer, outsider, chain, ContractSigner):
    wallet = ContractSigner.deploy(signer, {"from": deployer})
    tx = registry.submitBySig(*signed(registry, chain, signer, contributor=wallet.address), {"from": outsider})
    assert tx.events["ContributionSubmitted"]["contributor"] == wallet
    assert registry.nonces(wallet) == 1


def test_submit_by_sig_from_a_contract_account_that_refuses(
    registry, project, signer, deployer, outsider, accounts, chain, ContractSigner
):
    wallet = ContractSigner.deploy(accounts.add("0x" + "77" * 32), {"from": deployer})
    with brownie.reverts(revert_message("RegistryInvalidSignature", wallet)):
        registry.submitBySig(*signed(registry, chain, signer, contributor=wallet.address), {"from": outsider})


# ------------------------------------------------------------------------------ attestScores


def test_attest_scores_records_each_and_emits_each(registry, submitted, oracle):
    scores = [10**18, 0, 2**248 - 1]
    tx = registry.attestScores([3, 1, 2], scores, REPORT_CID, {"from": oracle})
    assert [dict(e) for e in tx.events["ScoreAttested"]] == [
        {"contributionId": c, "score": s, "reportCid": REPORT_CID} for c, s in zip([3, 1, 2], scores)
    ]
    assert [tuple(registry.attestation(c)) for c in (1, 2, 3)] == [(True, 0), (True, 2**248 - 1), (True, 10**18)]


def test_attest_scores_only_by_the_oracle(registry, submitted, oracle_role, treasury, guardian, alice):
    for caller in (treasury, guardian, alice):
        with brownie.reverts(revert_message("AccessControlUnauthorizedAccount", caller, oracle_role)):
            registry.attestScores([1], [5], REPORT_CID, {"from": caller})
    assert tuple(registry.attestation(1)) == (False, 0)


@pytest.mark.parametrize(
    "ids, scores, cid, error",
    [
        ([1, 2], [5], REPORT_CID, ("RegistryBatchLengthMismatch", 2, 1)),
        ([1], [5, 6], REPORT_CID, ("RegistryBatchLengthMismatch", 1, 2)),
        ([1, 0], [5, 6], REPORT_CID, ("RegistryUnknownContribution", 0)),
        ([1, 4], [5, 6], REPORT_CID, ("RegistryUnknownContribution", 4)),
        ([1, 2, 1], [5, 6, 7], REPORT_CID, ("RegistryAlreadyAttested", 1)),
        ([1, 2], [5, 2**248], REPORT_CID, ("RegistryScoreTooLarge", 2, 2**248)),
        ([1], [5], "", ("RegistryInvalidCid", 0)),
        ([1], [5], "b" * 129, ("RegistryInvalidCid", 129)),
    ],
    ids=[
        "fewer-scores",
        "more-scores",
        "id-0",
        "unknown-id",
        "twice-in-a-batch",
        "score-over-248-bits",
        "empty-report-cid",
        "report-cid-too-long",
    ],
)
def test_attest_scores_rejects_a_bad_batch_whole(registry, submitted, oracle, ids, scores, cid, error):
    before = registry_state(registry)
    with brownie.reverts(revert_message(*error)):
        registry.attestScores(ids, scores, cid, {"from": oracle})
    assert registry_state(registry) == before


def test_attestations_are_final(registry, submitted, oracle):
    registry.attestScores([2], [5], REPORT_CID, {"from": oracle})
    with brownie.reverts(revert_message("RegistryAlreadyAttested", 2)):
        registry.attestScores([1, 2], [7, 9], REPORT_CID, {"from": oracle})
    assert [tuple(registry.attestation(c)) for c in (1, 2)] == [(False, 0), (True, 5)]


def test_a_contribution_to_a_paused_project_can_still_be_attested(registry, submitted, guardian, oracle):
    registry.pauseProject(1, {"from": guardian})
    registry.attestScores([1], [3], REPORT_CID, {"from": oracle})
    assert tuple(registry.attestation(1)) == (True, 3)


# ------------------------------------------------------------------------------ roles


def test_governance_grants_and_revokes_the_oracle_role(registry, submitted, oracle_role, treasury, carol):
    tx = registry.grantRole(oracle_role, carol, {"from": treasury})
    assert dict(tx.events["RoleGranted"]) == {"role": oracle_role, "account": carol, "sender": treasury}
    registry.attestScores([1], [4], REPORT_CID, {"from": carol})
    tx = registry.revokeRole(oracle_role, carol, {"from": treasury})
    assert dict(tx.events["RoleRevoked"]) == {"role": oracle_role, "account": carol, "sender": treasury}
    with brownie.reverts(revert_message("AccessControlUnauthorizedAccount", carol, oracle_role)):
        registry.attestScores([2], [4], REPORT_CID, {"from": carol})


def test_governance_grants_and_revokes_the_guardian_role(registry, project, guardian_role, treasury, carol):
    registry.grantRole(guardian_role, carol, {"from": treasury})
    registry.pauseProject(1, {"from": carol})
    registry.revokeRole(guardian_role, carol, {"from": treasury})
    with brownie.reverts(revert_message("AccessControlUnauthorizedAccount", carol, guardian_role)):
        registry.pauseProject(2, {"from": carol})


def test_only_governance_manages_roles(registry, oracle_role, guardian_role, oracle, guardian, outsider):
    for caller, role in ((oracle, oracle_role), (guardian, guardian_role), (outsider, oracle_role)):
        with brownie.reverts(revert_message("AccessControlUnauthorizedAccount", caller, ADMIN_ROLE)):
            registry.grantRole(role, outsider, {"from": caller})
    with brownie.reverts(revert_message("AccessControlUnauthorizedAccount", guardian, ADMIN_ROLE)):
        registry.revokeRole(oracle_role, oracle, {"from": guardian})
    assert not registry.hasRole(oracle_role, outsider) and registry.hasRole(oracle_role, oracle)


def test_roles_after_deployment(registry, oracle_role, guardian_role, timelock, oracle, guardian, deployer):
    assert registry.hasRole(ADMIN_ROLE, timelock)
    assert registry.hasRole(oracle_role, oracle) and registry.hasRole(guardian_role, guardian)
    assert not any(registry.hasRole(r, deployer) for r in (ADMIN_ROLE, oracle_role, guardian_role))
    assert registry.getRoleAdmin(oracle_role) == registry.getRoleAdmin(guardian_role) == "0x" + "00" * 32


# ------------------------------------------------------------------------------ views


def test_views_of_unknown_ids(registry, submitted):
    for unknown in (0, 3):
        with brownie.reverts(revert_message("RegistryUnknownProject", unknown)):
            registry.project(unknown)
    for unknown in (0, 4):
        with brownie.reverts(revert_message("RegistryUnknownContribution", unknown)):
            registry.contribution(unknown)
    assert tuple(registry.attestation(4)) == (False, 0)
    assert (registry.projectCount(), registry.contributionCount()) == (2, 3)


def test_the_eip712_domain_and_type_match_dao_eip712(registry, chain):
    """The contract's typehash and domain are the ones dao.eip712 signs for."""
    fields = ",".join(f"{f['type']} {f['name']}" for f in eip712.SUBMISSION_TYPE)
    assert registry.SUBMISSION_TYPEHASH() == "0x" + keccak(text=f"Submission({fields})").hex()
    domain = registry.eip712Domain()
    assert (domain[1], domain[2], domain[3], domain[4]) == (
        eip712.REGISTRY_DOMAIN_NAME,
        eip712.REGISTRY_DOMAIN_VERSION,
        chain.id,
        registry.address,
    )
    separator = keccak(
        encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [
                keccak(text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak(text=eip712.REGISTRY_DOMAIN_NAME),
                keccak(text=eip712.REGISTRY_DOMAIN_VERSION),
                chain.id,
                registry.address,
            ],
        )
    )
    assert registry.DOMAIN_SEPARATOR() == "0x" + separator.hex()
    assert registry.MAX_CID_LENGTH() == 128
