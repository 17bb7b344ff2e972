"""Each real export shape uploaded in a chat (nonebug, files served on loopback)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import nonebot
import pytest
from nonebot.adapters.onebot.v11 import Adapter, Bot
from nonebug import App

from bot.storage.models.messaging import OutboxMessage
from bot.storage.models.screening import ScreeningJob
from tests import export_fixtures as fx
from tests.conversation import Reply, converse, group_upload, serve_file

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
