"""Joint cases: members, evidence, status."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from tortoise.expressions import F

from bot.states import JointStatus, MemberState
from bot.storage._sql import COUNTS, SHOP, execute, insert_evidence, select
from bot.storage.models.cases import JointCase, JointEvidence, JointMember


async def joint_case_for_buyer(buyer_id: int) -> JointCase | None:
    return await JointCase.get_or_none(buyer_id=buyer_id)


async def create_joint_case(buyer_id: int, now: datetime) -> bool:
    """True for the one caller that opens the buyer's case. ON CONFLICT, not a caught
    IntegrityError: this runs inside the report's transaction, which PostgreSQL would
    abort on the error."""
    inserted = await execute(
        """INSERT INTO joint_case (buyer_id, status, status_changes, created_at, updated_at)
        VALUES (:buyer_id, :collecting, 0, :now, :now) ON CONFLICT (buyer_id) DO NOTHING""",
        buyer_id=buyer_id,
        collecting=JointStatus.collecting,
        now=now,
    )
    return inserted == 1


async def invite_to_joint_case(
    case_id: int, shop_id: int, now: datetime, again: Iterable[MemberState] = (MemberState.dropped,)
) -> bool:
    """Invite the shop; a member in one of the `again` states is invited anew. True when
    an invitation is to be sent."""
    inserted = await execute(
        """INSERT INTO joint_member (case_id, shop_id, state, invited_at) VALUES (:case_id, :shop_id, :invited, :now)
        ON CONFLICT (case_id, shop_id) DO NOTHING""",
        case_id=case_id,
        shop_id=shop_id,
        invited=MemberState.invited,
        now=now,
    )
    if inserted == 1:
        return True
    again = list(again)
    if not again:
        return False
    changed = await execute(
        """UPDATE joint_member SET state = :invited, invited_at = :now
        WHERE case_id = :case_id AND shop_id = :shop_id AND state IN (:again)""",
        case_id=case_id,
        shop_id=shop_id,
        invited=MemberState.invited,
        now=now,
        again=again,
    )
    return changed == 1


async def shop_counts_against(buyer_id: int, shop_id: int) -> bool:
    """The shop stands in the buyer's joint case: verified, not banned, with an active
    report on the buyer that carries an order number (DESIGN.md §7)."""
    rows = await select(
        f"""SELECT 1 FROM report r {SHOP} WHERE r.buyer_id = :buyer_id AND r.shop_id = :shop_id AND {COUNTS}
        LIMIT 1""",
        buyer_id=buyer_id,
        shop_id=shop_id,
    )
    return bool(rows)


async def set_member(case_id: int, shop_id: int, **fields: Any) -> None:
    await JointMember.filter(case_id=case_id, shop_id=shop_id).update(**fields)


async def update_joint_case(case_id: int, **fields: Any) -> None:
    await JointCase.filter(id=case_id).update(**fields)


async def reopen_joint_case(case_id: int, now: datetime) -> None:
    """A closed case opens again under its number, history kept."""
    await JointCase.filter(id=case_id, status=JointStatus.closed).update(
        status=JointStatus.collecting,
        status_at=now,
        remind_at=None,
        proposed_status=None,
        proposed_by=None,
        proposed_at=None,
        reopened=F("reopened") + 1,
    )


async def add_case_news(case_id: int, line: str) -> None:
    """Append a line to the case's unsent status news. The caller holds the buyer's
    lock (every change to a case does), so the read-modify-write loses nothing."""
    case = await JointCase.get(id=case_id)
    await JointCase.filter(id=case_id).update(unsent_changes=[*case.unsent_changes, line])


async def take_case_news(case_id: int, not_since: datetime, now: datetime) -> list[str]:
    """The unsent news, taken (cleared, notified_at = now) unless the members were told
    after not_since: at most one message per case in that time. Runs in the caller's
    transaction, which queues the message."""
    case = await JointCase.get(id=case_id)
    if not case.unsent_changes or (case.notified_at is not None and case.notified_at > not_since):
        return []
    changed = await JointCase.filter(id=case_id, notified_at=case.notified_at).update(
        unsent_changes=[], notified_at=now
    )
    return list(case.unsent_changes) if changed else []


async def cases_with_news_due(not_since: datetime) -> list[JointCase]:
    """Cases whose news waited out the hour."""
    rows = await select(
        """SELECT id FROM joint_case WHERE unsent_changes <> '[]' AND (notified_at IS NULL OR notified_at <= :not_since)
        ORDER BY id""",
        not_since=not_since,
    )
    return await JointCase.filter(id__in=[row[0] for row in rows]).select_related("buyer").order_by("id")


async def joint_case_by_id(case_id: int) -> JointCase | None:
    return await JointCase.get_or_none(id=case_id).select_related("buyer")


async def joint_member(case_id: int, shop_id: int) -> JointMember | None:
    return await JointMember.get_or_none(case_id=case_id, shop_id=shop_id)


async def joint_members(case_id: int) -> list[JointMember]:
    return await JointMember.filter(case_id=case_id).select_related("shop").order_by("id")


async def memberships(shop_id: int) -> list[JointMember]:
    return (
        await JointMember.filter(shop_id=shop_id, state__in=[MemberState.invited, MemberState.joined])
        .select_related("case__buyer")
        .order_by("-case_id")
    )


async def bump_joint_status(case_id: int, status: JointStatus, now: datetime, remind_at: datetime | None) -> None:
    """Set a new status; a pending proposal is settled by it."""
    await JointCase.filter(id=case_id).update(
        status=status,
        status_at=now,
        remind_at=remind_at,
        status_changes=F("status_changes") + 1,
        proposed_status=None,
        proposed_by=None,
        proposed_at=None,
    )


async def add_joint_evidence(
    case_id: int, shop_id: int, description: str, sha256: str, file_name: str | None, now: datetime
) -> bool:
    return await insert_evidence("joint_evidence", case_id, shop_id, description, sha256, file_name, now)


async def joint_evidence(case_id: int) -> list[JointEvidence]:
    return await JointEvidence.filter(case_id=case_id).select_related("shop").order_by("id")


async def due_joint_reminders(now: datetime) -> list[JointCase]:
    return await JointCase.filter(
        remind_at__lte=now, status__in=[JointStatus.submitted, JointStatus.in_review]
    ).select_related("buyer")


async def set_joint_remind(case_id: int, at: datetime | None) -> None:
    await JointCase.filter(id=case_id).update(remind_at=at)


async def pictures_in_case(case_id: int) -> int:
    return await JointEvidence.filter(case_id=case_id, file_name__not_isnull=True).count()


async def pictures_by_shop_since(shop_id: int, since: datetime) -> int:
    return await JointEvidence.filter(shop_id=shop_id, file_name__not_isnull=True, created_at__gte=since).count()


async def drop_text_evidence(case_id: int, shop_id: int, sha256: str) -> int:
    """A text filed as evidence that turned out to be the caption of pictures."""
    return await JointEvidence.filter(case_id=case_id, shop_id=shop_id, sha256=sha256, file_name__isnull=True).delete()
