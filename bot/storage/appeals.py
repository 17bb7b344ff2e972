"""Appeals: one open per buyer, their decisions, and the evidence reporters add."""

from __future__ import annotations

from datetime import datetime

from tortoise.exceptions import IntegrityError

from bot.states import AppealState
from bot.storage._sql import execute
from bot.storage.models.appeals import Appeal, AppealEvidence


class AppealAlreadyOpen(Exception):
    """The buyer has an open appeal."""


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
