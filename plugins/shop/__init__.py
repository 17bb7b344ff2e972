from nonebot import require

require("plugins.storage")

from nonebot import on_command
from nonebot.plugin import PluginMetadata

from bot.catalogue import command
from plugins._chat import SUPPORTED_ADAPTERS

from .flows import do_bind

__plugin_meta__ = PluginMetadata(
    name="店铺绑定",
    description="登记发消息的人的店铺；举报都属于店铺",
    usage=command("绑定").usage,
    type="application",
    supported_adapters=SUPPORTED_ADAPTERS,
)

bind_matcher = on_command("绑定", aliases={command("绑定").alias}, force_whitespace=True, priority=10, block=True)
do_bind(bind_matcher)
