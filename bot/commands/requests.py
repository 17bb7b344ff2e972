"""What a caller asks of the core, whatever front door it came through: the chat's
argument parser (bot.arguments) builds these from a message, the HTTP API from JSON.
Values are already normalised (buyer ids folded, amounts in fen, free text redacted)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.cases.flows import Scenario
from bot.identity.platforms import Platform
from bot.scoring.categories import Category


@dataclass(frozen=True)
class BindRequest:
    platform: Platform
    name: str


@dataclass(frozen=True)
class CheckRequest:
    platform: Platform
    buyer_id: str
    phone: str | None = None
    address: str | None = None
    flags: tuple[str, ...] = ()  # red flag codes (bot/data/red_flags.toml)
    detail: bool = False  # `/查 … 详细`: every reason and every next step
    alert_id: int | None = None  # `/查 预警3`: the buyer of that alert (masked in groups)


@dataclass(frozen=True)
class ReportRequest:
    platform: Platform
    buyer_id: str
    category: Category
    order_no: str | None = None
    amount_fen: int | None = None
    description: str = ""
    phone: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class AppealRequest:
    platform: Platform
    buyer_id: str
    reason: str


@dataclass(frozen=True)
class AllowRequest:
    """A group allows a buyer (/设置 放行): never alerted to that group."""

    platform: Platform
    buyer_id: str
    reason: str


@dataclass(frozen=True)
class GuideRequest:
    """`/处理 [场景|#编号 [删除]] [平台] [买家ID] [订单号]`."""

    scenario: Scenario | None = None
    case_id: int | None = None
    drop: bool = False
    platform: Platform | None = None
    buyer_id: str | None = None
    order_no: str | None = None
