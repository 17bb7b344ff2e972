"""The paced sender that drains the outbox (DESIGN.md §5 "Sending to groups").

At most one message per group every `group_interval` seconds and one message overall
every `global_interval`, because QQ restricts accounts that send in bursts. A failed
send is retried with exponential back-off; a message is marked sent once, by the sender
that claimed it. A group the bot has left or is muted in is marked and its queue
dropped. An alert that could not go out for `fold_after` is folded into the group's
next digest instead of being sent late on its own.

The subscribers that are not QQ groups (bot/identity/places.py) go their own ways out:
a webhook robot is posted to, paced by its service's documented limit and signed where
the service signs (bot/messaging/robots.py), a long message in parts whose progress is
kept, so that a retry sends no part twice; a robot the service refuses (address,
signature, keyword) or that keeps failing is paused and its owner told. A group of the
official QQ bot is pushed to where the platform allows it, and otherwise its messages
wait for the next reply there to ride on (nonebot_plugin_shop_guard/qqbot).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from bot.clock import Clock, utc_now
from bot.identity.accounts import qq_account, qq_number
from bot.identity.places import Network, place_of
from bot.identity.sealing import Sealer, Unsealable
from bot.messaging.render import SHANGHAI, render
from bot.messaging.robots import RULES, Outcome, Service, outcome, parts, request
from bot.states import Channel, Delivery, OutboxKind
from bot.storage.models.messaging import OutboxMessage
from bot.storage.models.robots import Robot
from bot.storage.outbox import (
    claim_outbox,
    drop_group,
    enqueue,
    leave_group,
    mark_folded,
    mark_retry,
    mark_sent,
    release,
    subscription_of,
)
from bot.storage.robots import (
    claim_waiting,
    mark_parts_sent,
    mark_waiting,
    pause_robot,
    qqbot_group_by_id,
    release_claims,
    robot_by_id,
    robot_delivered,
    robot_failed,
    spend_qqbot_pushes,
    take_qqbot_push,
)
from bot.storage.shops import shop_of_account

log = logging.getLogger(__name__)


class Transport(Protocol):
    async def send(
        self, target_id: int, text: str, image: str | None, channel: Channel = Channel.group, mention: int | None = None
    ) -> None:
        """target_id: a QQ group, or a QQ user on the private channel. mention: a QQ user
        to @ first (group messages only)."""


class Poster(Protocol):
    async def post(self, url: str, body: bytes) -> tuple[int, bytes]:
        """POST a JSON body to a robot's address (public addresses only); the status and
        the answer. DeliveryFailed for a timeout or a failed connection, with a message
        that never holds the address."""


class GroupPusher(Protocol):
    async def push(self, bot_id: str, group_openid: str, text: str, image: str | None) -> None:
        """An active message to a group of the official QQ bot. AwaitingReply when the
        platform refuses it (no active messages for this bot or group now)."""


class DeliveryFailed(Exception):
    """Temporary: API error, timeout, the bot offline. Retried with back-off."""


class AwaitingReply(Exception):
    """The platform lets the bot speak in this group only in reply (the official QQ bot
    without a push left): the message waits for the next reply there to ride on."""


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
        *,
        poster: Poster | None = None,
        sealer: Sealer | None = None,
        qqbot: GroupPusher | None = None,
        qqbot_pushes_per_month: int = 4,
        robot_pause_after: int = 6,
        waiting_recheck: timedelta = timedelta(hours=1),
        accounts: Callable[[], Sequence[str] | None] | None = None,
    ):
        self.transport = transport
        # The QQ accounts this process speaks with, asked before each claim (they come
        # and go with their connections); None: every message is this sender's.
        self.accounts = accounts
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
        self.poster = poster
        self.sealer = sealer
        self.qqbot = qqbot
        self.qqbot_pushes_per_month = qqbot_pushes_per_month
        self.robot_pause_after = robot_pause_after
        self.waiting_recheck = waiting_recheck
        self._last_group: dict[tuple[str, int], float] = {}
        self._last_any: float | None = None

    async def _pace(self, target: tuple[str, int], interval: float | None = None, overall: bool = True) -> None:
        """`interval` apart per target (a QQ group's by default); `overall`: and the QQ
        account's own pace, which a robot's service or the official bot does not share."""
        now = self.monotonic()
        waits = []
        if target in self._last_group:
            waits.append(self._last_group[target] + (self.group_interval if interval is None else interval) - now)
        if overall and self._last_any is not None:
            waits.append(self._last_any + self.global_interval - now)
        wait = max(waits, default=0)
        if wait > 0:
            await self.sleep(wait)
        sent_at = self.monotonic()
        self._last_group[target] = sent_at
        if overall:
            self._last_any = sent_at

    async def run_once(self, limit: int = 50) -> int:
        """Claim a batch of due messages and send them. Returns how many were sent."""
        now = self.clock()
        accounts = self.accounts() if self.accounts is not None else None
        batch = await claim_outbox(self.worker, now, now + self.lease, limit, accounts)
        sent = 0
        unreachable: set[int] = set()
        for message in batch:
            if message.channel == Channel.group and message.target_id in unreachable:
                # Dropped with its group by drop_group() a moment ago, or handed over.
                await release(message.id, self.worker)
                continue
            sent += await self._deliver(message, unreachable, accounts)
        return sent

    async def _deliver(self, message: OutboxMessage, unreachable: set[int], accounts: Sequence[str] | None) -> int:
        if message.kind == OutboxKind.alert and self.clock() - message.created_at > self.fold_after:
            await mark_folded(message.id, self.worker)
            return 0
        place = place_of(message.target_id) if message.channel == Channel.group else None
        if place is not None and place.network == Network.robot:
            return await self._deliver_to_robot(message, place.number, unreachable)
        try:
            if place is not None and place.network == Network.qqbot:
                await self._push_to_qqbot_group(place.number, message)
            else:
                await self._pace((message.channel, message.target_id))
                await self.transport.send(
                    message.target_id, message.text, message.image, channel=message.channel, mention=message.mention
                )
        except AwaitingReply as exc:
            await mark_waiting(message.id, self.worker, self.clock() + self.waiting_recheck, f"waiting: {exc}")
            return 0
        except GroupUnreachable as exc:
            if message.channel == Channel.private:  # a private chat refused: retrying will not help
                await mark_retry(message.id, self.worker, message.attempts + 1, self.clock(), str(exc), give_up=True)
            elif (
                exc.delivery == Delivery.left
                and accounts
                and await leave_group(message.target_id, accounts, self.clock())
            ):
                # This account left; another of the bot's accounts may still be there.
                # The group's messages wait for it (serve_groups), and are dropped only
                # if a send finds no account of the bot there either.
                await release(message.id, self.worker)
                unreachable.add(message.target_id)
                return 0
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

    # -- groups of the official QQ bot ----------------------------------------------------

    async def _push_to_qqbot_group(self, number: int, message: OutboxMessage) -> None:
        """An active push, where the platform allows one and the group's quota for the
        month has one left; otherwise the message waits for a reply to ride on."""
        group = await qqbot_group_by_id(number)
        if group is None:
            raise GroupUnreachable(Delivery.left, "unknown QQ bot group")
        if self.qqbot is None:
            raise AwaitingReply("no official QQ bot in this process")
        month = f"{self.clock().astimezone(SHANGHAI):%Y-%m}"
        if not await take_qqbot_push(number, month, self.qqbot_pushes_per_month):
            raise AwaitingReply("no active push left this month")
        await self._pace(("qqbot", number), overall=False)
        try:
            await self.qqbot.push(group.bot_id, group.group_openid, message.text, message.image)
        except AwaitingReply:
            await spend_qqbot_pushes(number, month, self.qqbot_pushes_per_month)
            raise

    # -- webhook robots ------------------------------------------------------------------

    async def _deliver_to_robot(self, message: OutboxMessage, number: int, unreachable: set[int]) -> int:
        robot = await robot_by_id(number)
        if robot is None or robot.paused_at is not None:
            # Removed or paused a moment ago (its queue was dropped then): nothing to send.
            await mark_retry(message.id, self.worker, message.attempts, self.clock(), "robot gone", give_up=True)
            return 0
        if self.poster is None or self.sealer is None:
            return await self._robot_retry(message, "no robot transport in this process", 0)
        service = Service(robot.service)
        rules = RULES[service]
        try:
            address = self.sealer.open(robot.address_sealed)
            secret = self.sealer.open(robot.secret_sealed) if robot.secret_sealed else None
        except Unsealable:
            # Sealed under another IDENTITY_HASH_SECRET: no retry can open it.
            await self._pause(robot, "sealed with another IDENTITY_HASH_SECRET")
            unreachable.add(message.target_id)
            return 0
        image = None
        if message.image and rules.takes_images:
            path = Path(message.image)
            image = await asyncio.to_thread(path.read_bytes) if await asyncio.to_thread(path.exists) else None
        pieces = parts(service, message.text, robot.keyword, image)
        for index in range(message.parts_sent, len(pieces)):
            await self._pace(("robot", number), rules.interval, overall=False)
            url, body = request(service, address, pieces[index], secret, int(self.clock().timestamp() * 1000))
            try:
                status, answer = await self.poster.post(url, body)
                result, detail = outcome(service, status, answer)
            except DeliveryFailed as exc:
                result, detail = Outcome.failed, str(exc)
            if result != Outcome.sent:
                return await self._robot_failed(message, robot, result, detail, unreachable)
            await mark_parts_sent(message.id, self.worker, index + 1)
        await robot_delivered(number)
        return int(await mark_sent(message.id, self.worker, self.clock()))

    async def _robot_failed(
        self, message: OutboxMessage, robot: Robot, result: Outcome, detail: str, unreachable: set[int]
    ) -> int:
        if result == Outcome.rate_limited:
            # Too fast (another sender shares the robot, or a clock drifted): the
            # service's own block, not a sign the robot is broken.
            return await self._robot_retry(message, detail, RULES[Service(robot.service)].rate_limited_wait)
        failures = await robot_failed(robot.id)
        if result == Outcome.refused or failures >= self.robot_pause_after:
            await self._pause(robot, detail)
            unreachable.add(message.target_id)
            return 0
        return await self._robot_retry(message, detail, 0)

    async def _robot_retry(self, message: OutboxMessage, detail: str, at_least: float) -> int:
        attempts = message.attempts + 1
        delay = max(self.backoff_seconds * 2 ** (attempts - 1), at_least)
        await mark_retry(
            message.id,
            self.worker,
            attempts,
            self.clock() + timedelta(seconds=delay),
            detail,
            give_up=attempts >= self.max_attempts,
        )
        return 0

    async def _pause(self, robot: Robot, detail: str) -> None:
        """No more messages to this robot, and its owner told why (privately, where the
        owner has a QQ number; the list and the dashboard show it to everyone else)."""
        now = self.clock()
        if not await pause_robot(robot.id, detail, now):
            return
        # The operator's robots (the command line) have no one else to tell. The detail
        # is the service's code and words, or a redacted error: never the address.
        log.warning(f"robot #{robot.id} ({robot.service} {robot.address_mask}) paused: {detail}")
        user = qq_number(robot.owner)
        if user is not None:
            text = render(
                "robots/paused.j2",
                number=robot.id,
                service=robot.service,
                mask=robot.address_mask,
                why=detail,
            )
            await enqueue(
                OutboxKind.notice, Channel.private, user, f"robot-paused:{robot.id}:{now:%Y%m%d%H%M%S}", text, now
            )

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
        elif (
            message.channel == Channel.group
            and message.kind in (OutboxKind.alert, OutboxKind.digest)
            and place_of(message.target_id).network == Network.qq
        ):
            subscription = await subscription_of(message.target_id)
            user = qq_number(subscription.subscribed_by) if subscription else None
            if user is not None:
                text = render("outbox/group_undeliverable.j2", group_id=message.target_id, why=why, text=message.text)
                await enqueue(OutboxKind.fallback, Channel.private, user, key, text, now)

    async def run_forever(self, idle_seconds: float = 2.0) -> None:
        while True:
            if not await self.run_once():
                await asyncio.sleep(idle_seconds)


# -- messages that ride on a reply (the official QQ bot) ----------------------------------


@dataclass(frozen=True)
class Ride:
    """The waiting messages of a group, claimed to go out with a reply there."""

    ids: list[int]
    text: str


# What one ride carries at most: the rest waits for the next reply.
RIDE_MESSAGES = 5
RIDE_CHARS = 1800


async def take_ride(target: int, worker: str, now: datetime, fold_after: timedelta) -> Ride | None:
    """Claim what waits for this group (alerts, corrections, digests), oldest first, as
    one message 「有 N 条新预警：…」. An alert too old to go alone is folded into the next
    digest instead, as the sender would."""
    claimed = await claim_waiting(target, worker, now, now + timedelta(minutes=2), RIDE_MESSAGES)
    taken: list[OutboxMessage] = []
    size = 0
    for message in claimed:
        if message.kind == OutboxKind.alert and now - message.created_at > fold_after:
            await mark_folded(message.id, worker)
        elif not taken or size + len(message.text) <= RIDE_CHARS:
            taken.append(message)
            size += len(message.text)
    await release_claims([m.id for m in claimed if m not in taken], worker)
    if not taken:
        return None
    return Ride([m.id for m in taken], render("outbox/ride.j2", texts=[m.text for m in taken]))


async def rode(ride: Ride, worker: str, now: datetime) -> None:
    for message_id in ride.ids:
        await mark_sent(message_id, worker, now)


async def missed_ride(ride: Ride, worker: str) -> None:
    await release_claims(ride.ids, worker)
