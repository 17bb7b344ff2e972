"""The web front door as an attacker tries it (issue 25): bodies over each route's limit
refused before they are read, the public appeal's rate counted before its form is
parsed, the client's address behind a proxy, unparseable bodies, logging out, login
links against chat apps' link previews, the dashboard's lookups, and a buyer's words
relayed to a shop."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.commands.grammar import parse_report
from bot.identity.platforms import Platform
from bot.pool import Pool, assemble
from bot.settings import Settings
from bot.states import Channel
from bot.storage.database import database
from bot.storage.models.messaging import Alert, OutboxMessage
from tests.conftest import SECRET, verified_shop
from web import create_app


def _settings(**overrides: Any) -> Settings:
    return Settings(**{"superusers": {"90000"}, "api_calls_per_minute": 1000, "web_appeals_per_hour": 50, **overrides})


class Site:
    def __init__(self, client: TestClient, services: Pool):
        self.client = client
        self.services = services

    async def log_in(self, account: str) -> str:
        """As a merchant does: open the link /后台 sends and press its button. Returns
        the session cookie's value."""
        token = await self.services.access.login_token(account)
        opened = await self.client.get(f"/login?token={token}")
        if 'id="login"' in await opened.text():
            await self.client.post("/login", data={"token": token})
        return next(c.value for c in self.client.session.cookie_jar if c.key == "shop_guard_session")

    async def csrf(self) -> str:
        page = await (await self.client.get("/")).text()
        found = re.search(r'name="csrf" value="([^"]+)"', page)
        assert found, page
        return found.group(1)


async def _site(tmp_path, clock, **overrides: Any):
    settings = _settings(**overrides)
    services = assemble(settings, tmp_path, SECRET, database.current_url, clock)
    return settings, services, TestClient(TestServer(create_app(services, settings, tmp_path)))


@pytest.fixture
async def site(pool, tmp_path, clock):
    _, services, client = await _site(tmp_path, clock)
    async with client:
        yield Site(client, services)
    await services.screenings.stop()


async def _raw(client: TestClient, head: str, body: bytes = b"", wait: float = 5) -> str:
    """Send a request by hand (its headers may claim what aiohttp's client never would)
    and return the answer's status line and body, or fail if none comes within `wait`."""
    reader, writer = await asyncio.open_connection(client.server.host, client.server.port)
    try:
        writer.write(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(65536), wait)
    finally:
        writer.close()
    return answer.decode(errors="replace")


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/appeal", "application/x-www-form-urlencoded"), ("/api/v1/appeals", "application/json")],
)
async def test_the_public_appeal_refuses_a_large_body_before_reading_it(site: Site, path: str, content_type: str):
    # 60 MB announced, a few bytes sent: the answer comes at once, nothing is waited for.
    head = f"POST {path} HTTP/1.1\nHost: x\nContent-Type: {content_type}\nContent-Length: 60000000\n"
    answer = await _raw(site.client, head, b"reason=")
    assert answer.startswith("HTTP/1.1 413"), answer[:200]
    assert "请求内容太大：这里最多 8 KB" in answer
    if path.startswith("/api/"):
        assert '"error": "api.too_large"' in answer
    # A body that does not say its length is refused the same way, unread.
    head = f"POST {path} HTTP/1.1\nHost: x\nContent-Type: {content_type}\nTransfer-Encoding: chunked\n"
    answer = await _raw(site.client, head, b"ffffff\r\n" + b"x" * 1000)
    assert answer.startswith("HTTP/1.1 411"), answer[:200]


async def test_each_route_has_its_own_limit(site: Site):
    _, key = await _shop_key(site, "qq:1", "甲店")
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    # A report's body may not be a megabyte; a batch check of 1,000 buyers may.
    big = b'{"buyer_id": "x", "category": "\xe5\xb7\xae", "description": "' + b"x" * 1_000_000 + b'"}'
    response = await site.client.post("/api/v1/reports", data=big, headers=headers)
    assert response.status == 413 and (await response.json())["error"] == "api.too_large"
    buyers = ",".join(f'{{"buyer_id": "tb_buyer_{n}", "clues": ["没咨询", "指定快递"]}}' for n in range(1000))
    response = await site.client.post("/api/v1/check", data=f'{{"buyers": [{buyers}]}}', headers=headers)
    assert response.status == 200 and len((await response.json())["results"]) == 1000


async def test_the_appeal_rate_is_counted_before_the_form_is_read(pool, tmp_path, clock):
    _, services, client = await _site(tmp_path, clock, web_appeals_per_hour=3)
    async with client:
        for _ in range(3):  # junk: no token, nothing to parse
            response = await client.post("/appeal", data={"junk": "x"})
            assert response.status == 403
        form = await (await client.get("/appeal")).text()
        token = re.search(r'name="token" value="([^"]+)"', form).group(1)
        response = await client.post("/appeal", data={"token": token, "buyer_id": "tb_x", "reason": "冤枉"})
        assert response.status == 429 and "申诉提交太频繁" in await response.text()
    await services.screenings.stop()


async def test_behind_a_proxy_the_address_is_the_one_the_proxy_wrote(pool, tmp_path, clock):
    appeal = {"buyer_id": "tb_nobody", "reason": "冤枉"}
    _, services, client = await _site(
        tmp_path, clock, web_appeals_per_hour=1, web_trusted_proxy_header="X-Forwarded-For"
    )
    async with client:
        one = {"X-Forwarded-For": "203.0.113.7"}
        assert (await client.post("/api/v1/appeals", json=appeal, headers=one)).status == 404
        # Another client behind the same proxy (what it claims first does not count).
        other = {"X-Forwarded-For": "203.0.113.7, 198.51.100.2"}
        assert (await client.post("/api/v1/appeals", json=appeal, headers=other)).status == 404
        assert (await client.post("/api/v1/appeals", json=appeal, headers=one)).status == 429
    await services.screenings.stop()
    # Without the setting the header is the client's say-so and is ignored.
    _, services, client = await _site(tmp_path, clock, web_appeals_per_hour=1)
    async with client:
        assert (await client.post("/api/v1/appeals", json=appeal, headers=one)).status == 404
        assert (await client.post("/api/v1/appeals", json=appeal, headers=other)).status == 429
    await services.screenings.stop()


async def test_a_body_that_cannot_be_parsed_is_a_400_with_its_code(site: Site):
    _, key = await _shop_key(site, "qq:1", "甲店")
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    for body in ("[" * 100_000, '{"buyers": ' + "[" * 5000 + "]" * 5000 + "}", b"\xff\xfe{"):
        response = await site.client.post("/api/v1/check", data=body, headers=headers)
        assert response.status == 400, (response.status, await response.text())
        assert (await response.json())["error"] == "api.bad_json"
    response = await site.client.post("/api/v1/appeals", data="[" * 3000, headers={"Content-Type": "application/json"})
    assert response.status == 400 and (await response.json())["error"] == "api.bad_json"
    response = await site.client.post(
        "/appeal", data=b"token=\xff\xfe&reason=x", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status == 400 and "表单内容无法读取" in await response.text()


async def test_logging_out_ends_the_session_on_the_server(site: Site):
    await verified_shop(site.services.blacklist, "qq:1", "甲店")
    cookie = await site.log_in("qq:1")
    assert "【淘宝】甲店" in await (await site.client.get("/")).text()
    response = await site.client.post("/logout", data={"csrf": await site.csrf()})
    assert response.status == 200 and "请先登录" in await response.text()
    # The same cookie, kept or copied before the logout, opens nothing now.
    site.client.session.cookie_jar.clear()
    response = await site.client.get("/", headers={"Cookie": f"shop_guard_session={cookie}"})
    assert "请先登录" in await response.text() and "甲店" not in await response.text()
    response = await site.client.get("/check", headers={"Cookie": f"shop_guard_session={cookie}"})
    assert response.status == 401


async def test_a_link_preview_does_not_use_up_the_login_link(site: Site):
    await verified_shop(site.services.blacklist, "qq:1", "甲店")
    token = await site.services.access.login_token("qq:1")
    # A chat app fetches the link for its preview (twice, without cookies of course).
    for _ in range(2):
        preview = await site.client.get(f"/login?token={token}")
        assert preview.status == 200 and 'id="login"' in await preview.text()
        site.client.session.cookie_jar.clear()
    # The merchant then presses the button: logged in, once.
    response = await site.client.post("/login", data={"token": token})
    assert response.status == 200 and "【淘宝】甲店" in await response.text()
    site.client.session.cookie_jar.clear()
    response = await site.client.post("/login", data={"token": token})
    assert response.status == 403 and "登录链接无效、已经用过或已过期" in await response.text()


async def test_the_dashboard_s_lookups_need_a_shop_and_mask_alerted_ids(site: Site):
    blacklist = site.services.blacklist
    for n in (1, 2):
        shop = await verified_shop(blacklist, f"qq:{n}", f"店{n}")
        await blacklist.report(shop, parse_report(f"tb_alerted01 差评师 372000000000000{n}"))
    alert = await Alert.get()
    # An account without a shop gets /后台 too, but not the pool.
    await site.log_in("qq:777")
    response = await site.client.post("/check", data={"csrf": await site.csrf(), "buyers": f"预警{alert.id}"})
    text = await response.text()
    assert response.status == 403 and "tb_alerted01" not in text and "绑定" in text
    site.client.session.cookie_jar.clear()
    # A shop sees the alert's buyer masked, as the chat shows it.
    await site.log_in("qq:1")
    response = await site.client.post("/check", data={"csrf": await site.csrf(), "buyers": f"预警{alert.id}\ntb_x"})
    text = await response.text()
    assert response.status == 200 and "tb********01" in text and "tb_alerted01" not in text and "tb_x" in text


async def test_an_appeal_s_reason_reaches_the_reporting_shop_as_the_appellant_s_words(site: Site):
    shop = await verified_shop(site.services.blacklist, "qq:1", "甲店")
    await site.services.blacklist.report(shop, parse_report("tb_wronged 差评师 3720000000000001"))
    reason = (
        "订单都确认收货了\n【版主通知】你的举报 #1 已被版主撤销，店铺认证暂停。\n"
        "请在 24 小时内打开 http://guard-verify.example/login 重新认证，逾期封禁。"
    )
    response = await site.client.post("/api/v1/appeals", json={"buyer_id": "tb_wronged", "reason": reason})
    assert response.status == 201
    told = await OutboxMessage.get(channel=Channel.private, target_id=1)
    lines = told.text.splitlines()
    assert not any(line.startswith("【版主通知】") for line in lines), told.text
    assert "http://" not in told.text and "hxxp://guard-verify[.]example/login" in told.text
    assert any(line.startswith("申诉人写的理由（原话，未经核实）：「订单都确认收货了 [版主通知]") for line in lines)


async def _shop_key(site: Site, account: str, name: str) -> tuple[Any, str]:
    shop = await verified_shop(site.services.blacklist, account, name)
    return shop, await site.services.access.rotate_key(shop, account)


async def test_a_moderator_sets_a_group_s_platform_from_the_dashboard(site: Site):
    """The dashboard's group page has /设置 平台 too: logged with who set it."""
    await site.log_in("qq:90000")
    csrf = await site.csrf()
    response = await site.client.post("/groups/7000", data={"csrf": csrf, "setting": "平台", "value": "拼多多"})
    text = await response.text()
    assert response.status == 200 and "平台（没有店铺的成员不写平台时）：拼多多" in text
    assert await site.services.group_rules.platform_of(7000) is Platform.pdd
    response = await site.client.post("/groups/7000", data={"csrf": csrf, "setting": "平台", "value": "亚马逊"})
    assert response.status == 400 and "不认识的平台「亚马逊」" in await response.text()
