"""Who a buyer is: platforms, normalised buyer ids, and the keyed hashes and masks that
stand in for phone numbers and addresses (PIPL: never kept in clear)."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import tomllib
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from bot.errors import BadInput
from bot.text import fold, is_mobile, mask_address

log = logging.getLogger(__name__)

BUYER_ID_MAX = 64


class Platform(StrEnum):
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


@dataclass(frozen=True)
class PlatformWords:
    """A platform's own words (templates/platforms.toml)."""

    platform: Platform
    chat: str  # the chat tool, as merchants call it
    chat_short: str
    back_office: str
    block_path: str  # "" where the path is known only for Taobao
    close_penalty: str

    @property
    def label(self) -> str:
        return self.platform.label

    @property
    def block(self) -> str:
        """How to block a buyer, without inventing a path we do not know."""
        if self.block_path:
            return f"在后台拉黑这个买家：{self.block_path}。"
        known = _platform_words()[Platform.taobao].block_path
        return (
            f"在{self.back_office}里找对应的黑名单（禁止购买）功能拉黑这个买家。"
            f"机器人只确认过淘宝的路径（{known}），{self.label}的菜单可能不同，请以后台为准。"
        )


@lru_cache(maxsize=1)
def _platform_words() -> dict[Platform, PlatformWords]:
    from bot.render import TEMPLATES

    with (TEMPLATES / "platforms.toml").open("rb") as file:
        data = tomllib.load(file)
    return {p: PlatformWords(platform=p, **data[p.value]) for p in Platform}


def platform_words(platform: Platform | str | None) -> PlatformWords:
    """The words of a platform (Taobao's when none is known)."""
    return _platform_words()[Platform(platform) if platform else Platform.taobao]


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
        if _ASCII_BUYER_ID_RE.match(buyer_id) and not (buyer_id[:1] == "1" and is_mobile(buyer_id)):
            return buyer_id
    if is_mobile(raw):
        # A phone number is personal data; as a buyer id it would be stored in clear.
        raise BadInput("buyer_id_is_phone")
    buyer_id = fold(raw)
    if not buyer_id:
        raise BadInput("buyer_id_missing")
    if len(buyer_id) > BUYER_ID_MAX:
        raise BadInput("buyer_id_too_long", limit=BUYER_ID_MAX, length=len(buyer_id))
    if not _BUYER_ID_RE.match(buyer_id):
        raise BadInput("buyer_id_bad_chars")
    return buyer_id


def normalise_phone(raw: str) -> str:
    """Mainland mobile numbers only: 11 digits starting with 1, with +86/0086 and
    separators removed."""
    if len(raw) == 11 and raw.isdigit() and raw.isascii() and raw[0] == "1" and raw[1] in "3456789":
        return raw
    folded = re.sub(r"[()（）]", "", fold(raw))
    if not is_mobile(folded):
        raise BadInput("phone_invalid")
    return "".join(ch for ch in folded if ch.isdigit())[-11:]


def normalise_address(raw: str) -> str:
    address = re.sub(r"[\s,，。;；]", "", fold(raw))
    if len(address) < 4:
        raise BadInput("address_invalid")
    if len(address) > 200:
        raise BadInput("address_invalid")
    return address


def mask_buyer_id(buyer_id: str, keep: int = 2) -> str:
    """A buyer id as alerts, digests and case summaries show it: enough to recognise a
    buyer one has dealt with, not enough to find one."""
    if len(buyer_id) <= keep * 2:
        return buyer_id[:1] + "*" * max(1, len(buyer_id) - 1)
    return buyer_id[:keep] + "*" * (len(buyer_id) - keep * 2) + buyer_id[-keep:]


def mask_phone(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}"


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
