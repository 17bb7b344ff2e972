"""One verdict (issue #23): /查, the API's batch check and screening judge a buyer with
the same function, so the same buyer and clues give the same level, score and linked
accounts through every door."""

import csv
import io

from bot.commands.grammar import parse_check, parse_report
from bot.identity.platforms import Platform
from bot.scoring.verdict import Level
from bot.screening.matching import screen
from tests.conftest import verified_shop

PHONE = "13805710000"  # a 浙江 number: the order's address is in 浙江 too (no province flag)
ADDRESS = "浙江省杭州市西湖区文三路100号"


def _export(*rows: tuple[str, str, str, str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["订单编号", "买家会员名", "买家实际支付金额", "订单状态", "收货地址", "联系手机", "宝贝标题", "宝贝总数量"]
    )
    for order, buyer, address, phone in rows:
        writer.writerow([order, buyer, "29.90", "交易成功", address, phone, "保湿霜", "1"])
    return out.getvalue().encode("utf-8-sig")


async def _listed(blacklist):
    a = await verified_shop(blacklist, "qq:10001", "甲店")
    b = await verified_shop(blacklist, "qq:10002", "乙店")
    for shop, order in ((a, "3720000000000101"), (b, "3720000000000102")):
        await blacklist.report(shop, parse_report(f'old_acct 差评师 {order} 手机:{PHONE} 地址:"{ADDRESS}"'))
    return a


async def test_check_batch_and_screening_agree_on_a_buyer_linked_by_phone_and_address(pool, blacklist):
    asker = await _listed(blacklist)
    request = parse_check(f'new_acct 手机:{PHONE} 地址:"{ADDRESS}"')

    single = (await blacklist.check(request, asker.owner, asker)).verdict
    batch = (await blacklist.check_many([request], asker.owner, asker)).results[0].verdict
    report = await screen(
        _export(("3720000000000999", "new_acct", ADDRESS, PHONE)),
        "订单.csv",
        Platform.taobao,
        blacklist.fingerprinter,
        blacklist.clock(),
    )
    screened = report.orders[0].verdict

    # The file shows nothing of its own about this order: the three verdicts are one.
    assert [f.code for f in screened.flags] == [f.code for f in single.flags] == ["shared_identity"]
    for verdict in (batch, screened):
        assert (verdict.level, verdict.score) == (single.level, single.score) == (Level.high, 75)
        assert verdict.linked_accounts == single.linked_accounts
    # The linked account is named once, by its stronger tie.
    assert [(a.buyer_id, a.linked_by) for a in single.linked_accounts] == [("old_acct", "phone")]


async def test_a_listed_buyers_own_reports_link_its_other_accounts_in_every_door(pool, blacklist):
    """The buyer's own reports carry a phone that another listed account shares: /查 on
    the buyer alone (no clue) finds the other account, and so does screening."""
    asker = await _listed(blacklist)
    c = await verified_shop(blacklist, "qq:10003", "丙店")
    await blacklist.report(c, parse_report(f"same_person 恶意退货 3720000000000103 手机:{PHONE}"))

    single = (await blacklist.check(parse_check("same_person"), asker.owner, asker)).verdict
    batch = (await blacklist.check_many([parse_check("same_person")], asker.owner, asker)).results[0].verdict
    report = await screen(
        _export(("3720000000000998", "same_person", "", "")),
        "订单.csv",
        Platform.taobao,
        blacklist.fingerprinter,
        blacklist.clock(),
    )
    screened = report.orders[0].verdict
    assert [a.buyer_id for a in single.linked_accounts] == ["old_acct"]
    for verdict in (batch, screened):
        assert (verdict.level, verdict.score, verdict.linked_accounts) == (
            single.level,
            single.score,
            single.linked_accounts,
        )
    assert report.matched == {"account": 1}
