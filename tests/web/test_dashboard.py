"""The dashboard in a real headless browser (tests/web/conftest.py: Debian's chromium
driven by Playwright, against the real server on a loopback port)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp import ClientSession

from bot.commands.grammar import parse_report
from bot.storage.models.reports import Report
from tests.conftest import verified_shop
from tests.export_fixtures import EXPORT
from tests.web.conftest import log_in, screen_in_browser


async def test_a_merchant_logs_in_retracts_and_screens_an_export(served, browser, tmp_path: Path):
    base, services = served
    blacklist = services.blacklist
    shop = await verified_shop(blacklist, "qq:1", "甲店")
    await blacklist.report(shop, parse_report("tb_bad 差评师 3720000000000009 30 手机:13912345678"))
    await blacklist.report(shop, parse_report("tb_other 恶意退货 3720000000000010"))
    token = await services.access.login_token("qq:1")

    page = await browser.new_page()
    # Without a session: the way to log in, nothing else.
    await page.goto(f"{base}/")
    assert "请先登录" in await page.inner_text("main")

    await log_in(page, base, token)
    assert "【淘宝】甲店" in await page.inner_text("#shop")
    table = await page.inner_text("#reports")
    assert "tb_bad" in table and "tb_other" in table and "139****5678" in table and "13912345678" not in table
    cookie = next(c for c in await page.context.cookies() if c["name"] == "shop_guard_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"

    # The link is single use: a second visit (another browser) is refused.
    other = await browser.new_page()
    await log_in(other, base, token)
    assert "登录链接无效、已经用过或已过期" in await other.inner_text("main")

    first = await Report.get(buyer__buyer_key="tb_other")
    await page.click(f"#report-{first.id} button")
    assert "已撤回" in await page.inner_text("#notice")
    assert "已撤回" in await page.inner_text(f"#report-{first.id} .state")
    assert (await Report.get(id=first.id)).state == "retracted"

    # A form without the session's CSRF token is refused.
    async with ClientSession(cookies={cookie["name"]: cookie["value"]}) as client:
        response = await client.post(f"{base}/reports/{(await Report.get(buyer__buyer_key='tb_bad')).id}/retract")
        assert response.status == 403 and "表单已过期" in await response.text()
    assert (await Report.get(buyer__buyer_key="tb_bad")).state == "active"

    await page.click("#rotate-key")
    key = (await page.inner_text("#new-key")).strip()
    assert key.startswith("sg_") and await services.access.shop_for_key(key) is not None

    export = tmp_path / "订单.csv"
    export.write_bytes(EXPORT)
    await screen_in_browser(page, base, export)
    rows = await page.inner_text("#top tbody")
    assert "tb_bad" in rows and "13912345678" not in rows
    assert "完成" in await page.inner_text("#status")
    # Sorting by a column header reorders the rows in the page.
    await page.click("th[data-key='score']")
    scores = [int(s) for s in await page.locator("#top tbody tr td:nth-child(3)").all_inner_texts()]
    assert scores == sorted(scores)
    download = await page.request.get(f"{base}/screen/{page.url.rsplit('/', 1)[1]}/result.csv")
    assert download.ok and "tb_bad" in (await download.text())


async def test_checking_a_batch_and_the_public_appeal(served, browser):
    base, services = served
    blacklist = services.blacklist
    a = await verified_shop(blacklist, "qq:1", "甲店")
    b = await verified_shop(blacklist, "qq:2", "乙店")
    for shop, order in ((a, "3720000000000001"), (b, "3720000000000002")):
        await blacklist.report(shop, parse_report(f"tb_bad 差评师 {order}"))
    page = await browser.new_page()
    await log_in(page, base, await services.access.login_token("qq:1"))
    await page.goto(f"{base}/check")
    await page.fill("#buyers", "tb_bad\n拼多多 someone\n<script>alert(1)</script>")
    await page.click("#check")
    message = await page.inner_text("main")
    # A line that is not a buyer id is refused with the chat's words, shown as text.
    assert "买家ID里有不支持的字符" in message
    await page.goto(f"{base}/check")
    await page.fill("#buyers", "tb_bad\n拼多多 someone")
    await page.click("#check")
    results = await page.inner_text("#results")
    assert "淘宝 tb_bad" in results and "高风险" in results and "拼多多 someone" in results and "无记录" in results

    # The public appeal form needs no login.
    visitor = await browser.new_page()
    await visitor.goto(f"{base}/appeal")
    await visitor.fill("input[name=buyer_id]", "tb_bad")
    await visitor.fill("textarea[name=reason]", "两笔订单都已经确认收货，没有要过钱")
    await visitor.click("#submit-appeal")
    assert "已收到申诉 #" in await visitor.inner_text("#opened")
    await asyncio.sleep(0)


async def test_a_verified_owner_adds_and_removes_a_robot_seeing_only_its_mask(served, browser):
    base, services = served
    await verified_shop(services.blacklist, "qq:3", "丙店")
    page = await browser.new_page()
    await log_in(page, base, await services.access.login_token("qq:3"))
    await page.goto(f"{base}/robots")
    token = "0a1b2c3d-4e5f-6789-abcd-ef0123456789"
    await page.fill("input[name=address]", f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={token}")
    await page.fill("input[name=digest]", "20:30")
    await page.click("text=保存")
    shown = await page.inner_text("main")
    assert "已登记企业微信机器人 #1" in shown and "qyapi.weixin.qq.com/…6789" in shown and "20:30" in shown
    assert token not in await page.content()
    # An address on another host is refused with the chat's words.
    await page.goto(f"{base}/robots")
    await page.fill("input[name=address]", "http://10.0.0.1/hook")
    await page.click("text=保存")
    assert "只能推送到企业微信、钉钉或飞书的官方地址" in await page.inner_text("main")
    await page.goto(f"{base}/robots")
    await page.click("text=删除")
    assert "已删除企业微信机器人 #1" in await page.inner_text("main")
    assert await services.robots.visible("qq:3") == []
