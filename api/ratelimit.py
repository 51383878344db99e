"""The write rate limit: `limits` (the library under slowapi and Flask-Limiter) with a moving
window kept in process memory, keyed by client address."""

from __future__ import annotations

import time

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter


class WriteLimiter:
    """`acquire(key)` takes one request from the key's window: 0.0 when allowed, else the seconds
    until the window lets one more in."""

    def __init__(self, limit: str) -> None:
        """`limit` in the library's notation, e.g. "30/minute" or "5/second;100/hour"."""
        self.item: RateLimitItem = parse(limit)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def acquire(self, key: str) -> float:
        if self._limiter.hit(self.item, key):
            return 0.0
        reset_at = self._limiter.get_window_stats(self.item, key).reset_time
        return max(reset_at - time.time(), 0.001)

    def reset(self) -> None:
        self._limiter.storage.reset()


class ClaimLimits:
    """Relayed claim transactions per account and per client, in moving windows."""

    def __init__(self, per_account: str, per_client: str) -> None:
        self.items: dict[str, RateLimitItem] = {"account": parse(per_account), "client": parse(per_client)}
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def wait(self, account: str, client: str) -> tuple[str, float]:
        """("", 0.0) when both allow one more; else which one refuses and the seconds until it allows."""
        for kind, key in (("account", account.lower()), ("client", client)):
            if not self._limiter.test(self.items[kind], kind, key):
                reset_at = self._limiter.get_window_stats(self.items[kind], kind, key).reset_time
                return kind, max(reset_at - time.time(), 0.001)
        return "", 0.0

    def count(self, account: str, client: str) -> None:
        self._limiter.hit(self.items["account"], "account", account.lower())
        self._limiter.hit(self.items["client"], "client", client)


def check_limit(limit: str) -> str:
    """Validates a rate-limit string (raises ValueError naming it)."""
    try:
        parse(limit)
    except ValueError:
        raise ValueError(f"not a rate limit: {limit!r} (write e.g. '30/minute')") from None
    return limit
