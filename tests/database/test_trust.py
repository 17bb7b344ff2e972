"""A pool no one can weaponise (DESIGN.md §7), without chat, on SQLite and PostgreSQL.

Tried as an attacker would: three fresh accounts bound the same shop name and took an
innocent buyer to 极高风险 with order-less reports in 15 seconds. Now: names are unique,
only verified shops' reports with an order number count, anyone may appeal, a 版主
decides, corrections follow the alerts, and every decision is logged with who made it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from bot.blacklist.blacklist import Blacklist
from bot.cases.joint import JointCases
from bot.commands.grammar import parse_appeal, parse_bind, parse_check, parse_report
from bot.errors import Conflict, Limited, NotAllowed, NotFound, Refused
from bot.identity.fingerprints import Fingerprinter
from bot.messaging.alerts import Alerts
from bot.messaging.render import render
from bot.pool import compose
from bot.scoring.verdict import Level
from bot.storage.models.appeals import Appeal
from bot.storage.models.cases import JointCase, JointMember
from bot.storage.models.messaging import Alert, OutboxMessage
from bot.storage.models.reports import Report
from bot.storage.models.shops import Shop
from bot.storage.models.trust import Decision, TrustDecision
from bot.storage.trust import add_trusted_group as trust_group
from bot.trust.appeals import Appeals
from bot.trust.moderation import Actor, Membership, Moderation
from tests.conftest import SECRET

MODERATOR = Actor("qq:90000")
GROUP = 7000


@dataclass
class Pool:
    blacklist: Blacklist
    alerts: Alerts
    joint: JointCases
    moderation: Moderation
    appeals: Appeals


@pytest.fixture
def services(clock, tmp_path) -> Pool:
    alerts = Alerts(tmp_path, clock)
    joint = JointCases(tmp_path, clock)
    blacklist = Blacklist(Fingerprinter(SECRET), clock, on_decided=compose(alerts.on_decided, joint.on_decided))
    moderation = Moderation(blacklist, {"qq:90000"}, clock)
    return Pool(
        blacklist, alerts, joint, moderation, Appeals(blacklist, moderation, tmp_path, alerts.release_held, clock)
    )


async def bind(services: Pool, account: str, name: str) -> Shop:
    return (await services.blacklist.bind(account, parse_bind(f"淘宝 {name}"))).shop


async def verified(services: Pool, account: str, name: str) -> Shop:
    await bind(services, account, name)
    return (await services.moderation.verify(MODERATOR, account)).shop


async def level(services: Pool, buyer: str) -> Level:
    return (await services.blacklist.check(parse_check(buyer))).verdict.level


async def test_accounts_that_nobody_verified_cannot_brand_a_buyer(pool, services):
    await services.alerts.subscribe(GROUP, None, "qq:1")
    shops = [await bind(services, f"qq:{n}", f"小店{n}") for n in range(1, 4)]
    for n, shop in enumerate(shops):
        filing = await services.blacklist.report(shop, parse_report(f"innocent 差评敲诈 37200000000000{n}"))
    assert filing.verdict.level is Level.watch and filing.verdict.shops == 3 and filing.verdict.verified_shops == 0
    assert await OutboxMessage.filter(kind="alert").count() == 0 and await JointCase.all().count() == 0
    # Order-less reports from verified shops do not count either.
    for n in range(4, 6):
        shop = await verified(services, f"qq:{n}", f"认证店{n}")
        await services.blacklist.report(shop, parse_report("innocent 其他"))
    assert await level(services, "innocent") is Level.watch
    text = render("check/verdict_detail.j2", result=await services.blacklist.check(parse_check("innocent")))
    assert "另有" not in text and "都是不计分的举报（未认证、没有订单号或等待版主审核），仅供参考" in text


async def test_two_verified_shops_with_orders_make_a_buyer_high_risk(pool, services):
    await services.alerts.subscribe(GROUP, None, "qq:1")
    a, b = await verified(services, "qq:1", "甲店"), await verified(services, "qq:2", "乙店")
    unverified = await bind(services, "qq:3", "丙店")
    await services.blacklist.report(unverified, parse_report("tb_bad 差评敲诈 3720000000000003"))
    await services.blacklist.report(a, parse_report("tb_bad 差评敲诈 3720000000000001"))
    filing = await services.blacklist.report(b, parse_report("tb_bad 恶意退货 3720000000000002"))
    assert filing.verdict.level is Level.high and filing.verdict.verified_shops == 2
    assert filing.verdict.unverified_shops == 1
    assert await OutboxMessage.filter(kind="alert", target_id=GROUP).count() == 1
    text = render("check/verdict_detail.j2", result=await services.blacklist.check(parse_check("tb_bad")))
    assert "其中 2 家是认证店铺凭订单举报，分数只算这些；另有 1 家的举报不计分" in text


async def test_verification_needs_a_trusted_group_and_its_admin(pool, services, clock):
    await bind(services, "qq:1", "甲店")
    admin_here = Actor("qq:500", GROUP, group_admin=True)
    member = Membership(True, clock.now - timedelta(days=30))
    with pytest.raises(NotAllowed) as refused:
        await services.moderation.verify(admin_here, "qq:1", member)
    assert refused.value.code == "moderation.untrusted_group"
    with pytest.raises(NotAllowed) as refused:
        await services.moderation.trust_group(admin_here)  # only a 版主 trusts a group
    assert refused.value.code == "moderation.moderator_only"
    assert await services.moderation.trust_group(Actor("qq:90000", GROUP))
    with pytest.raises(NotAllowed) as refused:
        await services.moderation.verify(Actor("qq:501", GROUP, group_admin=False), "qq:1", member)
    assert refused.value.code == "moderation.not_group_admin"
    with pytest.raises(NotAllowed):
        await services.moderation.verify(Actor("qq:500"), "qq:1", member)  # an admin in private chat
    vouching = await services.moderation.verify(admin_here, "qq:1", member)
    assert vouching.newly_verified and not vouching.by_moderator
    stored = await Shop.get(id=vouching.shop.id)
    assert stored.verified_at is not None and (stored.verified_by, stored.verified_in) == ("qq:500", GROUP)
    assert stored.roots == f"qq:500@{GROUP}"
    with pytest.raises(Conflict) as again:
        await services.moderation.verify(admin_here, "qq:1", member)
    assert again.value.code == "moderation.already_vouched"
    (logged,) = await TrustDecision.filter(action="vouch")
    assert (logged.actor, logged.shop_id, logged.group_id) == ("qq:500", stored.id, GROUP)
    # The voucher (or a 版主) takes it back; nobody else.
    with pytest.raises(NotAllowed):
        await services.moderation.unverify(Actor("qq:777", GROUP, group_admin=True), "qq:1")
    await services.moderation.unverify(admin_here, "qq:1", "认错了人")
    stored = await Shop.get(id=stored.id)
    assert stored.verified_at is None and stored.roots == ""
    assert await TrustDecision.filter(action="unvouch", actor="qq:500").exists()


async def test_shop_names_are_unique_and_staff_speak_for_one_shop(pool, services):
    owner = await bind(services, "qq:1", "小王的手工皂")
    for taken in ("小王的手工皂", "小王的手工皂 ", "ＸＹ小王的手工皂"[2:]):
        with pytest.raises(Conflict) as refused:
            await bind(services, "qq:2", taken)
        assert refused.value.code == "shop.name_taken"
        assert "/店员 添加" in render(refused.value.template, **refused.value.context)
    await bind(services, "qq:2", "拼多多的另一家")  # another name is another shop
    with pytest.raises(Conflict):
        await services.blacklist.add_staff("qq:1", "qq:2")  # already a shop of its own
    await services.blacklist.add_staff("qq:1", "qq:3")
    with pytest.raises(NotAllowed):
        await services.blacklist.add_staff("qq:3", "qq:4")  # staff cannot add staff
    await services.moderation.verify(MODERATOR, "qq:1")
    other = await verified(services, "qq:9", "别家")
    staff = await services.blacklist.shop_of("qq:3")
    assert staff.id == owner.id
    # The owner and the staff member report the same buyer: still one shop, one voice.
    await services.blacklist.report(
        await services.blacklist.shop_of("qq:1"), parse_report("tb_x 差评敲诈 3720000000000001")
    )
    filing = await services.blacklist.report(staff, parse_report("tb_x 差评敲诈 3720000000000002"))
    assert filing.verdict.shops == 1 and filing.verdict.level is Level.watch
    filing = await services.blacklist.report(other, parse_report("tb_x 差评敲诈 3720000000000003"))
    assert filing.verdict.shops == 2 and filing.verdict.level is Level.high


async def test_reports_per_day_and_clue_lookups_are_limited(pool, services):
    services.blacklist.reports_per_day = 3
    shop = await bind(services, "qq:1", "甲店")
    for n in range(3):
        await services.blacklist.report(shop, parse_report(f"tb_{n} 黄牛"))
    with pytest.raises(Limited):
        await services.blacklist.report(shop, parse_report("tb_9 黄牛"))
    # Phone clues are for verified shops only, and limited per shop per day.
    request = parse_check("tb_1 手机:13812345678")
    with pytest.raises(NotAllowed) as refused:
        await services.blacklist.check(request, "qq:1", shop)
    assert refused.value.code == "clues_verified_only"
    shop = (await services.moderation.verify(MODERATOR, "qq:1")).shop
    services.blacklist.clue_lookups_per_day = 2
    for _ in range(2):
        await services.blacklist.check(request, "qq:1", shop)
    with pytest.raises(Limited) as used_up:
        await services.blacklist.check(request, "qq:1", shop)
    assert used_up.value.code == "clue_lookups_used_up"


async def test_linked_accounts_are_named_only_to_verified_shops(pool, services):
    reporter = await verified(services, "qq:1", "甲店")
    await services.blacklist.report(reporter, parse_report("tb_alias 差评敲诈 3720000000000001 手机:13812345678"))
    await services.blacklist.report(reporter, parse_report("tb_main 差评敲诈 3720000000000002 手机:13812345678"))
    stranger = await bind(services, "qq:2", "乙店")
    seen_by_stranger = await services.blacklist.check(parse_check("tb_main"), "qq:2", stranger)
    text = render("check/verdict_detail.j2", result=seen_by_stranger)
    assert "tb_alias" not in text and "与 1 个被举报账号共用手机号或地址" in text
    seen_by_reporter = await services.blacklist.check(parse_check("tb_main"), "qq:1", reporter)
    assert "关联账号：淘宝 tb_alias" in render("check/verdict_detail.j2", result=seen_by_reporter)


async def listed(services: Pool) -> tuple[Shop, Shop, Shop]:
    """Three verified shops report tb_target with orders: 极高风险, alerted to GROUP."""
    await services.alerts.subscribe(GROUP, None, "qq:1")
    await services.alerts.subscribe(GROUP + 1, None, "qq:1")
    a, b, c = [await verified(services, f"qq:{n}", f"店{n}") for n in (1, 2, 3)]
    for n, shop in enumerate((a, b, c)):
        await services.blacklist.report(shop, parse_report(f"tb_target 差评敲诈 37200000000001{n}"))
    # The alert reached GROUP; GROUP + 1 left before it went out.
    await OutboxMessage.filter(kind="alert", target_id=GROUP).update(status="sent")
    await OutboxMessage.filter(kind="alert", target_id=GROUP + 1).update(status="dropped")
    return a, b, c


async def test_an_open_appeal_holds_a_high_risk_alert_for_48_hours_and_no_longer(pool, services, clock):
    await services.alerts.subscribe(GROUP, None, "qq:1")
    a, b = await verified(services, "qq:1", "店1"), await verified(services, "qq:2", "店2")
    await services.blacklist.report(a, parse_report("tb_held 差评敲诈 3720000000000001"))
    opening = await services.appeals.open("qq:555", parse_appeal("tb_held 我没有差评过，订单都确认收货了"))
    appeal = opening.appeal
    assert not opening.joined and appeal.hold_until == clock.now + timedelta(hours=48)
    # A second appellant's words join the open appeal; they hold nothing longer.
    joined = await services.appeals.open("qq:556", parse_appeal("tb_held 我也要申诉"))
    assert joined.joined and joined.appeal.id == appeal.id
    assert (await Appeal.get(id=appeal.id)).hold_until == appeal.hold_until
    with pytest.raises(Conflict) as refused:
        await services.appeals.open("qq:556", parse_appeal("tb_held 再说一遍"))
    assert refused.value.code == "appeals.already_joined"
    told = await OutboxMessage.filter(kind="appeal", event_key=f"appeal-open:{appeal.id}").values_list(
        "target_id", "text"
    )
    assert [t for t, _ in told] == [1] and "订单都确认收货了" in told[0][1]
    clock.now += timedelta(hours=1)
    filing = await services.blacklist.report(b, parse_report("tb_held 差评敲诈 3720000000000002"))
    assert filing.verdict.level is Level.high and filing.verdict.appeal_open
    # The alert is queued, due when the hold runs out, and says the appeal is open.
    (message,) = await OutboxMessage.filter(kind="alert", target_id=GROUP)
    assert message.status == "pending" and message.next_attempt_at == appeal.hold_until
    assert "申诉处理中" in message.text
    (alert,) = await Alert.all()
    assert alert.held_until == appeal.hold_until and alert.held_for == appeal.id
    assert await TrustDecision.filter(action="hold_alert", appeal_id=appeal.id).exists()
    assert "申诉处理中" in render(
        "check/verdict_detail.j2", result=await services.blacklist.check(parse_check("tb_held"))
    )
    # Upheld: the held alert goes out now, without the mark.
    await services.appeals.uphold(MODERATOR, appeal.id, "证据确凿")
    message = await OutboxMessage.get(id=message.id)
    assert message.next_attempt_at == clock.now and "申诉处理中" not in message.text
    assert await TrustDecision.filter(action="release_alert", actor="qq:90000").exists()


async def test_a_crossing_into_severe_is_never_held(pool, services, clock):
    await services.alerts.subscribe(GROUP, None, "qq:1")
    shops = [await verified(services, f"qq:{n}", f"店{n}") for n in (1, 2, 3)]
    await services.blacklist.report(shops[0], parse_report("tb_fast 差评敲诈 3720000000000001"))
    appeal = (await services.appeals.open("qq:555", parse_appeal("tb_fast 冤枉"))).appeal
    await services.blacklist.report(shops[1], parse_report("tb_fast 差评敲诈 3720000000000002"))
    (held,) = await OutboxMessage.filter(kind="alert", target_id=GROUP)
    assert held.next_attempt_at == appeal.hold_until
    clock.now += timedelta(minutes=5)
    filing = await services.blacklist.report(shops[2], parse_report("tb_fast 差评敲诈 3720000000000003"))
    assert filing.verdict.level is Level.severe
    # The held 高风险 alert goes now (still marked: the appeal is open).
    held = await OutboxMessage.get(id=held.id)
    assert held.next_attempt_at == clock.now and "申诉处理中" in held.text


async def test_removal_on_appeal_corrects_exactly_the_groups_that_were_told(pool, services):
    _a, b, _c = await listed(services)
    appeal = (await services.appeals.open("qq:555", parse_appeal("tb_target 冤枉"))).appeal
    view = await services.appeals.remove(MODERATOR, appeal.id, [], "订单都已收货，举报不成立")
    assert view.appeal.state == "removed" and view.appeal.decided_by == "qq:90000"
    assert {r.state for r in await Report.filter(buyer__buyer_key="tb_target")} == {"removed"}
    assert await level(services, "tb_target") is Level.none
    corrections = await OutboxMessage.filter(kind="correction")
    assert [m.target_id for m in corrections] == [GROUP]  # exactly the group that was told
    assert "tb*****et 已不再是高风险（申诉成立，举报已撤销）" in corrections[0].text
    # The appellant and each reporter are told; the decision is logged with its maker.
    assert await OutboxMessage.filter(kind="appeal", event_key__startswith="appeal-outcome").count() == 4
    removals = await Decision.filter(kind="remove").order_by("id")
    assert len(removals) == 3 and {d.actor for d in removals} == {"qq:90000"}
    assert (removals[0].level_before, removals[0].level_after) == ("极高风险", "无记录")
    assert removals[0].reason == "订单都已收货，举报不成立"
    # Corrected once: another change does not correct again.
    await services.moderation.ban(MODERATOR, "qq:1", "测试")
    assert await OutboxMessage.filter(kind="correction").count() == 1
    # A tombstone: the same shop cannot report the same order again.
    with pytest.raises(Conflict) as refused:
        await services.blacklist.report(b, parse_report("tb_target 差评敲诈 372000000000011"))
    assert refused.value.code == "report_removed"
    digest = await services.alerts.build_digest(await services.alerts.subscription(GROUP))
    assert "更正 1 条" in digest.text


async def test_upholding_an_appeal_leaves_everything_and_blocks_a_repeat_for_30_days(pool, services, clock):
    await listed(services)
    appeal = (await services.appeals.open("qq:555", parse_appeal("tb_target 冤枉"))).appeal
    await services.appeals.uphold(MODERATOR, appeal.id, "证据确凿")
    assert await level(services, "tb_target") is Level.severe
    assert await Report.filter(state="active").count() == 3
    assert await OutboxMessage.filter(kind="correction").count() == 0
    (decision,) = await Decision.filter(kind="uphold")
    assert (decision.actor, decision.level_before, decision.level_after) == ("qq:90000", "极高风险", "极高风险")
    with pytest.raises(Limited) as refused:
        await services.appeals.open("qq:777", parse_appeal("tb_target 再申诉一次"))  # anyone, not just qq:555
    assert refused.value.code == "appeals.too_soon" and refused.value.context["until"] == clock.now + timedelta(days=30)
    clock.now += timedelta(days=31)
    await services.appeals.open("qq:555", parse_appeal("tb_target 有新情况"))


async def test_a_shop_whose_reports_keep_being_removed_loses_its_verification(pool, services):
    a, _b, _ = await listed(services)
    for buyer in ("tb_one", "tb_two"):
        await services.blacklist.report(a, parse_report(f"{buyer} 黄牛 3720000000009{len(buyer)}{buyer[-1] == 'o'}"))
    first = (await services.appeals.open("qq:555", parse_appeal("tb_one 冤枉"))).appeal
    await services.appeals.remove(MODERATOR, first.id, [], "不成立")
    assert (await Shop.get(id=a.id)).verified_at is not None
    second = (await services.appeals.open("qq:555", parse_appeal("tb_two 冤枉"))).appeal
    await services.appeals.remove(MODERATOR, second.id, [], "不成立")
    assert (await Shop.get(id=a.id)).verified_at is None
    assert await OutboxMessage.filter(kind="notice", target_id=1, text__contains="已被取消认证").exists()
    assert await OutboxMessage.filter(kind="notice", target_id=90000, text__contains="已自动取消认证").exists()
    # Its report on tb_target stops counting: 3 shops → 2 that count, still 高风险.
    assert await level(services, "tb_target") is Level.high
    unverify = await Decision.filter(kind="unverify").first()
    assert unverify is not None and unverify.actor == "system" and unverify.level_before == "极高风险"


async def test_a_ban_suspends_the_reports_and_corrects_the_alert(pool, services):
    a, b, _c = await listed(services)
    case = await JointCase.get()
    await services.joint.join(a, case.id)
    await services.moderation.ban(MODERATOR, "qq:1", "恶意举报竞争对手")
    assert await Report.filter(shop_id=a.id, state="suspended").count() == 1
    assert await level(services, "tb_target") is Level.high  # two shops still count
    assert await OutboxMessage.filter(kind="correction").count() == 0  # still high: nothing to correct
    await services.moderation.ban(MODERATOR, "qq:2", "同一人的小号")
    assert await level(services, "tb_target") is Level.watch
    (correction,) = await OutboxMessage.filter(kind="correction")
    assert correction.target_id == GROUP and "举报店铺已被封禁" in correction.text
    # Their reports no longer count: out of the joint case.
    assert {m.state for m in await JointMember.filter(shop_id__in=[a.id, b.id])} == {"dropped"}
    with pytest.raises(NotAllowed):
        await services.blacklist.report(await Shop.get(id=a.id), parse_report("tb_new 黄牛 3720000000000888"))
    decisions = await Decision.filter(kind="suspend").order_by("id")
    assert [(d.actor, d.reason, d.level_before, d.level_after) for d in decisions] == [
        ("qq:90000", "恶意举报竞争对手", "极高风险", "高风险"),
        ("qq:90000", "同一人的小号", "高风险", "需警惕"),
    ]
    await services.moderation.unban(MODERATOR, "qq:2", "查清了")
    assert await level(services, "tb_target") is Level.high
    assert (await Decision.filter(kind="unsuspend").first()).actor == "qq:90000"


async def test_moderators_are_appointed_by_superusers_only(pool, services):
    with pytest.raises(NotAllowed):
        await services.moderation.appoint(Actor("qq:1"), "qq:2")
    assert await services.moderation.appoint(MODERATOR, "qq:2")
    assert await services.moderation.is_moderator("qq:2")
    assert await services.moderation.may_invite("qq:2") and not await services.moderation.may_invite("qq:3")
    # An appointed 版主 verifies anywhere.
    await bind(services, "qq:5", "某店")
    assert (await services.moderation.verify(Actor("qq:2"), "qq:5")).shop.verified_by == "qq:2"
    assert await services.moderation.dismiss(MODERATOR, "qq:2")
    assert not await services.moderation.is_moderator("qq:2")
    with pytest.raises(NotFound):
        await services.moderation.verify(MODERATOR, "qq:404")
    assert await trust_group(1, "x") and not await trust_group(1, "x")
    with pytest.raises(Refused):
        await services.appeals.open("qq:1", parse_appeal("nobody_listed 冤枉"))
