from nonebot import require

require("nonebot_plugin_shop_guard.runtime")
require("nonebot_plugin_shop_guard.entry")
require("nonebot_plugin_shop_guard.screenshots")
require("nonebot_plugin_apscheduler")

from nonebot.plugin import PluginMetadata
from nonebot_plugin_apscheduler import scheduler

from bot.commands.catalogue import command
from nonebot_plugin_shop_guard.entry import on_command_from, wants_messages
from shop_guard_chat import SUPPORTED_ADAPTERS, command_matcher

from .flows import do_complaint, do_evidence, do_joint, end_the_wait, queue_reminders, waits_for_pictures

__plugin_meta__ = PluginMetadata(
    name="联合投诉",
    description="被同一买家伤害的店铺一起向平台投诉：邀请、证据、投诉书、进度提醒",
    usage="\n".join(command(name).usage for name in ("联合", "证据", "投诉书")),
    type="application",
    supported_adapters=SUPPORTED_ADAPTERS,
)

joint_matcher = command_matcher("联合")
evidence_matcher = command_matcher("证据")
complaint_matcher = command_matcher("投诉书")
wants_messages(waits_for_pictures)
on_command_from(end_the_wait)
do_joint(joint_matcher)
do_evidence(evidence_matcher)
do_complaint(complaint_matcher)

scheduler.add_job(
    queue_reminders, "interval", minutes=10, id="shop_guard_joint_reminders", replace_existing=True, max_instances=1
)
