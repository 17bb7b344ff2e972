"""Guided handling, 体检 and 话术 through NoneBot (nonebug)."""

from __future__ import annotations

from datetime import timedelta

import nonebot
import pytest
from nonebot.adapters.onebot.v11 import Adapter, Bot
from nonebug import App

from bot.cases.flows import scenario
from bot.identity.platforms import platform_words
from bot.messaging.render import fill
from bot.storage.models.cases import GuideCase
from tests.conversation import Reply, converse, group_message, private_message

pytestmark = pytest.mark.usefixtures("empty_session_pool")


def text(step_text: str, platform: str = "taobao") -> str:
    """A step's text as a shop of this platform reads it."""
    return fill(step_text, p=platform_words(platform))


async def say_private(app: App, text: str, expected, user_id: int = 10001) -> None:
    async with app.test_matcher() as ctx:
        bot = ctx.create_bot(base=Bot, adapter=nonebot.get_adapter(Adapter))
        event = private_message(text, user_id=user_id)
        ctx.receive_event(bot, event)
        for reply in expected if isinstance(expected, list) else [expected]:
            ctx.should_call_send(event, reply, result={"message_id": 1})
        ctx.should_finished()


@pytest.mark.parametrize("number", [1, 2, 3, 4, 5])
async def test_each_scenario_walked_to_its_end_in_a_group(app: App, number: int):
    await converse(app, ("/绑定 淘宝 甲店", Reply("已绑定")))
    flow = next(
        s for s in (scenario(c) for c in ("unpaid", "paid", "extortion", "returns", "scalper")) if s.number == number
    )
    await converse(
        app, (f"/处理 {number} tb_bad", Reply(f"【处理：{flow.name}】案件 #", "买家 tb_bad", text(flow.steps[0].text)))
    )
    went_back = False
    for _ in range(30):
        case = await GuideCase.get(shop__owner="qq:10001")
        if case.status == "closed":
            break
        current = scenario(case.scenario).step(case.step)
        if not went_back and case.trail:
            # 返回 once per walk: the previous step is shown again.
            previous = case.trail[-1].split(":", 1)
            await converse(app, ("返回", Reply("已返回上一步", text(scenario(previous[0]).step(previous[1]).text))))
            went_back = True
            continue
        # Take the last answer of a question (a different branch from the core tests'),
        # except the unpaid flow, whose last answer leaves it for the paid flow.
        flow_now = scenario(case.scenario)
        if current.question:
            chosen = current.answers[0 if flow.code == "unpaid" else -1]
            answer, target = chosen.words[0], chosen.next
        else:
            answer, target = "好了", flow_now.after(current)
            if current.evidence:
                # 好了 asks which pieces of evidence were kept; they are confirmed by number.
                numbers = " ".join(str(n) for n in range(1, len(current.evidence) + 1))
                await converse(app, ("好了", Reply("你已经保存了哪些？", "1. ")))
                answer = numbers
        expected = Reply("处理流程走完了") if target == "end" else Reply(text(flow_now.step(target).text))
        await converse(app, (answer, expected))
    else:
        pytest.fail("flow did not end")
    assert went_back
    closed = await GuideCase.get(shop__owner="qq:10001")
    assert closed.status == "closed"


async def test_the_unpaid_flow_in_chat_fixes_the_stock_then_says_not_to_close(app: App):
    await converse(app, ("/绑定 淘宝 甲店", Reply("已绑定")))
    await converse(
        app,
        ("/处理 未付款恶拍", Reply("❓ 买家已经付款了吗？", "回复「没有」：没有付款", "回复「是」：已经付款")),
        ("没有", Reply("先处理库存", "付款减库存")),
        ("好了", Reply("限购")),
        (
            "好了",
            Reply(
                "不要自己关闭交易，也不要让客服帮你关闭：等系统自动关闭",
                "扣 6 分",
                "☐ 未付款订单列表截图",
                "每 3 天私聊提醒你跟进",
            ),
        ),
        ("退出", Reply("进度已保存（案件 #", "我会私聊提醒你跟进")),
    )
    # After 退出, 好了 in the group is just chatter: no reply.
    async with app.test_matcher() as ctx:
        bot = ctx.create_bot(base=Bot, adapter=nonebot.get_adapter(Adapter))
        ctx.receive_event(bot, group_message("好了"))
    case = await GuideCase.get(shop__owner="qq:10001")
    # /处理 alone shows the menu and the open case; the case goes on with /处理 #n.
    await converse(app, ("/处理", Reply("你有 1 件还没处理完的案件", f"#{case.id} 未付款恶拍", "1. 未付款恶拍")))
    await converse(app, (f"/处理 #{case.id}", Reply("继续上次的进度", "不要自己关闭交易")))
    await converse(
        app,
        ("好了", Reply("你已经保存了哪些？", "1. 未付款订单列表截图", "2. 在旺旺/千牛里与买家的全部对话记录")),
        ("2", Reply("卖家中心 → 营销中心 → 客户运营平台 → 客户管理 → 客户列表 → 选择该买家 → 禁止购买")),
        (
            "好了",
            Reply(
                "处理流程走完了",
                "☐ 未付款订单列表截图（能看到拍下时间和数量）（还没有，尽快补上）",
                "☑ 在旺旺/千牛里与买家的全部对话记录",
                "/举报 <买家ID> 恶拍",
            ),
        ),
    )


async def test_a_pinduoduo_shop_reads_its_own_platform_s_words(app: App):
    await converse(app, ("/绑定 拼多多 多多店", Reply("已绑定")))
    await converse(
        app,
        ("/处理 差评敲诈 pdd_x", Reply("【处理：差评敲诈】", "买家 pdd_x")),
        ("好了", Reply("只在拼多多商家后台的聊天里和对方沟通", forbid=("旺旺",))),
        ("跳过", Reply("对方是否坚持要加 QQ 或打电话")),
        ("否", Reply("恶意评价投诉")),
        ("跳过", Reply("主动跟进")),
        (
            "好了",
            Reply("在拼多多商家后台里找能限制这个买家下单的功能", "以后台规则为准", forbid=("卖家中心", "淘宝")),
        ),
        ("好了", Reply("处理流程走完了", "/举报 拼多多 pdd_x 差评敲诈", forbid=("淘宝 pdd_x",))),
    )
    case = await GuideCase.get(shop__owner="qq:10001")
    assert case.platform == "pdd"


async def test_a_case_can_be_dropped(app: App):
    await converse(app, ("/绑定 淘宝 甲店", Reply("已绑定")))
    await converse(app, ("/处理 3 tb_x", Reply("保持冷静")), ("取消", Reply("已删除案件 #", "不会再提醒")))
    await converse(app, ("/处理 4 tb_y", Reply("书面")), ("退出", Reply("进度已保存")))
    case = await GuideCase.get(buyer_key="tb_y")
    await converse(
        app,
        (f"/处理 #{case.id} 删除", Reply(f"已删除案件 #{case.id}「恶意退货」")),
        ("/处理", Reply("1. 未付款恶拍", forbid=("你有",))),
        (f"/处理 #{case.id} 跳舞", Reply("「跳舞」不是案件能做的操作")),
        ("/处理 3 tb_x 13912345670", Reply("这看起来是手机号 139****5670，不是订单号", forbid=("13912345670",))),
    )
    assert {c.status for c in await GuideCase.all()} == {"dropped"}


async def test_wrong_answer_gets_help_and_keeps_the_step(app: App):
    await converse(app, ("/绑定 淘宝 甲店", Reply("已绑定")))
    await say_private(
        app, "/处理 差评敲诈 tb_x 3720012345678901", Reply("【处理：差评敲诈】", "订单 3720012345678901", "保持冷静")
    )
    await say_private(app, "好了", Reply("只在旺旺/千牛里和对方沟通"))
    await say_private(app, "好了", Reply("你已经保存了哪些？"))
    await say_private(app, "都有", Reply("❓ 对方是否坚持要加 QQ 或打电话？"))
    await say_private(app, "不知道", Reply("没看懂。这一步要先回答：对方是否坚持要加 QQ 或打电话？", "进度不会丢"))
    await say_private(app, "是", Reply("让对方在旺旺里发出他的 QQ 号（不要把你的 QQ 发给他）", "录音"))
    case = await GuideCase.get(shop__owner="qq:10001")
    assert case.step == "qq_evidence" and case.answers == {"extortion.qq_or_phone": "坚持要加 QQ / 打电话"}


async def test_menu_lists_scenarios_and_open_cases(app: App):
    await converse(app, ("/绑定 淘宝 甲店", Reply("已绑定")))
    await converse(app, ("/处理", Reply("1. 未付款恶拍", "3. 差评敲诈", "5. 黄牛", forbid=("你有",))))
    await converse(app, ("/处理 1 tb_a", Reply("买家 tb_a")), ("退出", Reply("进度已保存")))
    await converse(app, ("/处理 4 tb_b", Reply("买家 tb_b")), ("退出", Reply("进度已保存")))
    await converse(
        app,
        ("/guide", Reply("你有 2 件还没处理完的案件", "未付款恶拍 · 买家 tb_a", "恶意退货 · 买家 tb_b", "/处理 #编号")),
    )
    # One open case: /处理 still shows the menu (it used to jump into the case).
    first = await GuideCase.get(buyer_key="tb_a")
    await converse(app, (f"/处理 #{first.id}", Reply("继续上次的进度", "买家已经付款了吗")))
    await converse(
        app,
        ("/处理 跳舞", Reply("不认识的情况「跳舞」", "1. 未付款恶拍")),
        ("/处理 #99999", Reply("没有找到你的店铺的案件 #99999")),
    )


async def test_unregistered_merchant_is_told_to_bind(app: App):
    await converse(app, ("/处理 1", Reply("你还没有绑定店铺")), ("/体检", Reply("你还没有绑定店铺")))


async def test_audit_in_chat(app: App):
    await converse(app, ("/绑定 淘宝 甲店", Reply("已绑定")))
    await converse(
        app, ("/体检", Reply("【店铺体检】第 1/6 题", "商品详情写全了吗")), ("是", Reply("第 2/6 题", "偏远地区"))
    )
    await say_private(app, "/体检", Reply("第 2/6 题"))
    await say_private(app, "可能吧", Reply("请回复「是」或「否」"))
    for word, expected in (("否", "第 3/6 题"), ("是", "第 4/6 题"), ("否", "第 5/6 题"), ("是", "第 6/6 题")):
        await say_private(app, word, Reply(expected))
    await say_private(
        app,
        "否",
        Reply(
            "【店铺体检】得分 55/100",
            "要改进的 3 项",
            "不包邮的偏远地区",
            "其他-赠品",
            "原因：极低价包邮的商品最容易被批量恶拍和差评敲诈盯上",
            "已做到 3 项",
        ),
    )


async def test_scripts(app: App):
    await converse(
        app, ("/话术", Reply("1. 未付款恶拍：未付款提醒", "3. 差评敲诈：威胁差评、引导说出要求、拒绝转QQ", "5. 黄牛"))
    )
    async with app.test_matcher() as ctx:
        bot = ctx.create_bot(base=Bot, adapter=nonebot.get_adapter(Adapter))
        event = group_message("/scripts 引导")
        ctx.receive_event(bot, event)
        ctx.should_call_send(event, Reply("【话术：引导说出要求】", "下面 2 条"), result={"message_id": 1})
        ctx.should_call_send(event, Reply("您直接在这里说您的要求就可以"), result={"message_id": 2})
        ctx.should_call_send(event, Reply("在这里说清楚，我们好跟主管申请"), result={"message_id": 3})
        ctx.should_finished()
    await converse(app, ("/话术 唱歌", Reply("没有「唱歌」这个话术场景")))


async def test_scripts_are_paced_and_in_the_shop_s_own_words(app: App):
    import time

    await converse(app, ("/绑定 拼多多 多多店", Reply("已绑定")))
    async with app.test_matcher() as ctx:
        bot = ctx.create_bot(base=Bot, adapter=nonebot.get_adapter(Adapter))
        event = group_message("/话术 拒绝转QQ")
        ctx.receive_event(bot, event)
        ctx.should_call_send(event, Reply("【话术：拒绝转QQ】"), result={"message_id": 1})
        ctx.should_call_send(event, Reply("售后都只在拼多多聊天处理", forbid=("旺旺",)), result={"message_id": 2})
        ctx.should_call_send(event, Reply("售后问题还是在拼多多聊天里处理", forbid=("旺旺",)), result={"message_id": 3})
        started = time.monotonic()
        ctx.should_finished()
    # Three messages, SEND_INTERVAL_SECONDS (0.05 s in the tests) apart.
    assert time.monotonic() - started >= 2 * 0.05


async def test_a_handling_scenario_name_or_number_finds_its_scripts(app: App):
    """A merchant who just walked `/处理 差评敲诈` asks `/话术 差评敲诈` (it used to answer
    "没有这个话术场景"). Asked by someone whose platform is not known, the scripts name
    the platform's chat in general, no platform's tool."""
    for word in ("差评敲诈", "3"):
        async with app.test_matcher() as ctx:
            bot = ctx.create_bot(base=Bot, adapter=nonebot.get_adapter(Adapter))
            event = group_message(f"/话术 {word}")
            ctx.receive_event(bot, event)
            for heading, first in (
                ("【话术：威胁差评】", "收到您的反馈了"),
                ("【话术：引导说出要求】", "您希望我们怎么处理呢"),
                ("【话术：拒绝转QQ】", "售后都只在平台聊天处理"),
            ):
                ctx.should_call_send(event, Reply(heading), result={"message_id": 1})
                ctx.should_call_send(event, Reply(first), result={"message_id": 2})
                ctx.should_call_send(event, Reply(), result={"message_id": 3})
            ctx.should_finished()
    async with app.test_matcher() as ctx:
        bot = ctx.create_bot(base=Bot, adapter=nonebot.get_adapter(Adapter))
        event = group_message("/话术 恶意退货")
        ctx.receive_event(bot, event)
        ctx.should_call_send(event, Reply("【话术：退货规则】"), result={"message_id": 1})
        ctx.should_call_send(event, Reply("退货规则跟您说明一下"), result={"message_id": 2})
        ctx.should_call_send(event, Reply("寄回时麻烦在包裹里写上您的订单号"), result={"message_id": 3})
        ctx.should_finished()


async def test_reminder_goes_to_the_merchant_in_private_once(app: App, monkeypatch):
    from bot.storage.models.messaging import OutboxMessage
    from nonebot_plugin_shop_guard.guide import reminders
    from nonebot_plugin_shop_guard.runtime import pool

    guides = pool().guides

    await converse(app, ("/绑定 淘宝 甲店", Reply("已绑定")))
    await converse(app, ("/处理 差评敲诈 tb_x", Reply("保持冷静")))
    case = await GuideCase.get(shop__owner="qq:10001")
    while (current := await GuideCase.get(id=case.id)).step != "follow_up":
        word = "否" if current.step == "qq_or_phone" else ("都有" if current.answers.get("_evidence_of") else "好了")
        await converse(app, (word, Reply("【处理：")))
    case = await GuideCase.get(id=case.id)
    assert case.step == "follow_up" and case.remind_at is not None
    await converse(app, ("退出", Reply("进度已保存")))

    real_clock = guides.clock
    monkeypatch.setattr(guides, "clock", lambda: real_clock() + timedelta(days=2))
    await reminders.queue_due_reminders()
    assert await OutboxMessage.filter(kind="guide").count() == 0  # not yet
    monkeypatch.setattr(guides, "clock", lambda: real_clock() + timedelta(days=3, minutes=1))
    await reminders.queue_due_reminders()
    await reminders.queue_due_reminders()  # marked: not queued twice
    queued = await OutboxMessage.filter(kind="guide")
    assert [(m.channel, m.target_id) for m in queued] == [("private", 10001)]
    assert (
        f"【跟进提醒】案件 #{case.id}「差评敲诈」" in queued[0].text
        and "投诉已提交 3 天，去跟进处理进度。" in queued[0].text
    )
    assert (await GuideCase.get(id=case.id)).reminders_sent == 1

    # Closed cases are never reminded.
    await guides.drop(await case.shop, case.id)
    monkeypatch.setattr(guides, "clock", lambda: real_clock() + timedelta(days=30))
    await reminders.queue_due_reminders()
    assert await OutboxMessage.filter(kind="guide").count() == 1
