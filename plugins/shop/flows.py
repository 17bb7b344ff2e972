from nonebot.adapters import Bot, Event, Message
from nonebot.matcher import Matcher
from nonebot.params import CommandArg

from bot.arguments import parse_bind
from bot.errors import Refused
from plugins._chat import answer, group_of, member_key, refuse
from plugins.storage import blacklist


def do_bind(matcher: type[Matcher]) -> None:
    @matcher.handle()
    async def bind(bot: Bot, event: Event, args: Message = CommandArg()) -> None:
        try:
            request = parse_bind(args.extract_plain_text())
            binding = await blacklist().bind(member_key(bot, event), request)
            await blacklist().remember_group(binding.shop, group_of(bot, event))
        except Refused as refusal:
            await refuse(matcher, refusal, "绑定")
        await answer(matcher, "shop/bound.j2", binding=binding, platform=request.platform)
