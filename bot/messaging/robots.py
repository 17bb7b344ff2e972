"""The rules of the webhook robots merchants' teams already have in their groups: 企业微信,
钉钉 and 飞书 (Lark). A robot can only be pushed to; each service has its own address,
limits, signature, message format and words for failure, and they are all here.

| service | host | pace | one message | signature |
|---|---|---|---|---|
| 企业微信 | qyapi.weixin.qq.com | 20 a minute per robot | text ≤ 2,048 bytes | none (the key in the address) |
| 钉钉 | oapi.dingtalk.com | 20 a minute, then blocked for 10 minutes | text, kept ≤ 4,000 bytes | optional: HMAC-SHA256 of "timestamp\\nsecret", in the address |
| 飞书 | open.feishu.cn, open.larksuite.com | 100 a minute and 5 a second | request ≤ 20 KB | optional: HMAC-SHA256 keyed with "timestamp\\nsecret", in the body |

钉钉 and 飞书 may instead (or also) demand a keyword in every message: a robot registered
with one gets it at the head of each message that lacks it. A message over the limit is
split on line boundaries into numbered parts.

The address of a robot is a credential: it is accepted only on the service's own host
and path (the bot never POSTs to an address someone typed, unless the deployment lists
the host in WEBHOOK_ALLOW_HOSTS, e.g. an intranet relay, and then says which service it
imitates), and it is shown only masked.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from enum import Enum, StrEnum
from urllib.parse import parse_qsl, quote_plus, urlencode, urlsplit, urlunsplit

from bot.errors import BadInput
from bot.identity.text import fold
from bot.messaging.render import render


class Service(StrEnum):
    wecom = "企业微信"
    dingtalk = "钉钉"
    feishu = "飞书"


@dataclass(frozen=True)
class Rules:
    service: Service
    hosts: tuple[str, ...]
    path: re.Pattern[str]  # the webhook path on the official host; group 1 the token, if there
    token_parameter: str | None  # the query parameter that carries the token, if any
    interval: float  # seconds between two messages to one robot: its documented pace
    text_limit: int  # bytes of one message's text (JSON-escaped for 飞书, whose limit is on the request)
    signs: bool  # the service can sign with a secret
    rate_limited_wait: float  # seconds to wait after the service said "too fast"
    takes_images: bool  # a PNG can be sent as a message of its own


RULES: dict[Service, Rules] = {
    # 20 messages a minute per robot; text content ≤ 2,048 bytes (UTF-8); an image as
    # base64 with its MD5, ≤ 2 MB.
    Service.wecom: Rules(
        Service.wecom,
        ("qyapi.weixin.qq.com",),
        re.compile(r"/cgi-bin/webhook/send"),
        "key",
        interval=3.0,
        text_limit=2048,
        signs=False,
        rate_limited_wait=60,
        takes_images=True,
    ),
    # 20 messages a minute; over that the robot is blocked for 10 minutes. The text limit
    # is not documented: 4,000 bytes stays well inside what works.
    Service.dingtalk: Rules(
        Service.dingtalk,
        ("oapi.dingtalk.com",),
        re.compile(r"/robot/send"),
        "access_token",
        interval=3.0,
        text_limit=4000,
        signs=True,
        rate_limited_wait=600,
        takes_images=False,
    ),
    # 100 messages a minute and 5 a second; the request ≤ 20 KB; 11232 on the hour and the
    # half hour, when everyone's reports go out at once.
    Service.feishu: Rules(
        Service.feishu,
        ("open.feishu.cn", "open.larksuite.com"),
        re.compile(r"/open-apis/bot/v2/hook/([A-Za-z0-9\-]{8,80})"),
        None,
        interval=0.6,
        text_limit=18_000,
        signs=True,
        rate_limited_wait=60,
        takes_images=False,
    ),
}
_BY_HOST = {host: rules.service for rules in RULES.values() for host in rules.hosts}
_TOKEN = re.compile(r"[A-Za-z0-9\-_]{8,128}")
IMAGE_MAX_BYTES = 2 * 1024 * 1024


_ALIASES = {
    Service.wecom: ("企微", "wechatwork", "wework", "qywx"),
    Service.dingtalk: ("dingding", "dingtalk", "dd"),
    Service.feishu: ("lark", "feishu", "fs"),
}


def parse_service(word: str) -> Service | None:
    folded = fold(word)
    for service in Service:
        if folded in (service.value, service.name, *_ALIASES.get(service, ())):
            return service
    return None


@dataclass(frozen=True)
class Address:
    url: str  # rebuilt from the parts checked, nothing else
    service: Service
    host: str
    token: str  # the credential in it, for the mask

    @property
    def mask(self) -> str:
        return mask_address(self.host, self.token)


def mask_address(host: str, token: str) -> str:
    """What a list shows of an address: the host and the token's last four characters."""
    return f"{host}/…{token[-4:]}" if len(token) >= 12 else f"{host}/…"


def parse_address(text: str, kind: Service | None, allowed_hosts: Collection[str]) -> Address:
    """A robot's address, checked: on a service's own host, https, at its webhook path
    with a token; or on a host the deployment allows (WEBHOOK_ALLOW_HOSTS), with the
    service it imitates named. Anything else is refused before it is stored."""
    raw = text.strip()
    if not raw.isascii() or any(ch.isspace() for ch in raw):
        raise BadInput("robots.address_invalid")
    try:
        parts = urlsplit(raw)
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        raise BadInput("robots.address_invalid") from None
    if parts.scheme not in ("http", "https") or not host or parts.username or parts.password or parts.fragment:
        raise BadInput("robots.address_invalid")
    service = _BY_HOST.get(host)
    if service is not None:
        if kind is not None and kind != service:
            raise BadInput("robots.kind_mismatch", kind=kind.value, service=service.value)
        if parts.scheme != "https" or port not in (None, 443):
            raise BadInput("robots.address_invalid")
        return _official(parts.path, parts.query, service, host)
    if host not in {h.lower() for h in allowed_hosts}:
        raise BadInput("robots.host_refused", host=host[:60])
    if kind is None:
        raise BadInput("robots.kind_missing")
    netloc = host if port is None else f"{host}:{port}"
    url = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    token = parts.query or parts.path
    return Address(url, kind, host, token)


def _official(path: str, query: str, service: Service, host: str) -> Address:
    rules = RULES[service]
    match = rules.path.fullmatch(path)
    if match is None:
        raise BadInput("robots.address_invalid")
    if rules.token_parameter is None:
        token = match.group(1)
        url = urlunsplit(("https", host, path, "", ""))
    else:
        values = dict(parse_qsl(query))
        token = values.get(rules.token_parameter, "")
        if not _TOKEN.fullmatch(token):
            raise BadInput("robots.address_invalid")
        url = urlunsplit(("https", host, path, urlencode({rules.token_parameter: token}), ""))
    return Address(url, service, host, token)


def check_secret(service: Service, secret: str | None) -> str | None:
    """A signing secret, for the services that sign (企业微信's credential is its key)."""
    if secret and not RULES[service].signs:
        raise BadInput("robots.no_signature", service=service.value)
    return secret or None


# -- signatures ------------------------------------------------------------------------


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """钉钉: base64(HMAC-SHA256(key=secret, "timestamp\\nsecret")), URL-encoded."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode())


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """飞书: base64(HMAC-SHA256(key="timestamp\\nsecret", empty message))."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


# -- messages ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """One message of what goes to a robot: a text, or a picture (企业微信 only)."""

    text: str | None = None
    image: bytes | None = None


def _size(service: Service) -> Callable[[str], int]:
    if service == Service.feishu:
        return lambda text: len(json.dumps(text, ensure_ascii=False).encode()) - 2
    return lambda text: len(text.encode())


def parts(service: Service, text: str, keyword: str | None = None, image: bytes | None = None) -> list[Part]:
    """The messages one outbox message becomes for this service: the text split on line
    boundaries within the service's limit (numbered when there are several), each with
    the robot's keyword where the text lacks it, and the picture where the service takes
    pictures."""
    rules = RULES[service]
    size = _size(service)
    # Room for the keyword line and the part number.
    budget = rules.text_limit - size(render("robots/part.j2", text="", keyword=keyword or "", n=99, total=99))
    chunks = _split(text, budget, size)
    found: list[Part] = []
    for index, chunk in enumerate(chunks, 1):
        lacks = keyword if keyword and keyword not in chunk else ""
        numbered = len(chunks) > 1
        found.append(
            Part(render("robots/part.j2", text=chunk, keyword=lacks, n=index if numbered else 0, total=len(chunks)))
        )
    if image is not None and rules.takes_images and len(image) <= IMAGE_MAX_BYTES:
        found.append(Part(image=image))
    return found


def _split(text: str, budget: int, size: Callable[[str], int]) -> list[str]:
    if size(text) <= budget:
        return [text]
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if size(candidate) <= budget:
            current = candidate
            continue
        if current:
            chunks.append(current)
        # A single line over the budget is cut where it must be, by characters.
        while size(line) > budget:
            cut = _fit(line, budget, size)
            chunks.append(line[:cut])
            line = line[cut:]
        current = line
    if current:
        chunks.append(current)
    return chunks


def _fit(line: str, budget: int, size: Callable[[str], int]) -> int:
    low, high = 1, len(line)
    while low < high:
        middle = (low + high + 1) // 2
        if size(line[:middle]) <= budget:
            low = middle
        else:
            high = middle - 1
    return low


def request(service: Service, url: str, part: Part, secret: str | None, now_ms: int) -> tuple[str, bytes]:
    """The address (signed where 钉钉 signs) and JSON body that send one part."""
    body: dict[str, object]
    if part.image is not None:
        body = {
            "msgtype": "image",
            "image": {"base64": base64.b64encode(part.image).decode(), "md5": hashlib.md5(part.image).hexdigest()},
        }
    elif service == Service.feishu:
        body = {"msg_type": "text", "content": {"text": part.text or ""}}
    else:
        body = {"msgtype": "text", "text": {"content": part.text or ""}}
    if secret and service == Service.dingtalk:
        url = f"{url}{'&' if '?' in url else '?'}timestamp={now_ms}&sign={dingtalk_sign(secret, now_ms)}"
    elif secret and service == Service.feishu:
        seconds = now_ms // 1000
        body = {"timestamp": str(seconds), "sign": feishu_sign(secret, seconds), **body}
    return url, json.dumps(body, ensure_ascii=False).encode()


# -- answers -----------------------------------------------------------------------------


class Outcome(Enum):
    sent = "sent"
    rate_limited = "rate_limited"  # too fast: wait the service's block, then again
    refused = "refused"  # the address, its signature or keyword is wrong: retrying cannot help
    failed = "failed"  # anything else: retried with back-off


# The services' own codes (errcode for 企业微信 and 钉钉, code or StatusCode for 飞书).
_RATE_LIMITED = {
    Service.wecom: {45009},  # api freq out of limit
    Service.dingtalk: {130101, 410100},  # send too fast
    Service.feishu: {9499, 11232, 11233},  # too many requests; frequency limited (on the hour)
}
_REFUSED = {
    Service.wecom: {93000, 93004, 40001, 40014},  # invalid webhook url; robot removed; bad key
    Service.dingtalk: {300001, 300005, 310000, 400101},  # token does not exist; sign / keyword / ip refused
    Service.feishu: {19001, 19002, 19021, 19022, 19024},  # bad token; sign, ip, keyword refused
}


def outcome(service: Service, status: int, body: bytes) -> tuple[Outcome, str]:
    """What the service's answer means, and a short detail for the log (its code and
    message; never the address)."""
    if status == 429:
        return Outcome.rate_limited, "HTTP 429"
    if status in (401, 403, 404):
        return Outcome.refused, f"HTTP {status}"
    try:
        answer = json.loads(body) if body else {}
    except ValueError:
        answer = {}
    if not isinstance(answer, dict):
        answer = {}
    code = answer.get("errcode", answer.get("code", answer.get("StatusCode")))
    message = str(answer.get("errmsg", answer.get("msg", answer.get("StatusMessage", ""))))[:120]
    detail = f"HTTP {status} {code} {message}".strip()
    if status >= 500 or not 200 <= status < 300:
        return Outcome.failed, detail
    if code in (0, "0"):
        return Outcome.sent, detail
    if not isinstance(code, int):
        return Outcome.failed, detail
    if code in _RATE_LIMITED[service]:
        return Outcome.rate_limited, detail
    if code in _REFUSED[service]:
        return Outcome.refused, detail
    return Outcome.failed, detail
