from nonebot import require

require("nonebot_plugin_localstore")

import asyncio
import gc
import logging
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
from bot.errors import NotRegistered
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

    __slots__ = ("account", "actor", "shop")

    def __init__(self, account: str, shop: Shop | None, actor: Actor):
        self.account = account  # "qq:12345"
        self.shop = shop  # the shop the account speaks for, as owner or staff
        self.actor = actor  # the account, the group (None in private chat), whether a group admin

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
    def platform(self) -> Platform:
        """The buyer's platform when a command names none: the shop's own (淘宝 without one)."""
        return Platform(self.shop.platform) if self.shop else Platform.taobao


async def _speaker(bot: Bot, event: Event) -> Speaker:
    account = member_key(bot, event)
    return Speaker(account, await blacklist().shop_or_none(account), actor(bot, event))


# A handler's parameter `speaker: Speaker = Speaking`: the one lookup of the speaker's shop.
Speaking = Depends(_speaker)


@driver.on_startup
async def start_storage() -> None:
    global _pool
    # The data folder keeps the name it had when this plugin was called "storage": a
    # deployment's database and fingerprint key live there (the CLI opens the same one).
    _pool = await open_pool(settings, localstore.get_data_dir("storage"), warn=logger.warning, info=logger.info)
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
