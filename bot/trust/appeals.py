"""Appeals (DESIGN.md §7): anyone may dispute a buyer's listing, and no appeal silences
the alerts about the buyer for long.

A buyer has one open appeal; a second appellant's words join it. While it is open the
buyer is marked, and a new 高风险 alert waits for a bounded time (APPEAL_HOLD_HOURS, from
the appeal), then goes out marked 「申诉处理中」; a crossing into 极高风险 never waits. The
shops that reported the buyer are told and may add evidence; the 版主 hear of new appeals
in one notice an hour at most, and decide: 撤销 removes the reports (tombstones, and the
shops' further reports on the buyer wait for a 版主 before they count) or 维持 keeps them
(held alerts go out at once). After a decision nobody may appeal the buyer again for
APPEAL_REASK_DAYS, unless they bring new evidence a 版主 chooses to reopen the appeal for.
Each account may have a few appeals open and open a few a day; a shop whose reports keep
being removed loses its verification.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

from bot.blacklist.blacklist import Blacklist
from bot.cases.evidence import PICTURES_PER_MESSAGE, evidence_items, store_picture
from bot.clock import Clock, utc_now
from bot.commands.requests import AppealRequest
from bot.errors import BadInput, Conflict, Limited, NotFound
from bot.identity.accounts import qq_number
from bot.identity.platforms import Platform
from bot.messaging.render import render
from bot.scoring.verdict import Verdict
from bot.states import AppealState, Channel, DecisionKind, OutboxKind, ReportState, StatementKind, TrustAction
from bot.storage.alerts import held_alert_counts
from bot.storage.appeals import (
    AppealAlreadyOpen,
    add_appeal_evidence,
    add_statement,
    appeal_by_id,
    appeal_evidence,
    appeals_by_since,
    appeals_on_buyer_since,
    appellants_of,
    close_appeal,
    last_decided_appeal,
    last_moderator_notice,
    mark_told_moderators,
    open_appeal,
    open_appeal_of_buyer,
    open_appeals,
    open_appeals_of,
    reopen_appeal,
    statements_of,
    to_tell_moderators,
)
from bot.storage.models.appeals import Appeal, AppealEvidence, AppealStatement
from bot.storage.models.reports import Report
from bot.storage.outbox import enqueue, notify
from bot.storage.reports import (
    active_reports_on,
    buyer_for,
    held_reports,
    hold_reviews,
    platforms_listing,
    release_held_report,
    report_by_id,
    reports_of_buyer,
    set_report_states,
)
from bot.storage.trust import decide, log_decision, log_trust
from bot.trust.moderation import Actor, Moderation

# Alerts.release_held: when a decision keeps the buyer listed, the alerts its appeal held
# go out at once (a callback, so that appeals need not know how alerts are sent).
ReleaseHeld = Callable[[int, Verdict, str], Awaitable[int]]


@dataclass
class AppealView:
    appeal: Appeal
    platform: Platform
    buyer_id: str
    reports: list[Report]
    evidence: list[AppealEvidence]
    statements: list[AppealStatement] = field(default_factory=list)
    held_alerts: int = 0  # group messages its hold keeps waiting


@dataclass(frozen=True)
class Opening:
    """What an appellant's /申诉 came to."""

    appeal: Appeal
    platform: Platform  # the buyer's (found on every platform when none was named)
    buyer_id: str
    joined: bool = False  # their words joined the buyer's open appeal
    reopen_asked: bool = False  # after a decision, new evidence for a 版主 to consider


class Appeals:
    def __init__(
        self,
        blacklist: Blacklist,
        moderation: Moderation,
        data_dir: Path,
        release_held: ReleaseHeld,
        clock: Clock = utc_now,
        reask_days: int = 30,
        evidence_days: int = 7,
        hold_hours: float = 48,
        open_per_account: int = 3,
        per_account_per_day: int = 5,
        per_buyer_per_day: int = 10,
        notice_minutes: int = 60,
    ):
        self.blacklist = blacklist
        self.moderation = moderation
        self.folder = data_dir / "evidence"
        self.clock = clock
        self.reask = timedelta(days=reask_days)
        self.evidence_window = timedelta(days=evidence_days)
        self.hold = timedelta(hours=hold_hours)
        self.open_per_account = open_per_account
        self.per_account_per_day = per_account_per_day
        self.per_buyer_per_day = per_buyer_per_day
        self.notice_every = timedelta(minutes=notice_minutes)
        self.release_held = release_held

    # -- the appellant ---------------------------------------------------------------------

    async def open(self, appellant: str, request: AppealRequest, pictures: list[bytes] | None = None) -> Opening:
        """`appellant`: a chat account, or web:<receipt> for the public form (whose door
        limits it per client address). Pictures are new evidence (a reopening). A request
        without a platform appeals the buyer on the one platform that lists them; listed
        on several, the appellant is asked which."""
        platform = await self._platform_of(request)
        request = replace(request, platform=platform)
        buyer = await buyer_for(platform.value, request.buyer_id)
        reports = await active_reports_on(buyer.id)
        if not reports:
            raise NotFound("appeals.not_listed", platform=platform, buyer_id=request.buyer_id)
        now = self.clock()
        day_ago = now - timedelta(days=1)
        if not appellant.startswith("web:"):
            if await open_appeals_of(appellant) >= self.open_per_account:
                raise Limited("appeals.open_cap", limit=self.open_per_account)
            if await appeals_by_since(appellant, day_ago) >= self.per_account_per_day:
                raise Limited("appeals.daily_cap", limit=self.per_account_per_day)
        if await appeals_on_buyer_since(buyer.id, day_ago) >= self.per_buyer_per_day:
            raise Limited("appeals.buyer_cap", limit=self.per_buyer_per_day)

        found = await open_appeal_of_buyer(buyer.id)
        if found is None:
            last = await last_decided_appeal(buyer.id)
            if last is not None and last.decided_at is not None and last.decided_at + self.reask > now:
                if pictures:
                    return await self._ask_reopen(last, appellant, request, pictures, now)
                raise Limited("appeals.too_soon", until=last.decided_at + self.reask, appeal_id=last.id)
            try:
                appeal = await open_appeal(buyer.id, appellant, request.reason, now, now + self.hold)
            except AppealAlreadyOpen:  # opened by someone else a moment ago
                found = await open_appeal_of_buyer(buyer.id)
            else:
                await self._tell_reporters(appeal, request, reports, now)
                return Opening(await self._loaded(appeal.id), platform, request.buyer_id)
        if found is None:
            raise Conflict("appeals.already_open")
        if appellant in await appellants_of(found.id):
            raise Conflict("appeals.already_joined", appeal_id=found.id)
        await add_statement(found.id, StatementKind.joined, appellant, request.reason, [], now)
        await log_trust(TrustAction.join_appeal, appellant, now, buyer_id=buyer.id, appeal_id=found.id)
        return Opening(await self._loaded(found.id), platform, request.buyer_id, joined=True)

    @staticmethod
    async def _platform_of(request: AppealRequest) -> Platform:
        """The platform named, or the one on which the buyer id is listed."""
        if request.platform is not None:
            return request.platform
        found = await platforms_listing([p.value for p in Platform], request.buyer_id)
        listed = [p for p in Platform if p.value in found]
        if not listed:
            raise NotFound("appeals.not_listed", platform=None, buyer_id=request.buyer_id)
        if len(listed) > 1:
            raise Conflict("appeals.which_platform", platforms=listed, buyer_id=request.buyer_id)
        return listed[0]

    async def _ask_reopen(
        self, last: Appeal, appellant: str, request: AppealRequest, pictures: list[bytes], now: datetime
    ) -> Opening:
        if len(pictures) > PICTURES_PER_MESSAGE:
            raise Limited("joint.evidence_per_message", limit=PICTURES_PER_MESSAGE, count=len(pictures))
        digests = []
        for digest, file_name, content in evidence_items(request.reason, pictures):
            if content is not None and file_name is not None:
                await store_picture(self.folder / file_name, content)
                digests.append(digest)
        await add_statement(last.id, StatementKind.reopen, appellant, request.reason, digests, now)
        assert request.platform is not None  # open() named it
        return Opening(await self._loaded(last.id), request.platform, request.buyer_id, reopen_asked=True)

    async def _loaded(self, appeal_id: int) -> Appeal:
        appeal = await appeal_by_id(appeal_id)
        assert appeal is not None
        return appeal

    async def _tell_reporters(
        self, appeal: Appeal, request: AppealRequest, reports: list[Report], now: datetime
    ) -> None:
        """Each shop that reported the buyer is told, with the reason, and how to answer."""
        shops = {report.shop_id: report.shop for report in reports}
        text = render(
            "appeals/reporters_told.j2",
            appeal=appeal,
            platform=request.platform,
            buyer_id=request.buyer_id,
            days=self.evidence_window.days,
        )
        owners = [n for n in (qq_number(shop.owner) for shop in shops.values()) if n is not None]
        await notify(OutboxKind.appeal, Channel.private, owners, f"appeal-open:{appeal.id}", text, now)

    async def queue_moderator_notice(self) -> int:
        """New appeals, joined words and reopening requests, to the 版主 in one notice, at
        most one every APPEAL_NOTICE_MINUTES. Returns how many items it listed."""
        now = self.clock()
        appeals, statements = await to_tell_moderators()
        if not appeals and not statements:
            return 0
        last = await last_moderator_notice()
        if last is not None and now - last < self.notice_every:
            return 0
        text = render("appeals/moderators_notice.j2", appeals=appeals, statements=statements)
        await self.moderation.tell_moderators(f"appeals:{now:%Y%m%d%H%M%S}", text)
        await mark_told_moderators([a.id for a in appeals], [s.id for s in statements], now)
        return len(appeals) + len(statements)

    # -- the reporting shops ---------------------------------------------------------------

    async def add_evidence(self, account: str, appeal_id: int, description: str, pictures: list[bytes]) -> int:
        """A reporting shop's answer: text and pictures (the joint-case evidence rules).
        Returns how many items were new."""
        shop = await self.blacklist.shop_of(account)
        appeal = await appeal_by_id(appeal_id)
        reported = appeal is not None and any(r.shop_id == shop.id for r in await active_reports_on(appeal.buyer_id))
        if appeal is None or not reported:
            raise NotFound("appeals.not_yours", appeal_id=appeal_id)
        if appeal.state != AppealState.open:
            raise Conflict("appeals.closed", appeal_id=appeal_id)
        if self.clock() - appeal.created_at > self.evidence_window:
            raise Conflict("appeals.evidence_too_late", appeal_id=appeal_id, days=self.evidence_window.days)
        if len(pictures) > PICTURES_PER_MESSAGE:
            raise Limited("joint.evidence_per_message", limit=PICTURES_PER_MESSAGE, count=len(pictures))
        items = evidence_items(description, pictures)
        added = 0
        for digest, file_name, content in items:
            if content is not None and file_name is not None:
                await store_picture(self.folder / file_name, content)
            added += await add_appeal_evidence(appeal.id, shop.id, description, digest, file_name, self.clock())
        return added

    # -- the 版主 ---------------------------------------------------------------------------

    async def open_list(self, by: Actor) -> list[AppealView]:
        """Open appeals, those holding most alerts first, then the oldest."""
        await self.moderation.require_moderator(by)
        appeals = await open_appeals()
        held = await held_alert_counts([a.buyer_id for a in appeals], self.clock())
        views = [
            AppealView(a, Platform(a.buyer.platform), a.buyer.buyer_key, [], [], held_alerts=held.get(a.buyer_id, 0))
            for a in appeals
        ]
        return sorted(views, key=lambda v: (-v.held_alerts, v.appeal.created_at, v.appeal.id))

    async def view(self, by: Actor, appeal_id: int) -> AppealView:
        await self.moderation.require_moderator(by)
        appeal = await appeal_by_id(appeal_id)
        if appeal is None:
            raise NotFound("appeals.not_found", appeal_id=appeal_id)
        reports = await active_reports_on(appeal.buyer_id)
        if appeal.state != AppealState.open:
            reports = await reports_of_buyer(appeal.buyer_id)
        held = await held_alert_counts([appeal.buyer_id], self.clock())
        return AppealView(
            appeal,
            Platform(appeal.buyer.platform),
            appeal.buyer.buyer_key,
            reports,
            await appeal_evidence(appeal.id),
            await statements_of(appeal.id),
            held.get(appeal.buyer_id, 0),
        )

    async def remove(self, by: Actor, appeal_id: int, report_ids: list[int], note: str) -> AppealView:
        """撤销: the reports named (or every active one) become tombstones; their shops'
        further reports on the buyer wait for a 版主 before they count."""
        view = await self._open_view(by, appeal_id)
        active = {r.id: r for r in view.reports}
        unknown = [n for n in report_ids if n not in active]
        if unknown:
            raise BadInput("appeals.not_its_report", report_id=unknown[0], appeal_id=appeal_id)
        removing = [active[n] for n in report_ids] if report_ids else list(active.values())
        buyer_id = view.appeal.buyer_id
        now = self.clock()

        async def change() -> None:
            await set_report_states([r.id for r in removing], ReportState.removed, [ReportState.active])
            await close_appeal(view.appeal.id, AppealState.removed, by.account, note, now)
            await hold_reviews({r.shop_id for r in removing}, buyer_id, by.account, now)
            await log_trust(
                TrustAction.hold_reports,
                by.account,
                now,
                buyer_id=buyer_id,
                appeal_id=view.appeal.id,
                detail="、".join(str(r.shop_id) for r in removing),
            )

        await decide(
            {buyer_id: removing[0].id},
            change,
            DecisionKind.remove,
            by.account,
            note or "申诉成立",
            self.blacklist.judge_for,
            self.blacklist.on_decided,
        )
        # Each removed report is logged: the count that costs a shop its verification.
        for report in removing[1:]:
            await log_decision(
                report, DecisionKind.remove, by.account, note or "申诉成立", self.blacklist.judge_for(buyer_id)
            )
        await self._release(buyer_id, by)
        await self._tell_outcome(view, "removed", note, removing)
        await self.moderation.after_removals({r.shop_id for r in removing})
        return await self.view(by, appeal_id)

    async def uphold(self, by: Actor, appeal_id: int, note: str) -> AppealView:
        """维持: the reports stay, and the alerts the appeal held go out now."""
        view = await self._open_view(by, appeal_id)

        async def change() -> None:
            await close_appeal(view.appeal.id, AppealState.upheld, by.account, note, self.clock())

        await decide(
            {view.appeal.buyer_id: view.reports[0].id},
            change,
            DecisionKind.uphold,
            by.account,
            note or "维持",
            self.blacklist.judge_for,
            self.blacklist.on_decided,
        )
        await self._release(view.appeal.buyer_id, by)
        await self._tell_outcome(view, "upheld", note, [])
        return await self.view(by, appeal_id)

    async def reopen(self, by: Actor, appeal_id: int, note: str) -> AppealView:
        """A decided appeal opens again (new evidence): a new hold, bounded as the first."""
        await self.moderation.require_moderator(by)
        appeal = await appeal_by_id(appeal_id)
        if appeal is None:
            raise NotFound("appeals.not_found", appeal_id=appeal_id)
        now = self.clock()
        try:
            reopened = await reopen_appeal(appeal.id, now, now + self.hold)
        except AppealAlreadyOpen as exc:
            raise Conflict("appeals.other_open", appeal_id=appeal_id) from exc
        if not reopened:
            raise Conflict("appeals.still_open", appeal_id=appeal_id)
        await log_trust(
            TrustAction.reopen_appeal, by.account, now, buyer_id=appeal.buyer_id, appeal_id=appeal.id, detail=note
        )
        return await self.view(by, appeal_id)

    async def _release(self, buyer_id: int, by: Actor) -> None:
        await self.release_held(buyer_id, await self.blacklist.judge_for(buyer_id)(), by.account)

    async def _open_view(self, by: Actor, appeal_id: int) -> AppealView:
        view = await self.view(by, appeal_id)
        if view.appeal.state != AppealState.open:
            raise Conflict("appeals.closed", appeal_id=appeal_id)
        if not view.reports:
            raise Conflict("appeals.nothing_left", appeal_id=appeal_id)
        return view

    async def _tell_outcome(self, view: AppealView, outcome: str, note: str, removed: list[Report]) -> None:
        now = self.clock()
        text = render("appeals/outcome_appellant.j2", view=view, outcome=outcome, note=note, removed=len(removed))
        appellants = {view.appeal.appellant, *(s.appellant for s in view.statements if s.kind == StatementKind.joined)}
        for appellant in sorted(appellants):
            number = qq_number(appellant)
            if number is not None:
                key = f"appeal-outcome:{view.appeal.id}:{view.appeal.reopened}:{appellant}"
                await enqueue(OutboxKind.appeal, Channel.private, number, key, text, now)
        removed_ids = {r.id for r in removed}
        for report in view.reports:
            owner = qq_number(report.shop.owner)
            if owner is None:
                continue
            text = render(
                "appeals/outcome_reporter.j2",
                view=view,
                outcome=outcome,
                note=note,
                report=report,
                removed=report.id in removed_ids,
            )
            key = f"appeal-outcome:{view.appeal.id}:{view.appeal.reopened}:{report.id}"
            await enqueue(OutboxKind.appeal, Channel.private, owner, key, text, now)

    # -- reports held since a removal --------------------------------------------------------

    async def held_list(self, by: Actor) -> list[Report]:
        await self.moderation.require_moderator(by)
        return await held_reports()

    async def review_held(self, by: Actor, report_id: int, accept: bool, note: str) -> Report:
        """接受: the held report counts (and the shop's next ones on the buyer); 驳回: it
        is removed, a tombstone like those removed on appeal."""
        await self.moderation.require_moderator(by)
        report = await report_by_id(report_id)
        if report is None or not report.held or report.state != ReportState.active:
            raise NotFound("appeals.not_held", report_id=report_id)
        now = self.clock()

        async def change() -> None:
            if accept:
                await release_held_report(report, by.account, now)
            else:
                await set_report_states([report.id], ReportState.removed, [ReportState.active])
            await log_trust(
                TrustAction.accept_report if accept else TrustAction.reject_report,
                by.account,
                now,
                shop_id=report.shop_id,
                buyer_id=report.buyer_id,
                report_id=report.id,
                detail=note,
            )

        await decide(
            {report.buyer_id: report.id},
            change,
            DecisionKind.accept if accept else DecisionKind.remove,
            by.account,
            note or ("接受举报" if accept else "驳回举报"),
            self.blacklist.judge_for,
            self.blacklist.on_decided,
        )
        found = await report_by_id(report_id)
        assert found is not None
        return found
