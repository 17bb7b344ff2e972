"""Every message the bot sends is rendered here from templates/ (DESIGN.md §5)."""

from __future__ import annotations

import tomllib
from datetime import datetime
from enum import Enum
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import jinja2

from bot import TEMPLATES
from bot.errors import Refused
from bot.identity.buyers import mask_buyer_id
from bot.identity.platforms import Platform, platform_words
from bot.identity.text import redact, relayed
from bot.scoring.categories import Category

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local_time(value: datetime, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return value.astimezone(SHANGHAI).strftime(fmt)


def yuan(fen: int | None) -> str:
    if fen is None:
        return ""
    whole, cents = divmod(fen, 100)
    return f"{whole}.{cents:02d} 元" if cents else f"{whole} 元"


def account(value: str | None) -> str:
    """A chat account as people know it: QQ 12345."""
    if not value:
        return ""
    network, _, user = value.partition(":")
    if network == "qq":
        return f"QQ {user}"
    if network == "qqbot":  # an openid: long, and the same person on no other bot
        return f"QQ 机器人用户 …{user[-6:]}"
    return "系统" if value == "system" else value


@lru_cache(maxsize=1)
def _labels() -> dict[str, dict[str, str]]:
    with (TEMPLATES / "labels.toml").open("rb") as file:
        return tomllib.load(file)


def label(value: object, kind: str | None = None, detail: str = "") -> str:
    """The merchant's word for a stored state (templates/labels.toml): an enum names its
    own table; a plain value needs the table's name. `detail` fills a {detail} in it."""
    table = _labels().get(kind or type(value).__name__, {})
    text = value.value if isinstance(value, Enum) else str(value)
    found = table.get(text, text)
    return found.replace("{detail}", detail) if detail else found


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        # Replies are plain chat text, not HTML: escaping would show "&lt;" to merchants.
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        # The templates ship with the bot: a changed one needs a restart, and no reply
        # stats its file to find out (a file-system call per message under load).
        auto_reload=False,
    )
    env.filters["local_time"] = local_time
    env.filters["yuan"] = yuan
    env.filters["account"] = account
    env.filters["mask_buyer"] = mask_buyer_id
    env.filters["label"] = label
    # A stored category or platform code as merchants name it (差评敲诈, 拼多多).
    env.filters["category"] = lambda code: Category(code).label
    env.filters["platform"] = lambda code: Platform(code).label
    # words(platform).chat and the like: each platform's own words (templates/platforms.toml).
    env.globals["words"] = platform_words
    # Text that is itself a template (a flow step's text): rendered with the given context.
    env.filters["fill"] = fill
    # Someone's words relayed to someone else (an appeal's reason, a report's description,
    # an evidence note, a shop's name in a case's news): 「…」 on one line, links defanged,
    # capped; `quoted(40)` caps at 40. The template says whose words they are.
    env.filters["quoted"] = relayed
    return env


@lru_cache(maxsize=512)
def _compiled(text: str) -> jinja2.Template:
    return environment().from_string(text)


def fill(text: str, **context: Any) -> str:
    return _compiled(text).render(**context) if "{" in text else text


@lru_cache(maxsize=1)
def html_environment() -> jinja2.Environment:
    """The dashboard's pages: the same templates folder and filters, escaped as HTML
    (buyer ids, shop names and evidence texts are anyone's input)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters.update(environment().filters)
    env.globals["words"] = platform_words
    return env


def render_html(template: str, **context: Any) -> str:
    return html_environment().get_template(template).render(**context)


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context).strip()


def explain(refusal: Refused, **extra: Any) -> str:
    """A refusal in words. Its facts are often what the sender typed, echoed back
    (「…」不是编号): redacted here, so that no reply repeats a phone number typed."""
    context = {name: _unrepeated(value) for name, value in refusal.context.items()}
    return render(refusal.template, **{**context, **extra})


def _unrepeated(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if type(value) is int and value >= 10**10:  # a number typed for a report's (#13812345678)
        return redact(str(value))
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return [redact(item) for item in value]
    return value


def warm_up() -> int:
    """Compile every template now (at start-up) rather than in the first merchant's
    message, where compiling the verdict's templates stalled the event loop ~0.2 s."""
    env = environment()
    names = [path.relative_to(TEMPLATES).as_posix() for path in TEMPLATES.rglob("*.j2")]
    for name in names:
        env.get_template(name)
    return len(names)
