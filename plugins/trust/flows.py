from nonebot.adapters import Bot, Event, Message
from nonebot.matcher import Matcher
from nonebot.params import CommandArg

from bot.errors import BadInput, Refused
from bot.identity.platforms import Platform
from bot.identity.text import fold
from plugins._chat import actor, answer, member_key, network, refuse, target_account
from plugins.runtime import pool

_CANCEL = ("取消", "cancel", "撤销", "移除")


def do_moderators(matcher: type[Matcher]) -> None:
    @matcher.handle()
    async def moderators(bot: Bot, event: Event, args: Message = CommandArg()) -> None:
        words = args.extract_plain_text().split()
        moderation = pool().moderation
        try:
            if not words:
                await answer(matcher, "moderation/moderators.j2", accounts=await moderation.moderator_accounts())
            action = fold(words[0])
            target = target_account(bot, event, words[1] if len(words) > 1 else None)
            if action in ("添加", "add", "任命"):
                changed = await moderation.appoint(actor(bot, event), target)
                template = "moderation/appointed.j2"
            elif action in ("移除", "remove", "撤销"):
                changed = await moderation.dismiss(actor(bot, event), target)
                template = "moderation/dismissed.j2"
            else:
                raise BadInput("shop.staff_usage", word=words[0][:20])
        except Refused as refusal:
            await refuse(matcher, refusal, "版主")
        await answer(matcher, template, account=target, changed=changed)


def do_trust_group(matcher: type[Matcher]) -> None:
    @matcher.handle()
    async def trust_group(bot: Bot, event: Event, args: Message = CommandArg()) -> None:
        cancel = fold(args.extract_plain_text().strip()) in _CANCEL
        try:
            if cancel:
                changed = await pool().moderation.untrust_group(actor(bot, event))
            else:
                changed = await pool().moderation.trust_group(actor(bot, event))
        except Refused as refusal:
            await refuse(matcher, refusal, "信任本群")
        await answer(matcher, "moderation/untrusted.j2" if cancel else "moderation/trusted.j2", changed=changed)


def do_verify(matcher: type[Matcher]) -> None:
    @matcher.handle()
    async def verify(bot: Bot, event: Event, args: Message = CommandArg()) -> None:
        words = args.extract_plain_text().split()
        who = actor(bot, event)
        moderation = pool().moderation
        try:
            if not words and not network(bot).mentioned(event):
                await answer(matcher, "moderation/status.j2", shop=await moderation.status(member_key(bot, event)))
            if words and fold(words[0]) in _CANCEL:
                target = target_account(bot, event, words[1] if len(words) > 1 else None)
                shop = await moderation.unverify(who, target, " ".join(words[2:]))
                await answer(matcher, "moderation/unverified.j2", shop=shop)
            target = target_account(bot, event, words[0] if words else None)
            shop = await moderation.verify(who, target)
        except Refused as refusal:
            await refuse(matcher, refusal, "认证")
        await answer(matcher, "moderation/verified.j2", shop=shop, platform=Platform(shop.platform), by=who.account)


def do_ban(matcher: type[Matcher], lift: bool) -> None:
    @matcher.handle()
    async def ban(bot: Bot, event: Event, args: Message = CommandArg()) -> None:
        words = args.extract_plain_text().split()
        name = "解封" if lift else "封禁"
        try:
            target = target_account(bot, event, words[0] if words else None)
            reason = " ".join(words[1:]).strip()
            if lift:
                shop = await pool().moderation.unban(actor(bot, event), target, reason)
            else:
                if not reason:
                    raise BadInput("moderation.reason_missing")
                shop = await pool().moderation.ban(actor(bot, event), target, reason)
        except Refused as refusal:
            await refuse(matcher, refusal, name)
        await answer(matcher, "moderation/unbanned_done.j2" if lift else "moderation/banned_done.j2", shop=shop)


def do_invitation(matcher: type[Matcher]) -> None:
    @matcher.handle()
    async def invitation(bot: Bot, event: Event) -> None:
        chat = network(bot)
        inviter = chat.invitation(event)
        if inviter is None:
            return
        from bot.messaging.render import render

        approve = await pool().moderation.may_invite(inviter)
        await chat.answer_invitation(
            bot, event, approve, "" if approve else render("moderation/invitation_declined.j2")
        )
