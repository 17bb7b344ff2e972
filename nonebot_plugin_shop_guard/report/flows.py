from nonebot.adapters import Message
from nonebot.matcher import Matcher
from nonebot.params import CommandArg

from bot.commands.grammar import parse_report, parse_report_number
from bot.identity.platforms import Platform
from nonebot_plugin_shop_guard.runtime import Speaker, Speaking, blacklist
from shop_guard_chat import answer, answers_refusals


def do_report(matcher: type[Matcher]) -> None:
    @matcher.handle()
    @answers_refusals("举报")
    async def report(speaker: Speaker = Speaking, args: Message = CommandArg()) -> None:
        # Registration is checked first: an unregistered merchant should learn that
        # before fixing the arguments.
        shop = speaker.registered
        filing = await blacklist().report(shop, parse_report(args.extract_plain_text(), Platform(shop.platform)))
        await blacklist().remember_group(shop, speaker.group_id)
        await answer(matcher, "report/filed.j2", filing=filing)


def do_retract(matcher: type[Matcher]) -> None:
    @matcher.handle()
    @answers_refusals("撤回")
    async def retract(speaker: Speaker = Speaking, args: Message = CommandArg()) -> None:
        retraction = await blacklist().retract(speaker.registered, parse_report_number(args.extract_plain_text()))
        await answer(matcher, "report/retracted.j2", retraction=retraction)
