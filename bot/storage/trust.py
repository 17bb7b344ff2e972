"""版主, trusted groups, and the moderation decisions that change what counts, each logged
with the level before and after for every buyer it touches."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError

from bot.states import DecisionKind, TrustAction, VouchEnd
from bot.storage._sql import lock_buyer, transaction
from bot.storage.models.reports import Report
from bot.storage.models.shops import Shop
from bot.storage.models.trust import Decision, Moderator, TrustDecision, TrustedGroup, Vouch, WithdrawnVoucher
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


# -- vouches: who a shop's verification rests on ----------------------------------------------


async def add_vouch(shop: Shop, voucher: str, group_id: int | None, by_moderator: bool, now: datetime) -> Vouch:
    """A new standing vouch for the shop's name and platform as they are now."""
    return await Vouch.create(
        shop_id=shop.id,
        voucher=voucher,
        group_id=group_id,
        by_moderator=by_moderator,
        platform=shop.platform,
        name_key=shop.name_key,
        created_at=now,
    )


async def standing_vouches(shop_id: int) -> list[Vouch]:
    return await Vouch.filter(shop_id=shop_id, ended_at__isnull=True).order_by("id")


async def standing_vouch_by(shop_id: int, voucher: str) -> Vouch | None:
    return await Vouch.get_or_none(shop_id=shop_id, voucher=voucher, ended_at__isnull=True)


async def vouches_made_since(voucher: str, since: datetime) -> int:
    """How many shops this voucher vouched for since (ended ones too: the cap is on
    vouching, not on what still stands)."""
    return await Vouch.filter(voucher=voucher, created_at__gte=since).count()


async def shops_vouched_by(voucher: str) -> list[int]:
    rows = await Vouch.filter(voucher=voucher, ended_at__isnull=True).values_list("shop_id", flat=True)
    return sorted(set(rows))  # type: ignore[arg-type]


async def shops_vouched_in(group_id: int) -> list[int]:
    rows = await Vouch.filter(group_id=group_id, ended_at__isnull=True).values_list("shop_id", flat=True)
    return sorted(set(rows))  # type: ignore[arg-type]


async def end_vouches(
    why: VouchEnd,
    by: str,
    now: datetime,
    *,
    shop_id: int | None = None,
    voucher: str | None = None,
    group_id: int | None = None,
) -> int:
    """End the standing vouches that match (a shop's, a voucher's, a group's, or a
    voucher's for one shop). Returns how many ended."""
    query = Vouch.filter(ended_at__isnull=True)
    if shop_id is not None:
        query = query.filter(shop_id=shop_id)
    if voucher is not None:
        query = query.filter(voucher=voucher)
    if group_id is not None:
        query = query.filter(group_id=group_id)
    return await query.update(ended_at=now, ended_why=why, ended_by=by)


def _roots(vouches: list[Vouch]) -> str:
    tokens = {"m" if v.by_moderator else f"{v.voucher}@{v.group_id}" for v in vouches}
    return ",".join(sorted(tokens))


async def refresh_verification(shop_id: int, now: datetime) -> bool:
    """Set the shop's verification from its standing vouches: verified while any
    stands (since the earliest), with the roots they give; unverified when none does.
    Returns whether the shop is verified now."""
    vouches = await standing_vouches(shop_id)
    if not vouches:
        await Shop.filter(id=shop_id).update(verified_at=None, verified_by=None, verified_in=None, roots="")
        return False
    first = vouches[0]
    await Shop.filter(id=shop_id).update(
        verified_at=first.created_at, verified_by=first.voucher, verified_in=first.group_id, roots=_roots(vouches)
    )
    return True


async def withdraw_voucher(account: str, by: str, reason: str, now: datetime) -> bool:
    """False when the voucher was withdrawn already."""
    try:
        await WithdrawnVoucher.create(account=account, withdrawn_by=by, reason=reason[:200], created_at=now)
    except IntegrityError:
        return False
    return True


async def restore_voucher(account: str) -> bool:
    return await WithdrawnVoucher.filter(account=account).delete() > 0


async def is_withdrawn_voucher(account: str) -> bool:
    return await WithdrawnVoucher.exists(account=account)


async def vouches_to_tell(limit: int = 200) -> list[Vouch]:
    """Vouches the 版主 have not been told of yet, oldest first."""
    return await Vouch.filter(notified_at__isnull=True).select_related("shop").order_by("id").limit(limit)


async def mark_vouches_told(vouch_ids: list[int], now: datetime) -> None:
    if vouch_ids:
        await Vouch.filter(id__in=vouch_ids).update(notified_at=now)


# -- the trust log ------------------------------------------------------------------------------


async def log_trust(
    action: TrustAction,
    actor: str,
    now: datetime,
    *,
    shop_id: int | None = None,
    account: str | None = None,
    group_id: int | None = None,
    buyer_id: int | None = None,
    appeal_id: int | None = None,
    report_id: int | None = None,
    detail: str = "",
) -> None:
    await TrustDecision.create(
        action=action,
        actor=actor,
        shop_id=shop_id,
        account=account,
        group_id=group_id,
        buyer_id=buyer_id,
        appeal_id=appeal_id,
        report_id=report_id,
        detail=detail[:255],
        created_at=now,
    )


async def trust_log(limit: int = 50, **where: Any) -> list[TrustDecision]:
    return await TrustDecision.filter(**where).order_by("-id").limit(limit)


async def vouch_as_moderator(shop: Shop, voucher: str, now: datetime) -> None:
    """A 版主's vouch for a shop that has reported nobody yet (an imported list the
    command line vouches for): nothing to decide, no buyer's level moves."""
    async with transaction():
        await add_vouch(shop, voucher, None, True, now)
        await refresh_verification(shop.id, now)
        await log_trust(TrustAction.vouch, voucher, now, shop_id=shop.id, account=shop.owner, detail="版主")
