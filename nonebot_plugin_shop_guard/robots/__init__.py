from nonebot import require

require("nonebot_plugin_shop_guard.runtime")

from nonebot.plugin import PluginMetadata

from bot.commands.catalogue import command
from shop_guard_chat import SUPPORTED_ADAPTERS, command_matcher

from .flows import do_link, do_robots

__plugin_meta__ = PluginMetadata(
    name="群机器人与跨平台账号",
    description="企业微信、钉钉、飞书的群机器人登记为预警和日报的接收者；同一家店在不同聊天平台上的账号关联成一家店",
    usage=f"{command('机器人').usage}\n{command('关联').usage}",
    type="application",
    supported_adapters=SUPPORTED_ADAPTERS,
)

do_robots(command_matcher("机器人"))
do_link(command_matcher("关联"))
