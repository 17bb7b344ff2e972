from nonebot import require

require("nonebot_plugin_localstore")

import logging

import nonebot_plugin_localstore as localstore
from nonebot import get_driver, get_plugin_config, logger
from nonebot.adapters import Bot, Event
from nonebot.message import run_postprocessor
from nonebot.plugin import PluginMetadata

from bot.blacklist import Blacklist
from bot.database import database, describe, sqlite_url
from bot.identity import Fingerprinter, load_or_create_secret, redact
from bot.render import render
from bot.settings import Settings

__plugin_meta__ = PluginMetadata(
    name="共享黑名单存储",
    description="数据库的启动与关闭、手机号/地址指纹密钥，以及出错时的兜底回复",
    usage="无命令；其他插件通过 require 使用",
    config=Settings,
)

# NoneBot logs every incoming message; merchants' commands carry buyers' phone numbers
# and addresses, which must never reach a log in clear (PIPL).
logger.configure(patcher=lambda record: record.update(message=redact(record["message"])))

settings = get_plugin_config(Settings)
driver = get_driver()
_service: Blacklist | None = None


def blacklist() -> Blacklist:
    if _service is None:
        raise RuntimeError("the blacklist is used before the bot started")
    return _service


@driver.on_startup
async def start_storage() -> None:
    global _service
    data_dir = localstore.get_plugin_data_dir()
    secret, created = load_or_create_secret(settings.identity_hash_secret, data_dir)
    if created:
        logger.warning(
            f"没有配置 IDENTITY_HASH_SECRET，已生成一个新的手机号/地址指纹密钥并保存在 {data_dir / 'identity_hash_secret'}；"
            "多个机器人共用一个数据库时必须配置同一个密钥"
        )
    url = settings.database_url or sqlite_url(data_dir)
    logger.info(f"数据库：{describe(url)}")
    await database.start(url)
    _service = Blacklist(Fingerprinter(secret))


@driver.on_shutdown
async def stop_storage() -> None:
    await database.stop()


@run_postprocessor
async def explain_failure(bot: Bot, event: Event, exception: Exception | None) -> None:
    """A handler that crashed still owes the merchant an answer; the traceback goes to
    the log (NoneBot has already written it), never to the chat."""
    if exception is None:
        return
    try:
        await bot.send(event, render("errors/internal.j2"))
    except Exception:  # the chat itself may be what failed
        logging.getLogger(__name__).exception("could not send the failure notice")
