"""Which reports count (bot/scoring/counting.py) is one rule: the SQL the database runs
(bot/storage/_sql.py COUNTS) agrees with the Python predicate on every combination (verified, banned, order number, held for review, state)."""

import itertools
from datetime import UTC, datetime

from bot.scoring.counting import Standing, counts
from bot.states import ReportState
from bot.storage._sql import COUNTS, SHOP, select
from bot.storage.models.reports import Buyer, Report
from bot.storage.models.shops import Shop

NOW = datetime(2026, 11, 1, tzinfo=UTC)


async def test_the_sql_and_the_python_rule_agree_on_every_combination(pool):
    buyer = await Buyer.create(platform="taobao", buyer_key="b")
    expected: dict[int, bool] = {}
    combinations = list(
        itertools.product((True, False), (True, False), (True, False), (True, False), list(ReportState))
    )
    for number, (verified, banned, has_order, held, state) in enumerate(combinations):
        shop = await Shop.create(
            owner=f"qq:{10000 + number}",
            platform="taobao",
            name=f"店{number}",
            name_key=f"店{number}",
            verified_at=NOW if verified else None,
            banned_at=NOW if banned else None,
        )
        report = await Report.create(
            shop=shop,
            buyer=buyer,
            category="extortion",
            order_no="3720000000000101" if has_order else None,
            dedup_key=f"k{number}",
            state=state,
            held=held,
        )
        expected[report.id] = counts(Standing(state, has_order, verified, banned, held))
    rows = await select(f"SELECT r.id, CASE WHEN {COUNTS} THEN 1 ELSE 0 END FROM report r {SHOP}")
    assert {row[0]: bool(row[1]) for row in rows} == expected
    # Both answers occur: the rule is not trivially true or false.
    assert sum(expected.values()) == 1 and len(expected) == 64
