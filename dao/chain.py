"""Run-time chain access for the oracle, the API, the indexer and the CLI: web3.py against any
JSON-RPC endpoint, the deployment manifest, and the ABIs of dao.abi. (Brownie is for compiling,
deploying and testing; nothing here imports it.)"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from web3 import Web3
from web3.contract import Contract

from dao.abi import abi
from dao.deployments import Deployment, load_deployment

DEFAULT_RPC_URL = "http://127.0.0.1:8545"


class ChainMismatchError(RuntimeError):
    """The endpoint's chain is not the one the deployment manifest was made on."""


def connect(rpc_url: str = DEFAULT_RPC_URL, *, timeout: float = 30.0) -> Web3:
    """A web3 client with an explicit request timeout (a node that hangs never hangs us forever)."""
    return Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": timeout}))


@dataclass(frozen=True)
class OpenMeritContracts:
    deployment: Deployment
    token: Contract
    governor: Contract
    timelock: Contract
    registry: Contract
    distributor: Contract


def load_contracts(w3: Web3, deployment: Deployment | Path | str) -> OpenMeritContracts:
    """The deployment's contracts bound to `w3`; refuses a manifest from another chain."""
    if not isinstance(deployment, Deployment):
        deployment = load_deployment(Path(deployment))
    chain_id = w3.eth.chain_id
    if chain_id != deployment.chain_id:
        raise ChainMismatchError(
            f"the {deployment.network} deployment is on chain id {deployment.chain_id}, "
            f"but the node answers chain id {chain_id}")

    def bind(key: str) -> Contract:
        record = deployment.contracts[key]
        return w3.eth.contract(address=record.address, abi=abi(record.artifact))

    return OpenMeritContracts(
        deployment=deployment,
        token=bind("token"),
        governor=bind("governor"),
        timelock=bind("timelock"),
        registry=bind("registry"),
        distributor=bind("distributor"),
    )
