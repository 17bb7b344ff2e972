from nonebot.adapters import Message
from nonebot.matcher import Matcher
from nonebot.params import CommandArg

from bot.arguments import parse_check
from bot.errors import Refused
from plugins._chat import answer, refuse
from plugins.storage import blacklist


def do_check(matcher: type[Matcher]) -> None:
    @matcher.handle()
    async def check(args: Message = CommandArg()) -> None:
        try:
            result = await blacklist().check(parse_check(args.extract_plain_text()))
        except Refused as refusal:
            await refuse(matcher, refusal, "查")
        await answer(matcher, "check/verdict.j2", result=result)
