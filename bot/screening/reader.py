"""A screenshot as a check or a report (DESIGN.md §2, 11): the picture is read in the OCR
worker (bot/screening/ocr.py), each buyer found is judged by the one verdict with the red
flags the words raise (extortion language is 索要改评费), and a report is only proposed:
it is filed when the merchant confirms it with one word, within a few minutes. Nothing is
filed from what OCR guessed alone.

A proposal waits in this process's memory, one per account (a new screenshot replaces
the last); it holds the phone only hashed and masked. The screenshot's SHA-256 goes with
the report as its evidence (bot/storage/reports.py), the picture itself is not kept.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.blacklist.blacklist import Blacklist, CheckResult, Filing
from bot.clock import Clock, utc_now
from bot.commands.requests import CheckRequest, ReportRequest
from bot.errors import BadInput, Limited, NotFound
from bot.identity.platforms import Platform
from bot.messaging.render import render
from bot.scoring.categories import Category, require_category
from bot.screening.ocr import OcrWorker
from bot.screening.screenshots import Reading
from bot.storage.models.shops import Shop
from bot.storage.reports import add_report_evidence

# Buyers of one screenshot that are judged (a chat shows one; an order list a few).
BUYERS_CHECKED = 3
EVIDENCE_KIND = "screenshot"


@dataclass(frozen=True)
class Screenshot:
    reading: Reading
    sha256: str
    # The screenshot's own, else the merchant's (shop's or group's); None: not told, and
    # every platform is looked at (bot/blacklist Blacklist.check_everywhere).
    platform: Platform | None


@dataclass(frozen=True)
class Proposal:
    """A report filled in from a screenshot, waiting for the merchant's word."""

    account: str
    shop_id: int
    request: ReportRequest
    category_known: bool  # False: the words named no type; 「确认 <类型>」 gives it
    screenshot: Screenshot
    expires_at: datetime


@dataclass(frozen=True)
class Confirmed:
    filing: Filing
    sha256: str
    evidence_added: bool


class Screenshots:
    def __init__(self, blacklist: Blacklist, worker: OcrWorker, clock: Clock = utc_now, proposal_minutes: float = 10):
        self.blacklist = blacklist
        self.worker = worker
        self.clock = clock
        self.proposal_minutes = proposal_minutes
        self._proposals: dict[str, Proposal] = {}
        # Accounts whose picture is being read: one at a time each, so that one account
        # sending pictures in a loop cannot fill the queue everyone shares.
        self._reading: set[str] = set()

    async def read(self, data: bytes, platform: Platform | None, account: str | None = None) -> Screenshot:
        """Read one picture; `platform`: the merchant's, where the picture names none."""
        if account is not None and account in self._reading:
            raise Limited("screenshots.one_at_a_time")
        if account is not None:
            self._reading.add(account)
        try:
            reading = await self.worker.read(data, platform)
        finally:
            self._reading.discard(account or "")
        digest = await asyncio.to_thread(lambda: hashlib.sha256(data).hexdigest())
        if reading.lines == 0:
            raise BadInput("screenshots.nothing_read")
        return Screenshot(reading, digest, reading.platform or platform)

    async def check(self, shot: Screenshot, asker: str, shop: Shop | None) -> list[CheckResult]:
        """The verdict on each buyer read (at most BUYERS_CHECKED), with the red flags the
        screenshot's words raise."""
        reading = shot.reading
        if not reading.buyers:
            raise BadInput("screenshots.no_buyer", reading=reading, platform=shot.platform)
        results = []
        for found in reading.buyers[:BUYERS_CHECKED]:
            request = CheckRequest(shot.platform, found.buyer_id, flags=reading.flags)
            results.extend(await self.blacklist.check_everywhere(request, asker, shop))
        return results

    # -- reports, proposed and confirmed -----------------------------------------------------

    def propose(self, account: str, shop: Shop, shot: Screenshot) -> Proposal:
        """The report the screenshot reads as, kept for the merchant's word (a new one
        replaces the account's earlier proposal)."""
        reading = shot.reading
        if not reading.buyers:
            raise BadInput("screenshots.no_buyer", reading=reading, platform=shot.platform)
        amount = reading.paid_fen if reading.paid_fen is not None else reading.demand_fen
        request = ReportRequest.make(
            shot.platform or Platform(shop.platform),
            reading.buyers[0].buyer_id,
            (reading.category or Category.other).value,
            reading.orders[0] if reading.orders else None,
            f"{amount / 100:.2f}" if amount is not None else None,
            render("screenshots/description.j2", reading=reading),
            traits=reading.phones[:1],
        )
        self._forget_expired()
        proposal = Proposal(
            account,
            shop.id,
            request,
            reading.category is not None,
            shot,
            self.clock() + timedelta(minutes=self.proposal_minutes),
        )
        self._proposals[account] = proposal
        return proposal

    def pending(self, account: str) -> Proposal | None:
        proposal = self._proposals.get(account)
        if proposal is not None and proposal.expires_at <= self.clock():
            del self._proposals[account]
            return None
        return proposal

    def cancel(self, account: str) -> bool:
        return self._proposals.pop(account, None) is not None

    async def confirm(self, account: str, shop: Shop, type_word: str | None = None) -> Confirmed:
        """File the account's proposal; `type_word`: the type, where the words named none
        (or to correct it)."""
        proposal = self.pending(account)
        if proposal is None:
            raise NotFound("screenshots.nothing_pending")
        if proposal.shop_id != shop.id:  # the account changed shops meanwhile
            self._proposals.pop(account, None)
            raise NotFound("screenshots.nothing_pending")
        request = proposal.request
        if type_word:
            request = replace(request, category=require_category(type_word[:30]))
        elif not proposal.category_known:
            raise BadInput("screenshots.type_missing", categories=list(Category))
        filing = await self.blacklist.report(shop, request)
        self._proposals.pop(account, None)
        added = await self.attach(filing, proposal.screenshot.sha256)
        return Confirmed(filing, proposal.screenshot.sha256, added)

    async def attach(self, filing: Filing, sha256: str) -> bool:
        """Keep a screenshot's SHA-256 with a report (also one typed in reply to a picture)."""
        return await add_report_evidence(filing.report.id, EVIDENCE_KIND, sha256, self.clock())

    def _forget_expired(self) -> None:
        now = self.clock()
        for account in [a for a, p in self._proposals.items() if p.expires_at <= now]:
            del self._proposals[account]

    async def stop(self) -> None:
        await self.worker.stop()
