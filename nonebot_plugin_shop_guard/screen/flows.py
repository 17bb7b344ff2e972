from pathlib import Path

from nonebot import get_plugin_config
from nonebot.adapters import Bot, Event
from nonebot.log import logger
from nonebot.matcher import Matcher

from bot.errors import BadInput
from bot.identity.platforms import Platform
from bot.messaging.render import render
from bot.screening.sheets import refuse_if_too_large, size_limit
from bot.settings import Settings
from nonebot_plugin_shop_guard.runtime import Speaker, Speaking, pool
from shop_guard_chat import IncomingFile, Line, answers_refusals, network
from shop_guard_chat.downloads import fetch


def carries_file(line: Line) -> bool:
    """Any file segment (whether a spreadsheet is the matcher's rule to say)."""
    return "file" in line.kinds


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
        logger.warning(f"no download link for an uploaded file: {exc!r}")
        raise BadInput("download_failed") from exc
    limit = size_limit(file.name)
    too_large = BadInput("sheets.too_large", size_mb=f"超过 {limit // 1024 // 1024}", limit_mb=limit // 1024 // 1024)
    return await fetch(url, limit, get_plugin_config(Settings).download_allow_hosts, too_large)


def do_screen_file(matcher: type[Matcher]) -> None:
    @matcher.handle()
    @answers_refusals(None)
    async def screen_file(bot: Bot, event: Event, speaker: Speaker = Speaking) -> None:
        chat = network(bot)
        file = chat.incoming_file(event)
        assert file is not None  # the rule made sure
        if speaker.shop is None and speaker.group_id is not None:
            return  # any member may upload spreadsheets to a group; only shops are screened
        shop = speaker.registered
        # The file goes to a worker process; the summary comes later, through the outbox.
        await pool().screenings.admit(shop)
        data = await _fetch(bot, file)
        submitted = await pool().screenings.submit(shop, file.name, data, chat.reply_target(event))
        await matcher.finish(
            render(
                "screen/queued.j2",
                name=file.name,
                platform=Platform(shop.platform),
                ahead=submitted.ahead,
                private=chat.group_of(event) is None,
            )
        )
