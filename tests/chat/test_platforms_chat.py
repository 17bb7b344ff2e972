"""Every platform's buyers in the chat (issue 26): a group's own platform, /查 and /申诉
on every platform for someone whose platform is not known, checks by a phone alone within
the shop's allowance of the day, privacy numbers refused, /联合 发起 (nonebug)."""

from __future__ import annotations

import pytest
from nonebug import App

from bot.storage.models.cases import JointCase, JointMember
from bot.storage.models.messaging import OutboxMessage
from bot.storage.models.shops import ClueLookupDay
from tests.conversation import Reply, converse, verify_user

PDD_ORDERS = iter(f"260517-6071989743422{n:02d}" for n in range(10, 99))


async def _pdd_shops_report(app: App, buyer: str, users: tuple[int, ...] = (1, 2)) -> None:
    """Verified 拼多多 shops report the buyer with an order each (the shop's platform)."""
    for user in users:
        await converse(app, (f"/绑定 拼多多 多多店{user}", Reply("已绑定")), user_id=user)
        await verify_user(user)
        await converse(app, (f"/举报 {buyer} 差评师 {next(PDD_ORDERS)}", Reply("已收到举报")), user_id=user)


@pytest.mark.usefixtures("empty_session_pool")
async def test_a_member_without_a_shop_is_not_told_no_record_for_a_pinduoduo_buyer(app: App):
    """Someone without a shop used to get 淘宝 as the platform: a 拼多多 buyer who is 高风险
    read 「【淘宝】…无记录（0/100）」. Now every platform is looked at, each match named
    with its platform, and 无记录 said only when there is none anywhere."""
    await _pdd_shops_report(app, "pdd_bad")
    await converse(
        app,
        ("/查 pdd_bad", Reply("【拼多多】pdd_bad：高风险", "/查 拼多多 pdd_bad 详细", forbid=("【淘宝】", "无记录"))),
        user_id=3,
    )
    await converse(
        app,
        (
            "/查 nobody_here",
            Reply(
                "【各平台】nobody_here：无记录（0/100）", "淘宝、天猫、拼多多、京东、抖音上都没有这个买家ID的有效举报"
            ),
        ),
        user_id=3,
    )
    # The same id on two platforms: each named with its own platform, never merged.
    await converse(app, ("/举报 淘宝 dual_name 差评师 3720000000000901", Reply("已收到举报")), user_id=1)
    await converse(app, ("/举报 dual_name 差评师 260517-607198974342901", Reply("已收到举报")), user_id=2)
    await converse(
        app,
        ("/查 dual_name", Reply("在 2 个平台上都有举报", "【淘宝】dual_name", "【拼多多】dual_name")),
        user_id=3,
    )
    # A shop's own platform still decides for its members.
    await converse(app, ("/查 pdd_bad", Reply("【拼多多】pdd_bad：高风险")), user_id=1)


@pytest.mark.usefixtures("empty_session_pool")
async def test_a_group_sets_its_own_platform_for_members_without_a_shop(app: App):
    await _pdd_shops_report(app, "pdd_bad")
    await converse(app, ("/设置 平台 拼多多", Reply("只有本群群主、管理员或版主可以修改本群设置")), user_id=3)
    await converse(app, ("/设置 平台 亚马逊", Reply("不认识的平台「亚马逊」")), user_id=3, role="admin")
    await converse(
        app,
        ("/设置 平台 拼多多", Reply("/查 不写平台就按「拼多多」", "平台（没有绑定店铺的成员不写平台时）：拼多多")),
        user_id=3,
        role="owner",
    )
    try:
        await converse(
            app, ("/查 someone_new", Reply("【拼多多】someone_new：无记录", forbid=("【各平台】",))), user_id=4
        )
        await converse(app, ("/查 pdd_bad", Reply("【拼多多】pdd_bad：高风险")), user_id=4)
        # Another group has not set one: every platform there.
        async with app.test_matcher() as ctx:
            import nonebot
            from nonebot.adapters.onebot.v11 import Adapter, Bot

            from tests.conversation import group_message

            bot = ctx.create_bot(base=Bot, adapter=nonebot.get_adapter(Adapter))
            event = group_message("/查 someone_new", user_id=4, group_id=20002)
            ctx.receive_event(bot, event)
            ctx.should_call_send(event, Reply("【各平台】someone_new：无记录"), result={"message_id": 1})
            ctx.should_finished()
    finally:
        # The group's platform is remembered per process: turned off again for the tests after.
        await converse(app, ("/设置 平台 关", Reply("本群不再设默认平台")), user_id=3, role="owner")


@pytest.mark.usefixtures("empty_session_pool")
async def test_an_appeal_without_a_platform_finds_the_buyer_where_listed(app: App):
    await _pdd_shops_report(app, "pdd_bad")
    await converse(
        app, ("/申诉 pdd_bad 我没有给过差评", Reply("已收到申诉", "【拼多多】pdd_bad")), user_id=5, private=True
    )
    await converse(
        app,
        ("/申诉 nobody_here 冤枉", Reply("nobody_here 在淘宝、天猫、拼多多、京东、抖音上都没有有效的举报，不需要申诉")),
        user_id=6,
        private=True,
    )
    await converse(app, ("/举报 淘宝 dual_name 差评师 3720000000000902", Reply("已收到举报")), user_id=1)
    await converse(app, ("/举报 dual_name 差评师 260517-607198974342902", Reply("已收到举报")), user_id=2)
    await converse(
        app,
        ("/申诉 dual_name 冤枉", Reply("dual_name 在 淘宝、拼多多 上都有举报", "/申诉 淘宝 dual_name <理由>")),
        user_id=6,
        private=True,
    )


@pytest.mark.usefixtures("empty_session_pool")
async def test_checking_by_phone_alone_within_the_shops_allowance(app: App):
    from nonebot_plugin_shop_guard.runtime import blacklist

    await converse(app, ("/绑定 拼多多 多多店1", Reply("已绑定")), user_id=1)
    # Anonymous and unverified accounts still cannot look phones up.
    await converse(app, ("/查 手机:13812345678", Reply("只对已认证的店铺开放")), user_id=1)
    await converse(app, ("/查 手机:13812345678", Reply("只对已认证的店铺开放")), user_id=9)
    await verify_user(1)
    was = blacklist().clue_lookups_per_day
    blacklist().clue_lookups_per_day = 2
    try:
        await converse(
            app,
            (
                "/查 手机:13812345678",
                Reply(
                    "【手机 138****5678】：无记录",
                    "今天还可以按手机号/地址查 1 次（每家认证店铺每天 2 次，北京时间 0 点重置）",
                    forbid=("13812345678",),
                ),
            ),
            user_id=1,
        )
        await converse(app, ("/查 拼多多 手机:13812345678", Reply("今天还可以按手机号/地址查 0 次")), user_id=1)
        await converse(
            app,
            ("/查 手机:13812345678", Reply("今天按手机号/地址查的次数已经用完：每家认证店铺每天 2 次", "北京时间")),
            user_id=1,
        )
        # By buyer id: not limited.
        await converse(app, ("/查 pdd_buyer", Reply("【拼多多】pdd_buyer：无记录")), user_id=1)
        # Stored, not kept in one process's memory: another process sees the same count.
        assert [(d.used) for d in await ClueLookupDay.all()] == [2]
    finally:
        blacklist().clue_lookups_per_day = was
    # A privacy number is refused as one, never looked up (nor counted).
    await converse(
        app,
        ("/查 手机:18400913965-7576", Reply("184****3965-… 是隐私号（虚拟号）", forbid=("18400913965",))),
        user_id=1,
    )
    assert [(d.used) for d in await ClueLookupDay.all()] == [2]
    await converse(app, ("/查", Reply("缺少买家ID", "也可以只写 手机:… 或 地址:…")), user_id=1)


@pytest.mark.usefixtures("empty_session_pool")
async def test_two_harmed_shops_open_a_joint_case_by_hand(app: App):
    await _pdd_shops_report(app, "pdd_two")
    assert await JointCase.all().count() == 0  # the automatic opening stays at three
    # A shop whose report does not count (not verified) may neither open nor join.
    await converse(app, ("/绑定 拼多多 路人店", Reply("已绑定")), user_id=3)
    await converse(app, (f"/举报 pdd_two 差评师 {next(PDD_ORDERS)}", Reply("已收到举报")), user_id=3)
    await converse(app, ("/联合 发起 pdd_two", Reply("不能为【拼多多】pdd_two 发起联合投诉")), user_id=3, private=True)
    await converse(app, ("/联合 发起 pdd_two", Reply("请私聊机器人")), user_id=1)
    await converse(
        app,
        (
            "/联合 发起 pdd_two",
            Reply("【联合投诉】案件 #", "拼多多买家 pdd_two", "你已加入这个案件", "另有 1 家店铺受邀"),
        ),
        user_id=1,
        private=True,
    )
    case = await JointCase.get()
    members = {m.shop.name: m.state for m in await JointMember.filter(case_id=case.id).prefetch_related("shop")}
    assert members == {"多多店1": "joined", "多多店2": "invited"}
    assert await OutboxMessage.filter(event_key__startswith=f"joint-invite:{case.id}:").count() == 1


@pytest.mark.usefixtures("empty_session_pool")
async def test_a_pinduoduo_shop_is_answered_in_its_own_words(app: App):
    await _pdd_shops_report(app, "pdd_bad")
    taobao_only = ("千牛", "旺旺", "卖家中心", "付款减库存", "其他-赠品", "淘宝")
    await converse(
        app,
        ("/查 pdd_bad 详细", Reply("【拼多多】买家 pdd_bad", "拼多多商家后台的聊天", forbid=taobao_only)),
        user_id=1,
    )
    await converse(
        app,
        ("/帮助 查", Reply("例如：/查 拼多多 pdd12345678", forbid=("千牛", "旺旺", "例如：/查 淘宝"))),
        user_id=1,
    )
    await converse(app, ("/帮助 查", Reply("例如：/查 淘宝 tb12345678")), user_id=7)
