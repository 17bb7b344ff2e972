"""Alerts and daily digests for subscribed groups (DESIGN.md §2 item 4).

An alert is queued in the outbox inside the transaction of the report that made a buyer
cross into 高风险; a digest is queued at each group's chosen time. bot/outbox.py sends
them, paced.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence, Set
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.clock import Clock, utc_now
from bot.errors import BadInput
from bot.identity.accounts import SYSTEM
from bot.identity.buyers import mask_buyer_id
from bot.identity.platforms import Platform
from bot.identity.text import excerpt
from bot.messaging.charts import reports_chart
from bot.messaging.render import SHANGHAI, label, local_time, render
from bot.scoring.categories import Category
from bot.scoring.verdict import Level, Verdict
from bot.states import Channel, DecisionKind, Delivery, OutboxKind, TrustAction, Word
from bot.storage.alerts import (
    alerted_since,
    corrections_since,
    create_alert,
    end_alert,
    escalation_groups,
    folded_alerts,
    groups_alerted,
    groups_whose_last_word,
    held_alerts,
    mark_corrected,
    new_high_risk_since,
    open_joint_case_counts,
    record_alert_words,
    record_digests,
    release_alert,
    report_days_since,
    reports_by_category_since,
    set_last_words,
    standing_alert,
    uncorrected_alerts,
)
from bot.storage.appeals import open_appeal_of_buyer
from bot.storage.group_rules import allowed_buyers
from bot.storage.models.messaging import Subscription
from bot.storage.models.reports import Report
from bot.storage.outbox import (
    digest_subscriptions,
    enqueue_alert,
    notify,
    subscribe_group,
    subscription_of,
    unsubscribe_group,
)
from bot.storage.reports import buyer_by_id
from bot.storage.trust import log_trust

DEFAULT_DIGEST_TIME = "09:00"
# A digest whose time passed while the bot was down is still sent within this window;
# later, the next day's digest covers it (a burst of stale notices after a restart gets
# QQ accounts restricted).
DIGEST_CATCH_UP = timedelta(hours=3)
CHART_DAYS = 14
# The changes that correct an alert when the buyer falls below its level (not time); the
# words the correction gives for each are templates/labels.toml's [Correction].
CORRECTING = frozenset((DecisionKind.retract, DecisionKind.remove, DecisionKind.suspend, DecisionKind.unverify))
# The levels a group can choose to be alerted at (/设置 预警).
ALERT_LEVELS = (Level.high, Level.severe)


def parse_digest_time(text: str) -> str:
    match = re.fullmatch(r"\s*(\d{1,2})[:：](\d{2})\s*", text)
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise BadInput("alerts.bad_time", word=excerpt(text.strip()))
    return f"{int(match.group(1)):02d}:{match.group(2)}"


@dataclass
class Digest:
    group_id: int
    text: str
    image: Path | None


class Alerts:
    def __init__(self, data_dir: Path, clock: Clock = utc_now, mask_keep: int = 2, realert_days: int = 7):
        self.data_dir = data_dir
        self.clock = clock
        self.mask_keep = mask_keep
        self.realert_after = timedelta(days=realert_days)

    # -- alerts, inside the report transaction ----------------------------------------

    async def on_decided(
        self, report: Report, level_before: Level, verdict: Verdict, decision_id: int, kind: DecisionKind
    ) -> None:
        """Inside the transaction of every change to a buyer's listing. Groups choose the
        level they are alerted at (/设置 预警): a crossing into 高风险 alerts the groups at
        高风险, into 极高风险 those at 极高风险, each once, and the groups alerted at 高风险
        hear once that it got worse. An alert whose level the buyer fell below is corrected
        where the change caused the fall (the groups whose last word on the buyer is that
        alert are told, once), and ends silently otherwise (time did it): a new crossing
        alerts. While an appeal is open a 高风险 alert waits, for a bounded time only."""
        now = self.clock()
        for alert in await uncorrected_alerts(report.buyer_id):
            level = Level(alert.level)
            if verdict.level.rank >= level.rank:
                continue
            if kind in CORRECTING and level_before.rank >= level.rank:
                await self._correct(alert.id, report.buyer_id, level, verdict, kind, now)
            else:
                await end_alert(alert.id, now)
        appeal = await open_appeal_of_buyer(report.buyer_id) if verdict.appeal_open else None
        if verdict.level is Level.severe:
            # 极高风险 is never held: a 高风险 alert still waiting on the appeal goes now.
            await self.release_held(report.buyer_id, verdict, SYSTEM, appeal_open=appeal is not None)
        buyer = None
        alerted_now: set[Level] = set()
        for level in ALERT_LEVELS:
            if verdict.level.rank < level.rank:
                break
            if await standing_alert(report.buyer_id, level.value):
                continue  # told already (the buyer's lock makes this check safe)
            if await alerted_since(report.buyer_id, level.value, now - self.realert_after):
                continue  # crossed again within the week (a retract/re-report flip): once is enough
            buyer = buyer or await buyer_by_id(report.buyer_id)
            # An open appeal holds a 高风险 alert until its hold runs out; a crossing into
            # 极高风险 is never held (DESIGN.md §7: no appeal silences alerts for long).
            held_until = None
            if appeal is not None and level is Level.high and appeal.hold_until and appeal.hold_until > now:
                held_until = appeal.hold_until
            alert_id = await create_alert(
                report.buyer_id, level.value, now, held_until, appeal.id if held_until and appeal else None
            )
            text = self._alert_text(buyer.platform, buyer.buyer_key, verdict, alert_id, appeal_open=appeal is not None)
            await enqueue_alert(level.value, report.buyer_id, f"alert:{alert_id}", text, now, held_until)
            await record_alert_words(level.value, report.buyer_id, alert_id, now)
            alerted_now.add(level)
            if held_until is not None and appeal is not None:
                await log_trust(
                    TrustAction.hold_alert,
                    SYSTEM,
                    now,
                    buyer_id=report.buyer_id,
                    appeal_id=appeal.id,
                    detail=f"预警{alert_id} 到 {local_time(held_until)}",
                )
            if level is Level.severe and Level.high not in alerted_now:
                await self._escalate(alert_id, report.buyer_id, buyer.platform, buyer.buyer_key, verdict, now)

    def _alert_text(self, platform: str, buyer_key: str, verdict: Verdict, alert_id: int, appeal_open: bool) -> str:
        return render(
            "alerts/alert.j2",
            platform=Platform(platform),
            buyer=mask_buyer_id(buyer_key, self.mask_keep),
            verdict=verdict,
            alert_id=alert_id,
            appeal_open=appeal_open,
        )

    async def _escalate(
        self, alert_id: int, buyer_id: int, platform: str, buyer_key: str, verdict: Verdict, now: datetime
    ) -> None:
        """The groups alerted at 高风险 hear once that the buyer is now 极高风险 (they are
        not among the groups of the 极高风险 alert itself)."""
        groups = await escalation_groups(buyer_id, Level.high.value)
        if not groups:
            return
        text = render(
            "alerts/escalation.j2",
            platform=Platform(platform),
            buyer=mask_buyer_id(buyer_key, self.mask_keep),
            verdict=verdict,
            alert_id=alert_id,
        )
        await notify(OutboxKind.alert, Channel.group, groups, f"escalation:{alert_id}", text, now)
        await set_last_words(groups, buyer_id, Word.escalation, Level.severe.value, now)

    async def release_held(self, buyer_id: int, verdict: Verdict, by: str, appeal_open: bool = False) -> int:
        """An appeal was decided and the buyer is still listed (`verdict`), or the buyer
        crossed into 极高风险: its held alerts go out now (marked 「申诉处理中」 only while
        the appeal is open). Returns how many messages were released."""
        now = self.clock()
        released = 0
        for alert in await held_alerts(buyer_id, now):
            buyer = await buyer_by_id(buyer_id)
            text = self._alert_text(buyer.platform, buyer.buyer_key, verdict, alert.id, appeal_open=appeal_open)
            released += await release_alert(alert.id, text, now)
            await log_trust(
                TrustAction.release_alert,
                by,
                now,
                buyer_id=buyer_id,
                appeal_id=alert.held_for,
                detail=f"预警{alert.id}",
            )
        return released

    async def _correct(
        self, alert_id: int, buyer_id: int, was: Level, verdict: Verdict, kind: DecisionKind, now: datetime
    ) -> None:
        """Each group that was told the buyer is at the alert's level, and whose last word
        from the bot on the buyer is still an alert (or its escalation), is told once that
        it is not any more (DESIGN.md §7: corrections travel as far as the alert did)."""
        why = label(kind.value, "Correction")
        if not await mark_corrected(alert_id, why, now):
            return  # corrected by another change a moment ago
        told = await groups_alerted(alert_id)
        owed = await groups_whose_last_word(buyer_id, [Word.alert, Word.escalation])
        groups = [group for group in told if group in owed]
        if not groups:
            return
        buyer = await buyer_by_id(buyer_id)
        text = render(
            "alerts/correction.j2",
            platform=Platform(buyer.platform),
            buyer=mask_buyer_id(buyer.buyer_key, self.mask_keep),
            was=was,
            now=verdict.level,
            why=why,
        )
        await notify(OutboxKind.correction, Channel.group, groups, f"correction:{alert_id}", text, now)
        await set_last_words(groups, buyer_id, Word.correction, verdict.level.value, now)

    # -- subscriptions -------------------------------------------------------------------

    async def subscribe(self, group_id: int, digest_time: str | None, by: str) -> tuple[Subscription, bool]:
        """Returns the subscription and whether anything changed."""
        current = await subscription_of(group_id)
        wanted = digest_time or (current.digest_time if current else DEFAULT_DIGEST_TIME)
        # A time asked for turns the digest on; /订阅 alone keeps the group's /设置 日报.
        enabled = digest_time is not None or current is None or current.digest_enabled
        if (
            current
            and current.active
            and current.delivery == Delivery.ok
            and current.digest_time == wanted
            and current.digest_enabled == enabled
        ):
            return current, False
        return await subscribe_group(group_id, wanted, enabled, by), True

    async def unsubscribe(self, group_id: int) -> bool:
        return await unsubscribe_group(group_id)

    async def subscription(self, group_id: int) -> Subscription | None:
        return await subscription_of(group_id)

    # -- digests ---------------------------------------------------------------------------
    #
    # What a digest says about the pool (new high-risk buyers, reports by kind, joint
    # cases, the chart) is the same for every group whose last digest was at the same
    # time; only the alerts folded into it are the group's own. A round computes the
    # shared part once per distinct "since", draws the chart once, and queues every
    # group's digest in one transaction.

    async def _shared(self, since: datetime, now: datetime) -> dict[str, Any]:
        # Keyed by buyer: a group leaves out the buyers it allowed (/设置 放行).
        high = {
            buyer_id: (Platform(p).label, mask_buyer_id(key, self.mask_keep), level)
            for buyer_id, p, key, level in await new_high_risk_since(since)
        }
        counts = await reports_by_category_since(since)
        by_category = sorted(((Category(c), n) for c, n in counts.items()), key=lambda x: -x[1])
        corrections = [
            (Platform(p).label, mask_buyer_id(key, self.mask_keep), level, why)
            for p, key, level, why in await corrections_since(since)
        ]
        return {
            "since": since,
            "now": now,
            "high": high,
            "corrections": corrections,
            "by_category": by_category,
            "total": sum(counts.values()),
            "joint": await open_joint_case_counts(),
        }

    async def build_digest(self, subscription: Subscription) -> Digest:
        """One group's digest now (the /日报 preview)."""
        now = self.clock()
        since = subscription.last_digest_at or now - timedelta(days=1)
        shared = await self._shared(since, now)
        folded = await folded_alerts([subscription.group_id], since)
        allowed = await allowed_buyers([subscription.group_id])
        image = await self.chart(now)
        text = _digest_text(
            shared, folded.get(subscription.group_id, []), allowed.get(subscription.group_id, set()), subscription
        )
        return Digest(subscription.group_id, text, image)

    async def chart(self, now: datetime) -> Path:
        """14 days of reports by category as a PNG, one file per minute: a round (and
        every preview within the minute) draws it once."""
        path = self.data_dir / "digests" / f"{now.astimezone(SHANGHAI):%Y%m%d-%H%M}.png"
        if await asyncio.to_thread(path.exists):
            return path
        rows = await report_days_since(now - timedelta(days=CHART_DAYS))
        # Drawing takes a few hundred milliseconds of CPU: not on the event loop.
        return await asyncio.to_thread(reports_chart, rows, now, CHART_DAYS, path)

    async def queue_due_digests(self, accounts: Sequence[str] | None = None) -> int:
        """Queue the digest of every group whose time has come today and that has not had
        today's digest. Safe to run every minute, from several processes: the outbox key
        digest:<date> is unique per group. `accounts`: the QQ accounts this process sends
        with (only their groups' digests; None: every group's). Returns how many were
        queued."""
        now = self.clock()
        local = now.astimezone(SHANGHAI)
        due = [s for s in await digest_subscriptions(accounts, now) if _due(s, local)]
        if not due:
            return 0
        image = str(await self.chart(now))
        by_since: dict[datetime, list[Subscription]] = {}
        for subscription in due:
            since = (subscription.last_digest_at or now - timedelta(days=1)).replace(second=0, microsecond=0)
            by_since.setdefault(since, []).append(subscription)
        digests: list[tuple[int, str]] = []
        for since, group in by_since.items():
            shared = await self._shared(since, now)
            folded = await folded_alerts([s.group_id for s in group], since)
            allowed = await allowed_buyers([s.group_id for s in group])
            # Most groups have nothing folded and allowed no new buyer: one text for them.
            texts: dict[tuple[tuple[str, ...], frozenset[int], str], str] = {}
            for subscription in group:
                own = tuple(folded.get(subscription.group_id, []))
                left_out = frozenset(allowed.get(subscription.group_id, set()) & shared["high"].keys())
                key = (own, left_out, subscription.alert_level)
                if key not in texts:
                    texts[key] = _digest_text(shared, list(own), left_out, subscription)
                    await asyncio.sleep(0)  # a round of many texts gives way to the chat
                digests.append((subscription.id, texts[key]))
        return await record_digests(digests, f"digest:{local:%Y-%m-%d}", image, now)


def _digest_text(shared: dict[str, Any], folded: list[str], allowed: Set[int], subscription: Subscription) -> str:
    """A group's digest: the shared part, less the buyers the group allowed, with the
    corrections of the alerts at the group's own level (the ones it was sent)."""
    high = [entry for buyer_id, entry in shared["high"].items() if buyer_id not in allowed]
    corrections = [c for c in shared["corrections"] if c[2] == subscription.alert_level]
    return render("alerts/digest.j2", **{**shared, "high": high, "corrections": corrections}, folded=folded, chart=True)


def _due(subscription: Subscription, local: datetime) -> bool:
    hour, minute = map(int, subscription.digest_time.split(":"))
    due = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if not due <= local < due + DIGEST_CATCH_UP:
        return False
    last = subscription.last_digest_at
    return not (last and last.astimezone(SHANGHAI).date() == local.date())
