from nonebot.adapters import Bot, Event, Message
from nonebot.matcher import Matcher
from nonebot.params import CommandArg

from bot.commands.grammar import parse_robot, tokenize
from bot.errors import BadInput
from bot.identity.text import fold
from bot.messaging.render import render
from bot.trust.links import LINK_MINUTES
from nonebot_plugin_shop_guard.group_rules.flows import change_rules
from nonebot_plugin_shop_guard.runtime import Speaker, Speaking, pool
from shop_guard_chat import answer, answers_refusals, network, target_account

_ADD = ("添加", "add", "登记")
_REMOVE = ("删除", "remove", "移除")
_SET = ("设置", "set", "settings")


def _number(word: str | None) -> int:
    text = fold(word or "").lstrip("#")
    if not text.isdigit() or len(text) > 9:
        raise BadInput("robots.number_invalid")
    return int(text)


def do_robots(matcher: type[Matcher]) -> None:
    @matcher.handle()
    @answers_refusals("机器人")
    async def robots(bot: Bot, speaker: Speaker = Speaking, args: Message = CommandArg()) -> None:
        text = args.extract_plain_text().strip()
        words = tokenize(text)
        # An address is a credential: never taken in a group, where everyone reads it.
        if speaker.group_id is not None:
            await answer(matcher, "robots/private_only.j2", exposed="://" in text)
        service = pool().robots
        reply: str
        if not words:
            everyone = await pool().moderation.is_moderator(speaker.account)
            reply = render("robots/list.j2", robots=await service.visible(speaker.account), everyone=everyone)
        elif fold(words[0]) in _ADD:
            robot, created = await service.add(speaker.account, parse_robot(text[len(words[0]) :]))
            reply = render("robots/added.j2", robot=robot, created=created)
        elif fold(words[0]) in _REMOVE:
            robot = await service.remove(speaker.account, _number(words[1] if len(words) > 1 else None))
            reply = render("robots/removed.j2", robot=robot)
        elif fold(words[0]) in _SET:
            number = _number(words[1] if len(words) > 1 else None)
            actor = await service.rules_actor(speaker.account, number)
            rest = text[len(words[0]) :].strip()[len(words[1]) :].strip()
            if not rest:
                raise BadInput("robots.setting_missing")
            view, changed = await change_rules(actor, actor.group_id or 0, rest, speaker.platform)
            reply = render("robots/rules.j2", robot=await service.view(number), rules=view, changed=changed)
        else:
            raise BadInput("robots.word_unknown", word=words[0][:30])
        await matcher.finish(network(bot).text(reply))


def do_link(matcher: type[Matcher]) -> None:
    @matcher.handle()
    @answers_refusals("关联")
    async def link(bot: Bot, event: Event, speaker: Speaker = Speaking, args: Message = CommandArg()) -> None:
        if speaker.group_id is not None:
            await answer(matcher, "link/private_only.j2")
        words = args.extract_plain_text().split()
        links = pool().links
        if not words:
            code = await links.code_for(speaker.account)
            await answer(matcher, "link/code.j2", code=code, minutes=LINK_MINUTES)
        owner = target_account(bot, event, words[1]) if len(words) > 1 else None
        shop, account = await links.link(speaker.account, words[0], owner)
        await answer(matcher, "link/linked.j2", shop=shop, account=account)
