from nonebot import require

require("nonebot_plugin_shop_guard.runtime")

from nonebot.plugin import PluginMetadata

from bot.commands.catalogue import command
from shop_guard_chat import SUPPORTED_ADAPTERS, command_matcher

from .flows import do_rules

__plugin_meta__ = PluginMetadata(
    name="群设置",
    description="每个群自己的规则：预警等级、日报时间、本群放行的买家；每次修改都有记录",
    usage=command("设置").usage,
    type="application",
    supported_adapters=SUPPORTED_ADAPTERS,
)

do_rules(command_matcher("设置"))
