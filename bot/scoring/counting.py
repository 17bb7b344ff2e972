"""Which reports count (DESIGN.md §7): the one rule, written once.

Every report is evidence and is shown; only a report that *counts* makes up the shop
minimums of 高风险 and 极高风险, sends alerts and opens joint cases. A report counts
while it is active, carries an order number, is not held for a 版主's review (its shop's
reports on the buyer were removed on appeal before), and its shop is verified and not
banned.

The database applies the same rule in SQL (bot/storage/_sql.py, COUNTS), for the
verdict's facts, the joint cases and the digests; tests/core/test_counting.py checks
that the two agree on every combination.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.states import ReportState


@dataclass(frozen=True, slots=True)
class Standing:
    """What decides whether one report counts."""

    state: ReportState
    has_order: bool
    shop_verified: bool
    shop_banned: bool
    held: bool = False


def shop_stands(verified: bool, banned: bool) -> bool:
    """A shop whose word counts: verified and not banned. Only such a shop's reports
    count, and only it may look buyers up by phone or address."""
    return verified and not banned


def counts(standing: Standing) -> bool:
    return (
        standing.state is ReportState.active
        and standing.has_order
        and not standing.held
        and shop_stands(standing.shop_verified, standing.shop_banned)
    )
