"""One epoch of OpenMerit, end to end, on embedded defaults: a local anvil chain, SQLite, the
embedded artifact store. Every step goes through the same code users and operators run: the
deploy script, governance proposals, the artifact store, the registry's commit-reveal (directly
and through the API's relay), the oracle service, the explorer API and its indexer, claimMany.

`run_story` returns the final table's rows; `merit demo` prints them and the test checks them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
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
from web3.logs import DISCARD
from web3.types import RPCEndpoint, TxReceipt, Wei

from api.main import create_app
from api.settings import Settings as ApiSettings
from dao import eip712
from dao.artifacts import ArtifactStore, ArtifactStoreSettings, open_artifact_store
from dao.artifacts.store import compute_artifact_cid
from dao.chain import OpenMeritContracts, connect, load_contracts, read_struct, send_transaction
from dao.commitments import contribution_commitment, new_salt
from dao.proposals import ProjectSchedule, Proposal, epoch_key, register_project_proposal
from dao.slices import SliceSet
from dao.vocabulary import ContributionKind, Status, Task
from merit.demo.data import CLASSES, DemoProject, build
from oracle.hidden import write_slice_manifest
from oracle.scoring.metrics import Metric
from oracle.scoring.report import EpochReport, ScoringParameters, report_from_json
from oracle.service import OracleService
from oracle.settings import ProjectConfig
from oracle.settings import Settings as OracleSettings
from oracle.state import EpochRecord
from oracle.verification import read_public_epoch, verify_public

ANVIL_MNEMONIC = "test test test test test test test test test test test junk"
RPC_URL = "http://127.0.0.1:8545"
COMMIT_WINDOW = 600  # seconds; the demo moves anvil's clock through them
REVEAL_WINDOW = 600
BOND_TOKENS = 10
BUDGET_TOKENS = 100_000
MODEL_SHARE_BPS = 6000  # of the budget, for model gains; the rest for labels
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
    bond: str  # returned or forfeited
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

    def now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

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
    say(f"  proposal {proposal.proposal_id} executed")


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
        """Stops the server and waits for its thread (again: nothing to do)."""
        self.server.should_exit = True
        if self.thread.is_alive():
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
    resources: ExitStack | None = None,
) -> list[Row]:
    """Runs the epoch on the chain at RPC_URL, where `manifest` describes a fresh deployment made
    with config/deploy/development.json. Writes its databases and files under `workdir`. With
    `keep_api`, the API is left serving when the story ends (in a daemon thread). With
    `resources`, the API's stop is pushed onto that stack as soon as the API is up, and the
    stack's owner stops it (when the story ends, fails or is interrupted)."""

    workdir.mkdir(parents=True, exist_ok=True)
    w3 = connect(rpc_url)
    contracts = load_contracts(w3, manifest)
    chain = Chain(w3, contracts)
    deployer, alice, bob, oracle, relayer = (anvil_account(i) for i in (0, 1, 2, 7, 5))
    store_settings = ArtifactStoreSettings(path=workdir / "artifacts")
    store = open_artifact_store(store_settings)

    say("[1/10] members delegate their votes; the oracle delegates the tokens it holds")
    for member in (deployer, alice, bob, oracle):
        chain.send(member, contracts.token.functions.delegate(member.address))
    chain.advance(1)

    say("[2/10] building the project from scikit-learn's digits data (no download)")
    project: DemoProject = build()
    files = {name: workdir / f"{name}.csv" for name in ("baseline", "label_items")}
    for name, path in files.items():
        path.write_bytes(getattr(project, name))
    benchmark_cid = store.put(project.benchmark_inputs)
    slices = SliceSet.build([project.hidden_slice])
    slices_manifest = write_slice_manifest(workdir / "hidden-slices", slices)  # the oracle's, never published

    say(
        "[3/10] governance registers the project: epochs of a commit then a reveal window, "
        f"a bond of {BOND_TOKENS} MERIT per commit, and its hidden answer slice committed on chain"
    )
    start = chain.now() + 1000  # after the registration's own vote and timelock delay
    register = register_project_proposal(
        contracts.registry.address,
        name=project.name,
        task="classification",
        metric="accuracy",
        benchmark_cid=benchmark_cid,
        schedule=ProjectSchedule(start, COMMIT_WINDOW, REVEAL_WINDOW, BOND_TOKENS * TOKEN),
        slices_root=slices.root,
        slice_count=len(slices),
    )
    _enact(chain, register, deployer, [deployer, alice, bob], say)
    project_id = contracts.registry.functions.projectCount().call()
    chain.advance(max(0, start - chain.now()))

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
    if resources is not None:
        resources.callback(api.__exit__, None, None, None)
    try:
        say(f"[4/10] the explorer API is up at {api.url} (docs at {api.url}/docs), indexing the chain")

        say("[5/10] epoch 0's commit window: contributors commit to their files (nothing is published yet)")
        people: dict[str, LocalAccount] = {}
        commits: dict[str, _Commit] = {}
        for contribution in project.contributions:
            person = Account.create(f"openmerit demo {contribution.name}")
            people[contribution.name] = person
            chain.fund_gas(person.address)
            chain.send(deployer, contracts.token.functions.transfer(person.address, 2 * BOND_TOKENS * TOKEN))
            chain.send(person, contracts.token.functions.approve(contracts.registry.address, BOND_TOKENS * TOKEN))
            commit = _Commit.make(person.address, project_id, 0, contribution.kind, contribution.artifact)
            if contribution.name == "ben":
                commit.contribution_id = _relay_commit(api, chain, person, project_id, commit)
            else:
                receipt = chain.send(person, contracts.registry.functions.commit(project_id, commit.commitment))
                event = contracts.registry.events.Committed().process_receipt(receipt, errors=DISCARD)[0]["args"]
                commit.contribution_id = int(event["contributionId"])
            commits[contribution.name] = commit
            say(f"  {contribution.name:8} commit {commit.contribution_id:2}  0x{commit.commitment.hex()[:16]}…")

        say("[6/10] the reveal window: each contributor uploads the file and reveals kind, CID and salt")
        windows = read_struct(contracts.registry.functions.epochWindows(project_id, 0))
        chain.advance(max(0, int(windows["revealStart"]) - chain.now()))
        for contribution in project.contributions:
            person, commit = people[contribution.name], commits[contribution.name]
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
            assert cid == commit.cid, "the API stored the file under another CID"
            if contribution.name == "ben":
                _relay_reveal(api, chain, person, project_id, commit)
            else:
                reveal = contracts.registry.functions.reveal(
                    commit.contribution_id, project_id, 0, commit.kind.code, commit.cid, commit.salt
                )
                chain.send(person, reveal)
            say(f"  {contribution.name:8} {contribution.kind.value:17} {cid}  ({contribution.intent})")

        say("[7/10] the epoch closes; the oracle scores on its hidden slice, reveals the slice, attests, proposes")
        chain.advance(max(0, int(windows["end"]) - chain.now()))
        chain.mine(2)  # the oracle reads at one confirmation: a final block timed after the epoch's end
        service = _oracle(
            rpc_url, workdir, manifest, store_settings, oracle, project_id, project, files, slices_manifest
        )
        try:
            record = service.close_epoch(0, wait=False)
            say(
                f"  hidden slice {record.slice_index} revealed on chain; report {record.report_cid}; "
                f"proposal {record.proposal_id} is open for votes"
            )
            say("[8/10] members vote; the oracle queues and executes the proposal")
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

        say("[9/10] contributors claim their tokens with the proofs the API serves (one claimMany each)")
        report = _report(store, contracts, project_id)
        claimed: dict[str, int] = {}
        for name, person in people.items():

            def claimable(data: Any, address: str = person.address) -> bool:
                return bool(data["claims"]) or not _allocated(report, address)

            unclaimed = api.wait_for(f"/contributors/{person.address}/unclaimed", claimable, f"{name}'s claim")
            if not unclaimed["claims"]:
                claimed[name] = 0
                continue
            before = contracts.token.functions.balanceOf(person.address).call()
            claims = [(int(c["epoch_key"]), c["index"], int(c["amount"]), c["proof"]) for c in unclaimed["claims"]]
            chain.send(person, contracts.distributor.functions.claimMany(person.address, claims))
            claimed[name] = contracts.token.functions.balanceOf(person.address).call() - before
        api_view = api.get("/contributions", limit=20)
        say(f"  the API lists {len(api_view['items'])} contributions; GET {api.url}/docs for the rest")
        say(f"[10/10] anyone verifies the epoch from public data alone: merit verify 0 --project {project_id}")
        verification = verify_public(read_public_epoch(w3, contracts, store, project_id, 0))
        if not verification.matches:
            raise RuntimeError(f"the demo's epoch does not verify: {verification.differences[:5]}")
        inputs, merkle_root = verification.report.inputs, verification.report.merkle_root
        say(
            f"  epoch 0 matches: the revealed slice is the committed one, the {len(inputs.submissions)} reveals "
            f"are the report's, and scores, allocations and root {merkle_root[:10]}… recompute to what was funded"
        )
        api_path = f"/projects/{project_id}/epochs/0/verification"
        checked = api.wait_for(
            api_path, lambda data: data["status"] in ("matches", "differs"), "the API's verification"
        )
        say(f"  the API's indexer checked it too: GET {api_path} says {checked['status']}")
        bonds = {name: _bond_state(contracts, commits[name].contribution_id) for name in people}
    finally:
        if not keep_api and resources is None:
            api.__exit__(None, None, None)
    return _rows(project, people, report, claimed, bonds)


@dataclass
class _Commit:
    """What a contributor keeps between commit and reveal (the CLI keeps it in merit.commit_store)."""

    kind: ContributionKind
    cid: str
    salt: bytes
    commitment: bytes
    contribution_id: int = 0

    @classmethod
    def make(cls, contributor: str, project_id: int, epoch: int, kind: ContributionKind, artifact: bytes) -> _Commit:
        cid, salt = compute_artifact_cid(artifact), new_salt()
        commitment = contribution_commitment(
            contributor=contributor, project_id=project_id, epoch=epoch, kind=kind, cid=cid, salt=salt
        )
        return cls(kind, cid, salt, commitment)


def _bond_state(contracts: OpenMeritContracts, contribution_id: int) -> str:
    status = Status.from_code(int(read_struct(contracts.registry.functions.contribution(contribution_id))["status"]))
    return {Status.ACCEPTED: "returned", Status.REJECTED: "forfeited", Status.FORFEITED: "forfeited"}.get(
        status, "held"
    )


def _relay_commit(api: ApiServer, chain: Chain, person: LocalAccount, project_id: int, commit: _Commit) -> int:
    registry = chain.c.registry
    nonce = registry.functions.nonces(person.address).call()
    deadline = chain.now() + 3600
    typed = eip712.commit(
        chain.w3.eth.chain_id,
        registry.address,
        contributor=person.address,
        project_id=project_id,
        commitment=commit.commitment,
        nonce=nonce,
        deadline=deadline,
    )
    body = {
        "contributor": person.address,
        "project_id": project_id,
        "commitment": "0x" + commit.commitment.hex(),
        "nonce": nonce,
        "deadline": deadline,
        "signature": "0x" + eip712.sign(typed, person.key).hex(),
    }
    answer = httpx.post(api.url + "/relay/commits", json=body, timeout=60).raise_for_status().json()
    return int(answer["contribution_id"])


def _relay_reveal(api: ApiServer, chain: Chain, person: LocalAccount, project_id: int, commit: _Commit) -> None:
    registry = chain.c.registry
    nonce = registry.functions.nonces(person.address).call()
    deadline = chain.now() + 3600
    typed = eip712.reveal(
        chain.w3.eth.chain_id,
        registry.address,
        contributor=person.address,
        contribution_id=commit.contribution_id,
        kind=commit.kind.code,
        cid=commit.cid,
        salt=commit.salt,
        nonce=nonce,
        deadline=deadline,
    )
    body = {
        "contributor": person.address,
        "contribution_id": commit.contribution_id,
        "project_id": project_id,
        "epoch": 0,
        "kind": commit.kind.value,
        "cid": commit.cid,
        "salt": "0x" + commit.salt.hex(),
        "nonce": nonce,
        "deadline": deadline,
        "signature": "0x" + eip712.sign(typed, person.key).hex(),
    }
    httpx.post(api.url + "/relay/reveals", json=body, timeout=60).raise_for_status()


def _oracle(
    rpc_url: str,
    workdir: Path,
    manifest: Path,
    store_settings: ArtifactStoreSettings,
    oracle: LocalAccount,
    project_id: int,
    project: DemoProject,
    files: dict[str, Path],
    slices_manifest: Path,
) -> OracleService:
    settings = OracleSettings(
        rpc_url=rpc_url,
        deployment=manifest,
        private_key="0x" + oracle.key.hex(),
        confirmations=1,
        artifacts=store_settings,
        database_url=f"sqlite:///{workdir / 'oracle.db'}",
        poll_interval_seconds=0.2,
        project=ProjectConfig(
            project_id=project_id,
            name=project.name,
            budget_wei=BUDGET_TOKENS * TOKEN,
            parameters=ScoringParameters(
                task=Task.CLASSIFICATION,
                metric=Metric.ACCURACY,
                classes=CLASSES,
                margin=0.0,
                model_share_bps=MODEL_SHARE_BPS,
            ),
            slices_path=slices_manifest,
            champion_path=files["baseline"],
            label_items_path=files["label_items"],
        ),
    )
    # the demo's oracle settings, for `merit oracle status` / `verify` afterwards (the profile names
    # the file); without the key, which only this run uses: the file alone runs the oracle dry
    (workdir / "oracle.json").write_text(settings.model_dump_json(exclude={"private_key"}, indent=2) + "\n")
    return OracleService(settings)


def _report(store: ArtifactStore, contracts: OpenMeritContracts, project_id: int) -> EpochReport:
    funded = contracts.distributor.events.EpochFunded.get_logs(
        from_block=contracts.deployment.contracts["distributor"].block_number,
        argument_filters={"epochKey": epoch_key(project_id, 0)},
    )
    return report_from_json(store.get(funded[-1]["args"]["reportCid"]))


def _proposal_id(record: EpochRecord) -> int:
    if record.proposal_id is None:
        raise RuntimeError(f"epoch {record.epoch} has no funding proposal yet")
    return int(record.proposal_id)


def _allocated(report: EpochReport, address: str) -> bool:
    return any(a.account == address and a.amount_wei > 0 for a in report.allocations)


def interval_label(report: EpochReport) -> str:
    """What the gain's bounds are: gain -/+ z x se at the champion test's one-sided level c
    (oracle.scoring.champion, Bonferroni-corrected over the epoch's challengers), a two-sided
    interval of level 2c - 1."""
    c = report.model_test_confidence or report.parameters.confidence
    return f"{100 * (2 * c - 1):.4g}%"


def _rows(
    project: DemoProject,
    people: dict[str, LocalAccount],
    report: EpochReport,
    claimed: dict[str, int],
    bonds: dict[str, str],
) -> list[Row]:
    models = {s.contributor: s for s in report.model_scores}
    annotators = {s.annotator: s for s in report.annotator_scores}
    label_files = {s.contributor: s for s in report.label_submissions}
    metric = report.parameters.metric.value
    interval = interval_label(report)
    rows = []
    for contribution in project.contributions:
        address = people[contribution.name].address
        if contribution.kind is ContributionKind.MODEL_PREDICTIONS:
            s = models[address]
            score = "-"
            if s.gain is not None:
                score = f"{metric} gain {s.gain:+.4f}"
                if s.gain_lower is not None and s.gain_upper is not None:
                    score += f" ({interval} interval {s.gain_lower:+.4f}..{s.gain_upper:+.4f})"
            reason = s.reason.value if s.reason else "new champion" if s.became_champion else "no gain"
        else:
            a = annotators.get(address)
            f = label_files.get(address)
            score = (
                f"agreement with consensus {a.accuracy:.3f}, annotator score {a.score:.1f} ({a.labels} labels)"
                if a and a.accuracy is not None
                else "-"
            )
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
                bonds[contribution.name],
                claimed[contribution.name],
            )
        )
    return rows
