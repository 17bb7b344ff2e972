"""The files the bot writes, opened in Excel or WPS by merchants (issue 25: the pool export
wrote six cells beginning a formula, a shop named =HYPERLINK(…) among them; the
screening result five, =cmd|… as an order number and -2-3 as a buyer). Every cell from
anyone's input that a spreadsheet would read as a formula starts with OWASP's ' now;
the numbers the bot writes itself stay numbers."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from bot.commands.requests import BindRequest, ReportRequest
from bot.identity.platforms import Platform
from bot.screening.matching import screen
from bot.screening.pool_files import export_pool
from bot.screening.results import ReasonLines, write_result

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
HYPERLINK = '=HYPERLINK("http://e.cn","点击")'


def formula_cells(rows: list[list[str]]) -> list[str]:
    return [cell for row in rows for cell in row if cell.lstrip(" ").startswith(FORMULA_STARTS)]


def test_inert_marks_what_a_spreadsheet_would_compute_and_nothing_else():
    from bot.screening.sheets import inert

    for text in ("=1+1", "+1", "-2-3", "@SUM(1+1)", "\t=1", "\r=1", " =1", "＝1", "=cmd|' /C calc'!A0"):
        assert inert(text) == "'" + text, text
    for text in ("", "tb_x", "3720000000000001", "差评敲诈", "'=1", "138****5678", "1-2"):
        assert inert(text) == text, text


async def test_the_pool_export_writes_no_formula(pool, blacklist, tmp_path: Path):
    shop = (await blacklist.bind("qq:1", BindRequest.make(Platform.taobao, HYPERLINK))).shop
    for buyer, description in (
        ("-2-3", "=cmd|' /C calc'!A0"),
        ("@x", "+1+1"),
        ("tb_x", "-1 就是这样\n=1+1"),
        ("tb_y", "@SUM(1+1)"),
    ):
        request = ReportRequest.make(Platform.taobao, buyer, "差评师", description=description)
        await blacklist.report(shop, request)
    path = tmp_path / "pool.csv"
    assert await export_pool(path) == 4
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert formula_cells(rows[1:]) == []
    written = {row[2]: row for row in rows[1:]}
    assert written["'-2-3"][4] == "'" + HYPERLINK and written["'-2-3"][9] == "'=cmd|' /C calc'!A0"
    assert written["'@x"][9] == "'+1+1" and written["tb_y"][9] == "'@SUM(1+1)"
    # The bot's own cells as they were: the report number is a number.
    assert all(row[0].isdigit() for row in rows[1:])


async def test_the_screening_result_writes_no_formula(blacklist, tmp_path: Path):
    data = (
        "订单编号,买家会员名,联系手机,收货地址\n"
        "\"=cmd|' /C calc'!A0\",tb_a,13812345678,浙江省杭州市西湖区文三路1号\n"
        "3720000000000002,-2-3,,\n"
        "+1-2,tb_c,,\n"
        "@SUM(1+1),@x,,\n"
        '-1,tb_b,,"=HYPERLINK(""http://evil.example"",""x"")市"\n'
    ).encode()
    report = await screen(data, "订单.csv", Platform.taobao, blacklist.fingerprinter, blacklist.clock())
    path = tmp_path / "订单.screened.csv"
    write_result(report, path, ReasonLines())
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 6 and formula_cells(rows[1:]) == []
    by_order = {row[1]: row for row in rows[1:]}
    assert {"'=cmd|' /C calc'!A0", "'@SUM(1+1)", "'-1", "'+1-2"} <= set(by_order)
    assert by_order["3720000000000002"][2] == "'-2-3" and by_order["'@SUM(1+1)"][2] == "'@x"
    # The line and the score: numbers, as the bot writes them.
    assert all(row[0].isdigit() and row[4].isdigit() for row in rows[1:])
