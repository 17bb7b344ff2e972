from nonebot.adapters import Bot, Event, Message
from nonebot.matcher import Matcher
from nonebot.params import CommandArg

from bot.arguments import parse_check
from bot.errors import Refused
from plugins._chat import answer, group_of, member_key, refuse
from plugins.storage import blacklist, pool


def do_check(matcher: type[Matcher]) -> None:
    @matcher.handle()
    async def check(bot: Bot, event: Event, args: Message = CommandArg()) -> None:
        try:
            request = parse_check(args.extract_plain_text())
            asker = member_key(bot, event)
            result = await blacklist().check(request, asker, await blacklist().shop_or_none(asker))
            group_id = group_of(bot, event)
            allowed = (
                await pool().group_rules.allowance(group_id, request.platform, request.buyer_id) if group_id else None
            )
        except Refused as refusal:
            await refuse(matcher, refusal, "查")
        await answer(matcher, "check/verdict.j2", result=result, allowed=allowed)
