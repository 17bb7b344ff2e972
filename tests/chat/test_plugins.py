"""Every command through NoneBot (nonebug): the words of the reply, the rows written, the
errors. Replies are checked by the phrases a merchant reads."""

from __future__ import annotations

import nonebot
import pytest
from nonebot.adapters.onebot.v11 import Adapter, Bot
from nonebug import App

from bot.storage.models.messaging import OutboxMessage
from bot.storage.models.reports import Buyer, Report
from bot.storage.models.screening import ScreeningJob
from bot.storage.models.shops import Shop
from bot.storage.models.trust import Decision
from tests.conversation import Reply, converse, group_message, group_upload, private_message, serve_file, verify_user

pytestmark = pytest.mark.usefixtures("empty_session_pool")


async def test_bind_and_rename(app: App):
    await converse(
        app,
        (
            "/绑定 淘宝 小王的手工皂",
            Reply("已绑定店铺：【淘宝】小王的手工皂\n现在可以用 /举报 把恶意买家加入共享黑名单", "店铺还没有认证"),
        ),
        ("/bind pdd 小王二店", Reply("店铺已更新：【拼多多】小王的手工皂 → 小王二店")),
    )
    shop = await Shop.get(owner="qq:10001")
    assert (shop.platform, shop.name) == ("pdd", "小王二店")
    assert await Shop.all().count() == 1
    # Where joint-case messages go when the owner cannot be reached privately.
    assert shop.group_id == 20001


async def test_unregistered_user_is_told_to_bind(app: App):
    await converse(app, ("/举报 tb_x 差评师", Reply("你还没有绑定店铺", "/绑定 <平台> <店铺名>")))
    assert await Report.all().count() == 0


async def test_report_check_retract_conversation(app: App):
    await converse(app, ("/绑定 淘宝 甲店", Reply("已绑定店铺")), user_id=1)
    await converse(app, ("/绑定 天猫 乙店", Reply("已绑定店铺")), user_id=2)
    await verify_user(1, 2)
    await converse(
        app,
        (
            "/举报 淘宝 TB_Bad 差评师 3720012345678901 29.9 收货前就差评 手机:13812345678",
            Reply(
                "已收到举报 #",
                "（甲店）",
                "买家：【淘宝】tb_bad",
                "类型：差评敲诈，订单 3720012345678901，金额 29.90 元",
                "手机 138****5678",
                "该买家现在：需警惕（50/100），之前是 无记录",
                "只有 1 家店铺举报",
                forbid=("13812345678",),
            ),
        ),
        user_id=1,
    )
    first = await Report.get(buyer__buyer_key="tb_bad")
    await converse(
        app,
        (
            "/report 淘宝 tb_bad 差评敲诈 3720012345678902",
            Reply("该买家现在：高风险（75/100），之前是 需警惕", "2 家店铺举报：差评敲诈 ×2"),
        ),
        user_id=2,
    )
    await converse(
        app,
        (
            "/查 淘宝 ＴＢ＿ＢＡＤ",
            Reply(
                "【淘宝】tb_bad：高风险（75/100）\n2 家认证店铺凭订单举报：差评敲诈 ×2\n下一步：只在旺旺/千牛里沟通并截图，不要付钱",
                "详细依据和全部建议：/查 淘宝 tb_bad 详细",
                forbid=("依据：\n", "禁止购买"),
            ),
        ),
        (
            "/查 淘宝 tb_bad 详细",
            Reply(
                "【淘宝】买家 tb_bad",
                "风险等级：高风险（75/100）",
                "2 家店铺举报：差评敲诈 ×2，最近一次 今天",
                "不要付钱",
                "卖家中心 → 营销中心 → 客户运营平台 → 客户管理 → 客户列表 → 选择该买家 → 禁止购买",
            ),
        ),
        (
            "/check 淘宝 someone_else 手机:13812345678 详细",
            Reply("风险等级：需警惕", "关联账号：淘宝 tb_bad（同一手机号）", "已按手机 138****5678"),
        ),
        ("/撤回 " + str(first.id), Reply(f"你的店铺没有编号为 #{first.id} 的举报")),
        user_id=2,
    )
    await converse(
        app,
        (
            f"/retract #{first.id}",
            Reply(f"举报 #{first.id} 已撤回，立即生效", "该买家现在：需警惕（50/100），之前是 高风险"),
        ),
        ("/查 tb_bad", Reply("【淘宝】tb_bad：需警惕（50/100）", "1 家认证店铺凭订单举报")),
        user_id=1,
    )
    assert await Report.filter(retracted_at__isnull=True).count() == 1
    assert [d.kind for d in await Decision.all().order_by("id")] == ["report", "report", "retract"]


async def test_unpaid_orders_get_the_do_not_close_advice(app: App):
    for user in (1, 2):
        await converse(app, (f"/绑定 淘宝 店{user}", Reply("已绑定")), user_id=user)
        await converse(app, ("/举报 pdd mass_buyer 恶拍", Reply("已收到举报")), user_id=user)
    # The advice speaks of the buyer's platform: no Taobao rule or path for a 拼多多 buyer.
    await converse(
        app,
        (
            "/查 拼多多 mass_buyer",
            Reply("下一步：未付款订单不要自己关闭，等系统自动关闭（看订单详情里的倒计时）；先处理被锁的库存、设限购"),
        ),
        (
            "/查 拼多多 mass_buyer 详细",
            Reply(
                "不要自己关闭",
                "可能被判违规",
                "看这笔订单详情里自己的倒计时",
                "限购",
                forbid=("扣 6 分", "旺旺", "付款减库存"),
            ),
        ),
    )


async def test_duplicate_report_is_stored_once(app: App):
    await converse(app, ("/绑定 淘宝 甲店", Reply("已绑定")))
    await converse(
        app,
        ("/举报 tb_x 差评师 3720012345678901", Reply("已收到举报")),
        ("/举报 tb_x 差评师 3720012345678901", Reply("这条举报已经登记过了", forbid=("撤回",))),
    )
    assert await Report.all().count() == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/举报", Reply("请写上买家ID和举报类型", "正确格式：/举报 [平台] <买家ID> <类型>")),
        ("/举报 tb_x", Reply("缺少举报类型", "差评敲诈（extortion）")),
        ("/举报 tb_x 坏人", Reply("不认识的类型「坏人」", "黄牛（scalper）")),
        ("/举报 " + "x" * 500 + " 差评师", Reply("买家ID太长了（500 个字符，最多 64 个）")),
        ("/举报 😀买家 差评师", Reply("买家ID里有不支持的字符")),
        ("/举报 x';DROP/**/TABLE/**/report;-- 差评师", Reply("买家ID里有不支持的字符")),
        ("/举报 tb_x 差评师 3720012345678901 三十块", Reply("金额「三十块」不是数字", "正确格式")),
        ("/举报 tb_x 差评师 手机:123", Reply("手机号格式不对")),
        ("/撤回", Reply("请写上要撤回的举报编号")),
        ("/撤回 abc", Reply("「abc」不是举报编号")),
        ("/撤回 99999", Reply("没有编号为 #99999 的举报")),
        ("/查", Reply("缺少买家ID", "正确格式：/查 [平台] <买家ID>")),
        ("/查 淘宝 " + "y" * 500, Reply("买家ID太长了")),
        ("/查 tb_x 看着像坏人", Reply("看不懂的线索「看着像坏人」")),
        ("/绑定", Reply("请写上平台和店铺名", "例如：/绑定 淘宝 小王的手工皂")),
        ("/绑定 亚马逊 小王", Reply("不认识的平台「亚马逊」")),
        ("/绑定 淘宝", Reply("缺少店铺名")),
    ],
)
async def test_bad_input_gets_a_zh_cn_explanation(app: App, text: str, expected: Reply):
    await converse(app, ("/绑定 淘宝 甲店", Reply("已绑定")))
    await converse(app, (text, expected), ("/查 still_alive", Reply("【淘宝】still_alive：无记录")))
    assert await Report.all().count() == 0 and await Buyer.all().count() == 0


async def test_help_lists_commands_and_explains_one(app: App):
    await converse(
        app,
        (
            "/帮助",
            Reply(
                "/绑定 <平台> <店铺名>（/bind）", "/查 [平台] <买家ID>", "（/report）", "/撤回 <举报编号>（/retract）"
            ),
        ),
        (
            "/help 举报",
            Reply("/举报 [平台] <买家ID> <类型> [订单号] [金额] [说明…]（英文：/report）", "例如：/举报 淘宝"),
        ),
        ("/帮助 /check", Reply("/查 [平台] <买家ID>", "例如：/查 淘宝")),
        ("/帮助 跳舞", Reply("没有「跳舞」这个命令", "/帮助")),
    )


async def test_private_chat_works_too(app: App):
    async with app.test_matcher() as ctx:
        bot = ctx.create_bot(base=Bot, adapter=nonebot.get_adapter(Adapter))
        event = private_message("/查 tb_nobody", user_id=5)
        ctx.receive_event(bot, event)
        ctx.should_call_send(event, Reply("tb_nobody：无记录（0/100）", "没有记录不代表安全"), result={"message_id": 1})
        ctx.should_finished()


async def test_an_unexpected_failure_gets_a_reply_not_a_traceback(app: App):
    # nonebug fails a test on any handler exception, so the run_postprocessor that
    # answers for a crashed handler is called here the way NoneBot calls it.
    from nonebot_plugin_shop_guard.runtime import explain_failure

    async with app.test_api() as ctx:
        bot = ctx.create_bot(base=Bot, adapter=nonebot.get_adapter(Adapter))
        event = group_message("/查 tb_x")
        ctx.should_call_send(
            event,
            Reply("处理时出了点问题", "可能已经生效", forbid=("Traceback", "on fire", "没有保存任何内容")),
            result={"message_id": 1},
        )
        await explain_failure(bot, event, RuntimeError("database on fire"))
        await explain_failure(bot, event, None)  # a handler that succeeded gets nothing extra
        # A reply the client could not deliver (the report was stored, a case opened):
        # logged, never followed by a second, false reply.
        from nonebot.adapters.onebot.v11 import ActionFailed

        await explain_failure(bot, event, ActionFailed(retcode=1200, msg="send failed"))


async def test_check_with_red_flags_names_each_flag_and_its_advice(app: App):
    await converse(
        app,
        (
            "/查 tb_fresh 没咨询 指定快递 详细",
            Reply(
                "风险等级：需警惕（28/100）",
                "红旗：没咨询直接下单（权重 0.10）",
                "红旗：坚持指定快递，拒绝其他快递（权重 0.20）",
                "打包全程录像",
                "快递单号",
            ),
        ),
        (
            "/查 tb_fresh 索要改评费 要QQ 详细",
            Reply("风险等级：高风险（93/100）", "红旗：索要改评费（权重 0.90）", "不要付钱", "恶意评价投诉"),
        ),
        (
            "/查 tb_fresh 多单未付 新号 偏远 问得细 易碎 只拍赠品 异地号 未到先收 只拍单件 详细",
            # Asked by someone whose platform is not known: no platform's own setting.
            Reply("风险等级：需警惕", "不要自己关闭", "赠品不要当普通商品单独上架售卖", forbid=("其他-赠品",)),
        ),
    )


async def test_the_platform_left_out_is_the_sender_s_shop_s(app: App):
    """A 拼多多 shop's /举报 without a platform is about a 拼多多 buyer (it was stored as
    淘宝, and /查 拼多多 then answered 无记录); someone without a shop is answered from every
    platform (they were given 淘宝 and told 无记录)."""
    await converse(app, ("/绑定 拼多多 多多店", Reply("已绑定")), user_id=1)
    await converse(
        app,
        ("/举报 pdd_buyer1 恶拍 3720012345678909", Reply("买家：【拼多多】pdd_buyer1")),
        ("/查 pdd_buyer1", Reply("【拼多多】pdd_buyer1：需警惕", "1 家店铺举报")),
        user_id=1,
    )
    await converse(app, ("/查 拼多多 pdd_buyer1", Reply("【拼多多】pdd_buyer1：需警惕")), user_id=2)
    await converse(app, ("/查 pdd_buyer1", Reply("【拼多多】pdd_buyer1：需警惕", forbid=("无记录",))), user_id=2)
    await converse(app, ("/查 拼多多", Reply("缺少买家ID")), user_id=2)
    assert (await Buyer.get(buyer_key="pdd_buyer1", platform="pdd")).platform == "pdd"


async def test_one_reply_never_contradicts_itself(app: App):
    """One shop's report plus an extortion flag is 高风险: the reply must not also say that
    one shop's reports stop at 需警惕."""
    await converse(app, ("/绑定 淘宝 甲店", Reply("已绑定")), user_id=1)
    await verify_user(1)
    await converse(app, ("/举报 tb_amt 差评师 3720012345678909", Reply("已收到举报")), user_id=1)
    for text in ("/查 tb_amt 索要改评费", "/查 tb_amt 索要改评费 详细"):
        await converse(app, (text, Reply("高风险", forbid=("最高只到「需警惕」",))))


async def test_help_for_check_lists_the_red_flag_words(app: App):
    await converse(
        app,
        (
            "/帮助 查",
            Reply("红旗词", "没咨询 / 无咨询", "指定快递", "索要改评费", "权重 0.90", forbid=("shared_identity",)),
        ),
    )


async def test_group_upload_of_an_order_export_is_screened(app: App, unused_tcp_port: int):

    from tests.export_fixtures import EXPORT

    await converse(app, ("/绑定 淘宝 甲店", Reply("已绑定")), user_id=1)
    await converse(app, ("/举报 tb_bad 差评师", Reply("已收到举报")), user_id=1)
    runner = await serve_file(EXPORT, unused_tcp_port, "/orders.csv")
    try:
        async with app.test_matcher() as ctx:
            bot = ctx.create_bot(base=Bot, adapter=nonebot.get_adapter(Adapter))
            event = group_upload("订单导出.csv", len(EXPORT), f"http://127.0.0.1:{unused_tcp_port}/orders.csv")
            ctx.receive_event(bot, event)
            ctx.should_call_send(
                event, Reply("收到「订单导出.csv」（淘宝订单）", "结果会发到这里"), result={"message_id": 1}
            )
            ctx.should_finished()
        # Screened in a worker process; the summary goes to the group through the outbox.
        from nonebot_plugin_shop_guard.runtime import pool

        await pool().screenings.idle()
        job = await ScreeningJob.get(file_name="订单导出.csv")
        assert job.state == "done" and job.input_path is None
        assert job.outcome is not None and job.outcome["rows"] == 8
        summary = await OutboxMessage.get(kind="screening")
        assert (summary.channel, summary.target_id) == ("group", 20001)
        for part in (
            "「订单导出.csv」订单筛查完成：淘宝，淘宝/天猫订单导出（ExportOrderList），共 8 笔订单",
            "需要留意的买家",
            "买家 unpaid_guy · 需警惕",
            "多笔订单未付款",
            "1家店铺举报（差评敲诈×1，最近一次 今天",
            # 坏人;DROP is no buyer id: its row is screened without one, and said so.
            "有 1 行的买家账号读不出来",
        ):
            assert part in summary.text, summary.text
        assert "13712345678" not in summary.text and "13812345678" not in summary.text
        # An upload by someone without a shop is not screened (any member may upload files).
        async with app.test_matcher() as ctx:
            bot = ctx.create_bot(base=Bot, adapter=nonebot.get_adapter(Adapter))
            event = group_upload("名单.csv", 10, "http://127.0.0.1:1/x", user_id=2, file_id="f2")
            ctx.receive_event(bot, event)
    finally:
        await runner.cleanup()


async def test_private_file_that_is_too_large_or_broken_gets_an_error(app: App, unused_tcp_port: int):
    from nonebot.adapters.onebot.v11 import Message, MessageSegment

    await converse(app, ("/绑定 淘宝 甲店", Reply("已绑定")), user_id=1)
    runner = await serve_file("买家会员名,金额\nx,1\n".encode(), unused_tcp_port, "/orders.csv")
    try:
        for segment_data, expected in (
            (
                {"name": "big.csv", "file_size": 60 * 1024 * 1024, "url": "http://127.0.0.1:1/x"},
                Reply("文件太大了（60.0 MB，最多 50 MB）"),
            ),
            (
                {"name": "big.xlsx", "file_size": 20 * 1024 * 1024, "url": "http://127.0.0.1:1/x"},
                Reply("文件太大了（20.0 MB，最多 15 MB）"),
            ),
            ({"name": "old.xls", "url": "http://127.0.0.1:1/x"}, Reply("旧版 .xls 请用表格软件另存为")),
        ):
            # Refused before anything is downloaded or queued.
            async with app.test_matcher() as ctx:
                bot = ctx.create_bot(base=Bot, adapter=nonebot.get_adapter(Adapter))
                event = private_message("", user_id=1)
                event.message = Message(MessageSegment("file", segment_data))
                ctx.receive_event(bot, event)
                ctx.should_call_send(event, expected, result={"message_id": 1})
                ctx.should_finished()
        # A file that is read and refused: the refusal comes privately through the outbox.
        async with app.test_matcher() as ctx:
            bot = ctx.create_bot(base=Bot, adapter=nonebot.get_adapter(Adapter))
            event = private_message("", user_id=1)
            event.message = Message(
                MessageSegment("file", {"name": "a.csv", "url": f"http://127.0.0.1:{unused_tcp_port}/orders.csv"})
            )
            ctx.receive_event(bot, event)
            ctx.should_call_send(event, Reply("收到「a.csv」", "结果会发到这里（私聊）"), result={"message_id": 1})
            ctx.should_finished()
        from nonebot_plugin_shop_guard.runtime import pool

        await pool().screenings.idle()
        message = await OutboxMessage.get(kind="screening")
        assert (message.channel, message.target_id) == ("private", 1)
        assert "「a.csv」没能筛查：缺少必需的列：「订单编号」" in message.text
        job = await ScreeningJob.get(file_name="a.csv")
        assert (job.state, job.error_code) == ("refused", "sheets.missing_columns")
    finally:
        await runner.cleanup()


async def test_group_upload_without_a_url_that_the_client_cannot_resolve(app: App):
    from nonebot.adapters.onebot.v11 import ActionFailed

    await converse(app, ("/绑定 淘宝 甲店", Reply("已绑定")), user_id=1)
    async with app.test_matcher() as ctx:
        bot = ctx.create_bot(base=Bot, adapter=nonebot.get_adapter(Adapter))
        event = group_upload("订单.csv", 100, None)
        ctx.receive_event(bot, event)
        ctx.should_call_api(
            "get_group_file_url",
            {"group_id": 20001, "file_id": "f1", "busid": 102},
            exception=ActionFailed(retcode=1404, msg="not supported"),
        )
        ctx.should_call_send(event, Reply("文件没能下载下来", forbid=("ActionFailed",)), result={"message_id": 1})
        ctx.should_finished()
