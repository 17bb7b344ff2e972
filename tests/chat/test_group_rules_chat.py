"""A group's own rules in the chat: /设置 and the allowance in /查 (nonebug)."""

from __future__ import annotations

import pytest
from nonebug import App

from bot.storage.models.groups import GroupSettingChange
from tests.conversation import Reply, converse, verify_user


@pytest.mark.usefixtures("empty_session_pool")
async def test_settings_in_chat_and_the_allowance_in_check(app: App):
    await converse(app, ("/设置 预警 极高风险", Reply("只有本群群主、管理员或版主可以修改本群设置")))
    await converse(app, ("/设置", Reply("本群设置", "预警：高风险及以上", "日报：每天 09:00", "放行的买家：无")))
    await converse(app, ("/设置 放行 淘宝 tb_friend", Reply("请写上放行的理由")), role="admin")
    await converse(app, ("/设置 吃饭", Reply("不认识的设置项「吃饭」")), role="admin")
    await converse(
        app,
        (
            "/设置 放行 淘宝 tb_friend 老客户，多次正常购买",
            Reply("已放行", "淘宝 tb_friend：「老客户，多次正常购买」（QQ 10001"),
        ),
        role="admin",
    )
    await converse(
        app, ("/settings 预警 极高风险", Reply("从「极高风险」开始收实时预警", "预警：极高风险")), role="owner"
    )
    await converse(
        app, ("/设置 日报 关", Reply("本群不再收联防日报", "日报：关闭", "QQ 10001 日报：09:00 → 关")), role="admin"
    )
    await converse(app, ("/设置 预警", Reply("请写上从哪个等级开始收预警")), role="admin")
    await converse(app, ("/设置", "/设置 是每个群自己的规则，请在要设置的群里发。"), private=True)

    # /查 in this group says the group allowed the buyer, above the shared verdict.
    for user in (1, 2):
        await converse(app, (f"/绑定 淘宝 店{user}", Reply("已绑定")), user_id=user)
        await verify_user(user)
        await converse(app, (f"/举报 tb_friend 差评师 372000000000000{user}", Reply("已收到举报")), user_id=user)
    await converse(
        app,
        ("/查 tb_friend", Reply("本群已放行（「老客户，多次正常购买」，QQ 10001，", "tb_friend：高风险")),
        user_id=3,
    )
    await converse(app, ("/查 tb_friend", Reply("tb_friend：高风险", forbid=("本群已放行",))), private=True)
    assert await GroupSettingChange.filter(group_id=20001).count() == 3
