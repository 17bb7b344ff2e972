"""Every platform in its own words (issue 26): one 拼多多 shop's detailed /查, every /处理
flow (each step, its evidence check, its help, its reminder, its end), /体检, /话术 and
/帮助 rendered as the chat renders them, and read for the words that are Taobao's alone;
and the rules no platform's page can be trusted on stated as 「以后台规则为准」."""

from __future__ import annotations

import re
from dataclasses import replace

from bot.cases.flows import audit_items, scenarios
from bot.cases.guides import Guides, Turn
from bot.cases.reply_scripts import script_scenarios
from bot.commands.catalogue import commands
from bot.commands.grammar import parse_check
from bot.identity.platforms import Platform, platform_words
from bot.messaging.render import fill, render
from bot.scoring.red_flags import typed_flags
from bot.scoring.verdict import ADVICE_ORDER
from bot.storage.models.cases import GuideCase
from tests.conftest import verified_shop

# Taobao's tools, back-office path and settings: never read by a 拼多多 shop.
TAOBAO_ONLY = (
    "千牛",
    "旺旺",
    "卖家中心",
    "营销中心",
    "客户运营平台",
    "禁止购买",
    "付款减库存",
    "拍下减库存",
    "其他-赠品",
)


async def pinduoduo_replies(pool, blacklist) -> list[tuple[str, str]]:
    """(where, text) of everything a 拼多多 shop reads in the flows, the advice and help."""
    shop = await verified_shop(blacklist, "qq:1", "多多店", "拼多多")
    words = platform_words(Platform.pdd)
    replies: list[tuple[str, str]] = []

    # A detailed /查 with every next step there is, and the short reply's one step each.
    result = await blacklist.check(parse_check("pdd_buyer 详细", Platform.pdd), "qq:1", shop)
    every = replace(result.verdict, advice=[*ADVICE_ORDER, "low", "no_record"])
    replies.append(("/查 详细", render("check/verdict_detail.j2", result=replace(result, verdict=every))))
    for key in (*ADVICE_ORDER, "low", "no_record"):
        # The short reply's step is the most specific one (never blocking alone).
        one = replace(result, verdict=replace(result.verdict, advice=[key, "paid"]), detail=False)
        replies.append((f"/查 {key}", render("check/verdict.j2", result=one)))

    # Every /处理 flow, every step as the chat shows it.
    guides = Guides(blacklist.clock)
    for flow in scenarios():
        started = await guides.start(shop, flow, f"c-{flow.code}", Platform.pdd, "pdd_buyer", "260517-607198974342268")
        case = await GuideCase.get(id=started.case.id)
        for step in flow.steps:
            turn = Turn("step", case, flow, step, words=started.words)
            for template in ("step", "evidence_check", "help"):
                replies.append((f"/处理 {flow.code}.{step.id} {template}", render(f"guides/{template}.j2", turn=turn)))
            if step.wait_days:
                text = fill(step.reminder or render("guides/reminder_default.j2", days=3), days=3, p=words)
                replies.append((f"{flow.code}.{step.id} reminder", text))
        finished = Turn("finished", case, flow, words=started.words)
        replies.append(
            (f"/处理 {flow.code} finished", render("guides/finished.j2", turn=finished, platform_label="拼多多"))
        )

    # /体检 and /话术.
    audit = await guides.start_audit(shop, "c-audit")
    items = audit_items()
    for index, item in enumerate(items):
        replies.append(
            ("/体检", render("guides/audit_question.j2", item=item, index=index, total=len(items), p=audit.words))
        )
    result_turn = Turn("audit_result", audit.case, audit=[(item, False) for item in items], score=0, words=audit.words)
    replies.append(("/体检 result", render("guides/audit_result.j2", turn=result_turn)))
    for script in script_scenarios():
        replies.extend(("/话术", render("scripts/script.j2", text=text, p=words)) for text in script.scripts)
    return replies


async def test_a_pinduoduo_shop_reads_no_taobao_only_word(pool, blacklist):
    replies = await pinduoduo_replies(pool, blacklist)
    assert len(replies) > 80
    for where, text in replies:
        found = [word for word in TAOBAO_ONLY if word in text]
        assert not found, (where, found, text)
        assert "淘宝" not in text, (where, text)
        assert "{{" not in text and "{%" not in text, (where, text)
    everything = "\n".join(text for _, text in replies)
    # Its own words instead: its chat, its back office, where to look for a block.
    assert "拼多多商家后台的聊天" in everything and "拼多多聊天" in everything
    assert "在拼多多商家后台里找能限制这个买家下单的功能" in everything


def test_help_shows_each_platform_s_own_examples():
    """/帮助 <命令>: the examples name the asker's platform, with ids as it writes them."""
    words = platform_words(Platform.pdd)
    for spec in commands():
        text = render("help/command.j2", command=spec, flags=typed_flags(), p=words, clue_lookups=200)
        example = next(line for line in text.splitlines() if line.startswith("例如："))
        assert "淘宝" not in example and "旺旺" not in example and "tb12345678" not in example, (spec.name, example)
        assert not [word for word in TAOBAO_ONLY if word in text], (spec.name, text)
    check = render(
        "help/command.j2", command=next(c for c in commands() if c.name == "查"), flags=[], p=words, clue_lookups=200
    )
    assert "例如：/查 拼多多 pdd12345678" in check and "每家店每天 200 次" in check


def test_rules_not_verified_for_a_platform_are_said_as_such():
    """No exact auto-close time, no name of a malicious-review channel, no claim about what
    the 2023–2025 changes to 仅退款 allow: 「以后台规则为准」. Waiting for an unpaid order to
    close says to look at the order's own countdown; the returns flow has a step for a
    refund the platform already made (申诉 with the unboxing video)."""
    from bot.cases.flows import scenario

    for platform in Platform:
        p = platform_words(platform)
        unpaid = [fill(s.text, p=p) for s in scenario("unpaid").steps]
        waiting = next(text for text in unpaid if "不要自己关闭交易" in text)
        assert "看这笔订单详情里自己的倒计时" in waiting and "以后台规则为准" in waiting
        every_text = "\n".join(
            fill(f"{s.text} {s.why} {s.reminder or ''}", p=p, days=3) for flow in scenarios() for s in flow.steps
        )
        # A number of hours or days until an order closes by itself is nowhere.
        assert not re.search(r"\d+\s*(?:小时|天|分钟)(?:后|内)?(?:系统)?(?:会)?自动关闭", every_text), platform
        assert "恶意评价投诉（入口名称各平台不同，以后台规则为准）" in every_text
        returns = scenario("returns")
        refunded = returns.step("refunded")
        assert "平台已直接退款" in [a.label for a in refunded.answers]
        appeal = fill(returns.step("appeal_refund").text, p=p)
        assert "仅退款" in appeal and "以后台规则为准" in appeal and "开箱视频" in appeal and "申诉" in appeal
    # Taobao's rules stand as DESIGN.md §3 states them.
    taobao = platform_words(Platform.taobao)
    assert taobao.close_penalty == "投诉成立时店铺可能被扣 6 分"
    assert "付款减库存" in taobao.stock and "其他-赠品" in taobao.gift
    assert taobao.block_path == "卖家中心 → 营销中心 → 客户运营平台 → 客户管理 → 客户列表 → 选择该买家 → 禁止购买"
    assert all(not platform_words(p).block_path for p in Platform if p is not Platform.taobao)
