"""The outbox sender over OneBot v11, and the digest job."""

import asyncio
import contextlib
import os
import socket
from datetime import timedelta
from pathlib import Path

import nonebot
from nonebot import get_plugin_config, logger
from nonebot.adapters.onebot.v11 import ActionFailed, Bot, Message, MessageSegment, NetworkError

from bot.outbox import DeliveryFailed, GroupUnreachable, Sender
from bot.settings import Settings
from plugins.storage import pool

_task: asyncio.Task | None = None
_LEFT_WORDS = ("不存在", "not found", "不在群", "removed", "kicked", "已被移出", "group not exist")
_MUTED_WORDS = ("禁言", "muted", "mute")


class OneBotTransport:
    """Sends through any connected OneBot v11 bot; classifies its errors for the sender."""

    async def send(
        self, group_id: int, text: str, image: str | None, channel: str = "group", mention: int | None = None
    ) -> None:
        bots = [b for b in nonebot.get_bots().values() if isinstance(b, Bot)]
        if not bots:
            raise DeliveryFailed("no OneBot connection")
        message = Message(MessageSegment.text(text))
        if mention is not None:
            message = MessageSegment.at(mention) + MessageSegment.text(" ") + message
        if image and Path(image).exists():
            message += MessageSegment.image(Path(image))
        try:
            if channel == "private":
                await bots[0].send_private_msg(user_id=group_id, message=message)
            else:
                await bots[0].send_group_msg(group_id=group_id, message=message)
        except ActionFailed as exc:
            detail = f"{exc.info.get('retcode')} {exc.info.get('msg', '')} {exc.info.get('wording', '')}".lower()
            if any(word in detail for word in _LEFT_WORDS):
                raise GroupUnreachable("left", detail) from exc
            if any(word in detail for word in _MUTED_WORDS):
                raise GroupUnreachable("muted", detail) from exc
            raise DeliveryFailed(detail) from exc
        except NetworkError as exc:
            raise DeliveryFailed(str(exc)) from exc


async def _run(sender: Sender) -> None:
    while True:
        try:
            await sender.run_forever()
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("outbox sender crashed; restarting in 5 s")
            await asyncio.sleep(5)


async def start_sender() -> None:
    global _task
    settings = get_plugin_config(Settings)
    if not settings.outbox_sender:
        return
    sender = Sender(
        OneBotTransport(),
        worker=f"{socket.gethostname()}:{os.getpid()}",
        group_interval=settings.send_interval_seconds,
        global_interval=settings.send_global_interval_seconds,
        fold_after=timedelta(hours=settings.alert_fold_after_hours),
    )
    _task = asyncio.create_task(_run(sender))


async def stop_sender() -> None:
    if _task is not None:
        _task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await _task


async def queue_digests() -> None:
    try:
        queued = await pool().alerts.queue_due_digests()
        if queued:
            logger.info(f"queued {queued} digests")
    except Exception:
        logger.exception("digest round failed")
