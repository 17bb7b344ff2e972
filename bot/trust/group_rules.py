"""Each group sets its own rules (/设置): the level at which it is alerted, its digest, its
own platform (for members without a shop: a 拼多多 sellers' group), the buyers it has
allowed, and whether the bot reads every picture posted in it. The shared verdict stays the same for everyone; a group only
decides what reaches it.

Owners and admins of the group change its rules, and 版主 in any group; every change is
logged with who made it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from bot.clock import Clock, utc_now
from bot.commands.requests import AllowRequest
from bot.errors import BadInput, NotAllowed, NotFound
from bot.identity.platforms import Platform, parse_platform
from bot.identity.text import excerpt, fold
from bot.messaging.alerts import DEFAULT_DIGEST_TIME, parse_digest_time
from bot.scoring.verdict import Level
from bot.storage.group_rules import (
    allow_buyer,
    allowance_of,
    allowing_groups,
    allowlist,
    change_group_rule,
    disallow_buyer,
    find_buyer,
    group_platforms,
    group_rule_changes,
    rules_of_group,
    screenshot_groups,
)
from bot.storage.models.groups import GroupSettingChange
from bot.storage.reports import buyer_for
from bot.trust.moderation import Actor, Moderation

ALERTS_OFF = "关"
ALERT_LEVELS = (Level.high, Level.severe)
DEFAULT_ALERT_LEVEL = Level.high.value
# How long a process trusts its list of the groups that allowed a buyer, and of the
# groups' platforms (see GroupRules): another process's change (the dashboard's) is seen
# this late at most.
ALLOWING_GROUPS_SECONDS = 30
_OFF = ("关", "关闭", "off", "不要", "停")
_ON = ("开", "开启", "打开", "on", "要")
_LEVEL_WORDS = {
    "高风险": Level.high.value,
    "高": Level.high.value,
    "high": Level.high.value,
    "极高风险": Level.severe.value,
    "极高": Level.severe.value,
    "severe": Level.severe.value,
}


def parse_alert_level(word: str) -> str:
    """高风险, 极高风险 (or 高, severe…), or ALERTS_OFF."""
    folded = fold(word)
    level = ALERTS_OFF if folded in _OFF else _LEVEL_WORDS.get(folded)
    if level is None:
        raise BadInput("rules.bad_level", word=excerpt(word))
    return level


@dataclass(frozen=True)
class Allowance:
    platform: Platform
    buyer_id: str
    reason: str
    added_by: str
    at: datetime


@dataclass(frozen=True)
class GroupRulesView:
    group_id: int
    subscribed: bool
    alert_level: str  # a Level value, or ALERTS_OFF
    digest_time: str | None  # None: the digest is off
    platform: Platform | None  # for members without a shop; None: every platform
    allowed: list[Allowance]
    changes: list[GroupSettingChange]  # the latest first
    read_screenshots: bool = False  # every picture posted here is read (自动识别截图)


def _allowance(platform: str, buyer_key: str, reason: str, added_by: str, at: datetime) -> Allowance:
    return Allowance(Platform(platform), buyer_key, reason, added_by, at)


class GroupRules:
    def __init__(self, moderation: Moderation, clock: Clock = utc_now):
        self.moderation = moderation
        self.clock = clock
        # The groups that allowed any buyer: every /查 in a group asks for its allowance,
        # and most groups never allowed anyone, so most /查 need no second statement.
        # Re-read every ALLOWING_GROUPS_SECONDS for the changes another process made (the
        # web dashboard); this process's own changes take effect at once.
        self._allowing: frozenset[int] | None = None
        self._allowing_read_at = 0.0
        # The groups' own platforms: every command from a member without a shop in a
        # group asks, and most groups set none (the same re-reading as above).
        self._platforms: dict[int, Platform] | None = None
        self._platforms_read_at = 0.0

        # The groups that read every picture: asked of every picture posted anywhere, by
        # the chat's door, which cannot wait for the database. Loaded at start, changed
        # here at once, and re-read by refresh_screenshot_groups for other processes.
        self._screenshot_groups: frozenset[int] = frozenset()

    async def _may_change(self, by: Actor) -> int:
        if by.group_id is None:
            raise NotAllowed("rules.group_only")
        if not by.group_admin and not await self.moderation.is_moderator(by.account):
            raise NotAllowed("rules.not_admin")
        return by.group_id

    async def view(self, group_id: int) -> GroupRulesView:
        rules = await rules_of_group(group_id)
        allowed = [
            _allowance(a.buyer.platform, a.buyer.buyer_key, a.reason, a.added_by, a.created_at)
            for a in await allowlist(group_id)
        ]
        changes = await group_rule_changes(group_id, limit=3)
        if rules is None:
            return GroupRulesView(group_id, False, DEFAULT_ALERT_LEVEL, DEFAULT_DIGEST_TIME, None, allowed, changes)
        return GroupRulesView(
            group_id,
            rules.active,
            rules.alert_level,
            rules.digest_time if rules.digest_enabled else None,
            Platform(rules.platform) if rules.platform else None,
            allowed,
            changes,
            rules.read_screenshots,
        )

    async def set_alert_level(self, by: Actor, word: str) -> GroupRulesView:
        group_id = await self._may_change(by)
        level = parse_alert_level(word)
        before = await self.view(group_id)
        await change_group_rule(
            group_id, by.account, "预警", before.alert_level, level, self.clock(), alert_level=level
        )
        return await self.view(group_id)

    async def set_digest(self, by: Actor, word: str) -> GroupRulesView:
        group_id = await self._may_change(by)
        before = await self.view(group_id)
        was = before.digest_time or ALERTS_OFF
        if fold(word) in _OFF:
            await change_group_rule(group_id, by.account, "日报", was, ALERTS_OFF, self.clock(), digest_enabled=False)
        else:
            time = parse_digest_time(word)
            await change_group_rule(
                group_id, by.account, "日报", was, time, self.clock(), digest_time=time, digest_enabled=True
            )
        return await self.view(group_id)

    async def set_platform(self, by: Actor, word: str) -> GroupRulesView:
        """`/设置 平台 拼多多`, or `关`: the platform of a buyer named without one by a member
        who has no shop."""
        group_id = await self._may_change(by)
        before = await self.view(group_id)
        was = before.platform.label if before.platform else ALERTS_OFF
        if fold(word) in _OFF:
            await change_group_rule(group_id, by.account, "平台", was, ALERTS_OFF, self.clock(), platform=None)
        else:
            platform = parse_platform(word[:20])
            if platform is None:
                raise BadInput("platform_unknown", word=excerpt(word))
            await change_group_rule(
                group_id, by.account, "平台", was, platform.label, self.clock(), platform=platform.value
            )
        self._platforms = None
        return await self.view(group_id)

    async def platform_of(self, group_id: int) -> Platform | None:
        """The group's own platform (/设置 平台), if it set one."""
        if self._platforms is None or time.monotonic() - self._platforms_read_at > ALLOWING_GROUPS_SECONDS:
            self._platforms = {group: Platform(p) for group, p in (await group_platforms()).items()}
            self._platforms_read_at = time.monotonic()
        return self._platforms.get(group_id)

    async def set_screenshot_reading(self, by: Actor, word: str) -> GroupRulesView:
        """`/设置 自动识别截图 开|关`."""
        group_id = await self._may_change(by)
        folded = fold(word)
        if folded not in _ON and folded not in _OFF:
            raise BadInput("rules.bad_switch", word=excerpt(word))
        on = folded in _ON
        before = await self.view(group_id)
        await change_group_rule(
            group_id,
            by.account,
            "自动识别截图",
            "开" if before.read_screenshots else "关",
            "开" if on else "关",
            self.clock(),
            read_screenshots=on,
        )
        self._screenshot_groups = self._screenshot_groups | {group_id} if on else self._screenshot_groups - {group_id}
        return await self.view(group_id)

    def reads_screenshots(self, group_id: int) -> bool:
        """Whether every picture posted in the group is read (no database: the door asks)."""
        return group_id in self._screenshot_groups

    async def refresh_screenshot_groups(self) -> None:
        self._screenshot_groups = frozenset(await screenshot_groups())

    async def allow(self, by: Actor, request: AllowRequest) -> tuple[GroupRulesView, bool]:
        """Returns the rules and whether the buyer was allowed before (reason replaced)."""
        group_id = await self._may_change(by)
        buyer = await buyer_for(request.platform.value, request.buyer_id)
        label = f"{request.platform.label} {request.buyer_id}"
        earlier = await allow_buyer(group_id, buyer.id, label, request.reason, by.account, self.clock())
        self._allowing = None
        return await self.view(group_id), earlier is not None

    async def disallow(self, by: Actor, platform: Platform, buyer_id: str) -> GroupRulesView:
        group_id = await self._may_change(by)
        buyer = await find_buyer(platform.value, buyer_id)
        label = f"{platform.label} {buyer_id}"
        if buyer is None or await disallow_buyer(group_id, buyer.id, label, by.account, self.clock()) is None:
            raise NotFound("rules.not_allowed", platform=platform, buyer_id=buyer_id)
        self._allowing = None
        return await self.view(group_id)

    async def allowance(self, group_id: int, platform: Platform, buyer_id: str) -> Allowance | None:
        """What /查 in this group says above the shared verdict."""
        if group_id not in await self._allowing_groups():
            return None
        found = await allowance_of(group_id, platform.value, buyer_id)
        if found is None:
            return None
        return _allowance(found.buyer.platform, found.buyer.buyer_key, found.reason, found.added_by, found.created_at)

    async def _allowing_groups(self) -> frozenset[int]:
        if self._allowing is None or time.monotonic() - self._allowing_read_at > ALLOWING_GROUPS_SECONDS:
            self._allowing = frozenset(await allowing_groups())
            self._allowing_read_at = time.monotonic()
        return self._allowing
