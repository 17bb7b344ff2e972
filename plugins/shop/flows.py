from nonebot.adapters import Bot, Event, Message
from nonebot.matcher import Matcher
from nonebot.params import CommandArg

from bot.commands.grammar import parse_bind
from bot.errors import BadInput, Refused
from bot.identity.text import fold
from plugins._chat import answer, group_of, member_key, refuse, target_account
from plugins.runtime import blacklist


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


def do_staff(matcher: type[Matcher]) -> None:
    @matcher.handle()
    async def staff(bot: Bot, event: Event, args: Message = CommandArg()) -> None:
        words = args.extract_plain_text().split()
        owner = member_key(bot, event)
        try:
            if not words:
                shop = await blacklist().shop_of(owner)
                await answer(matcher, "shop/staff_list.j2", shop=shop, accounts=await blacklist().staff(shop))
            action = fold(words[0])
            if action not in ("添加", "add", "移除", "remove", "删除"):
                raise BadInput("shop.staff_usage", word=words[0][:20])
            target = target_account(bot, event, words[1] if len(words) > 1 else None)
            if action in ("添加", "add"):
                shop = await blacklist().add_staff(owner, target)
                template = "shop/staff_added.j2"
            else:
                shop = await blacklist().remove_staff(owner, target)
                template = "shop/staff_removed.j2"
        except Refused as refusal:
            await refuse(matcher, refusal, "店员")
        await answer(matcher, template, shop=shop, account=target, accounts=await blacklist().staff(shop))
