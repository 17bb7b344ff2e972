"""The blacklist core against a real database: each test runs on SQLite and PostgreSQL."""

from datetime import timedelta

import pytest

from bot.commands.grammar import parse_bind, parse_check, parse_report
from bot.errors import NotRegistered, Refused
from bot.messaging.render import render
from bot.scoring.verdict import Level
from bot.storage.models.reports import Buyer, Report
from bot.storage.models.trust import Decision
from tests.conftest import verify


async def shop(blacklist, owner, name=None, verified=True):
    """A shop of its own name; verified unless said otherwise (only verified shops'
    reports with an order number count towards 高风险: tests/test_trust.py)."""
    bound = (await blacklist.bind(owner, parse_bind(f"淘宝 {name or '店' + owner}"))).shop
    return await verify(bound) if verified else bound


async def test_bind_then_rename_keeps_one_shop(pool, blacklist):
    first = await blacklist.bind("qq:1", parse_bind("淘宝 小王"))
    again = await blacklist.bind("qq:1", parse_bind("拼多多 小王二店"))
    assert first.previous_name is None and again.previous_name == "小王"
    assert again.shop.id == first.shop.id
    assert (await blacklist.shop_of("qq:1")).name == "小王二店"


async def test_unregistered_owner_is_told_to_bind(pool, blacklist):
    with pytest.raises(NotRegistered):
        await blacklist.shop_of("qq:404")


async def test_report_is_stored_with_hashes_only(pool, blacklist):
    a = await shop(blacklist, "qq:1")
    filing = await blacklist.report(
        a,
        parse_report(
            'tb_x 差评师 3720012345678901 29.9 收货前差评 手机:13812345678 地址:"浙江省杭州市西湖区文三路100号"'
        ),
    )
    assert filing.outcome == "new" and filing.verdict.level is Level.watch and filing.verdict.score == 50
    row = await Report.get(id=filing.report.id)
    assert row.amount_fen == 2990 and row.order_no == "3720012345678901"
    assert row.phone_mask == "138****5678" and row.address_mask == "浙江省杭州市"
    stored = " ".join(str(v) for v in (await Report.filter(id=row.id).values())[0].values())
    assert "13812345678" not in stored and "文三路" not in stored
    decision = await Decision.get(report_id=row.id)
    assert (decision.kind, decision.level_before, decision.level_after, decision.score_after) == (
        "report",
        "无记录",
        "需警惕",
        50,
    )


async def test_same_order_twice_is_stored_once(pool, blacklist):
    a = await shop(blacklist, "qq:1")
    first = await blacklist.report(a, parse_report("tb_x 差评师 3720012345678901"))
    second = await blacklist.report(a, parse_report("TB_X 差评敲诈 3720012345678901 说法不同"))
    assert second.outcome == "duplicate" and second.report.id == first.report.id
    assert await Report.all().count() == 1
    assert await Decision.all().count() == 1


async def test_two_shops_make_high_risk_and_retraction_undoes_it(pool, blacklist):
    a, b = await shop(blacklist, "qq:1", "甲"), await shop(blacklist, "qq:2", "乙")
    await blacklist.report(a, parse_report("tb_x 差评师 3720000000000001"))
    filing = await blacklist.report(b, parse_report("tb_x 差评师 3720000000000002"))
    assert filing.verdict.level is Level.high and filing.verdict.shops == 2 and filing.level_before is Level.watch
    check = await blacklist.check(parse_check("TB_X"))
    assert check.verdict.level is Level.high and check.verdict.score == 75

    retraction = await blacklist.retract(b, filing.report.id)
    assert retraction.verdict.level is Level.watch and retraction.level_before is Level.high
    assert (await blacklist.check(parse_check("tb_x"))).verdict.level is Level.watch
    kinds = [d.kind for d in await Decision.all().order_by("id")]
    assert kinds == ["report", "report", "retract"]


async def test_only_own_reports_can_be_retracted(pool, blacklist):
    a, b = await shop(blacklist, "qq:1"), await shop(blacklist, "qq:2")
    filing = await blacklist.report(a, parse_report("tb_x 黄牛"))
    # Another shop's number and a number that does not exist get the same answer:
    # otherwise the difference tells which report numbers exist.
    with pytest.raises(Refused) as caught:
        await blacklist.retract(b, filing.report.id)
    theirs = caught.value
    with pytest.raises(Refused) as caught:
        await blacklist.retract(b, 999999)
    assert (theirs.code, caught.value.code) == ("report_not_found", "report_not_found")
    assert render(theirs.template, **theirs.context).replace(str(filing.report.id), "N") == render(
        caught.value.template, **caught.value.context
    ).replace("999999", "N")
    await blacklist.retract(a, filing.report.id)
    with pytest.raises(Refused) as caught:
        await blacklist.retract(a, filing.report.id)
    assert caught.value.code == "report_already_retracted"
    assert (await Report.get(id=filing.report.id)).retracted_at is not None


async def test_reporting_again_after_retraction_reactivates(pool, blacklist):
    a = await shop(blacklist, "qq:1")
    filing = await blacklist.report(a, parse_report("tb_x 差评师 3720012345678901"))
    await blacklist.retract(a, filing.report.id)
    again = await blacklist.report(a, parse_report("tb_x 差评师 3720012345678901 补充说明"))
    assert again.outcome == "reactivated" and again.report.id == filing.report.id
    assert again.verdict.level is Level.watch
    assert (await Report.get(id=filing.report.id)).description == "补充说明"


async def test_same_phone_links_accounts_across_platforms(pool, blacklist):
    a, b = await shop(blacklist, "qq:1"), await shop(blacklist, "qq:2")
    await blacklist.report(a, parse_report("淘宝 alias_one 差评师 3720000000000001 手机:13812345678"))
    await blacklist.report(b, parse_report("拼多多 alias_two 恶意退货 3720000000000002 手机:+8613812345678"))
    verdict = (await blacklist.check(parse_check("淘宝 alias_one"))).verdict
    assert verdict.shops == 2 and verdict.linked_shops == 1
    assert [(x.buyer_id, x.platform_label, x.linked_by) for x in verdict.linked_accounts] == [
        ("alias_two", "拼多多", "phone")
    ]
    # blacklist: 1 - (1 - 0.5) * (1 - 0.5 * 0.8 * 0.8) = 0.66; the shared phone is a
    # red flag of its own in a check (weight 0.3): 1 - 0.34 * 0.7 = 0.76
    assert verdict.blacklist_score == 66 and verdict.score == 76 and verdict.level is Level.high
    assert [f.code for f in verdict.flags] == ["shared_identity"]

    # A buyer nobody reported, checked with the same phone, is found through the hash.
    fresh = await blacklist.check(parse_check("淘宝 brand_new 手机:13812345678"))
    assert fresh.verdict.shops == 2 and fresh.verdict.linked_shops == 2
    assert [t.mask for t in fresh.clues] == ["138****5678"]
    assert await Buyer.filter(buyer_key="brand_new").count() == 0


async def test_old_reports_decay(pool, blacklist, clock):
    a, b = await shop(blacklist, "qq:1"), await shop(blacklist, "qq:2")
    await blacklist.report(a, parse_report("tb_x 差评师 3720000000000001"))
    await blacklist.report(b, parse_report("tb_x 差评师 3720000000000002"))
    clock.now += timedelta(days=360)
    verdict = (await blacklist.check(parse_check("tb_x"))).verdict
    # each shop 0.25: 1 - 0.875² = 0.234
    assert verdict.score == 23 and verdict.level is Level.low and verdict.last_reported_days == 360


async def test_refused_report_leaves_nothing_behind(pool, blacklist):
    a = await shop(blacklist, "qq:1")
    with pytest.raises(Refused):
        await blacklist.report(a, parse_report("tb_x 差评师 手机:12345"))
    assert await Report.all().count() == 0 and await Buyer.all().count() == 0


async def test_red_flags_fold_into_a_check(pool, blacklist):
    a = await verify(await shop(blacklist, "qq:1"))
    await blacklist.report(a, parse_report("tb_x 恶拍 3720000000000001"))
    verdict = (await blacklist.check(parse_check("tb_x 多单未付 指定快递"))).verdict
    # blacklist 35; flags 0.3 and 0.2: 1 - 0.65 * 0.7 * 0.8 = 0.636 — but one shop: 需警惕
    assert verdict.blacklist_score == 35 and verdict.score == 64 and verdict.level is Level.watch
    assert [f.code for f in verdict.flags] == ["many_unpaid", "forced_courier"]
    assert verdict.advice[:3] == ["unpaid", "paid", "flag_forced_courier"]
    # Flags are about the order at hand, never stored: the blacklist verdict is unchanged.
    assert (await blacklist.check(parse_check("tb_x"))).verdict.score == 35
    # An unverified shop's report is evidence, not score: the flags alone make the number.
    b = await shop(blacklist, "qq:2")
    await blacklist.report(b, parse_report("tb_y 恶拍"))
    verdict = (await blacklist.check(parse_check("tb_y 多单未付 指定快递"))).verdict
    assert (verdict.blacklist_score, verdict.score, verdict.evidence_score) == (0, 44, 64)
