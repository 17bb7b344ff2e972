"""Each group's own rules (/设置): the level it is alerted at, its digest, its allowlist.
The core without chat (SQLite and PostgreSQL), then /设置 and /查 through nonebug."""

from __future__ import annotations

import pytest

from bot.commands.grammar import parse_allowance, parse_report
from bot.errors import Refused
from bot.identity.platforms import Platform
from bot.storage.models.groups import GroupSettingChange
from bot.storage.models.messaging import Alert, OutboxMessage, Subscription
from bot.trust.group_rules import GroupRules
from bot.trust.moderation import Actor, Moderation
from tests.conftest import order, shops

ADMIN_HIGH = Actor("qq:501", group_id=101, group_admin=True)


ADMIN_SEVERE = Actor("qq:502", group_id=102, group_admin=True)


ADMIN_OTHER = Actor("qq:503", group_id=103, group_admin=True)


@pytest.fixture
def rules(alerting, clock) -> GroupRules:
    return GroupRules(Moderation(alerting, {"qq:90000"}, clock=clock), clock)


async def alerted_groups(**filters) -> list[int]:
    return sorted(m.target_id for m in await OutboxMessage.filter(event_key__startswith="alert:", **filters))


async def test_each_group_is_alerted_at_its_own_level(pool, alerting, alerts, rules):
    for group in (101, 102, 103):
        await alerts.subscribe(group, None, "qq:admin")
    await rules.set_alert_level(ADMIN_SEVERE, "极高风险")
    await rules.set_alert_level(ADMIN_OTHER, "关")
    a, b, c = await shops(alerting, 3)
    await alerting.report(a, parse_report(order("tb_lvl 差评师")))
    filings = [await alerting.report(b, parse_report(order("tb_lvl 差评师")))]
    # 高风险: only the group at 高风险; the group at 极高风险 and the one that turned alerts off, nothing.
    assert await alerted_groups() == [101]
    assert "【高风险买家预警】" in (await OutboxMessage.get(kind="alert")).text
    filings.append(await alerting.report(c, parse_report(order("tb_lvl 差评师"))))
    # 极高风险: now the group at 极高风险, once; the group at 高风险 was told already.
    assert await alerted_groups() == [101, 102]
    severe = await OutboxMessage.get(kind="alert", target_id=102)
    assert "【极高风险买家预警】" in severe.text
    await OutboxMessage.filter(kind="alert").update(status="sent")

    # A retraction back to 高风险 corrects the 极高风险 alert in the group that got it,
    # and nothing in the group at 高风险 (what it was told still holds).
    await alerting.retract(c, filings[-1].report.id)
    corrections = await OutboxMessage.filter(kind="correction")
    assert [(m.target_id, "已不再是极高风险" in m.text) for m in corrections] == [(102, True)]
    assert await Alert.filter(level="高风险", corrected_at__isnull=True).count() == 1


async def test_an_allowlisted_buyer_never_alerts_that_group_and_others_are_unaffected(pool, alerting, alerts, rules):
    for group in (101, 103):
        await alerts.subscribe(group, None, "qq:admin")
    view, again = await rules.allow(ADMIN_HIGH, parse_allowance("淘宝 tb_friend 老客户，多次正常购买"))
    assert not again and [(a.buyer_id, a.reason, a.added_by) for a in view.allowed] == [
        ("tb_friend", "老客户，多次正常购买", "qq:501")
    ]
    a, b = await shops(alerting, 2)
    for shop in (a, b):
        await alerting.report(shop, parse_report(order("tb_friend 差评师")))
    assert await alerted_groups() == [103]
    found = await rules.allowance(101, Platform.taobao, "tb_friend")
    assert found is not None and found.reason == "老客户，多次正常购买"
    assert await rules.allowance(103, Platform.taobao, "tb_friend") is None

    # The digest of the allowing group leaves the buyer out too; the other group's has it.
    await Subscription.filter(group_id__in=[101, 103]).update(digest_time="00:00")
    alerts.clock.now = alerts.clock.now.replace(hour=16, minute=5)  # 00:05 in Shanghai
    await alerts.queue_due_digests()
    digests = {m.target_id: m.text for m in await OutboxMessage.filter(kind="digest")}
    assert "tb*****nd" in digests[103] and "tb*****nd" not in digests[101]

    # Taken off the allowlist, the buyer is like any other again (logged both times).
    await rules.disallow(ADMIN_HIGH, Platform.taobao, "tb_friend")
    with pytest.raises(Refused) as caught:
        await rules.disallow(ADMIN_HIGH, Platform.taobao, "tb_friend")
    assert caught.value.code == "rules.not_allowed"
    log = [
        (c.actor, c.setting, c.before, c.after) for c in await GroupSettingChange.filter(group_id=101).order_by("id")
    ]
    assert log == [
        ("qq:501", "放行", None, "淘宝 tb_friend：老客户，多次正常购买"),
        ("qq:501", "放行", "淘宝 tb_friend：老客户，多次正常购买", None),
    ]


async def test_only_admins_and_moderators_change_a_group_and_only_in_a_group(pool, rules):
    for who, code in (
        (Actor("qq:7", group_id=101), "rules.not_admin"),
        (Actor("qq:90000"), "rules.group_only"),
    ):
        with pytest.raises(Refused) as caught:
            await rules.set_alert_level(who, "极高风险")
        assert caught.value.code == code
    # A 版主 in any group, admin or not.
    view = await rules.set_alert_level(Actor("qq:90000", group_id=101), "极高")
    assert view.alert_level == "极高风险" and not view.subscribed
    with pytest.raises(Refused) as caught:
        await rules.set_alert_level(ADMIN_HIGH, "很高")
    assert caught.value.code == "rules.bad_level"
    assert await GroupSettingChange.filter(group_id=101).count() == 1


async def test_a_digest_turned_off_is_not_queued_and_subscribe_keeps_working(pool, alerts, rules, clock):
    await alerts.subscribe(101, "08:00", "qq:admin")
    await alerts.subscribe(103, "08:00", "qq:admin")
    view = await rules.set_digest(ADMIN_HIGH, "关")
    assert view.digest_time is None and view.subscribed
    clock.now = clock.now.replace(hour=0, minute=5)  # 08:05 in Shanghai
    assert await alerts.queue_due_digests() == 1
    assert [m.target_id for m in await OutboxMessage.filter(kind="digest")] == [103]
    # /订阅 alone keeps the digest off; /订阅 with a time turns it on.
    subscription, _ = await alerts.subscribe(101, None, "qq:admin")
    assert not subscription.digest_enabled
    subscription, changed = await alerts.subscribe(101, "21:00", "qq:admin")
    assert changed and subscription.digest_enabled and subscription.digest_time == "21:00"
    assert (await rules.set_digest(ADMIN_HIGH, "7:30")).digest_time == "07:30"


async def test_a_group_sets_its_own_platform(pool, rules):
    """/设置 平台: the group's owner, admins or a 版主 set the platform of a buyer named
    without one by a member who has no shop; logged like every rule; 关 turns it off
    (every platform again). Other processes see the change within their re-read."""
    member = Actor("qq:777", group_id=101, group_admin=False)
    with pytest.raises(Refused) as refused:
        await rules.set_platform(member, "拼多多")
    assert refused.value.code == "rules.not_admin"
    with pytest.raises(Refused) as unknown:
        await rules.set_platform(ADMIN_HIGH, "亚马逊")
    assert unknown.value.code == "platform_unknown"
    assert await rules.platform_of(101) is None
    view = await rules.set_platform(ADMIN_HIGH, "拼多多")
    assert view.platform is Platform.pdd and await rules.platform_of(101) is Platform.pdd
    assert await rules.platform_of(102) is None
    # A 版主 may set it in any group; the rules wait for /订阅 like the others.
    moderator = Actor("qq:90000", group_id=102, group_admin=False)
    assert (await rules.set_platform(moderator, "douyin")).platform is Platform.douyin
    assert not (await Subscription.get(group_id=102)).active
    assert (await rules.set_platform(ADMIN_HIGH, "关")).platform is None
    assert await rules.platform_of(101) is None
    changes = [(c.setting, c.before, c.after) for c in await GroupSettingChange.filter(group_id=101).order_by("id")]
    assert changes == [("平台", "关", "拼多多"), ("平台", "拼多多", "关")]
