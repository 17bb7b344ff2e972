"""Rate limits of the HTTP front door: per API key, and per address for what needs no key
(appeals). In this process's memory: several processes each allow the rate (noted in the
README); a restart forgets the window."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class RateLimit:
    def __init__(self, calls: int, per_seconds: float, clock: Callable[[], float] = time.monotonic):
        self.calls = calls
        self.per = per_seconds
        self.clock = clock
        self._seen: dict[str, deque[float]] = {}

    def retry_after(self, key: str) -> int | None:
        """None: allowed (and counted); else the seconds to wait."""
        now = self.clock()
        seen = self._seen.setdefault(key, deque())
        while seen and now - seen[0] >= self.per:
            seen.popleft()
        if len(seen) >= self.calls:
            return max(1, int(self.per - (now - seen[0])) + 1)
        seen.append(now)
        if len(self._seen) > 100_000:  # a flood of addresses must not grow memory forever
            self._seen = {k: v for k, v in self._seen.items() if v and now - v[-1] < self.per}
        return None
