"""Guided handling without chat: the flows as data, walking them, the rules they must
state exactly (DESIGN.md §3), resuming after a restart, the audit score, reminders."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.arguments import parse_bind, parse_report
from bot.database import database
from bot.guides import Guides, Turn, audit_items, audit_score, find_scenario, scenario, scenarios
from bot.identity import Platform
from bot.models import GuideCase

BLOCK_PATH = "卖家中心 → 营销中心 → 客户运营平台 → 客户管理 → 客户列表 → 选择该买家 → 禁止购买"


def all_text(code: str) -> str:
    return "\n".join(f"{s.text} {s.why} {s.question or ''}" for s in scenario(code).steps)


def test_five_scenarios_with_numbers_and_names():
    assert [(s.number, s.name) for s in scenarios()] == [
        (1, "未付款恶拍"),
        (2, "已付款可疑"),
        (3, "差评敲诈"),
        (4, "恶意退货"),
        (5, "黄牛"),
    ]
    assert find_scenario("3") is find_scenario("差评师") is find_scenario("extortion") is scenario("extortion")
    assert find_scenario("跳舞") is None


def test_the_rules_are_stated_exactly():
    unpaid = all_text("unpaid")
    assert "不要自己关闭交易，也不要让客服帮你关闭：等系统自动关闭" in unpaid
    assert "扣 6 分" in unpaid and "付款减库存" in unpaid and "限购" in unpaid
    paid = all_text("paid")
    assert "按正常流程发货，不要拒发" in paid and "全程录打包视频" in paid and "快递单号" in paid
    assert "疑难件" in paid and "退回的面单" in paid
    extortion = all_text("extortion")
    assert "平台只认自己聊天工具里的记录" in extortion and "不要付钱" in extortion
    assert "让对方在旺旺里发出他的 QQ 号（不要把你的 QQ 发给他）" in extortion and "录音" in extortion
    assert "恶意评价投诉" in extortion and "主动跟进" in extortion
    assert "拆包全程录像" in all_text("returns")
    for code in ("unpaid", "extortion", "returns", "scalper"):
        assert BLOCK_PATH in all_text(
            code
        ) or "卖家中心 → 营销中心 → 客户运营平台 → 客户管理 → 客户列表 → 选择该买家 → 禁止购买" in all_text(code)


async def answered(guides: Guides, case_id: int, word: str, addressed: bool = True) -> Turn:
    """The turn after an answer that is meant for the flow."""
    turn = await guides.answer(await GuideCase.get(id=case_id), word, addressed=addressed)
    assert turn is not None
    return turn


async def walk(guides: Guides, shop, code: str, chat: str = "c1", answers: dict[str, str] | None = None):
    """Walk a scenario to its end, answering questions with the first answer (or the
    given one) and everything else with 好了. Returns the turns."""
    turns = [await guides.start(shop, scenario(code), chat, Platform.taobao, "tb_x", None)]
    while turns[-1].kind == "step":
        case = await GuideCase.get(id=turns[-1].case.id)
        step = turns[-1].step
        word = (answers or {}).get(step.id) or (step.answers[0].words[0] if step.question else "好了")
        turns.append(await answered(guides, case.id, word))
    return turns


@pytest.mark.parametrize("code", ["unpaid", "paid", "extortion", "returns", "scalper"])
async def test_every_scenario_walks_to_its_end(pool, blacklist, code):
    shop = (await blacklist.bind("qq:1", parse_bind("淘宝 甲"))).shop
    guides = Guides(blacklist.clock)
    turns = await walk(guides, shop, code)
    assert turns[-1].kind == "finished"
    case = await GuideCase.get(id=turns[-1].case.id)
    assert case.status == "closed" and case.closed_at is not None and case.remind_at is None
    assert case.buyer_key == "tb_x" and case.platform == "taobao"


async def test_branches_and_back(pool, blacklist):
    shop = (await blacklist.bind("qq:1", parse_bind("淘宝 甲"))).shop
    guides = Guides(blacklist.clock)
    first = await guides.start(shop, scenario("unpaid"), "c1")
    assert first.step.id == "paid_or_not"
    # "已经付款" switches to the paid-order flow.
    switched = await guides.answer(await GuideCase.get(id=first.case.id), "是", addressed=True)
    assert switched.scenario.code == "paid" and switched.note == "switched" and switched.step.id == "proof"
    no_proof = await guides.answer(await GuideCase.get(id=first.case.id), "没有", addressed=True)
    assert no_proof.step.id == "ship_normally"
    back = await guides.answer(await GuideCase.get(id=first.case.id), "返回", addressed=True)
    assert back.note == "went_back" and back.scenario.code == "paid" and back.step.id == "proof"
    back = await guides.answer(await GuideCase.get(id=first.case.id), "返回", addressed=True)
    assert back.scenario.code == "unpaid" and back.step.id == "paid_or_not"
    back = await guides.answer(await GuideCase.get(id=first.case.id), "返回", addressed=True)
    assert back.note == "back_at_start"
    not_paid = await guides.answer(await GuideCase.get(id=first.case.id), "没有", addressed=True)
    assert not_paid.step.id == "dont_close" and "扣 6 分" in not_paid.step.why


async def test_a_wrong_answer_gets_help_not_a_reset(pool, blacklist):
    shop = (await blacklist.bind("qq:1", parse_bind("淘宝 甲"))).shop
    guides = Guides(blacklist.clock)
    turn = await guides.start(shop, scenario("extortion"), "c1")
    turn = await answered(guides, turn.case.id, "好了", addressed=True)
    assert turn.step.id == "platform_chat"
    help_turn = await answered(guides, turn.case.id, "他骂人了怎么办", addressed=True)
    assert help_turn.kind == "help" and help_turn.step.id == "platform_chat"
    assert (await GuideCase.get(id=turn.case.id)).step == "platform_chat"
    # In a group, chatter not addressed to the bot is ignored.
    assert await guides.answer(await GuideCase.get(id=turn.case.id), "今天天气不错", addressed=False) is None
    # Evidence marked as the steps are done or skipped.
    turn = await answered(guides, turn.case.id, "跳过", addressed=False)
    assert turn.step.id == "qq_or_phone"
    assert (await GuideCase.get(id=turn.case.id)).evidence == {"旺旺/千牛聊天截图（含对方的要求）": "skipped"}


async def test_a_flow_survives_a_restart(pool, blacklist):
    shop = (await blacklist.bind("qq:1", parse_bind("淘宝 甲"))).shop
    turn = await Guides(blacklist.clock).start(
        shop, scenario("returns"), "c1", Platform.taobao, "tb_x", "3720012345678901"
    )
    await Guides(blacklist.clock).answer(await GuideCase.get(id=turn.case.id), "好了", addressed=True)

    await database.restart()

    fresh = Guides(blacklist.clock)
    assert [c.id for c in await fresh.open_cases(shop)] == [turn.case.id]
    resumed = await fresh.resume(shop, turn.case.id, "another-chat")
    assert resumed.note == "resumed" and resumed.step.id == "film_opening"
    # Starting the same scenario for the same buyer and order resumes instead of duplicating.
    again = await fresh.start(shop, scenario("returns"), "c1", Platform.taobao, "tb_x", "3720012345678901")
    assert again.case.id == turn.case.id and await GuideCase.all().count() == 1


async def test_finishing_counts_other_shops_that_reported(pool, blacklist):
    a = (await blacklist.bind("qq:1", parse_bind("淘宝 甲"))).shop
    b = (await blacklist.bind("qq:2", parse_bind("淘宝 乙"))).shop
    await blacklist.report(b, parse_report("tb_x 差评师"))
    turns = await walk(Guides(blacklist.clock), a, "extortion")
    assert turns[-1].kind == "finished" and turns[-1].others_reported == 1 and turns[-1].scenario.joint


async def test_reminder_fires_after_the_delay_and_stops_when_closed(pool, blacklist, clock):
    shop = (await blacklist.bind("qq:1", parse_bind("淘宝 甲"))).shop
    guides = Guides(clock)
    turn = await guides.start(shop, scenario("unpaid"), "c1")
    turn = await answered(guides, turn.case.id, "没有", addressed=True)
    assert turn.step.id == "dont_close" and turn.step.wait_days == 3
    await guides.answer(await GuideCase.get(id=turn.case.id), "退出", addressed=True)

    clock.now += timedelta(days=2, hours=23)
    assert await guides.due_reminders() == []
    clock.now += timedelta(hours=2)
    due = await guides.due_reminders()
    assert [(c.id, s.id, days) for c, s, days in due] == [(turn.case.id, "dont_close", 3)]
    assert await guides.queue_reminders() == 1
    assert await guides.due_reminders() == []  # not again until another 3 days
    clock.now += timedelta(days=3)
    assert [days for _, _, days in await guides.due_reminders()] == [6]

    await guides.close(shop, turn.case.id)
    clock.now += timedelta(days=30)
    assert await guides.due_reminders() == []


def test_audit_score_for_fixed_answers():
    items = audit_items()
    assert [i.id for i in items] == ["details", "remote_shipping", "notice", "gifts", "bundles", "pricing"]
    assert sum(i.weight for i in items) == 100
    assert audit_score({i.id: True for i in items}) == 100
    assert audit_score({}) == 0
    assert audit_score({"details": True, "notice": True, "bundles": False, "gifts": True}) == 50


async def test_audit_walk(pool, blacklist):
    shop = (await blacklist.bind("qq:1", parse_bind("淘宝 甲"))).shop
    guides = Guides(blacklist.clock)
    turn = await guides.start_audit(shop, "c1")
    for word in ("是", "否", "返回", "否", "是", "有", "没有", "是"):
        turn = await answered(guides, turn.case.id, word)
    assert turn.kind == "audit_result" and turn.score == 65  # 20 + 15 + 15 + 15
    assert [item.id for item, ok in turn.audit if not ok] == ["remote_shipping", "bundles"]
