import re

from nonebot import get_plugin_config
from nonebot.adapters import Bot, Event, Message
from nonebot.matcher import Matcher
from nonebot.params import CommandArg

from bot.cases.evidence import PICTURE_MAX_BYTES
from bot.commands.grammar import parse_appeal
from bot.commands.requests import decision_note, evidence_note
from bot.errors import BadInput, Refused
from bot.identity.platforms import PLATFORM_LABELS
from bot.identity.text import fold
from bot.scoring.categories import LABELS as CATEGORY_LABELS
from bot.settings import Settings
from plugins._chat import actor, answer, group_of, member_key, network, refuse
from plugins._chat.downloads import fetch
from plugins.runtime import pool

_NUMBER_RE = re.compile(r"^#?(\d{1,9})$")
STATES = {"open": "处理中", "upheld": "已维持", "removed": "已撤销举报"}
REPORT_STATES = {"active": "有效", "retracted": "已撤回", "suspended": "暂停（店铺封禁）", "removed": "已撤销"}


def _number(word: str, code: str) -> int:
    match = _NUMBER_RE.match(word.strip())
    if not match:
        raise BadInput(code, word=word[:20])
    return int(match.group(1))


def _view_context() -> dict[str, object]:
    return {
        "states": STATES,
        "report_states": REPORT_STATES,
        "labels_c": {c.value: label for c, label in CATEGORY_LABELS.items()},
        "labels": {p.value: label for p, label in PLATFORM_LABELS.items()},
    }


def do_appeal(matcher: type[Matcher]) -> None:
    @matcher.handle()
    async def appeal(bot: Bot, event: Event, args: Message = CommandArg()) -> None:
        if group_of(bot, event) is not None:
            # Not in a group, and without repeating the buyer: an appeal is the buyer's
            # own business, not the group's.
            await answer(matcher, "appeals/private_only.j2", action="申诉")
        try:
            request = parse_appeal(args.extract_plain_text())
            opened = await pool().appeals.open(member_key(bot, event), request)
        except Refused as refusal:
            await refuse(matcher, refusal, "申诉")
        await answer(matcher, "appeals/opened.j2", appeal=opened, platform=request.platform, buyer_id=request.buyer_id)


def do_answer(matcher: type[Matcher]) -> None:
    @matcher.handle()
    async def add(bot: Bot, event: Event, args: Message = CommandArg()) -> None:
        if group_of(bot, event) is not None:
            await answer(matcher, "appeals/private_only.j2", action="补充申诉证据")
        number, _, text = args.extract_plain_text().strip().partition(" ")
        urls = network(bot).picture_urls(args)
        try:
            appeal_id = _number(number, "appeals.number_invalid")
            description = evidence_note(text) or "截图"
            settings = get_plugin_config(Settings)
            too_large = BadInput("joint.picture_too_large", limit_mb=PICTURE_MAX_BYTES // 1024 // 1024)
            if len(urls) > 9:
                raise BadInput("joint.evidence_per_message", limit=9, count=len(urls))
            pictures = [await fetch(u, PICTURE_MAX_BYTES, settings.download_allow_hosts, too_large) for u in urls]
            added = await pool().appeals.add_evidence(member_key(bot, event), appeal_id, description, pictures)
        except Refused as refusal:
            await refuse(matcher, refusal, "补充")
        await answer(matcher, "appeals/evidence_added.j2", appeal_id=appeal_id, added=added)


def do_review(matcher: type[Matcher]) -> None:
    @matcher.handle()
    async def review(bot: Bot, event: Event, args: Message = CommandArg()) -> None:
        if group_of(bot, event) is not None:
            await answer(matcher, "appeals/private_only.j2", action="审核申诉")
        words = args.extract_plain_text().split()
        who = actor(bot, event)
        appeals = pool().appeals
        try:
            if not words:
                await answer(matcher, "appeals/list.j2", appeals=await appeals.open_list(who), **_view_context())
            appeal_id = _number(words[0], "appeals.number_invalid")
            if len(words) == 1:
                await answer(matcher, "appeals/view.j2", v=await appeals.view(who, appeal_id), **_view_context())
            action = fold(words[1])
            rest = words[2:]
            if action in ("撤销", "remove"):
                report_ids = []
                while rest and _NUMBER_RE.match(rest[0]):
                    report_ids.append(_number(rest.pop(0), "appeals.number_invalid"))
                view = await appeals.remove(who, appeal_id, report_ids, decision_note(" ".join(rest)))
            elif action in ("维持", "uphold", "keep"):
                view = await appeals.uphold(who, appeal_id, decision_note(" ".join(rest)))
            else:
                raise BadInput("appeals.action_unknown", word=words[1][:10])
        except Refused as refusal:
            await refuse(matcher, refusal, "审核")
        await answer(matcher, "appeals/decided.j2", v=view, **_view_context())
