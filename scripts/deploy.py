"""Deploys and wires OpenMerit: timelock, token, governor, contribution registry and reward
distributor, with every admin role held by the timelock and the deployer holding none.

One code path for local and live networks:

    brownie run scripts/deploy.py                         # development: a fresh local anvil
    brownie run scripts/deploy.py --network sepolia       # live: deployer from a keystore
    brownie run scripts/deploy.py main <config> overwrite # replace a finished live deployment

Parameters come from ``config/deploy/<network>.json`` (see dao/deployments.py); every one is
printed before the first transaction, and a config that would hand the DAO to one account is
refused unless it names its reason in ``safety_waiver`` (printed too). The manifest
``deployments/<network>.json`` is written after each step, so a run that fails part-way resumes
where it stopped. A finished live deployment is never replaced without the explicit ``overwrite``
argument, and a deployment is resumed only by the key that started it. The last step is a census read from the chain
(dao/census.py): the deployment is marked complete only when it finds nothing blocking.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from brownie import accounts, network, web3
from brownie.network.account import _PrivateKeyAccount as Account  # a local or keystore account
from brownie.project.main import Project
from eth_utils import to_checksum_address

from dao.census import VESTING_PREFIX, Census, take_census
from dao.deployments import (
    DEPLOYER,
    TREASURY,
    ContractRecord,
    DeployConfig,
    Deployment,
    load_deploy_config,
    load_deployment,
    manifest_path,
    save_deployment,
)

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
LOCAL_NETWORKS = ("development",)


class DeploymentRefused(RuntimeError):
    """The manifest on disk forbids this run (finished live deployment, other chain, other deployer)."""


class DeploymentUnsafe(RuntimeError):
    """The census of the chain found the deployment's end state off; it is not marked complete."""

    def __init__(self, census: Census) -> None:
        self.census = census
        super().__init__(
            "the census of the chain refuses this deployment: " + "; ".join(f.message for f in census.blocking)
        )


@dataclass
class DeployRun:
    """What the steps of one deployment share."""

    project: Project
    config: DeployConfig
    deployer: Account
    deployment: Deployment
    manifest: Path
    log: Callable[[str], None]
    contracts: dict[str, Any] = field(default_factory=dict)

    def tx_params(self) -> dict[str, Any]:
        return {"from": self.deployer, "required_confs": self.config.confirmations}

    def save(self) -> None:
        save_deployment(self.deployment, self.manifest)


def _has_code(address: str) -> bool:
    return len(web3.eth.get_code(to_checksum_address(address))) > 0


def _deploy_contract(run: DeployRun, key: str, artifact: str, args: list[Any]) -> None:
    container = getattr(run.project, artifact)
    record = run.deployment.contracts.get(key)
    if record is not None:
        run.contracts[key] = container.at(record.address)
        run.log(f"  {key}: already at {record.address} (block {record.block_number})")
        return
    contract = container.deploy(*args, run.tx_params())
    tx = contract.tx
    run.deployment.contracts[key] = ContractRecord(
        artifact=artifact,
        address=contract.address,
        block_number=tx.block_number,
        tx_hash=tx.txid,
        constructor_args=[_jsonable(a) for a in args],
    )
    run.contracts[key] = contract
    run.save()
    run.log(f"  {key}: deployed at {contract.address} (block {tx.block_number}, gas {tx.gas_used})")


def _jsonable(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value) if abs(value) >= 2**53 else value
    return str(value) if not isinstance(value, (str, bool)) else value


def _role_step(run: DeployRun, name: str, contract_key: str, role_name: str, account_key: str, grant: bool) -> None:
    contract = run.contracts[contract_key]
    role = getattr(contract, role_name)()
    account = (
        ZERO_ADDRESS
        if account_key == "anyone"
        else (run.deployer.address if account_key == "deployer" else run.contracts[account_key].address)
    )
    holds = contract.hasRole(role, account)
    if holds != grant:
        if grant:
            contract.grantRole(role, account, run.tx_params())
        else:
            contract.renounceRole(role, account, run.tx_params())
    run.log(f"  {name}: done")


def _beneficiary(run: DeployRun, recipient: str) -> str:
    return {TREASURY: run.contracts["timelock"].address, DEPLOYER: run.deployer.address}.get(recipient, recipient)


def _distribution(run: DeployRun) -> tuple[list[str], list[int]]:
    """A vested grant is minted into its vesting wallet, every other grant to its recipient."""
    recipients = [
        run.contracts[f"{VESTING_PREFIX}{i}"].address if g.vesting else _beneficiary(run, g.recipient)
        for i, g in enumerate(run.config.initial_distribution)
    ]
    return recipients, [g.amount for g in run.config.initial_distribution]


def _vesting_steps(run: DeployRun) -> list[tuple[str, Callable[[], None]]]:
    """One MeritVesting wallet per vested grant, deployed before the token mints into it. Its
    schedule starts at the latest block's time; a resumed run reuses the recorded wallet."""
    steps: list[tuple[str, Callable[[], None]]] = []
    for i, grant in enumerate(run.config.initial_distribution):
        vesting = grant.vesting
        if vesting is None:
            continue
        key = f"{VESTING_PREFIX}{i}"

        def deploy_wallet(key: str = key, recipient: str = grant.recipient, vesting: Any = vesting) -> None:
            start = web3.eth.get_block("latest")["timestamp"]
            args = [_beneficiary(run, recipient), start, vesting.duration, vesting.cliff]
            _deploy_contract(run, key, "MeritVesting", args)

        steps.append((key, deploy_wallet))
    return steps


def _steps(run: DeployRun) -> list[tuple[str, Callable[[], None]]]:
    cfg = run.config
    gov = cfg.governor
    return [
        (
            "timelock",
            lambda: _deploy_contract(
                run, "timelock", "MeritTimelock", [cfg.timelock.min_delay, [], [ZERO_ADDRESS], run.deployer.address]
            ),
        ),
        *_vesting_steps(run),
        (
            "token",
            lambda: _deploy_contract(
                run,
                "token",
                "MeritToken",
                [
                    cfg.token.name,
                    cfg.token.symbol,
                    cfg.token.cap,
                    run.contracts["timelock"].address,
                    *_distribution(run),
                ],
            ),
        ),
        (
            "governor",
            lambda: _deploy_contract(
                run,
                "governor",
                "MeritGovernor",
                [
                    gov.name,
                    run.contracts["token"].address,
                    run.contracts["timelock"].address,
                    (
                        gov.voting_delay,
                        gov.voting_period,
                        gov.proposal_threshold,
                        gov.quorum_percent,
                        gov.late_quorum_extension,
                    ),
                ],
            ),
        ),
        (
            "registry",
            lambda: _deploy_contract(
                run,
                "registry",
                "ContributionRegistry",
                [
                    run.contracts["timelock"].address,
                    cfg.rewards.guardian or ZERO_ADDRESS,
                    cfg.rewards.oracle or ZERO_ADDRESS,
                    run.contracts["token"].address,  # bonds are posted in the reward token
                ],
            ),
        ),
        (
            "distributor",
            lambda: _deploy_contract(
                run,
                "distributor",
                "RewardDistributor",
                [
                    run.contracts["token"].address,
                    run.contracts["timelock"].address,
                    cfg.rewards.guardian or ZERO_ADDRESS,
                    cfg.rewards.epoch_cap,
                    run.contracts["registry"].address,  # its project clocks say when an epoch closed
                ],
            ),
        ),
        (
            "timelock: governor proposes",
            lambda: _role_step(run, "timelock: governor proposes", "timelock", "PROPOSER_ROLE", "governor", True),
        ),
        (
            "timelock: governor cancels",
            lambda: _role_step(run, "timelock: governor cancels", "timelock", "CANCELLER_ROLE", "governor", True),
        ),
        (
            "timelock: deployer renounces admin",
            lambda: _role_step(
                run, "timelock: deployer renounces admin", "timelock", "DEFAULT_ADMIN_ROLE", "deployer", False
            ),
        ),
    ]


def describe_config(config: DeployConfig, network_name: str, deployer: str) -> list[str]:
    """Every parameter, one line each, as printed before the first transaction."""
    lines = [f"network: {network_name} (chain id {web3.eth.chain_id})", f"deployer: {deployer}"]
    for section, values in config.model_dump().items():
        if isinstance(values, dict):
            lines += [f"{section}.{k}: {v}" for k, v in values.items()]
        elif isinstance(values, list):
            lines += [
                f"{section}[{i}]: {v['recipient']} <- {v['amount']} base units"
                + (
                    f", vested: cliff {v['vesting']['cliff']} s, over {v['vesting']['duration']} s"
                    if v.get("vesting")
                    else ""
                )
                for i, v in enumerate(values)
            ]
        elif values is not None:
            lines.append(f"{section}: {values}")
    if config.safety_waiver is not None:
        lines.append(f"SAFETY CHECKS WAIVED: {config.safety_waiver}")
    return lines


def _start_or_resume(
    network_name: str,
    live: bool,
    deployer: Account,
    config: DeployConfig,
    raw_config: dict[str, Any],
    manifest: Path,
    overwrite: bool,
    log: Callable[[str], None],
) -> Deployment:
    fresh = Deployment(
        network=network_name, chain_id=web3.eth.chain_id, deployer=deployer.address, live=live, config=raw_config
    )
    if not manifest.exists():
        return fresh
    previous = load_deployment(manifest)
    if overwrite:
        log(f"overwriting the deployment in {manifest}, as asked")
        return fresh
    if previous.chain_id != web3.eth.chain_id:
        raise DeploymentRefused(
            f"{manifest} is for chain id {previous.chain_id}, but this network is chain id "
            f"{web3.eth.chain_id}; pass overwrite to replace it"
        )
    vanished = [k for k, r in previous.contracts.items() if not _has_code(r.address)]
    if vanished and not live:
        log(f"{manifest} names contracts this local chain does not have: deploying afresh")
        return fresh
    if vanished:
        raise DeploymentRefused(f"{manifest} names contracts with no code on {network_name}: {', '.join(vanished)}")
    if previous.complete and live:
        raise DeploymentRefused(f"{manifest} holds a finished live deployment; pass overwrite to replace it")
    if previous.complete:
        log(f"{manifest}: a finished local deployment is running; deploying afresh")
        return fresh
    if previous.deployer != deployer.address:
        # the first key may still hold the timelock's admin role: another key cannot renounce it
        raise DeploymentRefused(
            f"{manifest} was started by the deployer {previous.deployer}; this run's deployer is "
            f"{deployer.address}: resume with the same key, or pass overwrite to start again"
        )
    if previous.config != raw_config:
        raise DeploymentRefused(f"{manifest} was started with another config; pass overwrite to start again")
    log(f"resuming the deployment in {manifest} after: {', '.join(previous.steps_done) or 'nothing'}")
    return previous


def deploy(
    project: Project,
    config_path: Path,
    deployer: Account,
    *,
    network_name: str | None = None,
    manifest: Path | None = None,
    overwrite: bool = False,
    dry_run: bool = False,
    log: Callable[[str], None] = print,
) -> Deployment | None:
    """Deploys and wires everything on the connected network; returns the finished manifest.

    The config is validated in full before anything is sent (DeployConfigError names the key).
    With `dry_run`, prints the parameters and the plan and sends nothing (returns None).
    """
    network_name = network_name or _active_network()
    config = load_deploy_config(config_path, deployer=deployer.address)
    raw_config = json.loads(Path(config_path).read_text())
    live = network_name not in LOCAL_NETWORKS
    manifest = manifest or manifest_path(network_name, _project_root(project))

    for line in describe_config(config, network_name, deployer.address):
        log(line)
    deployment = _start_or_resume(network_name, live, deployer, config, raw_config, manifest, overwrite, log)
    if dry_run:
        log(f"dry run: nothing is sent; the manifest would be {manifest}")
        for name, _ in _steps(
            DeployRun(
                project=project, config=config, deployer=deployer, deployment=deployment, manifest=manifest, log=log
            )
        ):
            record = deployment.contracts.get(name)
            log(
                f"  {name}: "
                + (
                    f"reuse {record.address}"
                    if record
                    else "deploy"
                    if name in ("timelock", "token", "governor", "registry", "distributor")
                    or name.startswith(VESTING_PREFIX)
                    else "check on chain, send if missing"
                )
            )
        return None
    run = DeployRun(
        project=project, config=config, deployer=deployer, deployment=deployment, manifest=manifest, log=log
    )
    run.save()
    # every step is idempotent (a contract already recorded is reused, a role already in place is
    # left alone), so resuming is running the whole list again
    for name, step in _steps(run):
        step()
        if name not in run.deployment.steps_done:
            run.deployment.steps_done.append(name)
            run.save()
    census = take_census(web3, run.deployment)
    for line in describe_census(census):
        log(line)
    if census.blocking:
        raise DeploymentUnsafe(census)
    run.deployment.complete = True
    run.save()
    log(f"deployment written to {manifest}")
    return run.deployment


def describe_census(census: Census) -> list[str]:
    """The census, one line each, as the deploy script prints it at the end."""
    lines = [f"census at block {census.block}: {len(census.roles)} roles held"]
    lines += [f"  {r.contract}.{r.role}: {r.holder}" for r in census.roles]
    lines += [
        f"  {w.key}: {w.balance} base units for {w.beneficiary}, cliff {w.cliff}, end {w.end}" for w in census.vesting
    ]
    lines.append(
        f"  votes: {census.votable} can exist, {census.locked} locked, quorum {census.quorum}, "
        f"largest {census.powers[0].potential if census.powers else 0}"
    )
    lines += [f"  {'WAIVED' if f.waived else 'OFF'} ({f.area}): {f.message}" for f in census.findings]
    return lines


def _deployer_account(network_name: str) -> Account:
    if network_name in LOCAL_NETWORKS:
        return accounts[0]
    keystore = os.environ.get("MERIT_DEPLOYER_KEYSTORE")
    if not keystore:
        raise SystemExit("set MERIT_DEPLOYER_KEYSTORE to the deployer's keystore file for a live network")
    password = os.environ.get("MERIT_DEPLOYER_PASSWORD")
    loaded = accounts.load(keystore, password=password) if password else accounts.load(keystore)
    if isinstance(loaded, list):  # Brownie lists its keystores when given no file
        raise SystemExit(f"MERIT_DEPLOYER_KEYSTORE={keystore} names no keystore file")
    return loaded


def _project_root(project: Project) -> Path:
    if project._path is None:
        raise SystemExit("the Brownie project has no folder")
    return Path(project._path)


def _active_network() -> str:
    name = network.show_active()
    if name is None:
        raise SystemExit("no network is connected: run through `brownie run --network NAME` or `merit deploy`")
    return name


def main(*flags: str, config: str | None = None) -> Deployment | None:
    """Entry point of `brownie run scripts/deploy.py [main [CONFIG] [overwrite] [dry-run]]`.

    The config defaults to config/deploy/<network>.json; the manifest goes to
    deployments/<network>.json, or under MERIT_DEPLOYMENT_DIR when that is set."""
    from brownie import project as brownie_project

    project = brownie_project.get_loaded_projects()[0]
    network_name = _active_network()
    unknown = [f for f in flags if f not in ("overwrite", "dry-run") and not f.endswith(".json")]
    if unknown:
        raise SystemExit(f"unknown argument(s) {unknown}: give a config .json, 'overwrite', 'dry-run'")
    config = next((f for f in flags if f.endswith(".json")), config)
    config_path = Path(config) if config else _project_root(project) / "config" / "deploy" / f"{network_name}.json"
    manifest_dir = os.environ.get("MERIT_DEPLOYMENT_DIR")
    manifest = Path(manifest_dir) / f"{network_name}.json" if manifest_dir else None
    return deploy(
        project,
        config_path,
        _deployer_account(network_name),
        network_name=network_name,
        manifest=manifest,
        overwrite="overwrite" in flags,
        dry_run="dry-run" in flags,
    )
