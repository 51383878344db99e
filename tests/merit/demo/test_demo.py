"""The demo's story (what `make demo` runs), checked by its final table."""

import pytest
from brownie import web3

from merit.demo.story import BUDGET_TOKENS, TOKEN, run_story
from scripts.deploy import deploy
from tests.helpers import free_port

pytestmark = pytest.mark.usefixtures("isolation")  # a snapshot around every test

ROOT_CONFIG = "config/deploy/development.json"


@pytest.fixture(scope="module")
def rows(module_isolation, deployer, tmp_path_factory):
    from pathlib import Path

    from brownie import project as brownie_project

    project = brownie_project.get_loaded_projects()[0]
    root = Path(project._path)
    workdir = tmp_path_factory.mktemp("demo")
    manifest = workdir / "development.json"
    deploy(project, root / ROOT_CONFIG, deployer, network_name="development", manifest=manifest, log=lambda line: None)
    lines = []
    result = run_story(
        root, workdir, manifest, say=lines.append, api_port=free_port(), rpc_url=web3.provider.endpoint_uri
    )
    assert any(line.startswith("[9/10]") for line in lines)
    assert any(line.startswith("  epoch 0 matches: the revealed slice is the committed one") for line in lines)
    api_check = [line for line in lines if line.startswith("  the API's indexer checked it too:")]
    assert len(api_check) == 1 and api_check[0].endswith("says matches")
    return {row.contributor: row for row in result}


def test_every_contribution_is_in_the_table(rows):
    assert list(rows) == ["ada", "grace", "copycat", "linus", "mallory", "ann", "ben", "cleo", "spammer"]


def test_real_improvements_are_paid_and_become_champions(rows):
    for name in ("ada", "grace"):
        assert rows[name].reason == "new champion"
        assert rows[name].claimed_tokens > 0
    assert rows["ada"].claimed_tokens > rows["grace"].claimed_tokens  # the larger gain earns more


@pytest.mark.parametrize(
    "name, reason",
    [
        ("copycat", "exact_copy"),
        ("linus", "no_significant_gain"),
        ("mallory", "wrong_length"),
        ("spammer", "no better than chance"),
    ],
)
def test_copies_malformed_and_spam_earn_nothing(rows, name, reason):
    assert rows[name].reason == reason
    assert rows[name].claimed_tokens == 0


def test_reliable_annotators_are_paid_by_reliability(rows):
    assert rows["ann"].claimed_tokens > rows["ben"].claimed_tokens > rows["cleo"].claimed_tokens > 0


def test_claims_pay_out_the_epoch_budget(rows):
    paid = sum(row.claimed_tokens for row in rows.values())
    assert BUDGET_TOKENS * TOKEN - 10**6 <= paid <= BUDGET_TOKENS * TOKEN  # exact split, up to the unallocated dust


@pytest.mark.parametrize(
    "name, bond",
    [
        ("ada", "returned"),
        ("grace", "returned"),
        ("linus", "returned"),  # no better than the champion, but honest work
        ("copycat", "forfeited"),
        ("mallory", "forfeited"),
        ("ann", "returned"),
        ("ben", "returned"),
    ],
)
def test_bonds_come_back_for_valid_work_and_go_to_the_treasury_for_copies_and_malformed_files(rows, name, bond):
    assert rows[name].bond == bond


def test_scores_read_in_units_with_a_labelled_interval(rows):
    assert rows["ada"].score.startswith("accuracy gain +")
    assert "% interval " in rows["ada"].score and ".." in rows["ada"].score
    # annotators: agreement with the consensus, never "accuracy" beside the intent's true rate
    assert rows["ann"].score.startswith("agreement with consensus 0.")
    assert "annotator score" in rows["ann"].score and "accuracy" not in rows["ann"].score
    assert rows["ann"].intent == "reliable annotator (labels 95% right)"


def test_the_table_states_the_budget_and_the_split(rows):
    from rich.console import Console

    from merit.cli.demo import results_table

    console = Console(width=200, record=True)
    console.print(results_table(list(rows.values())))
    text = console.export_text()
    assert "Budget 100,000 MERIT: 60% (60,000) to model gains, 40% (40,000) to labels" in text
    assert "tokens claimed (MERIT)" in text and "score (metric units)" in text
