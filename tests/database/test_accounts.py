"""Several QQ accounts (one per bot process) on one database (issue #29): each group's
messages go out once, from an account that is in the group; a group two accounts share
is served by one of them; the groups of an account that is gone, or that left a group,
are taken over by another account in them, and a group no account is in is dropped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.messaging.outbox import GroupUnreachable, Sender
from bot.states import Channel, Delivery, OutboxKind
from bot.storage.models.messaging import GroupSender, OutboxMessage, Subscription
from bot.storage.outbox import GONE_AFTER, HAND_OVER, enqueue, serve_group, serve_groups, subscribe_group, touch_groups
from tests.database.test_alerts import FakeTime, Recorder

A, B = "3000000001", "3000000002"


def sender(transport: Recorder, worker: str, clock, accounts: list[str]) -> Sender:
    fake = FakeTime()
    return Sender(transport, worker, clock, sleep=fake.sleep, monotonic=fake.monotonic, accounts=lambda: accounts)


async def read_list(account: str, groups: list[int], clock) -> set[int]:
    return await serve_groups(account, groups, clock())


async def alert(groups: list[int], clock, key: str = "alert:1") -> None:
    for group in groups:
        await enqueue(OutboxKind.alert, Channel.group, group, key, f"预警 {key} → {group}", clock())


async def drain(s: Sender) -> None:
    while await s.run_once(limit=3):
        pass


async def test_each_group_gets_the_alert_once_from_an_account_in_it(pool, clock):
    # The first account to list a group it shares with another serves it.
    assert await read_list(A, [700001, 700002], clock) == {700001, 700002}
    assert await read_list(B, [700002, 700003], clock) == {700003}
    await alert([700001, 700002, 700003, 700004], clock)  # 700004: a group no account has listed
    await enqueue(OutboxKind.notice, Channel.private, 123456, "appeal:9", "私聊通知", clock())
    await enqueue(OutboxKind.alert, Channel.group, -5, "alert:1", "给机器人 #5", clock())

    # A process with no QQ account connected takes only what needs none (the robot).
    none, a, b = Recorder(), Recorder(), Recorder()
    await drain(sender(none, "none", clock, []))
    assert none.sent == [] and (await OutboxMessage.get(target_id=-5)).status == "failed"  # robot #5 is gone
    assert await OutboxMessage.filter(status="pending").count() == 5

    await drain(sender(b, "b", clock, [B]))
    await drain(sender(a, "a", clock, [A]))
    assert sorted(t for t, _, _ in a.sent) == [700001, 700002]
    # B sends in its own group, in the group nobody listed (a send will tell), and the
    # private message; never in 700002, which A serves.
    assert sorted(t for t, _, _ in b.sent) == [123456, 700003, 700004]
    assert await OutboxMessage.filter(status="sent").count() == 5


async def test_the_groups_of_a_gone_account_move_to_another_account_in_them(pool, clock):
    await read_list(A, [700001, 700002], clock)
    await read_list(B, [700002, 700003], clock)
    for _ in range(5):  # A's heartbeat keeps its groups its own, however long
        clock.now += GONE_AFTER - timedelta(seconds=1)
        await touch_groups([A], clock())
        assert await read_list(B, [700002, 700003], clock) == {700003}
        assert await serve_group(B, 700002, clock()) is False

    clock.now += GONE_AFTER + timedelta(seconds=1)  # A's process is silent: gone
    assert await read_list(B, [700002, 700003], clock) == {700002, 700003}
    await alert([700001, 700002], clock)
    b = Recorder()
    await drain(sender(b, "b", clock, [B]))
    # 700001 has no other account of the bot in it: its alert waits for A, and is not lost.
    assert [t for t, _, _ in b.sent] == [700002]
    assert (await OutboxMessage.get(target_id=700001)).status == "pending"

    # A comes back and reads its list: 700001 is its own again; 700002 stays with B.
    assert await read_list(A, [700001, 700002], clock) == {700001}
    a = Recorder()
    await drain(sender(a, "a", clock, [A]))
    assert [t for t, _, _ in a.sent] == [700001]


async def test_an_account_removed_from_a_group_hands_it_to_another_account_there(pool, clock):
    await subscribe_group(700002, "09:00", True, "qq:100001")
    await read_list(A, [700001, 700002], clock)
    await read_list(B, [700002], clock)
    await alert([700002], clock)
    kicked = Recorder({700002: [GroupUnreachable(Delivery.left, "-1 group not exist")]})
    assert await sender(kicked, "a", clock, [A]).run_once() == 0
    # Not dropped: the group is still subscribed, and its alert waits for B.
    assert (await Subscription.get(group_id=700002)).delivery == Delivery.ok
    message = await OutboxMessage.get(target_id=700002)
    assert message.status == "pending" and message.claimed_until is None
    b = Recorder()
    assert await sender(b, "b", clock, [B]).run_once() == 0  # before B reads its list again
    assert await read_list(B, [700002], clock) == {700002}
    assert await sender(b, "b", clock, [B]).run_once() == 1
    assert [t for t, _, _ in b.sent] == [700002] and kicked.sent == []


async def test_a_group_no_account_is_in_any_more_is_dropped_after_the_hand_over(pool, clock):
    await subscribe_group(700009, "09:00", True, "qq:100001")
    await read_list(A, [700009], clock)
    assert await read_list(A, [], clock) == set()  # the account was removed from the group
    await alert([700009], clock)
    gone = Recorder({700009: [GroupUnreachable(Delivery.left, "-1 group not exist")]})
    assert await sender(gone, "a", clock, [A]).run_once() == 0
    assert (await OutboxMessage.get(target_id=700009)).status == "pending"  # another account may take it

    clock.now += HAND_OVER + timedelta(seconds=1)
    assert await sender(gone, "a", clock, [A]).run_once() == 0
    assert (await Subscription.get(group_id=700009)).delivery == Delivery.left
    assert (await OutboxMessage.get(target_id=700009)).status == "dropped"


async def test_a_group_first_seen_in_a_message_is_the_account_s_unless_another_serves_it(pool, clock):
    await read_list(A, [700001], clock)
    assert await serve_group(B, 700005, clock()) is True
    assert await serve_group(B, 700001, clock()) is False
    assert await serve_group(A, 700001, clock()) is True
    assert dict(await GroupSender.all().values_list("group_id", "account")) == {700001: A, 700005: B}
    # A command heard in A's group after A fell silent: B answers from then on.
    clock.now += GONE_AFTER + timedelta(seconds=1)
    assert await serve_group(B, 700001, clock()) is True


async def test_each_process_queues_the_digests_of_the_groups_it_sends_to(pool, clock, alerts):
    """Several processes split a digest round: each builds its accounts' groups' digests
    (and those of groups no account serves); each group's digest is queued once."""
    clock.now = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)  # 09:00 Beijing
    for group in (700001, 700002, 700003, 700004):
        await alerts.subscribe(group, "09:00", "qq:admin")
    await read_list(A, [700001, 700002], clock)
    await read_list(B, [700002, 700003], clock)
    assert await alerts.queue_due_digests([B]) == 2  # its own, and 700004 that nobody listed
    assert await alerts.queue_due_digests([]) == 0  # no account connected: no QQ group
    assert await alerts.queue_due_digests([A]) == 2
    assert await alerts.queue_due_digests(None) == 0  # a process without a sender: all, already queued
    rows = await OutboxMessage.filter(kind="digest").order_by("target_id")
    assert [r.target_id for r in rows] == [700001, 700002, 700003, 700004]
