"""Walking a merchant through a handling flow in the chat (DESIGN.md §3): a case saved
after every answer, driven by short replies, reminded while it waits on time."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.cases.flows import AUDIT_CODE, DROP_WORDS, END, AuditItem, Scenario, Step, audit_items, audit_score, scenario
from bot.clock import Clock, utc_now
from bot.errors import Conflict, NotFound
from bot.identity.accounts import qq_number
from bot.identity.platforms import Platform, PlatformWords, platform_words
from bot.identity.text import fold
from bot.messaging.render import fill, render
from bot.states import GuideStatus
from bot.storage.guides import (
    active_guide_session,
    create_guide_case,
    due_guide_reminders,
    guide_case,
    guide_sessions,
    open_guide_case,
    open_guide_cases,
    queue_guide_reminder,
    save_guide_case,
)
from bot.storage.models.cases import GuideCase
from bot.storage.models.shops import Shop
from bot.storage.reports import other_shops_reporting
from bot.storage.shops import shop_by_id

SESSION_MINUTES = 30

NEXT_WORDS = {"好了", "好", "下一步", "下一个", "完成", "做好了", "已完成", "ok", "done", "next", "继续"}
SKIP_WORDS = {"跳过", "skip"}
BACK_WORDS = {"返回", "上一步", "back"}
QUIT_WORDS = {"退出", "结束", "暂停", "稍后", "quit", "exit"}
ALL_WORDS = {"都有", "全部", "都留了", "全都有", "all"}
NONE_WORDS = {"没有", "都没有", "一个都没有", "none", "无"}
# The key in case.answers of a step whose evidence the merchant is confirming.
_CONFIRMING = "_evidence_of"
YES_WORDS = {"是", "有", "对", "已经", "写了", "放了", "是的", "yes", "y", "1"}
NO_WORDS = {"否", "没有", "不是", "没", "无", "还没", "no", "n", "2"}


@dataclass
class Turn:
    """What the merchant should see after an action; `kind` picks the template."""

    kind: str  # step | evidence_check | finished | dropped | paused | help | audit_question | audit_result
    case: GuideCase
    scenario: Scenario | None = None
    step: Step | None = None
    note: str | None = None  # e.g. "back_at_start", "switched"
    audit: list[tuple[AuditItem, bool]] = field(default_factory=list)
    score: int | None = None
    others_reported: int = 0
    # The shop's own platform's words, for the step texts (templates/platforms.toml).
    words: PlatformWords = field(default_factory=lambda: platform_words(None))
    suggest_report: bool = True  # finished: whether to suggest /举报 (not without proof)

    @property
    def evidence(self) -> list[str]:
        """The evidence items of the step, in the platform's words."""
        return step_evidence(self.step, self.words) if self.step else []


def step_evidence(step: Step, words: PlatformWords) -> list[str]:
    return [fill(item, p=words) for item in step.evidence]


class Guides:
    def __init__(self, clock: Clock = utc_now, session_minutes: int = SESSION_MINUTES):
        self.clock = clock
        self.session = timedelta(minutes=session_minutes)
        # The chats where a flow may be waiting for a short reply (好了, 跳过, …), each
        # with the latest moment it waits until. Every group message that is not a command
        # asks "is this a flow reply?"; only these chats need the database to answer. A
        # superset: a case closed since is still listed until its moment passes.
        self._sessions: dict[str, datetime] = {}

    async def load_sessions(self) -> None:
        """The flows that were waiting when the bot stopped (called once at startup)."""
        for chat, until in await guide_sessions(self.clock()):
            self._note(chat, until)

    def may_be_waiting(self, chat: str) -> bool:
        """Whether a flow may wait for a reply in this chat (no database, no await)."""
        until = self._sessions.get(chat)
        if until is None:
            return False
        if until <= self.clock():
            del self._sessions[chat]
            return False
        return True

    def _note(self, chat: str | None, until: datetime | None) -> None:
        if chat and until is not None:
            known = self._sessions.get(chat)
            if known is None or until > known:
                self._sessions[chat] = until

    async def _create(self, **values: Any) -> GuideCase:
        case = await create_guide_case(**values)
        self._note(case.chat, case.session_until)
        return case

    async def _save(self, case: GuideCase) -> None:
        await save_guide_case(case)
        self._note(case.chat, case.session_until)

    async def _words(self, case: GuideCase) -> PlatformWords:
        """The words of the shop's own platform: its chat tool, its back office."""
        return platform_words((await shop_by_id(case.shop_id)).platform)

    # -- starting and resuming -------------------------------------------------

    async def start(
        self,
        shop: Shop,
        chosen: Scenario,
        chat: str,
        platform: Platform | None = None,
        buyer_id: str | None = None,
        order_no: str | None = None,
    ) -> Turn:
        existing = await open_guide_case(shop.id, chosen.code, platform.value if platform else None, buyer_id, order_no)
        if existing is not None:
            return await self.resume(shop, existing.id, chat)
        now = self.clock()
        case = await self._create(
            shop_id=shop.id,
            scenario=chosen.code,
            platform=platform.value if platform else None,
            buyer_key=buyer_id,
            order_no=order_no,
            step=chosen.steps[0].id,
            chat=chat,
            session_until=now + self.session,
        )
        return await self._enter(case, chosen, chosen.steps[0], now)

    async def start_audit(self, shop: Shop, chat: str) -> Turn:
        now = self.clock()
        case = await open_guide_case(shop.id, AUDIT_CODE, None, None, None)
        if case is None:
            case = await self._create(
                shop_id=shop.id,
                scenario=AUDIT_CODE,
                platform=None,
                buyer_key=None,
                order_no=None,
                step="0",
                chat=chat,
                session_until=now + self.session,
            )
        else:
            case.chat, case.session_until = chat, now + self.session
            await self._save(case)
        return Turn("audit_question", case, words=platform_words(shop.platform))

    async def open_cases(self, shop: Shop) -> list[GuideCase]:
        return await open_guide_cases(shop.id)

    async def _own_open_case(self, shop: Shop, case_id: int) -> GuideCase:
        case = await guide_case(case_id)
        if case is None or case.shop_id != shop.id:
            raise NotFound("guides.case_not_found", case_id=case_id)
        if case.status != GuideStatus.open:
            raise Conflict("guides.case_closed", case_id=case_id)
        return case

    async def resume(self, shop: Shop, case_id: int, chat: str) -> Turn:
        case = await self._own_open_case(shop, case_id)
        now = self.clock()
        case.chat, case.session_until = chat, now + self.session
        await self._save(case)
        if case.scenario == AUDIT_CODE:
            return Turn("audit_question", case, words=platform_words(shop.platform))
        flow = scenario(case.scenario)
        step = flow.step(case.step)
        kind = "evidence_check" if case.answers.get(_CONFIRMING) == step.id else "step"
        return Turn(kind, case, flow, step, note="resumed", words=await self._words(case))

    async def drop(self, shop: Shop, case_id: int) -> Turn:
        """The merchant drops a case: no more reminders, off the list of open cases."""
        case = await self._own_open_case(shop, case_id)
        return await self._drop(case)

    async def _drop(self, case: GuideCase) -> Turn:
        case.status, case.closed_at, case.session_until, case.remind_at = (
            GuideStatus.dropped,
            self.clock(),
            None,
            None,
        )
        await self._save(case)
        flow = None if case.scenario == AUDIT_CODE else scenario(case.scenario)
        return Turn("dropped", case, flow)

    # -- answers -----------------------------------------------------------------

    async def active_case(self, shop: Shop, chat: str) -> GuideCase | None:
        return await active_guide_session(shop.id, chat, self.clock())

    async def answer(self, case: GuideCase, text: str, addressed: bool) -> Turn | None:
        """None: the text is not meant for the flow (group chatter) and is ignored."""
        word = fold(text).rstrip("。.!！~")
        now = self.clock()
        if word in QUIT_WORDS:
            case.session_until = None
            await self._save(case)
            return Turn("paused", case, None if case.scenario == AUDIT_CODE else scenario(case.scenario))
        if word in DROP_WORDS:
            return await self._drop(case)
        if case.scenario == AUDIT_CODE:
            return await self._audit_answer(case, word, addressed, now)

        flow = scenario(case.scenario)
        step = flow.step(case.step)
        words = await self._words(case)
        case.session_until = now + self.session
        if case.answers.get(_CONFIRMING) == step.id:
            return await self._confirm_evidence(case, flow, step, word, addressed, words, now)
        if word in BACK_WORDS:
            if not case.trail:
                await self._save(case)
                return Turn("step", case, flow, step, note="back_at_start", words=words)
            previous_code, previous_step = case.trail.pop().split(":", 1)
            case.scenario, case.step = previous_code, previous_step
            await self._save(case)
            back = scenario(previous_code)
            return Turn("step", case, back, back.step(previous_step), note="went_back", words=words)
        if step.question:
            chosen = next((a for a in step.answers if word in a.words), None)
            if chosen is None:
                if addressed or word in NEXT_WORDS | SKIP_WORDS:
                    return Turn("help", case, flow, step, words=words)
                return None
            case.answers = {**case.answers, f"{flow.code}.{step.id}": chosen.label}
            return await self._move(case, flow, step, chosen.next, now)
        if word in SKIP_WORDS:
            case.evidence = {**case.evidence, **{item: "skipped" for item in step_evidence(step, words)}}
            return await self._move(case, flow, step, flow.after(step), now)
        if word in NEXT_WORDS:
            if step.evidence:
                # 好了 says the step is done, not that every piece of evidence was kept:
                # the checklist marks only what the merchant confirms.
                case.answers = {**case.answers, _CONFIRMING: step.id}
                await self._save(case)
                return Turn("evidence_check", case, flow, step, words=words)
            return await self._move(case, flow, step, flow.after(step), now)
        return Turn("help", case, flow, step, words=words) if addressed else None

    async def _confirm_evidence(
        self,
        case: GuideCase,
        flow: Scenario,
        step: Step,
        word: str,
        addressed: bool,
        words: PlatformWords,
        now: datetime,
    ) -> Turn | None:
        items = step_evidence(step, words)
        if word in BACK_WORDS:
            case.answers = {k: v for k, v in case.answers.items() if k != _CONFIRMING}
            await self._save(case)
            return Turn("step", case, flow, step, words=words)
        kept: set[int] | None = None
        if word in ALL_WORDS:
            kept = set(range(1, len(items) + 1))
        elif word in NONE_WORDS:
            kept = set()
        elif word in SKIP_WORDS:
            marks = {item: "skipped" for item in items}
        else:
            numbers = re.findall(r"\d" if len(items) < 10 else r"\d+", word)
            if numbers and re.fullmatch(r"[\d\s,，、和及]+", word):
                kept = {int(n) for n in numbers}
                if not kept <= set(range(1, len(items) + 1)):
                    kept = None
        if word not in SKIP_WORDS:
            if kept is None:
                return (
                    Turn("evidence_check", case, flow, step, note="not_understood", words=words) if addressed else None
                )
            marks = {item: "done" if n in kept else "missing" for n, item in enumerate(items, 1)}
        case.evidence = {**case.evidence, **marks}
        case.answers = {k: v for k, v in case.answers.items() if k != _CONFIRMING}
        return await self._move(case, flow, step, flow.after(step), now)

    async def _move(self, case: GuideCase, flow: Scenario, step: Step, target: str, now: datetime) -> Turn:
        case.trail = [*case.trail, f"{flow.code}:{step.id}"]
        if target == END:
            return await self._finish(case, flow, now)
        if target.startswith("@"):
            switched = scenario(target[1:])
            case.scenario = switched.code
            return await self._enter(case, switched, switched.steps[0], now, note="switched")
        return await self._enter(case, flow, flow.step(target), now)

    async def _enter(self, case: GuideCase, flow: Scenario, step: Step, now: datetime, note: str | None = None) -> Turn:
        case.step = step.id
        if step.wait_days:
            # Once a flow reaches a step that waits on time, the merchant is reminded
            # every wait_days until the case is closed.
            case.wait_step = f"{flow.code}:{step.id}"
            case.waiting_since = now
            case.remind_at = now + timedelta(days=step.wait_days)
        await self._save(case)
        return Turn("step", case, flow, step, note=note, words=await self._words(case))

    async def _finish(self, case: GuideCase, flow: Scenario, now: datetime) -> Turn:
        case.status, case.closed_at, case.session_until, case.remind_at = GuideStatus.closed, now, None, None
        await self._save(case)
        others = 0
        if case.buyer_key and case.platform:
            others = await other_shops_reporting(case.platform, case.buyer_key, case.shop_id)
        return Turn(
            "finished",
            case,
            flow,
            others_reported=others,
            words=await self._words(case),
            suggest_report=_suggests_report(case),
        )

    async def _audit_answer(self, case: GuideCase, word: str, addressed: bool, now: datetime) -> Turn | None:
        items = audit_items()
        index = int(case.step)
        case.session_until = now + self.session
        if word in BACK_WORDS:
            index = max(0, index - 1)
        elif word in YES_WORDS or word in NO_WORDS:
            case.answers = {**case.answers, items[index].id: word in YES_WORDS}
            index += 1
        else:
            return Turn("help", case) if addressed else None
        case.step = str(index)
        words = await self._words(case)
        if index >= len(items):
            case.status, case.closed_at, case.session_until = GuideStatus.closed, now, None
            await self._save(case)
            results = [(item, bool(case.answers.get(item.id))) for item in items]
            return Turn("audit_result", case, audit=results, score=audit_score(case.answers), words=words)
        await self._save(case)
        return Turn("audit_question", case, words=words)

    # -- reminders -----------------------------------------------------------------

    async def due_reminders(self) -> list[tuple[GuideCase, Step, int]]:
        """Open cases whose waiting step is due for a reminder: (case, step, days waited)."""
        now = self.clock()
        due = []
        for case in await due_guide_reminders(now):
            if case.wait_step is None or case.waiting_since is None:
                continue  # remind_at is only ever set together with both
            code, step_id = case.wait_step.split(":", 1)
            due.append((case, scenario(code).step(step_id), max(1, (now - case.waiting_since).days)))
        return due

    async def queue_reminders(self) -> int:
        """Queue each due reminder as a private message in the outbox (the paced sender
        delivers it), re-arming the case in the same transaction. Returns how many."""
        queued = 0
        for case, step, days in await self.due_reminders():
            # A console or imported shop has no private chat: the case is re-armed all the same.
            user_id = qq_number(case.shop.owner)
            words = platform_words(case.shop.platform)
            text = fill(step.reminder or render("guides/reminder_default.j2", days=days), days=days, p=words)
            message = render("guides/reminder.j2", case=case, scenario=scenario(case.scenario), text=text)
            key = f"guide-remind:{case.id}:{case.reminders_sent + 1}"
            case.reminders_sent += 1
            case.remind_at = self.clock() + timedelta(days=step.wait_days or 1)
            queued += await queue_guide_reminder(case, user_id, key, message, self.clock())
        return queued


def _suggests_report(case: GuideCase) -> bool:
    """No flow ends by suggesting to report a buyer after the merchant said there is no
    proof (an answer with report = false)."""
    for key, label in case.answers.items():
        code, _, step_id = key.partition(".")
        if not step_id:
            continue
        try:
            step = scenario(code).step(step_id)
        except KeyError:
            continue
        if any(a.label == label and not a.report for a in step.answers):
            return False
    return True
