from nonebot.adapters import Bot, Event, Message
from nonebot.matcher import Matcher
from nonebot.params import CommandArg

from bot.blacklist.blacklist import CheckResult
from bot.commands.grammar import parse_check
from bot.identity.text import fold
from bot.messaging.render import render
from nonebot_plugin_shop_guard.runtime import Speaker, Speaking, blacklist, pool
from nonebot_plugin_shop_guard.screenshots.flows import answer_check, pictures_of
from shop_guard_chat import answer, answers_refusals


async def _reply(result: CheckResult, group_id: int | None) -> str:
    """One verdict as /查 says it, with the group's allowance of the buyer above it."""
    allowed = None
    if group_id and result.platform is not None and result.buyer_id:
        allowed = await pool().group_rules.allowance(group_id, result.platform, result.buyer_id)
    template = "check/verdict_detail.j2" if result.detail else "check/verdict.j2"
    return render(template, result=result, allowed=allowed)


def do_check(matcher: type[Matcher]) -> None:
    @matcher.handle()
    @answers_refusals("查")
    async def check(bot: Bot, event: Event, speaker: Speaker = Speaking, args: Message = CommandArg()) -> None:
        text = args.extract_plain_text()
        # `/查` replying to a screenshot (or with one in the same message): the buyers
        # read from it. A buyer typed after /查 is checked as typed, picture or not.
        if not fold(text):
            pictures = pictures_of(bot, event, args)
            if pictures:
                await answer_check(matcher, bot, speaker, pictures)
        # Without a platform word, the buyer is on the asker's shop's platform, else their
        # group's (/设置 平台); else every platform is looked at, each match named with its
        # platform: a 拼多多 buyer is never judged 无记录 for being looked up on 淘宝.
        request = parse_check(text, speaker.platform)
        results = await blacklist().check_everywhere(request, speaker.account, speaker.shop)
        replies = [await _reply(result, speaker.group_id) for result in results]
        if len(replies) == 1:
            await matcher.finish(replies[0])
        await answer(matcher, "check/everywhere.j2", replies=replies)
