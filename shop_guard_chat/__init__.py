"""What every capability plugin shares: who is speaking, where, and how a reply or a
refusal becomes a message. Not a plugin itself (the leading underscore keeps NoneBot's
load_plugins from loading it).

What differs between chat networks (file links, uploads, pictures, group roles, how a
failed send is classified) sits behind `ChatNetwork`, one module per adapter, as
nonebot-plugin-alconna keeps one folder per adapter: onebot_v11 for QQ, console for the
terminal chat, qqbot for the official QQ bot; webhooks is the way out to the push-only
robots (企业微信, 钉钉, 飞书). Another chat network is another module, not an edit through
the plugins.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, NoReturn, Protocol

from nonebot import get_plugin_config, on_command
from nonebot.adapters import Bot, Event, Message
from nonebot.matcher import Matcher, current_matcher

from bot.commands.catalogue import command
from bot.errors import BadInput, Refused
from bot.identity.accounts import account
from bot.identity.text import excerpt, fold
from bot.messaging.render import explain, render
from bot.settings import Settings
from bot.states import Channel
from bot.trust.moderation import Actor, Membership

# The adapters the plugins are written for (PluginMetadata.supported_adapters).
SUPPORTED_ADAPTERS = {"~onebot.v11", "~console", "~qq"}


@dataclass(frozen=True, slots=True)
class Line:
    """A message as the entry judges it: whose chat it is (the session id NoneBot gives
    the event), what kinds of segment it carries, and the texts a command could start
    with. Over OneBot it is read from the raw JSON, before NoneBot builds an event, so
    that conversation costs no more than this."""

    session_id: str
    kinds: frozenset[str]
    leads: tuple[str, ...]

    @classmethod
    def of(cls, event: Event) -> Line:
        """Of a message event, as NoneBot dispatches it (the adapter has already taken
        a leading @bot, reply or nickname off): a command can only start its first
        segment."""
        message = event.get_message()
        leads = (str(message[0]),) if message and message[0].is_text() else ()
        return cls(event.get_session_id(), frozenset(segment.type for segment in message), leads)


@dataclass(frozen=True)
class IncomingFile:
    """A file a member sent (a group upload or a private file message)."""

    name: str
    size: int | None
    event: Event


class ChatNetwork(Protocol):
    # The account prefix of this network's users ("qq" for QQ): the same person across
    # every bot instance and group.
    network: str

    def group_of(self, event: Event) -> int | None:
        """The group a message came from; None in a private chat."""

    def reply_target(self, event: Event) -> tuple[Channel, int] | None:
        """Where a later proactive message about this event goes (the outbox): its group,
        or the sender privately; None where the network has no such address."""

    def is_group_admin(self, event: Event) -> bool:
        """The sender is an owner or admin of the group the message came from."""

    def mentioned(self, event: Event) -> list[str]:
        """User ids @-mentioned in the message, except the bot."""

    async def membership(self, bot: Bot, group_id: int, user_id: str) -> Membership | None:
        """Whether the user is a member of the group, and since when; None where the
        network cannot tell (the core then refuses to let anyone vouch for them there)."""

    def picture_urls(self, message: Message) -> list[str]:
        """Where the pictures of a message can be downloaded."""

    def quoted_picture_urls(self, event: Event) -> list[str]:
        """The pictures of the message this one replies to (quotes); [] where the network
        does not say which message that is."""

    def invitation(self, event: Event) -> str | None:
        """The account inviting the bot into a group, when the event is that."""

    async def answer_invitation(self, bot: Bot, event: Event, approve: bool, reason: str) -> None:
        """Accept or decline a group invitation (with a reason the inviter sees)."""

    def incoming_file(self, event: Event) -> IncomingFile | None:
        """The spreadsheet-like file this event carries, if any."""

    async def file_url(self, bot: Bot, file: IncomingFile) -> str:
        """The download link of an incoming file (may ask the client for it)."""

    def text(self, text: str, image: Path | None = None) -> Message:
        """Text that goes out as text, whatever it holds (never parsed for codes), and
        an optional picture under it."""

    async def send_file(self, bot: Bot, event: Event, path: Path) -> bool:
        """Upload a file into the chat the event came from; False where the network or
        the client cannot."""


@lru_cache(maxsize=1)
def _networks() -> dict[str, ChatNetwork]:
    from shop_guard_chat import console, onebot_v11, qqbot  # noqa: PLC0415 - each builds on the types above

    return {"OneBot V11": onebot_v11.NETWORK, "Console": console.NETWORK, "QQ": qqbot.NETWORK}


def network(bot: Bot) -> ChatNetwork:
    found = _networks().get(bot.adapter.get_name())
    if found is None:
        raise LookupError(f"no chat network for adapter {bot.adapter.get_name()}")
    return found


def group_of(bot: Bot, event: Event) -> int | None:
    return network(bot).group_of(event)


def member_key(bot: Bot, event: Event) -> str:
    """The chat account that speaks: "qq:12345", "console:user"."""
    return account(network(bot).network, event.get_user_id())


def command_matcher(name: str) -> type[Matcher]:
    """The matcher of a command of the catalogue (templates/commands.toml): its word, its
    alias and its priority come from there; a space must follow the word; no matcher after
    it is tried. Called by the plugin that handles the command, which NoneBot then names
    as the matcher's plugin."""
    spec = command(name)
    # _depth=1: NoneBot finds the plugin one frame further up, past this function. Its
    # type stub leaves the parameter out; on_command itself takes it and passes it on.
    return on_command(  # type: ignore[call-arg]
        name, aliases={spec.alias}, force_whitespace=True, priority=spec.priority, block=True, _depth=1
    )


async def answer(matcher: type[Matcher] | Matcher, template: str, **context: Any) -> NoReturn:
    await matcher.finish(render(template, **context))


async def send_burst(matcher: type[Matcher] | Matcher, messages: Sequence[str | Message]) -> None:
    """Several messages as one reply, paced as the outbox paces a chat
    (SEND_INTERVAL_SECONDS apart): three messages within 0.05 s is how an account gets
    rate-limited."""
    interval = get_plugin_config(Settings).send_interval_seconds
    for index, message in enumerate(messages):
        if index:
            await asyncio.sleep(interval)
        await matcher.send(message)


Handler = Callable[..., Awaitable[None]]


def answers_refusals(command_name: str | None) -> Callable[[Handler], Handler]:
    """A handler whose refusals (bot.errors.Refused) are answered with their zh-CN
    explanation and the command's usage (None: a file or a reply, no command to show), so
    that the handler reads as what it does.
    NoneBot still sees the handler's own parameters (functools.wraps keeps them)."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def handle(**params: Any) -> None:
            try:
                await handler(**params)
            except Refused as refusal:
                await refuse(current_matcher.get(), refusal, command_name)

        return handle

    return decorate


async def refuse(matcher: type[Matcher] | Matcher, refusal: Refused, command_name: str | None) -> NoReturn:
    """Explain a refusal, with the command's usage from the catalogue (templates/
    commands.toml, the one place usage texts live)."""
    usage = command(command_name).usage if command_name else ""
    await matcher.finish(explain(refusal, usage=usage))


def target_account(bot: Bot, event: Event, word: str | None) -> str:
    """Whom a command is about: the member @-mentioned in the message, else the QQ number
    written (`/认证 12345`)."""
    mentioned = network(bot).mentioned(event)
    if mentioned:
        return account(network(bot).network, mentioned[0])
    text = fold(word or "").lstrip("@")
    if not text.isdigit() or not 5 <= len(text) <= 12:
        raise BadInput("account_invalid", word=excerpt(word or ""))
    return account(network(bot).network, text)


def actor(bot: Bot, event: Event) -> Actor:
    """Who asks and where, for the rules of DESIGN.md §7."""
    chat = network(bot)
    return Actor(member_key(bot, event), chat.group_of(event), chat.is_group_admin(event))
