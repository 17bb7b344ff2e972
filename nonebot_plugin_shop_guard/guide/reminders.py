"""Follow-up reminders for open handling cases: queued in the outbox as private
messages, so that they are paced and retried like every other proactive message."""

from nonebot import get_plugin_config, logger
from nonebot_plugin_apscheduler import scheduler

from bot.settings import Settings
from nonebot_plugin_shop_guard.runtime import pool


async def queue_due_reminders() -> None:
    try:
        queued = await pool().guides.queue_reminders()
        if queued:
            logger.info(f"queued {queued} follow-up reminders")
    except Exception:
        logger.exception("reminder round failed")


def schedule_reminders() -> None:
    minutes = get_plugin_config(Settings).guide_reminder_check_minutes
    scheduler.add_job(
        queue_due_reminders,
        "interval",
        minutes=minutes,
        id="shop_guard_guide_reminders",
        replace_existing=True,
        max_instances=1,
    )
