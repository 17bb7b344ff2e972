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
    "taobao": (fx.taobao, "ExportOrderList202611.csv", "淘宝/天猫订单导出（ExportOrderList）"),
    "qianniu": (fx.qianniu, "千牛订单报表.xlsx", "千牛订单报表（多工作表）"),
    "pdd": (fx.pinduoduo, "拼多多订单.csv", "拼多多订单导出"),
    "jd": (fx.jd, "京东订单.csv", "京东订单导出"),
    "douyin": (fx.douyin, "抖店订单.csv", "抖店订单导出"),
}


# What each file must come to against the pool planted below.
EXPECTED: dict[str, dict[str, Any]] = {
    "taobao": {"platform": "taobao", "rows": 4, "matched": {"account": 1, "phone": 1, "address": 1}, "damaged": 1},
    "qianniu": {"platform": "taobao", "rows": 3, "matched": {"account": 1, "phone": 1, "address": 0}, "damaged": 0},
    "pdd": {"platform": "pdd", "rows": 3, "matched": {"account": 0, "phone": 0, "address": 1}, "damaged": 0},
    "jd": {"platform": "jd", "rows": 2, "matched": {"account": 1, "phone": 0, "address": 1}, "damaged": 0},
    "douyin": {"platform": "douyin", "rows": 2, "matched": {"account": 0, "phone": 1, "address": 0}, "damaged": 0},
}


async def plant(blacklist) -> None:
    """The pool: an account on Taobao and one on JD, a phone and an address, each
    reported by a verified shop."""
    shop = await verified_shop(blacklist, "qq:1", "甲店")
    await blacklist.report(shop, parse_report("tb_known 差评师 3720000000000001"))
    await blacklist.report(shop, parse_report(f"someone_else 恶意退货 3720000000000002 手机:{fx.KNOWN_PHONE}"))
    await blacklist.report(shop, parse_report(f'addr_owner 恶拍 3720000000000003 地址:"{fx.KNOWN_ADDRESS}"'))
    await blacklist.report(shop, parse_report("京东 jd_known 差评师 3720000000000004"))


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
    # No masked or encrypted value was hashed as if it were real.
    for value in fingerprinter.hashed:
        assert not any(hidden in value for hidden in (*fx.HIDDEN, "*", "##", "$$")), value
    text = summary(result, 50)
    assert f"，{label}，共 {expected['rows']} 笔订单" in text
    assert (
        f"按买家账号 {expected['matched']['account']} 笔，按手机号 {expected['matched']['phone']} 笔，"
        f"按收货地址 {expected['matched']['address']} 笔"
    ) in text
    if name in ("pdd", "douyin"):
        assert "本文件没有买家账号，只按地址和订单特征筛查" in text
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
