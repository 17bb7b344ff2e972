"""Screenshots in the chat: which pictures are read (a command's own or quoted picture, a
picture sent privately, every picture of a group that asked for it), how they are
downloaded (shop_guard_chat/downloads.py: public addresses, the size limit), and the
replies. The reading, the verdicts and the proposals are the core's (bot/screening/
reader.py); what was read goes out as text segments only (never parsed for codes)."""

import hashlib
import time

from nonebot import get_plugin_config
from nonebot.adapters import Bot, Event, Message
from nonebot.matcher import Matcher
from nonebot.typing import T_State

from bot.blacklist.blacklist import Filing
from bot.commands.requests import SCREENSHOT_MAX_BYTES, SCREENSHOTS_PER_MESSAGE
from bot.errors import BadInput, Refused
from bot.identity.text import fold
from bot.messaging.render import explain, render
from bot.screening.reader import Screenshot
from bot.settings import Settings
from nonebot_plugin_shop_guard.runtime import Speaker, Speaking, pool
from shop_guard_chat import Line, answers_refusals, member_key, network, send_burst
from shop_guard_chat.downloads import fetch

CONFIRM = ("确认", "确定", "confirm")
CANCEL = ("取消", "放弃", "cancel")


def pictures_of(bot: Bot, event: Event, args: Message | None = None) -> list[str]:
    """The pictures a command is about: those in its own message, else the quoted one's."""
    chat = network(bot)
    return (chat.picture_urls(args) if args is not None else []) or chat.quoted_picture_urls(event)


async def download(url: str) -> bytes:
    too_large = BadInput("screenshots.too_large", limit_mb=SCREENSHOT_MAX_BYTES // 1024 // 1024)
    return await fetch(url, SCREENSHOT_MAX_BYTES, get_plugin_config(Settings).download_allow_hosts, too_large)


async def read(speaker: Speaker, url: str) -> Screenshot:
    return await pool().screenshots.read(await download(url), speaker.platform, speaker.account)


async def _checked(speaker: Speaker, url: str, auto: bool) -> str | None:
    """The check of one screenshot in words; None where an automatic read found no buyer
    or failed (a group that reads every picture hears only of screenshots of buyers)."""
    try:
        shot = await read(speaker, url)
        results = await pool().screenshots.check(shot, speaker.account, speaker.shop)
    except Refused as refusal:
        if auto:
            return None
        return explain(refusal)
    group_id = speaker.group_id
    # A buyer this group allowed (/设置 放行) is said to be so, as /查 typed says it.
    allowed = [
        await pool().group_rules.allowance(group_id, r.platform, r.buyer_id) if group_id and r.platform else None
        for r in results
    ]
    return render(
        "screenshots/check.j2",
        checked=list(zip(results, allowed, strict=True)),
        reading=shot.reading,
        platform=shot.platform,
        auto=auto,
    )


async def answer_check(matcher: type[Matcher], bot: Bot, speaker: Speaker, urls: list[str], auto: bool = False) -> None:
    """/查 on screenshots (or pictures read unasked): one reply per picture read."""
    replies = []
    for url in urls[:SCREENSHOTS_PER_MESSAGE]:
        text = await _checked(speaker, url, auto)
        if text is not None:
            replies.append(text)
    if replies and len(urls) > SCREENSHOTS_PER_MESSAGE:
        replies[-1] += "\n" + render("screenshots/read_limit.j2", limit=SCREENSHOTS_PER_MESSAGE)
    await send_burst(matcher, [network(bot).text(reply) for reply in replies])
    await matcher.finish()


# Chats whose member was just shown a proposal, and until when (monotonic): the door lets
# their 确认/取消 through. The proposal itself is the core's, per account.
_awaiting: dict[str, float] = {}


def _is_answer_word(text: str) -> bool:
    words = fold(text).split()
    return bool(words) and (words[0] in CONFIRM or words[0] in CANCEL) and len(words) <= 2


def may_answer_a_proposal(line: Line) -> bool:
    until = _awaiting.get(line.session_id)
    if until is None:
        return False
    if until < time.monotonic():
        _awaiting.pop(line.session_id, None)
        return False
    return any(_is_answer_word(lead) for lead in line.leads)


async def answers_a_proposal(bot: Bot, event: Event) -> bool:
    if event.get_type() != "message" or not _is_answer_word(event.get_plaintext()):
        return False
    return pool().screenshots.pending(member_key(bot, event)) is not None


async def propose(matcher: type[Matcher], bot: Bot, event: Event, speaker: Speaker, url: str) -> None:
    """/举报 on a screenshot: the report as read, waiting for the merchant's word."""
    shop = speaker.registered
    shot = await read(speaker, url)
    proposal = pool().screenshots.propose(speaker.account, shop, shot)
    minutes = get_plugin_config(Settings).screenshot_proposal_minutes
    now = time.monotonic()
    for session in [session for session, until in _awaiting.items() if until < now]:
        del _awaiting[session]
    _awaiting[event.get_session_id()] = now + minutes * 60
    text = render("screenshots/proposal.j2", proposal=proposal, minutes=round(minutes))
    await matcher.finish(network(bot).text(text))


async def answer_proposal(matcher: type[Matcher], bot: Bot, event: Event, speaker: Speaker) -> None:
    words = fold(event.get_plaintext()).split()
    session = event.get_session_id()
    if words[0] in CANCEL:
        pool().screenshots.cancel(speaker.account)
        _awaiting.pop(session, None)
        await matcher.finish(render("screenshots/cancelled.j2"))
    shop = speaker.registered
    # A refusal (no type given, an unknown type) leaves the proposal waiting for the word.
    confirmed = await pool().screenshots.confirm(speaker.account, shop, words[1] if len(words) > 1 else None)
    _awaiting.pop(session, None)
    await pool().blacklist.remember_group(shop, speaker.group_id)
    text = render("screenshots/filed.j2", filing=confirmed.filing, confirmed=confirmed)
    await matcher.finish(network(bot).text(text))


async def attach_quoted(filing: Filing, url: str) -> bool:
    """A report typed in reply to a screenshot keeps the screenshot's SHA-256 (no OCR).
    The report is filed already: a picture that cannot be fetched only goes without."""
    try:
        data = await download(url)
    except Refused:
        return False
    return await pool().screenshots.attach(filing, hashlib.sha256(data).hexdigest())


async def read_evidence(speaker: Speaker, pictures: list[bytes], buyer: str | None = None) -> str:
    """What evidence pictures (/证据, /补充) read as, the first few, for the reply; ""
    without pictures. `buyer`: the case's, to say when a screenshot names another."""
    readings: list[tuple[Screenshot | None, str | None]] = []
    for data in pictures[:SCREENSHOTS_PER_MESSAGE]:
        try:
            readings.append((await pool().screenshots.read(data, speaker.platform, speaker.account), None))
        except Refused as refusal:
            readings.append((None, explain(refusal)))
    if not readings:
        return ""
    text = render("screenshots/evidence.j2", readings=readings, buyer=buyer)
    if len(pictures) > SCREENSHOTS_PER_MESSAGE:
        text += "\n" + render("screenshots/read_limit.j2", limit=SCREENSHOTS_PER_MESSAGE)
    return text


# -- pictures read unasked ------------------------------------------------------------------------


def _group_of_session(session_id: str) -> int | None:
    """The group of a OneBot group session ("group_<group>_<user>")."""
    parts = session_id.split("_")
    return int(parts[1]) if len(parts) == 3 and parts[0] == "group" and parts[1].isdigit() else None


def may_be_a_screenshot(line: Line) -> bool:
    """A picture sent privately, or posted in a group that reads every picture (memory
    only: the door asks this of every message)."""
    if "image" not in line.kinds:
        return False
    if line.session_id.isdigit():  # a OneBot private chat
        return True
    group_id = _group_of_session(line.session_id)
    return group_id is not None and pool().group_rules.reads_screenshots(group_id)


async def is_a_screenshot_to_read(bot: Bot, event: Event, state: T_State) -> bool:
    if event.get_type() != "message":
        return False
    urls = network(bot).picture_urls(event.get_message())
    if not urls:
        return False
    group_id = network(bot).group_of(event)
    if group_id is not None and not pool().group_rules.reads_screenshots(group_id):
        return False
    state["screenshots"] = urls
    state["auto"] = group_id is not None
    return True


def do_answer(matcher: type[Matcher]) -> None:
    @matcher.handle()
    @answers_refusals("举报")
    async def proposal_answered(bot: Bot, event: Event, speaker: Speaker = Speaking) -> None:
        await answer_proposal(matcher, bot, event, speaker)


def do_read(matcher: type[Matcher]) -> None:
    @matcher.handle()
    @answers_refusals(None)
    async def picture(bot: Bot, state: T_State, speaker: Speaker = Speaking) -> None:
        await answer_check(matcher, bot, speaker, state["screenshots"], auto=state["auto"])
