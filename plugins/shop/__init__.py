from nonebot import require

require("plugins.storage")

from nonebot import on_command
from nonebot.plugin import PluginMetadata

from bot.catalogue import command
from plugins._chat import SUPPORTED_ADAPTERS

from .flows import do_bind, do_staff

__plugin_meta__ = PluginMetadata(
    name="店铺与店员",
    description="登记发消息的人的店铺（同一平台店名不重复）；一家店的多个账号作为店员加入，算作同一家店",
    usage=f"{command('绑定').usage}\n{command('店员').usage}",
    type="application",
    supported_adapters=SUPPORTED_ADAPTERS,
)

bind_matcher = on_command(
    "绑定", aliases={command("绑定").alias}, force_whitespace=True, priority=command("绑定").priority, block=True
)
staff_matcher = on_command(
    "店员", aliases={command("店员").alias}, force_whitespace=True, priority=command("店员").priority, block=True
)
do_bind(bind_matcher)
do_staff(staff_matcher)
