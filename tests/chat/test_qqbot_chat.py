"""The official QQ bot through nonebot-adapter-qq's own Bot and event models (its send,
its msg_seq), with only the platform's HTTP API played by nonebug: commands in a group
(@-mention) and in private chat, the reply window (5 minutes, 5 replies, a distinct
msg_seq each), re-delivered events dropped, alerts pushed within the quota or riding on
the next reply, and one shop across two networks."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import nonebot
import pytest
from nonebot.adapters.qq import Bot, C2CMessageCreateEvent, GroupAtMessageCreateEvent
from nonebot.adapters.qq.config import BotInfo
from nonebug import App

from bot.identity.places import qqbot_group_target
from bot.messaging.outbox import Sender
from bot.states import Channel, OutboxKind
from bot.storage.models.messaging import OutboxMessage
from bot.storage.outbox import enqueue
from bot.storage.robots import qqbot_group_for
from bot.storage.shops import shop_of_account
from shop_guard_chat.qqbot import Adapter, QQBotPusher, remember_group
from tests.conversation import Reply, converse
from tests.database.test_alerts import FakeTime, Recorder

APP_ID = "102000001"
_ids = itertools.count(1)


def bot() -> Bot:
    return Bot(nonebot.get_adapter(Adapter), APP_ID, BotInfo(id=APP_ID, secret="s" * 32))


def group_at(text: str, group: str = "G_OPENID_1", member: str = "M_OPENID_1", msg_id: str | None = None):
    msg_id = msg_id or f"ROBOT1.0_group_{next(_ids)}"
    return GroupAtMessageCreateEvent.model_validate(
        {
            "event_id": f"GROUP_AT_MESSAGE_CREATE:{msg_id}",
            "id": msg_id,
            "content": f" {text}",
            "timestamp": datetime.now(UTC).isoformat(),
            "author": {"id": member, "member_openid": member, "bot": False, "member_role": "member"},
            "group_id": group,
            "group_openid": group,
        }
    )


def private(text: str, user: str = "U_OPENID_1"):
    msg_id = f"ROBOT1.0_c2c_{next(_ids)}"
    return C2CMessageCreateEvent.model_validate(
        {
            "event_id": f"C2C_MESSAGE_CREATE:{msg_id}",
            "id": msg_id,
            "content": text,
            "timestamp": datetime.now(UTC).isoformat(),
            "author": {"id": user, "user_openid": user},
        }
    )


class Post:
    """Expected data of a post_group_messages / post_c2c_messages call: the reply's
    msg_id and msg_seq (None: an active push), and words its content holds."""

    def __init__(self, msg_id: str | None, msg_seq: int | None, *parts: str, forbid: tuple[str, ...] = ()):
        self.msg_id, self.msg_seq, self.parts, self.forbid = msg_id, msg_seq, parts, forbid
        self.seen: dict[str, Any] | None = None

    def __ne__(self, data: object) -> bool:
        assert isinstance(data, dict)
        self.seen = data
        content = str(data.get("content") or "")
        return not (
            data.get("msg_id") == self.msg_id
            and data.get("msg_seq") == self.msg_seq
            and all(p in content for p in self.parts)
            and not any(f in content for f in self.forbid)
        )

    def __eq__(self, data: object) -> bool:
        return not self.__ne__(data)

    def __repr__(self) -> str:
        return f"Post({self.msg_id!r}, {self.msg_seq!r}, {self.parts!r}, seen={self.seen!r})"


RESULT = {"id": "sent", "timestamp": "2026-11-01T12:00:00+08:00"}


async def _group_place(openid: str) -> int:
    group = await qqbot_group_for(openid, APP_ID, datetime.now(UTC))
    remember_group(openid, group.id)
    return qqbot_group_target(group.id)


async def test_a_command_in_a_group_is_answered_in_reply_and_a_redelivered_event_is_dropped(
    app: App, empty_session_pool
):
    event = group_at("/帮助")
    async with app.test_matcher() as ctx:
        qq = bot()
        ctx.receive_event(qq, event)
        ctx.should_call_api("post_group_messages", Post(event.id, 1, "/查"), result=RESULT)
    # The platform delivers the same message again: it is not answered twice.
    async with app.test_matcher() as ctx:
        ctx.receive_event(qq, group_at("/帮助", msg_id=event.id))


async def test_replies_keep_to_the_window_and_each_has_its_own_msg_seq(app: App, empty_session_pool):
    from nonebot_plugin_shop_guard.qqbot import qqbot_event, windows

    qq = bot()
    event = group_at("聊天", group="G_WINDOW")
    place = await _group_place("G_WINDOW")
    await qqbot_event(qq, event)
    async with app.test_matcher() as ctx:
        for seq in range(1, 6):
            ctx.should_call_api("post_group_messages", Post(event.id, seq, f"第{seq}条"), result=RESULT)
        for seq in range(1, 7):
            await qq.send(event, f"第{seq}条")
    # The sixth reply was not sent as a reply (40054005 / over the limit): it waits in
    # the outbox for this group.
    (late,) = await OutboxMessage.filter(target_id=place)
    assert late.text == "第6条" and late.kind == OutboxKind.fallback

    later = group_at("聊天", group="G_WINDOW")
    await qqbot_event(qq, later)
    real = windows.monotonic
    windows.monotonic = lambda: real() + 300  # five minutes after the message
    try:
        async with app.test_matcher() as ctx:
            await qq.send(later, "太晚了")
    finally:
        windows.monotonic = real
    assert await OutboxMessage.filter(target_id=place, text="太晚了").count() == 1


async def test_waiting_alerts_ride_on_the_next_reply_in_the_group(app: App, empty_session_pool):
    place = await _group_place("G_RIDE")
    now = datetime.now(UTC)
    await enqueue(OutboxKind.alert, Channel.group, place, "alert:1", "⚠️【高风险买家预警】预警1 · 淘宝 tb****01", now)
    event = group_at("/帮助", group="G_RIDE")
    async with app.test_matcher() as ctx:
        ctx.receive_event(bot(), event)
        ctx.should_call_api("post_group_messages", Post(event.id, 1, "/查"), result=RESULT)
        ctx.should_call_api(
            "post_group_messages", Post(event.id, 2, "有 1 条新预警：", "预警1 · 淘宝 tb****01"), result=RESULT
        )
    assert (await OutboxMessage.get(target_id=place)).status == "sent"
    # Nothing waits any more: the next reply goes alone.
    again = group_at("/帮助", group="G_RIDE")
    async with app.test_matcher() as ctx:
        ctx.receive_event(bot(), again)
        ctx.should_call_api("post_group_messages", Post(again.id, 1, "/查"), result=RESULT)


async def test_alerts_are_pushed_within_the_monthly_quota_and_the_rest_rides(app: App, empty_session_pool):
    place = await _group_place("G_PUSH")
    now = datetime.now(UTC)
    for n in (1, 2):
        await enqueue(OutboxKind.alert, Channel.group, place, f"alert:{n}", f"预警{n}号", now)
    qq = bot()
    adapter = nonebot.get_adapter(Adapter)
    fake = FakeTime()
    async with app.test_matcher() as ctx:
        adapter.bot_connect(qq)
        try:
            sender = Sender(
                Recorder(),
                "w1",
                lambda: now,
                sleep=fake.sleep,
                monotonic=fake.monotonic,
                qqbot=QQBotPusher(),
                qqbot_pushes_per_month=1,
            )
            ctx.should_call_api("post_group_messages", Post(None, None, "预警1号"), result=RESULT)
            assert await sender.run_once() == 1
        finally:
            adapter.bot_disconnect(qq)
    rows = {r.event_key: r for r in await OutboxMessage.filter(target_id=place)}
    assert rows["alert:1"].status == "sent"
    assert rows["alert:2"].status == "pending" and "waiting" in (rows["alert:2"].last_error or "")
    event = group_at("/帮助", group="G_PUSH")
    async with app.test_matcher() as ctx:
        ctx.receive_event(qq, event)
        ctx.should_call_api("post_group_messages", Post(event.id, 1), result=RESULT)
        ctx.should_call_api("post_group_messages", Post(event.id, 2, "有 1 条新预警：", "预警2号"), result=RESULT)
    assert (await OutboxMessage.get(target_id=place, event_key="alert:2")).status == "sent"


async def test_a_shop_binds_by_openid_and_is_linked_to_its_qq_account(app: App, empty_session_pool):
    qq = bot()
    # The QQ account binds on OneBot; the official bot's openid asks for a code.
    await converse(app, ("/绑定 淘宝 两边都有的店", Reply("两边都有的店")), user_id=10001, private=True)
    event = private("/关联", user="U_LINK")
    code: list[str] = []

    class Code(Post):
        def __ne__(self, data: object) -> bool:
            if super().__ne__(data):
                return True
            code.append(str(self.seen["content"]).split("关联码：", 1)[1][:8])  # type: ignore[index]
            return False

    async with app.test_matcher() as ctx:
        ctx.receive_event(qq, event)
        ctx.should_call_api("post_c2c_messages", Code(event.id, 1, "关联码："), result=RESULT)
    (found,) = code
    await converse(app, (f"/关联 {found}", Reply("已关联", "两边都有的店")), user_id=10001, private=True)
    shop = await shop_of_account("qqbot:U_LINK")
    assert shop is not None and shop.name == "两边都有的店" and shop.owner == "qq:10001"
    # A code works once.
    await converse(app, (f"/关联 {found}", Reply("已经用过")), user_id=10001, private=True)


@pytest.mark.parametrize("text", ["/机器人 添加 https://oapi.dingtalk.com/robot/send?access_token=abcdef0123456789"])
async def test_a_robot_address_is_never_taken_in_a_group(app: App, empty_session_pool, text: str):
    event = group_at(text, group="G_SECRET")
    async with app.test_matcher() as ctx:
        ctx.receive_event(bot(), event)
        ctx.should_call_api("post_group_messages", Post(event.id, 1, "私聊", "重置地址"), result=RESULT)
    from bot.storage.models.robots import Robot

    assert await Robot.all().count() == 0
