"""The dashboard on a phone (390×844) and on a desktop, in Chromium: every page fits the
screen (wide tables scroll inside their box or become cards, never the page), every word
a merchant reads is Chinese, the 版主's pages are in a 版主's menu only, and the bulk check
names each line it could not read and keeps the pasted list.

Tried before: the 撤回 button off-screen, a table collapsed into a 4,319 px column,
statuses 「done」 and 「removed」, 审核 in every menu answering 403, and one unknown word
rejecting every line of a pasted list, which was lost."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.commands.grammar import parse_appeal, parse_report
from bot.storage.models.cases import JointCase
from bot.storage.models.reports import Report
from bot.trust.moderation import Actor
from tests.conftest import verified_shop
from tests.export_fixtures import EXPORT
from tests.web.conftest import log_in, screen_in_browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
# Stored values that once reached the page instead of their words.
STORED_WORDS = re.compile(
    r"\b(done|removed|active|retracted|suspended|open|upheld|pending|queued|running|joined|taobao|pdd|jd|douyin)\b"
)
LONG = "买家在旺旺里要求返现三十元改好评，" * 12


async def fits(page, name: str, shots: Path) -> str:
    """The page's text, after checking it is as wide as the screen and no taller than a
    screenful of content would make it (a collapsed column is thousands of pixels)."""
    await page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
    width, inner, height = await page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth, document.documentElement.scrollHeight]"
    )
    assert width <= inner, f"{name}: the page is {width} px wide on a {inner} px screen"
    assert height < 4000, f"{name}: the page is {height} px tall"
    text = await page.inner_text("body")
    assert not STORED_WORDS.search(text), f"{name}: {STORED_WORDS.search(text)}"
    return text


@pytest.fixture
async def pool_with_everything(served, tmp_path):
    """Three verified shops with orders on one buyer (a joint case), a long description,
    an open appeal, a finished screening: something on every page."""
    base, services = served
    blacklist = services.blacklist
    shops = [await verified_shop(blacklist, f"qq:{n}", f"店铺{n}号") for n in (11111, 22222, 33333)]
    for n, shop in enumerate(shops):
        await blacklist.report(shop, parse_report(f"tb_phone_case 差评敲诈 372000000000000{n} 30 {LONG}"))
    await blacklist.report(shops[0], parse_report("tb_someone_else 恶意退货 3720000000000099 手机:13912345678"))
    await services.appeals.open("qq:55555", parse_appeal("tb_phone_case " + LONG))
    case = await JointCase.get()
    for shop in shops[:2]:
        await services.joint.join(shop, case.id)
    await services.joint.add_evidence(shops[1], case.id, LONG, [])
    return base, services


@pytest.mark.parametrize("screen", [PHONE, DESKTOP], ids=["phone", "desktop"])
async def test_every_page_fits_the_screen_in_chinese(pool_with_everything, browser, tmp_path, screen):
    base, services = pool_with_everything
    shots = tmp_path / "shots"
    shots.mkdir()
    context = await browser.new_context(viewport=screen)
    page = await context.new_page()
    await log_in(page, base, await services.access.login_token("qq:11111"))

    home = await fits(page, "home", shots)
    # A merchant's menu has no 版主 pages.
    menu = await page.inner_text("header")
    assert "审核" not in menu and "群设置" not in menu and "查买家" in menu
    assert "有效" in home and "淘宝 tb_phone_case" in home
    # The 撤回 button is on the screen and works.
    report = await Report.get(buyer__buyer_key="tb_someone_else")
    button = page.locator(f"#report-{report.id} button")
    box = await button.bounding_box()
    assert box is not None and box["x"] + box["width"] <= screen["width"]
    await button.click()
    assert "已撤回" in await page.inner_text(f"#report-{report.id} .state")

    export = tmp_path / "订单.csv"
    export.write_bytes(EXPORT)
    await screen_in_browser(page, base, export)
    await fits(page, "screening", shots)
    await page.goto(f"{base}/screen")
    assert "已完成" in await fits(page, "screen", shots)

    case = await JointCase.get()
    await page.goto(f"{base}/cases/{case.id}")
    assert "店铺22222号" in await fits(page, "case_joined", shots)
    for name, path in (
        ("cases", "/cases"),
        ("case", f"/cases/{case.id}"),
        ("robots", "/robots"),
        ("appeal", "/appeal"),
    ):
        await page.goto(f"{base}{path}")
        await fits(page, name, shots)
    # The 版主's pages answer a merchant 403 (they are not offered to him either).
    response = await page.goto(f"{base}/review")
    assert response is not None and response.status == 403

    moderator = await context.new_page()
    await log_in(moderator, base, await services.access.login_token("qq:90000"))
    menu = await moderator.inner_text("header")
    assert "审核" in menu and "群设置" in menu
    await moderator.goto(f"{base}/review")
    listed = await fits(moderator, "review", shots)
    assert "tb_phone_case" not in listed or "#" in listed
    appeal_id = (await services.appeals.open_list(Actor("qq:90000")))[0].appeal.id
    await moderator.goto(f"{base}/review/{appeal_id}")
    assert "店铺11111号" in await fits(moderator, "appeal_view", shots)
    await moderator.goto(f"{base}/groups?group=700001")
    await fits(moderator, "group", shots)
    await context.close()


async def test_the_bulk_check_names_each_unreadable_line_and_keeps_the_list(pool_with_everything, browser):
    base, services = pool_with_everything
    context = await browser.new_context(viewport=PHONE)
    page = await context.new_page()
    await log_in(page, base, await services.access.login_token("qq:22222"))
    await page.goto(f"{base}/check")
    pasted = "tb_phone_case\n\n拼多多 someone\n😀😀😀\n京东 jd_fine\n<b>粗体</b>"
    await page.fill("#buyers", pasted)
    await page.click("#check")
    refused = await page.inner_text("#refused-lines")
    # Line numbers as the merchant counts them, blank lines included.
    assert "第 4 行「😀😀😀」" in refused and "买家ID里有不支持的字符" in refused
    assert "第 6 行" in refused and "第 1 行" not in refused and "第 3 行" not in refused
    results = await page.inner_text("#results")
    assert "淘宝 tb_phone_case" in results and "极高风险" in results
    assert "拼多多 someone" in results and "京东 jd_fine" in results
    assert await page.input_value("#buyers") == pasted
    # Too many lines: refused as a whole, with the list still there to cut down.
    many = "\n".join(f"tb_{n}" for n in range(201))
    await page.fill("#buyers", many)
    await page.click("#check")
    assert "200" in await page.inner_text("#check-error")
    assert await page.input_value("#buyers") == many
    await context.close()
