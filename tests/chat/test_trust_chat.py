"""The trust rules as merchants meet them in chat (nonebug)."""

from __future__ import annotations

import time

import nonebot
import pytest
from nonebot.adapters.onebot.v11 import ActionFailed, Adapter, Bot, GroupRequestEvent, Message, MessageSegment
from nonebot.message import handle_event
from nonebug import App

from bot.storage.models.appeals import Appeal
from bot.storage.models.cases import JointCase
from bot.storage.models.messaging import OutboxMessage
from bot.storage.models.shops import Shop
from tests.conversation import Reply, group_message, private_message

pytestmark = pytest.mark.usefixtures("empty_session_pool")

MODERATOR = 90000
GROUP = 20001


def expect_membership(ctx, user_id: int, joined_days_ago: int = 30, member: bool = True) -> None:
    """The bot asks the OneBot client whether `user_id` is in GROUP, and since when."""
    data = {"group_id": GROUP, "user_id": user_id, "no_cache": True}
    if not member:
        ctx.should_call_api("get_group_member_info", data, result=None, exception=ActionFailed(retcode=100))
        return
    joined = int(time.time()) - joined_days_ago * 86400
    ctx.should_call_api(
        "get_group_member_info", data, result={"group_id": GROUP, "user_id": user_id, "join_time": joined}
    )


async def say(app: App, text: str, expected: Reply, user_id: int, role: str = "member", private: bool = False):
    async with app.test_matcher() as ctx:
        bot = ctx.create_bot(base=Bot, adapter=nonebot.get_adapter(Adapter))
        event = private_message(text, user_id=user_id) if private else group_message(text, user_id=user_id, role=role)
        ctx.receive_event(bot, event)
        ctx.should_call_send(event, expected, result={"message_id": 1})
        ctx.should_finished()


async def test_two_unverified_accounts_stop_at_watch_in_a_group_and_privately(app: App):
    await say(app, "/订阅", Reply("已订阅"), 1, role="admin")
    for user in (11111, 22222, 33333):
        await say(app, f"/绑定 淘宝 小王的手工皂{user}", Reply("已绑定", "店铺还没有认证"), user)
    await say(app, "/举报 innocent 差评敲诈 3720000000000001", Reply("需警惕"), 11111)
    await say(app, "/举报 innocent 差评敲诈 3720000000000002", Reply("需警惕"), 22222, private=True)
    await say(app, "/举报 innocent 差评敲诈 3720000000000003", Reply("需警惕", "都是不计分的举报"), 33333, private=True)
    assert await OutboxMessage.filter(kind="alert").count() == 0 and await JointCase.all().count() == 0
    # A second account cannot take the same shop name.
    await say(app, "/绑定 淘宝 小王的手工皂11111", Reply("已经有店铺绑定了", "/店员 添加"), 44444)


async def test_verified_in_a_trusted_group_by_its_admin(app: App):
    await say(app, "/订阅", Reply("已订阅"), 1, role="admin")
    for user in (11111, 22222):
        await say(app, f"/绑定 淘宝 店{user}", Reply("已绑定"), user)
    # Not yet trusted: the group's admin cannot vouch here (and the bot asks nobody about members).
    await say(app, "/认证 11111", Reply("这个群还没有被版主信任"), 500, role="admin")
    await say(app, "/信任本群", Reply("只有版主可以"), 500, role="admin")
    await say(app, "/信任本群", Reply("本群已被信任"), MODERATOR)
    await say(app, "/认证 11111", Reply("只有群主或管理员"), 501, role="member")
    async with app.test_matcher() as ctx:  # by @-mention
        bot = ctx.create_bot(base=Bot, adapter=nonebot.get_adapter(Adapter))
        event = group_message("/认证 ", user_id=500, role="admin")
        event.message = Message("/认证 ") + MessageSegment.at(11111)
        ctx.receive_event(bot, event)
        expect_membership(ctx, 11111)
        ctx.should_call_send(event, Reply("已认证「店11111」", "担保人 QQ 500", f"群 {GROUP}"), result={})
        ctx.should_finished()
    # One admin's shops are one root: the second is vouched for by a 版主.
    await say(app, "/认证 22222", Reply("已认证「店22222」", "（版主）"), MODERATOR, private=True)
    await say(app, "/认证", Reply("「店22222」已认证", "QQ 90000（版主）"), 22222)
    await say(app, "/举报 tb_bad 差评敲诈 3720000000000001", Reply("需警惕"), 11111)
    await say(app, "/举报 tb_bad 恶意退货 3720000000000002", Reply("该买家现在：高风险"), 22222)
    assert await OutboxMessage.filter(kind="alert", target_id=GROUP).count() == 1
    shop = await Shop.get(owner="qq:11111")
    assert (shop.verified_by, shop.verified_in) == ("qq:500", GROUP)


async def test_appeals_are_private_and_reviewed_by_moderators(app: App):
    await say(app, "/申诉 淘宝 tb_x 冤枉", Reply("请私聊机器人申诉", forbid=("tb_x",)), 555)
    await say(app, "/申诉 淘宝 tb_x 冤枉", Reply("现在没有有效的举报，不需要申诉"), 555, private=True)
    await say(app, "/绑定 淘宝 甲店", Reply("已绑定"), 11111)
    await say(app, "/举报 tb_x 差评敲诈 3720000000000001", Reply("已收到举报"), 11111)
    await say(
        app,
        "/申诉 淘宝 tb_x 我没有差评",
        Reply("已收到申诉 #", "新的高风险预警最多延后到", "极高风险不延后"),
        555,
        private=True,
    )
    n = (await Appeal.get(appellant="qq:555")).id
    await say(app, "/审核", Reply("只有版主可以"), 555, private=True)
    await say(app, "/审核", Reply("待处理的申诉", "tb_x：「我没有差评」"), MODERATOR, private=True)
    await say(app, f"/补充 {n} 买家在旺旺里要30元", Reply("还没有绑定店铺"), 22222, private=True)
    await say(app, "/绑定 淘宝 乙店", Reply("已绑定"), 22222)
    await say(app, f"/补充 {n} 买家在旺旺里要30元", Reply(f"没有可以补充的申诉 #{n}"), 22222, private=True)
    await say(
        app, f"/补充 {n} 买家在旺旺里要30元，截图见后", Reply(f"已为申诉 #{n} 补充证据：新增 1 条"), 11111, private=True
    )
    await say(
        app,
        f"/审核 {n}",
        Reply("「甲店」（未认证）", "3720000000000001", "「甲店」 补充（原话）：「买家在旺旺里要30元"),
        MODERATOR,
        private=True,
    )
    await say(app, f"/审核 {n} 维持 证据充分", Reply("已维持", "已通知"), MODERATOR, private=True)
    assert await OutboxMessage.filter(kind="appeal", target_id=555).exists()


async def test_the_bot_accepts_group_invitations_from_moderators_only(app: App):
    for inviter, approve in ((MODERATOR, True), (12345, False)):
        async with app.test_api() as ctx:
            bot = ctx.create_bot(base=Bot, adapter=nonebot.get_adapter(Adapter))
            event = GroupRequestEvent(
                time=1, self_id=999, post_type="request", request_type="group", sub_type="invite",
                group_id=30003, user_id=inviter, comment="", flag=f"flag{inviter}",
            )  # fmt: skip
            ctx.should_call_api(
                "set_group_add_request",
                {
                    "flag": f"flag{inviter}",
                    "sub_type": "invite",
                    "approve": approve,
                    "reason": "" if approve else Reply("只加入版主邀请的群"),
                },
                result=None,
            )
            await handle_event(bot, event)
