"""Each real export shape uploaded in a chat (nonebug, files served on loopback)."""

from __future__ import annotations

import nonebot
import pytest
from nonebot.adapters.onebot.v11 import Adapter, Bot
from nonebug import App

from bot.storage.models.messaging import OutboxMessage
from bot.storage.models.screening import ScreeningJob
from tests import export_fixtures as fx
from tests.conversation import Reply, converse, group_upload, serve_file

FORMATS, EXPECTED = fx.FORMATS, fx.EXPECTED


@pytest.mark.usefixtures("empty_session_pool")
@pytest.mark.parametrize("name", ["pdd", "jd", "qianniu"])
async def test_each_export_through_an_upload_in_chat(app: App, unused_tcp_port: int, name: str):
    from nonebot_plugin_shop_guard.runtime import pool

    fixture, file_name, label = FORMATS[name]
    data = fixture()
    await converse(app, ("/绑定 淘宝 甲店", Reply("已绑定")), user_id=1)
    runner = await serve_file(data, unused_tcp_port, "/export")
    try:
        async with app.test_matcher() as ctx:
            bot = ctx.create_bot(base=Bot, adapter=nonebot.get_adapter(Adapter))
            event = group_upload(file_name, len(data), f"http://127.0.0.1:{unused_tcp_port}/export")
            ctx.receive_event(bot, event)
            ctx.should_call_send(event, Reply(f"收到「{file_name}」"), result={"message_id": 1})
            ctx.should_finished()
        await pool().screenings.idle()
    finally:
        await runner.cleanup()
    job = await ScreeningJob.get(file_name=file_name)
    assert job.state == "done", (job.error_code, job.error_context)
    told = await OutboxMessage.get(kind="screening")
    assert f"{label}，共 {EXPECTED[name]['rows']} 笔订单" in told.text
    if name == "pdd":
        assert "本文件没有买家账号：按手机号、收货地址和订单本身筛查" in told.text
    if name == "jd":
        assert "手机号都是打码或加密的" in told.text
