"""Joint complaints, without chat (SQLite and PostgreSQL) and through nonebug."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.blacklist.blacklist import Blacklist
from bot.cases.joint import CaseSummary, JointCases
from bot.commands.grammar import parse_bind, parse_report
from bot.errors import Refused
from bot.identity.fingerprints import Fingerprinter
from bot.messaging.render import render
from bot.pool import compose
from bot.storage.database import database
from bot.storage.models.cases import JointCase, JointEvidence, JointMember
from bot.storage.models.messaging import OutboxMessage
from bot.storage.models.reports import Report
from tests.conftest import SECRET, verified_shop

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


JPEG = b"\xff\xd8\xff\xe0" + b"\x01" * 64


@pytest.fixture
def joint(clock, tmp_path) -> JointCases:
    return JointCases(tmp_path, clock)


@pytest.fixture
def reporting(clock, joint) -> Blacklist:
    return Blacklist(Fingerprinter(SECRET), clock, on_decided=compose(joint.on_decided))


async def shops(blacklist, n, start=0):
    """n verified shops: only verified shops with an order number are invited."""
    return [await verified_shop(blacklist, f"qq:{1000 + i}", f"店{i}") for i in range(start, start + n)]


async def invitations() -> list[tuple[int, str]]:
    rows = await OutboxMessage.filter(channel="private", event_key__startswith="joint-invite").order_by("target_id")
    return [(r.target_id, r.event_key) for r in rows]


async def test_third_shop_opens_one_case_and_invites_each_reporter_once(pool, reporting, clock):
    a, b, c, d = await shops(reporting, 4)
    await reporting.report(a, parse_report("tb_x 差评师 3720000000000001 30"))
    await reporting.report(b, parse_report("tb_x 差评师 3720000000000002 20"))
    assert await JointCase.all().count() == 0
    await reporting.report(c, parse_report("tb_x 恶意退货 3720000000000003"))
    case = await JointCase.get()
    assert case.status == "收集证据"
    assert [u for u, _ in await invitations()] == [1000, 1001, 1002]
    text = (await OutboxMessage.filter(channel="private").first()).text
    assert f"【联合投诉邀请】案件 #{case.id}" in text and f"/联合 {case.id}" in text
    # The same shop reporting again is not invited again; a later reporter is.
    await reporting.report(a, parse_report("tb_x 差评师 3720000000000009"))
    await reporting.report(d, parse_report("tb_x 黄牛 3720000000000004"))
    assert [u for u, _ in await invitations()] == [1000, 1001, 1002, 1003]
    assert await JointCase.all().count() == 1 and await JointMember.all().count() == 4
    # A report without an order number, or from a shop nobody verified, does not make
    # its shop a member (issue: one order-less 其他 made an invitee who saw every order).
    (e,) = await shops(reporting, 1, start=4)
    await reporting.report(e, parse_report("tb_x 其他"))
    unverified = (await reporting.bind("qq:2000", parse_bind("淘宝 未认证店"))).shop
    await reporting.report(unverified, parse_report("tb_x 差评师 3720000000000005"))
    assert await JointMember.all().count() == 4


async def test_reports_outside_the_window_do_not_count(pool, reporting, clock):
    a, b, c = await shops(reporting, 3)
    await reporting.report(a, parse_report("tb_x 差评师 3720000000000001"))
    clock.now += timedelta(days=100)
    await reporting.report(b, parse_report("tb_x 差评师 3720000000000002"))
    await reporting.report(c, parse_report("tb_x 差评师 3720000000000003"))
    assert await JointCase.all().count() == 0


async def test_twenty_concurrent_reports_open_one_case(postgres_pool, reporting):
    many = await shops(reporting, 20)
    await asyncio.gather(
        *(reporting.report(s, parse_report(f"tb_rush 差评师 37200000000{n:05d}")) for n, s in enumerate(many))
    )
    assert await JointCase.all().count() == 1
    assert await JointMember.all().count() == 20
    invited = await invitations()
    assert len(invited) == 20 and len(set(invited)) == 20


async def opened(reporting, joint):
    a, b, c = await shops(reporting, 3)
    for shop, order in ((a, "3720000000000001 30"), (b, "3720000000000002 20.5"), (c, "3720000000000003")):
        await reporting.report(shop, parse_report(f"tb_x 差评师 {order}"))
    return (await JointCase.get(buyer__buyer_key="tb_x")).id, (a, b, c)


async def test_only_invited_shops_see_and_only_joined_ones_see_the_details(pool, reporting, joint):
    case_id, (a, b, _c) = await opened(reporting, joint)
    (outsider,) = await shops(reporting, 1, start=10)
    for action in (
        joint.open(outsider, case_id),
        joint.open(outsider, 99999),
        joint.join(outsider, case_id),
        joint.set_status(outsider, case_id, "已提交"),
        joint.add_evidence(outsider, case_id, "x", []),
        joint.letter(outsider, case_id),
    ):
        with pytest.raises(Refused) as caught:
            await action
        assert caught.value.code == "joint.not_allowed"
    # An invitee sees the summary: the buyer masked, how many shops, the status.
    summary = await joint.open(a, case_id)
    assert isinstance(summary, CaseSummary)
    text = render("joint/summary.j2", s=summary)
    assert "淘宝买家 t***" in text and "已加入 0 家店铺，另有 3 家受邀" in text and f"/联合 {case_id} 加入" in text
    assert "tb_x" not in text and "店1" not in text and "372000" not in text
    for action in (joint.view(a, case_id), joint.letter(a, case_id), joint.add_evidence(a, case_id, "x", [])):
        with pytest.raises(Refused) as caught:
            await action
        assert caught.value.code == "joint.join_first"
    view = await joint.join(a, case_id)
    assert view.joined_now and [p.shop_name for p in view.participants] == ["店0"] and view.invited == 2
    # Shops that have not joined show neither their name nor their orders.
    text = render("joint/view.j2", v=view)
    assert "3720000000000001" in text and "店1" not in text and "3720000000000002" not in text
    assert "另有 2 家店铺受邀还没加入" in text
    await joint.join(b, case_id)
    view = await joint.view(a, case_id)
    assert [(r.order_no, r.amount_fen) for r in view.participants[1].orders] == [("3720000000000002", 2050)]
    with pytest.raises(Refused) as caught:
        await joint.set_status(_c, case_id, "已提交")  # invited, not joined yet
    assert caught.value.code == "joint.join_first"


async def test_the_order_less_reporter_is_not_invited_and_cannot_join(pool, reporting, joint):
    case_id, _ = await opened(reporting, joint)
    (e,) = await shops(reporting, 1, start=4)
    await reporting.report(e, parse_report("tb_x 其他"))
    assert not await JointMember.exists(case_id=case_id, shop_id=e.id)
    with pytest.raises(Refused) as caught:
        await joint.open(e, case_id)
    assert caught.value.code == "joint.not_allowed"


async def test_a_retracted_report_ends_the_membership(pool, reporting, joint, clock):
    case_id, (a, b, _c) = await opened(reporting, joint)
    await joint.join(a, case_id)
    await joint.join(b, case_id)
    report = await Report.get(shop_id=a.id)
    await reporting.retract(a, report.id)
    assert (await JointMember.get(case_id=case_id, shop_id=a.id)).state == "dropped"
    with pytest.raises(Refused) as caught:
        await joint.view(a, case_id)
    assert caught.value.code == "joint.join_first"
    with pytest.raises(Refused) as caught:
        await joint.join(a, case_id)  # its report no longer counts
    assert caught.value.code == "joint.cannot_join"
    view = await joint.view(b, case_id)
    assert [p.shop_name for p in view.participants] == ["店1"]
    text, _ = await joint.letter(b, case_id)
    assert "3720000000000001" not in text and "店0" not in text
    # Reporting again (a new order) counts again: the shop is invited back.
    clock.now += timedelta(minutes=1)
    await reporting.report(a, parse_report("tb_x 差评师 3720000000000011"))
    assert (await JointMember.get(case_id=case_id, shop_id=a.id)).state == "invited"
    assert (await joint.join(a, case_id)).joined_now


async def test_an_unverified_or_banned_shop_drops_out(pool, reporting, joint):
    from bot.trust.moderation import Actor, Moderation

    case_id, (a, b, c) = await opened(reporting, joint)
    for shop in (a, b, c):
        await joint.join(shop, case_id)
    moderation = Moderation(reporting, {"qq:90000"}, clock=joint.clock)
    boss = Actor("qq:90000")
    await moderation.unverify(boss, "qq:1000", "冒充")
    await moderation.ban(boss, "qq:1001", "刷单")
    states = {m.shop_id: m.state for m in await JointMember.filter(case_id=case_id)}
    assert states == {a.id: "dropped", b.id: "dropped", c.id: "joined"}


async def test_a_single_member_cannot_close_a_case(pool, reporting, joint, clock):
    case_id, (a, b, _c) = await opened(reporting, joint)
    await joint.join(a, case_id)
    change = await joint.set_status(a, case_id, "已解决")
    assert not change.effective and (await JointCase.get(id=case_id)).status == "收集证据"
    assert "现在只有你一家加入了" in render("joint/status_set.j2", change=change)
    with pytest.raises(Refused) as caught:
        await joint.set_status(a, case_id, "已解决")  # confirming one's own proposal
    assert caught.value.code == "joint.awaiting_confirmation"
    await joint.join(b, case_id)
    view = await joint.view(b, case_id)
    assert view.proposal is not None and view.proposal.by == "店0"
    assert "待确认：「店0」 提议改为「已解决」" in render("joint/view.j2", v=view)
    # Unconfirmed for three days, the proposal lapses: b's 已解决 is a new proposal.
    clock.now += timedelta(days=3, minutes=1)
    assert not (await joint.set_status(b, case_id, "已解决")).effective
    change = await joint.set_status(a, case_id, "已解决")
    assert change.effective and (await JointCase.get(id=case_id)).status == "已解决"
    with pytest.raises(Refused) as caught:
        await joint.set_status(b, case_id, "已提交")
    assert caught.value.code == "joint.case_ended"
    # 已提交 and 平台处理中 take effect at once.
    case_id2, (d, _e, _f) = await opened_on(reporting, "tb_y", start=20)
    await joint.join(d, case_id2)
    assert (await joint.set_status(d, case_id2, "已提交")).effective


async def opened_on(reporting, buyer, start):
    many = await shops(reporting, 3, start=start)
    for n, shop in enumerate(many):
        await reporting.report(shop, parse_report(f"{buyer} 差评师 37200000001{start}{n:02d}"))
    return (await JointCase.get(buyer__buyer_key=buyer)).id, many


async def test_ten_status_changes_give_one_message_per_member_per_hour(pool, reporting, joint, clock):
    case_id, (a, b, _c) = await opened(reporting, joint)
    await joint.join(a, case_id)
    await joint.join(b, case_id)
    await OutboxMessage.filter(event_key__startswith="joint-news").delete()
    await JointCase.filter(id=case_id).update(notified_at=None, unsent_changes=[])
    for n in range(10):
        await joint.set_status(a if n % 2 else b, case_id, "已提交" if n % 2 == 0 else "平台处理中")
        clock.now += timedelta(minutes=3)
    news = await OutboxMessage.filter(event_key__startswith="joint-news").order_by("id")
    # The first change is told at once, to the joined members only (c was only invited).
    assert sorted(m.target_id for m in news) == [1000, 1001]
    assert await joint.queue_reminders() == 0  # the hour is not over: nothing more
    clock.now += timedelta(minutes=31)
    await joint.queue_reminders()
    news = await OutboxMessage.filter(event_key__startswith="joint-news").order_by("id")
    assert sorted(m.target_id for m in news) == [1000, 1000, 1001, 1001]
    batched = news[-1].text
    assert batched.count("把状态改为") == 9 and "现在的状态：平台处理中" in batched
    assert (await JointCase.get(id=case_id)).unsent_changes == []


async def test_reminders_go_to_joined_members_and_stop_when_resolved(pool, reporting, joint, clock):
    case_id, (a, b, _c) = await opened(reporting, joint)
    await joint.join(a, case_id)
    await joint.join(b, case_id)
    await joint.set_status(a, case_id, "已提交")
    clock.now += timedelta(days=2)
    assert await joint.queue_reminders() == 1  # the status news that waited its hour
    assert await joint.queue_reminders() == 0
    clock.now += timedelta(days=1, minutes=1)
    assert await joint.queue_reminders() == 1
    reminders = await OutboxMessage.filter(event_key__startswith="joint-remind").order_by("target_id")
    assert [m.target_id for m in reminders] == [1000, 1001] and "已经 3 天了" in reminders[0].text

    from bot.messaging.alerts import Alerts
    from bot.storage.models.messaging import Subscription

    subscription = await Subscription.create(group_id=5, subscribed_by="qq:admin")
    digest = await Alerts(joint.data_dir, clock).build_digest(subscription)
    assert "需要处理的联合投诉 1 件：已提交 1" in digest.text

    await joint.set_status(b, case_id, "已解决")
    await joint.set_status(a, case_id, "已解决")
    clock.now += timedelta(days=30)
    await joint.queue_reminders()
    assert await OutboxMessage.filter(event_key__startswith="joint-remind").count() == 2


async def test_a_case_closes_only_when_every_member_left_and_no_invitation_is_pending(pool, reporting, joint):
    case_id, (a, b, c) = await opened(reporting, joint)
    # The third reporter, who opened the case, leaves at once: that declines, and never
    # closes the case on the others.
    assert (await joint.leave(c, case_id)).status == "收集证据"
    assert (await joint.join(b, case_id)).joined_now
    assert (await joint.leave(b, case_id)).status == "收集证据"  # a's invitation is still open
    assert (await joint.join(a, case_id)).joined_now
    assert (await joint.leave(a, case_id)).status == "已关闭"
    with pytest.raises(Refused) as caught:
        await joint.leave(a, case_id)
    assert caught.value.code == "joint.not_in_case"


async def test_a_closed_case_reopens_under_its_number_on_new_verified_reports(pool, reporting, joint, clock):
    case_id, (a, b, c) = await opened(reporting, joint)
    await joint.join(a, case_id)
    await joint.add_evidence(a, case_id, "改评要钱", [])
    for shop in (a, b, c):
        await joint.leave(shop, case_id)
    assert (await JointCase.get(id=case_id)).status == "已关闭"
    (d,) = await shops(reporting, 1, start=5)
    clock.now += timedelta(days=1)
    await reporting.report(d, parse_report("tb_x 差评师 3720000000000055"))
    case = await JointCase.get()
    assert case.id == case_id and case.status == "收集证据" and case.reopened == 1
    states = {m.shop_id: m.state for m in await JointMember.filter(case_id=case_id)}
    assert states == {a.id: "invited", b.id: "invited", c.id: "invited", d.id: "invited"}
    invited = [u for u, _ in await invitations()]
    assert invited.count(1000) == 2 and invited.count(1005) == 1
    # History kept: the evidence filed before the case closed is still there.
    await joint.join(a, case_id)
    assert [e.description for _, e in (await joint.view(a, case_id)).evidence] == ["改评要钱"]


async def test_a_renamed_member_keeps_its_joined_name_in_the_letter(pool, reporting, joint):
    case_id, (a, b, c) = await opened(reporting, joint)
    for shop in (a, b, c):
        await joint.join(shop, case_id)
    with pytest.raises(Refused):
        await reporting.bind("qq:1000", parse_bind("淘宝 店1"))  # another member's name is taken
    # The same name in full-width digits is the same name: still verified, still a member.
    await reporting.bind("qq:1000", parse_bind("淘宝 店０"))
    text, _ = await joint.letter(b, case_id)
    assert "涉及店铺：3 家（「店0」、「店1」、「店2」）" in text and "店０" not in text
    # Another name is another verification (DESIGN.md §7): until vouched for again, the
    # shop's report does not count and it leaves the case.
    await reporting.bind("qq:1000", parse_bind("淘宝 改了名的店"))
    text, _ = await joint.letter(b, case_id)
    assert "涉及店铺：2 家（「店1」、「店2」）" in text and "改了名的店" not in text
    assert (await JointMember.get(case_id=case_id, shop_id=a.id)).state == "dropped"


async def test_evidence_is_stored_once_per_hash_and_survives_a_restart(pool, reporting, joint, tmp_path):
    case_id, (a, b, _) = await opened(reporting, joint)
    await joint.join(a, case_id)
    await joint.join(b, case_id)
    assert await joint.add_evidence(a, case_id, "改评要钱的截图", [PNG, JPEG]) == (2, 0)
    assert await joint.add_evidence(b, case_id, "同一张截图", [PNG]) == (0, 1)
    assert await joint.add_evidence(b, case_id, "买家：给30块就改好评", []) == (1, 0)
    with pytest.raises(Refused):
        await joint.add_evidence(a, case_id, "不是图片", [b"%PDF-1.4"])
    files = sorted(p.name for p in (tmp_path / "evidence").iterdir())
    assert len(files) == 2 and all(len(f.split(".")[0]) == 64 for f in files)

    await database.restart()
    assert await JointEvidence.filter(case_id=case_id).count() == 3
    assert len(list((tmp_path / "evidence").iterdir())) == 2


async def test_the_letter_has_every_order_and_evidence_hash(pool, reporting, joint):
    import hashlib

    case_id, shops_ = await opened(reporting, joint)
    for shop in shops_:
        await joint.join(shop, case_id)
    await joint.add_evidence(shops_[0], case_id, "改评要钱的截图", [PNG])
    text, path = await joint.letter(shops_[0], case_id)
    for order in ("3720000000000001", "3720000000000002", "3720000000000003"):
        assert order in text
    assert hashlib.sha256(PNG).hexdigest() in text
    assert "30 元" in text and "20.50 元" in text and "差评敲诈" in text
    assert "联合投诉书（淘宝/天猫" in text and "删除相关恶意评价" in text
    assert path.read_text(encoding="utf-8") == text


async def test_the_letter_dates_an_order_by_its_own_date_where_known(pool, reporting, joint, clock):
    many = await shops(reporting, 3, start=30)
    for n, shop in enumerate(many):
        await reporting.report(shop, parse_report(f"拼多多 pdd_x 差评师 2410{n + 1:02d}-1234567890{n}"))
    case_id = (await JointCase.get(buyer__buyer_key="pdd_x")).id
    for shop in many:
        await joint.join(shop, case_id)
    text, _ = await joint.letter(many[0], case_id)
    assert "订单号 241001-12345678900，下单 2024-10-01" in text
    assert "发生时间：2024-10-01 至 2024-10-03" in text and "按举报日期计" not in text
    # Taobao order numbers carry no date: the report's day stands in, and says so.
    case_id, (a, _b, _c) = await opened(reporting, joint)
    await joint.join(a, case_id)
    text, _ = await joint.letter(a, case_id)
    assert f"订单号 3720000000000001，举报于 {clock.now:%Y-%m-%d}" in text and "按举报日期计" in text


async def test_the_letters_cite_shops_orders_amount_and_dates(pool, reporting, joint, clock):
    case_id, shops_ = await opened(reporting, joint)
    for shop in shops_:
        await joint.join(shop, case_id)
    text, path = await joint.letter(shops_[0], case_id)
    assert "涉及店铺：3 家" in text and "涉及订单：3 笔，登记金额合计 50.50 元" in text
    assert f"发生时间：{clock.now:%Y-%m-%d}" in text
    assert path.name == f"联合投诉书-{case_id}.txt"
    police, path = await joint.letter(shops_[0], case_id, police=True)
    assert path.name == f"报案材料-{case_id}.txt" and path.read_text(encoding="utf-8") == police
    assert "第二百七十四条" in police and "二年内敲诈勒索三次以上" in police
    assert "本案两年内已有 3 次以差评要挟索财的记录" in police


async def test_two_harmed_shops_open_a_case_by_hand_and_the_threshold_stays(pool, reporting, joint, clock):
    """/联合 发起: two verified shops whose reports count need not wait for a third; a
    shop whose report does not count (no order number, not verified) cannot open or join;
    one counting shop alone cannot; the case opens once, its number kept; a case the
    platform answered is not reopened; the automatic opening stays at three."""
    from bot.identity.platforms import Platform

    a, b = await shops(reporting, 2)
    await reporting.report(a, parse_report("tb_two 差评师 3720000000000001"))
    with pytest.raises(Refused) as alone:
        await joint.open_by_hand(a, Platform.taobao, "tb_two")
    assert alone.value.code == "joint.too_few_shops" and alone.value.context["shops"] == 1
    (orderless,) = await shops(reporting, 1, start=2)
    await reporting.report(orderless, parse_report("tb_two 差评师"))
    with pytest.raises(Refused) as not_counting:
        await joint.open_by_hand(orderless, Platform.taobao, "tb_two")
    assert not_counting.value.code == "joint.cannot_open"
    with pytest.raises(Refused):
        await joint.open_by_hand(a, Platform.pdd, "tb_two")  # no such buyer on 拼多多
    await reporting.report(b, parse_report("tb_two 恶意退货 3720000000000002"))
    assert await JointCase.all().count() == 0  # two shops: nothing opens by itself
    view = await joint.open_by_hand(b, Platform.taobao, "tb_two")
    assert view.joined_now and [p.shop_name for p in view.participants] == ["店1"] and view.invited == 1
    assert [u for u, _ in await invitations()] == [1000]  # the other shop, not the opener
    again = await joint.open_by_hand(a, Platform.taobao, "tb_two")
    assert again.case.id == view.case.id and len(again.participants) == 2
    assert await JointCase.all().count() == 1
    await JointCase.filter(id=view.case.id).update(status="已解决")
    with pytest.raises(Refused) as ended:
        await joint.open_by_hand(a, Platform.taobao, "tb_two")
    assert ended.value.code == "joint.case_ended"
