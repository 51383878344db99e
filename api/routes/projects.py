"""Projects: their schedule and current epoch, their hidden-slice sets, and their leaderboards."""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api import models as m
from api.clock import current_epoch, in_effect, indexed_now, schedule_configs
from api.deps import LimitDep, SessionDep
from api.schemas import (
    DbId,
    EpochClockPublic,
    LeaderboardEntry,
    ProjectPublic,
    ScheduleConfigPublic,
    SlicesPublic,
)
from dao.epochs import EpochClock, EpochWindows, ScheduleConfig
from dao.vocabulary import Status, Task

router = APIRouter(prefix="/projects", tags=["projects"])

ProjectId = Annotated[DbId, Path(description="project id", examples=[1])]


def schedule_public(config: ScheduleConfig) -> ScheduleConfigPublic:
    return ScheduleConfigPublic(
        from_epoch=config.from_epoch,
        start=config.start_time,
        commit_window=config.commit_window,
        reveal_window=config.reveal_window,
        bond=str(config.bond),
    )


def clock_public(windows: EpochWindows, now: int | None) -> EpochClockPublic:
    return EpochClockPublic(
        epoch=windows.epoch,
        commit_start=windows.commit_start,
        reveal_start=windows.reveal_start,
        end=windows.end,
        phase=None if now is None else windows.phase(now),
        seconds_left=None if now is None else windows.seconds_left(now),
    )


def slices_of(session: Session, project_ids: list[int]) -> dict[int, SlicesPublic]:
    """Each project's current (newest) slice set with how many of its slices were revealed."""
    current: dict[int, m.SliceSet] = {}
    for row in session.scalars(
        select(m.SliceSet).where(m.SliceSet.project_id.in_(project_ids)).order_by(m.SliceSet.slice_set)
    ):
        current[row.project_id] = row
    revealed = {
        (row.project_id, row.slice_set): row.n
        for row in session.execute(
            select(m.RevealedSlice.project_id, m.RevealedSlice.slice_set, func.count().label("n"))
            .where(m.RevealedSlice.project_id.in_(project_ids))
            .group_by(m.RevealedSlice.project_id, m.RevealedSlice.slice_set)
        )
    }
    used = {pid: revealed.get((pid, s.slice_set), 0) for pid, s in current.items()}
    return {
        pid: SlicesPublic(
            slice_set=s.slice_set,
            slices_root=s.slices_root,
            count=s.slice_count,
            used=used.get(pid, 0),
            left=max(s.slice_count - used.get(pid, 0), 0),
        )
        for pid, s in current.items()
    }


def _public(session: Session, projects: list[m.Project]) -> list[ProjectPublic]:
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
    now = indexed_now(session)
    configs = schedule_configs(session, ids)
    slices = slices_of(session, ids)
    out = []
    for p in projects:
        schedule = pending = clock = None
        if configs.get(p.project_id):
            current, later = in_effect(configs[p.project_id], now)
            schedule, pending = schedule_public(current), later and schedule_public(later)
            if now is not None and configs[p.project_id][0].from_epoch == 0:
                clock = clock_public(current_epoch(EpochClock(configs[p.project_id]), now), now)
        out.append(
            ProjectPublic(
                project_id=p.project_id,
                name=p.name,
                task=Task.names()[p.task] if p.task < len(Task) else str(p.task),
                metric=p.metric,
                benchmark_cid=p.benchmark_cid,
                paused=paused.get(p.project_id, False),
                contributions=counts.get(p.project_id, 0),
                schedule=schedule,
                pending_schedule=pending,
                now=now,
                current_epoch=clock,
                slices=slices.get(p.project_id),
                block_number=p.block_number,
                tx_hash=p.tx_hash,
            )
        )
    return out


def project_or_404(session: Session, project_id: int) -> m.Project:
    project = session.get(m.Project, project_id)
    if project is None:
        raise HTTPException(404, f"no project {project_id}")
    return project


@router.get("", response_model=list[ProjectPublic], summary="Registered projects with their clocks")
def list_projects(session: SessionDep) -> list[ProjectPublic]:
    return _public(session, list(session.scalars(select(m.Project).order_by(m.Project.project_id))))


@router.get(
    "/{project_id}",
    response_model=ProjectPublic,
    summary="One project: schedule, current epoch and phase, hidden slices",
    responses={404: {"description": "no such project"}},
)
def get_project(project_id: ProjectId, session: SessionDep) -> ProjectPublic:
    return _public(session, [project_or_404(session, project_id)])[0]


@router.get(
    "/{project_id}/leaderboard",
    response_model=list[LeaderboardEntry],
    summary="Contributors of a project ranked by the total score of their accepted contributions",
    responses={404: {"description": "no such project"}},
)
def leaderboard(project_id: ProjectId, session: SessionDep, limit: LimitDep) -> list[LeaderboardEntry]:
    project_or_404(session, project_id)
    totals: dict[str, int] = defaultdict(int)
    counts: dict[str, int] = defaultdict(int)
    # Scores are uint256 (stored as padded digits): summed exactly here rather than in SQL.
    for contributor, score in session.execute(
        select(m.Contribution.contributor, m.Contribution.score).where(
            m.Contribution.project_id == project_id, m.Contribution.status == Status.ACCEPTED.value
        )
    ):
        totals[contributor] += score or 0
        counts[contributor] += 1
    ranked = sorted(totals, key=lambda c: (-totals[c], c))[:limit]
    return [
        LeaderboardEntry(rank=i + 1, contributor=c, total_score=str(totals[c]), scored_contributions=counts[c])
        for i, c in enumerate(ranked)
    ]
