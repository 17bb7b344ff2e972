from nonebot import require

require("nonebot_plugin_shop_guard.runtime")

import asyncio
import contextlib
import os
import socket
from datetime import timedelta

from nonebot import get_driver, get_plugin_config, logger
from nonebot.plugin import PluginMetadata

from bot.messaging.outbox import Sender
from bot.settings import Settings
from nonebot_plugin_shop_guard.runtime import pool
from shop_guard_chat import SUPPORTED_ADAPTERS
from shop_guard_chat.onebot_v11 import OneBotTransport
from shop_guard_chat.qqbot import QQBotPusher
from shop_guard_chat.webhooks import WebhookPoster

__plugin_meta__ = PluginMetadata(
    name="发件箱",
    description="所有主动消息（预警、日报、邀请、提醒、更正）都经过这里：按群和按机器人限速、失败退避重试、发不出去时改发给能收到的人",
    usage="无命令；设置见 .env 的 SEND_INTERVAL_SECONDS、SEND_GLOBAL_INTERVAL_SECONDS、ALERT_FOLD_AFTER_HOURS、OUTBOX_SENDER",
    type="application",
    config=Settings,
    supported_adapters=SUPPORTED_ADAPTERS,
)

_task: asyncio.Task[None] | None = None
_poster: WebhookPoster | None = None


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
    sender = Sender(
        OneBotTransport(),
        worker=f"{socket.gethostname()}:{os.getpid()}",
        group_interval=settings.send_interval_seconds,
        global_interval=settings.send_global_interval_seconds,
        fold_after=timedelta(hours=settings.alert_fold_after_hours),
        poster=_poster,
        sealer=pool().sealer,
        qqbot=QQBotPusher(),
        qqbot_pushes_per_month=settings.qqbot_group_pushes_per_month,
        robot_pause_after=settings.robot_pause_after_failures,
    )
    _task = asyncio.create_task(_run(sender))


@get_driver().on_shutdown
async def stop_sender() -> None:
    if _task is not None:
        _task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await _task
    if _poster is not None:
        await _poster.close()
