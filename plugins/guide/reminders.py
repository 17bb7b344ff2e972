"""Follow-up reminders for open handling cases, sent to the merchant in private."""

import asyncio
import contextlib

import nonebot
from nonebot import get_plugin_config, logger
from nonebot.adapters.onebot.v11 import Bot as OneBotV11Bot

from bot.guides import scenario
from bot.render import environment, render
from bot.settings import Settings

from .flows import guides

_task: asyncio.Task | None = None


async def send_due_reminders() -> int:
    """Send every due reminder once; a failed send stays due and is tried next round.
    Returns how many went out."""
    settings = get_plugin_config(Settings)
    bots = [b for b in nonebot.get_bots().values() if isinstance(b, OneBotV11Bot)]
    if not bots:
        return 0
    sent = 0
    for case, step, days in await guides.due_reminders():
        network, _, user_id = case.shop.owner.partition(":")
        if network != "qq" or not user_id.isdigit():
            await guides.reminded(case, step)  # no private chat to reach (console, import)
            continue
        text = environment().from_string(step.reminder or "{{ days }} 天了，去跟进处理进度。").render(days=days)
        message = render("guides/reminder.j2", case=case, scenario=scenario(case.scenario), text=text)
        try:
            await bots[0].send_private_msg(user_id=int(user_id), message=message)
        except Exception as exc:  # ActionFailed, NetworkError, timeout: try again next round
            logger.warning(f"reminder for case {case.id} not sent: {exc!r}")
            continue
        await guides.reminded(case, step)
        sent += 1
        await asyncio.sleep(settings.send_interval_seconds)
    return sent


async def _loop(minutes: int) -> None:
    while True:
        await asyncio.sleep(minutes * 60)
        try:
            await send_due_reminders()
        except Exception:
            logger.exception("reminder round failed")


async def start_reminders() -> None:
    global _task
    _task = asyncio.create_task(_loop(get_plugin_config(Settings).guide_reminder_check_minutes))


async def stop_reminders() -> None:
    if _task is not None:
        _task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await _task
