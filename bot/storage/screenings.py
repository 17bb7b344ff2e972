"""Screening jobs: the queue of order exports and what came of them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.states import Channel, OutboxKind, ScreeningState
from bot.storage._sql import (
    transaction,
)
from bot.storage.models.screening import ScreeningJob
from bot.storage.outbox import enqueue

WAITING = (ScreeningState.queued, ScreeningState.running)


async def create_screening(**values: Any) -> ScreeningJob:
    return await ScreeningJob.create(**values)


async def set_screening_input(job_id: int, input_path: str) -> None:
    """Where the uploaded file waits for its worker (written after the job has its id)."""
    await ScreeningJob.filter(id=job_id).update(input_path=input_path)


async def screening_by_id(job_id: int) -> ScreeningJob | None:
    return await ScreeningJob.get_or_none(id=job_id)


async def waiting_screening_of(shop_id: int) -> ScreeningJob | None:
    return await ScreeningJob.filter(shop_id=shop_id, state__in=WAITING).order_by("id").first()


async def queued_before(job_id: int) -> int:
    """How many files wait ahead of this one (not counting those being screened)."""
    return await ScreeningJob.filter(state=ScreeningState.queued, id__lt=job_id).count()


async def queued_count() -> int:
    return await ScreeningJob.filter(state=ScreeningState.queued).count()


async def unfinished_screenings() -> list[ScreeningJob]:
    return await ScreeningJob.filter(state__in=WAITING).order_by("id")


async def start_screening(job_id: int, now: datetime) -> None:
    await ScreeningJob.filter(id=job_id).update(state=ScreeningState.running, started_at=now)


async def screening_progress(job_id: int, stage: str, done: int, total: int) -> None:
    await ScreeningJob.filter(id=job_id).update(stage=stage[:32], done=done, total=total)


async def finish_screening(
    job: ScreeningJob, values: dict[str, Any], reply: tuple[Channel, int, str] | None, now: datetime
) -> None:
    """Record the end of a job and queue its summary (when it has a chat to go to) in
    one transaction: a crash in between neither loses nor repeats the summary."""
    async with transaction():
        await ScreeningJob.filter(id=job.id).update(finished_at=now, input_path=None, **values)
        if reply is not None:
            channel, target, text = reply
            await enqueue(OutboxKind.screening, channel, target, f"screening:{job.id}", text, now)


async def screenings_of_shop(shop_id: int, limit: int = 20) -> list[ScreeningJob]:
    return await ScreeningJob.filter(shop_id=shop_id).order_by("-id").limit(limit)
