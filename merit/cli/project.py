"""Maintainers' `merit project`: propose a project's registration, list the registered ones."""

from __future__ import annotations

from pathlib import Path

import typer

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
    slices: list[Path] = typer.Option(
        ...,
        "--slice",
        exists=True,
        dir_okay=False,
        help="a hidden answer slice (id,answer CSV), one per future epoch, in order; repeat the option",
    ),
    label_items: Path = typer.Option(
        None,
        "--label-items",
        exists=True,
        dir_okay=False,
        help="CSV with header `item`: the items open for labels (the oracle's --label-items); a slice's rows "
        "for them are gold labels",
    ),
    slices_out: Path = typer.Option(
        None, "--slices-out", help="where the oracle's copy of the slices and their salts is written"
    ),
    start: int = typer.Option(None, "--start", help="epoch 0's start, unix seconds (default: in 10 minutes)"),
    commit_window: int = typer.Option(86400, "--commit-window", help="seconds of each epoch's commit window"),
    reveal_window: int = typer.Option(86400, "--reveal-window", help="seconds of each epoch's reveal window"),
    bond: float = typer.Option(0, "--bond", help="MERIT each commit posts, returned when it is valid"),
    account: str = typer.Option(..., "--account", "-a", help="the keystore account that proposes"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Propose the registration of a project (the DAO votes; the timelock registers it).

    Only the root over the hidden slices leaves this machine; the slices and their salts are written
    to --slices-out for the oracle (keep them private: publishing a slice early gives its answers away)."""
    from dao.artifacts import open_artifact_store
    from dao.chain import connect, load_contracts, send_transaction
    from dao.proposals import ProjectSchedule, register_project_proposal
    from dao.slices import SliceSet
    from merit.cli.accounts import signer
    from oracle.hidden import write_slice_manifest

    if task not in Task.names():
        raise CommandError(f"--task must be one of {', '.join(Task.names())}", EXIT_BAD_INPUT)
    if bond < 0:
        raise CommandError("--bond must not be negative", EXIT_BAD_INPUT)
    _check_inputs(task, metric, benchmark, slices, label_items)
    cfg = settings()
    w3 = connect(cfg.rpc_url, timeout=cfg.rpc_timeout_seconds)
    contracts = load_contracts(w3, cfg.deployment)
    now = int(w3.eth.get_block("latest")["timestamp"])
    try:
        schedule = ProjectSchedule(
            start=start if start is not None else now + 600,
            commit_window=commit_window,
            reveal_window=reveal_window,
            bond=round(bond * 10**18),
        )
    except ValueError as error:
        raise CommandError(str(error), EXIT_BAD_INPUT) from None
    slice_set = SliceSet.build([path.read_bytes() for path in slices])
    out_dir = slices_out or cfg.keystore_dir.parent / "slices" / name.replace("/", "_")
    manifest = write_slice_manifest(out_dir, slice_set)
    store = open_artifact_store()
    benchmark_cid = store.put(benchmark.read_bytes())  # pinned: the benchmark must stay available
    proposal = register_project_proposal(
        contracts.registry.address,
        name=name,
        task=task,
        metric=metric,
        benchmark_cid=benchmark_cid,
        schedule=schedule,
        slices_root=slice_set.root,
        slice_count=len(slice_set),
    )
    send_transaction(w3, signer(account), contracts.governor.functions.propose(*proposal.propose_args()))
    out = {
        "proposal_id": str(proposal.proposal_id),
        "benchmark_cid": benchmark_cid,
        "slices_root": "0x" + slice_set.root.hex(),
        "slices_manifest": str(manifest),
        "start": schedule.start,
    }
    print_json(out) if as_json else console.print(
        f"proposed: {out['proposal_id']}\nbenchmark inputs: {benchmark_cid}\n"
        f"hidden slices: {len(slice_set)}, root {out['slices_root']}; the oracle's copy: {manifest}\n"
        "next: members vote (merit vote ID for), then merit queue ID and merit execute ID"
    )


def _check_inputs(task: str, metric: str, benchmark: Path, slices: list[Path], label_items: Path | None) -> None:
    """The metric, the benchmark inputs and every answer slice as the oracle will read them (its
    own parsers; a slice's rows for label items are gold labels): refused with the file, line and
    reason before anything is stored or sent."""
    from merit.cli.checks import refusal
    from oracle.scoring.metrics import METRIC_INPUT, Metric, PredictionKind
    from oracle.scoring.rejections import ArtifactRejected
    from oracle.scoring.slices import label_item_ids
    from oracle.scoring.validation import check_answers, project_format

    if metric not in {m.value for m in Metric}:
        raise CommandError(
            f"--metric must be one of {', '.join(m.value for m in Metric)}, not {metric!r}", EXIT_BAD_INPUT
        )
    if (METRIC_INPUT[Metric(metric)] is PredictionKind.VALUES) != (task == Task.REGRESSION.value):
        raise CommandError(f"--metric {metric} does not score a {task} task", EXIT_BAD_INPUT)
    try:
        fmt = project_format(task, metric, benchmark.read_bytes())
    except ArtifactRejected as error:
        raise refusal(benchmark, error, "not valid benchmark inputs") from None
    items = label_item_ids(label_items.read_bytes()) if label_items is not None else set()
    for path in slices:
        try:
            check_answers(path.read_bytes(), fmt, items)
        except ArtifactRejected as error:
            raise refusal(path, error, "not a valid answer slice") from None


@app.command("list")
@handle_errors
def list_projects(as_json: bool = typer.Option(False, "--json")) -> None:
    """Registered projects, from the registry's events."""
    from dao.chain import connect, load_contracts, project_clock, read_struct
    from dao.vocabulary import Phase

    cfg = settings()
    w3 = connect(cfg.rpc_url, timeout=cfg.rpc_timeout_seconds)
    contracts = load_contracts(w3, cfg.deployment)
    start = contracts.deployment.contracts["registry"].block_number
    now = int(w3.eth.get_block("latest")["timestamp"])
    projects = []
    for log in contracts.registry.events.ProjectRegistered.get_logs(from_block=start):
        a = log["args"]
        pid = int(a["projectId"])
        state = read_struct(contracts.registry.functions.project(pid))
        clock = project_clock(contracts.registry, pid)
        epoch = clock.epoch_at(now)
        windows = clock.windows(0 if epoch is None else epoch)
        phase = windows.phase(now)
        projects.append(
            {
                "id": pid,
                "name": a["name"],
                "task": Task.from_code(a["task"]).value,
                "metric": a["metric"],
                "benchmark_cid": a["benchmarkCid"],
                "paused": state["paused"],
                "epoch": epoch,
                "phase": phase.value,
                "seconds_left": windows.seconds_left(now) if phase is not Phase.CLOSED else 0,
                "bond": str(clock.bond(windows.epoch)),
                "slices_left": int(state["sliceCount"]) - int(state["slicesUsed"]),
            }
        )
    if as_json:
        print_json(projects)
    else:
        print_table(
            "Projects",
            ("id", "name", "task", "metric", "epoch", "phase", "time left", "slices left", "paused"),
            [
                (
                    p["id"],
                    p["name"],
                    p["task"],
                    p["metric"],
                    "-" if p["epoch"] is None else p["epoch"],
                    p["phase"],
                    f"{p['seconds_left']} s",
                    p["slices_left"],
                    p["paused"],
                )
                for p in projects
            ],
        )
