from typing import Any

from nonebot.adapters import Message
from nonebot.matcher import Matcher
from nonebot.params import CommandArg

from bot.commands.grammar import parse_allowance, parse_buyer, tokenize
from bot.errors import BadInput
from bot.identity.platforms import Platform
from bot.identity.text import excerpt, fold
from bot.trust.moderation import Actor
from nonebot_plugin_shop_guard.runtime import Speaker, Speaking, pool
from shop_guard_chat import answer, answers_refusals

_CANCEL = ("取消", "cancel", "移除", "删除")


async def change_rules(actor: Actor, group_id: int, text: str, platform: Platform | None) -> tuple[Any, str]:
    """`预警 …`, `日报 …`, `平台 …`, `自动识别截图 开|关`, `放行 …` or `放行 取消 …` for the
    subscriber `group_id` (a group, or a robot's place); nothing: the rules as they are.
    platform: the buyer's when an allowance names none. Returns the rules and what changed."""
    words = tokenize(text)
    group_rules = pool().group_rules
    if not words:
        return await group_rules.view(group_id), ""
    setting, rest = fold(words[0]), text[len(words[0]) :].strip()
    if setting in ("预警", "alert", "alerts"):
        if not rest:
            raise BadInput("rules.level_missing")
        return await group_rules.set_alert_level(actor, rest), "预警"
    if setting in ("平台", "platform"):
        if not rest:
            raise BadInput("rules.platform_missing")
        return await group_rules.set_platform(actor, rest), "平台"
    if setting in ("日报", "digest"):
        if not rest:
            raise BadInput("rules.digest_missing")
        return await group_rules.set_digest(actor, rest), "日报"
    if setting in ("自动识别截图", "识别截图", "截图", "screenshots", "ocr"):
        if not rest:
            raise BadInput("rules.switch_missing")
        return await group_rules.set_screenshot_reading(actor, rest), "自动识别截图"
    if setting in ("放行", "allow"):
        if not rest:
            return await group_rules.view(group_id), ""
        first = tokenize(rest)[0]
        if fold(first) in _CANCEL:
            buyer_platform, buyer_id = parse_buyer(rest[len(first) :], platform)
            return await group_rules.disallow(actor, buyer_platform, buyer_id), "放行取消"
        view, again = await group_rules.allow(actor, parse_allowance(rest, platform))
        return view, "放行更新" if again else "放行"
    raise BadInput("rules.unknown", word=excerpt(words[0]))


def do_rules(matcher: type[Matcher]) -> None:
    @matcher.handle()
    @answers_refusals("设置")
    async def rules(speaker: Speaker = Speaking, args: Message = CommandArg()) -> None:
        group_id = speaker.group_id
        if group_id is None:
            raise BadInput("rules.group_only")
        view, changed = await change_rules(speaker.actor, group_id, args.extract_plain_text().strip(), speaker.platform)
        await answer(matcher, "rules/view.j2", rules=view, changed=changed)
