from nonebot import require

require("nonebot_plugin_shop_guard.runtime")
require("nonebot_plugin_shop_guard.entry")

from nonebot import on_message, on_notice
from nonebot.plugin import PluginMetadata

from bot.commands.catalogue import AFTER_COMMANDS
from nonebot_plugin_shop_guard.entry import wants_messages
from shop_guard_chat import SUPPORTED_ADAPTERS

from .flows import carries_file, do_screen_file, has_spreadsheet

__plugin_meta__ = PluginMetadata(
    name="订单筛查",
    description="把卖家后台导出的订单表（CSV/XLSX）发给机器人，逐笔比对共享黑名单和红旗",
    usage="在群里上传订单导出文件，或私聊发给机器人（需先 /绑定，平台按绑定的店铺）",
    type="application",
    supported_adapters=SUPPORTED_ADAPTERS,
)

# A group upload is a notice; a file sent privately is a message.
upload_matcher = on_notice(rule=has_spreadsheet, priority=AFTER_COMMANDS, block=False)
private_file_matcher = on_message(rule=has_spreadsheet, priority=AFTER_COMMANDS, block=True)
wants_messages(carries_file)
do_screen_file(upload_matcher)
do_screen_file(private_file_matcher)
