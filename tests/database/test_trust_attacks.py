"""The attacks of issue #24, each tried as the attacker would, without chat.

One trusted-group admin could brand anyone: vouch for a second account of their own, for a
stranger who joined yesterday, for ten shops a day, then file from them. An extortionist
could hold back every alert about himself by appealing, again and again, from many
accounts. Each attack below must fail, and the honest path next to it must still work.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.blacklist.blacklist import Blacklist
from bot.commands.grammar import parse_appeal, parse_bind, parse_check, parse_report
from bot.errors import Conflict, Limited, NotAllowed
from bot.identity.fingerprints import Fingerprinter
from bot.messaging.alerts import Alerts
from bot.messaging.render import render
from bot.scoring.verdict import Level
from bot.storage.models.appeals import AppealStatement
from bot.storage.models.messaging import OutboxMessage
from bot.storage.models.reports import Report
from bot.storage.models.shops import Shop
from bot.storage.models.trust import TrustDecision, Vouch
from bot.storage.trust import add_trusted_group
from bot.trust.appeals import Appeals
from bot.trust.moderation import Actor, Membership, Moderation
from tests.conftest import SECRET

MODERATOR = Actor("qq:90000")
GROUP_A, GROUP_B = 70001, 70002
ALERTED = 80001  # a subscribed group, alerted at 高风险


class Pool:
    def __init__(self, clock, tmp_path):
        self.clock = clock
        self.alerts = Alerts(tmp_path, clock)
        self.blacklist = Blacklist(Fingerprinter(SECRET), clock, on_decided=self.alerts.on_decided)
        self.moderation = Moderation(self.blacklist, {"qq:90000"}, clock)
        self.appeals = Appeals(self.blacklist, self.moderation, tmp_path, self.alerts.release_held, clock)

    def member(self, days: int = 30) -> Membership:
        return Membership(True, self.clock.now - timedelta(days=days))

    async def bind(self, account: str, name: str, platform: str = "淘宝") -> Shop:
        return (await self.blacklist.bind(account, parse_bind(f"{platform} {name}"))).shop

    async def vouched(self, admin: str, group: int, account: str, name: str) -> Shop:
        """`account`'s shop, vouched for by `admin` of `group` (a trusted group)."""
        await self.bind(account, name)
        return (await self.moderation.verify(Actor(admin, group, group_admin=True), account, self.member())).shop

    async def level(self, buyer: str) -> Level:
        return (await self.blacklist.check(parse_check(buyer))).verdict.level

    async def report(self, shop: Shop, text: str):
        return await self.blacklist.report(await Shop.get(id=shop.id), parse_report(text))


@pytest.fixture
async def trust(pool, clock, tmp_path) -> Pool:
    await add_trusted_group(GROUP_A, "qq:90000")
    await add_trusted_group(GROUP_B, "qq:90000")
    services = Pool(clock, tmp_path)
    await services.alerts.subscribe(ALERTED, None, "qq:90000")
    return services


# -- one admin cannot brand anyone -------------------------------------------------------------


async def test_an_admin_cannot_vouch_for_their_own_shop_or_its_staff(trust):
    await trust.bind("qq:50001", "管理员的店")
    await trust.blacklist.add_staff("qq:50001", "qq:50002")
    admin = Actor("qq:50001", GROUP_A, group_admin=True)
    for target in ("qq:50001", "qq:50002"):
        with pytest.raises(NotAllowed) as refused:
            await trust.moderation.verify(admin, target, trust.member())
        assert refused.value.code == "moderation.vouch_own"
    # Nor may staff vouch for the shop they work for.
    with pytest.raises(NotAllowed):
        await trust.moderation.verify(Actor("qq:50002", GROUP_A, group_admin=True), "qq:50001", trust.member())
    assert await Vouch.all().count() == 0


async def test_an_admin_vouches_only_for_members_of_their_group_of_some_standing(trust, clock):
    await trust.bind("qq:60001", "新来的店")
    admin = Actor("qq:50001", GROUP_A, group_admin=True)
    for membership, code in (
        (None, "moderation.not_member"),
        (Membership(False), "moderation.not_member"),
        (trust.member(days=1), "moderation.member_too_new"),
    ):
        with pytest.raises(NotAllowed) as refused:
            await trust.moderation.verify(admin, "qq:60001", membership)
        assert refused.value.code == code
        words = render(refused.value.template, **refused.value.context)
        assert "7 天" in words
    vouching = await trust.moderation.verify(admin, "qq:60001", trust.member(days=8))
    assert vouching.newly_verified


async def test_an_admin_vouches_for_five_shops_a_week_at_most(trust, clock):
    admin = Actor("qq:50001", GROUP_A, group_admin=True)
    for n in range(5):
        await trust.bind(f"qq:6100{n}", f"店{n}")
        await trust.moderation.verify(admin, f"qq:6100{n}", trust.member())
    await trust.bind("qq:61009", "第六家")
    with pytest.raises(Limited) as refused:
        await trust.moderation.verify(admin, "qq:61009", trust.member())
    assert refused.value.code == "moderation.vouch_cap"
    assert "5" in render(refused.value.template, **refused.value.context)
    # A 版主 is not capped; and the week rolls on.
    await trust.moderation.verify(MODERATOR, "qq:61009")
    clock.now += timedelta(days=8)
    await trust.bind("qq:61010", "下周的店")
    await trust.moderation.verify(admin, "qq:61010", trust.member())


async def test_shops_vouched_by_one_admin_in_one_group_cannot_take_a_buyer_high(trust):
    """Two shops on the same root are one voice: the buyer stays 需警惕, its score is
    shown as what the counting reports give, and the others are named as not counting."""
    a = await trust.vouched("qq:50001", GROUP_A, "qq:62001", "甲店")
    b = await trust.vouched("qq:50001", GROUP_A, "qq:62002", "乙店")
    await trust.report(a, "tb_victim 差评敲诈 3720000000000001")
    filing = await trust.report(b, "tb_victim 差评敲诈 3720000000000002")
    assert filing.verdict.verified_shops == 2 and not filing.verdict.roots_independent
    assert filing.verdict.level is Level.watch
    assert await OutboxMessage.filter(kind="alert").count() == 0
    # Another admin of the same group, or the same admin in another group, is no new root.
    c = await trust.vouched("qq:50002", GROUP_A, "qq:62003", "丙店")
    d = await trust.vouched("qq:50001", GROUP_B, "qq:62004", "丁店")
    for shop, n in ((c, 3), (d, 4)):
        filing = await trust.report(shop, f"tb_other 差评敲诈 372000000000001{n}")
    await trust.report(a, "tb_other 差评敲诈 3720000000000015")
    # a (50001@A), c (50002@A), d (50001@B): a–c share the group, a–d the voucher, but
    # c–d differ in both: independent.
    assert await trust.level("tb_other") is Level.severe
    assert await trust.level("tb_victim") is Level.watch
    # A second voucher in another group takes tb_victim to 高风险, and it is alerted.
    e = await trust.vouched("qq:50003", GROUP_B, "qq:62005", "戊店")
    filing = await trust.report(e, "tb_victim 差评敲诈 3720000000000005")
    assert filing.verdict.level is Level.severe and filing.verdict.roots_independent
    assert await OutboxMessage.filter(kind="alert", target_id=ALERTED, text__contains="tb*****im").exists()


async def test_the_score_shown_is_what_counts_and_the_rest_is_named(trust):
    a = await trust.vouched("qq:50001", GROUP_A, "qq:62001", "甲店")
    for n in range(3):
        await trust.report(await trust.bind(f"qq:6300{n}", f"未认证{n}"), f"tb_mixed 差评敲诈 372000000000002{n}")
    result = await trust.blacklist.check(parse_check("tb_mixed"))
    assert result.verdict.score == 0 and result.verdict.evidence_score > 0
    assert "需警惕（0/100）\n3 家店铺举报，都不计分（未认证、无订单号或待版主审核）" in render(
        "check/verdict.j2", result=result
    )
    await trust.report(a, "tb_mixed 差评敲诈 3720000000000030")
    result = await trust.blacklist.check(parse_check("tb_mixed"))
    verdict = result.verdict
    assert 0 < verdict.score < verdict.evidence_score and verdict.level is Level.watch
    text = render("check/verdict.j2", result=result)
    assert f"需警惕（{verdict.score}/100）" in text and str(verdict.evidence_score) not in text
    assert "1 家认证店铺凭订单举报，另有 3 家的举报不计分（未认证、无订单号或待版主审核）" in text


async def test_shops_verified_after_they_reported_take_the_buyer_high_and_it_is_alerted(trust):
    a, b = await trust.bind("qq:64001", "先报甲"), await trust.bind("qq:64002", "先报乙")
    await trust.report(a, "tb_late 差评敲诈 3720000000000041")
    await trust.report(b, "tb_late 差评敲诈 3720000000000042")
    assert await trust.level("tb_late") is Level.watch
    await trust.moderation.verify(Actor("qq:50001", GROUP_A, group_admin=True), "qq:64001", trust.member())
    assert await trust.level("tb_late") is Level.watch
    await trust.moderation.verify(Actor("qq:50002", GROUP_B, group_admin=True), "qq:64002", trust.member())
    assert await trust.level("tb_late") is Level.high
    (alert,) = await OutboxMessage.filter(kind="alert", target_id=ALERTED)
    assert "tb***te" in alert.text


async def test_untrusting_a_group_ends_its_vouches_and_corrects_the_alert(trust):
    a = await trust.vouched("qq:50001", GROUP_A, "qq:65001", "甲店")
    b = await trust.vouched("qq:50002", GROUP_B, "qq:65002", "乙店")
    await trust.report(a, "tb_u 差评敲诈 3720000000000051")
    await trust.report(b, "tb_u 差评敲诈 3720000000000052")
    await OutboxMessage.filter(kind="alert").update(status="sent")
    # b has a second vouch from a 版主: it stays verified.
    await trust.moderation.verify(MODERATOR, "qq:65002")
    assert await trust.moderation.untrust_group(Actor("qq:90000", GROUP_A))
    assert (await Shop.get(id=a.id)).verified_at is None
    assert (await Shop.get(id=b.id)).verified_at is not None
    assert await trust.level("tb_u") is Level.watch
    (correction,) = await OutboxMessage.filter(kind="correction")
    assert correction.target_id == ALERTED and "t*** 已不再是高风险（举报店铺已不再认证）" in correction.text
    assert await TrustDecision.filter(action="untrust_group", actor="qq:90000", group_id=GROUP_A).exists()
    assert await OutboxMessage.filter(kind="notice", target_id=65001, text__contains="取消认证").exists()


async def test_a_withdrawn_voucher_cannot_vouch_and_their_shops_fall(trust):
    a = await trust.vouched("qq:50001", GROUP_A, "qq:66001", "甲店")
    with pytest.raises(NotAllowed):
        await trust.moderation.withdraw_voucher(Actor("qq:50002"), "qq:50001", "乱担保")
    touched = await trust.moderation.withdraw_voucher(MODERATOR, "qq:50001", "乱担保")
    assert [s.id for s in touched] == [a.id] and touched[0].verified_at is None
    await trust.bind("qq:66002", "乙店")
    with pytest.raises(NotAllowed) as refused:
        await trust.moderation.verify(Actor("qq:50001", GROUP_B, group_admin=True), "qq:66002", trust.member())
    assert refused.value.code == "moderation.voucher_withdrawn"
    with pytest.raises(Conflict):
        await trust.moderation.withdraw_voucher(MODERATOR, "qq:50001", "再来一次")
    await trust.moderation.restore_voucher(MODERATOR, "qq:50001")
    await trust.moderation.verify(Actor("qq:50001", GROUP_B, group_admin=True), "qq:66002", trust.member())
    actions = [str(d.action) for d in await TrustDecision.filter(account="qq:50001").order_by("id")]
    assert actions.count("withdraw_voucher") == 1 and actions.count("restore_voucher") == 1


async def test_renaming_or_moving_a_verified_shop_ends_its_verification(trust):
    a = await trust.vouched("qq:50001", GROUP_A, "qq:67001", "老名字")
    b = await trust.vouched("qq:50002", GROUP_B, "qq:67002", "别家")
    await trust.report(a, "tb_r 差评敲诈 3720000000000071")
    await trust.report(b, "tb_r 差评敲诈 3720000000000072")
    assert await trust.level("tb_r") is Level.high
    # The same name again is no change.
    binding = await trust.blacklist.bind("qq:67001", parse_bind("淘宝 老名字"))
    assert not binding.lost_verification and (await Shop.get(id=a.id)).verified_at is not None
    binding = await trust.blacklist.bind("qq:67001", parse_bind("淘宝 新名字"))
    assert binding.lost_verification and (await Shop.get(id=a.id)).verified_at is None
    assert await trust.level("tb_r") is Level.watch
    binding = await trust.blacklist.bind("qq:67002", parse_bind("拼多多 别家"))
    assert binding.lost_verification
    assert await Vouch.filter(ended_at__isnull=True).count() == 0
    assert await TrustDecision.filter(action="suspend_vouch", shop_id=b.id).exists()


async def test_a_banned_shop_is_frozen_and_its_freed_staff_cannot_start_over(trust):
    await trust.bind("qq:68001", "坏店")
    await trust.blacklist.add_staff("qq:68001", "qq:68002")
    await trust.blacklist.add_staff("qq:68001", "qq:68003")
    await trust.blacklist.remove_staff("qq:68001", "qq:68003")  # freed before the ban
    await trust.moderation.ban(MODERATOR, "qq:68001", "恶意举报")
    for attempt in (
        trust.blacklist.add_staff("qq:68001", "qq:68004"),
        trust.blacklist.remove_staff("qq:68001", "qq:68002"),
        trust.blacklist.bind("qq:68001", parse_bind("淘宝 换个名字")),
    ):
        with pytest.raises(NotAllowed) as refused:
            await attempt
        assert refused.value.code == "shop.banned_frozen"
    with pytest.raises(NotAllowed) as refused:
        await trust.bind("qq:68003", "清白的新店")
    assert refused.value.code == "shop.former_account_banned"
    assert await Shop.filter(name="清白的新店").count() == 0
    # After an unban the former staff account may bind again.
    await trust.moderation.unban(MODERATOR, "qq:68001")
    await trust.bind("qq:68003", "清白的新店")


# -- no appeal silences alerts for long -----------------------------------------------------------


async def listed_high(trust: Pool, buyer: str) -> tuple[Shop, Shop]:
    a = await trust.vouched("qq:50001", GROUP_A, "qq:69001", "甲店")
    b = await trust.vouched("qq:50002", GROUP_B, "qq:69002", "乙店")
    await trust.report(a, f"{buyer} 差评敲诈 3720000000000091")
    await trust.report(b, f"{buyer} 差评敲诈 3720000000000092")
    return a, b


async def test_after_a_removal_the_shops_next_report_waits_for_a_moderator(trust):
    a, b = await listed_high(trust, "tb_again")
    await OutboxMessage.filter(kind="alert").update(status="sent")
    appeal = (await trust.appeals.open("qq:555", parse_appeal("tb_again 冤枉"))).appeal
    await trust.appeals.remove(MODERATOR, appeal.id, [], "不成立")
    assert await trust.level("tb_again") is Level.none
    # The same shops file again the next minute: stored, shown, not counted.
    await trust.report(a, "tb_again 差评敲诈 3720000000000093")
    filing = await trust.report(b, "tb_again 差评敲诈 3720000000000094")
    assert filing.verdict.level is Level.watch and filing.verdict.verified_shops == 0
    assert await Report.filter(held=True).count() == 2
    assert await OutboxMessage.filter(kind="alert", status="pending").count() == 0
    held = await trust.appeals.held_list(MODERATOR)
    assert [r.shop_id for r in held] == [a.id, b.id]
    await trust.appeals.review_held(MODERATOR, held[0].id, accept=True, note="新证据可信")
    await trust.appeals.review_held(MODERATOR, held[1].id, accept=False, note="重复")
    assert await trust.level("tb_again") is Level.watch
    assert (await Report.get(id=held[1].id)).state == "removed"
    # Once accepted, the shop's next report on the buyer counts without review.
    c = await trust.vouched("qq:50003", GROUP_B, "qq:69003", "丙店")
    await trust.report(c, "tb_again 差评敲诈 3720000000000095")
    assert await trust.level("tb_again") is Level.high
    assert {d.action for d in await TrustDecision.filter(actor="qq:90000")} >= {
        "hold_reports",
        "accept_report",
        "reject_report",
    }


async def test_appeals_are_limited_per_account_and_per_buyer(trust, clock):
    a, _b = await listed_high(trust, "tb_a0")
    for n in range(1, 12):
        await trust.report(a, f"tb_a{n} 差评敲诈 37200000001{n:02d}")
    for n in range(3):
        await trust.appeals.open("qq:77001", parse_appeal(f"tb_a{n} 冤枉"))
    with pytest.raises(Limited) as refused:
        await trust.appeals.open("qq:77001", parse_appeal("tb_a3 冤枉"))
    assert refused.value.code == "appeals.open_cap"
    # Five a day, counting the ones joined.
    for n in range(3, 5):
        await trust.appeals.open("qq:77002", parse_appeal(f"tb_a{n} 冤枉"))
    # Ten appellants' words a day on one buyer, from any number of accounts.
    for n in range(9):
        await trust.appeals.open(f"qq:7800{n}", parse_appeal("tb_a0 冤枉"))
    with pytest.raises(Limited) as refused:
        await trust.appeals.open("qq:78009", parse_appeal("tb_a0 冤枉"))
    assert refused.value.code == "appeals.buyer_cap"
    assert await AppealStatement.filter(appeal__buyer__buyer_key="tb_a0").count() == 9
    clock.now += timedelta(days=1, minutes=1)
    await trust.appeals.open("qq:78009", parse_appeal("tb_a0 冤枉"))


async def test_one_account_opens_five_appeals_a_day(trust, clock):
    a, _ = await listed_high(trust, "tb_d0")
    for n in range(1, 7):
        await trust.report(a, f"tb_d{n} 差评敲诈 37200000002{n:02d}")
    appeals = []
    for n in range(3):
        appeals.append((await trust.appeals.open("qq:77003", parse_appeal(f"tb_d{n} 冤枉"))).appeal)
    for appeal in appeals:
        await trust.appeals.uphold(MODERATOR, appeal.id, "维持")
    for n in range(3, 5):
        await trust.appeals.open("qq:77003", parse_appeal(f"tb_d{n} 冤枉"))
    with pytest.raises(Limited) as refused:
        await trust.appeals.open("qq:77003", parse_appeal("tb_d5 冤枉"))
    assert refused.value.code == "appeals.daily_cap"


async def test_after_a_decision_only_new_evidence_reopens_and_a_moderator_decides(trust, clock):
    await listed_high(trust, "tb_re")
    appeal = (await trust.appeals.open("qq:555", parse_appeal("tb_re 冤枉"))).appeal
    await trust.appeals.uphold(MODERATOR, appeal.id, "证据确凿")
    with pytest.raises(Limited) as refused:
        await trust.appeals.open("qq:556", parse_appeal("tb_re 换个号再申诉"))
    assert refused.value.code == "appeals.too_soon"
    words = render(refused.value.template, **refused.value.context)
    assert "2026-12-01 之后才能再次申诉" in words and "附上截图" in words
    picture = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    asked = await trust.appeals.open("qq:556", parse_appeal("tb_re 这是签收记录"), [picture])
    assert asked.reopen_asked and asked.appeal.id == appeal.id and asked.appeal.state == "upheld"
    (statement,) = await AppealStatement.filter(kind="reopen")
    assert statement.appellant == "qq:556" and len(statement.pictures) == 1
    clock.now += timedelta(hours=2)
    view = await trust.appeals.reopen(MODERATOR, appeal.id, "签收记录需核实")
    assert view.appeal.state == "open" and view.appeal.hold_until == clock.now + timedelta(hours=48)
    assert view.appeal.reopened == 1
    with pytest.raises(Conflict):
        await trust.appeals.reopen(MODERATOR, appeal.id, "")
    assert await TrustDecision.filter(action="reopen_appeal", actor="qq:90000").exists()


async def test_moderators_hear_of_appeals_in_one_notice_an_hour(trust, clock):
    a, _ = await listed_high(trust, "tb_n0")
    for n in range(1, 4):
        await trust.report(a, f"tb_n{n} 差评敲诈 37200000003{n:02d}")
    for n in range(3):
        await trust.appeals.open(f"qq:7900{n}", parse_appeal(f"tb_n{n} 冤枉"))
    assert await trust.appeals.queue_moderator_notice() == 3
    (notice,) = await OutboxMessage.filter(kind="notice", target_id=90000, event_key__startswith="moderators:appeals")
    assert notice.text.count("tb_n") == 3 or notice.text.count("tb*n") == 3
    await trust.appeals.open("qq:79009", parse_appeal("tb_n3 冤枉"))
    clock.now += timedelta(minutes=30)
    assert await trust.appeals.queue_moderator_notice() == 0
    clock.now += timedelta(minutes=31)
    assert await trust.appeals.queue_moderator_notice() == 1
    assert await trust.appeals.queue_moderator_notice() == 0


async def test_the_daily_vouch_notice_lists_each_vouch_once_with_its_undo(trust):
    await trust.vouched("qq:50001", GROUP_A, "qq:71001", "甲店")
    await trust.vouched("qq:50002", GROUP_B, "qq:71002", "乙店")
    assert await trust.moderation.queue_vouch_notice() == 2
    (notice,) = await OutboxMessage.filter(kind="notice", target_id=90000, event_key__startswith="moderators:vouches")
    assert "甲店" in notice.text and "乙店" in notice.text and "/认证 取消" in notice.text
    assert await trust.moderation.queue_vouch_notice() == 0


async def test_an_escalation_reaches_the_high_groups_once_and_a_correction_only_where_owed(trust):
    await trust.alerts.subscribe(ALERTED + 1, None, "qq:90000")
    _a, _b = await listed_high(trust, "tb_esc")
    await OutboxMessage.filter(kind="alert").update(status="sent")
    c = await trust.vouched("qq:50003", GROUP_A, "qq:69003", "丙店")
    d = await trust.vouched("qq:50004", GROUP_B, "qq:69004", "丁店")
    await trust.report(c, "tb_esc 差评敲诈 3720000000000096")
    await trust.report(d, "tb_esc 差评敲诈 3720000000000097")
    assert await trust.level("tb_esc") is Level.severe
    escalations = await OutboxMessage.filter(event_key__startswith="escalation:")
    assert sorted(m.target_id for m in escalations) == [ALERTED, ALERTED + 1]
    assert all("极高风险" in m.text for m in escalations)
    await OutboxMessage.filter(event_key__startswith="escalation:").update(status="sent")
    # A ban takes it down to 高风险 (no correction: still alerted level), then to nothing.
    await trust.moderation.ban(MODERATOR, "qq:69003", "测试")
    await trust.moderation.ban(MODERATOR, "qq:69004", "测试")
    await trust.moderation.ban(MODERATOR, "qq:69002", "测试")
    corrections = await OutboxMessage.filter(kind="correction")
    # One correction per group, though two alerts (高风险 and 极高风险 via escalation) stood.
    assert sorted(m.target_id for m in corrections) == [ALERTED, ALERTED + 1]
