"""Watching the event loop: one task that sleeps a few milliseconds at a time and
measures how late it wakes. A late wake-up is a stall: something ran on the loop for
that long, and every group waited. Stalls over the threshold are logged as warnings;
with `report_seconds` set, the worst stall of each period is logged too (the load
benchmark reads those lines)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

TICK = 0.02


async def watch(
    warn: Callable[[str], object],
    info: Callable[[str], object],
    threshold_ms: float = 100,
    report_seconds: float = 0,
) -> None:
    worst = 0.0
    period_started = time.monotonic()
    while True:
        before = time.monotonic()
        await asyncio.sleep(TICK)
        late_ms = (time.monotonic() - before - TICK) * 1000
        if late_ms > threshold_ms:
            warn(f"事件循环卡顿 {late_ms:.0f} ms（超过 {threshold_ms:.0f} ms）")
        worst = max(worst, late_ms)
        if report_seconds and time.monotonic() - period_started >= report_seconds:
            info(f"loop-watch t={time.time():.3f} worst_ms={worst:.1f}")
            worst, period_started = 0.0, time.monotonic()
