from nonebot import require

require("nonebot_plugin_shop_guard.runtime")

import os
import socket
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

from nonebot import get_adapters, get_plugin_config, logger, on_notice
from nonebot.adapters import Bot as BaseBot
from nonebot.adapters import Event
from nonebot.adapters.qq import (
    Bot,
    GroupDelRobotEvent,
    GroupMsgReceiveEvent,
    GroupMsgRejectEvent,
    QQMessageEvent,
)
from nonebot.adapters.qq import Event as QQEvent
from nonebot.exception import IgnoredException, MockApiException
from nonebot.message import event_preprocessor
from nonebot.plugin import PluginMetadata

from bot.clock import utc_now
from bot.commands.catalogue import AFTER_COMMANDS
from bot.identity.places import qqbot_group_target
from bot.messaging.outbox import missed_ride, rode, take_ride
from bot.settings import Settings
from bot.states import Channel, Delivery, OutboxKind
from bot.storage.outbox import drop_group, enqueue
from bot.storage.robots import allow_qqbot_pushes, qqbot_group_for
from shop_guard_chat import SUPPORTED_ADAPTERS
from shop_guard_chat.qqbot import Adapter as QQBotAdapter
from shop_guard_chat.qqbot import (
    Duplicates,
    ReplyWindows,
    group_number,
    group_openid_of,
    remember_group,
)

__plugin_meta__ = PluginMetadata(
    name="QQ 官方机器人",
    description="QQ 开放平台的机器人：重复事件只处理一次；回复守住 5 分钟、5 条和 msg_seq 的规矩；推送不了的预警搭下一条回复发出",
    usage="无命令；在 .env 配置 QQ_BOTS 后，群里 @机器人 或私聊发命令即可",
    type="library",
    config=Settings,
    supported_adapters=SUPPORTED_ADAPTERS,
)

settings = get_plugin_config(Settings)
windows = ReplyWindows(
    settings.qqbot_group_reply_seconds, settings.qqbot_private_reply_seconds, settings.qqbot_replies_per_message
)
duplicates = Duplicates()
WORKER = f"{socket.gethostname()}:{os.getpid()}:qqbot"
_REPLIES = ("post_group_messages", "post_c2c_messages")
# Set while this plugin itself sends a reply (the waiting alerts): its msg_seq is taken
# already, and it must not ride again.
_riding: ContextVar[bool] = ContextVar("riding", default=False)


async def qqbot_event(bot: BaseBot, event: Event) -> None:
    """Drop a re-delivered event; give a group its number before any handler asks for it;
    open the reply window of a message."""
    if not isinstance(event, QQEvent):
        return
    if duplicates.seen_before(event):
        raise IgnoredException("duplicate event from the QQ platform")
    openid = group_openid_of(event)
    target = None
    if openid is not None:
        number = group_number(openid)
        if number is None:
            number = (await qqbot_group_for(openid, bot.self_id, utc_now())).id
            remember_group(openid, number)
        target = qqbot_group_target(number)
    if isinstance(event, QQMessageEvent):
        windows.open(event, target)


async def within_the_window(bot: BaseBot, api: str, data: dict[str, Any]) -> None:
    """A reply carries its message's next msg_seq; one the window no longer allows is
    not sent as a reply: a group's goes to the outbox (pushed or ridden later), a private
    one is logged."""
    if not isinstance(bot, Bot) or api not in _REPLIES or _riding.get():
        return
    msg_id = data.get("msg_id")
    if not msg_id or not windows.known(msg_id):
        return
    seq = windows.take(msg_id)
    if seq is not None:
        data["msg_seq"] = seq
        return
    target = windows.target(msg_id)
    text = str(data.get("content") or "")
    if target is not None and text:
        now = utc_now()
        await enqueue(OutboxKind.fallback, Channel.group, target, f"late-reply:{msg_id}:{now:%H%M%S%f}", text, now)
    else:
        logger.warning("a private reply came after the QQ platform's reply window and was not sent")
    raise MockApiException(None)


async def ride_along(bot: BaseBot, exception: Exception | None, api: str, data: dict[str, Any], result: Any) -> None:
    """After a reply in a group, what waits for that group goes out with it, as one more
    reply to the same message, while the window allows one."""
    if not isinstance(bot, Bot) or api != "post_group_messages" or exception is not None or _riding.get():
        return
    msg_id = data.get("msg_id")
    target = windows.target(msg_id) if msg_id else None
    if msg_id is None or target is None:
        return
    now = utc_now()
    ride = await take_ride(target, WORKER, now, timedelta(hours=settings.alert_fold_after_hours))
    if ride is None:
        return
    seq = windows.take(msg_id)
    if seq is None:
        await missed_ride(ride, WORKER)
        return
    token = _riding.set(True)
    try:
        await bot.post_group_messages(
            group_openid=data["group_openid"], msg_type=0, content=ride.text, msg_id=msg_id, msg_seq=seq
        )
    except Exception as exc:
        logger.warning(f"waiting alerts could not ride on a reply: {exc!r}")
        await missed_ride(ride, WORKER)
    else:
        await rode(ride, WORKER, utc_now())
    finally:
        _riding.reset(token)


# Only where the official bot is registered (python -m bot does when QQ_BOTS is set): a
# preprocessor runs for every event and an API hook for every call of every bot, and a
# OneBot-only bot should not pay for them (plugins/entry says what a preprocessor costs).
if QQBotAdapter.get_name() in get_adapters():
    event_preprocessor(qqbot_event)
    Bot.on_calling_api(within_the_window)
    Bot.on_called_api(ride_along)


async def _robot_notice(event: Event) -> bool:
    return isinstance(event, GroupMsgRejectEvent | GroupMsgReceiveEvent | GroupDelRobotEvent)


group_switches = on_notice(rule=_robot_notice, priority=AFTER_COMMANDS, block=True)


@group_switches.handle()
async def group_switched(event: Event) -> None:
    """A group turned the bot's active messages off or on, or removed the bot."""
    if isinstance(event, GroupMsgRejectEvent | GroupMsgReceiveEvent):
        await allow_qqbot_pushes(event.group_openid, isinstance(event, GroupMsgReceiveEvent))
    elif isinstance(event, GroupDelRobotEvent):
        number = group_number(event.group_openid)
        if number is not None:
            await drop_group(qqbot_group_target(number), Delivery.left, "the bot was removed from the group")
