"""Handling cases: a merchant's walk through a flow, saved after every answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.states import Channel, GuideStatus, OutboxKind
from bot.storage._sql import transaction
from bot.storage.models.cases import GuideCase
from bot.storage.outbox import enqueue


async def open_guide_case(
    shop_id: int, scenario: str, platform: str | None, buyer_key: str | None, order_no: str | None
) -> GuideCase | None:
    return (
        await GuideCase.filter(
            shop_id=shop_id,
            scenario=scenario,
            platform=platform,
            buyer_key=buyer_key,
            order_no=order_no,
            status=GuideStatus.open,
        )
        .order_by("-id")
        .first()
    )


async def create_guide_case(**values: Any) -> GuideCase:
    return await GuideCase.create(**values)


async def save_guide_case(case: GuideCase) -> None:
    await case.save()


async def guide_case(case_id: int) -> GuideCase | None:
    return await GuideCase.get_or_none(id=case_id)


async def open_guide_cases(shop_id: int) -> list[GuideCase]:
    return await GuideCase.filter(shop_id=shop_id, status=GuideStatus.open).order_by("-updated_at")


async def active_guide_session(shop_id: int, chat: str, now: datetime) -> GuideCase | None:
    return (
        await GuideCase.filter(shop_id=shop_id, chat=chat, status=GuideStatus.open, session_until__gt=now)
        .order_by("-updated_at")
        .first()
    )


async def guide_sessions(now: datetime) -> list[tuple[str, datetime]]:
    """The chats where an open case still waits for a reply, and until when."""
    rows = await GuideCase.filter(status=GuideStatus.open, session_until__gt=now).values_list("chat", "session_until")
    return [(chat, until) for chat, until in rows if chat]


async def due_guide_reminders(now: datetime) -> list[GuideCase]:
    return (
        await GuideCase.filter(status=GuideStatus.open, remind_at__lte=now).select_related("shop").order_by("remind_at")
    )


async def queue_guide_reminder(case: GuideCase, user_id: int | None, event_key: str, text: str, now: datetime) -> bool:
    """Queue the reminder (when the shop has a private chat) and save the re-armed case in
    one transaction: a crash between the two neither loses nor repeats a reminder."""
    async with transaction():
        queued = False
        if user_id is not None:
            queued = await enqueue(OutboxKind.guide, Channel.private, user_id, event_key, text, now)
        await case.save()
        return queued
