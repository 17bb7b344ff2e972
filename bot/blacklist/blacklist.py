"""The shared blacklist: shops bind, report, retract; anyone checks a buyer.

This is the domain core's entry point. It takes requests from bot.arguments (or from any
other caller: the HTTP API, the benchmark) and returns plain results; it knows nothing
about chat.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.blacklist.verdicts import verdict_of_buyer, verdict_on, verdicts
from bot.clock import Clock, utc_now
from bot.commands.requests import (
    CLUE_LOOKUPS_PER_DAY,
    BindRequest,
    CheckRequest,
    LookupAllowance,
    ReportRequest,
    lookup_day,
)
from bot.errors import Conflict, Limited, NotAllowed, NotFound, NotRegistered, Refused
from bot.identity.buyers import mask_buyer_id
from bot.identity.fingerprints import Fingerprinter, Trait
from bot.identity.platforms import Platform, PlatformWords, platform_words
from bot.identity.text import fold
from bot.scoring.categories import Category
from bot.scoring.counting import shop_stands
from bot.scoring.evidence import Subject
from bot.scoring.red_flags import flag
from bot.scoring.verdict import Level, Verdict
from bot.states import DecisionKind, FilingOutcome, ReportState, TrustAction, VouchEnd
from bot.storage.alerts import alert_buyer
from bot.storage.models.reports import Report
from bot.storage.models.shops import Shop
from bot.storage.reports import (
    Judge,
    NewReport,
    OnDecided,
    buyer_for,
    file_report,
    platforms_listing,
    report_by_id,
    reported_buyers,
    reports_filed_since,
    retract_report,
    review_pending,
)
from bot.storage.shops import (
    AccountTaken,
    NameTaken,
    add_staff_account,
    banned_shop_of_former_account,
    clue_lookups_used,
    create_shop,
    remove_staff_account,
    rename_shop,
    set_shop_group,
    shop_accounts,
    shop_of_account,
    take_clue_lookups,
)
from bot.storage.trust import decide, end_vouches, log_trust, refresh_verification


@dataclass(frozen=True)
class Binding:
    shop: Shop
    previous_name: str | None
    # A verification is for one name on one platform: a rename or a move ended it.
    lost_verification: bool = False


@dataclass(frozen=True)
class CheckResult:
    # None: on no platform in particular (a buyer id looked for on every platform and
    # found on none; a phone or an address alone, asked by someone without a platform).
    platform: Platform | None
    buyer_id: str  # "": checked by a phone or an address alone
    verdict: Verdict
    clues: list[Trait]
    # Linked accounts are named only to verified shops; others see how many there are.
    names_linked: bool = True
    detail: bool = False  # every reason and next step (`/查 … 详细`)
    alert_id: int | None = None  # asked by alert number: the buyer id stays masked
    # The shop's phone and address lookups today, after this one (checks with clues).
    allowance: LookupAllowance | None = None
    # The platform was not named: this is what the look on every platform found.
    everywhere: bool = False

    @property
    def shown_buyer_id(self) -> str:
        return mask_buyer_id(self.buyer_id) if self.alert_id is not None else self.buyer_id

    @property
    def words(self) -> PlatformWords:
        return platform_words(self.platform)


@dataclass(frozen=True)
class BatchCheck:
    """The API's batch: each buyer's result, or the refusal of that item alone (a phone
    or address lookup past the shop's allowance), in the requests' order."""

    results: list[CheckResult | Refused]
    allowance: LookupAllowance | None  # the shop's lookups after the batch (None: unlimited)


@dataclass(frozen=True)
class Filing:
    shop: Shop
    report: Report
    category: Category
    platform: Platform
    buyer_id: str
    verdict: Verdict
    level_before: Level
    outcome: FilingOutcome


@dataclass(frozen=True)
class Retraction:
    report: Report
    platform: Platform
    buyer_id: str
    verdict: Verdict
    level_before: Level


def is_verified(shop: Shop | None) -> bool:
    return shop is not None and shop_stands(shop.verified_at is not None, shop.banned_at is not None)


class Blacklist:
    def __init__(
        self,
        fingerprinter: Fingerprinter,
        clock: Clock = utc_now,
        on_decided: OnDecided | None = None,
        reports_per_day: int = 20,
        clue_lookups_per_day: int = CLUE_LOOKUPS_PER_DAY,
    ):
        self.fingerprinter = fingerprinter
        self.clock = clock
        # Runs inside each report/retraction transaction (the alerts outbox).
        self.on_decided = on_decided
        self.reports_per_day = reports_per_day
        # Phone and address lookups per verified shop per day (bot/commands/requests.py),
        # counted in the database: shared by every process, kept across restarts.
        self.clue_lookups_per_day = clue_lookups_per_day

    # -- shops -----------------------------------------------------------------------------

    async def bind(self, account: str, request: BindRequest) -> Binding:
        """Register the account's shop, or rename it (its owner only). Names are unique
        per platform: a second account of the same shop joins it as staff instead. A
        verification is for one name on one platform: renaming or moving a verified
        shop ends its vouches (and the buyers it reported get their decisions)."""
        shop = await shop_of_account(account)
        try:
            if shop is None:
                banned = await banned_shop_of_former_account(account)
                if banned is not None:
                    # A ban covers the shop's accounts: a freed staff account is not a new shop.
                    raise NotAllowed("shop.former_account_banned", shop=banned)
                return Binding(await create_shop(account, request.platform.value, request.name), None)
            if shop.owner != account:
                raise Conflict("shop.staff_cannot_bind", shop=shop)
            if shop.banned_at is not None:
                raise NotAllowed("shop.banned_frozen", shop=shop)
            moving = shop.platform != request.platform.value or shop.name_key != fold(request.name)
            if shop.verified_at is None or not moving:
                return Binding(shop, await rename_shop(shop, request.platform.value, request.name))
            return await self._rename_verified(shop, account, request)
        except NameTaken as exc:
            raise Conflict("shop.name_taken", name=request.name, platform=request.platform) from exc
        except AccountTaken as exc:  # bound from two groups at the same instant
            raise Conflict("shop.account_taken") from exc

    async def _rename_verified(self, shop: Shop, account: str, request: BindRequest) -> Binding:
        now = self.clock()
        previous: list[str] = []

        async def change() -> None:
            previous.append(await rename_shop(shop, request.platform.value, request.name))
            await end_vouches(VouchEnd.renamed, account, now, shop_id=shop.id)
            await refresh_verification(shop.id, now)
            await log_trust(
                TrustAction.suspend_vouch,
                account,
                now,
                shop_id=shop.id,
                account=account,
                detail=f"{VouchEnd.renamed.value}：{previous[0]} → {request.name}",
            )

        touched = await reported_buyers(shop.id, [ReportState.active])
        await decide(touched, change, DecisionKind.unverify, account, "改名或换平台", self.judge_for, self.on_decided)
        shop.verified_at = shop.verified_by = shop.verified_in = None
        shop.roots = ""
        return Binding(shop, previous[0], lost_verification=True)

    async def add_staff(self, owner_account: str, account: str) -> Shop:
        shop = await self.shop_of(owner_account)
        if shop.owner != owner_account:
            raise NotAllowed("shop.owner_only", shop=shop)
        if shop.banned_at is not None:
            raise NotAllowed("shop.banned_frozen", shop=shop)
        try:
            await add_staff_account(shop.id, account, owner_account)
        except AccountTaken as exc:
            raise Conflict("shop.staff_taken", account=account) from exc
        return shop

    async def remove_staff(self, owner_account: str, account: str) -> Shop:
        shop = await self.shop_of(owner_account)
        if shop.owner != owner_account:
            raise NotAllowed("shop.owner_only", shop=shop)
        if shop.banned_at is not None:
            raise NotAllowed("shop.banned_frozen", shop=shop)
        if not await remove_staff_account(shop.id, account, owner_account, self.clock()):
            raise NotFound("shop.not_staff", account=account)
        return shop

    async def staff(self, shop: Shop) -> list[str]:
        return [a.account for a in await shop_accounts(shop.id)]

    async def remember_group(self, shop: Shop, group_id: int | None) -> None:
        """The group the owner last used the bot in: joint-case messages that cannot
        reach them privately are posted there (bot/outbox.py)."""
        if group_id is not None and shop.group_id != group_id:
            await set_shop_group(shop.id, group_id)
            shop.group_id = group_id

    async def shop_of(self, account: str) -> Shop:
        """The shop this account speaks for (as its owner or staff)."""
        shop = await shop_of_account(account)
        if shop is None:
            raise NotRegistered()
        return shop

    async def shop_or_none(self, account: str) -> Shop | None:
        return await shop_of_account(account)

    def _traits(self, phone: str | None, address: str | None) -> list[Trait]:
        traits = []
        if phone is not None:
            traits.append(self.fingerprinter.phone(phone))
        if address is not None:
            traits.append(self.fingerprinter.address(address))
        return traits

    def _subject(self, request: CheckRequest, traits: list[Trait], platform: Platform | None = None) -> Subject:
        return Subject(
            str(platform or request.platform or ""),
            request.buyer_id,
            frozenset(t.digest for t in traits if t.kind == "phone"),
            frozenset(t.digest for t in traits if t.kind == "address"),
        )

    async def check(self, request: CheckRequest, asker: str | None = None, shop: Shop | None = None) -> CheckResult:
        """asker: the account that asks (None: trusted code, the benchmark); shop: its
        shop. Phone and address clues are for verified shops only, within the shop's
        allowance of the day; linked accounts are named only to them. A request without
        a platform (request.platform None) is judged on no platform in particular: a
        buyer id is looked for on every platform with check_everywhere()."""
        trusted = asker is None or is_verified(shop)
        request = await self._alert_buyer(request)
        traits = self._traits(request.phone, request.address)
        allowance = await self._take_lookup(asker, shop) if request.has_clues else None
        verdict = await verdict_on(self._subject(request, traits), self.clock(), [flag(f) for f in request.flags])
        return CheckResult(
            request.platform,
            request.buyer_id,
            verdict,
            traits,
            names_linked=trusted,
            detail=request.detail,
            alert_id=request.alert_id,
            allowance=allowance,
        )

    async def check_everywhere(
        self, request: CheckRequest, asker: str | None = None, shop: Shop | None = None
    ) -> list[CheckResult]:
        """A buyer id named without a platform, by someone whose platform is not known:
        the verdict on every platform where the id has reports, each with its platform;
        one result on no platform (无记录 everywhere, or what the clues alone find) when
        it has none anywhere."""
        if request.platform is not None or not request.buyer_id:
            return [await self.check(request, asker, shop)]
        trusted = asker is None or is_verified(shop)
        traits = self._traits(request.phone, request.address)
        allowance = await self._take_lookup(asker, shop) if request.has_clues else None
        listing = await platforms_listing([p.value for p in Platform], request.buyer_id)
        listed = [p for p in Platform if p.value in listing]
        where: list[Platform | None] = list(listed) or [None]
        flags = [flag(f) for f in request.flags]
        found = await verdicts(
            [self._subject(request, traits, platform) for platform in where], self.clock(), [flags] * len(where)
        )
        return [
            CheckResult(
                platform,
                request.buyer_id,
                verdict,
                traits,
                names_linked=trusted,
                detail=request.detail,
                allowance=allowance,
                everywhere=True,
            )
            for platform, verdict in zip(where, found, strict=True)
        ]

    async def check_many(
        self, requests: list[CheckRequest], asker: str | None = None, shop: Shop | None = None
    ) -> BatchCheck:
        """Many buyers at once (the HTTP API's batch check), with the chat's rules and the
        same verdicts as check(), in a few statements instead of one round trip or two
        per buyer. Items with a phone or an address take the shop's lookups in order;
        those past what is left are refused one by one, never the whole batch. The
        results keep the requests' order."""
        trusted = asker is None or is_verified(shop)
        requests = [await self._alert_buyer(r) for r in requests]
        clued = [index for index, r in enumerate(requests) if r.has_clues]
        allowance: LookupAllowance | None = None
        refused: dict[int, Refused] = {}
        if clued and asker is not None:
            allowance, taken = await self._take_lookups_up_to(shop, len(clued))
            for index in clued[taken:]:
                refused[index] = self._used_up(allowance)
        elif asker is not None and shop is not None and is_verified(shop):
            allowance = await self.lookup_allowance(shop)
        judged = [(index, r) for index, r in enumerate(requests) if index not in refused]
        traits = {index: self._traits(r.phone, r.address) for index, r in judged}
        found = await verdicts(
            [self._subject(r, traits[index]) for index, r in judged],
            self.clock(),
            [[flag(f) for f in r.flags] for _, r in judged],
        )
        verdict_of = {index: verdict for (index, _), verdict in zip(judged, found, strict=True)}
        results: list[CheckResult | Refused] = [
            refused[index]
            if index in refused
            else CheckResult(
                request.platform,
                request.buyer_id,
                verdict_of[index],
                traits[index],
                names_linked=trusted,
                alert_id=request.alert_id,
            )
            for index, request in enumerate(requests)
        ]
        return BatchCheck(results, allowance)

    @staticmethod
    async def _alert_buyer(request: CheckRequest) -> CheckRequest:
        """`预警3`: the alert's buyer, kept with the alert's number, so that the answer
        shows the buyer id masked as the alert did (CheckResult.shown_buyer_id)."""
        if request.alert_id is None:
            return request
        buyer = await alert_buyer(request.alert_id)
        if buyer is None:
            raise NotFound("alert_not_found", alert_id=request.alert_id)
        return replace(request, platform=Platform(buyer.platform), buyer_id=buyer.buyer_key)

    # -- phone and address lookups ----------------------------------------------------------

    async def lookup_allowance(self, shop: Shop) -> LookupAllowance:
        """The shop's phone and address lookups today, without taking one."""
        now = self.clock()
        day, resets_at = lookup_day(now)
        return LookupAllowance(self.clue_lookups_per_day, await clue_lookups_used(shop.id, day), resets_at, now)

    async def _take_lookups_up_to(self, shop: Shop | None, wanted: int) -> tuple[LookupAllowance, int]:
        """Take up to `wanted` of the shop's lookups of today: (the allowance after, taken).
        Only verified shops look up phones and addresses."""
        if shop is None or not is_verified(shop):
            raise NotAllowed("clues_verified_only")
        now = self.clock()
        day, resets_at = lookup_day(now)
        taken, used = await take_clue_lookups(shop.id, day, wanted, self.clue_lookups_per_day)
        return LookupAllowance(self.clue_lookups_per_day, used, resets_at, now), taken

    async def _take_lookup(self, asker: str | None, shop: Shop | None) -> LookupAllowance | None:
        """One check's lookup (None: trusted code, not counted); Limited past the allowance."""
        if asker is None:
            return None
        allowance, taken = await self._take_lookups_up_to(shop, 1)
        if not taken:
            raise self._used_up(allowance)
        return allowance

    @staticmethod
    def _used_up(allowance: LookupAllowance) -> Limited:
        return Limited(
            "clue_lookups_used_up",
            limit=allowance.limit,
            resets_at=allowance.resets_at,
            retry_after=allowance.seconds_to_reset,
        )

    async def report(self, shop: Shop, request: ReportRequest, reported_at: datetime | None = None) -> Filing:
        """reported_at: when the report was really made (an imported blacklist's date);
        default now."""
        if shop.banned_at is not None:
            raise NotAllowed("shop.banned_cannot_report", shop=shop)
        if reported_at is None and self.reports_per_day:
            since = self.clock() - timedelta(days=1)
            if await reports_filed_since(shop.id, since) >= self.reports_per_day:
                raise Limited("reports_per_day", limit=self.reports_per_day)
        traits = self._traits(request.phone, request.address) + list(request.traits)
        phone = next((t for t in traits if t.kind == "phone"), None)
        address = next((t for t in traits if t.kind == "address"), None)
        buyer = await buyer_for(request.platform.value, request.buyer_id)
        held = await review_pending(shop.id, buyer.id)
        new = NewReport(
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
            held=held,
        )
        change = await file_report(new, self.judge_for(buyer.id), self.on_decided)
        if change.outcome is FilingOutcome.removed:
            # A tombstone: removed on appeal, never filed again by the same shop.
            raise Conflict("report_removed", report_id=change.report.id)
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

    def judge_for(self, buyer_id: int) -> Judge:
        async def verdict() -> Verdict:
            return await verdict_of_buyer(buyer_id, self.clock())

        return verdict

    async def retract(self, shop: Shop, report_id: int) -> Retraction:
        report = await report_by_id(report_id)
        if report is None or report.shop_id != shop.id:
            # The same answer for another shop's number and for one that does not
            # exist: the difference would tell which report numbers exist.
            raise NotFound("report_not_found", report_id=report_id)
        if report.state != ReportState.active:
            raise Conflict("report_already_retracted", report_id=report_id)
        change = await retract_report(report, self.clock(), self.judge_for(report.buyer_id), self.on_decided)
        if change is None:
            raise Conflict("report_already_retracted", report_id=report_id)
        buyer = report.buyer
        return Retraction(report, Platform(buyer.platform), buyer.buyer_key, change.verdict, change.level_before)
