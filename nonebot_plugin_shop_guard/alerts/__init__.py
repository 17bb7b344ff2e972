from nonebot import require

require("nonebot_plugin_shop_guard.runtime")
require("nonebot_plugin_shop_guard.outbox")
require("nonebot_plugin_apscheduler")

import time

from nonebot import logger
from nonebot.plugin import PluginMetadata
from nonebot_plugin_apscheduler import scheduler

from bot.commands.catalogue import command
from nonebot_plugin_shop_guard.outbox import sending_accounts
from nonebot_plugin_shop_guard.runtime import pool
from shop_guard_chat import SUPPORTED_ADAPTERS, command_matcher

from .flows import do_digest_preview, do_subscribe, do_unsubscribe

__plugin_meta__ = PluginMetadata(
    name="预警与日报",
    description="订阅的群收到高风险买家的实时预警和每日联防日报",
    usage=f"{command('订阅').usage}\n{command('退订').usage}\n{command('日报').usage}",
    type="application",
    supported_adapters=SUPPORTED_ADAPTERS,
)

subscribe_matcher = command_matcher("订阅")
unsubscribe_matcher = command_matcher("退订")
digest_matcher = command_matcher("日报")
do_subscribe(subscribe_matcher)
do_unsubscribe(unsubscribe_matcher)
do_digest_preview(digest_matcher)


async def queue_digests() -> None:
    try:
        started = time.perf_counter()
        # With the sender on, only the groups this process's QQ accounts send to: several
        # bot processes split the round (issue #29).
        queued = await pool().alerts.queue_due_digests(sending_accounts())
        if queued:
            logger.info(f"queued {queued} digests in {time.perf_counter() - started:.2f} s")
    except Exception:
        logger.exception("digest round failed")


# Every minute: queue the digests whose time has come. Restarts and several processes
# are safe: a group's digest of a day has one outbox key.
scheduler.add_job(queue_digests, "cron", minute="*", id="shop_guard_digests", replace_existing=True, max_instances=1)
