import asyncio
from pathlib import Path

import aiohttp
from nonebot.adapters import Bot, Event
from nonebot.adapters.onebot.v11 import GroupUploadNoticeEvent, PrivateMessageEvent
from nonebot.log import logger
from nonebot.matcher import Matcher

from bot.errors import BadInput, NotRegistered, Refused
from bot.identity import Platform
from bot.render import render
from bot.screening import ReasonLines, screen, summary
from bot.sheets import refuse_if_too_large, size_limit
from plugins._chat import member_key
from plugins.storage import blacklist

SPREADSHEET_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".xls")
CHAT_LIMIT = 15  # flagged orders listed in one QQ message; the counts cover the rest


def _is_spreadsheet(name: str) -> bool:
    return Path(name).suffix.lower() in SPREADSHEET_SUFFIXES


async def is_spreadsheet_upload(event: Event) -> bool:
    return isinstance(event, GroupUploadNoticeEvent) and _is_spreadsheet(event.file.name)


def _file_segment(event: Event):
    if not isinstance(event, PrivateMessageEvent):
        return None
    return next(
        (
            seg
            for seg in event.message
            if seg.type == "file" and _is_spreadsheet(str(seg.data.get("name") or seg.data.get("file") or ""))
        ),
        None,
    )


async def is_private_spreadsheet(event: Event) -> bool:
    return _file_segment(event) is not None


async def download(url: str, limit: int) -> bytes:
    """Stream with a size limit: the announced size can be missing or wrong."""
    timeout = aiohttp.ClientTimeout(total=120)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url) as response:
            if response.status != 200:
                raise BadInput("screen/download_failed.j2", reason=f"HTTP {response.status}")
            chunks, size = [], 0
            async for chunk in response.content.iter_chunked(64 * 1024):
                size += len(chunk)
                if size > limit:
                    raise BadInput(
                        "sheets/too_large.j2", size_mb=f"超过 {limit // 1024 // 1024}", limit_mb=limit // 1024 // 1024
                    )
                chunks.append(chunk)
            return b"".join(chunks)
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        raise BadInput("screen/download_failed.j2", reason=type(exc).__name__) from exc


async def _fetch(name: str, size: int | None, url) -> bytes:
    """Refuse what can be refused before downloading: the announced size, old .xls."""
    if size is not None:
        refuse_if_too_large(name, size)
    if Path(name).suffix.lower() == ".xls":
        raise BadInput("sheets/unsupported.j2", suffix=".xls")
    try:
        address = await url()
    except Exception as exc:  # the client could not give a URL (ActionFailed, timeout)
        raise BadInput("screen/download_failed.j2", reason=type(exc).__name__) from exc
    return await download(address, size_limit(name))


def do_screen_upload(matcher: type[Matcher]) -> None:
    @matcher.handle()
    async def screen_upload(bot: Bot, event: GroupUploadNoticeEvent) -> None:
        try:
            shop = await blacklist().shop_of(member_key(bot, event))
        except NotRegistered:
            return  # any member may upload spreadsheets to a group; only shops are screened

        async def url() -> str:
            if getattr(event.file, "url", None):
                return event.file.url
            # go-cqhttp / NapCat / Lagrange extension: group file events carry no URL.
            found = await bot.call_api(
                "get_group_file_url", group_id=event.group_id, file_id=event.file.id, busid=event.file.busid
            )
            return found["url"]

        await _run(matcher, shop, event.file.name, event.file.size, url)


def do_screen_private_file(matcher: type[Matcher]) -> None:
    @matcher.handle()
    async def screen_private(bot: Bot, event: PrivateMessageEvent) -> None:
        segment = _file_segment(event)
        name = str(segment.data.get("name") or segment.data.get("file"))
        try:
            shop = await blacklist().shop_of(member_key(bot, event))
        except Refused as refusal:
            await matcher.finish(render(refusal.template, **refusal.context))

        async def url() -> str:
            if segment.data.get("url"):
                return segment.data["url"]
            found = await bot.call_api("get_file", file_id=segment.data.get("file_id") or segment.data.get("file"))
            return found["url"]

        size = segment.data.get("file_size") or segment.data.get("size")
        await _run(matcher, shop, name, int(size) if size else None, url)


async def _run(matcher: type[Matcher], shop, name: str, size: int | None, url) -> None:
    service = blacklist()
    await matcher.send(render("screen/started.j2", name=name, platform=Platform(shop.platform)))
    try:
        data = await _fetch(name, size, url)
        report = await screen(data, name, Platform(shop.platform), service.fingerprinter, service.clock())
    except Refused as refusal:
        await matcher.finish(render(refusal.template, **refusal.context))
    logger.info(f"screened {report.rows} orders for shop {shop.id} in {report.seconds:.2f}s")
    await matcher.finish(summary(report, ReasonLines(), CHAT_LIMIT))
