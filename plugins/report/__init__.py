from nonebot import require

require("plugins.storage")

from nonebot import on_command
from nonebot.plugin import PluginMetadata

from bot.catalogue import command
from plugins._chat import SUPPORTED_ADAPTERS

from .flows import do_report, do_retract

__plugin_meta__ = PluginMetadata(
    name="举报与撤回",
    description="店铺把恶意买家加入共享黑名单，或撤回自己的举报",
    usage=f"{command('举报').usage}\n{command('撤回').usage}",
    type="application",
    supported_adapters=SUPPORTED_ADAPTERS,
)

report_matcher = on_command(
    "举报", aliases={command("举报").alias}, force_whitespace=True, priority=command("举报").priority, block=True
)
retract_matcher = on_command(
    "撤回", aliases={command("撤回").alias}, force_whitespace=True, priority=command("撤回").priority, block=True
)
do_report(report_matcher)
do_retract(retract_matcher)
