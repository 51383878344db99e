"""An artifact checked against its project's format (oracle.scoring.validation) from what this API
has indexed and stored: the project's task, metric and benchmark inputs (ProjectRegistered), and
the class list and label items of its newest published epoch report, when there is one."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from api import models as m
from dao.artifacts.errors import ArtifactError
from dao.artifacts.store import ArtifactStore
from dao.vocabulary import Task
from oracle.scoring.rejections import ArtifactRejected
from oracle.scoring.report import report_from_json
from oracle.scoring.validation import ProjectFormat, project_format


class CannotCheck(Exception):
    """The project is unknown, or what its format needs is not in this API's store."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _published(session: Session, store: ArtifactStore, project_id: int) -> tuple[list[str], list[str] | None]:
    newest = session.scalar(
        select(m.Epoch)
        .where(m.Epoch.project_id == project_id, m.Epoch.report_status == "ok")
        .order_by(m.Epoch.epoch.desc())
        .limit(1)
    )
    if newest is None:
        return [], None
    try:
        report = report_from_json(store.get(newest.report_cid))
        label_items = None
        if report.inputs.label_items_cid is not None and store.has(report.inputs.label_items_cid):
            lines = store.get(report.inputs.label_items_cid).decode("utf-8-sig").splitlines()
            if lines and lines[0].strip() == "item":
                label_items = [line.strip() for line in lines[1:] if line.strip()]
    except (ArtifactError, ValueError):
        return [], None
    return list(report.parameters.classes), label_items


def load_format(session: Session, store: ArtifactStore, project_id: int) -> ProjectFormat:
    """The project's public format; CannotCheck (404, 409) when it cannot be known here."""
    project = session.get(m.Project, project_id)
    if project is None:
        raise CannotCheck(404, f"no project {project_id} (or it is not indexed yet)")
    try:
        benchmark = store.get(project.benchmark_cid) if store.has(project.benchmark_cid) else None
    except ArtifactError:
        benchmark = None
    if benchmark is None:
        raise CannotCheck(
            409, f"project {project_id}'s benchmark inputs {project.benchmark_cid} are not in this API's store"
        )
    classes, label_items = _published(session, store, project_id)
    try:
        return project_format(Task.from_code(project.task), project.metric, benchmark, classes, label_items)
    except ArtifactRejected as error:
        raise CannotCheck(409, f"project {project_id}'s benchmark inputs cannot be read: {error.detail}") from None
