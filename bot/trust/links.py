"""One person, several chat networks (a QQ account through OneBot, an openid of the
official QQ bot): a shop binds once per network, and its accounts are linked into one
shop, so that it still counts once (DESIGN.md §7: one shop, one voice).

The account to be linked asks for a one-time code (/关联) on its own network: the code
proves that whoever hands it on speaks for that account (an openid cannot be typed or
@-mentioned from another network). With the code, the shop's owner (/关联 <码>) or a 版主
(/关联 <码> <店主账号>) makes that account a staff account of the shop. Codes are 8
characters from `secrets`, single use, 30 minutes, kept as a SHA-256."""

from __future__ import annotations

import secrets
from datetime import timedelta

from bot.clock import Clock, utc_now
from bot.errors import Conflict, NotAllowed, NotFound
from bot.storage.models.shops import Shop
from bot.storage.robots import create_link_code, redeem_link_code
from bot.storage.shops import AccountTaken, add_staff_account, shop_of_account
from bot.trust.access import digest
from bot.trust.moderation import Moderation

LINK_MINUTES = 30
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed again
CODE_LENGTH = 8


def _normal(code: str) -> str:
    return code.strip().upper().replace("-", "")


class AccountLinks:
    def __init__(self, moderation: Moderation, clock: Clock = utc_now, minutes: int = LINK_MINUTES):
        self.moderation = moderation
        self.clock = clock
        self.valid_for = timedelta(minutes=minutes)

    async def code_for(self, account: str) -> str:
        code = "".join(secrets.choice(_ALPHABET) for _ in range(CODE_LENGTH))
        await create_link_code(digest(code), account, self.clock() + self.valid_for)
        return code

    async def link(self, by: str, code: str, owner: str | None = None) -> tuple[Shop, str]:
        """Link the code's account into a shop as staff: the shop of `by` (its owner), or
        with `owner` named, that account's shop (a 版主 only). Returns the shop and the
        account linked."""
        if owner is not None:
            if not await self.moderation.is_moderator(by):
                raise NotAllowed("link.moderator_only")
            shop = await shop_of_account(owner)
            if shop is None:
                raise NotFound("link.no_shop", account=owner)
        else:
            shop = await shop_of_account(by)
            if shop is None or shop.owner != by:
                raise NotAllowed("link.owner_only")
        if len(_normal(code)) != CODE_LENGTH:
            raise NotFound("link.code_invalid")
        account = await redeem_link_code(digest(_normal(code)), self.clock())
        if account is None:
            raise NotFound("link.code_invalid")
        if await shop_of_account(account) is not None:
            raise Conflict("link.account_taken", account=account)
        try:
            await add_staff_account(shop.id, account, by)
        except AccountTaken as exc:
            raise Conflict("link.account_taken", account=account) from exc
        return shop, account
