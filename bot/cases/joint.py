"""Joint complaints (DESIGN.md §2 item 6): when several shops were hit by the same buyer,
a joint case invites them, gathers their orders and evidence, renders one complaint
letter and reminds them to follow up until the platform has answered.

A case opens by itself when `threshold` such shops reported the buyer within the window;
two harmed shops need not wait for a third: one of them opens it by hand (/联合 发起) once
`by_hand_shops` have. Only verified shops whose report on the buyer carries an order
number open, are invited to and stay members of a case. A shop that has not joined sees the summary; only joined members see the
other shops' names (as they joined), orders, amounts and evidence. 已解决 and 被驳回 need
a second member's confirmation; status news is batched to one message per case per hour.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from bot import TEMPLATES
from bot.cases.evidence import (
    PICTURES_PER_CASE,
    PICTURES_PER_MESSAGE,
    PICTURES_PER_SHOP_PER_DAY,
    _folder_bytes,
    evidence_items,
    store_picture,
)
from bot.clock import Clock, utc_now
from bot.errors import BadInput, Conflict, Limited, NotAllowed, NotFound
from bot.identity.accounts import qq_number
from bot.identity.buyers import mask_buyer_id
from bot.identity.platforms import Platform
from bot.identity.text import excerpt
from bot.messaging.render import SHANGHAI, local_time, render
from bot.scoring.categories import Category
from bot.scoring.verdict import Level, Verdict
from bot.states import SETTABLE_JOINT_STATUSES, Channel, DecisionKind, JointStatus, MemberState, OutboxKind, ReportState
from bot.storage._sql import lock_buyer, transaction
from bot.storage.group_rules import find_buyer
from bot.storage.joint import (
    add_case_news,
    add_joint_evidence,
    bump_joint_status,
    cases_with_news_due,
    create_joint_case,
    drop_text_evidence,
    due_joint_reminders,
    invite_to_joint_case,
    joint_case_by_id,
    joint_case_for_buyer,
    joint_evidence,
    joint_member,
    joint_members,
    memberships,
    pictures_by_shop_since,
    pictures_in_case,
    reopen_joint_case,
    set_joint_remind,
    set_member,
    shop_counts_against,
    take_case_news,
    update_joint_case,
)
from bot.storage.models.cases import JointCase, JointEvidence, JointMember
from bot.storage.models.reports import Report
from bot.storage.models.shops import Shop
from bot.storage.outbox import enqueue
from bot.storage.reports import buyer_by_id, recent_reporting_shops, reports_of_shops_on_buyer
from bot.storage.shops import shop_by_id

# Members who are part of the case: not those who left, declined or dropped out.
_PRESENT = (MemberState.invited, MemberState.joined)


# A proposed 已解决 or 被驳回 lapses unless a second joined shop confirms it in this time.
CONFIRM_WITHIN = timedelta(days=3)


# Status news reaches the members at most once per case in this time.
NEWS_EVERY = timedelta(hours=1)


@dataclass
class Participant:
    shop_name: str  # the name the shop joined with
    orders: list[Report]


@dataclass
class Proposal:
    """已解决 or 被驳回, proposed by a member, waiting for a second one to confirm."""

    status: JointStatus
    by: str
    at: datetime
    until: datetime


@dataclass
class CaseSummary:
    """What a shop that has not joined sees: no other shop, no order, no evidence."""

    case: JointCase
    platform: Platform
    buyer_masked: str
    joined: int
    invited: int
    state: MemberState
    may_join: bool


@dataclass
class CaseView:
    """What a joined member sees."""

    case: JointCase
    platform: Platform
    buyer_id: str
    participants: list[Participant]
    invited: int
    evidence: list[tuple[str, JointEvidence]]  # (shop's name in the case, evidence)
    categories: list[tuple[Category, int]]
    proposal: Proposal | None
    joined_now: bool = False

    @property
    def orders(self) -> list[Report]:
        return sorted((r for p in self.participants for r in p.orders), key=lambda r: r.created_at)


@dataclass
class StatusChange:
    case: JointCase
    status: JointStatus
    effective: bool  # False: proposed, waiting for a second shop
    joined: int


@dataclass
class LetterFacts:
    """What a platform or the police act on."""

    shops: int
    orders: int
    total_fen: int
    first: date | None
    last: date | None
    extortions_in_two_years: int
    all_order_days: bool  # every date is the order's own (else some are report dates)


_PDD_ORDER_RE = re.compile(r"^(\d{2})(\d{2})(\d{2})-\d{6,}$")


def order_day(report: Report) -> tuple[date, bool]:
    """The day of the order, and whether it is the order's own: 拼多多 order numbers begin
    with the order date (yymmdd-…); other platforms' do not, and the report's day stands
    in, said as such in the letter."""
    match = _PDD_ORDER_RE.match(report.order_no or "")
    if match:
        try:
            return date(2000 + int(match.group(1)), int(match.group(2)), int(match.group(3))), True
        except ValueError:
            pass
    return report.created_at.astimezone(SHANGHAI).date(), False


def _joined_name(member: JointMember) -> str:
    return member.joined_name or member.shop.name


class JointCases:
    def __init__(
        self,
        data_dir: Path,
        clock: Clock = utc_now,
        threshold: int = 3,
        window_days: int = 90,
        reminder_days: int = 3,
        evidence_folder_max_mb: int = 2048,
        by_hand_shops: int = 2,
    ):
        self.data_dir = data_dir
        self.evidence_folder_max_bytes = evidence_folder_max_mb * 1024 * 1024
        self.clock = clock
        self.threshold = threshold
        # A shop that counts may open a case by hand once this many shops that count
        # reported the buyer within the window (the opener included).
        self.by_hand_shops = by_hand_shops
        self.window = timedelta(days=window_days)
        self.reminder = timedelta(days=reminder_days)

    # -- inside the report transaction (the buyer is locked) ---------------------------

    async def on_decided(
        self, report: Report, level_before: Level, verdict: Verdict, decision_id: int, kind: DecisionKind
    ) -> None:
        """Only verified shops with an active report carrying an order number count
        toward the threshold, are invited and stay members (DESIGN.md §7). A report that
        stops counting ends its shop's membership; a closed case opens again, under its
        number, when the threshold holds again."""
        now = self.clock()
        case = await joint_case_for_buyer(report.buyer_id)
        if case is None and report.state != ReportState.active:
            return  # a report that stopped counting cannot open a case
        counts = await shop_counts_against(report.buyer_id, report.shop_id)
        if case is not None and not counts:
            await self._drop(case, report.shop_id, now)
            return
        if not counts:
            return
        shops = await recent_reporting_shops(report.buyer_id, now - self.window)
        again: tuple[MemberState, ...] = (MemberState.dropped,)
        if case is None:
            if len(shops) < self.threshold:
                return
            await create_joint_case(report.buyer_id, now)
        elif case.status == JointStatus.closed:
            if len(shops) < self.threshold:
                return
            await reopen_joint_case(case.id, now)
            again = (MemberState.dropped, MemberState.left, MemberState.declined)
        elif case.status.final:
            return  # the platform has answered: a new case is not opened over it
        case = await joint_case_for_buyer(report.buyer_id)
        assert case is not None
        # The reporting shop itself, even when its report is older than the window (a
        # report restored by /解封 or an upheld appeal).
        for shop_id in sorted({*shops, report.shop_id}):
            if await invite_to_joint_case(case.id, shop_id, now, again):
                await self._invite(case, shop_id, now)

    async def _invite(self, case: JointCase, shop_id: int, now: datetime) -> None:
        shop = await shop_by_id(shop_id)
        user = qq_number(shop.owner)
        if user is None:
            return  # an imported list or a console user: nobody to message
        buyer = await buyer_by_id(case.buyer_id)
        text = render(
            "joint/invite.j2", case=case, platform=Platform(buyer.platform), buyer=mask_buyer_id(buyer.buyer_key)
        )
        key = f"joint-invite:{case.id}:{shop_id}:{now:%Y%m%d%H%M%S%f}"
        await enqueue(OutboxKind.joint, Channel.private, user, key, text, now)

    async def _drop(self, case: JointCase, shop_id: int, now: datetime) -> None:
        member = await joint_member(case.id, shop_id)
        if member is None or member.state not in _PRESENT:
            return
        await set_member(case.id, shop_id, state=MemberState.dropped)
        if member.state == MemberState.joined:
            shop = await shop_by_id(shop_id)
            member.shop = shop
            await self._news(case, render("joint/news_dropped.j2", name=_joined_name(member)), now)
        await self._close_if_empty(case, now)

    async def _close_if_empty(self, case: JointCase, now: datetime) -> bool:
        """A case closes when no joined shop is left and no invitation is pending: one
        invitee's "no" never shuts the others out."""
        members = await joint_members(case.id)
        if any(m.state in _PRESENT for m in members) or case.status.final:
            return False
        await update_joint_case(
            case.id,
            status=JointStatus.closed,
            remind_at=None,
            proposed_status=None,
            proposed_by=None,
            proposed_at=None,
            unsent_changes=[],
        )
        case.status = JointStatus.closed
        return True

    # -- status news, batched ------------------------------------------------------------

    async def _news(self, case: JointCase, line: str, now: datetime) -> None:
        stamped = f"{local_time(now, '%m-%d %H:%M')} {line}"
        await add_case_news(case.id, stamped)
        await self._send_news(case, now)

    async def _send_news(self, case: JointCase, now: datetime) -> bool:
        """At most one message per case per hour to its joined members, listing every
        change since the last one."""
        lines = await take_case_news(case.id, now - NEWS_EVERY, now)
        if not lines:
            return False
        fresh = await joint_case_by_id(case.id)
        assert fresh is not None
        text = render(
            "joint/news.j2", case=fresh, buyer=mask_buyer_id(fresh.buyer.buyer_key), lines=lines, every=NEWS_EVERY
        )
        await self._tell_joined(case, f"joint-news:{case.id}:{now:%Y%m%d%H%M%S%f}", text, now)
        return True

    async def _tell_joined(self, case: JointCase, event_key: str, text: str, now: datetime) -> None:
        for member in await joint_members(case.id):
            user = qq_number(member.shop.owner)
            if member.state == MemberState.joined and user is not None:
                await enqueue(OutboxKind.joint, Channel.private, user, event_key, text, now)

    # -- commands ------------------------------------------------------------------------

    async def cases_for(self, shop: Shop) -> list[JointMember]:
        return await memberships(shop.id)

    async def _member(self, shop: Shop, case_id: int) -> tuple[JointCase, JointMember]:
        case = await joint_case_by_id(case_id)
        member = await joint_member(case_id, shop.id) if case else None
        if case is None or member is None:
            # The same answer whether the case exists or not: its existence is private.
            raise NotFound("joint.not_allowed", case_id=case_id)
        return case, member

    async def open(self, shop: Shop, case_id: int) -> CaseView | CaseSummary:
        """The full case for a joined member, the summary for anyone else invited."""
        case, member = await self._member(shop, case_id)
        if member.state == MemberState.joined:
            return await self._view(case)
        return await self._summary(case, member)

    async def _summary(self, case: JointCase, member: JointMember) -> CaseSummary:
        members = await joint_members(case.id)
        may_join = not case.status.final and await shop_counts_against(case.buyer_id, member.shop_id)
        return CaseSummary(
            case=case,
            platform=Platform(case.buyer.platform),
            buyer_masked=mask_buyer_id(case.buyer.buyer_key),
            joined=sum(m.state == MemberState.joined for m in members),
            invited=sum(m.state == MemberState.invited for m in members),
            state=member.state,
            may_join=may_join,
        )

    async def _view(self, case: JointCase, joined_now: bool = False) -> CaseView:
        members = await joint_members(case.id)
        joined = [m for m in members if m.state == MemberState.joined]
        names = {m.shop_id: _joined_name(m) for m in members}
        reports = await reports_of_shops_on_buyer(case.buyer_id, [m.shop_id for m in joined])
        by_shop: dict[int, list[Report]] = {}
        categories: dict[Category, int] = {}
        for report in reports:
            by_shop.setdefault(report.shop_id, []).append(report)
            categories[Category(report.category)] = categories.get(Category(report.category), 0) + 1
        evidence = [
            (names.get(e.shop_id, e.shop.name), e)
            for e in await joint_evidence(case.id)
            if e.shop_id in by_shop  # a shop that is out of the case takes its evidence with it
        ]
        return CaseView(
            case=case,
            platform=Platform(case.buyer.platform),
            buyer_id=case.buyer.buyer_key,
            participants=[Participant(names[m.shop_id], by_shop.get(m.shop_id, [])) for m in joined],
            invited=sum(m.state == MemberState.invited for m in members),
            evidence=evidence,
            categories=sorted(categories.items(), key=lambda x: -x[1]),
            proposal=await self._proposal(case, names),
            joined_now=joined_now,
        )

    async def _proposal(self, case: JointCase, names: dict[int, str]) -> Proposal | None:
        if case.proposed_status is None or case.proposed_at is None or case.proposed_by is None:
            return None
        until = case.proposed_at + CONFIRM_WITHIN
        if until <= self.clock():
            return None  # lapsed unconfirmed
        by = names.get(case.proposed_by) or (await shop_by_id(case.proposed_by)).name
        return Proposal(JointStatus(case.proposed_status), by, case.proposed_at, until)

    async def open_by_hand(self, shop: Shop, platform: Platform, buyer_key: str) -> CaseView:
        """`/联合 发起 <买家>`: the shop opens the buyer's joint case without waiting for
        the automatic threshold, when its own report counts and `by_hand_shops` shops that
        count reported the buyer within the window. The other shops are invited as when
        a case opens by itself; the opener has joined. A case already open is joined; a
        closed one opens again under its number; one the platform answered stays ended."""
        buyer = await find_buyer(platform.value, buyer_key)
        if buyer is None:
            raise NotAllowed("joint.cannot_open", platform=platform, buyer_id=buyer_key)
        async with transaction():
            await lock_buyer(buyer.id)
            if not await shop_counts_against(buyer.id, shop.id):
                raise NotAllowed("joint.cannot_open", platform=platform, buyer_id=buyer_key)
            now = self.clock()
            shops = sorted({*await recent_reporting_shops(buyer.id, now - self.window), shop.id})
            case = await joint_case_for_buyer(buyer.id)
            again: tuple[MemberState, ...] = (MemberState.dropped,)
            if case is not None and case.status in (JointStatus.resolved, JointStatus.rejected):
                raise Conflict("joint.case_ended", case_id=case.id, status=case.status)
            if case is None or case.status == JointStatus.closed:
                if len(shops) < self.by_hand_shops:
                    raise Conflict(
                        "joint.too_few_shops",
                        platform=platform,
                        buyer_id=buyer_key,
                        shops=len(shops),
                        needed=self.by_hand_shops,
                    )
                if case is None:
                    await create_joint_case(buyer.id, now)
                else:
                    await reopen_joint_case(case.id, now)
                    again = (MemberState.dropped, MemberState.left, MemberState.declined)
                case = await joint_case_for_buyer(buyer.id)
                assert case is not None
            for shop_id in shops:
                if await invite_to_joint_case(case.id, shop_id, now, again) and shop_id != shop.id:
                    await self._invite(case, shop_id, now)
            member = await joint_member(case.id, shop.id)
            if member is not None and member.state != MemberState.joined:
                name = member.joined_name or shop.name
                await set_member(case.id, shop.id, state=MemberState.joined, joined_at=now, joined_name=name)
                await self._news(case, render("joint/news_joined.j2", name=name), now)
            opened = await joint_case_by_id(case.id)
            assert opened is not None
            return await self._view(opened, joined_now=True)

    async def join(self, shop: Shop, case_id: int) -> CaseView:
        """Join (or come back): only while the case is open and the shop's report counts."""
        async with transaction():
            case, member = await self._member(shop, case_id)
            await lock_buyer(case.buyer_id)
            if member.state == MemberState.joined:
                return await self._view(case)
            if case.status.final:
                raise Conflict("joint.case_ended", case_id=case_id, status=case.status)
            if not await shop_counts_against(case.buyer_id, shop.id):
                raise NotAllowed("joint.cannot_join", case_id=case_id)
            now = self.clock()
            name = member.joined_name or shop.name  # a shop that renames keeps its name in the case
            await set_member(case_id, shop.id, state=MemberState.joined, joined_at=now, joined_name=name)
            await self._news(case, render("joint/news_joined.j2", name=name), now)
            return await self._view(case, joined_now=True)

    async def view(self, shop: Shop, case_id: int) -> CaseView:
        """The full case, for a joined member only."""
        case, member = await self._member(shop, case_id)
        if member.state != MemberState.joined:
            raise NotAllowed("joint.join_first", case_id=case_id)
        return await self._view(case)

    async def joined_case(self, shop: Shop, case_id: int) -> JointCase:
        """The case, if this shop has joined it; Refused otherwise."""
        case, member = await self._member(shop, case_id)
        if member.state != MemberState.joined:
            raise NotAllowed("joint.join_first", case_id=case_id)
        return case

    async def set_status(self, shop: Shop, case_id: int, word: str) -> StatusChange:
        """已提交 and 平台处理中 take effect at once; 已解决 and 被驳回 end the case, so
        they take effect when a second joined shop confirms them within 3 days."""
        status = next((s for s in SETTABLE_JOINT_STATUSES if s.value == word), None)
        if status is None:
            raise BadInput("joint.bad_status", word=excerpt(word, 20), statuses=SETTABLE_JOINT_STATUSES)
        async with transaction():
            case = await self.joined_case(shop, case_id)
            await lock_buyer(case.buyer_id)
            case = await self.joined_case(shop, case_id)  # as it stands under the lock
            if case.status.final:
                raise Conflict("joint.case_ended", case_id=case_id, status=case.status)
            if case.status == status:
                raise Conflict("joint.same_status", case_id=case_id, status=status)
            now = self.clock()
            members = await joint_members(case.id)
            names = {m.shop_id: _joined_name(m) for m in members}
            joined = sum(m.state == MemberState.joined for m in members)
            name = names.get(shop.id, shop.name)
            if status.final:
                proposal = await self._proposal(case, names)
                if proposal is not None and proposal.status == status and case.proposed_by == shop.id:
                    raise Conflict("joint.awaiting_confirmation", case_id=case_id, status=status, until=proposal.until)
                if proposal is None or proposal.status != status:
                    await update_joint_case(case.id, proposed_status=status, proposed_by=shop.id, proposed_at=now)
                    line = render("joint/news_proposed.j2", name=name, status=status, case_id=case.id)
                    await self._news(case, line, now)
                    return StatusChange(case, status, effective=False, joined=joined)
                line = render("joint/news_confirmed.j2", name=name, status=status, proposer=proposal.by)
            else:
                line = render("joint/news_status.j2", name=name, status=status)
            await bump_joint_status(case.id, status, now, now + self.reminder if status.waiting else None)
            await self._news(case, line, now)
            changed = await joint_case_by_id(case_id)
            assert changed is not None
            return StatusChange(changed, status, effective=True, joined=joined)

    async def leave(self, shop: Shop, case_id: int) -> JointCase:
        """A member leaves; an invitee who never joined declines."""
        async with transaction():
            case, member = await self._member(shop, case_id)
            await lock_buyer(case.buyer_id)
            if member.state not in _PRESENT:
                raise Conflict("joint.not_in_case", case_id=case_id)
            now = self.clock()
            if member.state == MemberState.joined:
                await set_member(case_id, shop.id, state=MemberState.left)
                member.shop = shop
                await self._news(case, render("joint/news_left.j2", name=_joined_name(member)), now)
            else:
                await set_member(case_id, shop.id, state=MemberState.declined)
            await self._close_if_empty(case, now)
            return case

    async def buyer_of(self, shop: Shop, case_id: int) -> str:
        """The buyer id of a case the shop joined (its screenshots are compared with it)."""
        case = await self.joined_case(shop, case_id)
        return (await buyer_by_id(case.buyer_id)).buyer_key

    async def admit_evidence(self, shop: Shop, case_id: int, pictures: int) -> JointCase:
        """The quotas, checked before any picture is downloaded."""
        case = await self.joined_case(shop, case_id)
        if not pictures:
            return case
        if pictures > PICTURES_PER_MESSAGE:
            raise Limited("joint.evidence_per_message", limit=PICTURES_PER_MESSAGE, count=pictures)
        if await pictures_in_case(case.id) + pictures > PICTURES_PER_CASE:
            raise Limited("joint.evidence_per_case", limit=PICTURES_PER_CASE, case_id=case_id)
        day_ago = self.clock() - timedelta(days=1)
        if await pictures_by_shop_since(shop.id, day_ago) + pictures > PICTURES_PER_SHOP_PER_DAY:
            raise Limited("joint.evidence_per_day", limit=PICTURES_PER_SHOP_PER_DAY)
        if await asyncio.to_thread(_folder_bytes, self.data_dir / "evidence") >= self.evidence_folder_max_bytes:
            raise Limited("joint.evidence_folder_full")
        return case

    async def add_evidence(
        self, shop: Shop, case_id: int, description: str, pictures: list[bytes], caption: bool = False
    ) -> tuple[int, int]:
        """Returns (stored, already there). Pictures are checked by their bytes, not
        their name, and kept once under their SHA-256. caption: the description was sent
        first, on its own, for these pictures (phones send a picture as a message of its
        own): it is their caption, no longer a chat-record text of its own."""
        case = await self.admit_evidence(shop, case_id, len(pictures))
        folder_bytes = await asyncio.to_thread(_folder_bytes, self.data_dir / "evidence")
        if folder_bytes + sum(len(p) for p in pictures) > self.evidence_folder_max_bytes:
            raise Limited("joint.evidence_folder_full")
        now = self.clock()
        stored = duplicates = 0
        items = evidence_items(description, pictures)
        folder = self.data_dir / "evidence"
        folder.mkdir(parents=True, exist_ok=True)
        for digest, file_name, content in items:
            if content is not None and file_name is not None:
                await store_picture(folder / file_name, content)
            if await add_joint_evidence(case.id, shop.id, description, digest, file_name, now):
                stored += 1
            else:
                duplicates += 1
        if caption and pictures:
            text_digest = hashlib.sha256(description.encode()).hexdigest()
            await drop_text_evidence(case.id, shop.id, text_digest)
        return stored, duplicates

    async def letter(self, shop: Shop, case_id: int, police: bool = False) -> tuple[str, Path]:
        """The joint complaint to the platform, or (police) the material for a report to
        the police: both cite the number of shops and orders, the total amount and the
        dates; the police version says when extortion is a crime whatever the amount."""
        view = await self.view(shop, case_id)
        now = self.clock()
        orders = view.orders
        days = {r.id: order_day(r) for r in orders}
        two_years_ago = (now - timedelta(days=730)).astimezone(SHANGHAI).date()
        known = sorted(day for day, _ in days.values())
        facts = LetterFacts(
            shops=len(view.participants),
            orders=sum(1 for r in orders if r.order_no),
            total_fen=sum(r.amount_fen or 0 for r in orders),
            first=known[0] if known else None,
            last=known[-1] if known else None,
            extortions_in_two_years=sum(
                1 for r in orders if r.category == Category.extortion and days[r.id][0] >= two_years_ago
            ),
            all_order_days=all(own for _, own in days.values()),
        )
        if police:
            template = "joint/letter_police.j2"
        else:
            template = f"joint/letter_{view.platform.value}.j2"
            if not (TEMPLATES / template).exists():
                template = "joint/letter_default.j2"
        labels = {c.value: c.label for c in Category}
        timeline = sorted(orders, key=lambda r: days[r.id][0])
        text = render(template, view=view, facts=facts, now=now, labels=labels, days=days, timeline=timeline)
        name = f"报案材料-{case_id}.txt" if police else f"联合投诉书-{case_id}.txt"
        path = self.data_dir / "joint" / name
        await asyncio.to_thread(_write_text, path, text)
        return text, path

    async def queue_reminders(self) -> int:
        """Remind the joined members of cases waiting on the platform, and send the
        status news that waited out its hour."""
        now = self.clock()
        sent = 0
        for case in await due_joint_reminders(now):
            days = max(1, (now - case.status_at).days) if case.status_at else self.reminder.days
            text = render("joint/reminder.j2", case=case, buyer=mask_buyer_id(case.buyer.buyer_key), days=days)
            await self._tell_joined(case, f"joint-remind:{case.id}:{now:%Y-%m-%d}", text, now)
            await set_joint_remind(case.id, now + self.reminder)
            sent += 1
        for case in await cases_with_news_due(now - NEWS_EVERY):
            async with transaction():
                await lock_buyer(case.buyer_id)
                sent += await self._send_news(case, now)
        return sent


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.part")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)
