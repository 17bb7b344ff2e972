"""The shared blacklist: shops bind, report, retract; anyone checks a buyer.

This is the domain core's entry point. It takes requests from bot.arguments (or from any
other caller: the HTTP API, the benchmark) and returns plain results; it knows nothing
about chat.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot import queries
from bot.categories import Category
from bot.clock import Clock, utc_now
from bot.errors import NotFound, NotRegistered, Refused
from bot.identity import Fingerprinter, Platform, Trait
from bot.models import Report, Shop
from bot.red_flags import flag
from bot.requests import BindRequest, CheckRequest, ReportRequest
from bot.states import ReportState
from bot.verdict import Level, LinkedAccount, Verdict, judge


@dataclass(frozen=True)
class Binding:
    shop: Shop
    previous_name: str | None


@dataclass(frozen=True)
class CheckResult:
    platform: Platform
    buyer_id: str
    verdict: Verdict
    clues: list[Trait]


@dataclass(frozen=True)
class Filing:
    shop: Shop
    report: Report
    category: Category
    platform: Platform
    buyer_id: str
    verdict: Verdict
    level_before: Level
    outcome: str  # "new" | "duplicate" | "reactivated"


@dataclass(frozen=True)
class Retraction:
    report: Report
    platform: Platform
    buyer_id: str
    verdict: Verdict
    level_before: Level


class Blacklist:
    def __init__(
        self, fingerprinter: Fingerprinter, clock: Clock = utc_now, on_decided: queries.OnDecided | None = None
    ):
        self.fingerprinter = fingerprinter
        self.clock = clock
        # Runs inside each report/retraction transaction (the alerts outbox).
        self.on_decided = on_decided

    async def bind(self, owner: str, request: BindRequest) -> Binding:
        shop, previous = await queries.bind_shop(owner, request.platform.value, request.name)
        return Binding(shop, previous)

    async def remember_group(self, shop: Shop, group_id: int | None) -> None:
        """The group the owner last used the bot in: joint-case messages that cannot
        reach them privately are posted there (bot/outbox.py)."""
        if group_id is not None and shop.group_id != group_id:
            await queries.remember_group(shop.id, group_id)
            shop.group_id = group_id

    async def shop_of(self, owner: str) -> Shop:
        shop = await queries.shop_of(owner)
        if shop is None:
            raise NotRegistered()
        return shop

    def _traits(self, phone: str | None, address: str | None) -> list[Trait]:
        traits = []
        if phone is not None:
            traits.append(self.fingerprinter.phone(phone))
        if address is not None:
            traits.append(self.fingerprinter.address(address))
        return traits

    async def _verdict(
        self,
        traits: list[Trait],
        flags: tuple[str, ...] | None = None,
        *,
        buyer_id: int | None = None,
        platform: str | None = None,
        buyer_key: str | None = None,
    ) -> Verdict:
        """flags=None: the blacklist alone (reports, retractions, the decision log).
        A tuple: a check of an order, where red flags count too."""
        evidence = await queries.evidence_for(
            {t.digest for t in traits if t.kind == "phone"},
            {t.digest for t in traits if t.kind == "address"},
            buyer_id=buyer_id,
            platform=platform,
            buyer_key=buyer_key,
        )
        accounts: dict[tuple[str, str], str] = {}
        for linked in evidence.linked:
            key = (linked.platform, linked.buyer_key)
            # A phone link is the stronger one; show that when both apply.
            if accounts.get(key) != "phone":
                accounts[key] = linked.fact.linked_by or "address"
        linked_accounts = [
            LinkedAccount(buyer_key, Platform(platform).label, by)
            for (platform, buyer_key), by in sorted(accounts.items())
        ]
        facts = evidence.own + [linked.fact for linked in evidence.linked]
        red = [flag(code) for code in flags or ()]
        if linked_accounts and flags is not None:
            red.append(flag("shared_identity"))
        return judge(facts, self.clock(), linked_accounts, red)

    async def check(self, request: CheckRequest) -> CheckResult:
        traits = self._traits(request.phone, request.address)
        verdict = await self._verdict(
            traits, request.flags, platform=request.platform.value, buyer_key=request.buyer_id
        )
        return CheckResult(request.platform, request.buyer_id, verdict, traits)

    async def report(self, shop: Shop, request: ReportRequest, reported_at: datetime | None = None) -> Filing:
        """reported_at: when the report was really made (an imported blacklist's date);
        default now."""
        traits = self._traits(request.phone, request.address)
        phone = next((t for t in traits if t.kind == "phone"), None)
        address = next((t for t in traits if t.kind == "address"), None)
        buyer = await queries.buyer_for(request.platform.value, request.buyer_id)
        new = queries.NewReport(
            shop_id=shop.id,
            buyer_id=buyer.id,
            category=request.category.value,
            order_no=request.order_no,
            amount_fen=request.amount_fen,
            description=request.description,
            phone_hash=phone.digest if phone else None,
            phone_mask=phone.mask if phone else None,
            address_hash=address.digest if address else None,
            address_mask=address.mask if address else None,
            dedup_key=f"order:{request.order_no}" if request.order_no else f"kind:{request.category.value}",
            created_at=reported_at or self.clock(),
        )
        change = await queries.file_report(new, self._judge(buyer.id), self.on_decided)
        return Filing(
            shop,
            change.report,
            request.category,
            request.platform,
            request.buyer_id,
            change.verdict,
            change.level_before,
            change.outcome,
        )

    def _judge(self, buyer_id: int) -> queries.Judge:
        async def verdict() -> Verdict:
            return await self._verdict([], buyer_id=buyer_id)

        return verdict

    async def retract(self, shop: Shop, report_id: int) -> Retraction:
        report = await queries.report_by_id(report_id)
        if report is None or report.shop_id != shop.id:
            # The same answer for another shop's number and for one that does not
            # exist: the difference would tell which report numbers exist.
            raise NotFound("report_not_found", report_id=report_id)
        if report.state != ReportState.active:
            raise Refused("report_already_retracted", report_id=report_id)
        change = await queries.retract_report(report, self.clock(), self._judge(report.buyer_id), self.on_decided)
        if change is None:
            raise Refused("report_already_retracted", report_id=report_id)
        buyer = report.buyer
        return Retraction(report, Platform(buyer.platform), buyer.buyer_key, change.verdict, change.level_before)
