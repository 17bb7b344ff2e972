"""Issue #24's attacks as they were tried, in chat (nonebug): each must be refused with a
short zh-CN reply that says why and what to do, and the honest path beside it must work."""

from __future__ import annotations

import nonebot
import pytest
from nonebot.adapters.onebot.v11 import Adapter, Bot
from nonebug import App

from bot.storage.models.appeals import Appeal
from bot.storage.models.messaging import OutboxMessage
from bot.storage.models.reports import Report
from bot.storage.models.shops import Shop
from bot.storage.models.trust import TrustDecision
from tests.chat.test_trust_chat import GROUP, MODERATOR, expect_membership, say
from tests.conversation import Reply, group_message

pytestmark = pytest.mark.usefixtures("empty_session_pool")

ADMIN = 50001


async def vouch(app: App, target: int, expected: Reply, admin: int = ADMIN, **membership) -> None:
    """`admin` (a group admin) sends /认证 <target> in GROUP; the bot asks the OneBot client
    about the target's membership."""
    async with app.test_matcher() as ctx:
        bot = ctx.create_bot(base=Bot, adapter=nonebot.get_adapter(Adapter))
        event = group_message(f"/认证 {target}", user_id=admin, role="admin")
        ctx.receive_event(bot, event)
        expect_membership(ctx, target, **membership)
        ctx.should_call_send(event, expected, result={"message_id": 1})
        ctx.should_finished()


async def trusted_group(app: App) -> None:
    await say(app, "/订阅", Reply("已订阅"), 1, role="admin")
    await say(app, "/信任本群", Reply("本群已被信任"), MODERATOR)


async def test_one_admin_cannot_mint_verified_shops(app: App):
    await trusted_group(app)
    await say(app, f"/绑定 淘宝 管理员自己的店{ADMIN}", Reply("已绑定"), ADMIN, role="admin")
    await say(app, "/店员 添加 50002", Reply("50002"), ADMIN, role="admin")
    # Himself and his second account: refused before the bot asks anyone anything.
    for account in (ADMIN, 50002):
        await say(
            app, f"/认证 {account}", Reply("不能为自己或自己做店员的店铺", "请本群的其他管理员，或版主"), ADMIN, "admin"
        )
    # A number that never spoke in the group, and one that joined yesterday.
    await say(app, "/绑定 淘宝 陌生人的店", Reply("已绑定"), 60001, private=True)
    await vouch(app, 60001, Reply("对方不是本群成员", "入群满 7 天"), member=False)
    await say(app, "/绑定 淘宝 新成员的店", Reply("已绑定"), 60002, private=True)
    await vouch(app, 60002, Reply("才入群", "入群满 7 天后才能在本群为他担保"), joined_days_ago=1)
    assert await Shop.filter(verified_at__isnull=False).count() == 0
    # Two members he knows: verified, but one root. Their reports keep the buyer at 需警惕.
    for user in (60003, 60004):
        await say(app, f"/绑定 淘宝 老成员{user}", Reply("已绑定"), user)
        await vouch(app, user, Reply(f"已认证「老成员{user}」", "还需要另一位担保人、另一个群（或版主）认证的店铺"))
    await say(app, "/举报 innocent 差评敲诈 3720000000000001", Reply("需警惕"), 60003)
    await say(
        app,
        "/举报 innocent 差评敲诈 3720000000000002",
        Reply("该买家现在：需警惕", "都由同一位群管理员或同一个群认证"),
        60004,
    )
    await say(app, "/查 innocent", Reply("需警惕", "还不能判为高风险"), 70000)
    assert await OutboxMessage.filter(kind="alert").count() == 0
    # /信任本群 取消 ends every vouch made here.
    await say(app, "/信任本群 取消", Reply("本群已不再被信任", "在本群做的担保都已停止"), MODERATOR)
    await say(app, "/认证", Reply("还没有认证"), 60003)
    assert await TrustDecision.filter(action="suspend_vouch").count() == 2


async def test_a_rename_or_a_move_ends_the_verification_and_says_so(app: App):
    await say(app, "/绑定 淘宝 小店A", Reply("已绑定"), 61001)
    await say(app, "/认证 61001", Reply("已认证「小店A」"), MODERATOR, private=True)
    await say(app, "/绑定 淘宝 优衣库官方旗舰店", Reply("小店A → 优衣库官方旗舰店", "认证已失效"), 61001)
    await say(app, "/认证", Reply("还没有认证"), 61001)
    await say(app, "/认证 61001", Reply("已认证「优衣库官方旗舰店」"), MODERATOR, private=True)
    await say(app, "/绑定 拼多多 优衣库官方旗舰店", Reply("【拼多多】", "认证已失效"), 61001)
    assert (await Shop.get(owner="qq:61001")).verified_at is None


async def test_a_ban_covers_the_shop_and_every_account_of_it(app: App):
    await say(app, "/绑定 淘宝 坏店", Reply("已绑定"), 62001)
    await say(app, "/店员 添加 62002", Reply("62002"), 62001)
    await say(app, "/封禁 62001 恶意举报同行", Reply("已封禁"), MODERATOR, private=True)
    for text in ("/店员 移除 62002", "/店员 添加 62003", "/绑定 淘宝 换个马甲", "/绑定 拼多多 坏店"):
        await say(app, text, Reply("正被版主封禁", "不能改名、换平台，也不能添加或移除店员"), 62001)
    # The owner cannot free the staff account; nor can it leave and start a new shop.
    await say(app, "/绑定 淘宝 清白的新店", Reply("你是「坏店」的店员", forbid=("已绑定店铺",)), 62002)
    assert await Shop.filter(name="清白的新店").count() == 0


async def test_after_a_removal_the_same_shops_reports_wait_for_a_moderator(app: App):
    await say(app, "/订阅", Reply("已订阅"), 1, role="admin")
    for user in (63001, 63002):
        await say(app, f"/绑定 淘宝 店{user}", Reply("已绑定"), user)
        await say(app, f"/认证 {user}", Reply("已认证"), MODERATOR, private=True)
    await say(app, "/举报 tb_victim 差评敲诈 3720000000000011", Reply("需警惕"), 63001)
    await say(app, "/举报 tb_victim 差评敲诈 3720000000000012", Reply("高风险"), 63002)
    await say(app, "/申诉 淘宝 tb_victim 我是冤枉的", Reply("已收到申诉 #"), 555, private=True)
    n = (await Appeal.get(appellant="qq:555")).id
    await say(app, f"/审核 {n} 撤销 订单都已签收", Reply("已撤销"), MODERATOR, private=True)
    await say(app, "/举报 tb_victim 差评敲诈 3720000000000013", Reply("要等版主接受后才计分"), 63001)
    await say(
        app, "/举报 tb_victim 差评敲诈 3720000000000014", Reply("该买家现在：需警惕", "要等版主接受后才计分"), 63002
    )
    await say(app, "/查 tb_victim", Reply("需警惕", "2 家店铺举报，都不计分"), 70000)
    await say(app, "/审核", Reply("另有 2 条举报等待审核", "/审核 举报"), MODERATOR, private=True)
    held = await Report.filter(held=True, state="active").order_by("id")
    await say(app, "/审核 举报", Reply(f"#{held[0].id} 「店63001」", "接受 或 驳回"), MODERATOR, private=True)
    await say(app, f"/审核 举报 {held[0].id} 接受 新证据可信", Reply("已接受举报"), MODERATOR, private=True)
    await say(app, f"/审核 举报 {held[1].id} 看看", Reply("接受", "驳回"), MODERATOR, private=True)
    await say(app, f"/审核 举报 {held[1].id} 接受", Reply("已接受举报"), MODERATOR, private=True)
    await say(app, "/查 tb_victim", Reply("高风险"), 70000)


async def test_an_appeal_holds_alerts_briefly_and_the_next_appellant_waits_30_days(app: App):
    await say(app, "/订阅", Reply("已订阅"), 1, role="admin")
    for user in (64001, 64002):
        await say(app, f"/绑定 淘宝 店{user}", Reply("已绑定"), user)
        await say(app, f"/认证 {user}", Reply("已认证"), MODERATOR, private=True)
    await say(app, "/举报 tb_ext 差评敲诈 3720000000000021", Reply("需警惕"), 64001)
    await say(app, "/申诉 淘宝 tb_ext 冤枉", Reply("已收到申诉 #", "最多延后到"), 555, private=True)
    n = (await Appeal.get(appellant="qq:555")).id
    await say(app, "/申诉 淘宝 tb_ext 我也冤枉", Reply(f"已经有人申诉（#{n}）", "并入同一个申诉"), 556, private=True)
    await say(app, "/申诉 淘宝 tb_ext 再说一次", Reply("不用重复提交"), 556, private=True)
    await say(app, "/举报 tb_ext 差评敲诈 3720000000000022", Reply("高风险"), 64002)
    (alert,) = await OutboxMessage.filter(kind="alert", target_id=GROUP)
    assert alert.status == "pending" and "申诉处理中" in alert.text
    await say(app, "/审核", Reply(f"#{n}", "压着 1 条预警"), MODERATOR, private=True)
    await say(app, f"/审核 {n}", Reply("又一位申诉人 QQ 556", "我也冤枉"), MODERATOR, private=True)
    await say(app, f"/审核 {n} 维持 证据确凿", Reply("已维持"), MODERATOR, private=True)
    alert = await OutboxMessage.get(id=alert.id)
    assert "申诉处理中" not in alert.text
    # A fresh account, right after: refused with the date it may try again.
    await say(
        app, "/申诉 淘宝 tb_ext 换个号", Reply("版主已经处理过", "之后才能再次申诉", "附上截图"), 557, private=True
    )


async def test_one_account_has_at_most_three_appeals_open(app: App):
    await say(app, "/绑定 淘宝 甲店", Reply("已绑定"), 65001)
    for n in range(4):
        await say(app, f"/举报 tb_c{n} 差评敲诈 372000000000003{n}", Reply("已收到举报"), 65001)
    for n in range(3):
        await say(app, f"/申诉 淘宝 tb_c{n} 冤枉", Reply("已收到申诉"), 566, private=True)
    await say(app, "/申诉 淘宝 tb_c3 冤枉", Reply("你已经有 3 个申诉在处理中"), 566, private=True)
