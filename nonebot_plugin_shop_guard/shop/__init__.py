from nonebot import require

require("nonebot_plugin_shop_guard.runtime")

from nonebot.plugin import PluginMetadata

from bot.commands.catalogue import command
from shop_guard_chat import SUPPORTED_ADAPTERS, command_matcher

from .flows import do_bind, do_staff

__plugin_meta__ = PluginMetadata(
    name="店铺与店员",
    description="登记发消息的人的店铺（同一平台店名不重复）；一家店的多个账号作为店员加入，算作同一家店",
    usage=f"{command('绑定').usage}\n{command('店员').usage}",
    type="application",
    supported_adapters=SUPPORTED_ADAPTERS,
)

bind_matcher = command_matcher("绑定")
staff_matcher = command_matcher("店员")
do_bind(bind_matcher)
do_staff(staff_matcher)
