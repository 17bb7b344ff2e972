"""Joint cases: members, evidence, status."""

from __future__ import annotations

from datetime import datetime

from tortoise.expressions import F
from tortoise.models import Model

from bot.models import JointCase, JointEvidence, JointMember
from bot.queries._sql import execute, transaction
from bot.states import JointStatus, MemberState


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


async def add_joint_member(case_id: int, shop_id: int, now: datetime) -> bool:
    inserted = await execute(
        """INSERT INTO joint_member (case_id, shop_id, state, invited_at) VALUES (:case_id, :shop_id, :invited, :now)
        ON CONFLICT (case_id, shop_id) DO NOTHING""",
        case_id=case_id,
        shop_id=shop_id,
        invited=MemberState.invited,
        now=now,
    )
    return inserted == 1


async def joint_case(case_id: int) -> JointCase | None:
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


async def save(instance: Model) -> None:
    await instance.save()


async def bump_joint_status(case: JointCase, status: JointStatus, now: datetime, remind_at: datetime | None) -> int:
    """Set a new status; returns the change's sequence number (for its broadcast key)."""
    async with transaction():
        await JointCase.filter(id=case.id).update(
            status=status, status_at=now, remind_at=remind_at, status_changes=F("status_changes") + 1
        )
        return (await JointCase.get(id=case.id)).status_changes


async def add_joint_evidence(
    case_id: int, shop_id: int, description: str, sha256: str, file_name: str | None, now: datetime
) -> bool:
    inserted = await execute(
        """INSERT INTO joint_evidence (case_id, shop_id, description, sha256, file_name, created_at)
        VALUES (:case_id, :shop_id, :description, :sha256, :file_name, :now) ON CONFLICT (case_id, sha256) DO NOTHING""",
        case_id=case_id,
        shop_id=shop_id,
        description=description,
        sha256=sha256,
        file_name=file_name,
        now=now,
    )
    return inserted == 1


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


async def leave_all_cases(shop_id: int) -> int:
    """A banned shop leaves every case it joined or was invited to."""
    return await JointMember.filter(shop_id=shop_id, state__in=[MemberState.invited, MemberState.joined]).update(
        state=MemberState.left
    )
