from nonebot.adapters import Bot, Event, Message
from nonebot.matcher import Matcher
from nonebot.params import CommandArg

from bot.commands.grammar import parse_report, parse_report_number
from bot.identity.platforms import Platform
from bot.identity.text import fold
from nonebot_plugin_shop_guard.runtime import Speaker, Speaking, blacklist
from nonebot_plugin_shop_guard.screenshots.flows import attach_quoted, pictures_of, propose
from shop_guard_chat import answer, answers_refusals


def do_report(matcher: type[Matcher]) -> None:
    @matcher.handle()
    @answers_refusals("举报")
    async def report(bot: Bot, event: Event, speaker: Speaker = Speaking, args: Message = CommandArg()) -> None:
        # Registration is checked first: an unregistered merchant should learn that
        # before fixing the arguments.
        shop = speaker.registered
        text = args.extract_plain_text()
        pictures = pictures_of(bot, event, args)
        # `/举报` alone on a screenshot: the report as read, filed only on 确认.
        if pictures and not fold(text):
            await propose(matcher, bot, event, speaker, pictures[0])
        filing = await blacklist().report(shop, parse_report(text, Platform(shop.platform)))
        await blacklist().remember_group(shop, speaker.group_id)
        # Typed in full on a screenshot: the screenshot's SHA-256 goes with the report.
        attached = await attach_quoted(filing, pictures[0]) if pictures else False
        await answer(matcher, "report/filed.j2", filing=filing, screenshot=attached)


def do_retract(matcher: type[Matcher]) -> None:
    @matcher.handle()
    @answers_refusals("撤回")
    async def retract(speaker: Speaker = Speaking, args: Message = CommandArg()) -> None:
        retraction = await blacklist().retract(speaker.registered, parse_report_number(args.extract_plain_text()))
        await answer(matcher, "report/retracted.j2", retraction=retraction)
