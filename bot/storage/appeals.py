"""Appeals: one open per buyer, their decisions, and the evidence reporters add."""

from __future__ import annotations

from datetime import datetime

from tortoise.exceptions import IntegrityError

from bot.states import AppealState, StatementKind
from bot.storage._sql import insert_evidence, select, to_datetime
from bot.storage.models.appeals import Appeal, AppealEvidence, AppealStatement


class AppealAlreadyOpen(Exception):
    """The buyer has an open appeal."""


async def open_appeal(buyer_id: int, appellant: str, reason: str, now: datetime, hold_until: datetime) -> Appeal:
    try:
        return await Appeal.create(
            buyer_id=buyer_id,
            appellant=appellant,
            reason=reason,
            created_at=now,
            open_buyer=buyer_id,
            hold_until=hold_until,
        )
    except IntegrityError as exc:
        raise AppealAlreadyOpen() from exc


async def open_appeal_of_buyer(buyer_id: int) -> Appeal | None:
    return await Appeal.get_or_none(open_buyer=buyer_id)


async def last_decided_appeal(buyer_id: int) -> Appeal | None:
    return (
        await Appeal.filter(buyer_id=buyer_id, decided_at__isnull=False, state__not=AppealState.open)
        .order_by("-decided_at")
        .first()
    )


async def reopen_appeal(appeal_id: int, now: datetime, hold_until: datetime) -> bool:
    """Open a decided appeal again (new evidence a 版主 accepted); False when it is open
    already. AppealAlreadyOpen when another appeal on the buyer is open."""
    appeal = await Appeal.get(id=appeal_id)
    if appeal.state == AppealState.open:
        return False
    try:
        changed = (
            await Appeal.filter(id=appeal_id)
            .exclude(state=AppealState.open)
            .update(
                state=AppealState.open,
                open_buyer=appeal.buyer_id,
                hold_until=hold_until,
                decided_at=None,
                decided_by=None,
                decision_note=None,
                reopened=appeal.reopened + 1,
            )
        )
    except IntegrityError as exc:
        raise AppealAlreadyOpen() from exc
    return changed == 1


async def appellants_of(appeal_id: int) -> set[str]:
    appeal = await Appeal.get(id=appeal_id)
    joined = [s.appellant for s in await AppealStatement.filter(appeal_id=appeal_id)]
    return {appeal.appellant, *joined}


async def add_statement(
    appeal_id: int, kind: StatementKind, appellant: str, reason: str, pictures: list[str], now: datetime
) -> AppealStatement:
    return await AppealStatement.create(
        appeal_id=appeal_id, kind=kind, appellant=appellant, reason=reason, pictures=pictures, created_at=now
    )


async def statements_of(appeal_id: int) -> list[AppealStatement]:
    return await AppealStatement.filter(appeal_id=appeal_id).order_by("id")


async def open_appeals_of(appellant: str) -> int:
    """Open appeals this account opened or joined."""
    opened = await Appeal.filter(appellant=appellant, state=AppealState.open).count()
    joined = await AppealStatement.filter(
        appellant=appellant, kind=StatementKind.joined, appeal__state=AppealState.open
    ).count()
    return opened + joined


async def appeals_by_since(appellant: str, since: datetime) -> int:
    """Appeals this account opened, joined or asked to reopen since."""
    opened = await Appeal.filter(appellant=appellant, created_at__gte=since).count()
    return opened + await AppealStatement.filter(appellant=appellant, created_at__gte=since).count()


async def appeals_on_buyer_since(buyer_id: int, since: datetime) -> int:
    """Appeals and appellants' words on this buyer since, from anyone."""
    opened = await Appeal.filter(buyer_id=buyer_id, created_at__gte=since).count()
    return opened + await AppealStatement.filter(appeal__buyer_id=buyer_id, created_at__gte=since).count()


async def to_tell_moderators() -> tuple[list[Appeal], list[AppealStatement]]:
    """New appeals and appellants' words the 版主 have not been told of."""
    appeals = await Appeal.filter(notified_at__isnull=True).select_related("buyer").order_by("id")
    statements = await AppealStatement.filter(notified_at__isnull=True).select_related("appeal__buyer").order_by("id")
    return appeals, statements


async def last_moderator_notice() -> datetime | None:
    rows = await select("SELECT MAX(notified_at) FROM appeal UNION ALL SELECT MAX(notified_at) FROM appeal_statement")
    found = [to_datetime(row[0]) for row in rows if row[0] is not None]
    return max(found) if found else None


async def mark_told_moderators(appeal_ids: list[int], statement_ids: list[int], now: datetime) -> None:
    if appeal_ids:
        await Appeal.filter(id__in=appeal_ids).update(notified_at=now)
    if statement_ids:
        await AppealStatement.filter(id__in=statement_ids).update(notified_at=now)


async def appeal_by_id(appeal_id: int) -> Appeal | None:
    return await Appeal.get_or_none(id=appeal_id).select_related("buyer")


async def open_appeals() -> list[Appeal]:
    return await Appeal.filter(state=AppealState.open).select_related("buyer").order_by("created_at", "id")


async def close_appeal(appeal_id: int, state: AppealState, by: str, note: str, now: datetime) -> bool:
    changed = await Appeal.filter(id=appeal_id, state=AppealState.open).update(
        state=state, decided_by=by, decision_note=note, decided_at=now, open_buyer=None
    )
    return changed == 1


async def add_appeal_evidence(
    appeal_id: int, shop_id: int, description: str, sha256: str, file_name: str | None, now: datetime
) -> bool:
    return await insert_evidence("appeal_evidence", appeal_id, shop_id, description, sha256, file_name, now)


async def appeal_evidence(appeal_id: int) -> list[AppealEvidence]:
    return await AppealEvidence.filter(appeal_id=appeal_id).select_related("shop").order_by("id")
