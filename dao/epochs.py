"""A project's epoch clock, as ContributionRegistry keeps it: pure arithmetic over the project's
schedule configurations, so the oracle, the API and the CLI compute exactly what the contract does.

An epoch is a commit window then a reveal window. Configuration c governs epochs e >= c.from_epoch
(until the next configuration's from_epoch); epoch e starts at
c.start_time + (e - c.from_epoch) * (c.commit_window + c.reveal_window). Governance changes a
project's windows and bond only from an epoch that has not started.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dao.vocabulary import Phase


@dataclass(frozen=True)
class ScheduleConfig:
    """IContributionRegistry.ScheduleConfig."""

    from_epoch: int
    start_time: int
    commit_window: int
    reveal_window: int
    bond: int

    @property
    def length(self) -> int:
        return self.commit_window + self.reveal_window

    @classmethod
    def from_chain(cls, fields: Mapping[str, Any]) -> ScheduleConfig:
        """From the registry's struct, read by field name."""
        return cls(
            from_epoch=int(fields["fromEpoch"]),
            start_time=int(fields["startTime"]),
            commit_window=int(fields["commitWindow"]),
            reveal_window=int(fields["revealWindow"]),
            bond=int(fields["bond"]),
        )


@dataclass(frozen=True)
class EpochWindows:
    """Commits in [commit_start, reveal_start), reveals in [reveal_start, end)."""

    epoch: int
    commit_start: int
    reveal_start: int
    end: int

    def phase(self, now: int) -> Phase:
        if now < self.commit_start:
            return Phase.NOT_STARTED
        if now < self.reveal_start:
            return Phase.COMMIT
        if now < self.end:
            return Phase.REVEAL
        return Phase.CLOSED

    def seconds_left(self, now: int) -> int:
        """Until the current phase ends (0 once the epoch closed)."""
        phase = self.phase(now)
        boundary = {
            Phase.NOT_STARTED: self.commit_start,
            Phase.COMMIT: self.reveal_start,
            Phase.REVEAL: self.end,
        }.get(phase)
        return 0 if boundary is None else boundary - now


class EpochClock:
    """A project's clock from its schedule configurations (oldest first, as the registry lists them)."""

    def __init__(self, configs: Iterable[ScheduleConfig]) -> None:
        self.configs: Sequence[ScheduleConfig] = tuple(configs)
        if not self.configs or self.configs[0].from_epoch != 0:
            raise ValueError("a project's first schedule configuration governs from epoch 0")

    @property
    def start(self) -> int:
        return self.configs[0].start_time

    def config_for(self, epoch: int) -> ScheduleConfig:
        return next(c for c in reversed(self.configs) if c.from_epoch <= epoch)

    def windows(self, epoch: int) -> EpochWindows:
        if epoch < 0:
            raise ValueError(f"epochs count from 0, got {epoch}")
        c = self.config_for(epoch)
        commit_start = c.start_time + (epoch - c.from_epoch) * c.length
        return EpochWindows(epoch, commit_start, commit_start + c.commit_window, commit_start + c.length)

    def epoch_at(self, timestamp: int) -> int | None:
        """The epoch the clock shows at `timestamp` (None before the first epoch starts)."""
        started = [c for c in self.configs if c.start_time <= timestamp]
        if not started:
            return None
        c = started[-1]
        return c.from_epoch + (timestamp - c.start_time) // c.length

    def bond(self, epoch: int) -> int:
        return self.config_for(epoch).bond

    def last_closed(self, timestamp: int) -> int | None:
        """The newest epoch whose reveal window has closed by `timestamp` (None when none has)."""
        current = self.epoch_at(timestamp)  # the epoch open at `timestamp`
        return None if current is None or current == 0 else current - 1
