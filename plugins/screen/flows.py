from pathlib import Path

from nonebot import get_plugin_config
from nonebot.adapters import Bot, Event
from nonebot.log import logger
from nonebot.matcher import Matcher

from bot.errors import BadInput, NotRegistered, Refused
from bot.identity import Platform
from bot.models import Shop
from bot.render import render
from bot.screening import ReasonLines, screen, summary
from bot.settings import Settings
from bot.sheets import refuse_if_too_large, size_limit
from plugins._chat import IncomingFile, member_key, network
from plugins._chat.downloads import fetch
from plugins.storage import blacklist

CHAT_LIMIT = 15  # flagged orders listed in one QQ message; the counts cover the rest


async def has_spreadsheet(bot: Bot, event: Event) -> bool:
    return network(bot).incoming_file(event) is not None


async def _fetch(bot: Bot, file: IncomingFile) -> bytes:
    """Refuse what can be refused before downloading: the announced size, old .xls."""
    if file.size is not None:
        refuse_if_too_large(file.name, file.size)
    if Path(file.name).suffix.lower() == ".xls":
        raise BadInput("sheets.unsupported", suffix=".xls")
    try:
        url = await network(bot).file_url(bot, file)
    except Exception as exc:  # the client could not give a URL (ActionFailed, timeout)
        logger.warning(f"no download link for {file.name!r}: {exc!r}")
        raise BadInput("download_failed") from exc
    limit = size_limit(file.name)
    too_large = BadInput("sheets.too_large", size_mb=f"超过 {limit // 1024 // 1024}", limit_mb=limit // 1024 // 1024)
    return await fetch(url, limit, get_plugin_config(Settings).download_allow_hosts, too_large)


def do_screen_file(matcher: type[Matcher]) -> None:
    @matcher.handle()
    async def screen_file(bot: Bot, event: Event) -> None:
        file = network(bot).incoming_file(event)
        assert file is not None  # the rule made sure
        try:
            shop = await blacklist().shop_of(member_key(bot, event))
        except NotRegistered as refusal:
            if network(bot).group_of(event) is not None:
                return  # any member may upload spreadsheets to a group; only shops are screened
            await matcher.finish(render(refusal.template, **refusal.context))
        await _run(bot, matcher, shop, file)


async def _run(bot: Bot, matcher: type[Matcher], shop: Shop, file: IncomingFile) -> None:
    service = blacklist()
    await matcher.send(render("screen/started.j2", name=file.name, platform=Platform(shop.platform)))
    try:
        data = await _fetch(bot, file)
        report = await screen(data, file.name, Platform(shop.platform), service.fingerprinter, service.clock())
    except Refused as refusal:
        await matcher.finish(render(refusal.template, **refusal.context))
    logger.info(f"screened {report.rows} orders for shop {shop.id} in {report.seconds:.2f}s")
    await matcher.finish(network(bot).text(summary(report, ReasonLines(), CHAT_LIMIT)))
