from nonebot.adapters import Message
from nonebot.matcher import Matcher
from nonebot.params import CommandArg

from bot.commands.grammar import parse_allowance, parse_buyer, tokenize
from bot.errors import BadInput
from bot.identity.text import excerpt, fold
from nonebot_plugin_shop_guard.runtime import Speaker, Speaking, pool
from shop_guard_chat import answer, answers_refusals

_CANCEL = ("取消", "cancel", "移除", "删除")


def do_rules(matcher: type[Matcher]) -> None:
    @matcher.handle()
    @answers_refusals("设置")
    async def rules(speaker: Speaker = Speaking, args: Message = CommandArg()) -> None:
        text = args.extract_plain_text().strip()
        words = tokenize(text)
        group_rules = pool().group_rules
        group_id = speaker.group_id
        if group_id is None:
            raise BadInput("rules.group_only")
        if not words:
            await answer(matcher, "rules/view.j2", rules=await group_rules.view(group_id), changed="")
        setting, rest = fold(words[0]), text[len(words[0]) :].strip()
        if setting in ("预警", "alert", "alerts"):
            if not rest:
                raise BadInput("rules.level_missing")
            view = await group_rules.set_alert_level(speaker.actor, rest)
            changed = "预警"
        elif setting in ("日报", "digest"):
            if not rest:
                raise BadInput("rules.digest_missing")
            view = await group_rules.set_digest(speaker.actor, rest)
            changed = "日报"
        elif setting in ("放行", "allow"):
            if not rest:
                await answer(matcher, "rules/view.j2", rules=await group_rules.view(group_id), changed="")
            first = tokenize(rest)[0]
            if fold(first) in _CANCEL:
                platform, buyer_id = parse_buyer(rest[len(first) :], speaker.platform)
                view = await group_rules.disallow(speaker.actor, platform, buyer_id)
                changed = "放行取消"
            else:
                view, again = await group_rules.allow(speaker.actor, parse_allowance(rest, speaker.platform))
                changed = "放行更新" if again else "放行"
        else:
            raise BadInput("rules.unknown", word=excerpt(words[0]))
        await answer(matcher, "rules/view.j2", rules=view, changed=changed)
