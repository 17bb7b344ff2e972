"""Appeals (DESIGN.md §7): anyone may dispute a buyer's listing; while the appeal is open
the buyer is marked and not alerted; the shops that reported the buyer are told and may
add evidence; a 版主 removes the reports (tombstones: never filed again) or keeps them,
and everyone concerned is told. A shop whose reports keep being removed loses its
verification."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from bot.blacklist.blacklist import Blacklist
from bot.cases.evidence import PICTURES_PER_MESSAGE, evidence_items, store_picture
from bot.clock import Clock, utc_now
from bot.commands.requests import AppealRequest
from bot.errors import BadInput, Conflict, Limited, NotFound
from bot.identity.accounts import qq_number
from bot.identity.platforms import Platform
from bot.messaging.render import render
from bot.states import AppealState, Channel, DecisionKind, OutboxKind, ReportState
from bot.storage.appeals import (
    AppealAlreadyOpen,
    add_appeal_evidence,
    appeal_by_id,
    appeal_evidence,
    close_appeal,
    lost_appeal_since,
    open_appeal,
    open_appeals,
)
from bot.storage.models.appeals import Appeal, AppealEvidence
from bot.storage.models.reports import Report
from bot.storage.outbox import enqueue, notify
from bot.storage.reports import active_reports_on, buyer_for, reports_of_buyer, set_report_states
from bot.storage.trust import decide, log_decision
from bot.trust.moderation import Actor, Moderation


@dataclass
class AppealView:
    appeal: Appeal
    platform: Platform
    buyer_id: str
    reports: list[Report]
    evidence: list[AppealEvidence]


class Appeals:
    def __init__(
        self,
        blacklist: Blacklist,
        moderation: Moderation,
        data_dir: Path,
        clock: Clock = utc_now,
        reask_days: int = 30,
        evidence_days: int = 7,
    ):
        self.blacklist = blacklist
        self.moderation = moderation
        self.folder = data_dir / "evidence"
        self.clock = clock
        self.reask = timedelta(days=reask_days)
        self.evidence_window = timedelta(days=evidence_days)

    # -- the appellant ---------------------------------------------------------------------

    async def open(self, appellant: str, request: AppealRequest) -> Appeal:
        buyer = await buyer_for(request.platform.value, request.buyer_id)
        reports = await active_reports_on(buyer.id)
        if not reports:
            raise NotFound("appeals.not_listed", platform=request.platform, buyer_id=request.buyer_id)
        now = self.clock()
        if await lost_appeal_since(buyer.id, appellant, now - self.reask):
            raise Limited("appeals.too_soon", days=self.reask.days)
        try:
            appeal = await open_appeal(buyer.id, appellant, request.reason, now)
        except AppealAlreadyOpen as exc:
            raise Conflict("appeals.already_open") from exc
        # Each shop that reported the buyer is told, with the reason, and how to answer.
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
        await self.moderation.tell_moderators(
            f"appeal-open:{appeal.id}",
            render("appeals/moderators_told.j2", appeal=appeal, platform=request.platform, buyer_id=request.buyer_id),
        )
        return appeal

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

    async def open_list(self, by: Actor) -> list[Appeal]:
        await self.moderation.require_moderator(by)
        return await open_appeals()

    async def view(self, by: Actor, appeal_id: int) -> AppealView:
        await self.moderation.require_moderator(by)
        appeal = await appeal_by_id(appeal_id)
        if appeal is None:
            raise NotFound("appeals.not_found", appeal_id=appeal_id)
        reports = await active_reports_on(appeal.buyer_id)
        if appeal.state != AppealState.open:
            reports = await reports_of_buyer(appeal.buyer_id)
        return AppealView(
            appeal,
            Platform(appeal.buyer.platform),
            appeal.buyer.buyer_key,
            reports,
            await appeal_evidence(appeal.id),
        )

    async def remove(self, by: Actor, appeal_id: int, report_ids: list[int], note: str) -> AppealView:
        """撤销: the reports named (or every active one) become tombstones."""
        view = await self._open_view(by, appeal_id)
        active = {r.id: r for r in view.reports}
        unknown = [n for n in report_ids if n not in active]
        if unknown:
            raise BadInput("appeals.not_its_report", report_id=unknown[0], appeal_id=appeal_id)
        removing = [active[n] for n in report_ids] if report_ids else list(active.values())
        buyer_id = view.appeal.buyer_id

        async def change() -> None:
            await set_report_states([r.id for r in removing], ReportState.removed, [ReportState.active])
            await close_appeal(view.appeal.id, AppealState.removed, by.account, note, self.clock())

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
        await self._tell_outcome(view, "removed", note, removing)
        await self.moderation.after_removals({r.shop_id for r in removing})
        return await self.view(by, appeal_id)

    async def uphold(self, by: Actor, appeal_id: int, note: str) -> AppealView:
        """维持: the reports stay; the decision is logged all the same."""
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
        await self._tell_outcome(view, "upheld", note, [])
        return await self.view(by, appeal_id)

    async def _open_view(self, by: Actor, appeal_id: int) -> AppealView:
        view = await self.view(by, appeal_id)
        if view.appeal.state != AppealState.open:
            raise Conflict("appeals.closed", appeal_id=appeal_id)
        if not view.reports:
            raise Conflict("appeals.nothing_left", appeal_id=appeal_id)
        return view

    async def _tell_outcome(self, view: AppealView, outcome: str, note: str, removed: list[Report]) -> None:
        now = self.clock()
        appellant = qq_number(view.appeal.appellant)
        text = render("appeals/outcome_appellant.j2", view=view, outcome=outcome, note=note, removed=len(removed))
        if appellant is not None:
            await enqueue(OutboxKind.appeal, Channel.private, appellant, f"appeal-outcome:{view.appeal.id}", text, now)
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
            await enqueue(
                OutboxKind.appeal, Channel.private, owner, f"appeal-outcome:{view.appeal.id}:{report.id}", text, now
            )
