"""`merit verify EPOCH --project ID`: anyone checks an epoch from public data alone.

No oracle file or key: the chain (MERIT_RPC_URL, MERIT_DEPLOYMENT) names the funded report, the
revealed hidden slice and the epoch's reveals; the artifact store (the embedded one, `--store`, or
an IPFS node, `--kubo`) gives every artifact by CID, each checked against its CID. The epoch is
recomputed and compared with what was committed and funded (see oracle.verification).
Exit 0 when everything matches, 1 when anything differs (each difference named).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from merit.cli.common import EXIT_FAILED, EXIT_NOT_FOUND, console, fail, handle_errors, settings

MAX_SHOWN = 50


def show(result: Any, epoch: int, as_json: bool, what_matched: str) -> None:
    """Prints a verification (oracle.verification.Verification) and exits 1 when it differs."""
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "epoch": epoch,
                    "report_cid": result.report_cid,
                    "matches": result.matches,
                    "unavailable": result.unavailable,
                    "unchecked": result.unchecked,
                    "differences": [
                        {"path": d.path, "reported": d.reported, "recomputed": d.recomputed} for d in result.differences
                    ],
                },
                sort_keys=True,
                default=str,
            )
        )
    elif result.matches:
        console.print(
            f"epoch {epoch}: report {result.report_cid} matches {what_matched} "
            f"({len(result.report.inputs.submissions)} submissions, root {result.report.merkle_root})",
            highlight=False,
            soft_wrap=True,
        )
        for note in result.unchecked:
            console.print(f"  not checked: {note}", markup=False, highlight=False, soft_wrap=True)
    else:
        console.print(f"epoch {epoch}: report {result.report_cid} does NOT match", highlight=False, soft_wrap=True)
        for d in result.differences[:MAX_SHOWN]:
            line = f"  {d.path}: reported {d.reported!r}, expected {d.recomputed!r}"
            console.print(line, markup=False, highlight=False, soft_wrap=True)
        if len(result.differences) > MAX_SHOWN:
            console.print(f"  ... and {len(result.differences) - MAX_SHOWN} more (--json lists all)", markup=False)
        for cid, why in result.unavailable.items():
            console.print(f"  artifact {cid}: {why}", markup=False, soft_wrap=True)
    if not result.matches:
        raise typer.Exit(EXIT_FAILED)


@handle_errors
def verify(
    epoch: int = typer.Argument(..., min=0, help="The epoch number."),
    project: int = typer.Option(..., "--project", min=1, help="The project's id."),
    report_cid: str | None = typer.Option(
        None, "--report-cid", help="Verify this report instead of the one the chain names."
    ),
    store_path: Path | None = typer.Option(
        None, "--store", help="Folder of the embedded store [default: MERIT_ARTIFACTS_PATH or .cache/artifacts]."
    ),
    kubo_url: str | None = typer.Option(None, "--kubo", help="Fetch artifacts from the IPFS node at this RPC URL."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Recompute an epoch from the chain and its artifacts alone and compare it with what was funded."""
    from dao.artifacts.config import ArtifactStoreSettings, open_artifact_store
    from dao.chain import connect, load_contracts
    from oracle.verification import ReportUnavailableError, read_public_epoch, verify_public

    cfg = settings()
    w3 = connect(cfg.rpc_url, timeout=cfg.rpc_timeout_seconds)
    contracts = load_contracts(w3, cfg.deployment)
    if project > int(contracts.registry.functions.projectCount().call()):
        fail(f"no project {project} on chain", EXIT_NOT_FOUND)
    store_settings = ArtifactStoreSettings()
    if kubo_url is not None:
        store_settings = store_settings.model_copy(update={"backend": "kubo", "kubo_url": kubo_url})
    elif store_path is not None:
        store_settings = store_settings.model_copy(update={"backend": "embedded", "path": store_path})
    with open_artifact_store(store_settings) as store:
        try:
            result = verify_public(read_public_epoch(w3, contracts, store, project, epoch, report_cid))
        except ReportUnavailableError as error:
            fail(str(error), EXIT_NOT_FOUND)
    show(result, epoch, as_json, "the chain (slice, submissions, funding) and its recomputation")
