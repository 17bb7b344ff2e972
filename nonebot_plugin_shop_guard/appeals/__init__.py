from nonebot import require

require("nonebot_plugin_shop_guard.runtime")
require("nonebot_plugin_shop_guard.outbox")
require("nonebot_plugin_shop_guard.screenshots")
require("nonebot_plugin_apscheduler")

from nonebot.plugin import PluginMetadata
from nonebot_plugin_apscheduler import scheduler

from bot.commands.catalogue import command
from shop_guard_chat import SUPPORTED_ADAPTERS, command_matcher

from .flows import do_answer, do_appeal, do_review, queue_moderator_notice

__plugin_meta__ = PluginMetadata(
    name="申诉",
    description="任何人都可以对买家的列入提出申诉；举报店铺补充证据；版主审核，撤销或维持，通知各方",
    usage="\n".join(command(name).usage for name in ("申诉", "补充", "审核")),
    type="application",
    supported_adapters=SUPPORTED_ADAPTERS,
)


do_appeal(command_matcher("申诉"))
do_answer(command_matcher("补充"))
do_review(command_matcher("审核"))

# The 版主 hear of new appeals in one notice (Appeals.queue_moderator_notice keeps them at
# most one every APPEAL_NOTICE_MINUTES); looking every ten minutes bounds the wait.
scheduler.add_job(
    queue_moderator_notice,
    "interval",
    minutes=10,
    id="shop_guard_appeal_notice",
    replace_existing=True,
    max_instances=1,
)
