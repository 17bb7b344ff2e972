"""One place for request rules (issue #23): the chat's grammar and the JSON API only find
the parts; the request types judge them, so the same bad part gets the same refusal
through both doors."""

import pytest

from bot.commands.grammar import parse_appeal, parse_check, parse_report
from bot.errors import BadInput
from bot.identity.platforms import Platform
from web.api import _check_request, _report_request, appeal_from

LONG = "很长的说明" * 201  # 1,005 characters: over DESCRIPTION_MAX, under its raw guard


def _code(call, *args):
    with pytest.raises(BadInput) as refused:
        call(*args)
    return refused.value.code


@pytest.mark.parametrize(
    ("chat", "body", "code"),
    [
        ("x 恶拍 13812345678", {"buyer_id": "x", "category": "恶拍", "order_no": "13812345678"}, "phone_as_order"),
        ("x 跳舞", {"buyer_id": "x", "category": "跳舞"}, "category_unknown"),
        ("x", {"buyer_id": "x"}, "category_missing"),
        ("x 恶拍 金额:三十", {"buyer_id": "x", "category": "恶拍", "amount": "三十"}, "amount_invalid"),
        ("x 恶拍 金额:2000000", {"buyer_id": "x", "category": "恶拍", "amount": 2000000}, "amount_too_large"),
        (f"x 恶拍 {LONG}", {"buyer_id": "x", "category": "恶拍", "description": LONG}, "description_too_long"),
        ("13812345678 恶拍", {"buyer_id": "13812345678", "category": "恶拍"}, "buyer_id_is_phone"),
        ("😀 恶拍", {"buyer_id": "😀", "category": "恶拍"}, "buyer_id_bad_chars"),
    ],
)
def test_a_report_part_is_refused_the_same_in_chat_and_json(chat, body, code):
    assert _code(parse_report, chat) == _code(_report_request, body, Platform.taobao) == code


def test_a_check_and_an_appeal_are_refused_the_same_in_chat_and_json():
    assert _code(parse_check, "x 跳舞") == _code(_check_request, {"buyer_id": "x", "clues": ["跳舞"]}, Platform.taobao)
    assert _code(parse_appeal, "淘宝 x") == _code(appeal_from, {"buyer_id": "x"}) == "appeal_reason_missing"
    assert (
        _code(parse_appeal, f"淘宝 x {LONG}")
        == _code(appeal_from, {"buyer_id": "x", "reason": LONG})
        == "description_too_long"
    )


def test_both_doors_build_the_same_request():
    chat = parse_report('pdd_b 恶拍 241001-123456789 29.9 拍了不付 手机:13812345678 地址:"浙江省杭州市文三路1号"')
    body = {
        "platform": "淘宝",
        "buyer_id": "PDD_B",
        "category": "恶拍",
        "order_no": "241001-123456789",
        "amount": "29.9",
        "description": "拍了不付",
        "phone": "13812345678",
        "address": "浙江省杭州市文三路1号",
    }
    assert _report_request(body, Platform.pdd) == chat


def test_a_check_without_a_buyer_id_and_without_a_platform():
    """`/查 手机:…`: the receiver of an order without a buyer account; a platform word may
    stand before it. Without a platform known (None), a buyer id is looked for everywhere."""
    alone = parse_check("手机:13812345678")
    assert (alone.platform, alone.buyer_id, alone.phone, alone.has_clues) == (Platform.taobao, "", "13812345678", True)
    named = parse_check("拼多多 手机:13812345678 地址:浙江省杭州市西湖区文三路100号", None)
    assert (named.platform, named.buyer_id, named.address) == (Platform.pdd, "", "浙江省杭州市西湖区文三路100号")
    assert parse_check("pdd_bad", None).platform is None
    assert parse_check("pdd_bad", Platform.pdd).platform is Platform.pdd
    assert _code(parse_check, "") == _code(_check_request, {}, Platform.taobao) == "buyer_id_missing"
    body = _check_request({"phone": "13812345678"}, Platform.pdd)
    assert (body.platform, body.buyer_id, body.phone) == (Platform.pdd, "", "13812345678")


@pytest.mark.parametrize("number", ["18400913965-7576", "18400913965_6603", "18400913965转7576", "184 0091 3965－7576"])
def test_a_privacy_number_is_refused_as_one_in_chat_and_json(number):
    assert _code(parse_check, f"手机:{number}") == _code(_check_request, {"phone": number}, Platform.taobao)
    assert _code(parse_check, f"手机:{number}") == "phone_virtual"
    assert _code(parse_report, f"x 恶拍 手机:{number}") == "phone_virtual"


def test_the_lookup_day_is_beijing_s():
    from datetime import UTC, datetime

    from bot.commands.requests import LookupAllowance, lookup_day

    day, resets = lookup_day(datetime(2026, 11, 1, 15, 59, tzinfo=UTC))  # 23:59 in Beijing
    assert day == "2026-11-01" and resets == datetime(2026, 11, 1, 16, 0, tzinfo=UTC)
    day, _ = lookup_day(datetime(2026, 11, 1, 16, 0, tzinfo=UTC))
    assert day == "2026-11-02"
    allowance = LookupAllowance(200, 201, resets, datetime(2026, 11, 1, 15, 59, 30, tzinfo=UTC))
    assert (allowance.remaining, allowance.seconds_to_reset) == (0, 30)
