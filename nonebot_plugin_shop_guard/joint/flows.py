import re
from typing import NoReturn

from nonebot import get_plugin_config, logger
from nonebot.adapters import Bot, Event, Message
from nonebot.matcher import Matcher
from nonebot.params import CommandArg
from nonebot.permission import Permission
from nonebot.typing import T_State

from bot.cases.evidence import PICTURE_MAX_BYTES
from bot.cases.joint import CaseSummary
from bot.commands.grammar import parse_buyer
from bot.commands.requests import evidence_note
from bot.errors import BadInput
from bot.identity.text import excerpt
from bot.messaging.render import render
from bot.settings import Settings
from nonebot_plugin_shop_guard.runtime import Speaker, Speaking, pool
from nonebot_plugin_shop_guard.screenshots.flows import read_evidence
from shop_guard_chat import Line, answer, answers_refusals, network
from shop_guard_chat.downloads import fetch

_CASE_RE = re.compile(r"^#?(\d{1,9})$")


def _case_number(word: str) -> int:
    word = word.strip()
    if not word:
        raise BadInput("joint.case_number_missing")
    match = _CASE_RE.match(word)
    if not match:
        raise BadInput("joint.case_number_invalid", word=excerpt(word))
    return int(match.group(1))


_LEAVE = ("退出", "离开", "leave")
_JOIN = ("加入", "join")
_OPEN = ("发起", "开启", "open", "start")


def _case_hint(words: list[str]) -> int | None:
    """The case number a group message names, if any: for the private-chat hint only."""
    match = _CASE_RE.match(words[0]) if words else None
    return int(match.group(1)) if match else None


async def _private_only(matcher: type[Matcher], speaker: Speaker, words: list[str]) -> None:
    """Case views, evidence and letters are answered in private chat only: in a group
    the hint, and nothing else (a buyer's accomplice may sit in any group)."""
    if speaker.group_id is not None:
        await answer(matcher, "joint/private_only.j2", case_id=_case_hint(words))


def do_joint(matcher: type[Matcher]) -> None:
    @matcher.handle()
    @answers_refusals("联合")
    async def joint(speaker: Speaker = Speaking, args: Message = CommandArg()) -> None:
        words = args.extract_plain_text().split()
        await _private_only(matcher, speaker, words)
        shop = speaker.registered
        cases = pool().joint
        if not words:
            settings = get_plugin_config(Settings)
            members = await cases.cases_for(shop)
            await answer(
                matcher,
                "joint/list.j2",
                members=members,
                threshold=settings.joint_threshold_shops,
                window=settings.joint_window_days,
            )
        if words[0] in _OPEN:
            # Two harmed shops need not wait for a third (the automatic threshold).
            text = args.extract_plain_text().strip()[len(words[0]) :]
            platform, buyer_id = parse_buyer(text, speaker.platform)
            await answer(matcher, "joint/view.j2", v=await cases.open_by_hand(shop, platform, buyer_id))
        case_id = _case_number(words[0])
        action = words[1] if len(words) > 1 else None
        if action in _LEAVE:
            await answer(matcher, "joint/left.j2", case=await cases.leave(shop, case_id))
        if action in _JOIN:
            await answer(matcher, "joint/view.j2", v=await cases.join(shop, case_id))
        if action:
            await answer(matcher, "joint/status_set.j2", change=await cases.set_status(shop, case_id, action))
        found = await cases.open(shop, case_id)
        if isinstance(found, CaseSummary):
            await answer(matcher, "joint/summary.j2", s=found)
        await answer(matcher, "joint/view.j2", v=found)


async def _downloaded(urls: list[str]) -> list[bytes]:
    allowed = get_plugin_config(Settings).download_allow_hosts
    too_large = BadInput("joint.picture_too_large", limit_mb=PICTURE_MAX_BYTES // 1024 // 1024)
    return [await fetch(url, PICTURE_MAX_BYTES, allowed, too_large) for url in urls]


# The member whose /证据 waits for pictures sent as a message of their own, and the wait
# they started. A new command from them ends it (before, `/证据 1 …` then `/证据 2 …` with
# a picture filed the picture under case 1 and lost the second text).
_waiting: dict[str, object] = {}


def _only_pictures(bot: Bot, message: Message) -> bool:
    """A message that is just pictures (phones send a picture on its own)."""
    return bool(network(bot).picture_urls(message)) and not message.extract_plain_text().strip()


def waits_for_pictures(line: Line) -> bool:
    return line.session_id in _waiting


def end_the_wait(session: str) -> None:
    """A new command from the member ends their wait for pictures."""
    _waiting.pop(session, None)


def do_evidence(matcher: type[Matcher]) -> None:
    @matcher.handle()
    @answers_refusals("证据")
    async def evidence(
        bot: Bot, event: Event, state: T_State, speaker: Speaker = Speaking, args: Message = CommandArg()
    ) -> None:
        text = args.extract_plain_text().strip()
        await _private_only(matcher, speaker, text.split())
        pictures = network(bot).picture_urls(args)
        shop = speaker.registered
        number, _, description = text.partition(" ")
        description = evidence_note(description)
        if not number:
            raise BadInput("joint.evidence_missing")
        case_id = _case_number(number)
        await pool().joint.admit_evidence(shop, case_id, len(pictures))
        downloaded = await _downloaded(pictures)
        if pictures or description:
            stored, duplicates = await pool().joint.add_evidence(shop, case_id, description or "截图", downloaded)
        if pictures:
            await _evidence_added(matcher, bot, speaker, case_id, stored, duplicates, downloaded)
        # Phones send a picture as a message of its own: the member's next message that
        # is just pictures (within NoneBot's session timeout, and unless they send another
        # command first) is taken for this case.
        wait = object()
        _waiting[event.get_session_id()] = wait
        state["evidence"] = (case_id, description or "截图", wait)
        minutes = max(1, round(bot.config.session_expire_timeout.total_seconds() / 60))
        await matcher.pause(
            render(
                "joint/evidence_waiting.j2",
                case_id=case_id,
                text_stored=bool(description),
                stored=stored if description else 0,
                duplicates=duplicates if description else 0,
                minutes=minutes,
            )
        )

    @matcher.permission_updater
    async def pictures_from_the_same_member(event: Event, state: T_State) -> Permission:
        # Anything else the member says meanwhile (a /查, a chat line) goes on to the
        # other commands as usual.
        session = event.get_session_id()
        wait = state["evidence"][2]

        async def same_member_sending_pictures(bot: Bot, later: Event) -> bool:
            return (
                later.get_session_id() == session
                and _waiting.get(session) is wait
                and _only_pictures(bot, later.get_message())
            )

        return Permission(same_member_sending_pictures)

    @matcher.handle()
    @answers_refusals("证据")
    async def evidence_pictures(bot: Bot, event: Event, state: T_State, speaker: Speaker = Speaking) -> None:
        case_id, description, _ = state["evidence"]
        _waiting.pop(event.get_session_id(), None)
        shop = speaker.registered
        pictures = network(bot).picture_urls(event.get_message())
        await pool().joint.admit_evidence(shop, case_id, len(pictures))
        downloaded = await _downloaded(pictures)
        stored, duplicates = await pool().joint.add_evidence(shop, case_id, description, downloaded, caption=True)
        await _evidence_added(matcher, bot, speaker, case_id, stored, duplicates, downloaded)


async def _evidence_added(
    matcher: type[Matcher] | Matcher,
    bot: Bot,
    speaker: Speaker,
    case_id: int,
    stored: int,
    duplicates: int,
    pictures: list[bytes],
) -> NoReturn:
    """The evidence reply, with what its screenshots read as (and a word when one names
    another buyer than the case's): as text segments, since it holds what was read."""
    text = render("joint/evidence_added.j2", case_id=case_id, stored=stored, duplicates=duplicates)
    read = await read_evidence(speaker, pictures, await pool().joint.buyer_of(speaker.registered, case_id))
    await matcher.finish(network(bot).text(f"{text}\n\n{read}" if read else text))


def do_complaint(matcher: type[Matcher]) -> None:
    @matcher.handle()
    @answers_refusals("投诉书")
    async def complaint(bot: Bot, event: Event, speaker: Speaker = Speaking, args: Message = CommandArg()) -> None:
        words = args.extract_plain_text().split()
        await _private_only(matcher, speaker, words)
        shop = speaker.registered
        case_id = _case_number(words[0] if words else "")
        police = len(words) > 1 and words[1] in ("报警", "报案", "police")
        if len(words) > 1 and not police:
            raise BadInput("joint.letter_variant", word=excerpt(words[1], 20))
        text, path = await pool().joint.letter(shop, case_id, police=police)
        await matcher.send(network(bot).text(text))
        # As a file too, where the client supports uploads (NapCat, Lagrange and
        # go-cqhttp do); sent as data, so the client need not see this machine's disk.
        uploaded = await network(bot).send_file(bot, event, path)
        await answer(matcher, "joint/letter_sent.j2", path=path, case_id=case_id, police=police, uploaded=uploaded)


async def queue_reminders() -> None:
    try:
        await pool().joint.queue_reminders()
    except Exception:
        logger.exception("joint-case reminder round failed")
