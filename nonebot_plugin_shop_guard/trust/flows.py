from nonebot import logger
from nonebot.adapters import Bot, Event, Message
from nonebot.matcher import Matcher
from nonebot.params import CommandArg

from bot.errors import BadInput
from bot.identity.platforms import Platform
from bot.identity.text import excerpt, fold
from bot.messaging.render import render
from bot.trust.moderation import Membership
from nonebot_plugin_shop_guard.runtime import Speaker, Speaking, pool
from shop_guard_chat import answer, answers_refusals, network, target_account

_CANCEL = ("取消", "cancel", "撤销", "移除")
_WITHDRAW = ("停用担保", "收回担保", "withdraw")
_RESTORE = ("恢复担保", "restore")


def do_moderators(matcher: type[Matcher]) -> None:
    @matcher.handle()
    @answers_refusals("版主")
    async def moderators(bot: Bot, event: Event, speaker: Speaker = Speaking, args: Message = CommandArg()) -> None:
        words = args.extract_plain_text().split()
        moderation = pool().moderation
        if not words:
            await answer(matcher, "moderation/moderators.j2", accounts=await moderation.moderator_accounts())
        action = fold(words[0])
        target = target_account(bot, event, words[1] if len(words) > 1 else None)
        if action in ("添加", "add", "任命"):
            changed = await moderation.appoint(speaker.actor, target)
            template = "moderation/appointed.j2"
        elif action in ("移除", "remove", "撤销"):
            changed = await moderation.dismiss(speaker.actor, target)
            template = "moderation/dismissed.j2"
        else:
            raise BadInput("shop.staff_usage", word=excerpt(words[0]))
        await answer(matcher, template, account=target, changed=changed)


def do_trust_group(matcher: type[Matcher]) -> None:
    @matcher.handle()
    @answers_refusals("信任本群")
    async def trust_group(speaker: Speaker = Speaking, args: Message = CommandArg()) -> None:
        if fold(args.extract_plain_text().strip()) in _CANCEL:
            changed = await pool().moderation.untrust_group(speaker.actor)
            await answer(matcher, "moderation/untrusted.j2", changed=changed)
        changed = await pool().moderation.trust_group(speaker.actor)
        await answer(matcher, "moderation/trusted.j2", changed=changed)


def do_verify(matcher: type[Matcher]) -> None:
    @matcher.handle()
    @answers_refusals("认证")
    async def verify(bot: Bot, event: Event, speaker: Speaker = Speaking, args: Message = CommandArg()) -> None:
        words = args.extract_plain_text().split()
        moderation = pool().moderation
        if not words and not network(bot).mentioned(event):
            await answer(matcher, "moderation/status.j2", standing=await moderation.status(speaker.account))
        action = fold(words[0]) if words else ""
        if action in _CANCEL:
            target = target_account(bot, event, words[1] if len(words) > 1 else None)
            shop = await moderation.unverify(speaker.actor, target, " ".join(words[2:]))
            await answer(matcher, "moderation/unverified.j2", shop=shop)
        if action in _WITHDRAW:
            target = target_account(bot, event, words[1] if len(words) > 1 else None)
            reason = " ".join(words[2:]).strip()
            if not reason:
                raise BadInput("moderation.reason_missing")
            shops = await moderation.withdraw_voucher(speaker.actor, target, reason)
            await answer(matcher, "moderation/voucher_withdrawn_done.j2", account=target, shops=shops)
        if action in _RESTORE:
            target = target_account(bot, event, words[1] if len(words) > 1 else None)
            await moderation.restore_voucher(speaker.actor, target)
            await answer(matcher, "moderation/voucher_restored.j2", account=target)
        target = target_account(bot, event, words[0] if words else None)
        group_id = speaker.group_id

        async def membership() -> Membership | None:
            # Asked of the chat network: a number that never joined the group, or joined
            # yesterday, is not someone its admin can vouch for.
            assert group_id is not None
            return await network(bot).membership(bot, group_id, target.partition(":")[2])

        vouching = await moderation.verify(speaker.actor, target, membership if group_id is not None else None)
        shop = vouching.shop
        await answer(
            matcher,
            "moderation/verified.j2",
            shop=shop,
            platform=Platform(shop.platform),
            by=speaker.account,
            vouching=vouching,
        )


def do_ban(matcher: type[Matcher], lift: bool) -> None:
    @matcher.handle()
    @answers_refusals("解封" if lift else "封禁")
    async def ban(bot: Bot, event: Event, speaker: Speaker = Speaking, args: Message = CommandArg()) -> None:
        words = args.extract_plain_text().split()
        target = target_account(bot, event, words[0] if words else None)
        reason = " ".join(words[1:]).strip()
        if lift:
            shop = await pool().moderation.unban(speaker.actor, target, reason)
            await answer(matcher, "moderation/unbanned_done.j2", shop=shop)
        if not reason:
            raise BadInput("moderation.reason_missing")
        shop = await pool().moderation.ban(speaker.actor, target, reason)
        await answer(matcher, "moderation/banned_done.j2", shop=shop)


def do_invitation(matcher: type[Matcher]) -> None:
    @matcher.handle()
    async def invitation(bot: Bot, event: Event) -> None:
        chat = network(bot)
        inviter = chat.invitation(event)
        if inviter is None:
            return
        approve = await pool().moderation.may_invite(inviter)
        await chat.answer_invitation(
            bot, event, approve, "" if approve else render("moderation/invitation_declined.j2")
        )


async def queue_vouch_notice() -> None:
    try:
        listed = await pool().moderation.queue_vouch_notice()
        if listed:
            logger.info(f"told the moderators of {listed} vouches")
    except Exception:
        logger.exception("vouch notice failed")
