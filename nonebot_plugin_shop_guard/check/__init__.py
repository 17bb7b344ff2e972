from nonebot import require

require("nonebot_plugin_shop_guard.runtime")
require("nonebot_plugin_shop_guard.screenshots")

from nonebot.plugin import PluginMetadata

from bot.commands.catalogue import command
from shop_guard_chat import SUPPORTED_ADAPTERS, command_matcher

from .flows import do_check

__plugin_meta__ = PluginMetadata(
    name="查买家",
    description="查一个买家在共享黑名单里的风险等级、依据和下一步",
    usage=command("查").usage,
    type="application",
    supported_adapters=SUPPORTED_ADAPTERS,
)

check_matcher = command_matcher("查")
do_check(check_matcher)
