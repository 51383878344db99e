"""Projects and their leaderboards."""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path
from sqlalchemy import func, select

from api import models as m
from api.deps import LimitDep, SessionDep
from api.schemas import DbId, LeaderboardEntry, ProjectPublic
from dao.vocabulary import Task

router = APIRouter(prefix="/projects", tags=["projects"])


def _public(session: SessionDep, projects: list[m.Project]) -> list[ProjectPublic]:
    ids = [p.project_id for p in projects]
    paused: dict[int, bool] = {}
    for row in session.execute(
        select(m.ProjectPause.project_id, m.ProjectPause.paused)
        .where(m.ProjectPause.project_id.in_(ids))
        .order_by(m.ProjectPause.block_number, m.ProjectPause.log_index)
    ):
        paused[row.project_id] = row.paused
    counts = dict(
        session.execute(
            select(m.Contribution.project_id, func.count())
            .where(m.Contribution.project_id.in_(ids))
            .group_by(m.Contribution.project_id)
        ).all()
    )
    return [
        ProjectPublic(
            project_id=p.project_id,
            name=p.name,
            task=Task.names()[p.task] if p.task < len(Task) else str(p.task),
            metric=p.metric,
            benchmark_cid=p.benchmark_cid,
            answers_commitment=p.answers_commitment,
            paused=paused.get(p.project_id, False),
            contributions=counts.get(p.project_id, 0),
            block_number=p.block_number,
        )
        for p in projects
    ]


@router.get("", response_model=list[ProjectPublic], summary="Registered projects")
def list_projects(session: SessionDep) -> list[ProjectPublic]:
    return _public(session, list(session.scalars(select(m.Project).order_by(m.Project.project_id))))


ProjectId = Annotated[DbId, Path(description="project id", examples=[1])]


@router.get(
    "/{project_id}",
    response_model=ProjectPublic,
    summary="One project",
    responses={404: {"description": "no such project"}},
)
def get_project(project_id: ProjectId, session: SessionDep) -> ProjectPublic:
    project = session.get(m.Project, project_id)
    if project is None:
        raise HTTPException(404, f"no project {project_id}")
    return _public(session, [project])[0]


@router.get(
    "/{project_id}/leaderboard",
    response_model=list[LeaderboardEntry],
    summary="Contributors of a project ranked by their total attested score",
    responses={404: {"description": "no such project"}},
)
def leaderboard(project_id: ProjectId, session: SessionDep, limit: LimitDep) -> list[LeaderboardEntry]:
    if session.get(m.Project, project_id) is None:
        raise HTTPException(404, f"no project {project_id}")
    totals: dict[str, int] = defaultdict(int)
    counts: dict[str, int] = defaultdict(int)
    # Scores are uint256 (stored as padded digits): summed exactly here rather than in SQL.
    for contributor, score in session.execute(
        select(m.Contribution.contributor, m.Contribution.score).where(
            m.Contribution.project_id == project_id, m.Contribution.status == "scored"
        )
    ):
        totals[contributor] += score or 0
        counts[contributor] += 1
    ranked = sorted(totals, key=lambda c: (-totals[c], c))[:limit]
    return [
        LeaderboardEntry(rank=i + 1, contributor=c, total_score=str(totals[c]), scored_contributions=counts[c])
        for i, c in enumerate(ranked)
    ]
