from nonebot.adapters import Bot, Event, Message
from nonebot.adapters.onebot.v11 import GroupMessageEvent, MessageSegment
from nonebot.matcher import Matcher
from nonebot.params import CommandArg
from nonebot.permission import SUPERUSER

from bot.alerts import parse_digest_time
from bot.errors import Refused
from bot.render import render
from plugins._chat import member_key, refuse
from plugins.storage import pool


async def _allowed(bot: Bot, event: Event) -> bool:
    if isinstance(event, GroupMessageEvent) and event.sender.role in ("owner", "admin"):
        return True
    return await SUPERUSER(bot, event)


def do_subscribe(matcher: type[Matcher]) -> None:
    @matcher.handle()
    async def subscribe(bot: Bot, event: Event, args: Message = CommandArg()) -> None:
        if not isinstance(event, GroupMessageEvent):
            await matcher.finish(render("alerts/group_only.j2", action="订阅"))
        if not await _allowed(bot, event):
            await matcher.finish(render("alerts/not_admin.j2", action="订阅或修改日报时间"))
        try:
            text = args.extract_plain_text().strip()
            digest_time = parse_digest_time(text) if text else None
            subscription, changed = await pool().alerts.subscribe(event.group_id, digest_time, member_key(bot, event))
        except Refused as refusal:
            await refuse(matcher, refusal, "订阅")
        await matcher.finish(render("alerts/subscribed.j2", subscription=subscription, changed=changed))


def do_unsubscribe(matcher: type[Matcher]) -> None:
    @matcher.handle()
    async def unsubscribe(bot: Bot, event: Event) -> None:
        if not isinstance(event, GroupMessageEvent):
            await matcher.finish(render("alerts/group_only.j2", action="退订"))
        if not await _allowed(bot, event):
            await matcher.finish(render("alerts/not_admin.j2", action="退订"))
        changed = await pool().alerts.unsubscribe(event.group_id)
        await matcher.finish(render("alerts/unsubscribed.j2", changed=changed))


def do_digest_preview(matcher: type[Matcher]) -> None:
    @matcher.handle()
    async def preview(event: Event) -> None:
        if not isinstance(event, GroupMessageEvent):
            await matcher.finish(render("alerts/group_only.j2", action="日报"))
        subscription = await pool().alerts.subscription(event.group_id)
        if subscription is None or not subscription.active:
            await matcher.finish(render("alerts/not_subscribed.j2"))
        digest = await pool().alerts.build_digest(subscription)
        message = MessageSegment.text(digest.text)
        if digest.image is not None:
            message += MessageSegment.image(digest.image)
        await matcher.finish(message)
