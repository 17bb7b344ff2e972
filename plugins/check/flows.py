from nonebot.adapters import Bot, Event, Message
from nonebot.matcher import Matcher
from nonebot.params import CommandArg

from bot.commands.grammar import parse_check
from bot.errors import Refused
from bot.identity.platforms import Platform
from plugins._chat import answer, group_of, member_key, refuse
from plugins.runtime import blacklist, pool


def do_check(matcher: type[Matcher]) -> None:
    @matcher.handle()
    async def check(bot: Bot, event: Event, args: Message = CommandArg()) -> None:
        try:
            asker = member_key(bot, event)
            shop = await blacklist().shop_or_none(asker)
            # Without a platform word, the buyer is on the asker's own shop's platform.
            default = Platform(shop.platform) if shop else Platform.taobao
            request = parse_check(args.extract_plain_text(), default)
            result = await blacklist().check(request, asker, shop)
            group_id = group_of(bot, event)
            allowed = (
                await pool().group_rules.allowance(group_id, result.platform, result.buyer_id) if group_id else None
            )
        except Refused as refusal:
            await refuse(matcher, refusal, "查")
        template = "check/verdict_detail.j2" if result.detail else "check/verdict.j2"
        await answer(matcher, template, result=result, allowed=allowed)
