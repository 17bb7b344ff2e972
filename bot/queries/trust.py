"""Who is who (DESIGN.md §7): shop accounts, 版主, trusted groups, verification and bans;
appeals; the alerts a correction must follow; and moderation decisions, logged with
the level before and after for every buyer they touch."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError

from bot.models import (
    Alert,
    Appeal,
    AppealEvidence,
    Buyer,
    Decision,
    Moderator,
    Report,
    Shop,
    ShopAccount,
    TrustedGroup,
)
from bot.queries._sql import ACTIVE, execute, lock_buyer, select, transaction
from bot.queries.reports import Judge, OnDecided
from bot.states import AccountRole, AppealState, Channel, DecisionKind, OutboxKind, OutboxStatus, ReportState
from bot.text import fold


class NameTaken(Exception):
    """Another shop on this platform has this name (compared folded)."""


class AccountTaken(Exception):
    """This account already speaks for a shop."""


class AppealAlreadyOpen(Exception):
    """The buyer has an open appeal."""


# -- shops and their accounts -------------------------------------------------------------


# Every /查 asks which shop the asker speaks for: one plain SELECT instead of the ORM's
# join, whose query building cost more than the statement (6.8% of the bot's CPU).
_SHOP_COLUMNS = tuple(sorted(Shop._meta.db_fields))
_SHOP_OF_ACCOUNT = (
    f"SELECT {', '.join('s.' + column for column in _SHOP_COLUMNS)}"
    " FROM shop_account a JOIN shop s ON s.id = a.shop_id WHERE a.account = :account"
)


async def shop_of_account(account: str) -> Shop | None:
    rows = await select(_SHOP_OF_ACCOUNT, account=account)
    # As the ORM itself loads a row (each field converted from this database's form).
    return Shop._init_from_db(**dict(zip(_SHOP_COLUMNS, rows[0], strict=True))) if rows else None


async def account_role(account: str) -> AccountRole | None:
    link = await ShopAccount.get_or_none(account=account)
    return link.role if link else None


async def shop_by_name(platform: str, name: str) -> Shop | None:
    return await Shop.get_or_none(platform=platform, name_key=fold(name))


async def create_shop(owner: str, platform: str, name: str) -> Shop:
    """A new shop with its owner account, in one transaction."""
    try:
        async with transaction():
            shop = await Shop.create(owner=owner, platform=platform, name=name, name_key=fold(name))
            await ShopAccount.create(account=owner, shop_id=shop.id, role=AccountRole.owner)
            return shop
    except IntegrityError as exc:
        if await ShopAccount.exists(account=owner):
            raise AccountTaken() from exc
        raise NameTaken() from exc


async def rename_shop(shop: Shop, platform: str, name: str) -> str:
    """Returns the previous name."""
    previous = shop.name
    try:
        await Shop.filter(id=shop.id).update(platform=platform, name=name, name_key=fold(name))
    except IntegrityError as exc:
        raise NameTaken() from exc
    shop.platform, shop.name, shop.name_key = platform, name, fold(name)
    return previous


async def add_staff_account(shop_id: int, account: str, by: str) -> None:
    try:
        await ShopAccount.create(account=account, shop_id=shop_id, role=AccountRole.staff, added_by=by)
    except IntegrityError as exc:
        raise AccountTaken() from exc


async def remove_staff_account(shop_id: int, account: str) -> bool:
    return await ShopAccount.filter(shop_id=shop_id, account=account, role=AccountRole.staff).delete() > 0


async def shop_accounts(shop_id: int) -> list[ShopAccount]:
    return await ShopAccount.filter(shop_id=shop_id).order_by("id")


async def owners_of(shop_ids: Iterable[int]) -> dict[int, str]:
    rows = await Shop.filter(id__in=list(shop_ids)).values("id", "owner")
    return {row["id"]: row["owner"] for row in rows}


async def reports_filed_since(shop_id: int, since: datetime) -> int:
    return await Report.filter(shop_id=shop_id, created_at__gte=since).count()


async def removed_reports_of_shop_since(shop_id: int, since: datetime) -> int:
    return await Decision.filter(shop_id=shop_id, kind=DecisionKind.remove, created_at__gte=since).count()


# -- 版主 and trusted groups ------------------------------------------------------------------


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


# -- decisions that change what counts --------------------------------------------------------

JudgeFor = Callable[[int], Judge]


async def reported_buyers(shop_id: int, states: Iterable[ReportState]) -> dict[int, int]:
    """buyer id → one of the shop's reports on it, among reports in these states."""
    rows = await Report.filter(shop_id=shop_id, state__in=list(states)).order_by("id").values("buyer_id", "id")
    found: dict[int, int] = {}
    for row in rows:
        found.setdefault(row["buyer_id"], row["id"])
    return found


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


async def report_ids_of_shop(shop_id: int, state: ReportState) -> list[int]:
    return list(await Report.filter(shop_id=shop_id, state=state).values_list("id", flat=True))  # type: ignore[arg-type]


async def set_report_states(report_ids: list[int], to: ReportState, from_states: Iterable[ReportState]) -> int:
    if not report_ids:
        return 0
    return await execute(
        "UPDATE report SET state = :to WHERE id IN (:ids) AND state IN (:from_states)",
        to=to,
        ids=report_ids,
        from_states=list(from_states),
    )


async def set_verified(shop_id: int, by: str | None, group_id: int | None, now: datetime | None) -> None:
    await Shop.filter(id=shop_id).update(verified_at=now, verified_by=by, verified_in=group_id)


async def set_banned(shop_id: int, by: str | None, reason: str | None, now: datetime | None) -> None:
    await Shop.filter(id=shop_id).update(banned_at=now, banned_by=by, ban_reason=reason)


# -- alerts and their corrections ---------------------------------------------------------------


async def create_alert(buyer_id: int, level: str, now: datetime) -> int:
    return (await Alert.create(buyer_id=buyer_id, level=level, created_at=now)).id


async def alert_buyer(alert_id: int) -> Buyer | None:
    """The buyer an alert was about (`/查 预警3`)."""
    alert = await Alert.get_or_none(id=alert_id).select_related("buyer")
    return alert.buyer if alert else None


async def alerted_since(buyer_id: int, level: str, since: datetime) -> bool:
    return await Alert.exists(buyer_id=buyer_id, level=level, created_at__gte=since)


async def standing_alert(buyer_id: int, level: str) -> bool:
    """The groups at this level were told about the buyer and nothing has ended it."""
    return await Alert.exists(buyer_id=buyer_id, level=level, corrected_at__isnull=True)


async def end_alert(alert_id: int, now: datetime) -> None:
    """The buyer fell below the alert's level by time or by a change that corrects
    nothing: the alert ends silently (no correction), so that a new crossing alerts."""
    await Alert.filter(id=alert_id, corrected_at__isnull=True).update(corrected_at=now)


async def uncorrected_alerts(buyer_id: int) -> list[Alert]:
    return await Alert.filter(buyer_id=buyer_id, corrected_at__isnull=True).order_by("id")


async def mark_corrected(alert_id: int, why: str, now: datetime) -> bool:
    """True for the one caller that corrects this alert: once per alert."""
    changed = await Alert.filter(id=alert_id, corrected_at__isnull=True).update(corrected_at=now, correction=why)
    return changed == 1


async def groups_alerted(alert_id: int) -> list[int]:
    """The groups that were told (sent, or folded into their digest); an alert still
    waiting in the outbox is withdrawn instead (it never reached anyone)."""
    key = f"alert:{alert_id}"
    await execute(
        "UPDATE outbox SET status = :dropped, last_error = :why WHERE event_key = :key AND status = :pending",
        dropped=OutboxStatus.dropped,
        why="corrected before it was sent",
        key=key,
        pending=OutboxStatus.pending,
    )
    rows = await select(
        "SELECT target_id FROM outbox WHERE event_key = :key AND channel = :group AND status IN (:told)",
        key=key,
        group=Channel.group,
        told=[OutboxStatus.sent, OutboxStatus.folded],
    )
    return sorted(int(row[0]) for row in rows)


async def corrections_since(since: datetime) -> list[tuple[str, str, str, str]]:
    """(platform, buyer_key, level, why) of alerts corrected since, for the digest."""
    rows = await select(
        """SELECT b.platform, b.buyer_key, a.level, a.correction FROM alert a JOIN buyer b ON b.id = a.buyer_id
        WHERE a.corrected_at > :since AND a.correction IS NOT NULL ORDER BY a.id""",
        since=since,
    )
    return [(row[0], row[1], row[2], row[3] or "") for row in rows]


# -- appeals ---------------------------------------------------------------------------------------


async def open_appeal(buyer_id: int, appellant: str, reason: str, now: datetime) -> Appeal:
    try:
        return await Appeal.create(
            buyer_id=buyer_id, appellant=appellant, reason=reason, created_at=now, open_buyer=buyer_id
        )
    except IntegrityError as exc:
        raise AppealAlreadyOpen() from exc


async def lost_appeal_since(buyer_id: int, appellant: str, since: datetime) -> bool:
    return await Appeal.exists(buyer_id=buyer_id, appellant=appellant, state=AppealState.upheld, decided_at__gte=since)


async def appeal_by_id(appeal_id: int) -> Appeal | None:
    return await Appeal.get_or_none(id=appeal_id).select_related("buyer")


async def open_appeals() -> list[Appeal]:
    return await Appeal.filter(state=AppealState.open).select_related("buyer").order_by("created_at", "id")


async def close_appeal(appeal_id: int, state: AppealState, by: str, note: str, now: datetime) -> bool:
    changed = await Appeal.filter(id=appeal_id, state=AppealState.open).update(
        state=state, decided_by=by, decision_note=note, decided_at=now, open_buyer=None
    )
    return changed == 1


async def active_reports_on(buyer_id: int) -> list[Report]:
    return await Report.filter(buyer_id=buyer_id, state=ReportState.active).select_related("shop").order_by("id")


async def reports_of_buyer(buyer_id: int) -> list[Report]:
    return await Report.filter(buyer_id=buyer_id).select_related("shop").order_by("id")


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


async def reporting_shops(buyer_id: int) -> list[Shop]:
    rows = await select(
        f"SELECT DISTINCT r.shop_id FROM report r WHERE r.buyer_id = :buyer_id AND {ACTIVE}", buyer_id=buyer_id
    )
    return await Shop.filter(id__in=[row[0] for row in rows]).order_by("id")


async def add_appeal_evidence(
    appeal_id: int, shop_id: int, description: str, sha256: str, file_name: str | None, now: datetime
) -> bool:
    inserted = await execute(
        """INSERT INTO appeal_evidence (appeal_id, shop_id, description, sha256, file_name, created_at)
        VALUES (:appeal_id, :shop_id, :description, :sha256, :file_name, :now) ON CONFLICT (appeal_id, sha256) DO NOTHING""",
        appeal_id=appeal_id,
        shop_id=shop_id,
        description=description,
        sha256=sha256,
        file_name=file_name,
        now=now,
    )
    return inserted == 1


async def appeal_evidence(appeal_id: int) -> list[AppealEvidence]:
    return await AppealEvidence.filter(appeal_id=appeal_id).select_related("shop").order_by("id")


async def notify(kind: OutboxKind, channel: Channel, targets: Iterable[int], key: str, text: str, now: datetime) -> int:
    """The same message to several targets, each once (their event keys are unique)."""
    from bot.queries.outbox import enqueue

    sent = 0
    for target in targets:
        sent += await enqueue(kind, channel, target, key, text, now)
    return sent
