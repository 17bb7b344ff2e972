"""The message entry (plugins/entry): group conversation is dropped before NoneBot tries a
single matcher, and nothing meant for the bot is."""

from __future__ import annotations

import pytest
from nonebot.adapters.onebot.v11 import Message, MessageSegment
from nonebot.exception import IgnoredException
from nonebot.matcher import matchers
from nonebug import App

from bot.catalogue import AFTER_COMMANDS, command, commands
from tests.chat import Reply, group_message, private_message
from tests.test_plugins import converse

pytestmark = pytest.mark.usefixtures("empty_session_pool")


async def let_in(event) -> bool:
    from plugins.entry import let_in as entry

    try:
        await entry(event)
    except IgnoredException:
        return False
    return True


@pytest.mark.parametrize("text", ["今天发货了吗", "收到", "查一下 tb_x", "/", "／查 tb_x", ""])
async def test_conversation_is_dropped_before_any_matcher(app: App, text: str):
    assert not await let_in(group_message(text))
    # Privately too: a text that is no command and no flow reply goes nowhere.
    assert not await let_in(private_message(text))


@pytest.mark.parametrize("text", ["/查 tb_x", "  /查 tb_x", "/check tb_x", "/帮助", "/令牌", "/信任本群"])
async def test_every_command_gets_through(app: App, text: str):
    assert await let_in(group_message(text))


async def test_a_file_gets_through(app: App):
    event = private_message("")
    event.message = Message(MessageSegment("file", {"name": "orders.csv", "file_size": "12"}))
    assert await let_in(event)


async def test_a_flow_reply_gets_through_only_in_its_own_chat(app: App):
    await converse(app, ("/绑定 淘宝 甲店", Reply("已绑定")))
    await converse(app, ("/处理 3 tb_x", Reply("【处理：差评敲诈】")))
    assert await let_in(group_message("好了", user_id=10001))
    # The same words from another member, or in another group, are conversation.
    assert not await let_in(group_message("好了", user_id=10002))
    assert not await let_in(group_message("好了", user_id=10001, group_id=20002))
    # And the flow still takes the reply, through the whole dispatch.
    await converse(app, ("退出", Reply("进度已保存")))
    # Its chat stays listed until the moment passes (a superset): the database decides.
    assert await let_in(group_message("好了", user_id=10001))


async def test_a_new_command_ends_a_wait_for_pictures(app: App):
    from plugins.joint import flows

    flows._waiting["group_20001_10003"] = object()
    try:
        assert await let_in(group_message("[图片]", user_id=10003))
        assert await let_in(group_message("/帮助", user_id=10003))
        assert "group_20001_10003" not in flows._waiting
        assert not await let_in(group_message("[图片]", user_id=10003))
    finally:
        flows._waiting.pop("group_20001_10003", None)


def test_commands_are_tried_most_used_first_and_block_the_rest(app: App):
    priorities = [spec.priority for spec in commands()]
    assert sorted(priorities) == list(range(1, len(priorities) + 1))
    assert command("查").priority == 1
    by_command: dict[str, tuple[int, bool]] = {}
    for priority, found in matchers.items():
        for matcher in found:
            for checker in matcher.rule.checkers:
                cmds = getattr(checker.call, "cmds", None)
                if cmds:
                    for cmd in cmds:
                        by_command[cmd[0]] = (priority, matcher.block)
    for spec in commands():
        assert by_command[spec.name] == (spec.priority, True), spec.name
        assert by_command[spec.alias] == (spec.priority, True), spec.alias
    # Files, flow replies, uploads and invitations come after every command.
    others = [p for p, found in matchers.items() for m in found if not any(
        getattr(c.call, "cmds", None) for c in m.rule.checkers)]  # fmt: skip
    assert others and min(others) >= AFTER_COMMANDS > len(priorities)
