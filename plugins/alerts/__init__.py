from nonebot import require

require("plugins.storage")
require("nonebot_plugin_apscheduler")

from nonebot import get_driver, on_command
from nonebot.plugin import PluginMetadata
from nonebot_plugin_apscheduler import scheduler

from bot.catalogue import command

from .delivery import queue_digests, start_sender, stop_sender
from .flows import do_digest_preview, do_subscribe, do_unsubscribe

__plugin_meta__ = PluginMetadata(
    name="预警与日报",
    description="订阅的群收到高风险买家的实时预警和每日联防日报；所有主动消息经过限速的发件箱",
    usage=f"{command('订阅').usage}\n{command('退订').usage}\n{command('日报').usage}",
)

subscribe_matcher = on_command("订阅", aliases={command("订阅").alias}, force_whitespace=True, priority=10, block=True)
unsubscribe_matcher = on_command(
    "退订", aliases={command("退订").alias}, force_whitespace=True, priority=10, block=True
)
digest_matcher = on_command("日报", aliases={command("日报").alias}, force_whitespace=True, priority=10, block=True)
do_subscribe(subscribe_matcher)
do_unsubscribe(unsubscribe_matcher)
do_digest_preview(digest_matcher)

# Every minute: queue the digests whose time has come. Restarts and several processes
# are safe: a group's digest of a day has one outbox key.
scheduler.add_job(queue_digests, "cron", minute="*", id="shop_guard_digests", replace_existing=True, max_instances=1)
get_driver().on_startup(start_sender)
get_driver().on_shutdown(stop_sender)
