"""Alerts, digests and the paced outbox sender, without chat."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.commands.grammar import parse_bind, parse_report
from bot.errors import BadInput
from bot.identity.buyers import mask_buyer_id
from bot.messaging.alerts import Alerts, parse_digest_time
from bot.messaging.outbox import DeliveryFailed, GroupUnreachable, Sender
from bot.states import Channel, Delivery, OutboxKind
from bot.storage.database import database
from bot.storage.models.messaging import Alert, OutboxMessage, Subscription
from bot.storage.outbox import claim_outbox, enqueue
from bot.storage.shops import set_shop_group
from tests.conftest import order, shops


class Recorder:
    """A transport that records what it sends, and can fail on demand."""

    def __init__(self, failures: dict[int, list[Exception]] | None = None):
        self.sent: list[tuple[int, str, str | None]] = []
        self.calls: list[tuple[str, int, int | None, str]] = []  # (channel, target, mention, text)
        self.failures = failures or {}

    async def send(
        self, target_id: int, text: str, image: str | None, channel: str = "group", mention: int | None = None
    ) -> None:
        if self.failures.get(target_id):
            raise self.failures[target_id].pop(0)
        self.sent.append((target_id, text, image))
        self.calls.append((channel, target_id, mention, text))


class FakeTime:
    def __init__(self):
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_mask_and_time():
    assert mask_buyer_id("tb_bad_buyer") == "tb********er"
    assert mask_buyer_id("abc") == "a**"
    assert parse_digest_time("9:05") == "09:05" and parse_digest_time("21：30") == "21:30"
    for bad in ("25:00", "9点", "12:60"):
        with pytest.raises(BadInput):
            parse_digest_time(bad)


async def test_crossing_alerts_each_subscribed_group_once(pool, alerting, alerts):
    for group in (101, 102, 103):
        await alerts.subscribe(group, None, "qq:admin")
    await alerts.unsubscribe(103)
    await Subscription.filter(group_id=102).update(delivery="left")
    await alerts.subscribe(104, "21:00", "qq:admin")
    a, b, c = await shops(alerting, 3)

    await alerting.report(a, parse_report(order("tb_bad_buyer 差评师")))
    assert await OutboxMessage.all().count() == 0  # one shop: 需警惕, no alert
    await alerting.report(b, parse_report(order("tb_bad_buyer 差评师")))
    rows = await OutboxMessage.all().order_by("target_id")
    assert [(r.target_id, r.kind) for r in rows] == [(101, "alert"), (104, "alert")]
    assert "高风险买家预警" in rows[0].text and "tb********er" in rows[0].text and "tb_bad_buyer" not in rows[0].text
    assert "2 家认证店铺凭订单举报" in rows[0].text

    # 极高风险: no new alert to the groups at 高风险, one word each that it got worse.
    await alerting.report(c, parse_report(order("tb_bad_buyer 差评师")))
    rows = await OutboxMessage.filter(event_key__startswith="escalation:").order_by("target_id")
    assert [r.target_id for r in rows] == [101, 104] and "升级为极高风险" in rows[0].text
    assert await OutboxMessage.all().count() == 4


async def test_a_buyer_that_drops_back_alerts_again_only_after_a_week(pool, alerting, alerts, clock):
    """The retract/re-report flip once sent each group 16 alerts in a minute: crossing
    again within 7 days does not alert again."""
    await alerts.subscribe(101, None, "qq:admin")
    a, b, c = await shops(alerting, 3)
    filings = [await alerting.report(s, parse_report(order("tb_other 恶意退货"))) for s in (a, b)]
    assert await OutboxMessage.filter(kind="alert").count() == 1
    for _ in range(5):
        await alerting.retract(b, filings[1].report.id)
        # Below 高风险: the alert is corrected (the first time) and no longer stands.
        assert not await Alert.exists(buyer__buyer_key="tb_other", corrected_at__isnull=True)
        filings[1] = await alerting.report(b, parse_report(f"tb_other 恶意退货 {filings[1].report.order_no}"))
    assert await OutboxMessage.filter(kind="alert").count() == 1
    clock.now += timedelta(days=8)
    await alerting.retract(b, filings[1].report.id)
    await alerting.report(c, parse_report(order("tb_other 恶意退货")))
    assert await OutboxMessage.filter(kind="alert").count() == 2


async def test_simultaneous_crossings_alert_once(postgres_pool, alerting, alerts):
    await alerts.subscribe(101, None, "qq:admin")
    many = await shops(alerting, 20)
    await asyncio.gather(*(alerting.report(s, parse_report(order("tb_rush 差评师"))) for s in many))
    assert await OutboxMessage.filter(target_id=101, event_key__startswith="alert:").count() == 1
    assert await OutboxMessage.filter(target_id=101, event_key__startswith="escalation:").count() == 1


def make_sender(transport, clock, fake: FakeTime, **kwargs) -> Sender:
    return Sender(transport, "w1", clock, sleep=fake.sleep, monotonic=fake.monotonic, **kwargs)


async def queue(group_ids, clock, kind="alert", prefix="e"):
    now = clock()
    await OutboxMessage.bulk_create(
        [
            OutboxMessage(
                kind=kind, target_id=g, event_key=f"{prefix}{i}", text=f"消息{i}", next_attempt_at=now, created_at=now
            )
            for i, g in enumerate(group_ids)
        ]
    )


async def test_pacing_per_group_and_overall(pool, clock):
    fake = FakeTime()
    transport = Recorder()
    await queue([1, 1, 1, 2, 3], clock)
    sender = make_sender(transport, clock, fake, group_interval=1.5, global_interval=0.5)
    times = []
    original = transport.send

    async def timed(target_id, text, image, **kwargs):
        times.append((target_id, fake.now))
        await original(target_id, text, image, **kwargs)

    transport.send = timed  # type: ignore[method-assign,assignment]
    assert await sender.run_once() == 5
    same_group = [t for g, t in times if g == 1]
    assert all(b - a >= 1.5 for a, b in itertools.pairwise(same_group))
    assert all(b[1] - a[1] >= 0.5 for a, b in itertools.pairwise(times))


async def test_three_failures_then_success_is_delivered_once(pool, clock):
    fake = FakeTime()
    transport = Recorder({7: [DeliveryFailed("retcode=100"), TimeoutError(), DeliveryFailed("offline")]})
    await queue([7], clock)
    sender = make_sender(transport, clock, fake, backoff_seconds=5)
    for expected_wait in (5, 10, 20):
        assert await sender.run_once() == 0
        row = await OutboxMessage.get(event_key="e0")
        assert row.status == "pending" and row.next_attempt_at == clock() + timedelta(seconds=expected_wait)
        assert await sender.run_once() == 0  # not due yet
        clock.now += timedelta(seconds=expected_wait)
    assert await sender.run_once() == 1
    assert await sender.run_once() == 0
    row = await OutboxMessage.get(event_key="e0")
    assert row.status == "sent" and row.attempts == 3 and transport.sent == [(7, "消息0", None)]


async def test_gives_up_after_max_attempts(pool, clock):
    fake = FakeTime()
    transport = Recorder({7: [DeliveryFailed("x")] * 10})
    await queue([7], clock)
    sender = make_sender(transport, clock, fake, max_attempts=3, backoff_seconds=1)
    for _ in range(3):
        await sender.run_once()
        clock.now += timedelta(minutes=1)
    assert (await OutboxMessage.get(event_key="e0")).status == "failed"


async def test_a_group_the_bot_left_is_marked_not_retried(pool, clock, alerts):
    await alerts.subscribe(8, None, "qq:admin")
    fake = FakeTime()
    transport = Recorder({8: [GroupUnreachable(Delivery.left, "群不存在")]})
    await queue([8, 8, 9], clock)
    sender = make_sender(transport, clock, fake)
    assert await sender.run_once() == 1
    assert [r.status for r in await OutboxMessage.filter(target_id=8).order_by("id")] == ["dropped", "dropped"]
    assert (await Subscription.get(group_id=8)).delivery == "left"
    assert [g for g, _, _ in transport.sent] == [9]


async def test_a_group_that_keeps_refusing_is_told_to_its_subscriber_privately(pool, clock, alerts):
    await alerts.subscribe(7, None, "qq:555")
    fake = FakeTime()
    transport = Recorder({7: [DeliveryFailed("retcode=100")] * 10, 555: [DeliveryFailed("offline")] * 10})
    await queue([7], clock)
    sender = make_sender(transport, clock, fake, max_attempts=2, backoff_seconds=1)
    for _ in range(2):
        await sender.run_once()
        clock.now += timedelta(minutes=1)
    stand_in = await OutboxMessage.get(channel="private", target_id=555)
    assert stand_in.kind == "fallback" and "群 7" in stand_in.text and "多次发送都失败了" in stand_in.text
    assert "消息0" in stand_in.text
    # A stand-in that fails too is given up, not stood in for again.
    for _ in range(3):
        await sender.run_once()
        clock.now += timedelta(minutes=1)
    assert (await OutboxMessage.get(id=stand_in.id)).status == "failed"
    assert await OutboxMessage.all().count() == 2


async def test_a_muted_group_is_told_about_once_and_a_left_one_too(pool, clock, alerts):
    await alerts.subscribe(8, None, "qq:556")
    fake = FakeTime()
    transport = Recorder({8: [GroupUnreachable(Delivery.muted, "全员禁言")]})
    await queue([8, 8], clock)
    sender = make_sender(transport, clock, fake)
    await sender.run_once()
    await sender.run_once()
    told = [c for c in transport.calls if c[0] == "private"]
    assert len(told) == 1 and told[0][1] == 556 and "被禁言" in told[0][3] and "重新发 /订阅" in told[0][3]


async def test_a_joint_message_that_cannot_go_privately_is_posted_in_the_shop_group(pool, clock, alerting):
    shop = (await alerting.bind("qq:42", parse_bind("淘宝 四十二号店"))).shop
    await set_shop_group(shop.id, 20001)
    await enqueue(OutboxKind.joint, Channel.private, 42, "joint-invite:1:1", "联合投诉邀请：买家 tb_x", clock())
    await enqueue(OutboxKind.guide, Channel.private, 42, "guide:1:1", "处理提醒", clock())
    fake = FakeTime()
    transport = Recorder({42: [GroupUnreachable(Delivery.left, "不是好友")] * 2})
    sender = make_sender(transport, clock, fake)
    await sender.run_once()
    await sender.run_once()
    # Only the joint-case message stands in, in the group (a handling reminder is the
    # shop's own business), with an @ of the owner, and only says there is a case: the
    # buyer and the orders stay out of a group anyone may read.
    ((channel, group, mention, text),) = transport.calls
    assert (channel, group, mention) == ("group", 20001, 42)
    assert "店铺「四十二号店」" in text and "案件 #1" in text and "私聊发 /联合 1" in text
    assert "tb_x" not in text


async def test_a_restart_mid_queue_delivers_the_rest_once(pool, clock):
    await queue(range(10, 15), clock)
    first = Recorder()
    fake = FakeTime()
    # The first process sends two, then claims two more and dies before sending them.
    assert await make_sender(first, clock, fake).run_once(limit=2) == 2

    await claim_outbox("dead", clock(), clock() + timedelta(seconds=120), 2)
    await database.restart()

    second = Recorder()
    sender = Sender(second, "w2", clock, sleep=fake.sleep, monotonic=fake.monotonic, lease_seconds=120)
    assert await sender.run_once() == 1  # the dead process's claims are still leased
    clock.now += timedelta(seconds=121)
    assert await sender.run_once() == 2
    assert sorted(g for g, _, _ in first.sent + second.sent) == [10, 11, 12, 13, 14]
    assert await OutboxMessage.filter(status="sent").count() == 5


async def test_two_senders_on_postgres_deliver_each_message_once(postgres_pool, clock):
    await queue([100 + i % 40 for i in range(200)], clock)
    shared = Recorder()

    async def drain(worker):
        sender = Sender(shared, worker, clock, group_interval=0, global_interval=0)
        while await sender.run_once(limit=7):
            await asyncio.sleep(0)

    await asyncio.gather(drain("a"), drain("b"))
    texts = [text for _, text, _ in shared.sent]
    assert len(texts) == 200 and len(set(texts)) == 200
    assert await OutboxMessage.filter(status="sent").count() == 200


async def test_a_stale_alert_is_folded_into_the_digest(pool, clock, alerts, alerting):
    await alerts.subscribe(5, None, "qq:admin")
    a, b = await shops(alerting, 2)
    await alerting.report(a, parse_report(order("tb_late 差评师")))
    await alerting.report(b, parse_report(order("tb_late 差评师")))
    clock.now += timedelta(hours=4)  # the bot was offline
    transport = Recorder()
    assert await make_sender(transport, clock, FakeTime()).run_once() == 0
    assert transport.sent == [] and (await OutboxMessage.get(target_id=5)).status == "folded"
    digest = await alerts.build_digest(await Subscription.get(group_id=5))
    assert "没能及时送达的预警 1 条" in digest.text


async def test_digest_content_for_a_fixed_dataset(pool, clock, alerts, alerting):
    clock.now = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)  # 09:00 Beijing
    subscription, _ = await alerts.subscribe(5, "09:00", "qq:admin")
    a, b, c = await shops(alerting, 3)
    clock.now -= timedelta(hours=5)
    await alerting.report(a, parse_report(order("tb_first 差评师")))
    await alerting.report(b, parse_report(order("tb_first 恶意退货")))
    await alerting.report(c, parse_report(order("pdd pdd_scalper 黄牛")))
    clock.now -= timedelta(days=3)
    await alerting.report(a, parse_report("tb_old 恶拍"))  # before the digest period
    clock.now = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
    digest = await alerts.build_digest(subscription)
    assert "新增高风险买家 1 个" in digest.text and "淘宝 tb****st（高风险）" in digest.text
    assert "新举报 3 条：差评敲诈 1、恶意退货 1、黄牛 1" in digest.text
    assert "需要处理的联合投诉：无" in digest.text
    assert digest.image is not None and Path(digest.image).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


async def test_digests_are_queued_once_at_the_group_time(pool, clock, alerts, tmp_path):
    await alerts.subscribe(5, "09:00", "qq:admin")
    await alerts.subscribe(6, "21:30", "qq:admin")
    clock.now = datetime(2026, 11, 20, 0, 59, tzinfo=UTC)  # 08:59 Beijing
    assert await alerts.queue_due_digests() == 0
    clock.now += timedelta(minutes=1)
    assert await alerts.queue_due_digests() == 1
    assert await alerts.queue_due_digests() == 0
    # A restart (a new Alerts, same database) does not send it again.
    assert await Alerts(tmp_path, clock).queue_due_digests() == 0
    rows = await OutboxMessage.filter(kind="digest")
    assert [(r.target_id, r.event_key) for r in rows] == [(5, "digest:2026-11-20")]
    clock.now += timedelta(days=1)
    assert await alerts.queue_due_digests() == 1
