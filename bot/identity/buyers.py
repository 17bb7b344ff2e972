"""Buyer ids: normalised per platform (trim, full-width to half-width, case-fold), refused
when they cannot be one (a phone number, emoji, 500 characters), masked for display."""

from __future__ import annotations

import re

from bot.errors import BadInput
from bot.identity.text import PHONE_DIGITS, fold, is_mobile, mask_mobile, mobile_digits

BUYER_ID_MAX = 64


# Member names on the platforms are letters (any script), digits and a few marks; masked
# names shown in some back offices contain '*'. Anything else (emoji, quotes, ';') is
# a typo or an attack, and a buyer id that can never match is worse than an error.
_BUYER_ID_RE = re.compile(r"^[\w.\-@*·]+$")


_ASCII_BUYER_ID_RE = re.compile(r"^[a-z0-9_.\-@*]{1,64}$")


# How a phone number written in ASCII can begin: 1…, 86…, 0086…, or a separator.
_PHONE_STARTS = frozenset("180-_.")


def _may_be_phone(buyer_id: str) -> bool:
    return len(buyer_id) >= PHONE_DIGITS and buyer_id[0] in _PHONE_STARTS


def normalise_buyer_id(raw: str) -> str:
    if raw.isascii():  # the common case, and the hot one when screening a whole export
        buyer_id = raw.strip().lower()
        if _ASCII_BUYER_ID_RE.match(buyer_id) and not (_may_be_phone(buyer_id) and is_mobile(buyer_id)):
            return buyer_id
    if is_mobile(raw):
        # A phone number is personal data; as a buyer id it would be stored in clear
        # (8613912345678, 86-136-1234-5678 and 138–1234–5678 alike).
        raise BadInput("buyer_id_is_phone", phone=mask_mobile(mobile_digits(raw)))
    buyer_id = fold(raw)
    if not buyer_id:
        raise BadInput("buyer_id_missing")
    if len(buyer_id) > BUYER_ID_MAX:
        raise BadInput("buyer_id_too_long", limit=BUYER_ID_MAX, length=len(buyer_id))
    if not _BUYER_ID_RE.match(buyer_id):
        raise BadInput("buyer_id_bad_chars")
    return buyer_id


def mask_buyer_id(buyer_id: str, keep: int = 2) -> str:
    """A buyer id as alerts, digests and case summaries show it: enough to recognise a
    buyer one has dealt with, not enough to find one."""
    if len(buyer_id) <= keep * 2:
        return buyer_id[:1] + "*" * max(1, len(buyer_id) - 1)
    return buyer_id[:keep] + "*" * (len(buyer_id) - keep * 2) + buyer_id[-keep:]
