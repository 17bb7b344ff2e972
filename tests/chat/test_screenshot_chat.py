"""Screenshots in the chat (issue #30, nonebug): /查 and /举报 replying to a screenshot,
the one-word confirmation, a picture sent privately, /设置 自动识别截图, the limits
refused in words before OCR, evidence screenshots, and no phone in clear in the database
or the log. The screenshots are drawn by tests/screenshots.py and served on loopback as
a OneBot client serves pictures."""

from __future__ import annotations

import hashlib
import io
import time
from collections.abc import AsyncIterator
from pathlib import Path

import nonebot
import pytest
from nonebot import logger
from nonebot.adapters.onebot.v11 import Adapter, Bot, GroupMessageEvent, Message, MessageSegment, PrivateMessageEvent
from nonebot.adapters.onebot.v11.event import Reply as Quoted
from nonebot.adapters.onebot.v11.event import Sender
from nonebug import App
from PIL import Image

from bot.storage.models.reports import Report, ReportEvidence
from tests.conftest import SESSION_DB
from tests.conversation import Reply, converse, group_message, private_message, verify_user
from tests.core.test_screenshots import EXTORTION_CHAT, ORDER_PAGE
from tests.screenshots import Shot, render

CHAT = render(EXTORTION_CHAT)
ORDER = render(Shot(**{**ORDER_PAGE.__dict__, "jpeg_quality": 80}))
PHONE = "13812345678"
# The phone's digits as no other test's data holds them (the screenshot's QQ 123456789 does
# hold 12345678, and the session database's WAL keeps earlier tests' pages).
NEEDLES = (PHONE.encode(), b"38123456", "１３８".encode())


def _gif() -> bytes:
    out = io.BytesIO()
    frames = [Image.new("RGB", (64, 64), (80 * n, 0, 0)) for n in range(3)]
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100)
    return out.getvalue()


def _wide_png() -> bytes:
    out = io.BytesIO()
    Image.new("L", (9000, 1000), 255).save(out, "PNG")
    return out.getvalue()


def _blank_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (600, 600), (250, 250, 250)).save(out, "PNG")
    return out.getvalue()


FILES = {
    "/chat.png": CHAT,
    "/order.jpg": ORDER,
    "/animated.gif": _gif(),
    "/wide.png": _wide_png(),
    "/big.png": b"\x89PNG\r\n\x1a\n" + b"\0" * (11 * 1024 * 1024),
    "/blank.png": _blank_png(),
}


@pytest.fixture
async def pictures(unused_tcp_port: int) -> AsyncIterator[str]:
    """The pictures served at http://127.0.0.1:<port>/…; yields the address's start."""
    from aiohttp import web

    def serving(body: bytes):  # -> the handler aiohttp wants
        async def handler(_request: web.Request) -> web.Response:
            return web.Response(body=body)

        return handler

    app = web.Application()
    for path, data in FILES.items():
        app.router.add_get(path, serving(data))
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", unused_tcp_port).start()
    yield f"http://127.0.0.1:{unused_tcp_port}"
    await runner.cleanup()


def quoting(event: GroupMessageEvent | PrivateMessageEvent, url: str) -> GroupMessageEvent | PrivateMessageEvent:
    """The event as the adapter leaves it after fetching the quoted message (get_msg):
    its reply segment taken off, the quoted message in event.reply."""
    event.reply = Quoted(
        time=int(time.time()),
        message_type="group",
        message_id=55,
        real_id=55,
        sender=Sender(user_id=10_500, nickname="商家"),
        message=Message(MessageSegment.image(url)),
    )
    return event


def picture(event: GroupMessageEvent | PrivateMessageEvent, url: str) -> GroupMessageEvent | PrivateMessageEvent:
    event.message = Message(MessageSegment.image(url))
    event.original_message = event.message
    event.raw_message = f"[CQ:image,file={url}]"
    return event


async def say(app: App, event: GroupMessageEvent | PrivateMessageEvent, expected: Reply | None) -> None:
    """Send the event; expect one reply (None: none at all)."""
    async with app.test_matcher() as ctx:
        bot = ctx.create_bot(base=Bot, adapter=nonebot.get_adapter(Adapter))
        ctx.receive_event(bot, event)
        if expected is not None:
            ctx.should_call_send(event, expected, result={"message_id": 1})
            ctx.should_finished()


def ocr_runs() -> int:
    from nonebot_plugin_shop_guard.runtime import pool

    return pool().screenshots.worker.pictures_read


@pytest.mark.usefixtures("empty_session_pool")
async def test_check_and_report_on_a_quoted_screenshot(app: App, pictures: str):
    await converse(app, ("/绑定 淘宝 截图店", Reply("已绑定")), user_id=1)
    # /查 replying to the buyer's chat: the verdict with the extortion read as a red flag,
    # and what was read, to check.
    await say(
        app,
        quoting(group_message("/查", user_id=1), f"{pictures}/chat.png"),
        Reply(
            "【淘宝】tb_demo8832",
            "红旗（截图里读到）：索要改评费",
            "截图识别",
            "给我返现20元我就改好评",
            "QQ：123456789",
        ),
    )
    # /举报 replying to it: the report filled in, nothing filed yet.
    await say(
        app,
        quoting(group_message("/举报", user_id=1), f"{pictures}/chat.png"),
        Reply("根据截图准备的举报（还没有提交）", "类型：差评敲诈", "订单号：3928473829384756123", "回复「确认」"),
    )
    assert await Report.all().count() == 0
    # A buyer the group allowed is said to be so, as a typed /查 says it.
    await converse(app, ("/设置 放行 淘宝 tb_demo8832 老客户", Reply("已放行")), user_id=9, role="admin")
    await say(
        app,
        quoting(group_message("/查", user_id=1), f"{pictures}/chat.png"),
        Reply("本群已放行 tb_demo8832（「老客户」）", "【淘宝】tb_demo8832"),
    )
    # A word from someone else is not the merchant's confirmation.
    await say(app, group_message("确认", user_id=2), None)
    assert await Report.all().count() == 0
    sha256 = hashlib.sha256(CHAT).hexdigest()
    await say(app, group_message("确认", user_id=1), Reply("已收到举报", f"截图 SHA-256：{sha256}", "差评敲诈"))
    (report,) = await Report.all()
    assert (report.category, report.order_no, report.amount_fen) == ("extortion", "3928473829384756123", 2990)
    assert "给我返现20元我就改好评" in report.description
    assert [(e.kind, e.sha256) for e in await ReportEvidence.filter(report_id=report.id)] == [("screenshot", sha256)]
    # The proposal is spent: a second 确认 files nothing and gets no answer.
    await say(app, group_message("确认", user_id=1), None)
    assert await Report.all().count() == 1
    # Another proposal, dropped with 取消.
    await say(app, quoting(group_message("/举报", user_id=1), f"{pictures}/chat.png"), Reply("还没有提交"))
    await say(app, group_message("取消", user_id=1), Reply("已放弃这份举报草稿"))
    await say(app, group_message("确认", user_id=1), None)
    assert await Report.all().count() == 1


@pytest.mark.usefixtures("empty_session_pool")
async def test_a_report_typed_on_a_screenshot_keeps_its_sha256(app: App, pictures: str):
    await converse(app, ("/绑定 淘宝 截图店", Reply("已绑定")), user_id=1)
    before = ocr_runs()
    await say(
        app,
        quoting(group_message("/举报 tb_typed 差评师 3720012345678901 30", user_id=1), f"{pictures}/chat.png"),
        Reply("已收到举报", "回复的截图：SHA-256 已随举报保存"),
    )
    (report,) = await Report.all()
    assert (await ReportEvidence.get(report_id=report.id)).sha256 == hashlib.sha256(CHAT).hexdigest()
    assert ocr_runs() == before  # typed in full: nothing to read


@pytest.mark.usefixtures("empty_session_pool")
async def test_a_picture_sent_privately_is_read_and_its_phone_never_kept(app: App, pictures: str, tmp_path: Path):
    log = tmp_path / "bot.log"
    sink = logger.add(str(log), level="DEBUG")
    try:
        await converse(app, ("/绑定 京东 京东小店", Reply("已绑定")), user_id=3)
        await say(
            app,
            picture(private_message("", user_id=3), f"{pictures}/order.jpg"),
            Reply("【京东】jd_buyer2024", "138****5678", "298765432109", forbid=(PHONE,)),
        )
        # Its type is not in the words: the merchant gives it with the word.
        await say(
            app,
            quoting(private_message("/举报", user_id=3), f"{pictures}/order.jpg"),
            Reply("类型：没看出来", "手机 138****5678", "确认 类型", forbid=(PHONE,)),
        )
        await say(app, private_message("确认", user_id=3), Reply("截图里没看出举报类型"))
        await say(app, private_message("确认 恶意退货", user_id=3), Reply("已收到举报", "恶意退货", forbid=(PHONE,)))
    finally:
        logger.remove(sink)
    (report,) = await Report.all()
    assert (report.category, report.order_no, report.phone_mask) == ("return_fraud", "298765432109", "138****5678")
    assert report.phone_hash is not None
    database_file = Path(SESSION_DB.removeprefix("sqlite://"))
    for path in database_file.parent.glob("shop_guard.sqlite3*"):  # the database, its WAL
        assert not [needle for needle in NEEDLES if needle in path.read_bytes()], path
    written = log.read_bytes()
    assert not [needle for needle in NEEDLES if needle in written]
    assert b"jd_buyer2024" not in written  # nothing read is logged
    assert b"order.jpg" in written  # the log was written (the message's picture link)


@pytest.mark.usefixtures("empty_session_pool")
async def test_a_group_reads_every_picture_only_once_it_asked(app: App, pictures: str):
    chat = f"{pictures}/chat.png"
    before = ocr_runs()
    await say(app, picture(group_message("", user_id=5, group_id=30_001), chat), None)
    assert ocr_runs() == before  # not asked: not read
    await say(
        app,
        group_message("/设置 自动识别截图 开", user_id=5, group_id=30_001),
        Reply("只有本群群主、管理员或版主可以修改本群设置"),
    )
    await say(
        app,
        group_message("/设置 自动识别截图 开", user_id=6, group_id=30_001, role="admin"),
        Reply("已修改：本群发的每张截图机器人都会识别", "· 自动识别截图：开"),
    )
    await say(
        app,
        picture(group_message("", user_id=5, group_id=30_001), chat),
        Reply("【淘宝】tb_demo8832", "索要改评费", "本群开启了自动识别截图"),
    )
    # A picture without a buyer in it (a meme) is read, and passed over in silence.
    read = ocr_runs()
    await say(app, picture(group_message("", user_id=5, group_id=30_001), f"{pictures}/blank.png"), None)
    await say(app, picture(group_message("", user_id=5, group_id=30_001), f"{pictures}/animated.gif"), None)
    assert ocr_runs() == read + 1
    # Another group did not ask.
    await say(app, picture(group_message("", user_id=5, group_id=30_002), chat), None)
    assert ocr_runs() == read + 1
    await say(
        app,
        group_message("/设置 自动识别截图 关", user_id=6, group_id=30_001, role="admin"),
        Reply("机器人不再自动识别本群的截图", "· 自动识别截图：关"),
    )
    await say(app, picture(group_message("", user_id=5, group_id=30_001), chat), None)
    assert ocr_runs() == read + 1


@pytest.mark.usefixtures("empty_session_pool")
@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/animated.gif", "这是动图（多帧），没有识别"),
        ("/wide.png", "截图尺寸太大（9000×1000）：最多 8,000,000 像素"),
        ("/big.png", "截图太大了：每张最多 10 MB"),
    ],
)
async def test_a_picture_past_the_limits_is_refused_in_words_before_ocr(app: App, pictures: str, path: str, words: str):
    before = ocr_runs()
    await say(app, quoting(group_message("/查", user_id=7), f"{pictures}{path}"), Reply(words))
    assert ocr_runs() == before


@pytest.mark.usefixtures("empty_session_pool")
async def test_evidence_screenshots_say_what_they_read(app: App, pictures: str):
    """/证据 with a screenshot: what it read, and a word when its buyer is not the case's."""
    from bot.storage.models.cases import JointCase

    for user in (1, 2, 3):
        await converse(app, (f"/绑定 淘宝 店{user}", Reply("已绑定")), user_id=user)
        await verify_user(user)
        await converse(app, (f"/举报 tb_joint 差评师 372000000000000{user} {user}0", Reply("已收到举报")), user_id=user)
    case = await JointCase.get()
    await converse(app, (f"/联合 {case.id} 加入", Reply("你已加入这个案件")), user_id=1, private=True)
    event = private_message(f"/证据 {case.id} 买家要钱", user_id=1)
    event.message = Message(MessageSegment.text(f"/证据 {case.id} 买家要钱")) + MessageSegment.image(
        f"{pictures}/chat.png"
    )
    await say(
        app,
        event,
        Reply(f"已为案件 #{case.id} 记录证据：新增 1 条", "第 1 张：截图识别", "tb_demo8832", "不是本案的 tb_joint"),
    )


@pytest.mark.usefixtures("empty_session_pool")
async def test_an_appeal_answered_with_a_screenshot_says_what_it_read(app: App, pictures: str):
    """/补充 with a screenshot: the evidence added, and what the screenshot read as."""
    from bot.storage.models.appeals import Appeal

    await converse(app, ("/绑定 淘宝 甲店", Reply("已绑定")), user_id=11)
    await converse(app, ("/举报 tb_demo8832 差评敲诈 3720000000000001", Reply("已收到举报")), user_id=11)
    await converse(app, ("/申诉 淘宝 tb_demo8832 我没有差评", Reply("已收到申诉 #")), user_id=555, private=True)
    number = (await Appeal.get(appellant="qq:555")).id
    event = private_message(f"/补充 {number} 买家在旺旺里要钱", user_id=11)
    event.message = Message(MessageSegment.text(f"/补充 {number} 买家在旺旺里要钱")) + MessageSegment.image(
        f"{pictures}/chat.png"
    )
    await say(
        app,
        event,
        Reply(f"已为申诉 #{number} 补充证据：新增 1 条", "第 1 张：截图识别", "「给我返现20元我就改好评」"),
    )
