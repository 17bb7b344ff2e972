from nonebot.adapters import Bot, Event, Message
from nonebot.matcher import Matcher
from nonebot.params import CommandArg

from bot.commands.grammar import parse_check
from bot.identity.text import fold
from nonebot_plugin_shop_guard.runtime import Speaker, Speaking, blacklist, pool
from nonebot_plugin_shop_guard.screenshots.flows import answer_check, pictures_of
from shop_guard_chat import answer, answers_refusals


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
        # Without a platform word, the buyer is on the asker's own shop's platform.
        request = parse_check(text, speaker.platform)
        result = await blacklist().check(request, speaker.account, speaker.shop)
        group_id = speaker.group_id
        allowed = await pool().group_rules.allowance(group_id, result.platform, result.buyer_id) if group_id else None
        template = "check/verdict_detail.j2" if result.detail else "check/verdict.j2"
        await answer(matcher, template, result=result, allowed=allowed)
