"""Webhook robots as subscribers (企业微信, 钉钉, 飞书): registered by a 版主 or a verified
shop's owner (in private chat or on the dashboard) or by the operator (the command line),
with the rules a QQ group has: alert level, digest time, allowlist. The address and secret
are sealed before they are stored and shown only masked; the service's own rules are in
bot/messaging/robots.py."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from bot.clock import Clock, utc_now
from bot.commands.requests import ROBOTS_PER_OWNER, RobotRequest
from bot.errors import BadInput, Limited, NotAllowed, NotFound
from bot.identity.places import robot_target
from bot.identity.sealing import Sealer
from bot.messaging.alerts import DEFAULT_DIGEST_TIME, parse_digest_time
from bot.messaging.robots import Service, check_secret, parse_address, parse_service
from bot.scoring.verdict import Level
from bot.storage.models.messaging import Subscription
from bot.storage.models.robots import Robot
from bot.storage.robots import register_robot, remove_robot, robot_by_id, robots_with_rules
from bot.trust.group_rules import ALERTS_OFF, parse_alert_level
from bot.trust.moderation import Actor, Moderation

# Who registers from the command line: the operator, whom no rule limits.
OPERATOR = "cli"


@dataclass(frozen=True)
class RobotView:
    number: int
    service: Service
    mask: str  # host and the token's last characters: never the address
    keyword: str | None
    signed: bool
    owner: str
    alert_level: str  # a Level value, or ALERTS_OFF
    digest_time: str | None  # None: no digest
    paused_at: datetime | None
    pause_reason: str | None

    @property
    def place(self) -> int:
        """Its key in the subscription, allowlist and outbox tables."""
        return robot_target(self.number)


def _view(robot: Robot, subscription: Subscription | None) -> RobotView:
    return RobotView(
        robot.id,
        Service(robot.service),
        robot.address_mask,
        robot.keyword,
        robot.secret_sealed is not None,
        robot.owner,
        subscription.alert_level if subscription else Level.high.value,
        subscription.digest_time if subscription and subscription.digest_enabled else None,
        robot.paused_at,
        robot.pause_reason,
    )


class Robots:
    def __init__(
        self,
        moderation: Moderation,
        sealer: Sealer,
        clock: Clock = utc_now,
        allowed_hosts: Collection[str] = (),
        per_owner: int = ROBOTS_PER_OWNER,
    ):
        self.moderation = moderation
        self.sealer = sealer
        self.clock = clock
        self.allowed_hosts = frozenset(h.lower() for h in allowed_hosts)
        self.per_owner = per_owner

    async def _unlimited(self, by: str) -> bool:
        """The operator and the 版主 manage every robot."""
        return by == OPERATOR or await self.moderation.is_moderator(by)

    async def may_register(self, by: str) -> None:
        """A 版主, or the owner of a verified shop that is not banned: alerts are the
        pool's voice, and a robot is a door out of the bot into someone's group."""
        if await self._unlimited(by):
            return
        shop = await self.moderation.blacklist.shop_or_none(by)
        if shop is None or shop.owner != by or shop.verified_at is None or shop.banned_at is not None:
            raise NotAllowed("robots.not_allowed")

    async def add(self, by: str, request: RobotRequest) -> tuple[RobotView, bool]:
        """Register (or register again) a robot; returns it and whether it is new."""
        await self.may_register(by)
        kind = None
        if request.kind is not None:
            kind = parse_service(request.kind)
            if kind is None:
                raise BadInput("robots.kind_unknown", word=request.kind)
        address = parse_address(request.address, kind, self.allowed_hosts)
        secret = check_secret(address.service, request.secret)
        if request.keyword and address.service == Service.wecom:
            raise BadInput("robots.no_keyword", service=address.service.value)
        level = parse_alert_level(request.level) if request.level else Level.high.value
        if level == ALERTS_OFF:
            raise BadInput("robots.level_off")
        digest_enabled = True
        digest_time = DEFAULT_DIGEST_TIME
        if request.digest is not None:
            if request.digest in ("关", "关闭", "off"):
                digest_enabled = False
            else:
                digest_time = parse_digest_time(request.digest)
        digest = self.sealer.digest("robot-address", address.url)
        if not await self._unlimited(by):
            owned = [r for r, _ in await robots_with_rules(by)]
            if len(owned) >= self.per_owner and all(r.address_digest != digest for r in owned):
                raise Limited("robots.too_many", limit=self.per_owner)
        robot, created = await register_robot(
            service=address.service.value,
            host=address.host,
            address_sealed=self.sealer.seal(address.url),
            address_digest=digest,
            address_mask=address.mask,
            secret_sealed=self.sealer.seal(secret) if secret else None,
            keyword=request.keyword,
            owner=by,
            alert_level=level,
            digest_time=digest_time,
            digest_enabled=digest_enabled,
            now=self.clock(),
        )
        return (await self.view(robot.id)), created

    async def view(self, number: int) -> RobotView:
        for robot, subscription in await robots_with_rules():
            if robot.id == number:
                return _view(robot, subscription)
        raise NotFound("robots.not_found", number=number)

    async def visible(self, by: str) -> list[RobotView]:
        """The robots `by` may manage: a 版主's and the operator's list has every robot."""
        owner = None if await self._unlimited(by) else by
        return [_view(robot, subscription) for robot, subscription in await robots_with_rules(owner)]

    async def _own(self, by: str, number: int) -> RobotView:
        robot = await robot_by_id(number)
        if robot is None or (robot.owner != by and not await self._unlimited(by)):
            # Another's robot gets the same answer as none at all.
            raise NotFound("robots.not_found", number=number)
        return await self.view(number)

    async def remove(self, by: str, number: int) -> RobotView:
        view = await self._own(by, number)
        await remove_robot(number, self.clock())
        return view

    async def rules_actor(self, by: str, number: int) -> Actor:
        """Who changes a robot's rules (/设置's alert level, digest and allowlist) is its
        owner, acting as a group's admin would in the robot's place."""
        view = await self._own(by, number)
        return Actor(by, view.place, group_admin=True)
