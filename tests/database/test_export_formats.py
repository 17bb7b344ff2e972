"""The exports merchants really have (tests/export_fixtures.py), screened in the core,
through the command line and through an upload in chat: the recognised format, the
matches by account, phone and address, the honest summary lines, and no masked or
encrypted value ever hashed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot.commands.grammar import parse_report
from bot.identity.fingerprints import Fingerprinter
from bot.identity.platforms import Platform
from bot.screening.matching import screen
from bot.screening.results import ReasonLines, outcome, summary
from tests import export_fixtures as fx
from tests.conftest import SECRET, verified_shop


class SpyFingerprinter(Fingerprinter):
    """Records every value that is hashed."""

    def __init__(self, secret: bytes):
        super().__init__(secret)
        self.hashed: list[str] = []

    def digest(self, kind: str, value: str) -> str:
        self.hashed.append(value)
        return super().digest(kind, value)


FORMATS: dict[str, tuple[Callable[[], bytes], str, str]] = {
    # name: (fixture, file name, the label the summary names)
    **fx.FORMATS,
    "douyin_full": (fx.douyin_full, "抖店订单全量.csv", "抖店订单导出"),
    "pdd_2023": (fx.pinduoduo_2023, "拼多多订单2023.csv", "拼多多订单导出（2023 版，无收货人和详细地址）"),
    "taobao_report": (fx.taobao_report, "订单报表.csv", "淘宝/天猫订单报表（新版，含买家会员昵称）"),
    "wangdiantong": (fx.wangdiantong_orders, "旺店通订单.csv", "旺店通 ERP 订单导出"),
    "wangdiantong_items": (fx.wangdiantong_items, "旺店通订单明细.csv", "旺店通 ERP 订单导出"),
    "jushuitan": (fx.jushuitan, "聚水潭订单.csv", "聚水潭 ERP 订单导出"),
    "wanliniu": (fx.wanliniu, "万里牛订单.csv", "万里牛 ERP 订单导出"),
}


# What each file must come to against the pool planted below.
EXPECTED: dict[str, dict[str, Any]] = {
    **fx.EXPECTED,
    # 达人昵称 (tb_known, the influencer) is no buyer: no match by account.
    "douyin_full": {"platform": "douyin", "rows": 2, "matched": {"account": 0, "phone": 1, "address": 1}, "damaged": 0},
    # No receiver, no 详细地址: a 省市区街道 is too coarse to match on; the phone matches.
    "pdd_2023": {"platform": "pdd", "rows": 3, "matched": {"account": 0, "phone": 1, "address": 0}, "damaged": 0},
    # tb_known by its nickname (the member name is an opaque id); privacy numbers never match.
    "taobao_report": {
        "platform": "taobao",
        "rows": 3,
        "matched": {"account": 1, "phone": 0, "address": 1},
        "damaged": 0,
    },
    # tb_known on 淘宝 and pdd_known on 拼多多, each by its order's own platform; the two
    # item rows of one ERP order are one order.
    "wangdiantong": {
        "platform": "taobao",
        "rows": 3,
        "matched": {"account": 2, "phone": 1, "address": 0},
        "damaged": 0,
    },
    "wangdiantong_items": {
        "platform": "taobao",
        "rows": 2,
        "matched": {"account": 1, "phone": 0, "address": 1},
        "damaged": 0,
    },
    "jushuitan": {"platform": "taobao", "rows": 3, "matched": {"account": 2, "phone": 1, "address": 0}, "damaged": 0},
    # 3720000000000061|3720000000000062: two orders of tb_known.
    "wanliniu": {"platform": "taobao", "rows": 3, "matched": {"account": 2, "phone": 0, "address": 1}, "damaged": 0},
}


async def plant(blacklist) -> None:
    """The pool: an account on Taobao and one on JD, a phone and an address, each
    reported by a verified shop."""
    shop = await verified_shop(blacklist, "qq:1", "甲店")
    await blacklist.report(shop, parse_report("tb_known 差评师 3720000000000001"))
    await blacklist.report(shop, parse_report(f"someone_else 恶意退货 3720000000000002 手机:{fx.KNOWN_PHONE}"))
    await blacklist.report(shop, parse_report(f'addr_owner 恶拍 3720000000000003 地址:"{fx.KNOWN_ADDRESS}"'))
    await blacklist.report(shop, parse_report("京东 jd_known 差评师 3720000000000004"))
    await blacklist.report(shop, parse_report("拼多多 pdd_known 差评师 260517-607198974342200"))


@pytest.mark.parametrize("name", list(FORMATS))
async def test_each_real_export_shape_is_recognised_and_matched_honestly(pool, clock, name):
    fingerprinter = SpyFingerprinter(SECRET)
    from bot.blacklist.blacklist import Blacklist

    await plant(Blacklist(Fingerprinter(SECRET), clock))
    fixture, file_name, label = FORMATS[name]
    report = await screen(fixture(), file_name, Platform.taobao, fingerprinter, clock())
    result = outcome(report, ReasonLines(), 50)
    expected = EXPECTED[name]
    assert result["format"] == label
    assert (result["platform"], result["rows"], result["matched"], result["damaged"]) == (
        expected["platform"],
        expected["rows"],
        expected["matched"],
        expected["damaged"],
    ), result
    # No masked, encrypted or privacy number (nor a courier's phone) was hashed as if it
    # were the buyer's.
    for value in fingerprinter.hashed:
        assert not any(hidden in value for hidden in (*fx.HIDDEN, *fx.VIRTUAL, fx.COURIER_PHONE, "*", "##", "$$"))
    text = summary(result, 50)
    assert f"，{label}，共 {expected['rows']} 笔订单" in text
    assert (
        f"按买家账号 {expected['matched']['account']} 笔，按手机号 {expected['matched']['phone']} 笔，"
        f"按收货地址 {expected['matched']['address']} 笔"
    ) in text
    if name in ("pdd", "douyin", "douyin_full", "pdd_2023"):
        assert "本文件没有买家账号：按手机号、收货地址和订单本身筛查" in text and "/查 手机:<号码>" in text
    else:
        assert "本文件没有买家账号" not in text
    if name == "jd":
        assert "手机号都是打码或加密的" in text
    if name == "pdd":
        assert "文件里没有手机号" in text
    if name == "taobao":
        assert "有 1 行的订单编号被 Excel 改成了科学计数法" in text and "3.51531E+16" in str(result["skipped_examples"])


async def test_rows_of_one_order_are_one_order(pool, clock):
    fingerprinter = Fingerprinter(SECRET)
    jd = await screen(fx.jd(), "京东订单.csv", Platform.taobao, fingerprinter, clock())
    first = next(o for o in jd.orders if o.row.order_no == "300012345678")
    assert first.row.titles == ("手工皂", "洗脸巾") and first.row.quantity == 2
    douyin = await screen(fx.douyin(), "抖店订单.csv", Platform.taobao, fingerprinter, clock())
    # The gift was one sub-order of a normal order: the order is not gift-only.
    order = next(o for o in douyin.orders if o.row.order_no == "6923456789012345671")
    assert order.row.titles == ("手工皂", "【赠品】小样")
    assert "gift_only" not in {f.code for f in order.verdict.flags}


async def test_ordinary_patterns_are_not_alarms(pool, clock):
    """A phone from another province and an address shared by several accounts are
    ordinary (people work away from home; families, dormitories): together they stay at
    低风险 or below, and a pickup point or a campus is never "shared"."""
    header = "订单编号,买家会员名,订单状态,收货地址,联系手机,宝贝标题,宝贝总数量\n"
    rows = [
        # Two accounts at one flat, one with a Beijing phone: ordinary.
        "1001,family_a,交易成功,广东省深圳市南山区科技路12号3栋501,13800138000,手工皂,1",
        "1002,family_b,交易成功,广东省深圳市南山区科技路12号3栋501,13900139000,手工皂,1",
        # Five students at one campus pickup point.
        *(f"20{n},student_{n},交易成功,湖北省武汉市洪山区珞喻路1037号华中科技大学菜鸟驿站,1370000{n:04d},手工皂,1" for n in range(5)),
    ]  # fmt: skip
    report = await screen(
        (header + "\n".join(rows) + "\n").encode(), "a.csv", Platform.taobao, Fingerprinter(SECRET), clock()
    )
    by_buyer = {o.row.buyer_id: o.verdict for o in report.orders}
    assert all(v.level.rank <= 1 for v in by_buyer.values()), {k: (v.level, v.score) for k, v in by_buyer.items()}
    assert {f.code for f in by_buyer["family_a"].flags} == {"shared_address", "phone_other_province"}
    assert all("shared_address" not in {f.code for f in by_buyer[f"student_{n}"].flags} for n in range(5))
    assert report.flagged == []


def _outcome(report) -> dict[str, Any]:
    return outcome(report, ReasonLines(), 50)


async def test_privacy_numbers_are_counted_never_matched(pool, clock):
    """The newest Taobao report's phones sit beside 虚拟号过期时间: every one is a privacy
    number, with an extension or without (an 11-digit main number alone would otherwise
    be hashed as a real phone and link strangers); 抖店 writes 184…-7576. The merchant is
    told they cannot be matched, not that the file has no phones."""
    fingerprinter = SpyFingerprinter(SECRET)
    report = await screen(fx.taobao_report(), "订单报表.csv", Platform.taobao, fingerprinter, clock())
    result = _outcome(report)
    assert result["virtual_phones"] == 3 and result["phones"] == "virtual"
    text = summary(result, 50)
    assert "3 笔订单的手机号是隐私号（虚拟号），无法比对" in text and "文件里没有手机号" not in text
    assert not any(number in value for value in fingerprinter.hashed for number in fx.VIRTUAL)
    douyin = _outcome(await screen(fx.douyin_full(), "抖店.csv", Platform.douyin, fingerprinter, clock()))
    assert douyin["virtual_phones"] == 1 and douyin["phones"] == "readable"
    assert "1 笔订单的手机号是隐私号（虚拟号），无法比对" in summary(douyin, 50)


async def test_an_unreadable_buyer_cell_is_no_buyer_not_a_dropped_row(pool, clock):
    """The newest Taobao report's 买家会员名 may be an opaque id (with : = +): the nickname
    beside it names the buyer; with no nickname the row is screened by its phone, address
    and order, and the summary says how many."""
    report = await screen(fx.taobao_report(), "订单报表.csv", Platform.taobao, Fingerprinter(SECRET), clock())
    assert [(o.row.order_no, o.row.buyer_id) for o in report.orders] == [
        ("3720000000000071", "tb_known"),
        ("3720000000000072", ""),
        ("3720000000000073", "tb_plain_member"),
    ]
    assert report.skipped == [] and report.unreadable_buyers == 1
    assert "有 1 行的买家账号读不出来" in summary(_outcome(report), 50)


async def test_an_erp_export_judges_each_order_on_its_own_platform(pool, clock):
    """旺店通: the platform's number (原始单号), not the ERP's (订单编号), is the order; the
    region column joins the address; each order's platform comes from 订单来源, so that
    pdd_known is matched on 拼多多 and the summary counts the orders of each platform."""
    from bot.blacklist.blacklist import Blacklist

    await plant(Blacklist(Fingerprinter(SECRET), clock))
    report = await screen(fx.wangdiantong_orders(), "旺店通.csv", Platform.taobao, Fingerprinter(SECRET), clock())
    rows = {o.row.order_no: o for o in report.orders}
    assert set(rows) == {"3720000000000031", "260517-607198974342291", "3720000000000033"}
    assert rows["3720000000000031"].row.titles == ("手工皂", "洗脸巾")
    assert rows["260517-607198974342291"].row.platform == "pdd"
    assert rows["260517-607198974342291"].verdict.shops == 1
    assert rows["3720000000000031"].row.address_mask == "北京市"
    result = _outcome(report)
    assert result["platforms"] == {"淘宝": 2, "拼多多": 1}
    assert "订单来自：淘宝 2 笔、拼多多 1 笔" in summary(result, 50)
    # The item-level header set: the rows of one ERP order (订单编号) are one order.
    items = await screen(fx.wangdiantong_items(), "旺店通明细.csv", Platform.taobao, Fingerprinter(SECRET), clock())
    assert [(o.row.order_no, o.row.titles) for o in items.orders] == [
        ("3720000000000041", ("手工皂",)),
        ("3720000000000042", ("手工皂", "洗脸巾")),
    ]
    # 万里牛 ships two orders together: each is an order.
    wanliniu = await screen(fx.wanliniu(), "万里牛.csv", Platform.taobao, Fingerprinter(SECRET), clock())
    assert [o.row.order_no for o in wanliniu.orders][:2] == ["3720000000000061", "3720000000000062"]


async def test_pinduoduo_orders_under_review_are_pointed_out(pool, clock):
    report = await screen(fx.pinduoduo_2023(), "拼多多.csv", Platform.pdd, Fingerprinter(SECRET), clock())
    result = _outcome(report)
    assert result["under_review"] == 1
    assert "1 笔订单平台风控审核中，先别发货（例如订单 260517-607198974342302）" in summary(result, 50)


def test_an_item_report_is_refused_with_what_to_upload(blacklist):
    from bot.errors import BadInput
    from bot.messaging.render import explain
    from bot.screening.rows import parse_orders

    with pytest.raises(BadInput) as refused:
        parse_orders(fx.taobao_items(), "宝贝报表.csv", blacklist.fingerprinter)
    assert refused.value.code == "sheets.item_level"
    text = explain(refused.value, usage="")
    assert "商品（子订单）明细表" in text and "「订单报表」，不是「宝贝报表」" in text
