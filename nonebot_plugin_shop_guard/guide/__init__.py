from nonebot import require

require("nonebot_plugin_shop_guard.runtime")
require("nonebot_plugin_shop_guard.entry")
require("nonebot_plugin_shop_guard.outbox")
require("nonebot_plugin_apscheduler")

from nonebot import on_message
from nonebot.plugin import PluginMetadata

from bot.commands.catalogue import AFTER_COMMANDS, command
from nonebot_plugin_shop_guard.entry import wants_messages
from shop_guard_chat import SUPPORTED_ADAPTERS, command_matcher

from .flows import do_answer, do_audit, do_guide, has_active_case, may_be_flow_reply
from .reminders import schedule_reminders

__plugin_meta__ = PluginMetadata(
    name="处理流程",
    description="一步一步带商家处理恶意买家（进度存为案件、按天提醒跟进），以及店铺体检",
    usage=f"{command('处理').usage}\n{command('体检').usage}",
    type="application",
    supported_adapters=SUPPORTED_ADAPTERS,
)

guide_matcher = command_matcher("处理")
audit_matcher = command_matcher("体检")
# Replies inside a flow (好了, 跳过, 是, …): after the commands, only for a merchant
# with an active case in this chat.
answer_matcher = on_message(rule=has_active_case, priority=AFTER_COMMANDS + 1, block=True)
wants_messages(may_be_flow_reply)
do_guide(guide_matcher)
do_audit(audit_matcher)
do_answer(answer_matcher)
schedule_reminders()
