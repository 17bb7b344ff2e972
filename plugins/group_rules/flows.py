from nonebot.adapters import Bot, Event, Message
from nonebot.matcher import Matcher
from nonebot.params import CommandArg

from bot.commands.grammar import parse_allowance, parse_buyer, tokenize
from bot.errors import BadInput, Refused
from bot.identity.platforms import Platform
from bot.identity.text import fold
from plugins._chat import actor, answer, group_of, member_key, refuse
from plugins.runtime import blacklist, pool

_CANCEL = ("取消", "cancel", "移除", "删除")


def do_rules(matcher: type[Matcher]) -> None:
    @matcher.handle()
    async def rules(bot: Bot, event: Event, args: Message = CommandArg()) -> None:
        group_id = group_of(bot, event)
        text = args.extract_plain_text().strip()
        words = tokenize(text)
        group_rules = pool().group_rules
        shop = await blacklist().shop_or_none(member_key(bot, event))
        default = Platform(shop.platform) if shop else Platform.taobao
        changed = ""
        try:
            if group_id is None:
                raise BadInput("rules.group_only")
            if not words:
                await answer(matcher, "rules/view.j2", rules=await group_rules.view(group_id), changed="")
            setting, rest = fold(words[0]), text[len(words[0]) :].strip()
            if setting in ("预警", "alert", "alerts"):
                if not rest:
                    raise BadInput("rules.level_missing")
                view = await group_rules.set_alert_level(actor(bot, event), rest)
                changed = "预警"
            elif setting in ("日报", "digest"):
                if not rest:
                    raise BadInput("rules.digest_missing")
                view = await group_rules.set_digest(actor(bot, event), rest)
                changed = "日报"
            elif setting in ("放行", "allow"):
                if not rest:
                    await answer(matcher, "rules/view.j2", rules=await group_rules.view(group_id), changed="")
                first = tokenize(rest)[0]
                if fold(first) in _CANCEL:
                    platform, buyer_id = parse_buyer(rest[len(first) :], default)
                    view = await group_rules.disallow(actor(bot, event), platform, buyer_id)
                    changed = "放行取消"
                else:
                    view, again = await group_rules.allow(actor(bot, event), parse_allowance(rest, default))
                    changed = "放行更新" if again else "放行"
            else:
                raise BadInput("rules.unknown", word=words[0][:20])
        except Refused as refusal:
            await refuse(matcher, refusal, "设置")
        await answer(matcher, "rules/view.j2", rules=view, changed=changed)
