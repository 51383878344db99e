"""Projects: their schedule and current epoch, their hidden-slice sets, and their leaderboards."""

from __future__ import annotations

from collections import defaultdict
from fractions import Fraction
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
    KindLeaderboard,
    KindLeaderboardEntry,
    LeaderboardEntry,
    ProjectPublic,
    ScheduleConfigPublic,
    SlicesPublic,
)
from dao.epochs import EpochClock, EpochWindows, ScheduleConfig
from dao.vocabulary import ContributionKind, Status, Task

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
    summary="Deprecated: contributors ranked by the sum of their raw scores of every kind",
    description="Adds model gains and annotator scores, whose units differ, so its order says little; "
    "use /projects/{project_id}/leaderboard/{kind}, ranked by tokens earned.",
    deprecated=True,
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


SCORE_SCALE = 10**9  # scores are attested as round(score x 1e9) (oracle.scoring.allocation)
ATTRIBUTION = (
    "an epoch's allocation to an account counts for the kinds it scored above zero in that epoch; scored in both, "
    "it is split in proportion to its share of each kind's total score that epoch (the report pays a model pool and "
    "a label pool but names one amount per account); an allocation without a score in its epoch counts for neither"
)


def _score_unit(kind: ContributionKind, metric: str) -> str:
    if kind is ContributionKind.MODEL_PREDICTIONS:
        return f"{metric} gain over the champion, summed over accepted models (in {metric}'s own scale)"
    return "annotator score: labels x lower bound of (agreement with the consensus - chance), summed over epochs"


@router.get(
    "/{project_id}/leaderboard/{kind}",
    response_model=KindLeaderboard,
    summary="Contributors of one kind ranked by the tokens they earned for it, with scores in the kind's units",
    responses={404: {"description": "no such project"}, 422: {"description": "unknown kind"}},
)
def kind_leaderboard(
    project_id: ProjectId, kind: ContributionKind, session: SessionDep, limit: LimitDep
) -> KindLeaderboard:
    project = project_or_404(session, project_id)
    # Each kind's score per (epoch, account). An annotator's every accepted label file carries its
    # whole annotator score (oracle.plan), so labels take the largest, models add up.
    scores: dict[tuple[int, str, int], int] = defaultdict(int)
    accepted: dict[str, int] = defaultdict(int)
    scored: dict[str, int] = defaultdict(int)
    for epoch, contributor, code, score in session.execute(
        select(m.Contribution.epoch, m.Contribution.contributor, m.Contribution.kind, m.Contribution.score).where(
            m.Contribution.project_id == project_id,
            m.Contribution.status == Status.ACCEPTED.value,
            m.Contribution.kind.is_not(None),
        )
    ):
        if code is None:
            continue  # never: the query leaves unrevealed contributions out
        key = (epoch, contributor, code)
        value = score or 0
        scores[key] = max(scores[key], value) if code == ContributionKind.LABELS.code else scores[key] + value
        if code == kind.code:
            accepted[contributor] += 1
            scored[contributor] += value > 0
    totals: dict[tuple[int, int], int] = defaultdict(int)
    for (epoch, _, code), value in scores.items():
        totals[(epoch, code)] += value
    claimed = {
        (row.epoch, row.leaf_index)
        for row in session.execute(select(m.Claim.epoch, m.Claim.leaf_index).where(m.Claim.project_id == project_id))
    }
    earned: dict[str, int] = defaultdict(int)
    earned_claimed: dict[str, int] = defaultdict(int)
    epochs: dict[str, set[int]] = defaultdict(set)
    codes = [k.code for k in ContributionKind]
    for allocation in session.scalars(
        select(m.AllocationRow)
        .join(m.Epoch)
        .where(m.AllocationRow.project_id == project_id, m.Epoch.report_status == "ok")
    ):
        e, account = allocation.epoch, allocation.account
        shares = {
            c: Fraction(scores[(e, account, c)], totals[(e, c)]) for c in codes if scores.get((e, account, c), 0) > 0
        }
        if kind.code not in shares:
            continue
        # the kinds' parts of the amount, cumulated and floored, add up to the amount exactly
        whole = sum(shares.values())
        before = sum((shares[c] for c in codes if c in shares and c < kind.code), Fraction(0))
        upto = before + shares[kind.code]
        part = int(allocation.amount * upto / whole) - int(allocation.amount * before / whole)
        earned[account] += part
        if (e, allocation.leaf_index) in claimed:
            earned_claimed[account] += part
        epochs[account].add(e)
    score_raw: dict[str, int] = defaultdict(int)
    for (e, account, code), value in scores.items():
        if code == kind.code and value > 0:
            score_raw[account] += value
            epochs[account].add(e)
    people = set(accepted) | set(earned)
    ranked = sorted(people, key=lambda a: (-earned[a], -score_raw[a], a))[:limit]
    return KindLeaderboard(
        project_id=project_id,
        kind=kind,
        score_unit=_score_unit(kind, project.metric),
        attribution=ATTRIBUTION,
        entries=[
            KindLeaderboardEntry(
                rank=i + 1,
                contributor=a,
                tokens_earned=str(earned[a]),
                tokens_claimed=str(earned_claimed[a]),
                score=score_raw[a] / SCORE_SCALE,
                score_raw=str(score_raw[a]),
                scored_contributions=scored[a],
                accepted_contributions=accepted[a],
                epochs=sorted(epochs[a]),
            )
            for i, a in enumerate(ranked)
        ],
    )
