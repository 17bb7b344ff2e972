"""The bot watches its own event loop: a stall is logged, with how long it was."""

from __future__ import annotations

import asyncio
import time

from bot.loopwatch import watch


async def test_a_blocking_call_on_the_loop_is_logged_as_a_stall():
    warnings: list[str] = []
    reports: list[str] = []
    task = asyncio.create_task(watch(warnings.append, reports.append, threshold_ms=50, report_seconds=0.1))
    await asyncio.sleep(0.05)
    time.sleep(0.2)  # what must never happen in the bot: the loop blocked
    await asyncio.sleep(0.15)
    task.cancel()
    assert len(warnings) == 1 and "事件循环卡顿" in warnings[0]
    stalled = int(warnings[0].split("卡顿 ")[1].split(" ms")[0])
    assert 150 <= stalled <= 400
    assert any("worst_ms=" in line for line in reports)
