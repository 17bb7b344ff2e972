"""Text as merchants type it: folding for comparison, and the one redaction that every
free-text field passes on the way in and every log line and written file on the way out
(PIPL: no phone number, ID-card number or street address in clear at rest)."""

from __future__ import annotations

import bisect
import re
import string
import unicodedata
from functools import lru_cache

from bot.errors import BadInput


def fold(text: str) -> str:
    """Full-width to half-width (NFKC), trimmed and case-folded: what a merchant typed
    on a phone keyboard and on a PC must compare equal."""
    return unicodedata.normalize("NFKC", text).strip().casefold()


def refuse_surrogates(text: str) -> None:
    """A lone UTF-16 surrogate (from a broken client or a crafted event) cannot be
    stored or encoded; it is refused with its own message rather than a traceback."""
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        raise BadInput("text_bad_chars")


# -- mobile numbers -----------------------------------------------------------------------
# Found in the ASCII view of the text (_ascii_table: full-width and other look-alike
# digits, every dash, space and bracket folded to one ASCII character each): an optional
# +86 / 0086 / 86, then 1[3-9] and nine more digits, any two of them separated by up to
# four of the characters people put between digits ("138–1234–5678", "138_1234_5678",
# "(138)1234-5678", "138，1234，5678", "138 - 1234 - 5678", "1 3 8 1 2 3 4 5 6 7 8").
# Never inside a longer run of digits (an order number holds eleven digits that look
# like a phone). Everything that looks for a phone number uses these.
SEPARATORS = r"\s\-_/\\.,()\[\]"
_SEP = rf"[{SEPARATORS}]{{0,4}}"
_MOBILE = rf"(?:(?:\+|00){_SEP}86{_SEP}|86{_SEP})?1{_SEP}[3-9](?:{_SEP}[0-9]){{9}}"
_MOBILE_IN_TEXT_RE = re.compile(rf"(?<![0-9+])(?=[+0-9]){_MOBILE}(?![0-9])")
_MOBILE_WHOLE_RE = re.compile(rf"^[{SEPARATORS}+]*{_MOBILE}[{SEPARATORS}]*$")
# A phone's digits: more than ten in a word is the sign to look closer (buyer ids).
PHONE_DIGITS = 11


def _digits(text: str) -> str:
    return "".join(ch for ch in text if "0" <= ch <= "9")


def ascii_view(text: str) -> str:
    """The text with each look-alike character folded to its ASCII twin, one character
    for one (so that what is found here is at the same place in the text itself)."""
    return text if text.isascii() else text.translate(_ascii_table())


def is_mobile(text: str) -> bool:
    """The whole text is a mainland mobile number in any of the forms above."""
    return bool(_MOBILE_WHOLE_RE.match(ascii_view(text)))


def mobile_digits(text: str) -> str:
    """The eleven digits of a text that is_mobile() accepts."""
    return _digits(ascii_view(text))[-PHONE_DIGITS:]


def mask_mobile(digits: str) -> str:
    return f"{digits[:3]}****{digits[-4:]}"


# A privacy number (隐私号/虚拟号): the platform hides the buyer's phone behind a number of
# its own for a while, written as the main number and an extension ("18400913965-7576",
# "18400913965_6603", "18400913965转7576"). It is not the buyer's and is shared by many
# orders: never hashed, never matched. (An export with a 虚拟号过期时间 column holds only
# such numbers, even those written without an extension: bot/screening/rows.py.)
_VIRTUAL_RE = re.compile(
    rf"^[{SEPARATORS}+]*(?P<main>{_MOBILE})\s*(?:[-_]|转|分机|ext\.?)\s*[0-9]{{1,6}}\s*$", re.IGNORECASE
)


_EXTENSION_AFTER_RE = re.compile(r"\s*(?:[-_]|转|分机|ext\.?)\s*[0-9]{1,6}(?![0-9])", re.IGNORECASE)


def is_virtual_number(text: str) -> bool:
    """The whole text is a privacy number: a mobile number with an extension."""
    return bool(_VIRTUAL_RE.match(ascii_view(text)))


def mask_virtual_number(text: str) -> str:
    """A privacy number as a refusal names it: its main number masked, the extension
    left out (138****1234-…)."""
    match = _VIRTUAL_RE.match(ascii_view(text))
    return f"{mask_mobile(mobile_digits(match.group('main')))}-…" if match else ""


def mobiles_in(text: str) -> list[str]:
    """The eleven digits of every mobile number in free text, as redact() finds them (a
    screenshot's text: each is hashed and masked at once, and the text redacted)."""
    view = ascii_view(text)
    return [
        _digits(match.group(0))[-PHONE_DIGITS:]
        for match in _MOBILE_IN_TEXT_RE.finditer(view)
        # A privacy number (an extension follows) is not the buyer's: never hashed.
        if not _EXTENSION_AFTER_RE.match(view, match.end())
    ]


# -- ID-card numbers ----------------------------------------------------------------------
# 18 characters: region (6), birth date (8), sequence (3), check digit (ISO 7064 mod 11-2).
# The checksum keeps an 18-digit order number from being taken for one (1 in 11 pass).
_ID_CARD_RE = re.compile(
    r"(?<![\dA-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![\dA-Za-z])"
)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _id_card_valid(number: str) -> bool:
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11] == number[17].upper()


# -- addresses ---------------------------------------------------------------------------
_PROVINCE_RE = re.compile(
    r"^(.+?(?:省|自治区|特别行政区)|北京市?|天津市?|上海市?|重庆市?|内蒙古|广西|西藏|宁夏|新疆|香港|澳门)"
)
_CITY_RE = re.compile(r"^(.+?(?:自治州|地区|盟|市))")
_MUNICIPALITIES = ("北京", "天津", "上海", "重庆")


def mask_address(address: str) -> str:
    """Province and city only; the rest of an address identifies a household."""
    province_match = _PROVINCE_RE.match(address)
    if not province_match:
        city = _CITY_RE.match(address)
        return city.group(1) if city and len(city.group(1)) <= 6 else "地址已隐藏"
    province = province_match.group(1)
    if province.rstrip("市") in _MUNICIPALITIES:
        return province.rstrip("市") + "市"
    city_match = _CITY_RE.match(address[len(province) :])
    return province + (city_match.group(1) if city_match else "")


# -- street addresses ---------------------------------------------------------------------
# One or more administrative units (a province, a city, a district…), then within a few
# characters a road, a street, or a house/room number: "浙江省杭州市西湖区文三路100号",
# "杭州市 西湖区 文一西路 3 幢 201 室". A place name alone ("杭州的买家") is not an address.
_PROVINCES = (
    "北京|天津|上海|重庆|河北|山西|辽宁|吉林|黑龙江|江苏|浙江|安徽|福建|江西|山东|河南|湖北|湖南|广东|海南|四川|贵州|"
    "云南|陕西|甘肃|青海|台湾|内蒙古|广西|西藏|宁夏|新疆|香港|澳门"
)
_HAN = "\u4e00-\u9fff"
_UNIT = (
    rf"(?:(?:{_PROVINCES})(?:省|市|(?:壮族|回族|维吾尔)?自治区|特别行政区)?"
    rf"|[{_HAN}]{{2,5}}?(?:省|自治区|市|自治州|地区|盟|区|县|旗))"
)
_ADDRESS_RE = re.compile(rf"(?:{_UNIT}\s?){{1,5}}[{_HAN}A-Za-z0-9\-#\s]{{0,40}}")
_STREET_RE = re.compile(rf"[{_HAN}A-Za-z0-9]{{1,12}}?(?:路|街|巷|弄|大道|胡同|村|镇)|\d+\s?(?:号|室|栋|幢|单元|楼|弄)")
_LABELLED_ADDRESS_RE = re.compile(
    r"((?:收货)?地址|address|addr)(\s*:\s*)(\"[^\"]*\"|“[^”]*”|「[^」]*」|\S+)", re.IGNORECASE
)


# Characters people put between digits that NFKC leaves alone: dashes (every Unicode
# dash and the minus sign), the ideographic comma, middle dots and the ideographic stop.
_MORE_DASHES = "\u2212\u2043\ufe58\ufe63"
_MORE_COMMAS = "\u3001\uff64"
_MORE_DOTS = "\u00b7\u2022\u2027\u2219\u30fb\u3002\uff61"


@lru_cache(maxsize=1)
def _ascii_table() -> dict[int, str]:
    """Each character that stands for one ASCII digit, letter, space or mark mapped to it
    (full-width １３８, circled ①, other scripts' digits, every dash, the ideographic
    space and comma…). One character for one, so that what is found in this view is
    replaced at the same place in the merchant's own text: NFKC of the whole text would
    also turn their "，" into ",". Built once (~0.3 s)."""
    wanted = set(string.ascii_letters + string.digits + "+-._/\\,()[] ")
    table: dict[int, str] = {}
    for code in range(0x80, 0x110000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        ch = chr(code)
        decimal = unicodedata.decimal(ch, None)
        if decimal is not None:
            table[code] = str(decimal)
        elif unicodedata.category(ch) == "Pd" or ch in _MORE_DASHES:
            table[code] = "-"
        elif ch.isspace():
            table[code] = " "
        elif ch in _MORE_COMMAS:
            table[code] = ","
        elif ch in _MORE_DOTS:
            table[code] = "."
        else:
            folded = unicodedata.normalize("NFKC", ch)
            if len(folded) == 1 and folded in wanted:
                table[code] = folded
    return table


# Each finder returns the end of what it replaces and the replacement, or None to keep
# the match as it is.
Finding = tuple[int, str] | None


def _mobile(match: re.Match[str]) -> Finding:
    return match.end(), mask_mobile(_digits(match.group(0))[-PHONE_DIGITS:])


def _id_card(match: re.Match[str]) -> Finding:
    number = match.group(0)
    if not _id_card_valid(number):
        return None
    return match.end(), f"{number[:3]}{'*' * 11}{number[-4:]}"


def _labelled_address(match: re.Match[str]) -> Finding:
    return match.end(), f"{match.group(1)}{match.group(2)}<已隐藏>"


def _street_address(match: re.Match[str]) -> Finding:
    text = match.group(0)
    street = _STREET_RE.search(text)
    if street is None:
        return None
    # The address ends at its last street or number mark; what follows is the
    # merchant's own words and stays.
    cut = street.end()
    for later in _STREET_RE.finditer(text, cut):
        if later.start() - cut > 6:
            break
        cut = later.end()
    rest = re.match(r"[\dA-Za-z\-#]*(?:\s?(?:号|室|栋|幢|单元|楼|层))?", text[cut:])
    cut += rest.end() if rest else 0
    address = "".join(text[:cut].split())
    return match.start() + cut, f"{mask_address(address)}***"


_FINDERS = (
    (_MOBILE_IN_TEXT_RE, _mobile),
    (_ID_CARD_RE, _id_card),
    (_LABELLED_ADDRESS_RE, _labelled_address),
    (_ADDRESS_RE, _street_address),
)


def redact(text: str) -> str:
    """Mask every mobile number, ID-card number and street address in free text, and
    any value written after `地址:`. Found in the NFKC view of the text, so that
    full-width and other look-alike digits are seen too."""
    view = ascii_view(text)
    starts: list[int] = []  # sorted, with the replaced spans below
    spans: dict[int, tuple[int, str]] = {}
    for pattern, finder in _FINDERS:
        for match in pattern.finditer(view):
            found = finder(match)
            if found is None:
                continue
            start, (end, replacement) = match.start(), found
            at = bisect.bisect_left(starts, start)
            if (at > 0 and spans[starts[at - 1]][0] > start) or (at < len(starts) and starts[at] < end):
                continue  # already inside something replaced
            starts.insert(at, start)
            spans[start] = (end, replacement)
    if not starts:
        return text
    out, position = [], 0
    for start in starts:
        end, replacement = spans[start]
        out.append(text[position:start])
        out.append(replacement)
        position = end
    out.append(text[position:])
    return "".join(out)


def clean_text(text: str) -> str:
    """Free text on its way into storage: control and format characters removed (zero-
    width spaces and RTL marks hide text from whoever reads it later), then redacted."""
    refuse_surrogates(text)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf") or ch in "\n\t")
    return redact(text).strip()


LOG_LINE_MAX = 2000


def log_safe(text: str) -> str:
    """A log line: redacted and cut to a sane length (one crafted message must not
    write a megabyte into the log)."""
    if len(text) > LOG_LINE_MAX * 4:
        text = text[: LOG_LINE_MAX * 4]
    text = redact(text)
    if len(text) > LOG_LINE_MAX:
        text = f"{text[:LOG_LINE_MAX]}…（截断，共 {len(text)} 字）"
    return text


def excerpt(text: str, limit: int = 20) -> str:
    """A user's word echoed back in a refusal (「…」不是编号): redacted before it is cut,
    so that no reply repeats a phone number, not even most of one."""
    return redact(text[: limit * 4])[:limit]


# -- words relayed from one person to another ------------------------------------------------
# An appeal's reason reaches the reporting shops, a report's description the 版主, an
# evidence note the other shops of a joint case. Relayed, such text must never speak in
# the bot's voice (DESIGN.md §7): a line of its own starting 【版主通知】 with a link to
# click was phishing signed by the bot. So it is quoted on one line, capped, its links
# shown defanged (hxxp://evil[.]example: no chat app makes that clickable), and the
# marks the bot's own headers use are replaced.
RELAYED_MAX = 500
_LINK_RE = re.compile(
    r"(?:\b[a-z][a-z0-9+.\-]{1,15}://|\bwww\.)\S+"  # a scheme, or www.
    r"|\b(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}\b(?:[/:?#]\S*)?"  # host.tld[/…]
    r"|\b[0-9]{1,3}(?:\.[0-9]{1,3}){3}\b(?:[/:?#]\S*)?",  # an IPv4 address
    re.IGNORECASE,
)
_SCHEME_RE = re.compile(r"^(h)tt(ps?)", re.IGNORECASE)
# The bot's headers are 【…】; quotes are 「…」, so the quoted text's own 「」 become 『』.
_MARKS = str.maketrans({"【": "[", "】": "]", "〖": "[", "〗": "]", "︻": "[", "︼": "]", "「": "『", "」": "』"})


def _defanged(link: str) -> str:
    return _SCHEME_RE.sub(r"\1xx\2", link).replace(".", "[.]")


def relayed(text: object, limit: int = RELAYED_MAX) -> str:
    """Someone's words as the bot relays them to someone else: 「…」 on one line (every
    line break and run of spaces folded to one space; control and invisible characters
    dropped), redacted, links defanged, at most `limit` characters of text. "" for
    nothing. The templates say whose words they are (申诉人原话：「…」)."""
    if text is None:
        return ""
    raw = str(text)[: limit * 4]
    visible = "".join(
        " " if ch.isspace() else ch for ch in raw if ch.isspace() or unicodedata.category(ch) not in ("Cc", "Cf")
    )
    folded = redact(" ".join(visible.split()))
    if not folded:
        return ""
    view = ascii_view(folded)
    out, position = [], 0
    for link in _LINK_RE.finditer(view):
        out.append(folded[position : link.start()])
        out.append(_defanged(link.group(0)))
        position = link.end()
    out.append(folded[position:])
    said = "".join(out).translate(_MARKS)
    if len(said) > limit:
        said = said[:limit].rstrip() + "…"
    return f"「{said}」"
