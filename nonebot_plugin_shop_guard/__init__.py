"""电商联防 as one NoneBot plugin: each capability is a sub-plugin of this package
(check, report, alerts, joint…), loaded by loading this one, so that an existing NoneBot
project takes the whole bot with `plugins = ["nonebot_plugin_shop_guard"]`, and
`python -m bot` loads nothing else. The seam to each chat network and the changes to
NoneBot live beside it, in shop_guard_chat/: NoneBot refuses to load a plugin package
that was imported before, and the bot registers its OneBot adapter first."""

from __future__ import annotations

import pkgutil

from nonebot import require
from nonebot.plugin import PluginMetadata

from bot.settings import Settings
from shop_guard_chat import SUPPORTED_ADAPTERS

__plugin_meta__ = PluginMetadata(
    name="电商联防",
    description="电商商家的联防机器人：查买家、共享黑名单、举报差评师、预警与日报、处理流程、联合投诉",
    usage="发 /帮助 看全部命令；每个命令都有中文名和英文别名",
    type="application",
    config=Settings,
    supported_adapters=SUPPORTED_ADAPTERS,
)


def names() -> list[str]:
    """Every sub-plugin package here; modules and packages starting with "_" are shared
    code, not plugins."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if m.ispkg and not m.name.startswith("_"))


# The runtime (database, services) first; the others require it themselves too.
for _name in ["runtime", *(name for name in names() if name != "runtime")]:
    require(f"{__name__}.{_name}")
