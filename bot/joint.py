"""Joint complaints (DESIGN.md §2 item 6): when several shops were hit by the same buyer,
a joint case invites them, gathers their orders and evidence, renders one complaint
letter and reminds them to follow up until the platform has answered.

Only shops that reported the buyer are members; the case view shows other shops' names,
order numbers and amounts, nothing else.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from bot import queries
from bot.accounts import qq_number
from bot.categories import Category
from bot.clock import Clock, utc_now
from bot.errors import BadInput, Conflict, Limited, NotAllowed, NotFound
from bot.identity import Platform
from bot.models import Buyer, JointCase, JointEvidence, JointMember, Report, Shop
from bot.render import TEMPLATES, render
from bot.states import (
    SETTABLE_JOINT_STATUSES,
    Channel,
    DecisionKind,
    JointStatus,
    MemberState,
    OutboxKind,
    ReportState,
)
from bot.verdict import Level, Verdict

PICTURE_MAX_BYTES = 10 * 1024 * 1024
# Evidence quotas: one message, one case, one shop in a day, and the whole evidence
# folder (thirty 9 MB pictures in one message were all stored before).
PICTURES_PER_MESSAGE = 9
PICTURES_PER_CASE = 60
PICTURES_PER_SHOP_PER_DAY = 30
_PICTURE_TYPES = {b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpg", b"GIF87a": "gif", b"GIF89a": "gif"}


def _folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.glob("*")) if folder.is_dir() else 0


async def store_picture(path: Path, content: bytes) -> None:
    """Write once under its hash, through a temporary name (never a half-written picture
    under the name of a whole one), in a thread (never the event loop on the disk)."""

    def write() -> None:
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.part")
        temporary.write_bytes(content)
        temporary.replace(path)

    await asyncio.to_thread(write)


def picture_type(data: bytes) -> str | None:
    for magic, ext in _PICTURE_TYPES.items():
        if data.startswith(magic):
            return ext
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


@dataclass
class Participant:
    shop_name: str
    state: MemberState
    orders: list[Report]


@dataclass
class CaseView:
    case: JointCase
    platform: Platform
    buyer_id: str
    participants: list[Participant]
    evidence: list[JointEvidence]
    categories: list[tuple[Category, int]]
    joined_now: bool = False


# Members who are part of the case: not those who left or declined.
_PRESENT = (MemberState.invited, MemberState.joined)


class JointCases:
    def __init__(
        self,
        data_dir: Path,
        clock: Clock = utc_now,
        threshold: int = 3,
        window_days: int = 90,
        reminder_days: int = 3,
        evidence_folder_max_mb: int = 2048,
    ):
        self.data_dir = data_dir
        self.evidence_folder_max_bytes = evidence_folder_max_mb * 1024 * 1024
        self.clock = clock
        self.threshold = threshold
        self.window = timedelta(days=window_days)
        self.reminder = timedelta(days=reminder_days)

    # -- inside the report transaction -------------------------------------------------

    async def on_decided(
        self, report: Report, level_before: Level, verdict: Verdict, decision_id: int, kind: DecisionKind
    ) -> None:
        if report.state != ReportState.active:
            return
        now = self.clock()
        # The shops that count (verified, with an order number) open and join cases.
        shops = await queries.recent_reporting_shops(report.buyer_id, now - self.window)
        case = await queries.joint_case_for_buyer(report.buyer_id)
        if case is None:
            if len(shops) < self.threshold:
                return
            await queries.create_joint_case(report.buyer_id, now)
            case = await queries.joint_case_for_buyer(report.buyer_id)
        if case is None or case.status.final:
            return
        buyer = await queries.buyer(report.buyer_id)
        for shop_id in shops:
            if await queries.add_joint_member(case.id, shop_id, now):
                await self._invite(case, shop_id, buyer, len(shops), now)

    async def _invite(self, case: JointCase, shop_id: int, buyer: Buyer, shops: int, now: datetime) -> None:
        shop = await queries.shop(shop_id)
        user = qq_number(shop.owner)
        if user is None:
            return  # an imported list or a console user: nobody to message
        text = render(
            "joint/invite.j2", case=case, platform=Platform(buyer.platform), buyer_id=buyer.buyer_key, shops=shops
        )
        await queries.enqueue(OutboxKind.joint, Channel.private, user, f"joint-invite:{case.id}:{shop_id}", text, now)

    # -- commands ------------------------------------------------------------------------

    async def cases_for(self, shop: Shop) -> list[JointMember]:
        return await queries.memberships(shop.id)

    async def _member(self, shop: Shop, case_id: int) -> tuple[JointCase, JointMember]:
        case = await queries.joint_case(case_id)
        member = await queries.joint_member(case_id, shop.id) if case else None
        if case is None or member is None:
            # The same answer whether the case exists or not: its existence is private.
            raise NotFound("joint.not_allowed", case_id=case_id)
        return case, member

    async def view(self, shop: Shop, case_id: int, join: bool = True) -> CaseView:
        case, member = await self._member(shop, case_id)
        joined_now = False
        if join and member.state != MemberState.joined and not case.status.final:
            member.state, member.joined_at = MemberState.joined, self.clock()
            await queries.save(member)
            joined_now = True
        members = [m for m in await queries.joint_members(case.id) if m.state in _PRESENT]
        reports = await queries.reports_of_shops_on_buyer(case.buyer_id, [m.shop_id for m in members])
        by_shop: dict[int, list[Report]] = {}
        for report in reports:
            by_shop.setdefault(report.shop_id, []).append(report)
        categories: dict[Category, int] = {}
        for report in reports:
            categories[Category(report.category)] = categories.get(Category(report.category), 0) + 1
        return CaseView(
            case=case,
            platform=Platform(case.buyer.platform),
            buyer_id=case.buyer.buyer_key,
            participants=[Participant(m.shop.name, m.state, by_shop.get(m.shop_id, [])) for m in members],
            evidence=await queries.joint_evidence(case.id),
            categories=sorted(categories.items(), key=lambda x: -x[1]),
            joined_now=joined_now,
        )

    async def joined_case(self, shop: Shop, case_id: int) -> JointCase:
        """The case, if this shop has joined it; Refused otherwise."""
        case, member = await self._member(shop, case_id)
        if member.state != MemberState.joined:
            raise NotAllowed("joint.join_first", case_id=case_id)
        return case

    async def set_status(self, shop: Shop, case_id: int, word: str) -> JointCase:
        case = await self.joined_case(shop, case_id)
        status = next((s for s in SETTABLE_JOINT_STATUSES if s.value == word), None)
        if status is None:
            raise BadInput("joint.bad_status", word=word[:10], statuses=SETTABLE_JOINT_STATUSES)
        if case.status == status:
            raise Conflict("joint.same_status", case_id=case_id, status=status)
        now = self.clock()
        remind_at = now + self.reminder if status.waiting else None
        change = await queries.bump_joint_status(case, status, now, remind_at)
        changed = await queries.joint_case(case_id)
        assert changed is not None
        case = changed
        text = render("joint/status_changed.j2", case=case, shop=shop, buyer_id=case.buyer.buyer_key)
        await self._tell_members(case, f"joint-status:{case.id}:{change}", text, now)
        return case

    async def _tell_members(self, case: JointCase, event_key: str, text: str, now: datetime) -> None:
        for member in await queries.joint_members(case.id):
            user = qq_number(member.shop.owner)
            if member.state in _PRESENT and user is not None:
                await queries.enqueue(OutboxKind.joint, Channel.private, user, event_key, text, now)

    async def leave(self, shop: Shop, case_id: int) -> JointCase:
        """A member leaves; an invitee who never joined declines. The case closes only
        when every shop that joined has left and no invitation is still open: an
        invitee's "no" must not shut the others out."""
        case, member = await self._member(shop, case_id)
        member.state = MemberState.left if member.state == MemberState.joined else MemberState.declined
        await queries.save(member)
        members = await queries.joint_members(case.id)
        if any(m.state == MemberState.joined for m in members):
            return case
        if any(m.state == MemberState.invited for m in members):
            return case
        if member.state == MemberState.left:
            case.status, case.remind_at = JointStatus.closed, None
            await queries.save(case)
        return case

    async def admit_evidence(self, shop: Shop, case_id: int, pictures: int) -> JointCase:
        """The quotas, checked before any picture is downloaded."""
        case = await self.joined_case(shop, case_id)
        if not pictures:
            return case
        if pictures > PICTURES_PER_MESSAGE:
            raise Limited("joint.evidence_per_message", limit=PICTURES_PER_MESSAGE, count=pictures)
        if await queries.pictures_in_case(case.id) + pictures > PICTURES_PER_CASE:
            raise Limited("joint.evidence_per_case", limit=PICTURES_PER_CASE, case_id=case_id)
        day_ago = self.clock() - timedelta(days=1)
        if await queries.pictures_by_shop_since(shop.id, day_ago) + pictures > PICTURES_PER_SHOP_PER_DAY:
            raise Limited("joint.evidence_per_day", limit=PICTURES_PER_SHOP_PER_DAY)
        if await asyncio.to_thread(_folder_bytes, self.data_dir / "evidence") >= self.evidence_folder_max_bytes:
            raise Limited("joint.evidence_folder_full")
        return case

    async def add_evidence(self, shop: Shop, case_id: int, description: str, pictures: list[bytes]) -> tuple[int, int]:
        """Returns (stored, already there). Pictures are checked by their bytes, not
        their name, and kept once under their SHA-256."""
        case = await self.admit_evidence(shop, case_id, len(pictures))
        folder_bytes = await asyncio.to_thread(_folder_bytes, self.data_dir / "evidence")
        if folder_bytes + sum(len(p) for p in pictures) > self.evidence_folder_max_bytes:
            raise Limited("joint.evidence_folder_full")
        now = self.clock()
        stored = duplicates = 0
        items: list[tuple[str, str | None, bytes | None]] = []
        for data in pictures:
            if len(data) > PICTURE_MAX_BYTES:
                raise BadInput("joint.picture_too_large", limit_mb=PICTURE_MAX_BYTES // 1024 // 1024)
            ext = picture_type(data)
            if ext is None:
                raise BadInput("joint.picture_type")
            digest = hashlib.sha256(data).hexdigest()
            items.append((digest, f"{digest}.{ext}", data))
        if not pictures:
            items.append((hashlib.sha256(description.encode()).hexdigest(), None, None))
        folder = self.data_dir / "evidence"
        folder.mkdir(parents=True, exist_ok=True)
        for digest, file_name, content in items:
            if content is not None and file_name is not None:
                await store_picture(folder / file_name, content)
            if await queries.add_joint_evidence(case.id, shop.id, description, digest, file_name, now):
                stored += 1
            else:
                duplicates += 1
        return stored, duplicates

    async def letter(self, shop: Shop, case_id: int) -> tuple[str, Path]:
        await self.joined_case(shop, case_id)
        view = await self.view(shop, case_id, join=False)
        timeline = sorted((r for p in view.participants for r in p.orders), key=lambda r: r.created_at)
        template = f"joint/letter_{view.platform.value}.j2"
        if not (TEMPLATES / template).exists():
            template = "joint/letter_default.j2"
        labels = {c.value: c.label for c in Category}
        text = render(template, view=view, timeline=timeline, now=self.clock(), labels=labels)
        path = self.data_dir / "joint" / f"联合投诉书-{case_id}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return text, path

    async def queue_reminders(self) -> int:
        now = self.clock()
        sent = 0
        for case in await queries.due_joint_reminders(now):
            days = max(1, (now - case.status_at).days) if case.status_at else self.reminder.days
            text = render("joint/reminder.j2", case=case, buyer_id=case.buyer.buyer_key, days=days)
            await self._tell_members(case, f"joint-remind:{case.id}:{now:%Y-%m-%d}", text, now)
            await queries.set_joint_remind(case.id, now + self.reminder)
            sent += 1
        return sent


def compose(*hooks: queries.OnDecided) -> queries.OnDecided:
    """Several on_decided hooks, run in order inside the same transaction."""

    async def run(report: Report, level_before: Level, verdict: Verdict, decision_id: int, kind: DecisionKind) -> None:
        for hook in hooks:
            await hook(report, level_before, verdict, decision_id, kind)

    return run
