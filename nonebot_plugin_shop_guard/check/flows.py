from nonebot.adapters import Message
from nonebot.matcher import Matcher
from nonebot.params import CommandArg

from bot.commands.grammar import parse_check
from nonebot_plugin_shop_guard.runtime import Speaker, Speaking, blacklist, pool
from shop_guard_chat import answer, answers_refusals


def do_check(matcher: type[Matcher]) -> None:
    @matcher.handle()
    @answers_refusals("查")
    async def check(speaker: Speaker = Speaking, args: Message = CommandArg()) -> None:
        # Without a platform word, the buyer is on the asker's own shop's platform.
        request = parse_check(args.extract_plain_text(), speaker.platform)
        result = await blacklist().check(request, speaker.account, speaker.shop)
        group_id = speaker.group_id
        allowed = await pool().group_rules.allowance(group_id, result.platform, result.buyer_id) if group_id else None
        template = "check/verdict_detail.j2" if result.detail else "check/verdict.j2"
        await answer(matcher, template, result=result, allowed=allowed)
