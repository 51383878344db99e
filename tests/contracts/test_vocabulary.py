"""dao.vocabulary mirrors the contracts' enums: the same members, in the same order, so that a
member's position is the uint8 the contracts store and emit."""

from __future__ import annotations

from typing import Any

import pytest
from brownie import project as brownie_project

from dao.vocabulary import ContributionKind, Phase, Status, Task
from tests.helpers import CID, Sealed, current_epoch, hidden_slices, project_params, register_project


def _enums(ast: Any) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("nodeType") == "EnumDefinition":
                found[node["name"]] = [member["name"] for member in node["members"]]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(ast)
    return found


@pytest.fixture(scope="module")
def contract_enums() -> dict[str, list[str]]:
    build = brownie_project.get_loaded_projects()[0]._build.get("IContributionRegistry")
    return _enums(build["ast"])


@pytest.mark.parametrize(
    "python_enum, solidity_name",
    [(ContributionKind, "Kind"), (Task, "Task"), (Phase, "Phase"), (Status, "Status")],
)
def test_each_enum_has_the_contracts_members_in_their_order(contract_enums, python_enum, solidity_name):
    assert [member.name for member in python_enum] == contract_enums[solidity_name]


def test_a_registered_tasks_code_reads_back_as_the_same_member(registry, treasury):
    from brownie import chain

    params = project_params(
        start=chain.time() + 60, slices=hidden_slices(), name="vocabulary", task=Task.LABELLING.code
    )
    tx = registry.registerProject(params, {"from": treasury})
    assert Task.from_code(tx.events["ProjectRegistered"]["task"]) is Task.LABELLING


def test_a_phase_and_a_status_read_back_as_the_same_members(registry, treasury, alice):
    from brownie import chain

    project_id = register_project(registry, treasury)
    assert Phase.from_code(registry.epochAt(project_id, chain.time())[1]) is Phase.COMMIT
    sealed = Sealed(alice.address, project_id, current_epoch(registry, project_id), cid=CID)
    contribution_id = registry.commit(project_id, sealed.commitment, {"from": alice}).return_value
    assert Status.from_code(registry.contribution(contribution_id)["status"]) is Status.COMMITTED


def test_an_unknown_code_is_refused_by_name():
    with pytest.raises(ValueError, match="2 is not a ContributionKind code"):
        ContributionKind.from_code(2)
