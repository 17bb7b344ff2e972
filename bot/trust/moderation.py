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
from datetime import timedelta

from bot.blacklist.blacklist import Blacklist
from bot.clock import Clock, utc_now
from bot.errors import Conflict, NotAllowed, NotFound
from bot.identity.accounts import qq_number
from bot.messaging.render import render
from bot.states import Channel, DecisionKind, OutboxKind, ReportState
from bot.storage.models.shops import Shop
from bot.storage.outbox import enqueue, notify
from bot.storage.reports import removed_reports_of_shop_since, report_ids_of_shop, reported_buyers, set_report_states
from bot.storage.shops import set_banned, set_verified, shop_by_id, shop_of_account
from bot.storage.trust import (
    add_moderator,
    add_trusted_group,
    decide,
    is_appointed_moderator,
    is_trusted_group,
    moderators,
    remove_moderator,
    remove_trusted_group,
)

SYSTEM = "system"  # the actor of decisions the rules make themselves


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
    ):
        self.blacklist = blacklist
        self.superusers = superusers
        self.clock = clock
        self.removals_to_unverify = removals_to_unverify
        self.removal_window = timedelta(days=removal_window_days)

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
        return await add_trusted_group(by.group_id, by.account)

    async def untrust_group(self, by: Actor) -> bool:
        await self.require_moderator(by)
        if by.group_id is None:
            raise NotAllowed("moderation.group_only")
        return await remove_trusted_group(by.group_id)

    async def may_invite(self, account: str) -> bool:
        """The bot joins the groups a 版主 invites it to, and no others."""
        return await self.is_moderator(account)

    # -- verification ----------------------------------------------------------------------

    async def _target_shop(self, account: str) -> Shop:
        shop = await shop_of_account(account)
        if shop is None:
            raise NotFound("moderation.no_shop", account=account)
        return shop

    async def _may_vouch(self, by: Actor) -> None:
        """A 版主 anywhere; a group's owner or admin in a group a 版主 trusts."""
        if await self.is_moderator(by.account):
            return
        if by.group_id is None:
            raise NotAllowed("moderation.verify_where")
        if not await is_trusted_group(by.group_id):
            raise NotAllowed("moderation.untrusted_group")
        if not by.group_admin:
            raise NotAllowed("moderation.not_group_admin")

    async def verify(self, by: Actor, account: str) -> Shop:
        await self._may_vouch(by)
        shop = await self._target_shop(account)
        if shop.banned_at is not None:
            raise Conflict("moderation.banned", shop=shop)
        if shop.verified_at is not None:
            raise Conflict("moderation.already_verified", shop=shop)
        now = self.clock()
        group = by.group_id
        where = f"群 {group}" if group else "版主"

        async def change() -> None:
            await set_verified(shop.id, by.account, group, now)

        await self._decide(shop, change, DecisionKind.verify, by.account, f"{where}认证")
        shop.verified_at, shop.verified_by, shop.verified_in = now, by.account, group
        await self._tell_shop(shop, "verified", render("moderation/you_are_verified.j2", shop=shop))
        return shop

    async def unverify(self, by: Actor, account: str, reason: str = "") -> Shop:
        """By the one who vouched, or a 版主."""
        shop = await self._target_shop(account)
        if shop.verified_at is None:
            raise Conflict("moderation.not_verified", shop=shop)
        if shop.verified_by != by.account:
            await self.require_moderator(by)
        await self._unverify(shop, by.account, reason or "取消认证")
        return shop

    async def _unverify(self, shop: Shop, actor: str, reason: str) -> None:
        async def change() -> None:
            await set_verified(shop.id, None, None, None)

        await self._decide(shop, change, DecisionKind.unverify, actor, reason)
        shop.verified_at = shop.verified_by = shop.verified_in = None
        await self._tell_shop(shop, "unverified", render("moderation/you_are_unverified.j2", shop=shop, reason=reason))

    async def status(self, account: str) -> Shop:
        shop = await shop_of_account(account)
        if shop is None:
            raise NotFound("moderation.status_no_shop")
        return shop

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
            await self._unverify(shop, SYSTEM, reason)
            await self.tell_moderators(
                f"unverified:{shop.id}", render("moderation/moderators_unverified.j2", shop=shop, reason=reason)
            )
            lost.append(shop)
        return lost

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
        touched = await reported_buyers(shop.id, [ReportState.active])
        if not touched:
            await change()  # nothing it reported changes level: no buyer to log
            return
        await decide(touched, change, kind, actor, reason, self.blacklist.judge_for, self.blacklist.on_decided)

    async def _tell_shop(self, shop: Shop, event: str, text: str) -> None:
        user = qq_number(shop.owner)
        if user is not None:
            key = f"moderation:{event}:{shop.id}:{self.clock():%Y%m%d%H%M%S}"
            await enqueue(OutboxKind.notice, Channel.private, user, key, text, self.clock())

    async def tell_moderators(self, event: str, text: str) -> None:
        users = [n for n in (qq_number(a) for a in await self.moderator_accounts()) if n is not None]
        await notify(OutboxKind.notice, Channel.private, users, f"moderators:{event}", text, self.clock())
