"""Order exports and group blacklists: reading, red flags from the file, screening against
the pool (SQLite and PostgreSQL), import and export. No chat."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest

from bot.commands.grammar import parse_bind, parse_report
from bot.errors import BadInput
from bot.identity.platforms import Platform
from bot.scoring.verdict import Level
from bot.screening.matching import screen
from bot.screening.pool_files import export_pool, import_blacklist
from bot.screening.results import ReasonLines, write_result
from bot.screening.rows import parse_orders
from bot.storage.models.reports import Report
from bot.storage.models.trust import Decision
from tests.conftest import verified_shop
from tests.export_fixtures import BLACKLIST, EXPORT


def flags_by_buyer(report):
    return {o.row.buyer_id: sorted(f.code for f in o.verdict.flags) for o in report.orders}


async def test_gbk_export_is_read_and_flags_come_from_the_file(pool, blacklist):
    report = await screen(EXPORT, "订单.csv", Platform.taobao, blacklist.fingerprinter, blacklist.clock())
    # A buyer cell that cannot be a buyer id ("坏人;DROP") leaves the row without a buyer,
    # screened by what else it has, not dropped.
    assert report.rows == 8 and report.skipped == [] and report.unreadable_buyers == 1
    flags = flags_by_buyer(report)
    assert flags["unpaid_guy"] == ["many_unpaid", "shared_identity"]
    assert flags["alias_b"] == ["shared_identity", "single_from_bundle"]
    assert flags["gift_hunter"] == ["gift_only", "phone_other_province", "remote_address"]  # 139… is a Jiangsu number
    assert flags["tb_bad"] == ["phone_other_province"]  # 138 1234 is Jiangsu, the address Zhejiang
    assert flags["normal"] == []  # a masked phone cannot be matched: no flag from it
    assert [o.row.buyer_id for o in report.flagged][:3] == ["unpaid_guy"] * 3


async def test_screening_finds_reported_buyers_and_linked_phones(pool, blacklist):
    a = await verified_shop(blacklist, "qq:1", "甲")
    b = await verified_shop(blacklist, "qq:2", "乙")
    await blacklist.report(a, parse_report("tb_bad 差评师 3720000000000101"))
    await blacklist.report(b, parse_report("tb_bad 差评师 3720000000000102"))
    await blacklist.report(a, parse_report("other_account 恶意退货 手机:13912345678"))
    report = await screen(EXPORT, "订单.csv", Platform.taobao, blacklist.fingerprinter, blacklist.clock())
    by_buyer = {o.row.buyer_id: o.verdict for o in report.orders}
    assert by_buyer["tb_bad"].level is Level.high and by_buyer["tb_bad"].shops == 2
    assert by_buyer["gift_hunter"].linked_shops == 1
    assert [x.buyer_id for x in by_buyer["gift_hunter"].linked_accounts] == ["other_account"]
    assert by_buyer["normal"].level is Level.none
    # Screening reads; it never writes reports.
    assert await Report.all().count() == 3


async def test_lookups_of_a_file_read_in_stretches_find_what_one_lookup_finds(pool, blacklist, monkeypatch):
    """On PostgreSQL the blacklist is asked about each stretch of the file while the next
    is read: a buyer, a phone and an address first seen in different stretches, or seen
    again in a later one, are all matched, and progress goes up to the whole file."""
    from bot.screening import matching

    a = await verified_shop(blacklist, "qq:1", "甲")
    b = await verified_shop(blacklist, "qq:2", "乙")
    await blacklist.report(a, parse_report("tb_bad 差评师 3720000000000101"))
    await blacklist.report(b, parse_report("tb_bad 差评师 3720000000000102"))
    await blacklist.report(a, parse_report("other_account 恶意退货 手机:13912345678"))
    await blacklist.report(b, parse_report("unpaid_guy 恶意下单 手机:13712345678"))
    now = blacklist.clock()
    whole = await screen(EXPORT, "订单.csv", Platform.taobao, blacklist.fingerprinter, now)

    monkeypatch.setattr(matching, "KEYS_EVERY", 2)
    monkeypatch.setattr(matching, "database_in_process", lambda: False)
    seen: list[tuple[str, int, int]] = []
    stretched = await screen(
        EXPORT, "订单.csv", Platform.taobao, blacklist.fingerprinter, now, lambda *step: seen.append(step)
    )
    verdicts = [(o.row.order_no, o.verdict) for o in stretched.orders]
    assert verdicts == [(o.row.order_no, o.verdict) for o in whole.orders]
    assert stretched.matched == whole.matched == {"account": 4, "phone": 2}
    by_buyer = {o.row.buyer_id: o.verdict for o in stretched.orders}
    assert by_buyer["tb_bad"].shops == 2 and by_buyer["gift_hunter"].linked_shops == 1
    assert by_buyer["alias_b"].linked_shops == 1  # unpaid_guy's phone, first seen two stretches earlier
    reading = [(done, total) for stage, done, total in seen if stage == "reading"]
    assert reading == [(2, 8), (4, 8), (6, 8), (8, 8)]


async def test_result_file_has_masks_never_phones(blacklist, tmp_path):
    report = await screen(EXPORT, "订单.csv", Platform.taobao, blacklist.fingerprinter, blacklist.clock())
    path = tmp_path / "订单.screened.csv"
    write_result(report, path, ReasonLines())
    text = path.read_text(encoding="utf-8-sig")
    assert "13812345678" not in text and "13712345678" not in text and "文三路" not in text
    rows = list(csv.DictReader(io.StringIO(text)))
    unpaid = next(r for r in rows if r["买家"] == "unpaid_guy")
    assert unpaid["等级"] == "需警惕" and "多笔订单未付款" in unpaid["理由"] and unpaid["手机（打码）"] == "137****5678"
    assert unpaid["收货地（省市）"] == "广东省深圳市"


async def test_order_numbers_that_are_phone_numbers_are_masked_in_the_result(blacklist, tmp_path):
    data = (
        "订单编号,买家会员名\n"
        "13812345678,a\n8613912345678,b\n008613712345678,c\n１３６１２３４５６７８,d\n"
        "3720000000000001,e\n23112012345678,f\n"
    ).encode()
    report = await screen(data, "订单.csv", Platform.taobao, blacklist.fingerprinter, blacklist.clock())
    path = tmp_path / "订单.screened.csv"
    write_result(report, path, ReasonLines())
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 only with its byte-order mark
    orders = {row["买家"]: row["订单编号"] for row in csv.DictReader(io.StringIO(raw.decode("utf-8-sig")))}
    for buyer, digits in (("a", "12345678"), ("b", "12345678"), ("c", "12345678"), ("d", "１２３４５６７８")):
        assert digits not in orders[buyer] and "****" in orders[buyer], orders
    assert orders["e"] == "3720000000000001" and orders["f"] == "23112012345678"


def test_pinduoduo_style_columns_with_separate_province(blacklist):
    data = (
        "订单号,买家昵称,用户实付金额,订单状态,省,市,区,详细地址,收货人手机号,商品名称,商品数量\n"
        "231120-1234567,pdd_user,9.9,待发货,西藏自治区,拉萨市,城关区,北京中路1号,13812345678,小样,1\n"
    )
    parsed = parse_orders(data.encode(), "pdd.csv", blacklist.fingerprinter)
    orders = parsed.orders
    assert (
        parsed.skipped == [] and orders[0].address_province == "西藏" and orders[0].address_mask == "西藏自治区拉萨市"
    )


def test_excel_unicode_text_is_read(blacklist):
    """Excel's "Unicode 文本" save: UTF-16 with a byte-order mark, tab-separated."""
    data = "订单编号\t买家会员名\t联系手机\r\n3720000000000001\ttb_utf16\t13812345678\r\n".encode("utf-16")
    orders = parse_orders(data, "订单.txt", blacklist.fingerprinter).orders
    assert [(o.order_no, o.buyer_id, o.phone_mask) for o in orders] == [("3720000000000001", "tb_utf16", "138****5678")]


def test_short_rows_and_a_bare_export_are_read(blacklist):
    """Exports cut trailing empty cells, and some have only the order and buyer columns:
    the missing cells read as blank, nothing is shifted, rows without an order number
    are listed with their line, and a row without a buyer is screened by what it has."""
    data = (
        "订单编号,买家会员名,联系手机,收货地址,宝贝总数量\n"
        "1001,short_row,13812345678\n"
        "1002,full_row,13712345678,广东省深圳市南山区1号,2\n"
        ",no_order,13712345678\n"
        "1004\n"
    )
    parsed = parse_orders(data.encode(), "a.csv", blacklist.fingerprinter)
    short, full, no_buyer = parsed.orders
    assert (short.buyer_id, short.phone_mask, short.address_digest, short.quantity) == (
        "short_row",
        "138****5678",
        None,
        None,
    )
    assert (full.address_mask, full.quantity) == ("广东省深圳市", 2)
    assert parsed.skipped == [(4, "订单编号为空")]
    assert (no_buyer.order_no, no_buyer.buyer_id) == ("1004", "")

    bare = parse_orders("订单编号,买家会员名\n1001,only_two\n".encode(), "b.csv", blacklist.fingerprinter)
    (first,) = bare.orders
    assert (first.buyer_id, first.phone_digest, first.titles, first.unpaid) == ("only_two", None, ("",), False)
    assert {c.key for c in bare.missing_optional} == {"status", "address", "phone", "title", "quantity"}


@pytest.mark.parametrize(
    ("data", "name", "template"),
    [
        (b"", "a.csv", "sheets.empty"),
        ("买家会员名,金额\nx,1\n".encode(), "a.csv", "sheets.missing_columns"),  # no order number
        (b"\x81\x00\xff" * 10, "a.csv", "sheets.encoding"),
        (b"\xff\xfe" + b"\x00\xd8" * 10, "a.txt", "sheets.encoding"),  # UTF-16 with lone surrogates
        (b"x" * (50 * 1024 * 1024 + 1), "a.csv", "sheets.too_large"),
        (b"PK\x03\x04" + b"x" * (15 * 1024 * 1024), "a.xlsx", "sheets.too_large"),
        (b"abc", "a.pdf", "sheets.unsupported"),
        (b"PK\x03\x04broken", "a.xlsx", "sheets.unreadable"),
    ],
)
def test_bad_files_get_a_clear_error(blacklist, data, name, template):
    with pytest.raises(BadInput) as caught:
        parse_orders(data, name, blacklist.fingerprinter)
    assert caught.value.code == template


def test_missing_column_error_names_it_and_shows_what_was_found(blacklist):
    from bot.messaging.render import render

    with pytest.raises(BadInput) as caught:
        parse_orders("买家会员名,金额\nx,1\n".encode(), "a.csv", blacklist.fingerprinter)
    text = render(caught.value.template, **caught.value.context)
    assert "缺少必需的列：「订单编号」" in text and "文件里找到的列：买家会员名、金额" in text


def _xlsx(build) -> bytes:
    workbook = openpyxl.Workbook()
    build(workbook.active)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_is_read(blacklist):
    def build(sheet):
        sheet.append(["订单编号", "买家会员名", "订单状态"])
        sheet.append(["3720000000000001", "TB_X", "交易成功"])

    orders = parse_orders(_xlsx(build), "a.xlsx", blacklist.fingerprinter).orders
    assert [(o.order_no, o.buyer_id) for o in orders] == [("3720000000000001", "tb_x")]


def test_xlsx_numbers_and_a_table_that_starts_lower_are_read_as_typed(blacklist):
    """Excel keeps numbers as doubles: a phone typed as a number must not come back as
    13812345678.0, and row numbers are the sheet's even when the table starts at B3."""

    def build(sheet):
        sheet["B3"], sheet["C3"], sheet["D3"], sheet["E3"] = "订单编号", "买家会员名", "联系手机", "宝贝总数量"
        sheet["B4"], sheet["C4"], sheet["D4"], sheet["E4"] = 3720000000000001, "tb_x", 13812345678, 1
        sheet["B5"], sheet["C5"] = 3720000000000002, None
        sheet.parent.create_sheet("备注")["A1"] = "=1+1"  # a formula on another sheet is not read

    parsed = parse_orders(_xlsx(build), "a.xlsx", blacklist.fingerprinter)
    order, without_buyer = parsed.orders
    assert (order.line, order.order_no, order.phone_mask, order.quantity) == (4, "3720000000000001", "138****5678", 1)
    assert (without_buyer.line, without_buyer.buyer_id) == (5, "") and parsed.skipped == []


def test_xlsx_with_formulas_or_merged_headers_is_refused(blacklist):
    def formula(sheet):
        sheet.append(["订单编号", "买家会员名", "金额"])
        sheet.append(["3720000000000001", "tb_x", "=1+1"])

    def merged(sheet):
        sheet.append(["2026年11月订单", None, None])
        sheet.merge_cells("A1:C1")
        sheet.append(["订单编号", "买家会员名", "金额"])

    for build, template, cells in ((formula, "sheets.formula", "C2"), (merged, "sheets.merged_header", "A1:C1")):
        with pytest.raises(BadInput) as caught:
            parse_orders(_xlsx(build), "a.xlsx", blacklist.fingerprinter)
        assert caught.value.code == template
        assert caught.value.context.get("cell", caught.value.context.get("cells")) == cells


async def test_import_is_idempotent_and_reports_unreadable_rows(pool, blacklist):
    first = await import_blacklist(BLACKLIST, "群黑名单.csv", "某某群黑名单", blacklist)
    assert (first.rows, first.added, first.existing) == (6, 3, 0)
    assert first.unreadable == [(5, "买家ID为空"), (6, "不认识的平台「亚马逊」"), (7, "日期「昨天」看不懂")]
    again = await import_blacklist(BLACKLIST, "群黑名单.csv", "某某群黑名单", blacklist)
    assert (again.added, again.existing) == (0, 3)
    assert await Report.all().count() == 3 and await Decision.all().count() == 3
    bad2 = await Report.get(buyer__buyer_key="tb_bad2")
    assert bad2.category == "extortion" and bad2.description == "差评敲诈20元"
    assert bad2.created_at.isoformat().startswith("2026-09-14T16:00")  # 00:00 Beijing time
    assert (await Report.get(buyer__buyer_key="pdd_x").prefetch_related("buyer")).buyer.platform == "pdd"


async def test_export_is_masked(pool, blacklist, tmp_path: Path):
    a = (await blacklist.bind("qq:1", parse_bind("淘宝 甲"))).shop
    await blacklist.report(
        a, parse_report('tb_x 差评师 3720012345678901 30 说明 手机:13812345678 地址:"浙江省杭州市西湖区文三路1号"')
    )
    retracted = await blacklist.report(a, parse_report("tb_gone 黄牛"))
    await blacklist.retract(a, retracted.report.id)
    path = tmp_path / "pool.csv"
    assert await export_pool(path) == 1
    text = path.read_text(encoding="utf-8-sig")
    assert "13812345678" not in text and "文三路" not in text and "tb_gone" not in text
    row = next(csv.DictReader(io.StringIO(text)))
    assert (row["买家ID"], row["类型"], row["手机（打码）"], row["收货地（省市）"], row["金额"]) == (
        "tb_x",
        "差评敲诈",
        "138****5678",
        "浙江省杭州市",
        "30 元",
    )
