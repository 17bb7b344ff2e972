"""The kinds of malicious buyer (DESIGN.md §1) and how much each one weighs."""

from __future__ import annotations

from enum import StrEnum

from bot.errors import BadInput
from bot.identity.text import excerpt, fold


class Category(StrEnum):
    extortion = "extortion"
    malicious_unpaid = "malicious_unpaid"
    return_fraud = "return_fraud"
    fake_complaint = "fake_complaint"
    scalper = "scalper"
    abnormal_review = "abnormal_review"
    other = "other"

    @property
    def label(self) -> str:
        return LABELS[self]

    @property
    def severity(self) -> float:
        return SEVERITY[self]


LABELS = {
    Category.extortion: "差评敲诈",
    Category.malicious_unpaid: "恶意下单",
    Category.return_fraud: "恶意退货",
    Category.fake_complaint: "恶意投诉",
    Category.scalper: "黄牛",
    Category.abnormal_review: "异常评价",
    Category.other: "其他",
}

# Severity is the harm one confirmed case does to a small shop: extortion costs money
# and rating directly; scalping costs margin but rarely the shop's standing.
SEVERITY = {
    Category.extortion: 1.0,
    Category.fake_complaint: 0.9,
    Category.return_fraud: 0.8,
    Category.malicious_unpaid: 0.7,
    Category.abnormal_review: 0.6,
    Category.scalper: 0.5,
    Category.other: 0.4,
}

_WORDS = {
    **{c.value: c for c in Category},
    **{label: c for c, label in LABELS.items()},
    "差评师": Category.extortion,
    "敲诈": Category.extortion,
    "差评": Category.extortion,
    "恶拍": Category.malicious_unpaid,
    "未付款": Category.malicious_unpaid,
    "拍而不付": Category.malicious_unpaid,
    "空包": Category.return_fraud,
    "少件": Category.return_fraud,
    "调包": Category.return_fraud,
    "退货": Category.return_fraud,
    "职业打假": Category.fake_complaint,
    "打假": Category.fake_complaint,
    "投诉": Category.fake_complaint,
    "恶意评价": Category.abnormal_review,
    "other": Category.other,
}


def parse_category(word: str) -> Category | None:
    return _WORDS.get(fold(word))


def require_category(word: str) -> Category:
    category = parse_category(word)
    if category is None:
        raise BadInput("category_unknown", word=excerpt(word), categories=list(Category))
    return category


def category_in_text(text: str) -> Category | None:
    """The kind named somewhere in free text ("差评敲诈20元" → extortion), for imported
    blacklists whose 原因 column is a sentence. Longest word first, so 恶意退货 wins over 退货."""
    folded = fold(text)
    for word in sorted(_WORDS, key=len, reverse=True):
        if len(word) >= 2 and word in folded:
            return _WORDS[word]
    return None
