"""One epoch of OpenMerit, end to end, on embedded defaults: a local anvil chain, SQLite, the
embedded artifact store. Every step goes through the same code users and operators run: the
deploy script, governance proposals, the artifact store, the registry (directly and through the
API's relay), the oracle service, the explorer API and its indexer, claimMany.

`run_story` returns the final table's rows; `merit demo` prints them and the test checks them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address
from web3 import Web3
from web3.contract.contract import ContractFunction
from web3.types import RPCEndpoint, TxReceipt, Wei

from api.main import create_app
from api.settings import Settings as ApiSettings
from dao import eip712
from dao.artifacts import ArtifactStore, ArtifactStoreSettings, open_artifact_store
from dao.chain import OpenMeritContracts, connect, load_contracts, send_transaction
from dao.proposals import Proposal, register_project_proposal
from dao.vocabulary import ContributionKind, Task
from merit.demo.data import CLASSES, DemoProject, build
from oracle.hidden import answers_commitment
from oracle.scoring.metrics import Metric
from oracle.scoring.report import EpochReport, ScoringParameters, report_from_json
from oracle.service import OracleService
from oracle.settings import EpochSchedule, ProjectConfig
from oracle.settings import Settings as OracleSettings
from oracle.state import EpochRecord

ANVIL_MNEMONIC = "test test test test test test test test test test test junk"
RPC_URL = "http://127.0.0.1:8545"
EPOCH_BLOCKS = 120
BUDGET_TOKENS = 100_000
TOKEN = 10**18
Say = Callable[[str], None]


@dataclass(frozen=True)
class Row:
    contributor: str
    address: str
    kind: str
    intent: str
    score: str
    reason: str
    claimed_tokens: int  # base units


def anvil_account(index: int) -> LocalAccount:
    """anvil's well-known development accounts (its default mnemonic)."""
    Account.enable_unaudited_hdwallet_features()
    return Account.from_mnemonic(ANVIL_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")


class Chain:
    """The local chain as the demo's users see it: signed transactions, and anvil's clock."""

    def __init__(self, w3: Web3, contracts: OpenMeritContracts) -> None:
        self.w3 = w3
        self.c = contracts

    def send(self, account: LocalAccount, call: ContractFunction) -> TxReceipt:
        return send_transaction(self.w3, account, call)

    def advance(self, seconds: int) -> None:
        self.w3.provider.make_request(RPCEndpoint("evm_increaseTime"), [seconds])
        self.w3.provider.make_request(RPCEndpoint("evm_mine"), [])

    def mine(self, blocks: int) -> None:
        self.w3.provider.make_request(RPCEndpoint("anvil_mine"), [hex(blocks)])

    def fund_gas(self, address: str) -> None:
        self.w3.eth.send_transaction(
            {"from": self.w3.eth.accounts[0], "to": to_checksum_address(address), "value": Wei(TOKEN)}
        )


def _enact(chain: Chain, proposal: Proposal, proposer: LocalAccount, voters: list[LocalAccount], say: Say) -> None:
    """Propose, vote, wait out the voting period, queue, wait out the timelock, execute."""
    governor = chain.c.governor.functions
    chain.send(proposer, governor.propose(*proposal.propose_args()))
    chain.advance(governor.votingDelay().call() + 1)
    for voter in voters:
        chain.send(voter, governor.castVote(proposal.proposal_id, 1))
    chain.advance(governor.votingPeriod().call() + 1)
    chain.send(proposer, governor.queue(*proposal.lifecycle_args()))
    chain.advance(chain.c.timelock.functions.getMinDelay().call() + 1)
    chain.send(proposer, governor.execute(*proposal.lifecycle_args()))
    say(f"  proposal {str(proposal.proposal_id)[:12]}… executed")


class ApiServer:
    """The explorer API (with its indexer) served by uvicorn in a thread, on loopback."""

    def __init__(self, settings: ApiSettings, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"
        app = create_app(settings)
        logging.getLogger("api").setLevel(logging.WARNING)  # the story narrates; request logs would drown it
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> ApiServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("the API did not start within 30 s")

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def get(self, path: str, **params: Any) -> Any:
        response = httpx.get(self.url + path, params=params, timeout=30)
        response.raise_for_status()
        return response.json()

    def wait_for(self, path: str, ready: Callable[[Any], bool], what: str, timeout: float = 60) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            try:
                data = self.get(path)
                if ready(data):
                    return data
            except httpx.HTTPStatusError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the API did not show {what} within {timeout:.0f} s")
            time.sleep(0.25)


def run_story(
    root: Path,
    workdir: Path,
    manifest: Path,
    say: Say = print,
    api_port: int = 8000,
    keep_api: bool = False,
    rpc_url: str = RPC_URL,
) -> list[Row]:
    """Runs the epoch on the chain at RPC_URL, where `manifest` describes a fresh deployment made
    with config/deploy/development.json. Writes its databases and files under `workdir`. With
    `keep_api`, the API is left serving when the story ends (in a daemon thread)."""

    workdir.mkdir(parents=True, exist_ok=True)
    w3 = connect(rpc_url)
    contracts = load_contracts(w3, manifest)
    chain = Chain(w3, contracts)
    deployer, alice, bob, oracle, relayer = (anvil_account(i) for i in (0, 1, 2, 7, 5))
    store_settings = ArtifactStoreSettings(path=workdir / "artifacts")
    store = open_artifact_store(store_settings)

    say("[1/8] members delegate their votes; the oracle delegates the tokens it holds")
    for member in (deployer, alice, bob, oracle):
        chain.send(member, contracts.token.functions.delegate(member.address))
    chain.advance(1)

    say("[2/8] building the project from scikit-learn's digits data (no download)")
    project: DemoProject = build()
    files = {name: workdir / f"{name}.csv" for name in ("answers", "baseline", "label_items", "gold")}
    for name, path in files.items():
        path.write_bytes(getattr(project, name))
    benchmark_cid = store.put(project.benchmark_inputs)
    commitment = answers_commitment(project.answers)

    say("[3/8] governance registers the project, with its hidden answers committed on chain")
    register = register_project_proposal(
        contracts.registry.address,
        name=project.name,
        task="classification",
        metric="accuracy",
        benchmark_cid=benchmark_cid,
        answers_commitment=commitment,
    )
    _enact(chain, register, deployer, [deployer, alice, bob], say)
    project_id = contracts.registry.functions.projectCount().call()

    api_settings = ApiSettings(
        database_url=f"sqlite:///{workdir / 'api.db'}",
        rpc_url=rpc_url,
        deployment=manifest,
        artifacts=store_settings,
        run_indexer=True,
        index_poll_seconds=0.5,
        relayer_private_key="0x" + relayer.key.hex(),
        log_json=False,
    )
    api = ApiServer(api_settings, api_port).__enter__()
    try:
        say(f"[4/8] the explorer API is up at {api.url} (docs at {api.url}/docs), indexing the chain")

        say("[5/8] contributors upload artifacts and submit them (one through the API's relay)")
        people: dict[str, LocalAccount] = {}
        for contribution in project.contributions:
            person = Account.create(f"openmerit demo {contribution.name}")
            people[contribution.name] = person
            chain.fund_gas(person.address)
            cid = (
                httpx.post(
                    api.url + "/artifacts",
                    content=contribution.artifact,
                    headers={"content-type": "text/csv"},
                    timeout=30,
                )
                .raise_for_status()
                .json()["cid"]
            )
            if contribution.name == "ben":
                _relay(api, chain, person, project_id, contribution.kind, cid)
            else:
                chain.send(person, contracts.registry.functions.submit(project_id, contribution.kind.code, cid))
            say(f"  {contribution.name:8} {contribution.kind.value:17} {cid}  ({contribution.intent})")

        say("[6/8] the epoch closes; the oracle scores, reports, attests and proposes the rewards")
        first_block = contracts.deployment.contracts["registry"].block_number
        chain.mine(max(0, first_block + EPOCH_BLOCKS + 2 - w3.eth.block_number))
        service = _oracle(rpc_url, workdir, manifest, store_settings, oracle, project_id, project, files, first_block)
        try:
            record = service.close_epoch(0, wait=False)
            say(f"  report {record.report_cid}; proposal {str(record.proposal_id)[:12]}… is open for votes")
            say("[7/8] members vote; the oracle queues and executes the proposal")
            chain.advance(contracts.governor.functions.votingDelay().call() + 1)
            for member in (deployer, alice, bob):
                chain.send(member, contracts.governor.functions.castVote(_proposal_id(record), 1))
            chain.advance(contracts.governor.functions.votingPeriod().call() + 1)
            service.close_epoch(0, wait=False)
            chain.advance(contracts.timelock.functions.getMinDelay().call() + 1)
            record = service.close_epoch(0, wait=False)
            say(f"  epoch 0: {record.current_step.value}")
        finally:
            service.close()

        say("[8/8] contributors claim their tokens with the proofs the API serves (one claimMany each)")
        report = _report(store, contracts)
        claimed: dict[str, int] = {}
        for name, person in people.items():

            def claimable(data: Any, address: str = person.address) -> bool:
                return bool(data["claims"]) or not _allocated(report, address)

            unclaimed = api.wait_for(f"/contributors/{person.address}/unclaimed", claimable, f"{name}'s claim")
            if not unclaimed["claims"]:
                claimed[name] = 0
                continue
            before = contracts.token.functions.balanceOf(person.address).call()
            claims = [(c["epoch_id"], c["index"], int(c["amount"]), c["proof"]) for c in unclaimed["claims"]]
            chain.send(person, contracts.distributor.functions.claimMany(person.address, claims))
            claimed[name] = contracts.token.functions.balanceOf(person.address).call() - before
        api_view = api.get("/contributions", limit=20)
        say(f"  the API lists {len(api_view['items'])} contributions; GET {api.url}/docs for the rest")
    finally:
        if not keep_api:
            api.__exit__(None, None, None)
    return _rows(project, people, report, claimed)


def _relay(
    api: ApiServer, chain: Chain, person: LocalAccount, project_id: int, kind: ContributionKind, cid: str
) -> None:

    registry = chain.c.registry
    nonce = registry.functions.nonces(person.address).call()
    deadline = chain.w3.eth.get_block("latest")["timestamp"] + 3600
    typed = eip712.submission(
        chain.w3.eth.chain_id,
        registry.address,
        contributor=person.address,
        project_id=project_id,
        kind=kind.code,
        cid=cid,
        nonce=nonce,
        deadline=deadline,
    )
    body = {
        "contributor": person.address,
        "project_id": project_id,
        "kind": kind.value,
        "cid": cid,
        "nonce": nonce,
        "deadline": deadline,
        "signature": "0x" + eip712.sign(typed, person.key).hex(),
    }
    httpx.post(api.url + "/relay/submissions", json=body, timeout=60).raise_for_status()


def _oracle(
    rpc_url: str,
    workdir: Path,
    manifest: Path,
    store_settings: ArtifactStoreSettings,
    oracle: LocalAccount,
    project_id: int,
    project: DemoProject,
    files: dict[str, Path],
    first_block: int,
) -> OracleService:
    settings = OracleSettings(
        rpc_url=rpc_url,
        deployment=manifest,
        private_key="0x" + oracle.key.hex(),
        schedule=EpochSchedule(first_block=first_block, length_blocks=EPOCH_BLOCKS),
        confirmations=1,
        artifacts=store_settings,
        database_url=f"sqlite:///{workdir / 'oracle.db'}",
        poll_interval_seconds=0.2,
        project=ProjectConfig(
            project_id=project_id,
            name=project.name,
            budget_wei=BUDGET_TOKENS * TOKEN,
            parameters=ScoringParameters(
                task=Task.CLASSIFICATION, metric=Metric.ACCURACY, classes=CLASSES, margin=0.0, model_share_bps=6000
            ),
            answers_path=files["answers"],
            champion_path=files["baseline"],
            label_items_path=files["label_items"],
            gold_path=files["gold"],
        ),
    )
    return OracleService(settings)


def _report(store: ArtifactStore, contracts: OpenMeritContracts) -> EpochReport:
    funded = contracts.distributor.events.EpochFunded.get_logs(
        from_block=contracts.deployment.contracts["distributor"].block_number
    )
    return report_from_json(store.get(funded[-1]["args"]["reportCid"]))


def _proposal_id(record: EpochRecord) -> int:
    if record.proposal_id is None:
        raise RuntimeError(f"epoch {record.epoch} has no funding proposal yet")
    return int(record.proposal_id)


def _allocated(report: EpochReport, address: str) -> bool:
    return any(a.account == address and a.amount_wei > 0 for a in report.allocations)


def _rows(
    project: DemoProject, people: dict[str, LocalAccount], report: EpochReport, claimed: dict[str, int]
) -> list[Row]:
    models = {s.contributor: s for s in report.model_scores}
    annotators = {s.annotator: s for s in report.annotator_scores}
    label_files = {s.contributor: s for s in report.label_submissions}
    rows = []
    for contribution in project.contributions:
        address = people[contribution.name].address
        if contribution.kind is ContributionKind.MODEL_PREDICTIONS:
            s = models[address]
            score = f"gain {s.gain:+.4f} [{s.gain_lower:+.4f}, {s.gain_upper:+.4f}]" if s.gain is not None else "-"
            reason = s.reason.value if s.reason else "new champion" if s.became_champion else "no gain"
        else:
            a = annotators.get(address)
            f = label_files.get(address)
            score = f"accuracy {a.accuracy:.3f}, score {a.score:.1f}" if a and a.accuracy is not None else "-"
            reason = (
                a.reason.value
                if a and a.reason
                else f.reason.value
                if f and f.reason
                else "no better than chance"
                if a is None or a.score_units == 0
                else "reliable"
            )
        rows.append(
            Row(
                contribution.name,
                address,
                contribution.kind.value,
                contribution.intent,
                score,
                reason,
                claimed[contribution.name],
            )
        )
    return rows
