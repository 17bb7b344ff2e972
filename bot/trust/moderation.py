"""Who may brand a buyer (DESIGN.md §7): 版主, trusted groups, verified shops, bans.

A report counts towards 高风险 and above only when its shop is verified: vouched for by
the owner or an admin of a group a 版主 trusts, or by a 版主. Verification, its loss,
bans and unbans change what counts, so each is a decision: logged with the moderator,
the reason, and every touched buyer's level before and after, with alerts and
corrections following in the same transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.blacklist.blacklist import Blacklist
from bot.clock import Clock, utc_now
from bot.errors import Conflict, Limited, NotAllowed, NotFound
from bot.identity.accounts import SYSTEM, qq_number
from bot.messaging.render import render
from bot.states import Channel, DecisionKind, OutboxKind, ReportState, TrustAction, VouchEnd
from bot.storage.models.shops import Shop
from bot.storage.models.trust import Vouch
from bot.storage.outbox import enqueue, notify
from bot.storage.reports import removed_reports_of_shop_since, report_ids_of_shop, reported_buyers, set_report_states
from bot.storage.shops import set_banned, shop_accounts, shop_by_id, shop_of_account
from bot.storage.trust import (
    add_moderator,
    add_trusted_group,
    add_vouch,
    decide,
    end_vouches,
    is_appointed_moderator,
    is_trusted_group,
    is_withdrawn_voucher,
    log_trust,
    mark_vouches_told,
    moderators,
    refresh_verification,
    remove_moderator,
    remove_trusted_group,
    restore_voucher,
    shops_vouched_by,
    shops_vouched_in,
    standing_vouch_by,
    standing_vouches,
    vouches_made_since,
    vouches_to_tell,
    withdraw_voucher,
)

# A group admin may vouch for this many shops a week (VOUCHES_PER_WEEK).
VOUCH_WEEK = timedelta(days=7)


@dataclass(frozen=True)
class Membership:
    """What the chat network says of an account in the group where someone vouches for
    it: a member or not, and since when (None where the network does not say)."""

    member: bool
    joined_at: datetime | None = None


# How to ask the chat network about an account's membership of the group.
AskMembership = Callable[[], Awaitable[Membership | None]]


@dataclass(frozen=True)
class Vouching:
    shop: Shop
    newly_verified: bool  # False: a further vouch for a shop verified already
    by_moderator: bool


@dataclass(frozen=True)
class Standing:
    """A shop's verification as it stands: the shop and the vouches it rests on."""

    shop: Shop
    vouches: list[Vouch]


@dataclass(frozen=True)
class Actor:
    """Who asks, and where: their account, the group the message came from (None in
    private chat), and whether they are that group's owner or an admin."""

    account: str
    group_id: int | None = None
    group_admin: bool = False


class Moderation:
    def __init__(
        self,
        blacklist: Blacklist,
        superusers: set[str],
        clock: Clock = utc_now,
        removals_to_unverify: int = 2,
        removal_window_days: int = 180,
        vouch_member_days: int = 7,
        vouches_per_week: int = 5,
    ):
        self.blacklist = blacklist
        self.superusers = superusers
        self.clock = clock
        self.removals_to_unverify = removals_to_unverify
        self.removal_window = timedelta(days=removal_window_days)
        self.member_days = timedelta(days=vouch_member_days)
        self.vouches_per_week = vouches_per_week

    # -- 版主 ------------------------------------------------------------------------------

    async def is_moderator(self, account: str) -> bool:
        return account in self.superusers or await is_appointed_moderator(account)

    async def moderator_accounts(self) -> list[str]:
        return sorted(self.superusers | set(await moderators()))

    async def appoint(self, by: Actor, account: str) -> bool:
        if by.account not in self.superusers:
            raise NotAllowed("moderation.superuser_only")
        return await add_moderator(account, by.account)

    async def dismiss(self, by: Actor, account: str) -> bool:
        if by.account not in self.superusers:
            raise NotAllowed("moderation.superuser_only")
        if account in self.superusers:
            raise Conflict("moderation.cannot_dismiss_superuser")
        return await remove_moderator(account)

    async def require_moderator(self, by: Actor) -> None:
        if not await self.is_moderator(by.account):
            raise NotAllowed("moderation.moderator_only")

    # -- trusted groups --------------------------------------------------------------------

    async def trust_group(self, by: Actor) -> bool:
        await self.require_moderator(by)
        if by.group_id is None:
            raise NotAllowed("moderation.group_only")
        added = await add_trusted_group(by.group_id, by.account)
        if added:
            await log_trust(TrustAction.trust_group, by.account, self.clock(), group_id=by.group_id)
        return added

    async def untrust_group(self, by: Actor) -> bool:
        """Every vouch made in the group ends with its trust: the shops that rested only
        on it are no longer verified (and the buyers they took high get corrections)."""
        await self.require_moderator(by)
        if by.group_id is None:
            raise NotAllowed("moderation.group_only")
        if not await remove_trusted_group(by.group_id):
            return False
        await log_trust(TrustAction.untrust_group, by.account, self.clock(), group_id=by.group_id)
        reason = render("moderation/untrusted_reason.j2", group_id=by.group_id)
        for shop_id in await shops_vouched_in(by.group_id):
            await self._end_vouches(
                await shop_by_id(shop_id), by.account, reason, VouchEnd.group_untrusted, group_id=by.group_id
            )
        return True

    async def may_invite(self, account: str) -> bool:
        """The bot joins the groups a 版主 invites it to, and no others."""
        return await self.is_moderator(account)

    # -- vouching and verification ----------------------------------------------------------

    async def _target_shop(self, account: str) -> Shop:
        shop = await shop_of_account(account)
        if shop is None:
            raise NotFound("moderation.no_shop", account=account)
        return shop

    async def _may_vouch(self, by: Actor) -> bool:
        """A 版主 anywhere; a group's owner or admin in a group a 版主 trusts. Returns
        whether the voucher is a 版主."""
        if await self.is_moderator(by.account):
            return True
        if by.group_id is None:
            raise NotAllowed("moderation.verify_where")
        if not await is_trusted_group(by.group_id):
            raise NotAllowed("moderation.untrusted_group")
        if not by.group_admin:
            raise NotAllowed("moderation.not_group_admin")
        if await is_withdrawn_voucher(by.account):
            raise NotAllowed("moderation.voucher_withdrawn")
        return False

    def _check_membership(self, membership: Membership | None, now: datetime) -> None:
        """The account vouched for in a group is a member of it, and not a new one: a
        number that never spoke there, or joined yesterday, is not someone the admin
        knows (DESIGN.md §7)."""
        if membership is None or not membership.member:
            raise NotAllowed("moderation.not_member", days=self.member_days.days)
        if membership.joined_at is not None and now - membership.joined_at < self.member_days:
            raise NotAllowed("moderation.member_too_new", days=self.member_days.days, since=membership.joined_at)

    async def verify(self, by: Actor, account: str, membership: Membership | AskMembership | None = None) -> Vouching:
        """Vouch for the shop `account` speaks for. In a group, `membership` is what the
        chat network says of `account` there (or how to ask it: asked only once the
        voucher may vouch, so that nobody can make the bot query members at will)."""
        by_moderator = await self._may_vouch(by)
        shop = await self._target_shop(account)
        now = self.clock()
        if shop.banned_at is not None:
            raise Conflict("moderation.banned", shop=shop)
        if by.account in {a.account for a in await shop_accounts(shop.id)}:
            raise NotAllowed("moderation.vouch_own", shop=shop)
        if by.group_id is not None:
            if callable(membership):
                membership = await membership()
            self._check_membership(membership, now)
        if await standing_vouch_by(shop.id, by.account) is not None:
            raise Conflict("moderation.already_vouched", shop=shop)
        if not by_moderator and await vouches_made_since(by.account, now - VOUCH_WEEK) >= self.vouches_per_week:
            raise Limited("moderation.vouch_cap", limit=self.vouches_per_week)
        was_verified = shop.verified_at is not None

        async def change() -> None:
            await add_vouch(shop, by.account, by.group_id, by_moderator, now)
            await refresh_verification(shop.id, now)
            await log_trust(
                TrustAction.vouch,
                by.account,
                now,
                shop_id=shop.id,
                account=account,
                group_id=by.group_id,
                detail="版主" if by_moderator else "",
            )

        await self._decide(
            shop, change, DecisionKind.verify, by.account, f"群 {by.group_id}认证" if by.group_id else "版主认证"
        )
        shop = await shop_by_id(shop.id)
        if not was_verified:
            await self._tell_shop(shop, "verified", render("moderation/you_are_verified.j2", shop=shop))
        return Vouching(shop, newly_verified=not was_verified, by_moderator=by_moderator)

    async def unverify(self, by: Actor, account: str, reason: str = "") -> Shop:
        """A voucher takes back their own vouch; a 版主 ends every vouch for the shop."""
        shop = await self._target_shop(account)
        if shop.verified_at is None:
            raise Conflict("moderation.not_verified", shop=shop)
        moderator = await self.is_moderator(by.account)
        if not moderator and await standing_vouch_by(shop.id, by.account) is None:
            raise NotAllowed("moderation.moderator_only")
        return await self._end_vouches(
            shop, by.account, reason or "取消认证", VouchEnd.unvouched, voucher=None if moderator else by.account
        )

    async def _end_vouches(
        self,
        shop: Shop,
        actor: str,
        reason: str,
        why: VouchEnd,
        *,
        voucher: str | None = None,
        group_id: int | None = None,
    ) -> Shop:
        """End the shop's vouches that match (all, a voucher's, or a group's); the shop stays
        verified while another stands. Each buyer it reported gets its decision (and its
        correction where it falls below an alerted level)."""
        now = self.clock()

        async def change() -> None:
            if await end_vouches(why, actor, now, shop_id=shop.id, voucher=voucher, group_id=group_id):
                await refresh_verification(shop.id, now)
                await log_trust(
                    TrustAction.unvouch if why is VouchEnd.unvouched else TrustAction.suspend_vouch,
                    actor,
                    now,
                    shop_id=shop.id,
                    account=voucher,
                    group_id=group_id,
                    detail=f"{why.value}：{reason}",
                )

        was_verified = shop.verified_at is not None
        await self._decide(shop, change, DecisionKind.unverify, actor, reason)
        shop = await shop_by_id(shop.id)
        if was_verified and shop.verified_at is None:
            await self._tell_shop(
                shop, "unverified", render("moderation/you_are_unverified.j2", shop=shop, reason=reason, why=why)
            )
        return shop

    async def withdraw_voucher(self, by: Actor, account: str, reason: str) -> list[Shop]:
        """A 版主 withdraws a group admin's standing to vouch: every vouch they made ends,
        and the shops that rested only on them are no longer verified. Returns the shops
        touched."""
        await self.require_moderator(by)
        if await self.is_moderator(account):
            raise Conflict("moderation.withdraw_moderator")
        if not await withdraw_voucher(account, by.account, reason, self.clock()):
            raise Conflict("moderation.already_withdrawn", account=account)
        await log_trust(TrustAction.withdraw_voucher, by.account, self.clock(), account=account, detail=reason)
        touched = []
        for shop_id in await shops_vouched_by(account):
            touched.append(
                await self._end_vouches(
                    await shop_by_id(shop_id), by.account, reason, VouchEnd.voucher_withdrawn, voucher=account
                )
            )
        return touched

    async def restore_voucher(self, by: Actor, account: str) -> None:
        await self.require_moderator(by)
        if not await restore_voucher(account):
            raise Conflict("moderation.not_withdrawn", account=account)
        await log_trust(TrustAction.restore_voucher, by.account, self.clock(), account=account)

    async def status(self, account: str) -> Standing:
        shop = await shop_of_account(account)
        if shop is None:
            raise NotFound("moderation.status_no_shop")
        return Standing(shop, await standing_vouches(shop.id))

    async def after_removals(self, shop_ids: set[int]) -> list[Shop]:
        """A shop whose reports keep being removed on appeal loses its verification (and
        is told why); the 版主 are told. Returns the shops that lost it."""
        lost = []
        since = self.clock() - self.removal_window
        for shop_id in sorted(shop_ids):
            shop = await shop_by_id(shop_id)
            if shop.verified_at is None:
                continue
            if await removed_reports_of_shop_since(shop_id, since) < self.removals_to_unverify:
                continue
            reason = render(
                "moderation/removals_reason.j2", count=self.removals_to_unverify, days=self.removal_window.days
            )
            await self._end_vouches(shop, SYSTEM, reason, VouchEnd.removals)
            await self.tell_moderators(
                f"unverified:{shop.id}", render("moderation/moderators_unverified.j2", shop=shop, reason=reason)
            )
            lost.append(shop)
        return lost

    async def queue_vouch_notice(self) -> int:
        """Tell the 版主, in one message, of every vouch since the last notice, each with
        the command that undoes it. Returns how many vouches it listed."""
        vouches = await vouches_to_tell()
        if not vouches:
            return 0
        now = self.clock()
        text = render("moderation/vouches_notice.j2", vouches=vouches)
        await self.tell_moderators(f"vouches:{vouches[-1].id}", text)
        await mark_vouches_told([v.id for v in vouches], now)
        return len(vouches)

    # -- bans ------------------------------------------------------------------------------

    async def ban(self, by: Actor, account: str, reason: str) -> Shop:
        await self.require_moderator(by)
        shop = await self._target_shop(account)
        if shop.banned_at is not None:
            raise Conflict("moderation.already_banned", shop=shop)
        now = self.clock()
        touched = await reported_buyers(shop.id, [ReportState.active])

        async def change() -> None:
            await set_report_states(
                await report_ids_of_shop(shop.id, ReportState.active),
                ReportState.suspended,
                [ReportState.active],
            )
            # Its joint-case memberships end with its reports (JointCases.on_decided).
            await set_banned(shop.id, by.account, reason[:200], now)
            await log_trust(TrustAction.ban, by.account, now, shop_id=shop.id, account=account, detail=reason)

        await decide(
            touched,
            change,
            DecisionKind.suspend,
            by.account,
            reason,
            self.blacklist.judge_for,
            self.blacklist.on_decided,
        )
        shop.banned_at = now
        await self._tell_shop(shop, "banned", render("moderation/you_are_banned.j2", shop=shop, reason=reason))
        return shop

    async def unban(self, by: Actor, account: str, reason: str = "") -> Shop:
        await self.require_moderator(by)
        shop = await self._target_shop(account)
        if shop.banned_at is None:
            raise Conflict("moderation.not_banned", shop=shop)
        touched = await reported_buyers(shop.id, [ReportState.suspended])

        async def change() -> None:
            await set_report_states(
                await report_ids_of_shop(shop.id, ReportState.suspended),
                ReportState.active,
                [ReportState.suspended],
            )
            await set_banned(shop.id, None, None, None)
            await log_trust(
                TrustAction.unban, by.account, self.clock(), shop_id=shop.id, account=account, detail=reason
            )

        await decide(
            touched,
            change,
            DecisionKind.unsuspend,
            by.account,
            reason or "解封",
            self.blacklist.judge_for,
            self.blacklist.on_decided,
        )
        shop.banned_at = None
        await self._tell_shop(shop, "unbanned", render("moderation/you_are_unbanned.j2", shop=shop))
        return shop

    # -- helpers ---------------------------------------------------------------------------

    async def _decide(
        self, shop: Shop, change: Callable[[], Awaitable[None]], kind: DecisionKind, actor: str, reason: str
    ) -> None:
        # In one transaction, and with a decision for each buyer the shop reported (none
        # when it reported nobody: the change alone).
        touched = await reported_buyers(shop.id, [ReportState.active])
        await decide(touched, change, kind, actor, reason, self.blacklist.judge_for, self.blacklist.on_decided)

    async def _tell_shop(self, shop: Shop, event: str, text: str) -> None:
        user = qq_number(shop.owner)
        if user is not None:
            key = f"moderation:{event}:{shop.id}:{self.clock():%Y%m%d%H%M%S}"
            await enqueue(OutboxKind.notice, Channel.private, user, key, text, self.clock())

    async def tell_moderators(self, event: str, text: str) -> None:
        users = [n for n in (qq_number(a) for a in await self.moderator_accounts()) if n is not None]
        await notify(OutboxKind.notice, Channel.private, users, f"moderators:{event}", text, self.clock())
