"""The ABIs committed in dao/abi are exactly what the contracts compile to."""

import json

import pytest

from dao import abi


@pytest.mark.parametrize("contract", abi.CONTRACTS)
def test_committed_abi_matches_the_build(contract):
    from pathlib import Path

    from brownie import project as brownie_project

    # the build artifact Brownie wrote when the session compiled the contracts
    build = Path(brownie_project.get_loaded_projects()[0]._path) / "build" / "contracts" / f"{contract}.json"
    compiled = json.loads(build.read_text())["abi"]
    canonical = lambda entries: sorted(json.dumps(e, sort_keys=True) for e in entries)  # noqa: E731
    assert canonical(abi.abi(contract)) == canonical(compiled), (
        f"dao/abi/{contract}.json is stale: run `python -m dao.abi` after compiling"
    )


def test_event_abi_lookup():
    revealed = abi.event_abi("ContributionRegistry", "Revealed")
    assert [i["name"] for i in revealed["inputs"]] == [
        "contributionId",
        "projectId",
        "contributor",
        "epoch",
        "kind",
        "cid",
        "relayer",
    ]
    with pytest.raises(KeyError, match="no event 'Nope'"):
        abi.event_abi("RewardDistributor", "Nope")
