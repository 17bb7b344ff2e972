"""/订阅, /退订 and /日报 through NoneBot (nonebug), and the alert a crossing report queues."""

from __future__ import annotations

import nonebot
import pytest
from nonebot.adapters.onebot.v11 import Adapter, Bot, Message
from nonebug import App

from bot.storage.models.messaging import OutboxMessage, Subscription
from tests.conversation import Reply, converse, group_message, private_message, verify_user

pytestmark = pytest.mark.usefixtures("empty_session_pool")


async def say(app: App, text: str, expected, role: str = "member", user_id: int = 10001, group_id: int = 20001):
    async with app.test_matcher() as ctx:
        bot = ctx.create_bot(base=Bot, adapter=nonebot.get_adapter(Adapter))
        event = group_message(text, user_id=user_id, group_id=group_id, role=role)
        ctx.receive_event(bot, event)
        ctx.should_call_send(event, expected, result={"message_id": 1})
        ctx.should_finished()


async def test_subscribe_is_refused_to_a_plain_member(app: App):
    await say(app, "/订阅", Reply("只有群主、管理员或机器人的超级用户可以订阅或修改日报时间"))
    await say(app, "/退订", Reply("只有群主、管理员或机器人的超级用户可以退订"))
    assert await Subscription.all().count() == 0


async def test_admin_subscribes_changes_time_and_unsubscribes(app: App):
    await say(app, "/订阅", Reply("已订阅", "每天 09:00（北京时间）"), role="admin")
    await say(app, "/订阅", Reply("本群已订阅", "09:00"), role="owner")
    await say(app, "/subscribe 21:30", Reply("已订阅", "每天 21:30"), role="admin")
    await say(app, "/订阅 25:00", Reply("时间「25:00」不对"), role="admin")
    assert (await Subscription.get(group_id=20001)).digest_time == "21:30"
    await say(app, "/unsubscribe", Reply("已退订"), role="admin")
    await say(app, "/退订", Reply("本群本来就没有订阅"), role="admin")
    assert not (await Subscription.get(group_id=20001)).active
    async with app.test_matcher() as ctx:
        bot = ctx.create_bot(base=Bot, adapter=nonebot.get_adapter(Adapter))
        event = private_message("/订阅")
        ctx.receive_event(bot, event)
        ctx.should_call_send(event, Reply("订阅要在群里发"), result={"message_id": 1})


async def test_a_crossing_report_queues_one_alert_for_subscribed_groups(app: App):
    await say(app, "/订阅", Reply("已订阅"), role="admin", group_id=1)
    await say(app, "/订阅", Reply("已订阅"), role="admin", group_id=2)
    for user in (1, 2, 3):
        await converse(app, (f"/绑定 淘宝 店{user}", Reply("已绑定")), user_id=user)
        await verify_user(user)
        await converse(app, (f"/举报 tb_crossing 差评师 372000000000000{user}", Reply("已收到举报")), user_id=user)
    rows = await OutboxMessage.filter(channel="group").order_by("target_id", "id")
    # The second report crossed into 高风险, the third into 极高风险: each group at 高风险
    # got the alert, then one word that it got worse.
    assert [(r.target_id, r.kind, r.event_key.split(":")[0]) for r in rows] == [
        (1, "alert", "alert"),
        (1, "alert", "escalation"),
        (2, "alert", "alert"),
        (2, "alert", "escalation"),
    ]
    assert "淘宝 · tb*******ng" in rows[0].text and "升级为极高风险" in rows[1].text


async def test_digest_preview_sends_text_and_chart(app: App):
    await say(app, "/日报", Reply("本群还没有订阅"))
    await say(app, "/订阅", Reply("已订阅"), role="admin")
    await converse(app, ("/绑定 淘宝 店", Reply("已绑定")))
    await converse(app, ("/举报 tb_x 黄牛", Reply("已收到举报")))

    class DigestReply(Reply):
        def __ne__(self, sent: object) -> bool:
            message = sent if isinstance(sent, Message) else Message(str(sent))
            self.seen = str(message)
            has_image = any(seg.type == "image" for seg in message)
            return not (has_image and all(p in message.extract_plain_text() for p in self.parts))

    await say(app, "/日报", DigestReply("【联防日报】", "新举报 1 条：黄牛 1", "需要处理的联合投诉"))


async def test_a_stand_in_group_message_starts_with_an_at_of_the_owner(app: App):
    from nonebot.adapters.onebot.v11 import MessageSegment

    from shop_guard_chat.onebot_v11 import OneBotTransport

    async with app.test_api() as ctx:
        ctx.create_bot(base=Bot, adapter=nonebot.get_adapter(Adapter))
        ctx.should_call_api(
            "send_group_msg",
            {
                "group_id": 20001,
                "message": MessageSegment.at(42) + MessageSegment.text(" ") + MessageSegment.text("邀请"),
            },
            result={"message_id": 1},
        )
        await OneBotTransport().send(20001, "邀请", None, mention=42)
