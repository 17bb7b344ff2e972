"""Our plugin beside other NoneBot plugins (a host project): the entry drops conversation
only when no other plugin could take it. Another plugin's echo still hears chatter, its
question still gets the member's answer, and our matchers still leave chatter alone."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import nonebot
import pytest
from nonebot.adapters.onebot.v11 import Adapter, Bot
from nonebug import App

from tests.chat.test_entry import let_in, raw, text, through_door
from tests.conversation import Reply, converse, group_message

pytestmark = pytest.mark.usefixtures("empty_session_pool")


@contextmanager
def beside_other_plugins(app: App, *matchers_of: str) -> Iterator[None]:
    """The foreign plugin's matchers exist only inside (NoneBot loads a plugin once; its
    matchers are put back in every test that needs them)."""
    name = "tests.chat.foreign_echo"
    plugin = nonebot.get_plugin_by_module_name(name)
    if plugin is None:
        with app.provider.context():
            plugin = nonebot.load_plugin(name)
    assert plugin is not None
    foreign = plugin.module
    with app.provider.context():
        for wanted in matchers_of:
            matcher = getattr(foreign, wanted)
            app.provider.setdefault(matcher.priority, []).append(matcher)
        yield


async def test_a_foreign_echo_still_hears_chatter(app: App, monkeypatch: pytest.MonkeyPatch):
    # Our matchers are not even tried on it: the flow replies' rule (a database lookup)
    # is never asked.
    from nonebot_plugin_shop_guard.guide import flows

    asked: list[str] = []
    real = flows.blacklist

    def counted():
        asked.append("shop lookup")
        return real()

    monkeypatch.setattr(flows, "blacklist", counted)
    assert through_door(raw(text("今天发货了吗"), user_id=10077)) is None
    with beside_other_plugins(app, "echo"):
        # Over QQ the door passes it to NoneBot, and the entry lets it in.
        assert through_door(raw(text("今天发货了吗"), user_id=10077)) is not None
        assert await let_in(group_message("今天发货了吗", user_id=10077))
        async with app.test_matcher() as ctx:
            bot = ctx.create_bot(base=Bot, adapter=nonebot.get_adapter(Adapter))
            event = group_message("今天发货了吗", user_id=10077)
            ctx.receive_event(bot, event)
            ctx.should_call_send(event, "echo: 今天发货了吗", result={"message_id": 1})
        assert asked == []
        # Our commands are answered as before (and block the echo).
        await converse(app, ("/查 淘宝 tb_beside", Reply("tb_beside：无记录")))
    # Gone again: conversation is dropped at the door.
    assert through_door(raw(text("今天发货了吗"), user_id=10077)) is None
    assert not await let_in(group_message("今天发货了吗", user_id=10077))


async def test_a_foreign_question_still_gets_its_plain_answer(app: App):
    with beside_other_plugins(app, "weather"):
        # A command-only plugin takes nothing but its command: chatter is still dropped.
        assert through_door(raw(text("北京"), user_id=10078)) is None
        assert through_door(raw(text("/天气"), user_id=10078)) is not None
        async with app.test_matcher() as ctx:
            bot = ctx.create_bot(base=Bot, adapter=nonebot.get_adapter(Adapter))
            asked = group_message("/天气", user_id=10078)
            ctx.receive_event(bot, asked)
            ctx.should_call_send(asked, "哪个城市？", result={"message_id": 1})
            ctx.should_rejected()
            # The plain answer reaches the other plugin's waiting (temporary) matcher.
            answer = group_message("北京", user_id=10078)
            ctx.receive_event(bot, answer)
            ctx.should_call_send(answer, "北京：晴", result={"message_id": 2})
            ctx.should_finished()


async def test_the_door_opens_while_another_plugin_waits_for_a_plain_answer(app: App):
    from nonebot.internal.matcher import MatcherSource
    from nonebot.matcher import Matcher

    with beside_other_plugins(app, "weather"):
        assert through_door(raw(text("北京"), user_id=10078)) is None
        plugin = nonebot.get_plugin_by_module_name("tests.chat.foreign_echo")
        # What weather.got() leaves behind while it waits: a temporary message matcher.
        source = MatcherSource(plugin_id=plugin.id_, module_name=plugin.module_name)
        waiting = Matcher.new("message", temp=True, source=source)
        assert through_door(raw(text("北京"), user_id=10078)) is not None
        waiting.destroy()
        assert through_door(raw(text("北京"), user_id=10078)) is None
