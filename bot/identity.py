"""Who a buyer is: platforms, normalised buyer ids, and the keyed hashes and masks that
stand in for phone numbers and addresses (PIPL: never kept in clear)."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import unicodedata
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from bot.errors import BadInput

log = logging.getLogger(__name__)

BUYER_ID_MAX = 64


class Platform(str, Enum):
    taobao = "taobao"
    tmall = "tmall"
    pdd = "pdd"
    jd = "jd"
    douyin = "douyin"

    @property
    def label(self) -> str:
        return PLATFORM_LABELS[self]


PLATFORM_LABELS = {
    Platform.taobao: "淘宝",
    Platform.tmall: "天猫",
    Platform.pdd: "拼多多",
    Platform.jd: "京东",
    Platform.douyin: "抖音",
}

_PLATFORM_WORDS = {
    **{label: p for p, label in PLATFORM_LABELS.items()},
    **{p.value: p for p in Platform},
    "tb": Platform.taobao,
    "淘宝网": Platform.taobao,
    "pinduoduo": Platform.pdd,
    "多多": Platform.pdd,
    "jingdong": Platform.jd,
    "京东商城": Platform.jd,
    "抖店": Platform.douyin,
    "tiktok": Platform.douyin,
}


def fold(text: str) -> str:
    """Full-width to half-width (NFKC), trimmed and case-folded: what a merchant typed
    on a phone keyboard and on a PC must compare equal."""
    return unicodedata.normalize("NFKC", text).strip().casefold()


def parse_platform(word: str) -> Platform | None:
    return _PLATFORM_WORDS.get(fold(word))


# Member names on the platforms are letters (any script), digits and a few marks; masked
# names shown in some back offices contain '*'. Anything else (emoji, quotes, ';') is
# a typo or an attack, and a buyer id that can never match is worse than an error.
_BUYER_ID_RE = re.compile(r"^[\w.\-@*·]+$")


_ASCII_BUYER_ID_RE = re.compile(r"^[a-z0-9_.\-@*]{1,64}$")


def normalise_buyer_id(raw: str) -> str:
    if raw.isascii():  # the common case, and the hot one when screening a whole export
        buyer_id = raw.strip().lower()
        if _ASCII_BUYER_ID_RE.match(buyer_id):
            return buyer_id
    buyer_id = fold(raw)
    if not buyer_id:
        raise BadInput("errors/buyer_id_missing.j2")
    if len(buyer_id) > BUYER_ID_MAX:
        raise BadInput("errors/buyer_id_too_long.j2", limit=BUYER_ID_MAX, length=len(buyer_id))
    if not _BUYER_ID_RE.match(buyer_id):
        raise BadInput("errors/buyer_id_bad_chars.j2")
    return buyer_id


def normalise_phone(raw: str) -> str:
    """Mainland mobile numbers only: 11 digits starting with 1, with +86/0086 and
    separators removed."""
    if len(raw) == 11 and raw.isdigit() and raw.isascii() and raw[0] == "1" and raw[1] in "3456789":
        return raw
    digits = re.sub(r"[\s\-()（）]", "", fold(raw))
    digits = re.sub(r"^(\+?86|0086)", "", digits)
    if not re.fullmatch(r"1[3-9]\d{9}", digits):
        raise BadInput("errors/phone_invalid.j2")
    return digits


_PROVINCE_RE = re.compile(
    r"^(.+?(?:省|自治区|特别行政区)|北京市?|天津市?|上海市?|重庆市?|内蒙古|广西|西藏|宁夏|新疆|香港|澳门)"
)
_CITY_RE = re.compile(r"^(.+?(?:自治州|地区|盟|市))")


def normalise_address(raw: str) -> str:
    address = re.sub(r"[\s,，。;；]", "", fold(raw))
    if len(address) < 4:
        raise BadInput("errors/address_invalid.j2")
    if len(address) > 200:
        raise BadInput("errors/address_invalid.j2")
    return address


def mask_phone(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}"


def mask_address(address: str) -> str:
    """Province and city only; the rest of an address identifies a household."""
    province_match = _PROVINCE_RE.match(address)
    if not province_match:
        return "地址已隐藏"
    province = province_match.group(1)
    rest = address[len(province) :]
    if province in ("北京", "天津", "上海", "重庆", "北京市", "天津市", "上海市", "重庆市"):
        return province if province.endswith("市") else province + "市"
    city_match = _CITY_RE.match(rest)
    return province + (city_match.group(1) if city_match else "")


@dataclass(frozen=True)
class Trait:
    """A phone number or address reduced to what may be stored: a keyed hash to match
    on and a mask to show."""

    kind: str  # "phone" | "address"
    digest: str
    mask: str


class Fingerprinter:
    """HMAC-SHA256 with the deployment's secret: the same number always gives the same
    digest within a deployment, and a stolen database cannot be reversed by hashing
    every mobile number (there are only ~10^10 of them)."""

    def __init__(self, secret: bytes):
        if len(secret) < 16:
            raise ValueError("identity hash secret must be at least 16 bytes")
        # HMAC-SHA256 (RFC 2104) with the padded key hashed once: each digest copies the
        # two keyed states in C, which screening 100,000 orders needs (hmac.HMAC.copy is
        # Python code). tests/test_identity.py checks it against hmac.new.
        key = hashlib.sha256(secret).digest() if len(secret) > 64 else secret
        key = key.ljust(64, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))

    def digest(self, kind: str, normalised: str) -> str:
        inner = self._inner.copy()
        inner.update(f"{kind}:{normalised}".encode())
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()

    def phone(self, raw: str) -> Trait:
        return self.phone_normalised(normalise_phone(raw))

    def phone_normalised(self, phone: str) -> Trait:
        return Trait("phone", self.digest("phone", phone), mask_phone(phone))

    def address(self, raw: str) -> Trait:
        return self.address_normalised(normalise_address(raw))

    def address_normalised(self, address: str) -> Trait:
        return Trait("address", self.digest("address", address), mask_address(address))


def load_or_create_secret(configured: str | None, data_dir: Path) -> tuple[bytes, bool]:
    """The configured secret wins; otherwise one is generated once and kept in the data
    folder. Losing it means old hashes never match again, so it is never regenerated
    when the file exists. Returns (secret, created)."""
    if configured:
        return configured.encode(), False
    path = data_dir / "identity_hash_secret"
    if path.exists():
        return path.read_text().strip().encode(), False
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_hex(32)
    path.write_text(secret + "\n")
    path.chmod(0o600)
    return secret.encode(), True


_MOBILE_ANYWHERE_RE = re.compile(r"(?<![\d])(?:\+?86[\s\-]?)?(1[3-9]\d)[\s\-]?\d{4}[\s\-]?(\d{4})(?![\d])")
_ADDRESS_ANYWHERE_RE = re.compile(
    r"((?:收货)?地址|address|addr)(\s*[:：]\s*)(\"[^\"]*\"|“[^”]*”|「[^」]*」|\S+)", re.IGNORECASE
)


def redact(text: str) -> str:
    """Mask mobile numbers and `地址:` values in free text (log lines, echoed input):
    the chat framework logs every incoming message, and a merchant's /查 carries the
    buyer's phone and address."""
    text = _MOBILE_ANYWHERE_RE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)
    return _ADDRESS_ANYWHERE_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}<已隐藏>", text)
