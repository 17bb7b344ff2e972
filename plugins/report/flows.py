from nonebot.adapters import Bot, Event, Message
from nonebot.matcher import Matcher
from nonebot.params import CommandArg

from bot.commands.grammar import parse_report, parse_report_number
from bot.errors import Refused
from bot.identity.platforms import Platform
from plugins._chat import answer, group_of, member_key, refuse
from plugins.runtime import blacklist


def do_report(matcher: type[Matcher]) -> None:
    @matcher.handle()
    async def report(bot: Bot, event: Event, args: Message = CommandArg()) -> None:
        try:
            # Registration is checked first: an unregistered merchant should learn
            # that before fixing the arguments.
            shop = await blacklist().shop_of(member_key(bot, event))
            filing = await blacklist().report(shop, parse_report(args.extract_plain_text(), Platform(shop.platform)))
            await blacklist().remember_group(shop, group_of(bot, event))
        except Refused as refusal:
            await refuse(matcher, refusal, "举报")
        await answer(matcher, "report/filed.j2", filing=filing)


def do_retract(matcher: type[Matcher]) -> None:
    @matcher.handle()
    async def retract(bot: Bot, event: Event, args: Message = CommandArg()) -> None:
        try:
            shop = await blacklist().shop_of(member_key(bot, event))
            retraction = await blacklist().retract(shop, parse_report_number(args.extract_plain_text()))
        except Refused as refusal:
            await refuse(matcher, refusal, "撤回")
        await answer(matcher, "report/retracted.j2", retraction=retraction)
