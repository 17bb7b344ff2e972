"""The message entry (plugins/entry): group conversation is dropped before NoneBot tries a
single matcher, and nothing meant for the bot is."""

from __future__ import annotations

import pytest
from nonebot.adapters.onebot.v11 import Message, MessageSegment
from nonebot.exception import IgnoredException
from nonebot.matcher import matchers
from nonebug import App

from bot.commands.catalogue import AFTER_COMMANDS, command, commands
from tests.conversation import Reply, converse, group_message, private_message

pytestmark = pytest.mark.usefixtures("empty_session_pool")


async def let_in(event) -> bool:
    from nonebot_plugin_shop_guard.entry import let_in as entry

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
    from nonebot_plugin_shop_guard.joint import flows

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


# Over OneBot the door stands in front of NoneBot's event parser: the raw JSON of a line of
# conversation never becomes an event, is never logged, never reaches a preprocessor.


def raw(message: object, user_id: object = 10001, group_id: int | None = 20001) -> dict[str, object]:
    """A message event as the QQ client sends it (list or CQ-string message)."""
    data: dict[str, object] = {
        "time": 1_790_000_000,
        "self_id": 999,
        "post_type": "message",
        "message_id": 1,
        "user_id": user_id,
        "message": message,
        "raw_message": message if isinstance(message, str) else "",
        "font": 0,
        "sender": {"user_id": user_id, "nickname": "u", "role": "member"},
    }
    if group_id is None:
        data.update(message_type="private", sub_type="friend")
    else:
        data.update(message_type="group", sub_type="normal", group_id=group_id)
    return data


def text(words: str) -> list[dict[str, object]]:
    return [{"type": "text", "data": {"text": words}}]


def through_door(data: dict[str, object]):
    from shop_guard_chat.onebot_v11 import Adapter

    return Adapter.json_to_event(data)


CONVERSATION = ["今天发货了吗", "收到", "查一下 tb_x", "／查 tb_x", "/", "我的电话 13812345678"]


@pytest.mark.parametrize("words", CONVERSATION)
async def test_conversation_never_becomes_an_event(app: App, words: str):
    # A member no flow waits for (the flow tests above leave 10001's chat listed).
    assert through_door(raw(text(words), user_id=10077)) is None
    assert through_door(raw(words, user_id=10077)) is None  # the CQ-string form
    assert through_door(raw(text(words), user_id=10077, group_id=None)) is None
    # The event NoneBot would have built is dropped by the preprocessor too: the door
    # only does the same work earlier.
    assert not await let_in(group_message(words, user_id=10077))


@pytest.mark.parametrize(
    "message",
    [
        text("/查 tb_x"),
        text("  /check tb_x"),
        "/帮助",
        # A reply quoting an earlier message, with the @bot the QQ client adds to it.
        "[CQ:reply,id=5][CQ:at,qq=999] /查 tb_x",
        [{"type": "reply", "data": {"id": "5"}}, {"type": "at", "data": {"qq": "999"}}, *text(" /查 tb_x")],
        [{"type": "at", "data": {"qq": "999"}}, *text("/查 tb_x")],
    ],
)
async def test_a_command_passes_the_door_and_reaches_its_matcher(app: App, message: object):
    from nonebot.adapters.onebot.v11 import GroupMessageEvent

    event = through_door(raw(message))
    assert isinstance(event, GroupMessageEvent)
    # After the adapter takes the reply and the @bot off, the entry lets it in.
    bot_side = event.model_copy()
    message_ = bot_side.get_message()
    while message_ and message_[0].type in ("reply", "at"):
        message_.pop(0)
    assert await let_in(bot_side)


async def test_a_file_passes_the_door(app: App):
    segment = {"type": "file", "data": {"name": "orders.csv", "file_size": "12", "file_id": "x"}}
    assert through_door(raw([segment], group_id=None)) is not None
    assert through_door(raw("[CQ:file,file=orders.csv,file_size=12]", group_id=None)) is not None


async def test_a_flow_reply_and_an_awaited_picture_pass_the_door_only_in_their_chat(app: App):
    from nonebot_plugin_shop_guard.joint import flows

    await converse(app, ("/绑定 淘宝 甲店", Reply("已绑定")))
    await converse(app, ("/处理 3 tb_x", Reply("【处理：差评敲诈】")))
    assert through_door(raw(text("好了"), user_id=10001)) is not None
    assert through_door(raw(text("好了"), user_id=10002)) is None
    assert through_door(raw(text("好了"), user_id=10001, group_id=20002)) is None
    await converse(app, ("退出", Reply("进度已保存")))

    picture = [{"type": "image", "data": {"file": "a.jpg", "url": "http://127.0.0.1/a.jpg"}}]
    assert through_door(raw(picture, user_id=10003)) is None
    flows._waiting["group_20001_10003"] = object()
    try:
        assert through_door(raw(picture, user_id=10003)) is not None
        assert through_door(raw(picture, user_id=10004)) is None
    finally:
        flows._waiting.pop("group_20001_10003", None)


async def test_a_command_after_the_bot_s_nickname_passes_the_door(app: App):
    import nonebot

    config = nonebot.get_driver().config
    saved = config.nickname
    config.nickname = {"小卫"}
    try:
        assert through_door(raw(text("小卫，/查 tb_x"), user_id=10077)) is not None
        assert through_door(raw(text("小卫你好"), user_id=10077)) is None
    finally:
        config.nickname = saved


async def test_what_the_door_does_not_read_goes_to_nonebot_as_before(app: App):
    from nonebot.adapters.onebot.v11 import GroupMessageEvent, GroupRecallNoticeEvent

    # A user id sent as a string: NoneBot's parser coerces it; the door does not guess
    # the session id from it, so the event is built and the preprocessor judges it.
    event = through_door(raw(text("收到"), user_id="10077"))
    assert isinstance(event, GroupMessageEvent)
    assert not await let_in(event)
    notice = {
        "time": 1_790_000_000, "self_id": 999, "post_type": "notice", "notice_type": "group_recall",
        "group_id": 20001, "user_id": 10001, "operator_id": 10001, "message_id": 7,
    }  # fmt: skip
    assert isinstance(through_door(notice), GroupRecallNoticeEvent)
    # Shapes the door does not know are left to NoneBot, whose parser falls back to a
    # bare event with no message; the entry drops that quietly instead of failing on it.
    for odd in ([["text", "x"]], {"type": "text"}, [{"type": 5}]):
        event = through_door(raw(odd, user_id=10077))
        assert event is not None and event.get_type() == "message"
        assert not await let_in(event)


async def test_a_command_takes_no_thread_hop_to_read_its_own_words(app: App, monkeypatch: pytest.MonkeyPatch):
    # NoneBot would run its plain-function readers of the command's parts in a worker
    # thread (three per command); the entry runs them inline. Any thread hop fails here.
    import anyio.to_thread

    async def no_thread(*args, **kwargs):
        raise AssertionError("a dependency ran in a worker thread")

    monkeypatch.setattr(anyio.to_thread, "run_sync", no_thread)
    await converse(app, ("/查 淘宝 tb_inline", Reply("tb_inline：无记录")))


async def test_a_command_leaves_no_reference_cycle_for_the_collector(app: App):
    # NoneBot kept each handler's FinishedException in a cycle with its own frame, and
    # with it the event, the matcher and the verdict: at 50 groups a full collection
    # every second or so, each stalling every group for tens of milliseconds.
    import gc

    from nonebot.exception import FinishedException

    await converse(app, ("/查 淘宝 tb_cycle_warm", Reply("tb_cycle_warm：无记录")))
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        await converse(app, ("/查 淘宝 tb_cycle", Reply("tb_cycle：无记录")))
        gc.collect()
        left = [o for o in gc.garbage if isinstance(o, FinishedException)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert left == []


async def test_an_event_is_read_without_building_its_validators_again(app: App, monkeypatch: pytest.MonkeyPatch):
    # NoneBot built a pydantic TypeAdapter for the event and one per segment of every
    # message it parsed; they are built once per type now.
    import pydantic
    from nonebot.adapters.onebot.v11 import GroupMessageEvent

    at_bot_check = raw([{"type": "at", "data": {"qq": "999"}}, *text(" /查 淘宝 tb_once")])
    through_door(at_bot_check)
    built: list[object] = []
    build = pydantic.TypeAdapter.__init__

    def counted(self, *args, **kwargs):
        built.append(args[0] if args else kwargs)
        build(self, *args, **kwargs)

    monkeypatch.setattr(pydantic.TypeAdapter, "__init__", counted)
    event = through_door(at_bot_check)
    assert isinstance(event, GroupMessageEvent)
    assert [segment.type for segment in event.original_message] == ["at", "text"]
    assert event.original_message[1].data["text"] == " /查 淘宝 tb_once"
    assert built == []


async def test_a_door_that_fails_passes_the_line_on_instead_of_dropping_the_connection(
    app: App, monkeypatch: pytest.MonkeyPatch
):
    from nonebot.adapters.onebot.v11 import GroupMessageEvent

    from shop_guard_chat.onebot_v11 import Adapter

    def broken(line):
        raise RuntimeError("the pool is used before the bot started")

    monkeypatch.setattr(Adapter, "door", broken)
    # NoneBot's receive loop would end on an exception (and the bot reconnect, losing
    # what was on its way); the event goes to NoneBot's own dispatch instead.
    assert isinstance(through_door(raw(text("今天发货了吗"), user_id=10077)), GroupMessageEvent)
