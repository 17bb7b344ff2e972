from nonebot import require

require("nonebot_plugin_shop_guard.runtime")

import asyncio
import contextlib
import os
import socket
import time
from datetime import timedelta

from nonebot import get_driver, get_plugin_config, logger
from nonebot.adapters import Bot as BaseBot
from nonebot.adapters import Event
from nonebot.adapters.onebot.v11 import Bot as OneBotV11Bot
from nonebot.adapters.onebot.v11 import GroupDecreaseNoticeEvent, GroupIncreaseNoticeEvent, GroupMessageEvent
from nonebot.exception import IgnoredException
from nonebot.message import event_preprocessor
from nonebot.plugin import PluginMetadata

from bot.clock import utc_now
from bot.messaging.outbox import Sender
from bot.settings import Settings
from bot.storage.outbox import HEARTBEAT, serve_group, serve_groups, touch_groups
from nonebot_plugin_shop_guard.runtime import pool
from shop_guard_chat import SUPPORTED_ADAPTERS
from shop_guard_chat.onebot_v11 import NETWORK, OneBotTransport
from shop_guard_chat.qqbot import QQBotPusher
from shop_guard_chat.webhooks import WebhookPoster

__plugin_meta__ = PluginMetadata(
    name="发件箱",
    description="所有主动消息（预警、日报、邀请、提醒、更正）都经过这里：按群和按机器人限速、失败退避重试、发不出去时改发给能收到的人",
    usage=(
        "无命令；设置见 .env 的 SEND_INTERVAL_SECONDS、SEND_GLOBAL_INTERVAL_SECONDS、ALERT_FOLD_AFTER_HOURS、"
        "OUTBOX_SENDER、GROUP_LIST_REFRESH_MINUTES（多个 QQ 号共用一个数据库时，每个群只由其中一个号发）"
    ),
    type="application",
    config=Settings,
    supported_adapters=SUPPORTED_ADAPTERS,
)

_task: asyncio.Task[None] | None = None
_lists: asyncio.Task[None] | None = None
_poster: WebhookPoster | None = None
_transport = OneBotTransport()


async def _run(sender: Sender) -> None:
    while True:
        try:
            await sender.run_forever()
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("outbox sender crashed; restarting in 5 s")
            await asyncio.sleep(5)


@get_driver().on_startup
async def start_sender() -> None:
    global _task, _poster
    settings = get_plugin_config(Settings)
    if not settings.outbox_sender:
        return
    _poster = WebhookPoster(settings.webhook_allow_hosts)
    global _lists
    _lists = asyncio.create_task(_read_group_lists(settings.group_list_refresh_minutes * 60))
    sender = Sender(
        _transport,
        worker=f"{socket.gethostname()}:{os.getpid()}",
        group_interval=settings.send_interval_seconds,
        global_interval=settings.send_global_interval_seconds,
        fold_after=timedelta(hours=settings.alert_fold_after_hours),
        poster=_poster,
        sealer=pool().sealer,
        qqbot=QQBotPusher(),
        qqbot_pushes_per_month=settings.qqbot_group_pushes_per_month,
        robot_pause_after=settings.robot_pause_after_failures,
        accounts=_transport.accounts,
    )
    _task = asyncio.create_task(_run(sender))


# -- which of the bot's QQ accounts speaks in which group (issue #29) ---------------------


def sending_accounts() -> list[str] | None:
    """The QQ accounts this process's sender speaks with; None when it runs no sender
    (then it does not choose groups either)."""
    return _transport.accounts() if _task is not None else None


async def _read_group_list(bot: OneBotV11Bot) -> None:
    """The account's groups into the shared table; its sender sends to those it serves.
    A client that cannot list its groups still sends to the groups no account serves."""
    groups = await NETWORK.groups(bot)
    now = utc_now()
    if groups is None:
        logger.warning(f"QQ {bot.self_id}: the client gave no group list; sending only to groups no account serves")
        _transport.groups.setdefault(bot.self_id, set())
        return
    served = await serve_groups(bot.self_id, groups, now)
    _transport.groups[bot.self_id] = groups
    _answers[bot.self_id] = {group: (group in served, time.monotonic()) for group in groups}
    logger.info(f"QQ {bot.self_id}: in {len(groups)} groups, sends to {len(served)} of them")


async def _read_group_lists(every: float) -> None:
    """The heartbeat every minute (the other processes see these accounts alive), the
    group lists every `every` seconds."""
    last_read = time.monotonic()
    while True:
        await asyncio.sleep(HEARTBEAT.total_seconds())
        try:
            await touch_groups(_transport.accounts(), utc_now())
        except Exception:
            logger.exception("the accounts' heartbeat failed")
        if time.monotonic() - last_read < every:
            continue
        last_read = time.monotonic()
        for bot in list(get_driver().bots.values()):
            if isinstance(bot, OneBotV11Bot):
                try:
                    await _read_group_list(bot)
                except Exception:
                    logger.exception(f"QQ {bot.self_id}: reading the group list failed")


@get_driver().on_bot_connect
async def account_connected(bot: BaseBot) -> None:
    settings = get_plugin_config(Settings)
    if settings.outbox_sender and isinstance(bot, OneBotV11Bot):
        try:
            await _read_group_list(bot)
        except Exception:
            logger.exception(f"QQ {bot.self_id}: reading the group list failed")
            _transport.groups.setdefault(bot.self_id, set())


@get_driver().on_bot_disconnect
async def account_disconnected(bot: BaseBot) -> None:
    # Its groups stay its own for a while (a reconnect keeps them); then the other
    # accounts in them take them over.
    _transport.groups.pop(bot.self_id, None)
    _answers.pop(bot.self_id, None)


# Per account, whether it answers in each group it has been seen in, and when that was
# asked: a group two of the bot's accounts share hears each command twice, and is
# answered by the one that serves it; the other asks again after a heartbeat, in case
# that account is gone.
_answers: dict[str, dict[int, tuple[bool, float]]] = {}


# One parameter: NoneBot solves each parameter of a preprocessor in a task of its own on
# every event (see nonebot_plugin_shop_guard/entry); the account is the event's self_id.
@event_preprocessor
async def account_seen_in_group(event: Event) -> None:
    """A group the account has just joined, or that spoke before its list was read: it
    is the account's if no account serves it (a /订阅 there is followed by its alerts).
    A command in a group another of the bot's accounts serves is that account's to
    answer."""
    if not isinstance(event, GroupMessageEvent | GroupIncreaseNoticeEvent | GroupDecreaseNoticeEvent):
        return
    account = str(event.self_id)
    if account not in _transport.groups:
        return
    if isinstance(event, GroupDecreaseNoticeEvent):
        bot = get_driver().bots.get(account)
        if str(event.user_id) == account and isinstance(bot, OneBotV11Bot):
            # The account was removed from the group: read its list again (and leave
            # the group to another account in it).
            await _read_group_list(bot)
        return
    answers = _answers.setdefault(account, {})
    group_id = event.group_id
    known = answers.get(group_id)
    if known is None or (not known[0] and time.monotonic() - known[1] > HEARTBEAT.total_seconds()):
        _transport.groups[account].add(group_id)
        known = answers[group_id] = (await serve_group(account, group_id, utc_now()), time.monotonic())
    if not known[0]:
        raise IgnoredException("another of the bot's QQ accounts answers in this group")


@get_driver().on_shutdown
async def stop_sender() -> None:
    for task in (_task, _lists):
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    if _poster is not None:
        await _poster.close()
