"""The verdict formula, without a database (README: "The verdict")."""

from datetime import UTC, datetime, timedelta

import pytest

from bot.scoring.categories import Category
from bot.scoring.red_flags import flag, parse_flag, red_flags
from bot.scoring.verdict import Level, ReportFact, judge, recency

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def fact(shop, category=Category.extortion, days=0, buyer=1, linked_by=None, counts=True, roots="m"):
    """A report from a shop vouched for by a 版主, unless `roots` says otherwise."""
    return ReportFact(shop, category, NOW - timedelta(days=days), buyer, linked_by, counts, roots=roots)


def test_no_reports_is_no_record():
    verdict = judge([], NOW)
    assert verdict.level is Level.none and verdict.score == 0 and verdict.advice == ["no_record"]


def test_recency_halves_every_180_days():
    assert recency(NOW, NOW) == 1.0
    assert recency(NOW - timedelta(days=180), NOW) == pytest.approx(0.5)
    assert recency(NOW - timedelta(days=360), NOW) == pytest.approx(0.25)


def test_one_shop_alone_never_goes_above_watch():
    many = [fact(1, category, days=0) for category in Category] + [fact(1, Category.extortion, days=0)] * 20
    verdict = judge(many, NOW)
    assert verdict.shops == 1
    assert verdict.score == 50
    assert verdict.level is Level.watch


def test_distinct_shops_are_what_counts():
    two = judge([fact(1), fact(2)], NOW)
    assert two.score == 75 and two.level is Level.high
    three = judge([fact(1), fact(2), fact(3)], NOW)
    assert three.score == 88 and three.level is Level.severe


def test_severity_and_age_lower_the_score():
    scalpers = judge([fact(1, Category.scalper), fact(2, Category.scalper)], NOW)
    assert scalpers.score == 44 and scalpers.level is Level.watch
    old = judge([fact(1, days=720), fact(2, days=720)], NOW)
    assert old.score == 6 and old.level is Level.low  # 2 × ½ × 1.0 × 0.5⁴


def test_linked_reports_count_at_0_8_and_are_named():
    verdict = judge([fact(1), fact(2, buyer=2, linked_by="phone")], NOW)
    # 1 - (1 - 0.5) * (1 - 0.4) = 0.7
    assert verdict.score == 70 and verdict.level is Level.high
    assert verdict.shops == 2 and verdict.linked_shops == 1


def test_reasons_count_shops_per_category_and_latest_report():
    verdict = judge([fact(1, days=10), fact(1, days=3), fact(2, Category.return_fraud, days=5), fact(3, days=40)], NOW)
    assert verdict.categories == [(Category.extortion, 2), (Category.return_fraud, 1)]
    assert verdict.last_reported_days == 3


def test_advice_follows_level_and_category():
    unpaid = judge(
        [fact(1, Category.malicious_unpaid), fact(2, Category.malicious_unpaid), fact(3, Category.malicious_unpaid)],
        NOW,
    )
    assert unpaid.advice[0] == "unpaid" and "block" in unpaid.advice and "together" in unpaid.advice
    single = judge([fact(1, Category.extortion)], NOW)
    assert "extortion" in single.advice and "block" not in single.advice


def test_flags_alone_stop_at_watch():
    every_flag_but_money = [f for f in red_flags().values() if not f.can_reach_high]
    verdict = judge([], NOW, flags=every_flag_but_money)
    assert verdict.score >= 85 and verdict.shops == 0 and verdict.level is Level.watch


def test_one_flag_alone_is_a_reason_not_a_verdict():
    verdict = judge([], NOW, flags=[flag("no_inquiry")])
    assert verdict.score == 10 and verdict.level is Level.low and verdict.advice == ["paid"]


def test_demanding_money_reaches_high_but_not_severe():
    verdict = judge([], NOW, flags=[flag("demands_money")])
    assert verdict.score == 90 and verdict.level is Level.high
    assert "extortion" in verdict.advice and "together" not in verdict.advice
    with_one_shop = judge([fact(1)], NOW, flags=[flag("demands_money"), flag("move_to_qq")])
    assert with_one_shop.score == 96 and with_one_shop.level is Level.high


def test_flags_combine_with_the_blacklist_score():
    # two shops 75; with 指定快递 0.2: 1 - 0.25 * 0.8 = 0.8
    verdict = judge([fact(1), fact(2)], NOW, flags=[flag("forced_courier")])
    assert verdict.blacklist_score == 75 and verdict.score == 80 and verdict.level is Level.high
    three = judge([fact(1), fact(2)], NOW, flags=[flag("demands_money")])
    assert three.score == 98 and three.level is Level.high  # 极高风险 needs three shops


@pytest.mark.parametrize(
    ("word", "code"),
    [
        ("没咨询", "no_inquiry"),
        ("要QQ", "move_to_qq"),
        ("要ｑｑ", "move_to_qq"),
        ("索要改评费", "demands_money"),
        ("只拍赠品", "gift_only"),
        ("异地号", "phone_other_province"),
    ],
)
def test_flag_words(word, code):
    assert parse_flag(word).code == code


def test_shared_identity_cannot_be_typed():
    assert all(parse_flag(w) is None or parse_flag(w).code != "shared_identity" for w in ["同号", "shared_identity"])


def test_two_shops_vouched_by_one_admin_stop_at_watch():
    """DESIGN.md §7: a buyer reaches 高风险 only when the counting shops rest on two
    independent roots: two vouchers in two groups, or a 版主."""
    one_admin = [fact(1, roots="qq:500@700"), fact(2, roots="qq:500@700"), fact(3, roots="qq:500@700")]
    verdict = judge(one_admin, NOW)
    assert verdict.score == 88 and verdict.level is Level.watch and not verdict.roots_independent
    # Two admins of one group, or one admin in two groups: still one root's reach.
    assert judge([fact(1, roots="qq:500@700"), fact(2, roots="qq:501@700")], NOW).level is Level.watch
    assert judge([fact(1, roots="qq:500@700"), fact(2, roots="qq:500@701")], NOW).level is Level.watch
    # Two vouchers in two groups, or a 版主 behind one shop: independent.
    assert judge([fact(1, roots="qq:500@700"), fact(2, roots="qq:501@701")], NOW).level is Level.high
    assert judge([fact(1, roots="qq:500@700"), fact(2, roots="m")], NOW).level is Level.high
    # A shop with a second voucher elsewhere gives the pair its second root.
    assert judge([fact(1, roots="qq:500@700,qq:502@702"), fact(2, roots="qq:500@700")], NOW).level is Level.high


def test_the_score_shown_is_the_counting_reports_score():
    """Three unverified sock accounts: 需警惕, but the number is the counting reports' (0),
    their evidence counted apart."""
    socks = [fact(n, counts=False, roots="") for n in (1, 2, 3)]
    verdict = judge(socks, NOW)
    assert verdict.level is Level.watch and verdict.score == 0 and verdict.evidence_score == 88
    assert verdict.shops == 3 and verdict.verified_shops == 0 and verdict.unverified_shops == 3
    mixed = judge([fact(1), fact(2), fact(3, counts=False, roots="")], NOW)
    assert mixed.level is Level.high and mixed.score == 75 and mixed.evidence_score == 88
