"""Webhook robots as subscribers: registered with a group's rules, reached by the same
alert, correction and digest queuing, and delivered by the outbox sender to a local
server that plays 企业微信, 钉钉 and 飞书 (tests/robot_services.py): paced by each
service's limit, signed, split, exactly once, paused when the service refuses them."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.commands.grammar import parse_bind, parse_report, parse_robot
from bot.commands.requests import RobotRequest
from bot.errors import BadInput, Limited, NotAllowed, NotFound
from bot.identity.places import robot_target
from bot.identity.sealing import Sealer
from bot.messaging.outbox import Sender
from bot.states import Channel, OutboxKind
from bot.storage.models.messaging import OutboxMessage, Subscription
from bot.storage.models.robots import Robot
from bot.storage.outbox import enqueue
from bot.trust.moderation import Moderation
from bot.trust.robots import OPERATOR, Robots
from shop_guard_chat.webhooks import WebhookPoster
from tests.conftest import SECRET, order, shops, verified_shop
from tests.database.test_alerts import FakeTime, Recorder
from tests.robot_services import TOKEN, RobotService

LOCAL = ["127.0.0.1"]


@pytest.fixture
async def service() -> AsyncIterator[RobotService]:
    server = await RobotService().start()
    yield server
    await server.stop()


@pytest.fixture
def sealer() -> Sealer:
    return Sealer(SECRET)


@pytest.fixture
def robots(alerting, clock, sealer) -> Robots:
    return Robots(Moderation(alerting, {"qq:90000"}, clock), sealer, clock, allowed_hosts=LOCAL)


@pytest.fixture
async def poster() -> AsyncIterator[WebhookPoster]:
    poster = WebhookPoster(LOCAL, timeout_seconds=1.0)
    yield poster
    await poster.close()


def sender(clock, fake: FakeTime, poster, sealer, **kwargs) -> Sender:
    return Sender(
        Recorder(), "w1", clock, sleep=fake.sleep, monotonic=fake.monotonic, poster=poster, sealer=sealer, **kwargs
    )


async def add(robots: Robots, service: RobotService, kind: str, by: str = OPERATOR, **parts: str):
    robot, _ = await robots.add(by, RobotRequest.make(service.address(kind), kind, **parts))
    return robot


async def alert(alerting, name: str = "tb_bad_buyer") -> None:
    """Two verified shops report the same buyer with orders: 高风险, one alert."""
    a, b = await shops(alerting, 2)
    for shop in (a, b):
        await alerting.report(shop, parse_report(order(f"{name} 差评师")))


# -- registering ----------------------------------------------------------------------------


async def test_the_kind_follows_the_official_host_and_other_hosts_are_refused(pool, robots):
    dingtalk = "https://oapi.dingtalk.com/robot/send?access_token=abcdef0123456789"
    robot, created = await robots.add(OPERATOR, RobotRequest.make(dingtalk, secret="SECabc123"))
    assert created and robot.service.value == "钉钉" and robot.signed
    assert robot.mask == "oapi.dingtalk.com/…6789" and "abcdef0123456789" not in robot.mask
    feishu = "https://open.larksuite.com/open-apis/bot/v2/hook/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
    assert (await robots.add(OPERATOR, RobotRequest.make(feishu)))[0].service.value == "飞书"

    refusals = {
        "http://169.254.169.254/latest/meta-data": "robots.host_refused",  # the cloud's metadata service
        "https://qyapi.weixin.qq.com.evil.example/cgi-bin/webhook/send?key=abcdefgh": "robots.host_refused",
        "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abcdefgh1234": "robots.address_invalid",  # not https
        "https://qyapi.weixin.qq.com/cgi-bin/menu/create?key=abcdefgh1234": "robots.address_invalid",  # another API
        "https://user:pw@oapi.dingtalk.com/robot/send?access_token=abcdefgh1234": "robots.address_invalid",
        "http://127.0.0.1:9/robot/send?access_token=abcdefgh1234": "robots.kind_missing",  # allowed host, no kind
    }
    for address, code in refusals.items():
        with pytest.raises(BadInput) as refused:
            await robots.add(OPERATOR, RobotRequest.make(address))
        assert refused.value.code == code, address
    with pytest.raises(BadInput) as refused:
        await robots.add(OPERATOR, RobotRequest.make(dingtalk, kind="飞书"))
    assert refused.value.code == "robots.kind_mismatch"
    wecom = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=0a1b2c3d-4e5f-6789"
    with pytest.raises(BadInput) as refused:
        await robots.add(OPERATOR, RobotRequest.make(wecom, secret="SECx"))
    assert refused.value.code == "robots.no_signature"  # 企业微信 does not sign


async def test_the_address_and_secret_are_stored_sealed_and_a_second_add_is_the_same_robot(pool, robots, sealer):
    address = "https://oapi.dingtalk.com/robot/send?access_token=abcdef0123456789"
    first, _ = await robots.add(OPERATOR, parse_robot(f"{address} 密钥:SECsecretvalue 日报:20:00 预警:极高风险"))
    row = await Robot.get(id=first.number)
    stored = " ".join(str(v) for v in row.__dict__.values())
    assert "abcdef0123456789" not in stored and "SECsecretvalue" not in stored
    assert sealer.open(row.address_sealed) == address and sealer.open(row.secret_sealed) == "SECsecretvalue"
    subscription = await Subscription.get(group_id=robot_target(first.number))
    assert (subscription.alert_level, subscription.digest_time, subscription.active) == ("极高风险", "20:00", True)

    again, created = await robots.add(OPERATOR, parse_robot(f"{address} 日报:关"))
    assert not created and again.number == first.number and not again.signed and again.digest_time is None
    assert await Robot.all().count() == 1


async def test_who_may_register_and_manage_robots(pool, alerting, robots):
    address = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=0a1b2c3d-4e5f-6789"
    await alerting.bind("qq:501", parse_bind("淘宝 未认证店"))
    with pytest.raises(NotAllowed):
        await robots.add("qq:501", RobotRequest.make(address))
    await verified_shop(alerting, "qq:502", "认证店")
    robot, _ = await robots.add("qq:502", RobotRequest.make(address))
    # Another owner neither sees nor removes it; the 版主 sees and removes everything.
    await verified_shop(alerting, "qq:503", "另一家")
    assert await robots.visible("qq:503") == []
    with pytest.raises(NotFound):
        await robots.remove("qq:503", robot.number)
    assert [r.number for r in await robots.visible("qq:90000")] == [robot.number]
    robots.per_owner = 1
    with pytest.raises(Limited):
        await robots.add("qq:502", RobotRequest.make(address.replace("0a1b", "9z9z")))
    await robots.remove("qq:90000", robot.number)
    assert await robots.visible("qq:502") == []
    assert not (await Subscription.get(group_id=robot_target(robot.number))).active


# -- delivering -----------------------------------------------------------------------------


async def test_an_alert_reaches_a_signed_dingtalk_robot_with_its_keyword_once(
    pool, alerting, robots, service, poster, sealer, clock
):
    service.secret, service.keyword = "SECdingtalk0123", "联防"
    robot = await add(robots, service, "钉钉", secret="SECdingtalk0123", keyword="联防")
    await alert(alerting)
    row = await OutboxMessage.get(target_id=robot_target(robot.number), kind=OutboxKind.alert)
    fake = FakeTime()
    assert await sender(clock, fake, poster, sealer).run_once() == 1
    (got,) = service.received
    assert "高风险买家预警" in got.text and got.text.startswith("联防") and "tb********er" in got.text
    assert "timestamp" in got.query and "sign" in got.query
    # Exactly once: nothing is left to send, the row is marked sent.
    assert await sender(clock, fake, poster, sealer).run_once() == 0
    assert len(service.received) == 1 and (await OutboxMessage.get(id=row.id)).status == "sent"


async def test_robots_are_paced_by_their_service_not_by_the_qq_account(pool, robots, service, poster, sealer, clock):
    dingtalk = await add(robots, service, "钉钉")
    feishu = await add(robots, service, "飞书")
    now = clock()
    for i in range(3):
        await enqueue(OutboxKind.alert, Channel.group, robot_target(dingtalk.number), f"a{i}", f"预警{i}", now)
        await enqueue(OutboxKind.alert, Channel.group, robot_target(feishu.number), f"a{i}", f"预警{i}", now)
    fake = FakeTime()
    assert await sender(clock, fake, poster, sealer, global_interval=5.0).run_once() == 6
    # Rows alternate between the robots: 钉钉 waits 3 s between its messages (20 a
    # minute), 飞书 0.6 s (100 a minute, 5 a second); the QQ account's 5 s never applies.
    assert len(service.received) == 6
    assert sum(fake.sleeps) == pytest.approx(6.0)  # the 钉钉 robot's two 3-second waits
    assert all(s <= 3.0 for s in fake.sleeps)


async def test_a_long_digest_goes_to_wecom_in_parts_with_its_chart_and_a_retry_resends_no_part(
    pool, robots, service, poster, sealer, clock, tmp_path
):
    robot = await add(robots, service, "企业微信")
    text = "\n".join(f"第 {i} 行：淘宝 tb****{i:02d}（高风险）差评敲诈 ×2，最近一次 3 天前" for i in range(120))
    chart = tmp_path / "chart.png"
    chart.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 5000)
    await enqueue(
        OutboxKind.digest, Channel.group, robot_target(robot.number), "digest:x", text, clock(), image=str(chart)
    )
    fake = FakeTime()
    # The third request fails: the first two parts are kept as sent.
    service.answers = [None, None, 502]
    assert await sender(clock, fake, poster, sealer).run_once() == 0
    row = await OutboxMessage.get(target_id=robot_target(robot.number))
    assert row.parts_sent == 2 and row.status == "pending"
    clock.now += timedelta(seconds=10)
    assert await sender(clock, fake, poster, sealer).run_once() == 1
    texts = [r.text for r in service.received if r.body["msgtype"] == "text"]
    assert len(texts) >= 3 and len(texts) == len(set(texts))  # no part twice
    assert all(len(t.encode()) <= 2048 for t in texts)
    assert texts[0].endswith(f"（1/{len(texts)}）") and texts[-1].endswith(f"（{len(texts)}/{len(texts)}）")
    joined = "\n".join(t.rsplit("\n", 1)[0] for t in texts)
    assert joined == text
    assert [r.body["msgtype"] for r in service.received][-1] == "image"


async def test_a_wrong_signature_pauses_the_robot_and_tells_its_owner(
    pool, alerting, robots, service, poster, sealer, clock, caplog
):
    service.secret = "SECtherightone"
    owner = await verified_shop(alerting, "qq:77001", "有机器人的店")
    robot = await add(robots, service, "飞书", by=owner.owner, secret="SECawrongsecret")
    await alert(alerting)
    await alert(alerting, "tb_second")
    fake = FakeTime()
    with caplog.at_level(logging.DEBUG):
        await sender(clock, fake, poster, sealer).run_once()
    row = await Robot.get(id=robot.number)
    assert row.paused_at is not None and "19021" in (row.pause_reason or "")
    assert service.requests == 1  # the second alert was dropped with the robot, not tried
    statuses = [m.status for m in await OutboxMessage.filter(target_id=robot_target(robot.number)).order_by("id")]
    assert statuses == ["dropped", "dropped"]
    (told,) = await OutboxMessage.filter(channel="private", target_id=77001)
    assert "已暂停推送" in told.text and "19021" in told.text and TOKEN not in told.text
    # No more alerts are queued for it; adding it again resumes it.
    await alert(alerting, "tb_third")
    assert await OutboxMessage.filter(target_id=robot_target(robot.number)).count() == 2
    await add(robots, service, "飞书", by=owner.owner, secret="SECtherightone")
    assert (await Robot.get(id=robot.number)).paused_at is None
    # The bot's own log (the played service's access log is the service's, not ours).
    assert not [r for r in caplog.records if r.name != "aiohttp.access" and TOKEN in r.getMessage()]


async def test_rate_limits_wait_the_services_block_and_do_not_pause(pool, robots, service, poster, sealer, clock):
    robot = await add(robots, service, "钉钉")
    await enqueue(OutboxKind.alert, Channel.group, robot_target(robot.number), "a1", "预警", clock())
    service.answers = [{"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}]
    assert await sender(clock, FakeTime(), poster, sealer).run_once() == 0
    row = await OutboxMessage.get(target_id=robot_target(robot.number))
    assert row.status == "pending" and row.next_attempt_at >= clock() + timedelta(minutes=10)
    assert (await Robot.get(id=robot.number)).failures == 0
    clock.now += timedelta(minutes=11)
    assert await sender(clock, FakeTime(), poster, sealer).run_once() == 1


async def test_a_robot_that_keeps_timing_out_is_retried_then_paused(
    pool, alerting, robots, service, poster, sealer, clock
):
    robot = await add(robots, service, "企业微信")
    await enqueue(OutboxKind.alert, Channel.group, robot_target(robot.number), "a1", "预警", clock())
    service.answers = ["hang"] * 3
    service.hang_seconds = 1.5
    fake = FakeTime()
    for attempt in range(3):
        assert await sender(clock, fake, poster, sealer, robot_pause_after=3).run_once() == 0
        row = await OutboxMessage.get(target_id=robot_target(robot.number))
        if attempt < 2:
            assert row.status == "pending" and "TimeoutError" in (row.last_error or "")
            assert TOKEN not in (row.last_error or "")
        clock.now += timedelta(minutes=5)
    assert (await Robot.get(id=robot.number)).paused_at is not None
    assert (await OutboxMessage.get(target_id=robot_target(robot.number))).status == "dropped"


async def test_the_sender_never_posts_to_an_internal_address_it_was_not_allowed(pool, robots, service, sealer, clock):
    robot = await add(robots, service, "钉钉")  # registered while 127.0.0.1 was allowed
    await enqueue(OutboxKind.alert, Channel.group, robot_target(robot.number), "a1", "预警", clock())
    strict = WebhookPoster([], timeout_seconds=1.0)
    try:
        assert await sender(clock, FakeTime(), strict, sealer).run_once() == 0
    finally:
        await strict.close()
    assert service.requests == 0
    row = await OutboxMessage.get(target_id=robot_target(robot.number))
    assert "non-public" in (row.last_error or "") and TOKEN not in (row.last_error or "")


async def test_corrections_and_digests_reach_robots_like_groups(
    pool, alerting, alerts, robots, service, poster, sealer, clock
):
    robot = await add(robots, service, "飞书")
    a, b = await shops(alerting, 2)
    filings = [await alerting.report(s, parse_report(order("tb_flip 差评师"))) for s in (a, b)]
    fake = FakeTime()
    assert await sender(clock, fake, poster, sealer).run_once() == 1
    await alerting.retract(b, filings[1].report.id)
    assert await sender(clock, fake, poster, sealer).run_once() == 1
    assert "更正" in service.received[-1].text
    clock.now = clock.now.replace(hour=1, minute=0)  # 09:00 in Beijing: the robot's digest time
    await alerts.queue_due_digests()
    digest = await OutboxMessage.get(target_id=robot_target(robot.number), kind=OutboxKind.digest)
    assert digest.text and await sender(clock, fake, poster, sealer).run_once() == 1
    assert "日报" in service.received[-1].text or "联防" in service.received[-1].text


async def test_a_robot_sealed_under_another_secret_is_paused_not_retried(pool, robots, service, poster, clock):
    robot = await add(robots, service, "钉钉")
    await enqueue(OutboxKind.alert, Channel.group, robot_target(robot.number), "a1", "预警", clock())
    other = Sealer(b"another-deployment-secret-0123")
    assert await sender(clock, FakeTime(), poster, other).run_once() == 0
    assert service.requests == 0 and (await Robot.get(id=robot.number)).paused_at is not None


# -- one shop across networks ------------------------------------------------------------


async def test_a_moderator_or_the_owner_links_an_account_with_its_code(pool, alerting, clock):
    from bot.errors import Conflict
    from bot.storage.shops import shop_of_account
    from bot.trust.links import AccountLinks

    links = AccountLinks(Moderation(alerting, {"qq:90000"}, clock), clock)
    shop = await verified_shop(alerting, "qq:601", "两边的店")
    code = await links.code_for("qqbot:OPENID_A")
    with pytest.raises(NotAllowed):  # neither the owner nor a 版主
        await links.link("qq:602", code, "qq:601")
    linked, account = await links.link("qq:90000", code.lower(), "qq:601")
    assert linked.id == shop.id and account == "qqbot:OPENID_A"
    assert (await shop_of_account("qqbot:OPENID_A")).id == shop.id  # verified with the shop
    with pytest.raises(NotFound):  # once only
        await links.link("qq:601", code)
    late = await links.code_for("qqbot:OPENID_B")
    clock.now += timedelta(minutes=31)
    with pytest.raises(NotFound):
        await links.link("qq:601", late)
    await alerting.bind("qqbot:OPENID_C", parse_bind("淘宝 另开的店"))
    with pytest.raises(Conflict):  # an account with a shop of its own is not moved
        await links.link("qq:601", await links.code_for("qqbot:OPENID_C"))
