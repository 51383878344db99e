"""Every role walked on a fresh local chain with the `merit` CLI alone, in order: new users create and
fund accounts; a maintainer proposes a project and the DAO's members delegate, vote, queue and
execute it; one contributor commits and reveals directly, another with no ETH through the API's
relay; the oracle's maintainer runs the quick start and closes the epoch while the members vote,
queue and execute its funding; the contributor with no ETH claims through the relay; anyone
verifies the epoch.

The test only sets up what a user gets from outside the CLI: the contracts deployed on the test
anvil with config/deploy/development.json (a local deploy: anvil's well-known accounts hold the
votes and account 7 is the oracle, with tokens enough to propose), a manifest file, the explorer
API with a relayer key, and the project's data (scikit-learn's digits, as in `make demo`). Anvil's
clock moves only through `merit chain advance`. The steps share one chain and run in order; a step
whose predecessor failed is skipped."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from brownie import web3
from typer.testing import CliRunner

from dao.vocabulary import Status
from merit.cli import app
from merit.demo.data import CLASSES, DemoProject, build
from merit.demo.story import ApiServer, anvil_account
from scripts.deploy import deploy
from tests.helpers import REPO_ROOT, TOKEN, free_port

PASSWORD = "correct horse battery staple"
LOCAL_DEPLOY = REPO_ROOT / "config" / "deploy" / "development.json"
VOTING_PERIOD = json.loads(LOCAL_DEPLOY.read_text())["governor"]["voting_period"]
TIMELOCK_DELAY = json.loads(LOCAL_DEPLOY.read_text())["timelock"]["min_delay"]
COMMIT_WINDOW = 600
REVEAL_WINDOW = 600
BUDGET = 1000  # MERIT an epoch
MEMBERS = {"maintainer": 0, "alice": 1, "bob": 2}  # anvil accounts holding votes on a local deploy
ORACLE = 7  # holds the registry's ORACLE_ROLE and 5,000 MERIT on a local deploy
RELAYER = 5


@pytest.fixture(scope="module")
def deployment(module_isolation, deployer, tmp_path_factory):
    """The contracts as `merit deploy --network development` deploys them (overrides the suites'
    deployment with the test config, whose oracle holds no tokens to propose with)."""
    from brownie import project as brownie_project

    manifest = tmp_path_factory.mktemp("deployments") / "development.json"
    return deploy(
        brownie_project.get_loaded_projects()[0],
        LOCAL_DEPLOY,
        deployer,
        network_name="development",
        manifest=manifest,
        log=lambda line: None,
    )


@dataclass
class Walk:
    home: Path
    api: ApiServer
    data: DemoProject
    runner: CliRunner = field(default_factory=CliRunner)
    passed: set[str] = field(default_factory=set)
    state: dict[str, Any] = field(default_factory=dict)

    def __call__(self, *args: object, input: str | None = None, code: int = 0) -> Any:
        result = self.runner.invoke(app, [str(a) for a in args], input=input)
        assert result.exit_code == code, (args, result.output, result.exception)
        return result

    def json(self, *args: object) -> Any:
        """The command's --json output."""
        return json.loads(self(*args, "--json").stdout)

    def after(self, step: str) -> None:
        if step not in self.passed:
            pytest.skip(f"the walk did not get past {step}")

    def advance(self, seconds: int, blocks: int = 0) -> None:
        """Anvil's clock, as a user moves it."""
        args: list[object] = ["chain", "advance", "--seconds", seconds]
        if blocks:
            args += ["--blocks", blocks]
        moved = self.json(*args)
        assert moved["seconds"] == seconds

    def project(self) -> dict[str, Any]:
        (project,) = self.json("project", "list")
        return project

    def advance_to_phase(self, epoch: int, phase: str) -> None:
        """Through the rest of the current phase, by what `merit project list` says is left of it."""
        self.advance(self.project()["seconds_left"])
        project = self.project()
        assert (project["epoch"], project["phase"]) == (epoch, phase)

    def address(self, name: str) -> str:
        return {a["name"]: a["address"] for a in self.json("accounts", "list")}[name]

    def eth(self, name: str) -> int:
        return int(self.json("accounts", "show", name)["eth_balance"])


@pytest.fixture(scope="module")
def walk(deployment, tmp_path_factory) -> Iterator[Walk]:
    from api.settings import Settings
    from dao.artifacts import ArtifactStoreSettings

    home = tmp_path_factory.mktemp("walk")
    (home / "development.json").write_text(deployment.model_dump_json())
    data = build()
    for name in ("benchmark_inputs", "hidden_slice", "baseline", "label_items"):
        (home / f"{name}.csv").write_bytes(getattr(data, name))
    settings = Settings(
        database_url=f"sqlite:///{home / 'api.db'}",
        rpc_url=web3.provider.endpoint_uri,
        deployment=home / "development.json",
        artifacts=ArtifactStoreSettings(path=home / "artifacts"),
        run_indexer=True,
        index_poll_seconds=0.2,
        relayer_private_key="0x" + anvil_account(RELAYER).key.hex(),
        log_json=False,
    )
    with pytest.MonkeyPatch.context() as env, ApiServer(settings, free_port()) as api:
        for key, value in {
            "MERIT_PROFILE": "none",
            "MERIT_RPC_URL": web3.provider.endpoint_uri,
            "MERIT_DEPLOYMENT": str(home / "development.json"),
            "MERIT_API_URL": api.url,
            "MERIT_KEYSTORE_DIR": str(home / "keys"),
            "MERIT_KEYSTORE_PASSWORD": PASSWORD,
            "MERIT_ARTIFACTS_PATH": str(home / "artifacts"),  # the API's store: one machine's local setup
        }.items():
            env.setenv(key, value)
        env.delenv("MERIT_ORACLE_CONFIG", raising=False)
        yield Walk(home=home, api=api, data=data)


def contribution(name: str, data: DemoProject) -> bytes:
    (found,) = [c.artifact for c in data.contributions if c.name == name]
    return found


def test_new_users_create_and_fund_accounts(walk):
    for name in ("ada", "ben"):
        created = walk.json("accounts", "create", name)
        assert created["name"] == name and Path(created["keystore"]).is_file()
        assert web3.eth.get_balance(created["address"]) == 0
        assert walk.json("accounts", "show", name) == {
            "address": created["address"],
            "eth_balance": 0,
            "balance": 0,
            "votes": 0,
            "delegate": "0x" + "0" * 40,
        }
    funded = walk.json("accounts", "fund", "ada", "--eth", "1")
    assert int(funded["eth_balance"]) == TOKEN == walk.eth("ada")
    assert walk.eth("ben") == 0  # ben contributes through the relay and never holds ETH
    walk.passed.add("accounts")


def test_maintainer_registers_the_project_through_governance(walk, registry, token):
    walk.after("accounts")
    for name, index in MEMBERS.items():
        walk("accounts", "import", name, input="0x" + anvil_account(index).key.hex() + "\n")
        assert walk.address(name) == anvil_account(index).address
        walk("delegate", "--account", name)
    walk.advance(1)  # the delegations count from the next proposal's snapshot
    assert token.getVotes(anvil_account(MEMBERS["alice"]).address) == 5_000_000 * TOKEN

    register = (
        "project",
        "register",
        "--name",
        "digits",
        "--task",
        "classification",
        "--metric",
        "accuracy",
        "--benchmark",
        walk.home / "benchmark_inputs.csv",
        "--slice",
        walk.home / "hidden_slice.csv",  # the answers of the benchmark items and gold labels of label items
        "--slices-out",
        walk.home / "hidden",
        "--commit-window",
        COMMIT_WINDOW,
        "--reveal-window",
        REVEAL_WINDOW,
        "--account",
        "maintainer",
    )
    # the slice's gold labels are for items open for labels, not benchmark items: named with --label-items
    refused = walk(*register, code=2)
    assert "line 602: 'l0000' is not a public benchmark item" in refused.output
    assert not walk.json("proposals")
    proposed = walk.json(*register, "--label-items", walk.home / "label_items.csv")
    pid = proposed["proposal_id"]
    (listed,) = walk.json("proposals")
    assert listed["id"] == pid and listed["state"] in ("pending", "active")

    walk.advance(2)  # past the voting delay
    for member in MEMBERS:
        voted = walk.json("vote", pid[:10], "for", "--account", member)  # a prefix names the proposal
        assert voted["proposal"] == pid
    (listed,) = walk.json("proposals")
    assert listed["state"] == "active" and listed["quorum"]["reached"]
    assert listed["for"] == 20_000_000 * TOKEN and listed["against"] == 0

    walk.advance(VOTING_PERIOD + 1)
    assert walk.json("queue", pid[:10], "--account", "alice")["state"] == "queued"
    walk.advance(TIMELOCK_DELAY + 1)
    assert walk.json("execute", pid[:10], "--account", "bob")["state"] == "executed"

    project = walk.project()
    assert (project["id"], project["name"], project["phase"]) == (1, "digits", "not_started")
    assert project["benchmark_cid"] == proposed["benchmark_cid"] and project["slices_left"] == 1
    assert registry.project(1)["slicesRoot"].hex() in proposed["slices_root"]
    walk.state["slices"] = Path(proposed["slices_manifest"])
    assert walk.state["slices"].is_file()
    walk.passed.add("project")


def test_contributors_commit_and_reveal_directly_and_relayed(walk, registry):
    walk.after("project")
    walk.advance_to_phase(0, "commit")
    home, ben = walk.home, walk.address("ben")
    (home / "ada.csv").write_bytes(contribution("ada", walk.data))  # a model that beats the baseline
    (home / "ada-labels.csv").write_bytes(contribution("ann", walk.data))  # labels from a careful annotator
    (home / "ben.csv").write_bytes(contribution("ben", walk.data))  # an annotator's labels: labels are paid for
    # agreeing with the others' consensus, so ben's need a second annotator (ada)

    direct = walk.json("submit", home / "ada.csv", "--project", 1, "--kind", "model_predictions", "--account", "ada")
    labels = walk.json("submit", home / "ada-labels.csv", "--project", 1, "--kind", "labels", "--account", "ada")
    relayed = walk.json("submit", home / "ben.csv", "--project", 1, "--kind", "labels", "--account", "ben", "--relay")
    assert [c["contribution_id"] for c in (direct, labels, relayed)] == [1, 2, 3]
    assert direct["epoch"] == labels["epoch"] == relayed["epoch"] == 0
    assert [registry.contribution(i)["status"] for i in (1, 2, 3)] == [Status.COMMITTED.code] * 3  # sealed
    assert web3.eth.get_balance(ben) == 0 and web3.eth.get_transaction_count(ben) == 0

    walk.advance_to_phase(0, "reveal")
    revealed = walk.json("reveal", "--account", "ada")["revealed"]
    assert sorted((r["contribution_id"], r["cid"]) for r in revealed) == [(1, direct["cid"]), (2, labels["cid"])]
    (revealed,) = walk.json("reveal", "--account", "ben", "--relay")["revealed"]
    assert (revealed["contribution_id"], revealed["cid"]) == (3, relayed["cid"])
    assert [registry.contribution(i)["status"] for i in (1, 2, 3)] == [Status.REVEALED.code] * 3
    ada = walk.address("ada")
    assert [registry.contribution(i)["contributor"] for i in (1, 2, 3)] == [ada, ada, ben]
    assert web3.eth.get_balance(ben) == 0 and web3.eth.get_transaction_count(ben) == 0

    walk.api.wait_for("/contributions", lambda d: len(d["items"]) == 3, "the three contributions")
    mine = walk.json("contributions", "--account", "ben")
    assert [(c["contribution_id"], c["status"], c["kind"]) for c in mine["items"]] == [(3, "revealed", "labels")]
    walk.passed.add("contributions")


def test_oracle_closes_the_epoch_and_members_fund_it(walk, distributor, token):
    walk.after("contributions")
    home = walk.home
    walk("accounts", "import", "oracle", input="0x" + anvil_account(ORACLE).key.hex() + "\n")
    walk("delegate", "--account", "oracle")  # its own tokens: votes enough to propose the funding
    walk.advance_to_phase(1, "commit")  # epoch 0 closed
    assert walk.json("accounts", "show", "oracle")["votes"] == 5000 * TOKEN
    walk.advance(1, blocks=2)  # the oracle reads at one confirmation: a final block after the epoch's end

    made = walk(
        "oracle",
        "init",
        "--project",
        1,
        "--keystore",
        "oracle",
        "--slices",
        walk.state["slices"],
        "--budget",
        BUDGET,
        "--baseline",
        home / "baseline.csv",
        "--label-items",
        home / "label_items.csv",
        "--classes",
        ",".join(CLASSES),
        "--out",
        home / "oracle.json",
    ).stdout
    assert "warning" not in made and "wrote" in made
    config = ("--config", home / "oracle.json")

    def close_epoch() -> dict[str, Any]:
        out = walk("oracle", "close-epoch", 0, "--no-wait", "--json", *config).stdout
        return json.loads(out.strip().splitlines()[-1])

    record = close_epoch()
    assert record["step"] == "proposed" and record["submissions"] == 3 and record["report_cid"], record
    pid = record["proposal_id"]
    (funding,) = [p for p in walk.json("proposals") if p["id"] == pid]
    assert funding["state"] in ("pending", "active"), funding
    funds = funding["funds_epoch"]  # what the members vote on: who gets what and why, from the report
    assert (funds["project_id"], funds["epoch"], funds["report_cid"]) == (1, 0, record["report_cid"])
    paid = {r["account"]: (int(r["amount"]), r["why"]) for r in funds["recipients"]}
    assert set(paid) == {walk.address("ada"), walk.address("ben")}, funds["recipients"]
    assert "model: accuracy gain +" in paid[walk.address("ada")][1] and "300 labels" in paid[walk.address("ada")][1]
    assert "300 labels" in paid[walk.address("ben")][1]
    assert sum(amount for amount, _ in paid.values()) == int(funds["total"]) <= BUDGET * TOKEN
    walk.state["paid"] = {account: amount for account, (amount, _) in paid.items()}

    walk.advance(2)
    for member in MEMBERS:
        walk("vote", pid[:10], "for", "--account", member)
    assert close_epoch()["step"] == "proposed"  # voting: the oracle waits
    walk.advance(VOTING_PERIOD + 1)
    assert walk.json("queue", pid[:10], "--account", "bob")["state"] == "queued"
    assert close_epoch()["step"] == "queued"  # the timelock delay: the oracle waits
    walk.advance(TIMELOCK_DELAY + 1)
    assert walk.json("execute", pid[:10], "--account", "alice")["state"] == "executed"
    record = close_epoch()
    assert record["step"] == "executed", record
    status = [json.loads(line) for line in walk("oracle", "status", "--json", *config).stdout.splitlines()]
    assert [(s["epoch"], s["step"]) for s in status] == [(0, "executed")]
    assert token.balanceOf(distributor.address) == int(funds["total"]) > 0
    walk.state["report_cid"] = record["report_cid"]
    walk.passed.add("funded")


def test_the_contributor_with_no_eth_claims_through_the_relay(walk, token, distributor):
    walk.after("funded")
    ben, ada = walk.address("ben"), walk.address("ada")
    unclaimed = walk.api.wait_for(f"/contributors/{ben}/unclaimed", lambda d: d["claims"], "ben's claim")
    rewards = walk.json("rewards", "--account", "ben")
    assert int(rewards["total"]) == int(unclaimed["total"]) == walk.state["paid"][ben] > 0
    assert [(c["project_id"], c["epoch"]) for c in rewards["claims"]] == [(1, 0)]

    claimed = walk.json("claim", "--account", "ben", "--relay")
    assert claimed["relayed"] is True and int(claimed["amount"]) == int(rewards["total"])
    assert token.balanceOf(ben) == int(rewards["total"])
    assert web3.eth.get_balance(ben) == 0 and web3.eth.get_transaction_count(ben) == 0
    receipt = web3.eth.get_transaction_receipt(claimed["tx_hash"])
    assert receipt["from"] == anvil_account(RELAYER).address and receipt["to"] == distributor.address

    # the model's author claims with her own gas
    walk.api.wait_for(f"/contributors/{ada}/unclaimed", lambda d: d["claims"], "ada's claim")
    ada_rewards = int(walk.json("rewards", "--account", "ada")["total"])
    assert ada_rewards == walk.state["paid"][ada] > 0
    assert int(walk.json("claim", "--account", "ada")["amount"]) == ada_rewards == token.balanceOf(ada)
    assert token.balanceOf(distributor.address) == 0  # the epoch is paid out in full
    shown = walk.json("accounts", "show", "ben")
    assert (shown["eth_balance"], shown["balance"]) == (0, int(rewards["total"]))
    walk.passed.add("claimed")


def test_anyone_verifies_the_epoch(walk):
    walk.after("claimed")
    verified = walk.json("verify", 0, "--project", 1)
    assert verified["matches"] is True and verified["differences"] == [] and not verified["unavailable"]
    assert verified["report_cid"] == walk.state["report_cid"]
