"""版主, trusted groups, and the moderation decisions that change what counts, each logged
with the level before and after for every buyer it touches."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from tortoise.exceptions import IntegrityError

from bot.states import DecisionKind
from bot.storage._sql import lock_buyer, transaction
from bot.storage.models.reports import Report
from bot.storage.models.trust import Decision, Moderator, TrustedGroup
from bot.storage.reports import Judge, OnDecided


async def is_appointed_moderator(account: str) -> bool:
    return await Moderator.exists(account=account)


async def add_moderator(account: str, by: str) -> bool:
    try:
        await Moderator.create(account=account, added_by=by)
    except IntegrityError:
        return False
    return True


async def remove_moderator(account: str) -> bool:
    return await Moderator.filter(account=account).delete() > 0


async def moderators() -> list[str]:
    return list(await Moderator.all().order_by("id").values_list("account", flat=True))  # type: ignore[arg-type]


async def is_trusted_group(group_id: int) -> bool:
    return await TrustedGroup.exists(group_id=group_id)


async def add_trusted_group(group_id: int, by: str) -> bool:
    try:
        await TrustedGroup.create(group_id=group_id, trusted_by=by)
    except IntegrityError:
        return False
    return True


async def remove_trusted_group(group_id: int) -> bool:
    return await TrustedGroup.filter(group_id=group_id).delete() > 0


JudgeFor = Callable[[int], Judge]


async def decide(
    touched: dict[int, int],
    change: Callable[[], Awaitable[Any]],
    kind: DecisionKind,
    actor: str,
    reason: str,
    judge_for: JudgeFor,
    on_decided: OnDecided | None,
) -> dict[int, tuple[str, str]]:
    """Make a moderation change and log it, in one transaction: lock every touched buyer
    (buyer id → the report the decision names), read their levels, make the change,
    read them again, log one decision per buyer with the moderator and the reason, and
    run on_decided (alerts, corrections). Returns buyer id → (level before, after)."""
    levels: dict[int, tuple[str, str]] = {}
    async with transaction():
        for buyer_id in sorted(touched):
            await lock_buyer(buyer_id)
        before = {buyer_id: (await judge_for(buyer_id)()).level for buyer_id in touched}
        await change()
        for buyer_id, report_id in sorted(touched.items()):
            verdict = await judge_for(buyer_id)()
            report = await Report.get(id=report_id)
            decision = await Decision.create(
                kind=kind,
                shop_id=report.shop_id,
                buyer_id=buyer_id,
                report_id=report_id,
                level_before=before[buyer_id].value,
                level_after=verdict.level.value,
                score_after=verdict.score,
                actor=actor,
                reason=reason[:255],
            )
            if on_decided is not None:
                await on_decided(report, before[buyer_id], verdict, decision.id, kind)
            levels[buyer_id] = (before[buyer_id].value, verdict.level.value)
    return levels


async def log_decision(report: Report, kind: DecisionKind, actor: str, reason: str, judge: Judge) -> None:
    """One more decision row for a change already made and logged for the buyer (its
    level does not change again: before and after are the level it now has)."""
    verdict = await judge()
    await Decision.create(
        kind=kind,
        shop_id=report.shop_id,
        buyer_id=report.buyer_id,
        report_id=report.id,
        level_before=verdict.level.value,
        level_after=verdict.level.value,
        score_after=verdict.score,
        actor=actor,
        reason=reason[:255],
    )
