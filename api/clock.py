"""Project epoch clocks as the API reads them: `dao.epochs` over the indexed schedule
configurations, at the time of the newest indexed block (the chain's "now" as far as the index
knows; never the API host's clock)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from api import models as m
from dao.epochs import EpochClock, EpochWindows, ScheduleConfig


def indexed_now(session: Session) -> int | None:
    """The timestamp of the newest indexed block that has one (None before the first range)."""
    return session.scalar(
        select(m.IndexedBlock.timestamp)
        .where(m.IndexedBlock.timestamp.is_not(None))
        .order_by(m.IndexedBlock.number.desc())
        .limit(1)
    )


def schedule_configs(session: Session, project_ids: Iterable[int]) -> dict[int, list[ScheduleConfig]]:
    """Each project's configurations, oldest first (as the registry lists them)."""
    configs: dict[int, list[ScheduleConfig]] = defaultdict(list)
    for row in session.scalars(
        select(m.ProjectSchedule)
        .where(m.ProjectSchedule.project_id.in_(sorted(set(project_ids))))
        .order_by(m.ProjectSchedule.project_id, m.ProjectSchedule.from_epoch)
    ):
        configs[row.project_id].append(
            ScheduleConfig(
                from_epoch=row.from_epoch,
                start_time=row.start_time,
                commit_window=row.commit_window,
                reveal_window=row.reveal_window,
                bond=row.bond,
            )
        )
    return configs


def project_clocks(session: Session, project_ids: Iterable[int]) -> dict[int, EpochClock]:
    """Clocks of the projects whose schedule is indexed (a project without one is left out)."""
    clocks = {}
    for project_id, configs in schedule_configs(session, project_ids).items():
        try:
            clocks[project_id] = EpochClock(configs)
        except ValueError:  # no configuration from epoch 0: not a schedule the registry makes
            continue
    return clocks


def current_epoch(clock: EpochClock, now: int) -> EpochWindows:
    """The epoch the clock shows at `now`; before the first epoch starts, epoch 0 (not started),
    as ContributionRegistry.epochAt answers."""
    epoch = clock.epoch_at(now)
    return clock.windows(0 if epoch is None else epoch)


def in_effect(configs: list[ScheduleConfig], now: int | None) -> tuple[ScheduleConfig, ScheduleConfig | None]:
    """The configuration governing `now` and the newest one when it has not taken effect yet
    (a pending change). Before the first epoch starts the first configuration governs."""
    if now is None:
        return configs[-1], None
    started = [c for c in configs if c.start_time <= now]
    current = started[-1] if started else configs[0]
    pending = configs[-1] if configs[-1] is not current and configs[-1].start_time > now else None
    return current, pending
