"""Many shops at the same instant, on PostgreSQL (the shared-deployment database)."""

import asyncio

import pytest

from bot.commands.grammar import parse_bind, parse_check, parse_report
from bot.scoring.verdict import Level
from bot.storage.models.reports import Buyer, Report
from bot.storage.models.trust import Decision
from tests.conftest import verified_shop

pytestmark = pytest.mark.postgres


async def test_fifty_shops_report_one_buyer_at_once(postgres_pool, blacklist):
    shops = [await verified_shop(blacklist, f"qq:{n}", f"店{n}") for n in range(50)]

    filings = await asyncio.gather(
        *(blacklist.report(shop, parse_report(f"tb_target 差评师 37200123456{n:05d}")) for n, shop in enumerate(shops))
    )

    assert {f.outcome for f in filings} == {"new"}
    assert await Buyer.filter(buyer_key="tb_target").count() == 1
    assert await Report.all().count() == 50
    assert await Decision.all().count() == 50
    verdict = (await blacklist.check(parse_check("tb_target"))).verdict
    assert verdict.shops == 50 and verdict.level is Level.severe and verdict.score == 100


async def test_the_same_report_sent_twice_at_once_is_stored_once(postgres_pool, blacklist):
    shop = (await blacklist.bind("qq:1", parse_bind("淘宝 店"))).shop
    request = parse_report("tb_target 差评师 3720012345678901")
    filings = await asyncio.gather(*(blacklist.report(shop, request) for _ in range(10)))
    assert sorted(f.outcome for f in filings) == ["duplicate"] * 9 + ["new"]
    assert await Report.all().count() == 1 and await Decision.all().count() == 1


async def test_the_decision_log_chains_when_twenty_shops_report_at_once(postgres_pool, blacklist):
    """Each decision's "level before" is read in the transaction of its change, so the
    rows of one buyer, in order, chain: each "before" is the previous row's "after"
    (before the fix, twenty concurrent reports logged several 无记录 → 极高风险)."""
    shops = [await verified_shop(blacklist, f"qq:{n}", f"店{n}") for n in range(20)]
    filings = await asyncio.gather(
        *(blacklist.report(shop, parse_report(f"tb_chain 差评师 37200123457{n:05d}")) for n, shop in enumerate(shops))
    )
    rows = await Decision.all().order_by("id")
    assert len(rows) == 20
    assert rows[0].level_before == Level.none.value
    assert [r.level_before for r in rows[1:]] == [r.level_after for r in rows[:-1]]
    # What each merchant was told about "before" is what was logged for their report.
    told = {f.report.id: f.level_before.value for f in filings}
    assert {r.report_id: r.level_before for r in rows} == told
