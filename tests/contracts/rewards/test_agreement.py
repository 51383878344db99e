"""Across the boundary, over random inputs: what dao computes off chain is what the contracts
compute. dao.commitments == registry.computeCommitment; dao.epochs.EpochClock == the registry's
epochAt / epochWindows / bondFor through schedule changes; dao.proposals.epoch_key ==
distributor.epochKey. (dao.slices against revealSlice: test_slices.py; dao.eip712: test_signatures.py.)"""

from hypothesis import given, settings
from hypothesis import strategies as st

from dao.commitments import contribution_commitment
from dao.epochs import EpochClock, ScheduleConfig
from dao.proposals import epoch_key
from dao.vocabulary import ContributionKind, Phase
from tests.helpers import advance_to, latest_timestamp

SETTINGS = settings(max_examples=40, deadline=None, database=None)


@SETTINGS
@given(
    contributor=st.binary(min_size=20, max_size=20),
    project_id=st.integers(0, 2**256 - 1),
    epoch=st.integers(0, 2**256 - 1),
    kind=st.sampled_from(list(ContributionKind)),
    cid=st.text(min_size=1, max_size=80),
    salt=st.binary(min_size=32, max_size=32),
)
def test_commitments_agree_with_the_registry(registry, contributor, project_id, epoch, kind, cid, salt):
    address = "0x" + contributor.hex()
    ours = contribution_commitment(
        contributor=address, project_id=project_id, epoch=epoch, kind=kind, cid=cid, salt=salt
    )
    theirs = registry.computeCommitment(address, project_id, epoch, kind.code, cid, salt)
    assert theirs == "0x" + ours.hex()


@SETTINGS
@given(project_id=st.integers(0, 2**128 - 1), epoch=st.integers(0, 2**128 - 1))
def test_epoch_keys_agree_with_the_distributor(distributor, project_id, epoch):
    assert distributor.epochKey(project_id, epoch) == epoch_key(project_id, epoch)


def test_the_epoch_clock_agrees_with_the_registry_through_schedule_changes(registry, project, treasury):
    import random

    rng = random.Random(12)
    for change in range(6):
        clock = EpochClock(ScheduleConfig.from_chain(c.dict()) for c in registry.schedules(project))
        now = latest_timestamp()
        for timestamp in [clock.start - 1, now, *(now + rng.randrange(0, 20 * 86400) for _ in range(8))]:
            epoch, phase = registry.epochAt(project, timestamp)
            expected = clock.epoch_at(timestamp)
            if expected is None:
                assert (epoch, phase) == (0, Phase.NOT_STARTED.code)
                continue
            windows = clock.windows(expected)
            assert (epoch, phase) == (expected, windows.phase(timestamp).code)
            assert tuple(registry.epochWindows(project, expected)) == (
                windows.commit_start,
                windows.reveal_start,
                windows.end,
            )
            assert registry.bondFor(project, expected) == clock.bond(expected)
        # governance changes the windows and bond; the chain moves on a random stretch
        registry.setSchedule(
            project, rng.randrange(1, 3 * 3600), rng.randrange(1, 3 * 3600), change, {"from": treasury}
        )
        advance_to(latest_timestamp() + rng.randrange(1, 4 * 3600))
