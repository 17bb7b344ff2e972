"""The verdict on a buyer: a confidence score from distinct reporting shops.

Modelled on abuse-reputation services (AbuseIPDB's confidence score): what counts is how
many *independent* reporters there are, weighted by how bad and how recent their reports
are, so that one loud shop can never brand a buyer on its own.

    weight(shop) = max over the shop's active reports of
                   severity(category) × 0.5 ** (age_days / 180) × link_factor
    score        = 100 × (1 − Π over shops (1 − ½ · weight(shop)))

One shop contributes at most ½, so alone it reaches at most 50 points. The score shown
is that of the reports that *count* (bot/scoring/counting.py: a verified shop's report
with an order number); the others are evidence, shown as a count beside it, and alone
they stop at `需警惕` (the evidence score, every report's, decides `需警惕`). `高风险`
needs a score ≥ 60 from two distinct shops that count, `极高风险` ≥ 85 from three, and
either one more thing (DESIGN.md §7): the counting shops' verifications rest on two
independent roots, two different vouchers in two different groups, or one 版主, so that
one rogue admin and the shops they vouched for never brand a buyer alone. Reports on
accounts linked to this buyer by the same phone or address hash count with link_factor
0.8 (a shared address can be a dormitory); the buyer's own reports count fully.

Red flags about the order at hand (bot/data/red_flags.toml) combine with that score as
independent evidence:

    score = 100 × (1 − (1 − blacklist/100) × Π over flags (1 − weight(flag)))

Flags never stand in for distinct shops: without two reporting shops the level stops at
`需警惕`, unless a flag that is extortion on its face (索要改评费, `can_reach_high`) is
present, which may reach `高风险`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import lru_cache

from bot.scoring.categories import Category
from bot.scoring.red_flags import RedFlag

HALF_LIFE_DAYS = 180.0
LINK_FACTOR = 0.8
WATCH_SCORE = 25
HIGH_SCORE = 60
HIGH_MIN_SHOPS = 2
SEVERE_SCORE = 85
SEVERE_MIN_SHOPS = 3


class Level(StrEnum):
    none = "无记录"
    low = "低风险"
    watch = "需警惕"
    high = "高风险"
    severe = "极高风险"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {level: index for index, level in enumerate(Level)}


@dataclass(frozen=True)
class ReportFact:
    """One active report, as the verdict sees it."""

    shop_id: int
    category: Category
    created_at: datetime
    buyer_id: int
    linked_by: str | None = None  # None: on this buyer; "phone" / "address": on a linked account
    # Whether the report counts toward the shop minimums (bot/scoring/counting.py).
    counts: bool = True
    report_id: int = 0
    # Who the shop's verification rests on (the shop's roots: "m" a 版主, "<voucher>@<group>").
    roots: str = ""


@dataclass(frozen=True)
class LinkedAccount:
    buyer_id: str
    platform_label: str
    linked_by: str  # "phone" | "address"


@dataclass
class Verdict:
    level: Level
    score: int  # of the reports that count, and the order's red flags: the number shown
    shops: int = 0
    linked_shops: int = 0
    # Of `shops`, those that count (verified, with an order number), and the others.
    verified_shops: int = 0
    # Every report's score (what decides 需警惕; never the headline number).
    evidence_score: int = 0
    # The counting shops' verifications rest on independent roots (DESIGN.md §7).
    roots_independent: bool = True
    appeal_open: bool = False
    categories: list[tuple[Category, int]] = field(default_factory=list)
    last_reported_at: datetime | None = None
    last_reported_days: int | None = None
    linked_accounts: list[LinkedAccount] = field(default_factory=list)
    flags: list[RedFlag] = field(default_factory=list)
    blacklist_score: int = 0  # `score` without the red flags
    advice: list[str] = field(default_factory=list)

    @property
    def top_category(self) -> Category | None:
        return self.categories[0][0] if self.categories else None

    @property
    def unverified_shops(self) -> int:
        return self.shops - self.verified_shops


def recency(created_at: datetime, now: datetime) -> float:
    age_days = max(0.0, (now - created_at).total_seconds() / 86400)
    return 0.5 ** (age_days / HALF_LIFE_DAYS)


def fact_weight(fact: ReportFact, now: datetime) -> float:
    link = 1.0 if fact.linked_by is None else LINK_FACTOR
    return fact.category.severity * recency(fact.created_at, now) * link


def level_for(
    score: int,
    shops: int,
    flags: Sequence[RedFlag] = (),
    counting_shops: int | None = None,
    evidence_score: int | None = None,
    roots_independent: bool = True,
) -> Level:
    """score: of the counting reports (and flags); counting_shops: of the reporting shops,
    those that count (default: all); evidence_score: of every report (default: score)."""
    counting = shops if counting_shops is None else counting_shops
    if shops == 0 and not flags:
        return Level.none
    if score >= SEVERE_SCORE and counting >= SEVERE_MIN_SHOPS and roots_independent:
        return Level.severe
    if score >= HIGH_SCORE and (
        (counting >= HIGH_MIN_SHOPS and roots_independent) or any(f.can_reach_high for f in flags)
    ):
        return Level.high
    if max(score, evidence_score if evidence_score is not None else score) >= WATCH_SCORE:
        return Level.watch
    return Level.low


@lru_cache(maxsize=4096)
def _roots(text: str) -> frozenset[tuple[str, str]]:
    """A shop's roots: ("m", "") for a 版主, (voucher, group) for a group admin."""
    found = set()
    for token in text.split(","):
        if token == "m":
            found.add(("m", ""))
        elif "@" in token:
            voucher, _, group = token.rpartition("@")
            found.add((voucher, group))
    return frozenset(found)


def roots_independent(shop_roots: Iterable[str]) -> bool:
    """Whether the counting shops' verifications rest on more than one root: any of
    them vouched for by a 版主, or two of them by different vouchers in different groups.
    (Whether there are enough counting shops is the minimums' own rule.)"""
    parsed = [_roots(text) for text in shop_roots]
    if any(("m", "") in roots for roots in parsed):
        return True
    for i, first in enumerate(parsed):
        for second in parsed[i + 1 :]:
            if any(a[0] != b[0] and a[1] != b[1] for a in first for b in second):
                return True
    return False


def judge(
    facts: list[ReportFact],
    now: datetime,
    linked_accounts: list[LinkedAccount] | None = None,
    flags: Sequence[RedFlag] | None = None,
    appeal_open: bool = False,
) -> Verdict:
    strongest: dict[int, float] = {}
    counting: dict[int, float] = {}  # a counting shop's strongest counting report
    roots: dict[int, str] = {}
    direct_shops: set[int] = set()
    shop_categories: set[tuple[int, Category]] = set()
    last: datetime | None = None
    for fact in facts:
        weight = fact_weight(fact, now)
        strongest[fact.shop_id] = max(weight, strongest.get(fact.shop_id, 0.0))
        if fact.linked_by is None:
            direct_shops.add(fact.shop_id)
        if fact.counts:
            counting[fact.shop_id] = max(weight, counting.get(fact.shop_id, 0.0))
            roots[fact.shop_id] = fact.roots
        shop_categories.add((fact.shop_id, fact.category))
        if last is None or fact.created_at > last:
            last = fact.created_at

    flags = list(flags or [])
    flagged = math.prod(1 - f.weight for f in flags)
    counted = math.prod(1 - 0.5 * w for w in counting.values())
    score = round(100 * (1 - counted * flagged))
    evidence_score = round(100 * (1 - math.prod(1 - 0.5 * w for w in strongest.values()) * flagged))
    independent = len(counting) < HIGH_MIN_SHOPS or roots_independent(roots.values())
    shops = len(strongest)
    counts = Counter(category for _, category in shop_categories)
    # Most shops first; on a tie the more severe kind leads, since it decides the advice.
    categories = sorted(counts.items(), key=lambda item: (-item[1], -item[0].severity))
    verdict = Verdict(
        level=level_for(score, shops, flags, len(counting), evidence_score, independent),
        score=score,
        evidence_score=evidence_score,
        roots_independent=independent,
        blacklist_score=round(100 * (1 - counted)),
        shops=shops,
        linked_shops=len(set(strongest) - direct_shops),
        verified_shops=len(counting),
        appeal_open=appeal_open,
        categories=categories,
        last_reported_at=last,
        last_reported_days=None if last is None else max(0, (now - last).days),
        linked_accounts=linked_accounts or [],
        flags=flags,
    )
    verdict.advice = advise(verdict)
    return verdict


# Flags whose advice is more specific than the category advice; the others fold into
# "paid" (ship normally, film the packing).
_FLAG_ADVICE = {
    "many_unpaid": "unpaid",
    "forced_courier": "flag_forced_courier",
    "remote_address": "flag_remote",
    "phone_other_province": "flag_remote",
    "move_to_qq": "extortion",
    "demands_money": "extortion",
    "early_receipt": "flag_early_receipt",
    "gift_only": "flag_gift_bundle",
    "single_from_bundle": "flag_gift_bundle",
    "shared_identity": "flag_shared_identity",
}


def advise(verdict: Verdict) -> list[str]:
    """Which next steps apply; their wording lives in templates/check/_advice.j2.

    The rules come from DESIGN.md §3: whatever the level, the merchant must not break a
    platform rule (closing an unpaid trade, refusing to ship a paid order without proof).
    """
    if verdict.level is Level.none:
        return ["no_record"]
    kinds = [category for category, _ in verdict.categories]
    wanted: set[str] = {_FLAG_ADVICE[f.code] for f in verdict.flags if f.code in _FLAG_ADVICE}
    if verdict.level is Level.low and not wanted:
        return ["low"] if verdict.shops else ["paid"]
    if Category.malicious_unpaid in kinds or Category.scalper in kinds:
        wanted.add("unpaid")
    if Category.extortion in kinds or Category.abnormal_review in kinds:
        wanted.add("extortion")
    if Category.return_fraud in kinds:
        wanted.add("returns")
    if Category.fake_complaint in kinds:
        wanted.add("complaint")
    wanted.add("paid")
    if verdict.level.rank >= Level.high.rank:
        wanted.update(("block", "together") if verdict.shops >= 2 else ("block",))
    return [key for key in ADVICE_ORDER if key in wanted]


ADVICE_ORDER = (
    "unpaid",
    "paid",
    "flag_forced_courier",
    "flag_remote",
    "extortion",
    "flag_early_receipt",
    "returns",
    "complaint",
    "flag_gift_bundle",
    "flag_shared_identity",
    "block",
    "together",
)
