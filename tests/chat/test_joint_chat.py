"""Joint cases in the chat: commands, the group hint, evidence pictures and quotas (nonebug)."""

from __future__ import annotations

import nonebot
import pytest
from nonebot.adapters.onebot.v11 import Adapter, Bot
from nonebug import App

from bot.storage.models.cases import JointCase, JointEvidence
from bot.storage.models.shops import Shop
from tests.conversation import Base64File, Reply, converse, serve_file, verify_user

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.mark.usefixtures("empty_session_pool")
async def test_joint_commands_in_private_chat(app: App):
    for user in (1, 2, 3):
        await converse(app, (f"/绑定 淘宝 店{user}", Reply("已绑定")), user_id=user)
        await verify_user(user)
        await converse(app, (f"/举报 tb_joint 差评师 372000000000000{user} {user}0", Reply("已收到举报")), user_id=user)
    case = await JointCase.get()
    await converse(app, ("/联合", Reply(f"#{case.id} 买家 tb****nt · 收集证据 · 待加入")), user_id=1, private=True)
    await converse(
        app,
        (f"/联合 {case.id}", Reply("已加入 0 家店铺，另有 3 家受邀", f"/联合 {case.id} 加入", forbid=("店2", "372"))),
        user_id=1,
        private=True,
    )
    await converse(
        app,
        (f"/联合 {case.id} 加入", Reply("你已加入这个案件", "已加入的店铺（1 家）", "订单 3720000000000001 10 元")),
        user_id=1,
        private=True,
    )
    await converse(app, (f"/joint {case.id}", Reply("状态：收集证据", forbid=("你已加入",))), user_id=1, private=True)
    await converse(app, ("/证据", Reply("请写上案件编号和证据说明")), user_id=1, private=True)
    await converse(
        app,
        ("/证据 abc 说明", Reply("「abc」不是案件编号", "/证据 <案件编号> <说明>", forbid=("举报编号",))),
        user_id=1,
        private=True,
    )
    await converse(app, (f"/联合 {case.id} 已提交", Reply("状态已改为「已提交」")), user_id=1, private=True)
    await converse(app, (f"/联合 {case.id} 已解决", Reply("要另一家已加入的店铺在 3 天内")), user_id=1, private=True)
    await converse(app, (f"/联合 {case.id} 吃饭", Reply("不认识的状态「吃饭」")), user_id=1, private=True)
    await converse(app, ("/绑定 淘宝 路人店", Reply("已绑定")), user_id=9)
    await converse(
        app, (f"/联合 {case.id}", Reply("只有受邀的店铺才能查看和加入", forbid=("tb_joint",))), user_id=9, private=True
    )
    for user in (2, 3):
        await converse(app, (f"/联合 {case.id} 加入", Reply("你已加入这个案件")), user_id=user, private=True)
    async with app.test_matcher() as ctx:
        bot = ctx.create_bot(base=Bot, adapter=nonebot.get_adapter(Adapter))
        from tests.conversation import private_message

        event = private_message(f"/投诉书 {case.id}", user_id=1)
        ctx.receive_event(bot, event)
        ctx.should_call_send(
            event,
            Reply(
                "联合投诉书",
                "涉及店铺：3 家（「店1」、「店2」、「店3」）",
                "3720000000000001",
                "3720000000000003",
                "SHA-256",
            ),
            result={"message_id": 1},
        )
        ctx.should_call_api(
            "upload_private_file",
            {"user_id": 1, "file": Base64File("联合投诉书", "店1"), "name": f"联合投诉书-{case.id}.txt"},
            result=None,
        )
        ctx.should_call_send(event, Reply("联合投诉书已生成", f"/联合 {case.id} 已提交"), result={"message_id": 2})
        ctx.should_finished()


@pytest.mark.usefixtures("empty_session_pool")
async def test_in_a_group_a_case_gets_only_the_private_chat_hint(app: App):
    for user in (1, 2, 3):
        await converse(app, (f"/绑定 淘宝 店{user}", Reply("已绑定")), user_id=user)
        await verify_user(user)
        await converse(app, (f"/举报 tb_joint 差评师 372000000000000{user} {user}0", Reply("已收到举报")), user_id=user)
    case = await JointCase.get()
    await converse(app, (f"/联合 {case.id} 加入", Reply("你已加入")), user_id=1, private=True)
    for text in (f"/联合 {case.id}", f"/联合 #{case.id} 已提交", f"/投诉书 {case.id}", f"/证据 {case.id} 买家要钱"):
        await converse(app, (text, f"请私聊机器人查看案件 #{case.id}"), user_id=1)
    await converse(app, ("/联合", "请私聊机器人查看你的联合案件"), user_id=1)
    assert (await JointCase.get()).status == "收集证据" and await JointEvidence.all().count() == 0


@pytest.mark.usefixtures("empty_session_pool")
async def test_evidence_text_then_the_picture_in_the_next_message(app: App, unused_tcp_port: int):
    """Phones send a picture as a message of its own: after /证据 the member's next
    message that is just pictures is added to the case; what others send is not taken."""
    from nonebot.adapters.onebot.v11 import Message, MessageSegment

    from tests.conversation import private_message as group_message

    for user in (1, 2, 3):
        await converse(app, (f"/绑定 淘宝 店{user}", Reply("已绑定")), user_id=user)
        await verify_user(user)
        await converse(app, (f"/举报 tb_joint 差评师 372000000000000{user} {user}0", Reply("已收到举报")), user_id=user)
    case = await JointCase.get()
    await converse(app, (f"/联合 {case.id} 加入", Reply("你已加入这个案件")), user_id=1, private=True)
    runner = await serve_file(PNG, unused_tcp_port, "/shot.png")
    try:
        async with app.test_matcher() as ctx:
            bot = ctx.create_bot(base=Bot, adapter=nonebot.get_adapter(Adapter))
            asked = group_message(f"/证据 {case.id} 买家要30元改评", user_id=1)
            ctx.receive_event(bot, asked)
            ctx.should_call_send(
                asked, Reply(f"已为案件 #{case.id} 记录证据：新增 1 条", "2 分钟内直接发过来"), result={"message_id": 1}
            )
            ctx.should_paused()
            someone_else = group_message("", user_id=2)
            someone_else.message = Message(MessageSegment.image(f"http://127.0.0.1:{unused_tcp_port}/shot.png"))
            ctx.receive_event(bot, someone_else)  # not the member who asked: not taken
            # A picture sent privately is read as a screenshot (issue #30); this one is none.
            ctx.should_call_send(someone_else, Reply("不是能识别的图片"), result={"message_id": 2})
            picture = group_message("", user_id=1)
            picture.message = Message(MessageSegment.image(f"http://127.0.0.1:{unused_tcp_port}/shot.png"))
            ctx.receive_event(bot, picture)
            ctx.should_call_send(picture, Reply(f"已为案件 #{case.id} 记录证据：新增 1 条"), result={"message_id": 3})
            ctx.should_finished()
    finally:
        await runner.cleanup()
    # The text sent first was the picture's caption: one piece of evidence, a picture
    # with its caption (the letter listed the caption as chat-record text before).
    evidence = await JointEvidence.filter(case_id=case.id).order_by("id")
    assert [(e.description, e.file_name is not None) for e in evidence] == [("买家要30元改评", True)]
    from nonebot_plugin_shop_guard.runtime import pool as session_pool

    shop = await Shop.get(owner="qq:1")
    text, _ = await session_pool().joint.letter(shop, case.id)
    assert "「店1」：截图（说明：「买家要30元改评」）" in text and "聊天记录文字" not in text

    # Without text, the bot asks for the picture; a non-member is refused before that.
    async with app.test_matcher() as ctx:
        bot = ctx.create_bot(base=Bot, adapter=nonebot.get_adapter(Adapter))
        asked = group_message(f"/证据 {case.id}", user_id=1)
        ctx.receive_event(bot, asked)
        ctx.should_call_send(asked, Reply("请在 2 分钟内发送截图", f"案件 #{case.id}"), result={"message_id": 4})
        ctx.should_paused()
    await converse(app, (f"/证据 {case.id}", Reply("请先加入案件")), user_id=2, private=True)
    assert await JointEvidence.filter(case_id=case.id).count() == 1


@pytest.mark.usefixtures("empty_session_pool")
async def test_a_new_command_ends_the_wait_for_pictures(app: App, unused_tcp_port: int):
    """`/证据 1 …` then `/证据 2 …` with a picture: the picture and the second text go to
    case 2 (before, the waiting case 1 took the picture and the text was lost)."""
    from nonebot.adapters.onebot.v11 import Message, MessageSegment

    from tests.conversation import private_message as group_message

    for user in (1, 2, 3):
        await converse(app, (f"/绑定 淘宝 店{user}", Reply("已绑定")), user_id=user)
        await verify_user(user)
        for buyer in ("tb_one", "tb_two"):
            await converse(
                app, (f"/举报 {buyer} 差评师 37200000000{user}{len(buyer)}00", Reply("已收到举报")), user_id=user
            )
    first, second = await JointCase.all().order_by("id")
    for case in (first, second):
        await converse(app, (f"/联合 {case.id} 加入", Reply("你已加入这个案件")), user_id=1, private=True)
    runner = await serve_file(PNG, unused_tcp_port, "/shot.png")
    try:
        async with app.test_matcher() as ctx:
            bot = ctx.create_bot(base=Bot, adapter=nonebot.get_adapter(Adapter))
            asked = group_message(f"/证据 {first.id} 第一段文字", user_id=1)
            ctx.receive_event(bot, asked)
            ctx.should_call_send(asked, Reply(f"已为案件 #{first.id} 记录证据"), result={"message_id": 1})
            ctx.should_paused()
            again = group_message(f"/证据 {second.id} 第二段文字", user_id=1)
            again.message = Message(MessageSegment.text(f"/证据 {second.id} 第二段文字")) + MessageSegment.image(
                f"http://127.0.0.1:{unused_tcp_port}/shot.png"
            )
            ctx.receive_event(bot, again)
            ctx.should_call_send(again, Reply(f"已为案件 #{second.id} 记录证据：新增 1 条"), result={"message_id": 2})
            ctx.should_finished()
            # The first wait is over: a later picture on its own is not filed under case 1.
            picture = group_message("", user_id=1)
            picture.message = Message(MessageSegment.image(f"http://127.0.0.1:{unused_tcp_port}/shot.png"))
            ctx.receive_event(bot, picture)
            # Read as a screenshot instead (issue #30): this one is none.
            ctx.should_call_send(picture, Reply("不是能识别的图片"), result={"message_id": 3})
    finally:
        await runner.cleanup()
    on_first = [(e.description, e.file_name is not None) for e in await JointEvidence.filter(case_id=first.id)]
    on_second = [(e.description, e.file_name is not None) for e in await JointEvidence.filter(case_id=second.id)]
    assert on_first == [("第一段文字", False)]
    assert on_second == [("第二段文字", True)]


@pytest.mark.usefixtures("empty_session_pool")
async def test_evidence_quotas_are_refused_before_downloading(app: App):
    from nonebot.adapters.onebot.v11 import Message, MessageSegment

    from tests.conversation import private_message as group_message

    for user in (1, 2, 3):
        await converse(app, (f"/绑定 淘宝 店{user}", Reply("已绑定")), user_id=user)
        await verify_user(user)
        await converse(app, (f"/举报 tb_quota 差评师 372000000000000{user}", Reply("已收到举报")), user_id=user)
    case = await JointCase.get()
    await converse(app, (f"/联合 {case.id} 加入", Reply("你已加入这个案件")), user_id=1, private=True)
    async with app.test_matcher() as ctx:
        bot = ctx.create_bot(base=Bot, adapter=nonebot.get_adapter(Adapter))
        thirty = group_message("", user_id=1)
        thirty.message = Message(MessageSegment.text(f"/证据 {case.id} 截图")) + Message(
            [MessageSegment.image(f"http://127.0.0.1:1/{n}.png") for n in range(30)]
        )
        ctx.receive_event(bot, thirty)
        ctx.should_call_send(thirty, Reply("一条消息最多收 9 张截图（这条有 30 张）"), result={"message_id": 1})
        ctx.should_finished()
    assert await JointEvidence.all().count() == 0
