from nonebot import require

require("plugins.storage")
require("plugins.outbox")
require("nonebot_plugin_apscheduler")

from nonebot import on_command, on_message
from nonebot.plugin import PluginMetadata

from bot.catalogue import command
from plugins._chat import SUPPORTED_ADAPTERS

from .flows import do_answer, do_audit, do_guide, has_active_case
from .reminders import schedule_reminders

__plugin_meta__ = PluginMetadata(
    name="处理流程",
    description="一步一步带商家处理恶意买家（进度存为案件、按天提醒跟进），以及店铺体检",
    usage=f"{command('处理').usage}\n{command('体检').usage}",
    type="application",
    supported_adapters=SUPPORTED_ADAPTERS,
)

guide_matcher = on_command("处理", aliases={command("处理").alias}, force_whitespace=True, priority=10, block=True)
audit_matcher = on_command("体检", aliases={command("体检").alias}, force_whitespace=True, priority=10, block=True)
# Replies inside a flow (好了, 跳过, 是, …): after the commands, only for a merchant
# with an active case in this chat.
answer_matcher = on_message(rule=has_active_case, priority=20, block=True)
do_guide(guide_matcher)
do_audit(audit_matcher)
do_answer(answer_matcher)
schedule_reminders()
