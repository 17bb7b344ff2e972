"""Identity without chat: normalisation, keyed hashes, masks, the secret's lifecycle."""

import pytest

from bot.errors import BadInput
from bot.identity.buyers import normalise_buyer_id
from bot.identity.fingerprints import Fingerprinter, load_or_create_secret, normalise_phone
from bot.identity.platforms import Platform, parse_platform
from bot.identity.text import mask_address, redact


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("  TB_Abc123 ", "tb_abc123"), ("ＴＢ＿ＡＢＣ１２３", "tb_abc123"), ("小王同学", "小王同学"), ("t**8", "t**8")],
)
def test_buyer_ids_are_trimmed_half_width_and_case_folded(raw, expected):
    assert normalise_buyer_id(raw) == expected


@pytest.mark.parametrize("raw", ["a" * 65, "买家😀", "x'; DROP TABLE report; --", "a b", ""])
def test_bad_buyer_ids_are_refused(raw):
    with pytest.raises(BadInput):
        normalise_buyer_id(raw)


def test_platform_words():
    assert parse_platform("拼多多") is Platform.pdd
    assert parse_platform("PDD") is Platform.pdd
    assert parse_platform("ｊｄ") is Platform.jd
    assert parse_platform("天猫") is Platform.tmall
    assert parse_platform("亚马逊") is None


@pytest.mark.parametrize("raw", ["13812345678", "+86 138-1234-5678", "008613812345678", "１３８１２３４５６７８"])
def test_phone_forms_normalise_to_one_number(raw):
    assert normalise_phone(raw) == "13812345678"


@pytest.mark.parametrize("raw", ["12345", "23812345678", "138123456789", "abc"])
def test_bad_phone_is_refused(raw):
    with pytest.raises(BadInput):
        normalise_phone(raw)


def test_fingerprints_are_keyed_and_never_contain_the_number():
    one = Fingerprinter(b"a" * 32)
    other = Fingerprinter(b"b" * 32)
    trait = one.phone("138 1234 5678")
    assert trait.digest == one.phone("+8613812345678").digest
    assert trait.digest != other.phone("13812345678").digest
    assert "13812345678" not in trait.digest and "12345678" not in trait.digest
    assert trait.mask == "138****5678"


@pytest.mark.parametrize(
    ("address", "mask"),
    [
        ("浙江省杭州市西湖区文三路100号", "浙江省杭州市"),
        ("广西壮族自治区南宁市青秀区民族大道1号", "广西壮族自治区南宁市"),
        ("上海市浦东新区世纪大道1号", "上海市"),
        ("新疆维吾尔自治区伊犁哈萨克自治州伊宁市1号", "新疆维吾尔自治区伊犁哈萨克自治州"),
        ("某个地方的小村子", "地址已隐藏"),
    ],
)
def test_address_mask_keeps_province_and_city_only(address, mask):
    assert mask_address(address) == mask


def test_address_hash_ignores_spacing_and_width():
    fp = Fingerprinter(b"k" * 32)
    assert (
        fp.address("浙江省 杭州市 西湖区 文三路１００号").digest == fp.address("浙江省杭州市西湖区文三路100号").digest
    )


def test_secret_is_generated_once_and_kept(tmp_path):
    secret, created = load_or_create_secret(None, tmp_path)
    assert created and len(secret) == 64
    again, created_again = load_or_create_secret(None, tmp_path)
    assert again == secret and not created_again
    configured, created_configured = load_or_create_secret("from-settings-0123456789", tmp_path)
    assert configured == b"from-settings-0123456789" and not created_configured


def test_redact_masks_phones_and_addresses_in_free_text():
    line = "Message 7 '/举报 x 差评师 3720013812345678901 手机:138-1234-5678 地址:\"浙江省 杭州市 文三路\" 另一个 +8613912345678'"
    redacted = redact(line)
    assert "1234-5678" not in redacted and "13912345678" not in redacted and "文三路" not in redacted
    assert "138****5678" in redacted and "139****5678" in redacted and "地址:<已隐藏>" in redacted
    assert "3720013812345678901" in redacted  # an order number is not a phone


@pytest.mark.parametrize("secret", [b"k" * 16, b"a-much-longer-secret-" * 5, bytes(range(64))])
def test_fingerprint_is_standard_hmac_sha256(secret):
    import hashlib
    import hmac

    fp = Fingerprinter(secret)
    assert fp.digest("phone", "13812345678") == hmac.new(secret, b"phone:13812345678", hashlib.sha256).hexdigest()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("电话+8613812345678要改评", "电话138****5678要改评"),
        ("138 1234 5678", "138****5678"),
        ("138.1234.5678", "138****5678"),
        ("１３８１２３４５６７８，他说", "138****5678，他说"),  # the merchant's own "，" is kept
        ("1 3 8 1 2 3 4 5 6 7 8", "138****5678"),
        ("订单 3720012345678901 30 13812345678", "订单 3720012345678901 30 138****5678"),
        ("身份证110101199003074514在此", "身份证110***********4514在此"),
        ("寄到浙江省杭州市西湖区文三路100号3幢201室，他说", "寄到浙江省杭州市***，他说"),
        ("北京市朝阳区建国路88号", "北京市***"),
    ],
)
def test_redaction_masks_every_form(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "订单 3720012345678901",
        "订单351531314732935790",
        "杭州的买家很多",
        "说他住在上海市",
        "QQ号123456",
        "13812345678901",
    ],
)
def test_redaction_leaves_what_is_not_personal_data(text):
    assert redact(text) == text
