"""The paced sender that drains the outbox (DESIGN.md §5 "Sending to groups").

At most one message per group every `group_interval` seconds and one message overall
every `global_interval`, because QQ restricts accounts that send in bursts. A failed
send is retried with exponential back-off; a message is marked sent once, by the sender
that claimed it. A group the bot has left or is muted in is marked and its queue
dropped. An alert that could not go out for `fold_after` is folded into the group's
next digest instead of being sent late on its own.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Protocol

from bot.clock import Clock, utc_now
from bot.identity.accounts import qq_account, qq_number
from bot.messaging.render import render
from bot.states import Channel, Delivery, OutboxKind
from bot.storage.models.messaging import OutboxMessage
from bot.storage.outbox import claim_outbox, drop_group, enqueue, mark_folded, mark_retry, mark_sent, subscription_of
from bot.storage.shops import shop_of_account


class Transport(Protocol):
    async def send(
        self, target_id: int, text: str, image: str | None, channel: Channel = Channel.group, mention: int | None = None
    ) -> None:
        """target_id: a QQ group, or a QQ user on the private channel. mention: a QQ user
        to @ first (group messages only)."""


class DeliveryFailed(Exception):
    """Temporary: API error, timeout, the bot offline. Retried with back-off."""


class GroupUnreachable(Exception):
    """Permanent for this group: the bot left or was removed (`left`), or is muted."""

    def __init__(self, delivery: Delivery, detail: str = ""):
        super().__init__(detail or delivery)
        self.delivery = delivery


class Sender:
    def __init__(
        self,
        transport: Transport,
        worker: str,
        clock: Clock = utc_now,
        group_interval: float = 1.5,
        global_interval: float = 0.2,
        max_attempts: int = 6,
        backoff_seconds: float = 5.0,
        lease_seconds: float = 120.0,
        fold_after: timedelta = timedelta(hours=3),
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.transport = transport
        self.worker = worker
        self.clock = clock
        self.group_interval = group_interval
        self.global_interval = global_interval
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.lease = timedelta(seconds=lease_seconds)
        self.fold_after = fold_after
        self.sleep = sleep
        self.monotonic = monotonic
        self._last_group: dict[tuple[str, int], float] = {}
        self._last_any: float | None = None

    async def _pace(self, target: tuple[str, int]) -> None:
        now = self.monotonic()
        waits = []
        if target in self._last_group:
            waits.append(self._last_group[target] + self.group_interval - now)
        if self._last_any is not None:
            waits.append(self._last_any + self.global_interval - now)
        wait = max(waits, default=0)
        if wait > 0:
            await self.sleep(wait)
        sent_at = self.monotonic()
        self._last_group[target] = sent_at
        self._last_any = sent_at

    async def run_once(self, limit: int = 50) -> int:
        """Claim a batch of due messages and send them. Returns how many were sent."""
        now = self.clock()
        batch = await claim_outbox(self.worker, now, now + self.lease, limit)
        sent = 0
        unreachable: set[int] = set()
        for message in batch:
            if message.channel == Channel.group and message.target_id in unreachable:
                continue  # dropped with its group by drop_group() a moment ago
            sent += await self._deliver(message, unreachable)
        return sent

    async def _deliver(self, message: OutboxMessage, unreachable: set[int]) -> int:
        if message.kind == OutboxKind.alert and self.clock() - message.created_at > self.fold_after:
            await mark_folded(message.id, self.worker)
            return 0
        await self._pace((message.channel, message.target_id))
        try:
            await self.transport.send(
                message.target_id, message.text, message.image, channel=message.channel, mention=message.mention
            )
        except GroupUnreachable as exc:
            if message.channel == Channel.private:  # a private chat refused: retrying will not help
                await mark_retry(message.id, self.worker, message.attempts + 1, self.clock(), str(exc), give_up=True)
            else:
                await drop_group(message.target_id, exc.delivery, str(exc))
                unreachable.add(message.target_id)
            await self._fall_back(message, exc.delivery)
            return 0
        except Exception as exc:  # DeliveryFailed and anything the transport did not classify
            attempts = message.attempts + 1
            delay = self.backoff_seconds * 2 ** (attempts - 1)
            give_up = attempts >= self.max_attempts
            await mark_retry(
                message.id,
                self.worker,
                attempts,
                self.clock() + timedelta(seconds=delay),
                f"{type(exc).__name__}: {exc}",
                give_up=give_up,
            )
            if give_up:
                await self._fall_back(message, "failed")
            return 0
        return int(await mark_sent(message.id, self.worker, self.clock()))

    async def _fall_back(self, message: OutboxMessage, why: str) -> None:
        """DESIGN.md §5 and issue #6: a joint-case message that cannot reach a shop
        privately is posted, with an @, in the group the shop last used the bot in; an
        alert or digest that a group keeps refusing goes privately to the member who
        subscribed the group. Once: a stand-in that fails is not stood in for."""
        key = f"{message.event_key}@{message.channel}:{message.target_id}"
        now = self.clock()
        if message.channel == Channel.private and message.kind == OutboxKind.joint:
            shop = await shop_of_account(qq_account(message.target_id))
            if shop is not None and shop.group_id is not None:
                # Only that there is a case and to message the bot: never the buyer, the
                # orders or the other shops, in a group anyone may read.
                case_id = message.event_key.split(":")[1] if ":" in message.event_key else None
                text = render("outbox/private_undeliverable.j2", shop=shop, case_id=case_id)
                await enqueue(
                    OutboxKind.fallback, Channel.group, shop.group_id, key, text, now, mention=message.target_id
                )
        elif message.channel == Channel.group and message.kind in (OutboxKind.alert, OutboxKind.digest):
            subscription = await subscription_of(message.target_id)
            user = qq_number(subscription.subscribed_by) if subscription else None
            if user is not None:
                text = render("outbox/group_undeliverable.j2", group_id=message.target_id, why=why, text=message.text)
                await enqueue(OutboxKind.fallback, Channel.private, user, key, text, now)

    async def run_forever(self, idle_seconds: float = 2.0) -> None:
        while True:
            if not await self.run_once():
                await asyncio.sleep(idle_seconds)
