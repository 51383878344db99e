"""RPC faults: the service's node is stopped and restarted mid-cycle (its own anvil, started by the
test on a free port from the test chain's state), and requests fail at random through a proxy
(dropped before or after the node saw them, HTTP 429 and 503, JSON-RPC rate limits). No work is
lost and nothing is sent twice."""

from __future__ import annotations

import gzip
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
from web3 import Web3

from dao.chain import load_contracts
from oracle.service import OracleService
from oracle.settings import load_settings
from oracle.state import Step
from tests.oracle.helpers import (
    RpcProxy,
    chain_ledger,
    free_port,
    journal_proposal,
    journal_report,
    write_config,
)

pytestmark = pytest.mark.usefixtures("isolation")  # a snapshot around every test

ANVIL = shutil.which("anvil")


class OwnAnvil:
    """An anvil on a free port whose state survives a stop (SIGTERM dumps it, start loads it)."""

    def __init__(self, state: Path) -> None:
        self.state = state
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        assert ANVIL is not None
        self.process = subprocess.Popen(
            [ANVIL, "--port", str(self.port), "--silent", "--state", str(self.state)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        w3 = Web3(Web3.HTTPProvider(self.url))
        deadline = time.monotonic() + 20
        while not w3.is_connected():
            assert time.monotonic() < deadline, "anvil did not start"
            time.sleep(0.05)
        # a restarted anvil forgets evm_increaseTime offsets and would run its clock behind its
        # own last block; a real chain's clock never goes back
        latest = int(w3.eth.get_block("latest")["timestamp"])
        if latest >= int(time.time()):
            assert "error" not in w3.provider.make_request("evm_setTime", [latest + 1])

    def copy_chain(self, source: Web3) -> None:
        """Starts holding everything `source` holds now (its anvil_dumpState)."""
        dumped = source.provider.make_request("anvil_dumpState", [])["result"]
        self.state.write_bytes(gzip.decompress(bytes.fromhex(dumped.removeprefix("0x"))))
        self.start()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # anvil writes its state on the way out
            self.process.wait(timeout=20)
        self.process = None


@pytest.fixture
def own_anvil(tmp_path):
    """A second anvil on a free port (not started); stopped at the end of the test whatever happens."""
    node = OwnAnvil(tmp_path / "anvil-state.json")
    try:
        yield node
    finally:
        if node.process is not None and node.process.poll() is None:
            node.process.kill()
            node.process.wait()


_MAIN_PATH = [
    Step.NEW,
    Step.COLLECTED,
    Step.SCORED,
    Step.PINNED,
    Step.ATTESTED,
    Step.PROPOSED,
    Step.QUEUED,
    Step.EXECUTED,
]


def _reached(current: Step, target: Step) -> bool:
    return current in _MAIN_PATH and _MAIN_PATH.index(current) >= _MAIN_PATH.index(target)


def wait_for(predicate, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_node_stopped_and_restarted_mid_cycle(world, own_anvil, web3, alice, bob, carol, outsider, caplog):
    workload = world.workload
    contributions = [
        world.submit(bob, workload.predictions["better"])[0],
        world.submit(carol, workload.predictions["malformed"])[0],
        world.submit(outsider, workload.predictions["best"])[0],
    ]
    world.finalize(0)
    own_anvil.copy_chain(web3)  # deployment, project, votes and submissions: the service's own node

    settings = load_settings(write_config(world, "own.json", rpc_url=own_anvil.url, rpc_retry_seconds=120))
    service = OracleService(settings)
    stop, failures, outcome = threading.Event(), [], []

    def close() -> None:
        try:
            outcome.append(service.close_epoch(0, wait=True, stop=stop))
        except BaseException as error:  # surfaced in the main thread
            failures.append(error)

    worker = threading.Thread(target=close)
    w3 = Web3(Web3.HTTPProvider(own_anvil.url))
    contracts = load_contracts(w3, settings.deployment)
    try:
        own_anvil.stop()  # down before the service's first request
        worker.start()
        time.sleep(1.5)
        own_anvil.start()
        # at least pinned: the attestation may follow within milliseconds of the pin
        wait_for(lambda: (r := world.record(0)) is not None and _reached(r.current_step, Step.PINNED), "pinned")
        own_anvil.stop()  # down between pinning and attesting
        time.sleep(1.5)
        own_anvil.start()
        wait_for(lambda: world.record(0).current_step is Step.PROPOSED, "proposed")
        own_anvil.stop()  # down while the proposal is followed
        time.sleep(1.0)
        own_anvil.start()
        proposal = journal_proposal(world.record(0))
        governor = contracts.governor.functions
        snapshot = governor.proposalSnapshot(proposal.proposal_id).call()
        w3.provider.make_request("evm_increaseTime", [max(0, snapshot - w3.eth.get_block("latest")["timestamp"]) + 1])
        w3.provider.make_request("evm_mine", [])
        for voter in (alice, bob):
            w3.eth.send_transaction(
                {
                    "from": voter.address,
                    "to": contracts.governor.address,
                    "data": governor.castVote(proposal.proposal_id, 1)._encode_transaction_data(),
                }
            )
        deadline = governor.proposalDeadline(proposal.proposal_id).call()
        w3.provider.make_request("evm_increaseTime", [max(0, deadline - w3.eth.get_block("latest")["timestamp"]) + 1])
        w3.provider.make_request("evm_mine", [])
        wait_for(lambda: world.record(0).current_step is Step.QUEUED, "queued")
        own_anvil.stop()
        time.sleep(1.0)
        own_anvil.start()
        eta = governor.proposalEta(proposal.proposal_id).call()
        w3.provider.make_request("evm_increaseTime", [max(0, eta - w3.eth.get_block("latest")["timestamp"]) + 1])
        w3.provider.make_request("evm_mine", [])
        worker.join(timeout=90)
        record = world.record(0)
        assert not worker.is_alive(), f"the service did not finish the epoch: {record.step} ({record.note})"
    finally:
        stop.set()
        worker.join(timeout=30) if worker.is_alive() else None
        service.close()
    assert not failures, failures
    refused = [r for r in caplog.records if r.getMessage() == "rpc fault, retrying" and r.fault == "ConnectionError"]
    assert len(refused) >= 4, "the node's outages were not seen by the service"
    record = outcome[0]
    assert record.current_step is Step.EXECUTED
    ledger = chain_ledger(own_anvil.url, settings.deployment, world.first_block)
    assert sorted(ledger.attestations) == contributions
    assert all(cids == [record.report_cid] for cids in ledger.attestations.values())
    assert ledger.proposals == [int(record.proposal_id)]
    assert ledger.fundings == [(0, record.report_cid)]


def test_requests_failing_at_random(world, governance, web3, token, distributor, alice, bob, carol, outsider):
    workload = world.workload
    contributions = [
        world.submit(bob, workload.predictions["better"])[0],
        world.submit(carol, workload.predictions["malformed"])[0],
        world.submit(outsider, workload.predictions["best"])[0],
        world.submit(alice, workload.predictions["weak"])[0],
    ]
    world.finalize(0)
    with RpcProxy(web3.provider.endpoint_uri, failure_rate=0.3, seed=11) as proxy:
        settings = load_settings(write_config(world, "flaky.json", rpc_url=proxy.url))
        service = OracleService(settings)
        try:
            record = service.close_epoch(0, wait=False)
            assert record.current_step is Step.PROPOSED
            proposal = journal_proposal(record)
            governance.open_voting(proposal)
            governance.vote(proposal, [alice, bob])
            governance.close_voting(proposal)
            assert service.close_epoch(0, wait=False).current_step is Step.QUEUED
            governance.wait_timelock()
            record = service.close_epoch(0, wait=False)
        finally:
            service.close()
        assert record.current_step is Step.EXECUTED
        assert all(count > 0 for count in proxy.faults.values()), proxy.faults
    ledger = chain_ledger(web3.provider.endpoint_uri, world.settings.deployment, world.first_block)
    assert sorted(ledger.attestations) == contributions
    assert all(cids == [record.report_cid] for cids in ledger.attestations.values())
    assert ledger.proposals == [int(record.proposal_id)]
    assert ledger.fundings == [(0, record.report_cid)]
    report = journal_report(record)
    assert int(token.balanceOf(distributor)) == sum(a.amount_wei for a in report.allocations)
