from nonebot import require

require("nonebot_plugin_shop_guard.runtime")
require("nonebot_plugin_shop_guard.outbox")
require("nonebot_plugin_apscheduler")

from nonebot import on_request
from nonebot.adapters import Bot, Event
from nonebot.plugin import PluginMetadata
from nonebot_plugin_apscheduler import scheduler

from bot.commands.catalogue import AFTER_COMMANDS, command
from nonebot_plugin_shop_guard.runtime import settings
from shop_guard_chat import SUPPORTED_ADAPTERS, command_matcher, network

from .flows import do_ban, do_invitation, do_moderators, do_trust_group, do_verify, queue_vouch_notice

__plugin_meta__ = PluginMetadata(
    name="信任与版主",
    description="谁能让买家上黑名单：版主、信任的群、认证的店铺、封禁；机器人只接受版主的入群邀请",
    usage="\n".join(command(name).usage for name in ("版主", "信任本群", "认证", "封禁", "解封")),
    type="application",
    supported_adapters=SUPPORTED_ADAPTERS,
)


async def _is_invitation(bot: Bot, event: Event) -> bool:
    return network(bot).invitation(event) is not None


do_moderators(command_matcher("版主"))
do_trust_group(command_matcher("信任本群"))
do_verify(command_matcher("认证"))
do_ban(command_matcher("封禁"), lift=False)
do_ban(command_matcher("解封"), lift=True)
do_invitation(on_request(rule=_is_invitation, priority=AFTER_COMMANDS, block=True))

# Once a day, at VOUCH_NOTICE_TIME (Asia/Shanghai): the 版主 hear of every vouch since the
# last notice, in one message. A restart is safe: each vouch is listed once.
_hour, _minute = settings.vouch_notice_time.split(":")
scheduler.add_job(
    queue_vouch_notice,
    "cron",
    hour=int(_hour),
    minute=int(_minute),
    timezone="Asia/Shanghai",
    id="shop_guard_vouch_notice",
    replace_existing=True,
    max_instances=1,
)
