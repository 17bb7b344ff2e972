from nonebot.adapters import Bot, Event, Message
from nonebot.matcher import Matcher
from nonebot.params import CommandArg
from nonebot.permission import SUPERUSER

from bot.messaging.alerts import parse_digest_time
from bot.messaging.render import render
from nonebot_plugin_shop_guard.runtime import pool
from shop_guard_chat import answers_refusals, group_of, member_key, network


async def _allowed(bot: Bot, event: Event) -> bool:
    return network(bot).is_group_admin(event) or await SUPERUSER(bot, event)


def do_subscribe(matcher: type[Matcher]) -> None:
    @matcher.handle()
    @answers_refusals("订阅")
    async def subscribe(bot: Bot, event: Event, args: Message = CommandArg()) -> None:
        group_id = group_of(bot, event)
        if group_id is None:
            await matcher.finish(render("alerts/group_only.j2", action="订阅"))
        if not await _allowed(bot, event):
            await matcher.finish(render("alerts/not_admin.j2", action="订阅或修改日报时间"))
        text = args.extract_plain_text().strip()
        digest_time = parse_digest_time(text) if text else None
        subscription, changed = await pool().alerts.subscribe(group_id, digest_time, member_key(bot, event))
        await matcher.finish(render("alerts/subscribed.j2", subscription=subscription, changed=changed))


def do_unsubscribe(matcher: type[Matcher]) -> None:
    @matcher.handle()
    async def unsubscribe(bot: Bot, event: Event) -> None:
        group_id = group_of(bot, event)
        if group_id is None:
            await matcher.finish(render("alerts/group_only.j2", action="退订"))
        if not await _allowed(bot, event):
            await matcher.finish(render("alerts/not_admin.j2", action="退订"))
        changed = await pool().alerts.unsubscribe(group_id)
        await matcher.finish(render("alerts/unsubscribed.j2", changed=changed))


def do_digest_preview(matcher: type[Matcher]) -> None:
    @matcher.handle()
    async def preview(bot: Bot, event: Event) -> None:
        group_id = group_of(bot, event)
        if group_id is None:
            await matcher.finish(render("alerts/group_only.j2", action="日报"))
        subscription = await pool().alerts.subscription(group_id)
        if subscription is None or not subscription.active:
            await matcher.finish(render("alerts/not_subscribed.j2"))
        digest = await pool().alerts.build_digest(subscription)
        await matcher.finish(network(bot).text(digest.text, digest.image))
