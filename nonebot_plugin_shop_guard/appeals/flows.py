import re

from nonebot import get_plugin_config, logger
from nonebot.adapters import Bot, Message
from nonebot.matcher import Matcher
from nonebot.params import CommandArg

from bot.cases.evidence import PICTURE_MAX_BYTES, PICTURES_PER_MESSAGE
from bot.commands.grammar import parse_appeal
from bot.commands.requests import decision_note, evidence_note
from bot.errors import BadInput
from bot.identity.text import excerpt, fold
from bot.messaging.render import render
from bot.settings import Settings
from bot.trust.moderation import Actor
from nonebot_plugin_shop_guard.runtime import Speaker, Speaking, pool
from nonebot_plugin_shop_guard.screenshots.flows import read_evidence
from shop_guard_chat import answer, answers_refusals, network
from shop_guard_chat.downloads import fetch

_NUMBER_RE = re.compile(r"^#?(\d{1,9})$")


def _number(word: str, code: str) -> int:
    match = _NUMBER_RE.match(word.strip())
    if not match:
        raise BadInput(code, word=excerpt(word))
    return int(match.group(1))


async def _private_only(matcher: type[Matcher], speaker: Speaker, action: str) -> None:
    if speaker.group_id is not None:
        # Not in a group, and without repeating the buyer: an appeal is the buyer's own
        # business, not the group's.
        await answer(matcher, "appeals/private_only.j2", action=action)


async def _pictures(urls: list[str]) -> list[bytes]:
    """The pictures of a message, each within its limit, fetched only from public addresses."""
    if len(urls) > PICTURES_PER_MESSAGE:
        raise BadInput("joint.evidence_per_message", limit=PICTURES_PER_MESSAGE, count=len(urls))
    allowed = get_plugin_config(Settings).download_allow_hosts
    too_large = BadInput("joint.picture_too_large", limit_mb=PICTURE_MAX_BYTES // 1024 // 1024)
    return [await fetch(url, PICTURE_MAX_BYTES, allowed, too_large) for url in urls]


def do_appeal(matcher: type[Matcher]) -> None:
    @matcher.handle()
    @answers_refusals("申诉")
    async def appeal(bot: Bot, speaker: Speaker = Speaking, args: Message = CommandArg()) -> None:
        await _private_only(matcher, speaker, "申诉")
        # Without a platform word: the appellant's shop's platform; without a shop, the
        # platform that lists the buyer (asked when several do), never 淘宝 by default.
        request = parse_appeal(args.extract_plain_text(), speaker.platform)
        # Pictures sent with an appeal are new evidence (what may reopen a decided one).
        pictures = await _pictures(network(bot).picture_urls(args))
        opening = await pool().appeals.open(speaker.account, request, pictures)
        await answer(
            matcher,
            "appeals/opened.j2",
            opening=opening,
            appeal=opening.appeal,
            platform=opening.platform,
            buyer_id=opening.buyer_id,
        )


def do_answer(matcher: type[Matcher]) -> None:
    @matcher.handle()
    @answers_refusals("补充")
    async def add(bot: Bot, speaker: Speaker = Speaking, args: Message = CommandArg()) -> None:
        await _private_only(matcher, speaker, "补充申诉证据")
        number, _, text = args.extract_plain_text().strip().partition(" ")
        appeal_id = _number(number, "appeals.number_invalid")
        description = evidence_note(text) or "截图"
        pictures = await _pictures(network(bot).picture_urls(args))
        added = await pool().appeals.add_evidence(speaker.account, appeal_id, description, pictures)
        text = render("appeals/evidence_added.j2", appeal_id=appeal_id, added=added)
        # What the screenshots read as, under the reply (text segments: it holds what was read).
        read = await read_evidence(speaker, pictures)
        await matcher.finish(network(bot).text(f"{text}\n\n{read}" if read else text))


def do_review(matcher: type[Matcher]) -> None:
    @matcher.handle()
    @answers_refusals("审核")
    async def review(speaker: Speaker = Speaking, args: Message = CommandArg()) -> None:
        await _private_only(matcher, speaker, "审核申诉")
        words = args.extract_plain_text().split()
        who = speaker.actor
        appeals = pool().appeals
        if not words:
            await answer(
                matcher, "appeals/list.j2", views=await appeals.open_list(who), held=await appeals.held_list(who)
            )
        if fold(words[0]) in ("举报", "reports", "report"):
            await _review_held(who, words[1:])
        appeal_id = _number(words[0], "appeals.number_invalid")
        if len(words) == 1:
            await answer(matcher, "appeals/view.j2", v=await appeals.view(who, appeal_id))
        action = fold(words[1])
        rest = words[2:]
        if action in ("重开", "reopen"):
            view = await appeals.reopen(who, appeal_id, decision_note(" ".join(rest)))
            await answer(matcher, "appeals/reopened.j2", v=view)
        if action in ("撤销", "remove"):
            report_ids = []
            while rest and _NUMBER_RE.match(rest[0]):
                report_ids.append(_number(rest.pop(0), "appeals.number_invalid"))
            view = await appeals.remove(who, appeal_id, report_ids, decision_note(" ".join(rest)))
        elif action in ("维持", "uphold", "keep"):
            view = await appeals.uphold(who, appeal_id, decision_note(" ".join(rest)))
        else:
            raise BadInput("appeals.action_unknown", word=excerpt(words[1], 20))
        await answer(matcher, "appeals/decided.j2", v=view)

    async def _review_held(who: Actor, words: list[str]) -> None:
        """`/审核 举报` lists the reports waiting; `/审核 举报 <编号> 接受|驳回 [说明]`."""
        appeals = pool().appeals
        if not words:
            await answer(matcher, "appeals/held_list.j2", reports=await appeals.held_list(who))
        report_id = _number(words[0], "appeals.number_invalid")
        action = fold(words[1]) if len(words) > 1 else ""
        if action not in ("接受", "accept", "驳回", "reject"):
            raise BadInput("appeals.held_action_unknown", word=action[:10])
        accept = action in ("接受", "accept")
        report = await appeals.review_held(who, report_id, accept, decision_note(" ".join(words[2:])))
        await answer(matcher, "appeals/held_decided.j2", report=report, accept=accept)


async def queue_moderator_notice() -> None:
    try:
        listed = await pool().appeals.queue_moderator_notice()
        if listed:
            logger.info(f"told the moderators of {listed} appeals and appellants' words")
    except Exception:
        logger.exception("appeal notice failed")
