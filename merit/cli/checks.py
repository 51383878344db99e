"""A file checked against its project's format before anything is sent (`merit submit`,
`merit project register`): oracle.scoring.validation, fed with what the project makes public.

The project's task, metric and benchmark inputs CID come from its ProjectRegistered event; the
benchmark inputs' bytes from the artifact store (MERIT_ARTIFACTS_*) or else the API, checked
against the CID. Its class list and label items come from its newest published epoch report, when
the API has one (before that they are the oracle's private settings, and class names go unchecked).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from merit.cli.common import EXIT_BAD_INPUT, EXIT_NOT_FOUND, EXIT_UNREACHABLE, CommandError, settings


@dataclass(frozen=True)
class ProjectFacts:
    task: str
    metric: str
    benchmark_cid: str


def project_facts(contracts: Any, project_id: int) -> ProjectFacts:
    """The project's registration, from its ProjectRegistered event."""
    from dao.vocabulary import Task

    start = contracts.deployment.contracts["registry"].block_number
    logs = contracts.registry.events.ProjectRegistered.get_logs(
        from_block=start, argument_filters={"projectId": project_id}
    )
    if not logs:
        raise CommandError(f"no project {project_id} is registered", EXIT_NOT_FOUND)
    args = logs[0]["args"]
    return ProjectFacts(Task.from_code(args["task"]).value, str(args["metric"]), str(args["benchmarkCid"]))


def _api_get(path: str) -> httpx.Response | None:
    try:
        return httpx.get(settings().api_url.rstrip("/") + path, timeout=60.0)
    except httpx.HTTPError:
        return None


def fetch_artifact(cid: str, what: str) -> bytes:
    """An artifact's bytes from the artifact store, else the API; checked against its CID."""
    from dao.artifacts import ArtifactStoreSettings, open_artifact_store
    from dao.artifacts.cid import normalize_cid
    from dao.artifacts.errors import ArtifactError
    from dao.artifacts.store import compute_artifact_cid

    chosen = ArtifactStoreSettings()
    if chosen.backend == "kubo" or chosen.path.is_dir():  # an embedded store is read, never created here
        try:
            with open_artifact_store(chosen) as store:
                if store.has(cid):
                    return store.get(cid)  # verified block by block
        except (ArtifactError, OSError, ValueError):
            pass  # no usable local store: ask the API
    response = _api_get(f"/artifacts/{cid}")
    if response is None:
        raise CommandError(
            f"cannot fetch {what} {cid}: it is not in the artifact store and the API at {settings().api_url} "
            "does not answer",
            EXIT_UNREACHABLE,
        )
    if response.status_code != 200:
        raise CommandError(f"{what} {cid} is neither in the artifact store nor at the API", EXIT_NOT_FOUND)
    data = response.content
    if normalize_cid(compute_artifact_cid(data)) != normalize_cid(cid):
        raise CommandError(f"the API served bytes that are not {what} {cid}", EXIT_UNREACHABLE)
    return data


def published_classes(project_id: int) -> tuple[tuple[str, ...], tuple[str, ...] | None]:
    """The class list and label items the project's newest published epoch report names (the API's
    funded epochs); nothing when there is none or the API does not answer."""
    from oracle.scoring.report import report_from_json

    response = _api_get("/epochs?limit=100")
    if response is None or response.status_code != 200:
        return (), None
    funded = [e for e in response.json() if e.get("project_id") == project_id and e.get("report_status") == "ok"]
    if not funded:
        return (), None
    newest = max(funded, key=lambda e: int(e["epoch"]))
    try:
        report = report_from_json(fetch_artifact(newest["report_cid"], "the epoch report"))
    except (CommandError, ValueError):
        return (), None
    label_items: tuple[str, ...] | None = None
    if report.inputs.label_items_cid is not None:
        try:
            lines = fetch_artifact(report.inputs.label_items_cid, "the label items").decode("utf-8-sig").splitlines()
        except (CommandError, UnicodeDecodeError):
            lines = []
        if lines and lines[0].strip() == "item":
            label_items = tuple(line.strip() for line in lines[1:] if line.strip())
    return tuple(report.parameters.classes), label_items


def project_format(contracts: Any, project_id: int) -> Any:
    """The project's public format (oracle.scoring.validation.ProjectFormat)."""
    from oracle.scoring.rejections import ArtifactRejected
    from oracle.scoring.validation import project_format as build

    facts = project_facts(contracts, project_id)
    benchmark = fetch_artifact(facts.benchmark_cid, f"project {project_id}'s benchmark inputs")
    classes, label_items = published_classes(project_id)
    try:
        return build(facts.task, facts.metric, benchmark, classes, label_items)
    except ArtifactRejected as error:
        raise CommandError(
            f"project {project_id}'s benchmark inputs {facts.benchmark_cid} cannot be read: {error.detail}",
            EXIT_BAD_INPUT,
        ) from None


def refusal(path: Path, error: Any, what: str = "") -> CommandError:
    """One line naming the file, the line and the reason (exit 2)."""
    detail = error.detail
    if detail.startswith(("labels line", "predictions line")):
        detail = detail.split(" ", 1)[1]
    prefix = f"{path}: " + (f"{what}: " if what else "")
    return CommandError(f"{prefix}{detail} ({error.reason.value})", EXIT_BAD_INPUT)
