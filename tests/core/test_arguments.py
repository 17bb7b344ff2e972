"""Command arguments without chat: what each form of input turns into, and the refusals."""

import pytest

from bot.commands.grammar import parse_bind, parse_check, parse_report, parse_report_number, tokenize
from bot.errors import BadInput
from bot.identity.fingerprints import normalise_phone
from bot.identity.platforms import Platform
from bot.scoring.categories import Category


def test_tokenize_keeps_quoted_parts():
    assert tokenize('a  "b c" “d e” f') == ["a", "b c", "d e", "f"]


def test_bind():
    request = parse_bind("拼多多  小王的 手工皂")
    assert request.platform is Platform.pdd and request.name == "小王的 手工皂"


@pytest.mark.parametrize(
    ("text", "template"),
    [
        ("", "bind_missing"),
        ("亚马逊 小王", "platform_unknown"),
        ("淘宝", "shop_name_missing"),
        ("淘宝 " + "店" * 31, "shop_name_too_long"),
        ("淘宝 小王😀", "shop_name_bad_chars"),
    ],
)
def test_bind_refusals(text, template):
    with pytest.raises(BadInput) as caught:
        parse_bind(text)
    assert caught.value.code == template


def test_check_defaults_to_taobao_and_takes_clues_anywhere():
    request = parse_check('手机：138-1234-5678 TB_X 地址:"浙江省 杭州市 西湖区"')
    assert request.platform is Platform.taobao
    assert request.buyer_id == "tb_x"
    assert request.phone == "138-1234-5678"
    assert request.address == "浙江省 杭州市 西湖区"


def test_check_with_platform_and_spaced_key():
    request = parse_check("京东 jd_user 手机: 13812345678")
    assert request.platform is Platform.jd and request.buyer_id == "jd_user" and request.phone == "13812345678"


@pytest.mark.parametrize(
    ("text", "template"),
    [
        ("", "buyer_id_missing"),
        ("淘宝 " + "x" * 500, "buyer_id_too_long"),
        ("😀😀", "buyer_id_bad_chars"),
        ("abc 看着像坏人", "clue_unknown"),
        ("abc 手机:", "keyed_empty"),
        ("abc 手机:1 手机:2", "keyed_twice"),
    ],
)
def test_check_refusals(text, template):
    with pytest.raises(BadInput) as caught:
        parse_check(text)
    assert caught.value.code == template


def test_full_report():
    request = parse_report("淘宝 TB_abc 差评师 3720012345678901 29.9 收货前差评 要30元 手机:13812345678")
    assert request.category is Category.extortion
    assert request.order_no == "3720012345678901"
    assert request.amount_fen == 2990
    assert request.description == "收货前差评 要30元"
    assert request.phone == "13812345678"


def test_report_minimal_and_amount_without_order():
    assert parse_report("abc 恶拍").category is Category.malicious_unpaid
    request = parse_report("pdd abc return_fraud ¥30 空包")
    assert request.platform is Platform.pdd and request.order_no is None and request.amount_fen == 3000
    assert request.description == "空包"


def test_report_masks_a_phone_typed_into_the_description():
    request = parse_report("abc 差评师 他的电话13812345678一直打")
    assert "13812345678" not in request.description and "138****5678" in request.description


@pytest.mark.parametrize(
    ("text", "template"),
    [
        ("", "report_missing"),
        ("abc", "category_missing"),
        ("abc 坏人", "category_unknown"),
        ("abc 差评师 3720012345678901 三十块", "amount_invalid"),
        ("abc 差评师 3720012345678901 30.5.5", "amount_invalid"),
        ("abc 差评师 金额:abc", "amount_invalid"),
        ("abc 差评师 99999999999元", "amount_invalid"),
        ("abc 差评师 9999999元", "amount_too_large"),
        ("abc 差评师 13812345678", "phone_as_order"),
        ("abc 差评师 订单:订单", "order_invalid"),
        ("abc 差评师 " + "长" * 501, "description_too_long"),
        ("' OR 1=1; -- 差评师", "buyer_id_bad_chars"),
    ],
)
def test_report_refusals(text, template):
    with pytest.raises(BadInput) as caught:
        parse_report(text)
    assert caught.value.code == template


def test_report_number():
    assert parse_report_number(" #12 ") == 12
    assert parse_report_number("１２") == 12
    for bad in ("", "abc", "1 2", "-3"):
        with pytest.raises(BadInput):
            parse_report_number(bad)


def test_check_takes_red_flag_words():
    request = parse_check("tb_x 没咨询 指定快递 没咨询 手机:13812345678")
    assert request.flags == ("no_inquiry", "forced_courier")


def test_a_lone_surrogate_gets_its_own_refusal():
    """A broken client or a crafted event can carry half a UTF-16 pair; it cannot be
    stored, and used to end in a traceback."""
    for text in ("tb_x 差评师 说明\ud800", "\udfff 差评师"):
        with pytest.raises(BadInput) as caught:
            parse_report(text)
        assert caught.value.code == "text_bad_chars"


def test_the_readme_phone_example_is_understood():
    """README: `手机：+86 138-1234-5678` (a full-width colon and spaces) is one phone."""
    request = parse_check("tb_x 手机：+86 138-1234-5678")
    assert request.phone is not None and normalise_phone(request.phone) == "13812345678"
    report = parse_report("tb_x 差评师 手机: 138 1234 5678 收货前就差评")
    assert report.phone is not None and normalise_phone(report.phone) == "13812345678"
    assert report.description == "收货前就差评"


@pytest.mark.parametrize("phone", ["13812345678", "+86 138-1234-5678", "138.1234.5678", "１３８１２３４５６７８"])
def test_a_phone_where_the_buyer_id_or_the_order_goes_is_refused(phone):
    with pytest.raises(BadInput) as caught:
        parse_report(f'"{phone}" 差评师')
    assert caught.value.code == "buyer_id_is_phone"
    with pytest.raises(BadInput) as caught:
        parse_report(f"tb_x 差评师 订单:{phone}")
    assert caught.value.code == "phone_as_order"
    with pytest.raises(BadInput) as caught:
        parse_report(f"tb_x 差评师 {phone}")
    assert caught.value.code == "phone_as_order"


def test_an_overlong_message_is_refused_before_it_is_parsed():
    with pytest.raises(BadInput) as caught:
        parse_report("tb_x 差评师 " + "说" * 1_000_000)
    assert caught.value.code == "message_too_long"
