from nonebot.adapters import Bot, Event, Message
from nonebot.matcher import Matcher
from nonebot.params import CommandArg

from bot.commands.grammar import parse_bind
from bot.errors import BadInput
from bot.identity.text import excerpt, fold
from nonebot_plugin_shop_guard.runtime import Speaker, Speaking, blacklist
from shop_guard_chat import answer, answers_refusals, target_account


def do_bind(matcher: type[Matcher]) -> None:
    @matcher.handle()
    @answers_refusals("绑定")
    async def bind(speaker: Speaker = Speaking, args: Message = CommandArg()) -> None:
        request = parse_bind(args.extract_plain_text())
        binding = await blacklist().bind(speaker.account, request)
        await blacklist().remember_group(binding.shop, speaker.group_id)
        await answer(matcher, "shop/bound.j2", binding=binding, platform=request.platform)


def do_staff(matcher: type[Matcher]) -> None:
    @matcher.handle()
    @answers_refusals("店员")
    async def staff(bot: Bot, event: Event, speaker: Speaker = Speaking, args: Message = CommandArg()) -> None:
        words = args.extract_plain_text().split()
        if not words:
            shop = speaker.registered
            await answer(matcher, "shop/staff_list.j2", shop=shop, accounts=await blacklist().staff(shop))
        action = fold(words[0])
        if action not in ("添加", "add", "移除", "remove", "删除"):
            raise BadInput("shop.staff_usage", word=excerpt(words[0]))
        target = target_account(bot, event, words[1] if len(words) > 1 else None)
        if action in ("添加", "add"):
            shop = await blacklist().add_staff(speaker.account, target)
            template = "shop/staff_added.j2"
        else:
            shop = await blacklist().remove_staff(speaker.account, target)
            template = "shop/staff_removed.j2"
        await answer(matcher, template, shop=shop, account=target, accounts=await blacklist().staff(shop))
