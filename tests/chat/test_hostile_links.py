"""Links in chat events, as an attacker writes them (issue: the bot fetched any URL,
followed redirects, and its error names told open ports from closed ones). Only http(s),
only public addresses unless a host is named in DOWNLOAD_ALLOW_HOSTS, every redirect
checked, one message whatever went wrong."""

from __future__ import annotations

import nonebot
import pytest
from aiohttp import web
from nonebot.adapters.onebot.v11 import Adapter, Bot, Message, MessageSegment
from nonebug import App

from bot.errors import BadInput
from bot.messaging.render import render
from shop_guard_chat.downloads import fetch
from tests.conversation import Reply, converse, private_message, serve_file

TOO_LARGE = BadInput("sheets.too_large", size_mb="超过 1", limit_mb=1)


async def refused(url: str, allowed: list[str] | None = None) -> str:
    with pytest.raises(BadInput) as caught:
        await fetch(url, 1024 * 1024, allowed or [], TOO_LARGE)
    assert caught.value.code == "download_failed"
    return render(caught.value.template, **caught.value.context)


@pytest.fixture
async def secret_server(unused_tcp_port: int):
    """Something on loopback that must never be fetched for a chat event."""
    runner = await serve_file(b'{"admin_token": "s3cr3t"}', unused_tcp_port, "/secret")
    yield unused_tcp_port
    await runner.cleanup()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/secret",
        "http://localhost:{port}/secret",  # a name that resolves to loopback
        "http://[::1]:{port}/secret",
        "http://[::ffff:127.0.0.1]:{port}/secret",
        "http://0.0.0.0:{port}/secret",
        "http://169.254.169.254/latest/meta-data/",  # a cloud's metadata service
        "http://10.0.0.1/x",
        "http://192.168.1.1/x",
        "http://224.0.0.1/x",
        "file:///etc/passwd",
        "ftp://127.0.0.1/x",
        "gopher://127.0.0.1:{port}/x",
    ],
)
async def test_links_to_anything_but_public_addresses_are_not_fetched(secret_server: int, url: str):
    assert await refused(url.format(port=secret_server)) == render("errors/download_failed.j2")


async def test_a_redirect_is_checked_like_the_first_link(secret_server: int, unused_tcp_port_factory):
    port = unused_tcp_port_factory()

    async def redirect(_request: web.Request) -> web.Response:
        raise web.HTTPFound(f"http://localhost:{secret_server}/secret")

    app = web.Application()
    app.router.add_get("/file.csv", redirect)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        # 127.0.0.1 is allowed (as tests and intranets need); where it redirects is not.
        await refused(f"http://127.0.0.1:{port}/file.csv", allowed=["127.0.0.1"])
    finally:
        await runner.cleanup()


async def test_the_same_message_for_every_failure(secret_server: int, unused_tcp_port_factory):
    closed = unused_tcp_port_factory()
    allowed = ["127.0.0.1"]
    texts = {
        await refused(f"http://127.0.0.1:{closed}/x", allowed),  # nothing listening
        await refused(f"http://127.0.0.1:{secret_server}/missing", allowed),  # HTTP 404
        await refused(f"http://127.0.0.1:{secret_server}/secret"),  # not allowed
        await refused("http://does-not-exist.invalid/x"),  # no such name
    }
    assert len(texts) == 1


async def test_an_allowed_host_streams_under_the_cap(unused_tcp_port: int):
    runner = await serve_file(b"x" * (2 * 1024 * 1024), unused_tcp_port, "/big")
    try:
        with pytest.raises(BadInput) as caught:
            await fetch(f"http://127.0.0.1:{unused_tcp_port}/big", 1024 * 1024, ["127.0.0.1"], TOO_LARGE)
        assert caught.value is TOO_LARGE
        small = await fetch(f"http://127.0.0.1:{unused_tcp_port}/big", 4 * 1024 * 1024, ["127.0.0.1"], TOO_LARGE)
        assert len(small) == 2 * 1024 * 1024
    finally:
        await runner.cleanup()


@pytest.mark.usefixtures("empty_session_pool")
async def test_a_file_message_pointing_at_loopback_is_refused_in_chat(app: App, secret_server: int, monkeypatch):
    from bot.settings import Settings

    # The deployment's default: no host exempt from the address rule.
    monkeypatch.setattr(
        "nonebot_plugin_shop_guard.screen.flows.get_plugin_config", lambda _: Settings(download_allow_hosts=[])
    )
    await converse(app, ("/绑定 淘宝 甲店", Reply("已绑定")), user_id=1)
    async with app.test_matcher() as ctx:
        bot = ctx.create_bot(base=Bot, adapter=nonebot.get_adapter(Adapter))
        event = private_message("", user_id=1)
        event.message = Message(
            MessageSegment("file", {"name": "订单.csv", "url": f"http://127.0.0.1:{secret_server}/secret"})
        )
        ctx.receive_event(bot, event)
        ctx.should_call_send(event, Reply("文件没能下载下来", forbid=("admin_token", "s3cr3t", "127.0.0.1")), result={})
        ctx.should_finished()
