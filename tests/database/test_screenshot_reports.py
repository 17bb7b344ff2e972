"""Reports proposed from a screenshot (issue #30), on SQLite and PostgreSQL: nothing is
filed until the merchant confirms, a proposal is one per account and short-lived, the
screenshot's SHA-256 is kept with the report once, and extortion read from a picture is
a red flag in the verdict. The OCR worker is stood in for: its reading is what the core
tests (tests/core/test_screenshots.py) read from drawn screenshots."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.errors import BadInput, Limited, NotFound
from bot.identity.fingerprints import Fingerprinter
from bot.identity.platforms import Platform
from bot.scoring.categories import Category
from bot.screening.reader import Screenshots
from bot.screening.screenshots import Contact, FoundBuyer, Reading
from bot.storage.models.reports import Report, ReportEvidence
from tests.conftest import SECRET, verified_shop

PHONE = Fingerprinter(SECRET).phone("13812345678")
EXTORTION = Reading(
    platform=Platform.taobao,
    buyers=(FoundBuyer("tb_demo8832", "title"),),
    orders=("3928473829384756123",),
    phones=(PHONE,),
    paid_fen=2990,
    contacts=(Contact("qq", "123456789"),),
    demand="给我返现20元我就改好评",
    demand_fen=2000,
    category=Category.extortion,
    flags=("demands_money", "move_to_qq"),
    lines=9,
)


class StandIn:
    """The OCR worker's place: answers every picture with the same reading."""

    def __init__(self, reading: Reading):
        self.reading = reading
        self.pictures_read = 0

    async def read(self, data: bytes, platform: Platform | None = None) -> Reading:
        self.pictures_read += 1
        return self.reading

    async def stop(self) -> None:
        pass


@pytest.fixture
def screenshots(blacklist, clock) -> Screenshots:
    return Screenshots(blacklist, StandIn(EXTORTION), clock, proposal_minutes=10)  # type: ignore[arg-type]


async def test_a_proposal_is_filed_only_when_confirmed(pool, blacklist, clock, screenshots):
    shop = await verified_shop(blacklist, "qq:1", "截图店")
    shot = await screenshots.read(b"picture one", Platform.pdd, "qq:1")
    assert shot.platform is Platform.taobao  # the screenshot's own platform wins
    proposal = screenshots.propose("qq:1", shop, shot)
    assert proposal.request.category is Category.extortion and proposal.request.amount_fen == 2990
    assert proposal.request.traits == (PHONE,)
    assert await Report.all().count() == 0
    with pytest.raises(NotFound):  # another account has nothing to confirm
        await screenshots.confirm("qq:2", shop)
    confirmed = await screenshots.confirm("qq:1", shop)
    report = await Report.get(id=confirmed.filing.report.id)
    assert (report.order_no, report.phone_mask, report.phone_hash) == (
        "3928473829384756123",
        "138****5678",
        PHONE.digest,
    )
    assert "给我返现20元我就改好评" in report.description and "123456789" in report.description
    assert [e.sha256 for e in await ReportEvidence.filter(report_id=report.id)] == [shot.sha256]
    with pytest.raises(NotFound):  # spent
        await screenshots.confirm("qq:1", shop)
    # The same screenshot proposed and confirmed again: the same report, its evidence once.
    screenshots.propose("qq:1", shop, shot)
    again = await screenshots.confirm("qq:1", shop)
    assert again.filing.report.id == report.id and not again.evidence_added
    assert await ReportEvidence.all().count() == 1


async def test_a_proposal_expires_and_a_new_one_replaces_the_old(pool, blacklist, clock, screenshots):
    shop = await verified_shop(blacklist, "qq:1", "截图店")
    shot = await screenshots.read(b"picture", Platform.taobao, "qq:1")
    screenshots.propose("qq:1", shop, shot)
    clock.now += timedelta(minutes=11)
    assert screenshots.pending("qq:1") is None
    with pytest.raises(NotFound):
        await screenshots.confirm("qq:1", shop)
    screenshots.propose("qq:1", shop, shot)
    assert screenshots.cancel("qq:1") and not screenshots.cancel("qq:1")
    assert await Report.all().count() == 0


async def test_without_a_type_in_the_words_the_merchant_names_it(pool, blacklist, screenshots):
    shop = await verified_shop(blacklist, "qq:1", "截图店")
    screenshots.worker.reading = Reading(
        platform=None, buyers=(FoundBuyer("jd_buyer2024", "label"),), orders=("298765432109",), lines=8
    )
    shot = await screenshots.read(b"order page", Platform.jd, "qq:1")
    screenshots.propose("qq:1", shop, shot)
    with pytest.raises(BadInput) as refused:
        await screenshots.confirm("qq:1", shop)
    assert refused.value.code == "screenshots.type_missing"
    confirmed = await screenshots.confirm("qq:1", shop, "恶意退货")
    assert confirmed.filing.category is Category.return_fraud and confirmed.filing.platform is Platform.jd


async def test_extortion_read_from_a_screenshot_is_a_red_flag_in_the_verdict(pool, blacklist, screenshots):
    shot = await screenshots.read(b"chat", Platform.taobao, "qq:1")
    (result,) = await screenshots.check(shot, "qq:1", None)
    assert {f.code for f in result.verdict.flags} == {"demands_money", "move_to_qq"}
    assert result.verdict.score >= 90  # 索要改评费 (0.9) and 要求转到 QQ (0.3), no report yet
    screenshots.worker.reading = Reading(platform=None, lines=3)
    with pytest.raises(BadInput) as refused:
        await screenshots.check(await screenshots.read(b"meme", Platform.taobao), "qq:1", None)
    assert refused.value.code == "screenshots.no_buyer"


async def test_one_picture_at_a_time_per_account(pool, blacklist, screenshots):
    import asyncio

    gate = asyncio.Event()
    stand_in = screenshots.worker

    async def slow(data: bytes, platform: Platform | None = None) -> Reading:
        await gate.wait()
        return EXTORTION

    stand_in.read = slow
    first = asyncio.create_task(screenshots.read(b"one", Platform.taobao, "qq:1"))
    await asyncio.sleep(0)
    with pytest.raises(Limited):
        await screenshots.read(b"two", Platform.taobao, "qq:1")
    other = asyncio.create_task(screenshots.read(b"three", Platform.taobao, "qq:2"))  # someone else may
    gate.set()
    assert (await first).reading is (await other).reading is EXTORTION
    assert (await screenshots.read(b"four", Platform.taobao, "qq:1")).reading is EXTORTION
