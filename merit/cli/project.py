"""Maintainers' `merit project`: propose a project's registration, list the registered ones."""

from __future__ import annotations

from pathlib import Path

import typer

from dao.chain import read_struct
from dao.proposals import register_project_proposal
from dao.vocabulary import Task
from merit.cli.common import (
    EXIT_BAD_INPUT,
    CommandError,
    console,
    handle_errors,
    print_json,
    print_table,
    settings,
)

app = typer.Typer(help="Register projects (through governance) and list them.", no_args_is_help=True)


@app.command("register")
@handle_errors
def register(
    name: str = typer.Option(..., "--name", help="the project's name"),
    task: str = typer.Option(..., "--task", help=", ".join(Task.names())),
    metric: str = typer.Option(..., "--metric", help="e.g. accuracy, macro_f1, roc_auc, rmse"),
    benchmark: Path = typer.Option(
        ..., "--benchmark", exists=True, dir_okay=False, help="the public benchmark inputs: stored, and named by CID"
    ),
    answers: Path = typer.Option(
        ...,
        "--answers",
        exists=True,
        dir_okay=False,
        help="the hidden answers: only their keccak256 leaves this machine",
    ),
    account: str = typer.Option(..., "--account", "-a", help="the keystore account that proposes"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Propose the registration of a project (the DAO votes; the timelock registers it)."""
    from dao.artifacts import open_artifact_store
    from dao.chain import connect, load_contracts, send_transaction
    from merit.cli.accounts import signer
    from oracle.hidden import answers_commitment

    if task not in Task.names():
        raise CommandError(f"--task must be one of {', '.join(Task.names())}", EXIT_BAD_INPUT)
    store = open_artifact_store()
    benchmark_cid = store.put(benchmark.read_bytes())  # pinned: the benchmark must stay available
    cfg = settings()
    w3 = connect(cfg.rpc_url, timeout=cfg.rpc_timeout_seconds)
    contracts = load_contracts(w3, cfg.deployment)
    proposal = register_project_proposal(
        contracts.registry.address,
        name=name,
        task=task,
        metric=metric,
        benchmark_cid=benchmark_cid,
        answers_commitment=answers_commitment(answers.read_bytes()),
    )
    send_transaction(w3, signer(account), contracts.governor.functions.propose(*proposal.propose_args()))
    out = {"proposal_id": str(proposal.proposal_id), "benchmark_cid": benchmark_cid}
    print_json(out) if as_json else console.print(
        f"proposed: {out['proposal_id']}\nbenchmark inputs: {benchmark_cid}\n"
        "next: members vote (merit vote ID for), then merit queue ID and merit execute ID"
    )


@app.command("list")
@handle_errors
def list_projects(as_json: bool = typer.Option(False, "--json")) -> None:
    """Registered projects, from the registry's events."""
    from dao.chain import connect, load_contracts

    cfg = settings()
    contracts = load_contracts(connect(cfg.rpc_url, timeout=cfg.rpc_timeout_seconds), cfg.deployment)
    start = contracts.deployment.contracts["registry"].block_number
    projects = []
    for log in contracts.registry.events.ProjectRegistered.get_logs(from_block=start):
        a = log["args"]
        paused = read_struct(contracts.registry.functions.project(a["projectId"]))["paused"]
        projects.append(
            {
                "id": a["projectId"],
                "name": a["name"],
                "task": Task.from_code(a["task"]).value,
                "metric": a["metric"],
                "benchmark_cid": a["benchmarkCid"],
                "answers_commitment": "0x" + a["answersCommitment"].hex(),
                "paused": paused,
            }
        )
    if as_json:
        print_json(projects)
    else:
        print_table(
            "Projects",
            ("id", "name", "task", "metric", "benchmark", "paused"),
            [(p["id"], p["name"], p["task"], p["metric"], p["benchmark_cid"], p["paused"]) for p in projects],
        )
