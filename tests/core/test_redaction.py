"""The one redaction and the relayed words (issue 25: ten ways of writing a phone number
reached the database, the WAL or the log in clear; a phone typed as a buyer id was kept
as the buyer's key; a reply repeated the number typed; an appeal's reason with line
breaks reached a shop as a line of its own in the bot's voice, with a link).

The phone formattings are generated (Hypothesis): every separator people put between
digits, the +86 / 0086 / 86 prefixes, full-width and other scripts' digits."""

from __future__ import annotations

import unicodedata
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.commands.grammar import parse_guide_arguments, parse_report
from bot.commands.requests import ReportRequest, normalise_order
from bot.errors import BadInput
from bot.identity.buyers import normalise_buyer_id
from bot.identity.fingerprints import normalise_phone
from bot.identity.platforms import Platform
from bot.identity.text import clean_text, is_mobile, log_safe, redact
from bot.messaging.render import render

# What people put between the digits of a phone number: dashes of every kind, the
# underscore, slashes, dots, commas, spaces, brackets, and their full-width forms.
SEPARATORS = [
    "-",
    "–",
    "—",
    "‐",
    "‑",
    "−",
    "－",
    "﹣",
    "_",
    "＿",
    "/",
    "／",
    "\\",
    ".",
    "．",
    "·",
    "・",
    "。",
    ",",
    "，",
    "、",
    " ",
    "  ",
    "\u3000",
    "\u00a0",
    "\t",
    "(",
    ")",
    "（",
    "）",
    "[",
    "]",
]
PREFIXES = ["", "86", "86 ", "86-", "+86", "+86 ", "+86-", "(+86)", "（+86）", "0086", "0086 ", "0086-", "+ 86 "]
# Digits as keyboards and fonts write them: ASCII, full-width, circled one-to-nine are
# not digits of a number, but these are.
DIGIT_FORMS = [
    "0123456789",
    "０１２３４５６７８９",
    "𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗",
    "٠١٢٣٤٥٦٧٨٩",
]


@st.composite
def phones(draw: st.DrawFn) -> tuple[str, str]:
    """(a mainland mobile number's 11 digits, one way of writing it)."""
    digits = (
        "1"
        + draw(st.sampled_from("3456789"))
        + "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=9, max_size=9)))
    )
    gaps = draw(
        st.lists(
            st.one_of(st.just(""), st.lists(st.sampled_from(SEPARATORS), min_size=1, max_size=2).map("".join)),
            min_size=10,
            max_size=10,
        )
    )
    forms = draw(st.lists(st.sampled_from(DIGIT_FORMS), min_size=11, max_size=11))
    written = "".join(form[int(d)] + gap for d, form, gap in zip(digits, forms, [*gaps, ""], strict=True))
    prefix = draw(st.sampled_from(PREFIXES))
    return digits, prefix + written


def _digits(text: str) -> str:
    return "".join(str(unicodedata.decimal(ch)) for ch in unicodedata.normalize("NFKC", text) if ch.isdecimal())


# The ten forms of the issue, and its buyer ids.
ISSUE_FORMS = [
    "138–1234–5678",
    "138_1234_5678",
    "138/1234/5678",
    "(138)1234-5678",
    "138，1234，5678",
    "138 - 1234 - 5678",
    "138  1234  5678",
    "8613812345678",
    "0086 13812345678",
    "86-138-1234-5678",
]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(phones())
@example(("13812345678", "138–1234–5678"))
@example(("13812345678", "(138)1234-5678"))
@example(("13812345678", "138 - 1234 - 5678"))
@example(("13912345678", "8613912345678"))
def test_a_mobile_number_is_found_however_it_is_written(phone: tuple[str, str]):
    digits, written = phone
    masked = f"{digits[:3]}****{digits[-4:]}"
    # In free text, between words without digits: only the mask is left.
    text = f"买家留的电话{written}，说不改评就一直打"
    redacted = redact(text)
    assert _digits(redacted) == digits[:3] + digits[-4:], (written, redacted)
    assert masked in redacted and redacted.startswith("买家留的电话") and redacted.endswith("说不改评就一直打")
    assert _digits(log_safe(text)) == digits[:3] + digits[-4:]
    # Given as a phone: the same eleven digits, hashed; as a buyer id or an order
    # number: refused, with the number shown masked only.
    assert is_mobile(written) and normalise_phone(written) == digits
    with pytest.raises(BadInput) as caught:
        normalise_buyer_id(written)
    assert caught.value.code == "buyer_id_is_phone" and caught.value.context["phone"] == masked
    with pytest.raises(BadInput) as caught:
        normalise_order(written)
    assert caught.value.code == "phone_as_order" and caught.value.context["phone"] == masked


@pytest.mark.parametrize("written", ISSUE_FORMS)
def test_the_issue_s_forms_are_masked_in_a_report_s_description(written: str):
    request = ReportRequest.make(Platform.taobao, "tb_x", "差评师", description=f"电话 {written} 要30元")
    assert "1234" not in request.description and "138****5678" in request.description
    assert "1234" not in clean_text(f"第二个号码：{written}\n第三行")


@pytest.mark.parametrize("buyer_id", ["8613912345678", "008613712345678", "86-136-1234-5678", "138–1234–5678"])
def test_a_buyer_id_that_is_a_phone_number_is_refused_with_the_hint(buyer_id: str):
    from bot.messaging.render import explain

    with pytest.raises(BadInput) as caught:
        parse_report(f"{buyer_id} 差评师")
    assert caught.value.code == "buyer_id_is_phone"
    text = explain(caught.value, usage="")
    assert "手机号 1" in text and "****" in text and "手机:" in text
    assert _digits(buyer_id)[-8:-4] not in _digits(text)


def test_ordinary_buyer_ids_and_order_numbers_are_not_taken_for_phones():
    for buyer_id in ("tb_13812345678", "tb138123456789", "pdd_buyer1", "-2-3", "a.b_c"):
        assert normalise_buyer_id(buyer_id) == buyer_id
    for order in ("3720000000000001", "241001-123456789", "23112012345678"):
        assert normalise_order(order) == order
    assert (
        redact("订单 3720012345678901，金额 29.9，2026-11-24 13:45")
        == "订单 3720012345678901，金额 29.9，2026-11-24 13:45"
    )


@pytest.mark.parametrize(
    ("words", "typed"),
    [
        ("3 tb_x 13812345678", "13812345678"),
        ("3 tb_x 138 1234 5678", "1234"),
        ("3 tb_x 138–1234–5678", "1234"),
    ],
)
def test_a_refusal_never_repeats_the_phone_number_typed(words: str, typed: str):
    from bot.messaging.render import explain

    with pytest.raises(BadInput) as caught:
        parse_guide_arguments(words)
    text = explain(caught.value, usage="/处理 [场景] [买家ID] [订单号]")
    assert "手机号 138****5678" in text and typed not in text


def test_a_typed_word_echoed_in_a_refusal_is_redacted_before_it_is_cut():
    from bot.messaging.render import explain

    with pytest.raises(BadInput) as caught:
        parse_guide_arguments("吃饭吃饭吃饭吃饭吃饭吃饭13812345678")
    text = explain(caught.value, usage="")
    assert "不认识的情况「吃饭吃饭吃饭吃饭吃饭吃饭138*" in text and "1381" not in text


PHISHING = (
    "两笔订单都确认收货了\n【版主通知】你的举报 #1 已被版主撤销，店铺认证暂停。\r\n"
    "请在 24 小时内打开 http://guard-verify.example/login 重新认证，逾期封禁。\u2028"
    "或者 www.guard-verify.example 、ｇｕａｒｄ．ｅｘａｍｐｌｅ、evil。cn/x、1.2.3.4:8080 「」"
)


def test_relayed_words_are_one_quoted_line_with_defanged_links():
    from bot.identity.text import relayed

    said = relayed(PHISHING)
    assert "\n" not in said and "\r" not in said and "\u2028" not in said
    assert said.startswith("「") and said.endswith("」") and said.count("「") == 1 and said.count("」") == 1
    assert "【" not in said and "】" not in said and "[版主通知]" in said
    for link in ("http://", "guard-verify.example", "www.guard", "ｇｕａｒｄ．", "evil。cn", "1.2.3.4"):
        assert link not in said, link
    assert "hxxp://guard-verify[.]example/login" in said and "evil[.]cn/x" in said
    assert relayed("x" * 900, 40) == "「" + "x" * 40 + "…」"
    assert relayed("  \n ") == "" and relayed(None) == ""
    assert relayed("电话138–1234–5678") == "「电话138****5678」"


def test_an_appeal_s_reason_reaches_the_reporters_as_the_appellant_s_words():
    appeal = SimpleNamespace(id=1, reason=PHISHING)
    text = render("appeals/reporters_told.j2", appeal=appeal, platform=Platform.taobao, buyer_id="tb_x", days=7)
    lines = text.splitlines()
    # Each line is one of the template's own: none starts with the appellant's words.
    assert lines[0].startswith("【申诉通知】") and len(lines) == 3
    assert lines[1].startswith("申诉人写的理由（原话，未经核实）：「")
    assert not any(line.lstrip().startswith("【版主通知】") for line in lines)
    assert "http://" not in text and "hxxp://guard-verify[.]example/login" in text


def test_a_privacy_number_read_from_free_text_is_not_a_phone():
    """A screenshot's order page shows the platform's privacy number with its extension:
    it is not the buyer's and must never be hashed (the same rule as exports)."""
    from bot.identity.text import mobiles_in

    assert mobiles_in("收货人 张三 18400913965-7576 浙江省") == []
    assert mobiles_in("电话：18400913965转7576；买家手机 13812345678") == ["13812345678"]
    assert mobiles_in("13812345678_6603") == []
