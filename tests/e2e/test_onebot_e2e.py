"""End to end over a real OneBot v11 forward WebSocket (the QQ client played by
tests/onebot_client.py).

The test plays the QQ client's side (what NapCat / Lagrange do): it serves the
WebSocket, the bot is started as a separate process with `python -m bot` exactly as the
README says, connects, receives group messages and answers them through `send_msg`.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp

from tests.onebot_client import GROUP_ID, MODERATOR, SELF_ID, running_bot


async def test_bind_report_check_over_onebot_websocket(tmp_path: Path, unused_tcp_port_factory):
    log_path = tmp_path / "bot.log"
    web_port = unused_tcp_port_factory()
    async with running_bot(tmp_path, unused_tcp_port_factory(), web_port) as client:
        assert "已订阅" in await client.say("/订阅 23:59", user_id=MODERATOR, role="admin")
        assert "已绑定店铺：【淘宝】甲店" in await client.say("/绑定 淘宝 甲店", user_id=100001)
        assert "已绑定店铺：【拼多多】乙店" in await client.say("/bind pdd 乙店", user_id=100002)
        # A second account cannot pass for the same shop under the same name.
        assert "已经有店铺绑定了" in await client.say("/绑定 淘宝 甲店", user_id=100004)
        # The moderator (a superuser) verifies both shops.
        for user in (100001, 100002):
            assert "已认证" in await client.say(f"/认证 {user}", user_id=MODERATOR)

        reply = await client.say(
            "/举报 淘宝 e2e_buyer 差评师 3720012345678901 20 要20元改评 手机:13912345678", user_id=100001
        )
        assert "已收到举报 #" in reply and "需警惕（50/100）" in reply and "139****5678" in reply
        assert "13912345678" not in reply
        reply = await client.say("/report 淘宝 e2e_buyer 恶意退货 3720012345678999", user_id=100002)
        assert "该买家现在：高风险" in reply

        reply = await client.say("/查 淘宝 E2E_BUYER", user_id=100003)
        assert "e2e_buyer：高风险" in reply and "2 家认证店铺凭订单举报：差评敲诈 ×1、恶意退货 ×1" in reply
        assert "/查 淘宝 e2e_buyer 详细" in reply and len(reply.splitlines()) <= 5
        assert "禁止购买" in await client.say("/查 淘宝 E2E_BUYER 详细", user_id=100003)

        reply = await client.say("/查 淘宝 " + "😀" * 3, user_id=100003)
        assert "买家ID里有不支持的字符" in reply
        assert "nobody_here：无记录" in await client.say("/check nobody_here", user_id=100003)

        # The crossing report queued one alert; the paced sender delivers it once.
        alert = await client.wait("group", GROUP_ID, "高风险买家预警")
        assert "淘宝 · e2*****er" in alert
        # Conversation gets no answer and leaves no trace in the log; the next command,
        # @-ing the bot in the CQ-string form, is answered.
        for line in ("今天发货了吗", "我电话 13612345678 有事打我", "查一下 e2e_buyer"):
            await client._send(line, user_id=100003, group_id=GROUP_ID)
        await client._send(f"[CQ:at,qq={SELF_ID}] /查 淘宝 E2E_BUYER", 100003, GROUP_ID, cq_string=True)
        reply = await client.wait("group", GROUP_ID)
        assert "e2e_buyer：高风险" in reply and "2 家认证店铺凭订单举报：差评敲诈 ×1、恶意退货 ×1" in reply

        # The buyer appeals, in private chat; in the group the bot only points there.
        assert "请私聊机器人申诉" in await client.say("/申诉 淘宝 e2e_buyer 我是正常买家", user_id=555555)
        opened = await client.say_private("/申诉 淘宝 e2e_buyer 我是正常买家，订单都已确认收货", user_id=555555)
        assert "已收到申诉 #" in opened
        appeal_id = opened.split("#")[1].split("：")[0]
        # Each reporting shop is told privately, with the reason.
        for user in (100001, 100002):
            told = await client.wait("private", user, "【申诉通知】")
            assert "订单都已确认收货" in told and f"/补充 {appeal_id}" in told
        assert "申诉处理中" in await client.say("/查 淘宝 e2e_buyer", user_id=100003)
        review = await client.say_private(f"/审核 {appeal_id}", user_id=MODERATOR, contains="处理：")
        assert "「甲店」（已认证）" in review and "3720012345678901" in review
        decided = await client.say_private(
            f"/审核 {appeal_id} 撤销 订单均已收货，举报不成立", user_id=MODERATOR, contains="已通知"
        )
        assert "已撤销举报" in decided
        # One correction, to the group that got the alert; the appellant and the
        # reporters are told.
        correction = await client.wait("group", GROUP_ID, "更正：")
        assert "淘宝 e2*****er 已不再是高风险（申诉成立，举报已撤销）" in correction
        assert "申诉成立" in await client.wait("private", 555555, "已处理")
        assert "已被版主撤销" in await client.wait("private", 100001, "已处理")
        # The same order cannot be reported again.
        reply = await client.say("/举报 淘宝 e2e_buyer 差评师 3720012345678901", user_id=100001)
        assert "已经因申诉被版主撤销" in reply
        await asyncio.sleep(2)
        corrections = [t for c, g, t in client.messages if c == "group" and t.startswith("更正：")]
        assert len(corrections) == 1 and len(client.alerts) == 1

        # The dashboard, served by the bot process: /后台 in private chat gives a
        # one-time link that logs the merchant in over HTTP.
        assert "请私聊机器人发 /后台" in await client.say("/后台", user_id=100001)
        told = await client.say_private("/后台", user_id=100001, contains="login?token=")
        link = next(word for word in told.split() if "login?token=" in word)
        assert link.startswith(f"http://127.0.0.1:{web_port}/login?token=")
        # unsafe=True: aiohttp keeps no cookie from an IP address otherwise (browsers do).
        # The link opens a page with a button (a chat app's preview of the link cannot
        # use it up); the button posts the token.
        token = link.split("token=", 1)[1]
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            async with http.get(link) as preview:
                assert preview.status == 200 and 'id="login"' in await preview.text()
            async with http.post(f"http://127.0.0.1:{web_port}/login", data={"token": token}) as response:
                page = await response.text()
                assert response.status == 200 and "【淘宝】甲店" in page and "e2e_buyer" in page
            async with http.post(f"http://127.0.0.1:{web_port}/login", data={"token": token}) as again:
                assert again.status == 403  # single use

    output = log_path.read_text(errors="replace")
    # The secret was generated once, kept in the storage plugin's data folder, and the
    # log said where; the phone never reached the log.
    secret = tmp_path / "data" / "identity_hash_secret"
    assert secret.exists() and len(secret.read_text().strip()) == 64, sorted(str(p) for p in tmp_path.rglob("*"))
    assert str(secret) in output
    # ONEBOT_WS_URLS came from the environment (no .env): the start-up log names the
    # connection instead of warning that none is configured.
    assert "没有配置 OneBot 连接" not in output and "OneBot 正向 WebSocket" in output
    assert "13912345678" not in output
    assert "今天发货了吗" not in output and "13612345678" not in output and "有事打我" not in output
    # A command is logged once, on arrival; NoneBot's per-matcher bookkeeping is not.
    assert "'/查 淘宝 E2E_BUYER'" in output
    assert "will be handled by" not in output and "running complete" not in output
    assert "Traceback" not in output, output[-3000:]


async def test_joint_case_and_group_rules_over_onebot_websocket(tmp_path: Path, unused_tcp_port: int):
    other_group = GROUP_ID + 1
    async with running_bot(tmp_path, unused_tcp_port) as client:
        for group in (GROUP_ID, other_group):
            assert "已订阅" in await client.say("/订阅", user_id=MODERATOR, role="admin", group_id=group)
        # The other group allows the buyer: it is never alerted about it there.
        reply = await client.say(
            "/设置 放行 淘宝 e2e_joint 老客户，多次正常购买", user_id=100020, role="admin", group_id=other_group
        )
        assert "已放行" in reply and "淘宝 e2e_joint：老客户，多次正常购买" in reply
        assert "只有本群群主、管理员或版主" in await client.say("/设置 预警 关", user_id=100021)
        for n, user in enumerate((100011, 100012, 100013)):
            assert "已绑定" in await client.say(f"/绑定 淘宝 联合{n}店", user_id=user)
            assert "已认证" in await client.say(f"/认证 {user}", user_id=MODERATOR)
            reply = await client.say(f"/举报 e2e_joint 差评师 37200123456790{n}1 {n + 1}0", user_id=user)
            assert "已收到举报" in reply
        alert = await client.wait("group", GROUP_ID, "高风险买家预警")
        assert "e2*****nt" in alert
        # Each reporting shop is invited privately; the invitation masks the buyer.
        invitations = [await client.wait("private", user, "联合投诉邀请") for user in (100011, 100012, 100013)]
        assert all("e2e_joint" not in text for text in invitations)
        case_id = invitations[0].split("#")[1].split("\n")[0].strip()
        # In a group, a case gets only the hint to chat privately.
        assert await client.say(f"/联合 {case_id}", user_id=100011) == f"请私聊机器人查看案件 #{case_id}"
        assert "另有 3 家受邀" in await client.say_private(f"/联合 {case_id}", user_id=100011, contains="案件")
        joined = await client.say_private(f"/联合 {case_id} 加入", user_id=100011, contains="你已加入")
        assert "联合0店" in joined and "372001234567900" in joined and "联合1店" not in joined
        news = await client.wait("private", 100011, "有新变化")
        assert "「联合0店」 加入了案件" in news
        await client.say_private(f"/联合 {case_id} 加入", user_id=100012, contains="你已加入")
        proposed = await client.say_private(f"/联合 {case_id} 已解决", user_id=100012, contains="已解决")
        assert "要另一家已加入的店铺在 3 天内" in proposed
        # The allowing group's /查 says so above the shared verdict.
        reply = await client.say("/查 e2e_joint", user_id=100022, group_id=other_group)
        assert "本群已放行（「老客户，多次正常购买」，QQ 100020" in reply and "e2e_joint：极高风险" in reply
        await asyncio.sleep(1)
        assert not [t for c, g, t in client.messages if (c, g) == ("group", other_group) and "买家预警】" in t]
    output = (tmp_path / "bot.log").read_text(errors="replace")
    assert "Traceback" not in output, output[-3000:]


async def test_two_roots_and_a_bounded_appeal_hold_over_onebot_websocket(tmp_path: Path, unused_tcp_port: int):
    """One group admin's shops cannot brand a buyer; a second root can. An appeal holds the
    alert (here for 12 seconds, APPEAL_HOLD_HOURS) and it then goes out, marked."""
    other_group = GROUP_ID + 1
    hold = {"APPEAL_HOLD_HOURS": str(12 / 3600)}
    async with running_bot(tmp_path, unused_tcp_port, extra_env=hold) as client:
        assert "已订阅" in await client.say("/订阅", user_id=MODERATOR, role="admin")
        for group in (GROUP_ID, other_group):
            assert "本群已被信任" in await client.say("/信任本群", user_id=MODERATOR, group_id=group)
        for user in (100011, 100012, 100013, 100014):
            assert "已绑定店铺" in await client.say(f"/绑定 淘宝 店{user}", user_id=user)
        # The admin of the first group: not for a stranger, nor for a member of one day.
        client.members[(GROUP_ID, 100014)] = None
        assert "对方不是本群成员" in await client.say("/认证 100014", user_id=200001, role="admin")
        client.members[(GROUP_ID, 100014)] = time.time() - 86400
        assert "入群满 7 天后" in await client.say("/认证 100014", user_id=200001, role="admin")
        for user in (100011, 100012):
            assert "已认证" in await client.say(f"/认证 {user}", user_id=200001, role="admin")
        await client.say("/举报 淘宝 roots_buyer 差评敲诈 3720000000000101", user_id=100011)
        reply = await client.say("/举报 淘宝 roots_buyer 差评敲诈 3720000000000102", user_id=100012)
        assert "该买家现在：需警惕" in reply and "同一位群管理员或同一个群认证" in reply
        # Another admin in another group is a second root.
        assert "已认证" in await client.say("/认证 100013", user_id=200002, role="owner", group_id=other_group)
        reply = await client.say("/举报 淘宝 roots_buyer 恶意退货 3720000000000103", user_id=100013)
        assert "该买家现在：极高风险" in reply
        alert = await client.wait("group", GROUP_ID, "买家预警")
        assert "ro*******er" in alert and "申诉处理中" not in alert

        # The appeal hold: a buyer appealed before the second root's report.
        await client.say("/举报 淘宝 held_buyer 差评敲诈 3720000000000201", user_id=100011)
        opened = await client.say_private("/申诉 淘宝 held_buyer 我没有差评过", user_id=555555, contains="已收到申诉")
        assert "最多延后到" in opened
        reply = await client.say("/举报 淘宝 held_buyer 差评敲诈 3720000000000202", user_id=100013)
        assert "该买家现在：高风险" in reply
        await asyncio.sleep(4)
        assert not any("he******er" in text for text in client.alerts)  # held
        held = await client.wait("group", GROUP_ID, "he******er", timeout=30)
        assert "高风险买家预警" in held and "申诉处理中" in held


async def test_a_screenshot_sent_privately_over_onebot_websocket(tmp_path: Path, unused_tcp_port_factory):
    """The bot started as the README says reads a screenshot in its OCR worker process
    (spawned from `python -m bot`) and answers with the buyer's verdict (issue #30)."""
    from aiohttp import web

    from tests.core.test_screenshots import EXTORTION_CHAT
    from tests.screenshots import render

    picture = render(EXTORTION_CHAT)

    async def serve(_request: web.Request) -> web.Response:
        return web.Response(body=picture, content_type="image/png")

    app = web.Application()
    app.router.add_get("/shot.png", serve)
    runner = web.AppRunner(app)
    await runner.setup()
    port = unused_tcp_port_factory()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        env = {"DOWNLOAD_ALLOW_HOSTS": '["127.0.0.1"]'}
        async with running_bot(tmp_path, unused_tcp_port_factory(), extra_env=env) as client:
            url = f"http://127.0.0.1:{port}/shot.png"
            await client._send(f"[CQ:image,file=shot.png,url={url}]", 100_020, None, cq_string=True)
            reply = await client.wait("private", 100_020, "截图识别", timeout=90)
            assert "【淘宝】tb_demo8832" in reply and "索要改评费" in reply
            assert "「给我返现20元我就改好评」" in reply
    finally:
        await runner.cleanup()
