"""Where a subscriber's messages go, as one integer.

The core has always keyed a subscriber by its QQ group number: its subscription, its
rules (/设置), its allowlist, its outbox rows, the groups an alert reached. Webhook robots
(企业微信, 钉钉, 飞书) and the groups of the official QQ bot (which knows a group only by
an openid string) are subscribers with the same rules, so they get an integer too, from
a key space no QQ group can ever have: QQ numbers are positive, these are negative. A
robot is -<its number>; a group of the official QQ bot is -(QQBOT_BAND + <its number>).
Nothing in the alert, digest and correction queries changes for them, and a robot's
number can never equal a QQ group's: (target_id, event_key) stays unique per place."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

# Robots take -1 … -(QQBOT_BAND - 1), groups of the official QQ bot what lies below.
QQBOT_BAND = 10**12


class Network(StrEnum):
    qq = "qq"  # a QQ group (or, on the private channel, a QQ user) through OneBot v11
    robot = "robot"  # a webhook robot: push only
    qqbot = "qqbot"  # a group of the official QQ bot (QQ 开放平台)


@dataclass(frozen=True, slots=True)
class Place:
    network: Network
    number: int  # the QQ group number, the robot's number, the QQ bot group's number


def place_of(target_id: int) -> Place:
    if target_id > 0:
        return Place(Network.qq, target_id)
    if -target_id < QQBOT_BAND:
        return Place(Network.robot, -target_id)
    return Place(Network.qqbot, -target_id - QQBOT_BAND)


def robot_target(robot_id: int) -> int:
    if not 0 < robot_id < QQBOT_BAND:
        raise ValueError(f"robot number out of range: {robot_id}")
    return -robot_id


def qqbot_group_target(number: int) -> int:
    if number <= 0:
        raise ValueError(f"QQ bot group number out of range: {number}")
    return -(QQBOT_BAND + number)
