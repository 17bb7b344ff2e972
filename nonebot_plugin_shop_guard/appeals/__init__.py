from nonebot import require

require("nonebot_plugin_shop_guard.runtime")
require("nonebot_plugin_shop_guard.outbox")

from nonebot.plugin import PluginMetadata

from bot.commands.catalogue import command
from shop_guard_chat import SUPPORTED_ADAPTERS, command_matcher

from .flows import do_answer, do_appeal, do_review

__plugin_meta__ = PluginMetadata(
    name="申诉",
    description="任何人都可以对买家的列入提出申诉；举报店铺补充证据；版主审核，撤销或维持，通知各方",
    usage="\n".join(command(name).usage for name in ("申诉", "补充", "审核")),
    type="application",
    supported_adapters=SUPPORTED_ADAPTERS,
)


do_appeal(command_matcher("申诉"))
do_answer(command_matcher("补充"))
do_review(command_matcher("审核"))
