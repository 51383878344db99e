"""ContributionRegistry, function by function: registerProject, setSchedule, pause and unpause,
commit, reveal, forfeitUnrevealed, attestScores, the views, and the roles the timelock grants.
Every revert asserts its named error and leaves the registry as it was; every state change's event
is checked. (Signatures: test_signatures.py; hidden slices: test_slices.py; attacks: test_attacks.py.)"""

import brownie
import pytest

from dao.vocabulary import ContributionKind, Phase, Status
from tests.contracts.rewards.registry_state import registry_state
from tests.helpers import (
    BENCHMARK_CID,
    CID,
    HOUR,
    TOKEN,
    Sealed,
    advance_to_phase,
    commit,
    hidden_slices,
    latest_timestamp,
    project_params,
    register_project,
    seal,
    set_next_timestamp,
)
from tests.helpers import revert_message as revert

ADMIN_ROLE = bytes(32)
ZERO = "0x" + "00" * 32
REPORT_CID = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
PREDICTIONS, LABELS = ContributionKind.MODEL_PREDICTIONS.code, ContributionKind.LABELS.code


@pytest.fixture(scope="module")
def oracle_role(registry):
    return registry.ORACLE_ROLE()


@pytest.fixture(scope="module")
def guardian_role(registry):
    return registry.GUARDIAN_ROLE()


@pytest.fixture
def bonded(registry, treasury, token, alice, bob):
    """Project 1 with a bond of one token per commit; alice and bob approved the registry for ten."""
    project_id = register_project(registry, treasury, bond=TOKEN)
    for contributor in (alice, bob):
        token.approve(registry, 10 * TOKEN, {"from": contributor})
    return project_id


@pytest.fixture
def revealed(registry, token, bonded, alice, bob):
    """Contributions 1 (alice) and 2 (bob) of bonded project 1, revealed; epoch 0 has closed."""
    committed = [commit(registry, who, bonded, salt=bytes([n]) * 32) for n, who in ((1, alice), (2, bob))]
    advance_to_phase(registry, bonded, 0, Phase.REVEAL)
    for contribution_id, sealed in committed:
        registry.reveal(*sealed.reveal_args(contribution_id), {"from": sealed.contributor})
    advance_to_phase(registry, bonded, 0, Phase.CLOSED)
    return [contribution_id for contribution_id, _ in committed]


# ------------------------------------------------------------------------------ registerProject


def test_register_project_stores_it_and_emits_everything(registry, treasury, slices):
    start = latest_timestamp() + 100
    params = project_params(start=start, slices=slices, task=1, commit_window=HOUR, reveal_window=2 * HOUR, bond=5)
    tx = registry.registerProject(params, {"from": treasury})
    assert tx.return_value == 1 and registry.projectCount() == 1
    assert dict(tx.events["ProjectRegistered"]) == {
        "projectId": 1,
        "name": "digits",
        "task": 1,
        "metric": "accuracy",
        "benchmarkCid": BENCHMARK_CID,
    }
    assert dict(tx.events["ScheduleChanged"]) == {
        "projectId": 1,
        "fromEpoch": 0,
        "startTime": start,
        "commitWindow": HOUR,
        "revealWindow": 2 * HOUR,
        "bond": 5,
    }
    root = "0x" + slices.root.hex()
    assert dict(tx.events["SlicesRegistered"]) == {"projectId": 1, "sliceSet": 1, "slicesRoot": root, "sliceCount": 3}
    assert tuple(registry.project(1)) == (True, 1, False, 1, 1, 3, 0, root)
    assert [tuple(c) for c in registry.schedules(1)] == [(0, start, HOUR, 2 * HOUR, 5)]
    assert registry.slicesLeft(1) == 3 and registry.bondFor(1, 0) == 5


def test_register_project_only_by_governance(registry, token, slices, deployer, guardian, oracle, outsider):
    params = project_params(start=latest_timestamp() + 100, slices=slices)
    for caller in (deployer, guardian, oracle, outsider):
        with brownie.reverts(revert("AccessControlUnauthorizedAccount", caller, ADMIN_ROLE)):
            registry.registerProject(params, {"from": caller})
    assert registry.projectCount() == 0


START, ROOT = "start", "root"  # stand-ins for the values a test computes


@pytest.mark.parametrize(
    "field, value, error",
    [
        (0, "", ("RegistryEmptyName",)),
        (5, 0, ("RegistryInvalidSchedule", START, 0, HOUR)),
        (6, 0, ("RegistryInvalidSchedule", START, HOUR, 0)),
        (5, 365 * 86400 + 1, ("RegistryInvalidSchedule", START, 365 * 86400 + 1, HOUR)),
        (4, "past", ("RegistryInvalidSchedule", START, HOUR, HOUR)),
        (9, 0, ("RegistryInvalidSlices", ROOT, 0)),
        (8, ZERO, ("RegistryInvalidSlices", bytes(32), 3)),
    ],
    ids=["empty-name", "no-commit-window", "no-reveal-window", "window-over-a-year", "start-in-the-past",
         "no-slices", "zero-root"],
)  # fmt: skip
def test_register_project_rejects_bad_input(registry, token, treasury, slices, field, value, error):
    now = latest_timestamp() + 100
    set_next_timestamp(now)
    params = list(project_params(start=now + 100, slices=slices))
    params[field] = now - 1 if value == "past" else value
    start = params[4]
    expected = [start if a == START else slices.root if a == ROOT else a for a in error[1:]]
    before = registry_state(registry, token)
    with brownie.reverts(revert(error[0], *expected)):
        registry.registerProject(params, {"from": treasury})
    assert registry_state(registry, token) == before and registry.projectCount() == 0


def test_register_project_refuses_a_bad_benchmark_cid(registry, treasury, slices):
    params = list(project_params(start=latest_timestamp() + 100, slices=slices))
    params[3] = "b" * 129
    with brownie.reverts(revert("RegistryInvalidCid", 129)):
        registry.registerProject(params, {"from": treasury})


# ------------------------------------------------------------------------------ the clock and setSchedule


def test_the_clock_runs_commit_reveal_closed_epoch_after_epoch(registry, project):
    start = registry.schedules(project)[0][1]
    assert tuple(registry.epochAt(project, start - 1)) == (0, Phase.NOT_STARTED.code)
    assert tuple(registry.epochAt(project, start)) == (0, Phase.COMMIT.code)
    assert tuple(registry.epochAt(project, start + HOUR)) == (0, Phase.REVEAL.code)
    assert tuple(registry.epochAt(project, start + 2 * HOUR)) == (1, Phase.COMMIT.code)
    assert tuple(registry.epochWindows(project, 3)) == (start + 6 * HOUR, start + 7 * HOUR, start + 8 * HOUR)
    assert registry.epochEnd(project, 3) == start + 8 * HOUR


def test_a_schedule_change_takes_effect_from_the_next_epoch_only(registry, token, project, treasury, alice):
    start = registry.schedules(project)[0][1]
    token.approve(registry, TOKEN, {"from": alice})
    tx = registry.setSchedule(project, 600, 300, TOKEN, {"from": treasury})
    assert dict(tx.events["ScheduleChanged"]) == {
        "projectId": project,
        "fromEpoch": 1,
        "startTime": start + 2 * HOUR,
        "commitWindow": 600,
        "revealWindow": 300,
        "bond": TOKEN,
    }
    # epoch 0 keeps its windows and its bond: a commit now posts nothing
    assert tuple(registry.epochWindows(project, 0)) == (start, start + HOUR, start + 2 * HOUR)
    assert registry.bondFor(project, 0) == 0
    commit(registry, alice, project)
    assert token.balanceOf(registry) == 0
    # epoch 1 on the new clock and bond
    assert tuple(registry.epochWindows(project, 1)) == (
        start + 2 * HOUR,
        start + 2 * HOUR + 600,
        start + 2 * HOUR + 900,
    )
    assert tuple(registry.epochWindows(project, 2)) == (
        start + 2 * HOUR + 900,
        start + 2 * HOUR + 1500,
        start + 2 * HOUR + 1800,
    )
    advance_to_phase(registry, project, 1, Phase.COMMIT)
    commit(registry, alice, project)
    assert token.balanceOf(registry) == TOKEN


def test_a_second_change_before_the_first_takes_effect_replaces_it(registry, project, treasury):
    registry.setSchedule(project, 600, 300, 0, {"from": treasury})
    registry.setSchedule(project, 900, 900, 7, {"from": treasury})
    configs = [tuple(c) for c in registry.schedules(project)]
    assert len(configs) == 2 and configs[1][0] == 1 and configs[1][2:] == (900, 900, 7)


def test_only_governance_changes_a_schedule(registry, token, project, guardian, oracle, outsider):
    before = registry_state(registry, token)
    for caller in (guardian, oracle, outsider):
        with brownie.reverts(revert("AccessControlUnauthorizedAccount", caller, ADMIN_ROLE)):
            registry.setSchedule(project, 600, 300, TOKEN, {"from": caller})
    assert registry_state(registry, token) == before


def test_a_schedule_change_refuses_bad_windows_and_unknown_projects(registry, token, project, treasury):
    start = registry.schedules(project)[0][1]
    before = registry_state(registry, token)
    with brownie.reverts(revert("RegistryInvalidSchedule", start + 2 * HOUR, 0, 300)):
        registry.setSchedule(project, 0, 300, 0, {"from": treasury})
    with brownie.reverts(revert("RegistryUnknownProject", 2)):
        registry.setSchedule(2, 600, 300, 0, {"from": treasury})
    assert registry_state(registry, token) == before


# ------------------------------------------------------------------------------ commit


def test_commit_stores_a_seal_and_emits_the_commitment(registry, project, alice):
    sealed = seal(registry, alice, project)
    tx = registry.commit(project, sealed.commitment, {"from": alice})
    assert tx.return_value == 1 and registry.contributionCount() == 1
    assert dict(tx.events["Committed"]) == {
        "contributionId": 1,
        "projectId": project,
        "contributor": alice,
        "epoch": 0,
        "commitment": "0x" + sealed.commitment.hex(),
        "bond": 0,
        "relayer": "0x" + "00" * 20,
    }
    assert registry.contribution(1)["status"] == Status.COMMITTED.code
    assert "Transfer" not in tx.events


def test_commit_posts_the_bond(registry, token, bonded, alice):
    before = token.balanceOf(alice)
    tx = registry.commit(bonded, seal(registry, alice, bonded).commitment, {"from": alice})
    assert tx.events["Committed"]["bond"] == TOKEN
    assert token.balanceOf(alice) == before - TOKEN and token.balanceOf(registry) == TOKEN


def test_commit_without_the_allowance_for_the_bond_is_refused(registry, token, bonded, carol):
    before = registry_state(registry, token, [carol])
    with brownie.reverts(revert("ERC20InsufficientAllowance", registry, 0, TOKEN)):
        registry.commit(bonded, seal(registry, carol, bonded).commitment, {"from": carol})
    assert registry_state(registry, token, [carol]) == before


def test_commit_outside_the_commit_window_is_refused(registry, token, project, alice):
    _start, reveal_start, _end = registry.epochWindows(project, 0)
    commitment = seal(registry, alice, project).commitment
    set_next_timestamp(reveal_start - 1)
    registry.commit(project, commitment, {"from": alice})  # the last second of the window
    before = registry_state(registry, token, [alice])
    set_next_timestamp(reveal_start)
    with brownie.reverts(revert("RegistryNotInCommitWindow", project, 0, reveal_start)):
        registry.commit(project, commitment, {"from": alice})
    assert registry_state(registry, token, [alice]) == before


def test_commit_before_the_first_epoch_is_refused(registry, token, treasury, alice):
    project_id = register_project(registry, treasury, start_in=HOUR, open_now=False)
    start = registry.schedules(project_id)[0][1]
    with brownie.reverts(revert("RegistryNotStarted", project_id, start)):
        registry.commit(project_id, "0x" + "c0" * 32, {"from": alice})
    assert registry.contributionCount() == 0


@pytest.mark.parametrize("bad", ["zero-commitment", "unknown-project", "paused-project"])
def test_commit_refuses_bad_input(registry, token, project, guardian, alice, bad):
    project_id, commitment = project, "0x" + "c0" * 32
    if bad == "zero-commitment":
        commitment, error = ZERO, ("RegistryZeroCommitment",)
    elif bad == "unknown-project":
        project_id, error = 2, ("RegistryUnknownProject", 2)
    else:
        registry.pauseProject(project, {"from": guardian})
        error = ("RegistryProjectPaused", project)
    before = registry_state(registry, token, [alice])
    with brownie.reverts(revert(*error)):
        registry.commit(project_id, commitment, {"from": alice})
    assert registry_state(registry, token, [alice]) == before


# ------------------------------------------------------------------------------ reveal


def test_reveal_in_the_reveal_window_records_the_contribution(registry, project, alice, outsider):
    contribution_id, sealed = commit(registry, alice, project, kind=LABELS)
    advance_to_phase(registry, project, 0, Phase.REVEAL)
    tx = registry.reveal(*sealed.reveal_args(contribution_id), {"from": alice})
    assert dict(tx.events["Revealed"]) == {
        "contributionId": contribution_id,
        "projectId": project,
        "contributor": alice,
        "epoch": 0,
        "kind": LABELS,
        "cid": CID,
        "relayer": "0x" + "00" * 20,
    }
    assert tuple(registry.contribution(contribution_id)) == (alice, project, 0, LABELS, Status.REVEALED.code)


@pytest.mark.parametrize("when", ["commit-window", "after-close"])
def test_reveal_outside_the_reveal_window_is_refused(registry, token, project, alice, when):
    contribution_id, sealed = commit(registry, alice, project)
    _, reveal_start, end = registry.epochWindows(project, 0)
    if when == "after-close":
        earlier_id, earlier = commit(registry, alice, project, salt=bytes([7]) * 32)
        set_next_timestamp(end - 1)
        registry.reveal(*earlier.reveal_args(earlier_id), {"from": alice})  # the window's last second
        set_next_timestamp(end)
    before = registry_state(registry, token, [alice])
    with brownie.reverts(revert("RegistryNotInRevealWindow", contribution_id, reveal_start, end)):
        registry.reveal(*sealed.reveal_args(contribution_id), {"from": alice})
    assert registry_state(registry, token, [alice]) == before


@pytest.mark.parametrize("field", ["cid", "salt", "kind", "epoch", "project"])
def test_a_reveal_that_does_not_match_the_commit_is_refused(registry, token, treasury, project, alice, field):
    register_project(registry, treasury, open_now=False)  # project 2 exists, for the project field
    contribution_id, sealed = commit(registry, alice, project)
    advance_to_phase(registry, project, 0, Phase.REVEAL)
    changed = {
        "cid": {"cid": CID[:-1] + "a"},
        "salt": {"salt": bytes(32)},
        "kind": {"kind": LABELS},
        "epoch": {"epoch": 1},
        "project": {"project_id": 2},
    }[field]
    wrong = Sealed(**{**sealed.__dict__, **changed})
    before = registry_state(registry, token, [alice])
    with brownie.reverts(revert("RegistryRevealMismatch", contribution_id, alice)):
        registry.reveal(*wrong.reveal_args(contribution_id), {"from": alice})
    assert registry_state(registry, token, [alice]) == before


def test_reveal_refuses_unknown_ids_kinds_and_revealing_twice(registry, token, project, alice):
    contribution_id, sealed = commit(registry, alice, project)
    advance_to_phase(registry, project, 0, Phase.REVEAL)
    args = list(sealed.reveal_args(contribution_id))
    with brownie.reverts(revert("RegistryUnknownContribution", 2)):
        registry.reveal(2, *args[1:], {"from": alice})
    with brownie.reverts(revert("RegistryInvalidKind", 2)):
        registry.reveal(*args[:3], 2, *args[4:], {"from": alice})
    registry.reveal(*args, {"from": alice})
    before = registry_state(registry, token, [alice])
    with brownie.reverts(revert("RegistryNotCommitted", contribution_id)):
        registry.reveal(*args, {"from": alice})
    assert registry_state(registry, token, [alice]) == before


def test_a_cid_longer_than_the_limit_cannot_be_revealed(registry, project, alice):
    contribution_id, sealed = commit(registry, alice, project, cid="b" * 129)
    advance_to_phase(registry, project, 0, Phase.REVEAL)
    with brownie.reverts(revert("RegistryInvalidCid", 129)):
        registry.reveal(*sealed.reveal_args(contribution_id), {"from": alice})


# ------------------------------------------------------------------------------ forfeitUnrevealed


def unrevealed(contribution_id, sealed):
    return (contribution_id, sealed.contributor, sealed.project_id, sealed.epoch, sealed.commitment)


def test_an_unrevealed_commit_forfeits_its_bond_to_the_treasury(registry, token, bonded, timelock, alice, outsider):
    contribution_id, sealed = commit(registry, alice, bonded)
    advance_to_phase(registry, bonded, 0, Phase.CLOSED)
    treasury_before = token.balanceOf(timelock)
    tx = registry.forfeitUnrevealed([unrevealed(contribution_id, sealed)], {"from": outsider})  # anyone may
    assert dict(tx.events["BondForfeited"]) == {
        "contributionId": contribution_id,
        "contributor": alice,
        "amount": TOKEN,
    }
    assert token.balanceOf(timelock) == treasury_before + TOKEN and token.balanceOf(registry) == 0
    assert registry.contribution(contribution_id)["status"] == Status.FORFEITED.code


def test_a_commit_cannot_be_forfeited_while_its_reveal_window_is_open(registry, token, bonded, alice, outsider):
    contribution_id, sealed = commit(registry, alice, bonded)
    end = registry.epochEnd(bonded, 0)
    before = registry_state(registry, token, [alice])
    with brownie.reverts(revert("RegistryRevealWindowOpen", contribution_id, end)):
        registry.forfeitUnrevealed([unrevealed(contribution_id, sealed)], {"from": outsider})
    assert registry_state(registry, token, [alice]) == before


def test_a_revealed_commit_or_a_wrong_description_cannot_be_forfeited(registry, token, revealed, alice, bob, outsider):
    bogus = (revealed[0], alice.address, 1, 0, "0x" + "c0" * 32)
    before = registry_state(registry, token, [alice, bob])
    for entry in (bogus, (revealed[1], bob.address, 1, 0, "0x" + "c0" * 32)):
        with brownie.reverts(revert("RegistryNotCommitted", entry[0])):
            registry.forfeitUnrevealed([entry], {"from": outsider})
    assert registry_state(registry, token, [alice, bob]) == before


# ------------------------------------------------------------------------------ attestScores


def test_a_valid_attestation_returns_the_bond_and_an_invalid_one_forfeits_it(
    registry, token, revealed, oracle, timelock, alice, bob
):
    alice_before, bob_before, treasury_before = token.balanceOf(alice), token.balanceOf(bob), token.balanceOf(timelock)
    tx = registry.attestScores(revealed, [7, 0], [True, False], REPORT_CID, {"from": oracle})
    assert [dict(e) for e in tx.events["ScoreAttested"]] == [
        {"contributionId": revealed[0], "score": 7, "valid": True, "reportCid": REPORT_CID},
        {"contributionId": revealed[1], "score": 0, "valid": False, "reportCid": REPORT_CID},
    ]
    assert dict(tx.events["BondReturned"]) == {"contributionId": revealed[0], "contributor": alice, "amount": TOKEN}
    assert dict(tx.events["BondForfeited"]) == {"contributionId": revealed[1], "contributor": bob, "amount": TOKEN}
    assert token.balanceOf(alice) == alice_before + TOKEN and token.balanceOf(bob) == bob_before
    assert token.balanceOf(timelock) == treasury_before + TOKEN and token.balanceOf(registry) == 0
    assert tuple(registry.attestation(revealed[0])) == (True, 7, True)
    assert tuple(registry.attestation(revealed[1])) == (True, 0, False)
    assert registry.contribution(revealed[0])["status"] == Status.ACCEPTED.code
    assert registry.contribution(revealed[1])["status"] == Status.REJECTED.code


def test_attestations_are_final(registry, token, revealed, oracle, alice, bob):
    registry.attestScores(revealed[:1], [7], [True], REPORT_CID, {"from": oracle})
    before = registry_state(registry, token, [alice, bob])
    with brownie.reverts(revert("RegistryNotRevealed", revealed[0])):
        registry.attestScores(revealed, [1, 1], [True, True], REPORT_CID, {"from": oracle})
    assert registry_state(registry, token, [alice, bob]) == before


def test_an_unrevealed_commit_cannot_be_attested(registry, token, project, oracle, alice):
    contribution_id, _ = commit(registry, alice, project)
    with brownie.reverts(revert("RegistryNotRevealed", contribution_id)):
        registry.attestScores([contribution_id], [1], [True], REPORT_CID, {"from": oracle})


@pytest.mark.parametrize(
    "ids, scores, valid, cid, error",
    [
        ([1, 2], [1], [True, True], REPORT_CID, ("RegistryBatchLengthMismatch", 2, 1, 2)),
        ([1, 2], [1, 2], [True], REPORT_CID, ("RegistryBatchLengthMismatch", 2, 2, 1)),
        ([1], [1], [True], "", ("RegistryInvalidCid", 0)),
        ([1, 2], [1, 2**248], [True, True], REPORT_CID, ("RegistryScoreTooLarge", 2, 2**248)),
    ],
    ids=["scores-short", "verdicts-short", "empty-report-cid", "score-too-large"],
)
def test_attest_scores_rejects_a_bad_batch_whole(
    registry, token, revealed, oracle, alice, bob, ids, scores, valid, cid, error
):
    before = registry_state(registry, token, [alice, bob])
    with brownie.reverts(revert(*error)):
        registry.attestScores(ids, scores, valid, cid, {"from": oracle})
    assert registry_state(registry, token, [alice, bob]) == before


def test_attest_scores_only_by_the_oracle(registry, token, revealed, oracle_role, treasury, guardian, alice):
    before = registry_state(registry, token, [alice])
    for caller in (treasury, guardian, alice):
        with brownie.reverts(revert("AccessControlUnauthorizedAccount", caller, oracle_role)):
            registry.attestScores(revealed, [1, 1], [True, True], REPORT_CID, {"from": caller})
    assert registry_state(registry, token, [alice]) == before


# ------------------------------------------------------------------------------ pause, roles, views


def test_guardian_pauses_a_project_and_governance_unpauses_it(registry, project, guardian, treasury, alice):
    tx = registry.pauseProject(project, {"from": guardian})
    assert dict(tx.events["ProjectPaused"]) == {"projectId": project, "guardian": guardian}
    with brownie.reverts(revert("RegistryProjectPaused", project)):
        registry.pauseProject(project, {"from": guardian})
    tx = registry.unpauseProject(project, {"from": treasury})
    assert dict(tx.events["ProjectUnpaused"]) == {"projectId": project}
    with brownie.reverts(revert("RegistryProjectNotPaused", project)):
        registry.unpauseProject(project, {"from": treasury})
    commit(registry, alice, project)


def test_only_the_guardian_pauses_and_only_governance_unpauses(registry, project, guardian_role, guardian, outsider):
    with brownie.reverts(revert("AccessControlUnauthorizedAccount", outsider, guardian_role)):
        registry.pauseProject(project, {"from": outsider})
    registry.pauseProject(project, {"from": guardian})
    with brownie.reverts(revert("AccessControlUnauthorizedAccount", guardian, ADMIN_ROLE)):
        registry.unpauseProject(project, {"from": guardian})
    assert registry.project(project)["paused"]


def test_a_paused_project_still_takes_reveals_and_attestations(registry, project, guardian, oracle, alice):
    contribution_id, sealed = commit(registry, alice, project)
    registry.pauseProject(project, {"from": guardian})
    advance_to_phase(registry, project, 0, Phase.REVEAL)
    registry.reveal(*sealed.reveal_args(contribution_id), {"from": alice})
    registry.attestScores([contribution_id], [3], [True], REPORT_CID, {"from": oracle})
    assert registry.contribution(contribution_id)["status"] == Status.ACCEPTED.code


def test_governance_grants_and_revokes_the_oracle_role(registry, revealed, oracle_role, treasury, carol):
    tx = registry.grantRole(oracle_role, carol, {"from": treasury})
    assert dict(tx.events["RoleGranted"]) == {"role": oracle_role, "account": carol, "sender": treasury}
    registry.attestScores(revealed[:1], [1], [True], REPORT_CID, {"from": carol})
    registry.revokeRole(oracle_role, carol, {"from": treasury})
    with brownie.reverts(revert("AccessControlUnauthorizedAccount", carol, oracle_role)):
        registry.attestScores(revealed[1:], [1], [True], REPORT_CID, {"from": carol})


def test_roles_and_constants_after_deployment(registry, oracle_role, guardian_role, timelock, token, oracle, guardian):
    assert registry.hasRole(ADMIN_ROLE, timelock) and registry.treasury() == timelock
    assert registry.hasRole(oracle_role, oracle) and registry.hasRole(guardian_role, guardian)
    assert registry.bondToken() == token
    assert registry.MAX_CID_LENGTH() == 128 and registry.MAX_WINDOW() == 365 * 86400


def test_views_of_unknown_ids(registry, project):
    with brownie.reverts(revert("RegistryUnknownContribution", 1)):
        registry.contribution(1)
    with brownie.reverts(revert("RegistryUnknownProject", 2)):
        registry.project(2)
    for view, args in (("epochAt", (2, 0)), ("epochWindows", (2, 0)), ("epochEnd", (2, 0)), ("bondFor", (2, 0))):
        with brownie.reverts(revert("RegistryUnknownProject", 2)):
            getattr(registry, view)(*args)
    assert tuple(registry.attestation(1)) == (False, 0, False)
    assert tuple(registry.epochSlice(project, 0)) == (False, 0, 0)


def test_a_fresh_set_of_slices_from_governance_only(registry, token, project, treasury, outsider):
    fresh = hidden_slices(5, label=b"rotated")
    root = "0x" + fresh.root.hex()
    with brownie.reverts(revert("AccessControlUnauthorizedAccount", outsider, ADMIN_ROLE)):
        registry.registerSlices(project, root, 5, {"from": outsider})
    with brownie.reverts(revert("RegistryInvalidSlices", bytes(32), 5)):
        registry.registerSlices(project, ZERO, 5, {"from": treasury})
    tx = registry.registerSlices(project, root, 5, {"from": treasury})
    assert dict(tx.events["SlicesRegistered"]) == {
        "projectId": project,
        "sliceSet": 2,
        "slicesRoot": root,
        "sliceCount": 5,
    }
    assert registry.slicesLeft(project) == 5
