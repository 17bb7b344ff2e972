from nonebot import require

require("nonebot_plugin_localstore")

import asyncio
import gc
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import nonebot_plugin_localstore as localstore
from nonebot import get_driver, get_plugin_config, logger
from nonebot.adapters import Bot, Event
from nonebot.exception import AdapterException
from nonebot.message import run_postprocessor
from nonebot.params import Depends
from nonebot.plugin import PluginMetadata

from bot import loopwatch
from bot.blacklist.blacklist import Blacklist
from bot.commands.grammar import parse_check
from bot.deployment.data_folder import data_folder as deployment_folder
from bot.errors import Misconfigured, NotRegistered
from bot.identity.platforms import Platform
from bot.identity.text import log_safe
from bot.messaging import charts
from bot.messaging.render import render, warm_up
from bot.pool import Pool, close_pool, open_pool
from bot.settings import Settings
from bot.storage.models.shops import Shop
from bot.trust.moderation import Actor
from shop_guard_chat import SUPPORTED_ADAPTERS, actor, member_key
from shop_guard_chat import nonebot_patches as patches

if TYPE_CHECKING:
    from loguru import Record

__plugin_meta__ = PluginMetadata(
    name="共享黑名单存储",
    description="数据库的启动与关闭、手机号/地址指纹密钥，以及出错时的兜底回复",
    usage="无命令；其他插件通过 require 使用",
    type="library",
    config=Settings,
    supported_adapters=SUPPORTED_ADAPTERS,
)


# NoneBot logs every incoming message; merchants' commands carry buyers' phone numbers
# and addresses, which must never reach a log in clear (PIPL), and one crafted message
# must not write a megabyte into it.
def _redacted(record: "Record") -> None:
    record["message"] = log_safe(record["message"])


logger.configure(patcher=_redacted)


# A quieter log handler than NoneBot's: plugins/_patches.py (patch 4) says why.
patches.apply_log_handler()

settings = get_plugin_config(Settings)
driver = get_driver()
_pool: Pool | None = None
_watch: asyncio.Task[None] | None = None


def pool() -> Pool:
    if _pool is None:
        raise RuntimeError("the pool is used before the bot started")
    return _pool


def blacklist() -> Blacklist:
    return pool().blacklist


class Speaker:
    """Who speaks, where, and for which shop: what most handlers need first. A plain
    class, not a dataclass: NoneBot checks a dependency's value against its annotation,
    and would build a pydantic schema of a dataclass (a Tortoise model has none)."""

    __slots__ = ("account", "actor", "group_platform", "shop")

    def __init__(self, account: str, shop: Shop | None, actor: Actor, group_platform: Platform | None = None):
        self.account = account  # "qq:12345"
        self.shop = shop  # the shop the account speaks for, as owner or staff
        self.actor = actor  # the account, the group (None in private chat), whether a group admin
        self.group_platform = group_platform  # the group's own platform (/设置 平台), if any

    @property
    def group_id(self) -> int | None:
        return self.actor.group_id

    @property
    def registered(self) -> Shop:
        """The shop; NotRegistered (answered with how to /绑定) for someone without one."""
        if self.shop is None:
            raise NotRegistered()
        return self.shop

    @property
    def platform(self) -> Platform | None:
        """The buyer's platform when a command names none: the shop's own, else the
        group's (/设置 平台); None: not known, a check looks on every platform."""
        if self.shop is not None:
            return Platform(self.shop.platform)
        return self.group_platform


async def _speaker(bot: Bot, event: Event) -> Speaker:
    account = member_key(bot, event)
    shop = await blacklist().shop_or_none(account)
    who = actor(bot, event)
    # Only a member without a shop speaks for the group's platform (memory, mostly).
    group_platform = await pool().group_rules.platform_of(who.group_id) if shop is None and who.group_id else None
    return Speaker(account, shop, who, group_platform)


# A handler's parameter `speaker: Speaker = Speaking`: the one lookup of the speaker's shop.
Speaking = Depends(_speaker)


def data_folder() -> Path:
    """SHOP_GUARD_DATA_DIR, else data/ where the bot runs; a pool still in the folder
    nonebot-plugin-localstore used to choose ("storage" under its data folder) is found
    there. The command-line tools find the same one (bot/cli.py)."""
    found = deployment_folder(settings.shop_guard_data_dir, Path.cwd(), localstore.BASE_DATA_DIR / "storage")
    if found.legacy:
        logger.warning(render("deployment/legacy_folder.j2", folder=found.path, moved_to=found.moved_to))
    if found.stranded:
        logger.warning(render("deployment/stranded_folder.j2", folder=found.path, stranded=found.stranded))
    return found.path


@driver.on_startup
async def start_storage() -> None:
    global _pool
    try:
        _pool = await open_pool(settings, data_folder(), warn=logger.warning, info=logger.info)
    except Misconfigured as refusal:
        # `python -m bot` has refused such a start before NoneBot ran; in a host NoneBot
        # project this is where it is said, and the start fails.
        logger.error(render(refusal.template, **refusal.context))
        raise
    await _pool.guides.load_sessions()
    await _pool.group_rules.refresh_screenshot_groups()
    resumed = await _pool.screenings.resume()
    if resumed:
        logger.info(f"重启前没筛完的 {resumed} 个订单文件已重新排队")
    # The first /查 would otherwise compile templates and statements and import what the
    # verdict needs (~0.2 s with every group waiting): done now, before the first message.
    warm_up()
    await asyncio.to_thread(charts.prepare)
    render("check/verdict.j2", result=await _pool.blacklist.check(parse_check("warm_up")))
    # Everything loaded so far (NoneBot, the plugins, jinja, Tortoise) lives as long as the
    # process: out of the collector's sight, a full collection no longer walks it and no
    # longer stalls every group for tens of milliseconds.
    gc.collect()
    gc.freeze()
    global _watch
    _watch = asyncio.create_task(
        loopwatch.watch(
            logger.warning, logger.info, settings.loop_watch_threshold_ms, settings.loop_watch_report_seconds
        )
    )


@driver.on_shutdown
async def stop_storage() -> None:
    if _watch is not None:
        _watch.cancel()
    await close_pool(_pool)


@run_postprocessor
async def explain_failure(bot: Bot, event: Event, exception: Exception | None) -> None:
    """A handler that crashed still owes the merchant an answer; the traceback goes to
    the log (NoneBot has already written it), never to the chat."""
    if exception is None:
        return
    if isinstance(exception, AdapterException):
        # The reply could not be delivered (the client refused, the connection dropped):
        # whatever the handler did is done. A second message now would be a second
        # failure or, worse, a false one; the log has it.
        logging.getLogger(__name__).warning(f"a reply could not be delivered: {exception!r}")
        return
    try:
        await bot.send(event, render("errors/internal.j2"))
    except Exception:  # the chat itself may be what failed
        logging.getLogger(__name__).exception("could not send the failure notice")
