from nonebot import require

require("nonebot_plugin_shop_guard.runtime")
require("nonebot_plugin_shop_guard.screenshots")

from nonebot.plugin import PluginMetadata

from bot.commands.catalogue import command
from shop_guard_chat import SUPPORTED_ADAPTERS, command_matcher

from .flows import do_report, do_retract

__plugin_meta__ = PluginMetadata(
    name="举报与撤回",
    description="店铺把恶意买家加入共享黑名单，或撤回自己的举报",
    usage=f"{command('举报').usage}\n{command('撤回').usage}",
    type="application",
    supported_adapters=SUPPORTED_ADAPTERS,
)

report_matcher = command_matcher("举报")
retract_matcher = command_matcher("撤回")
do_report(report_matcher)
do_retract(retract_matcher)
