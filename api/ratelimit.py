"""A small in-process token-bucket limiter for write endpoints, keyed by client address.

(slowapi/limits are not in the pinned environment; this keeps the one thing we need: a burst
allowance refilled at a steady rate, thread-safe, with the wait before the next allowed call.)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class TokenBucketLimiter:
    def __init__(self, rate_per_minute: int, burst: int, *, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 100_000) -> None:
        if rate_per_minute < 1 or burst < 1:
            raise ValueError("rate_per_minute and burst must be at least 1")
        self.rate_per_second = rate_per_minute / 60.0
        self.burst = float(burst)
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last refill time)
        self._lock = threading.Lock()

    def acquire(self, key: str) -> float:
        """Takes one token for `key`; returns 0.0 when allowed, else the seconds to wait."""
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate_per_second)
            if tokens >= 1.0:
                if key not in self._buckets and len(self._buckets) >= self.max_keys:
                    self._evict_full(now)
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / self.rate_per_second

    def _evict_full(self, now: float) -> None:
        """Drops buckets that have refilled completely: they hold no information."""
        full = [k for k, (t, last) in self._buckets.items()
                if t + (now - last) * self.rate_per_second >= self.burst]
        for key in full:
            del self._buckets[key]
