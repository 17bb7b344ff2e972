from nonebot.adapters import Bot, Event, Message
from nonebot.matcher import Matcher
from nonebot.params import CommandArg
from nonebot.typing import T_State

from bot.cases.flows import audit_items, scenarios
from bot.cases.guides import Turn
from bot.commands.grammar import parse_guide_arguments
from bot.identity.platforms import Platform
from bot.messaging.render import render
from nonebot_plugin_shop_guard.runtime import Speaker, Speaking, blacklist, pool
from shop_guard_chat import Line, answers_refusals, member_key


def chat_of(event: Event) -> str:
    """The conversation a flow's short replies belong to: this user in this chat."""
    return event.get_session_id()


def render_turn(turn: Turn) -> str:
    if turn.kind in ("audit_question",):
        items = audit_items()
        index = int(turn.case.step)
        return render("guides/audit_question.j2", item=items[index], index=index, total=len(items), p=turn.words)
    if turn.kind == "audit_result":
        return render("guides/audit_result.j2", turn=turn)
    if turn.kind == "finished":
        label = Platform(turn.case.platform).label if turn.case.platform else turn.words.label
        return render("guides/finished.j2", turn=turn, platform_label=label)
    return render(f"guides/{turn.kind}.j2", turn=turn)


def do_guide(matcher: type[Matcher]) -> None:
    @matcher.handle()
    @answers_refusals("处理")
    async def guide(event: Event, speaker: Speaker = Speaking, args: Message = CommandArg()) -> None:
        shop = speaker.registered
        asked = parse_guide_arguments(args.extract_plain_text(), Platform(shop.platform))
        guides = pool().guides
        if asked.case_id is not None and asked.drop:
            turn = await guides.drop(shop, asked.case_id)
        elif asked.case_id is not None:
            turn = await guides.resume(shop, asked.case_id, chat_of(event))
        elif asked.scenario is not None:
            turn = await guides.start(
                shop, asked.scenario, chat_of(event), asked.platform, asked.buyer_id, asked.order_no
            )
        else:
            # No argument: the menu and the open cases, as the README says; a case is
            # continued with /处理 #编号.
            flows = [c for c in await guides.open_cases(shop) if c.scenario != "audit"]
            names = {s.code: s.name for s in scenarios()} | {"audit": "店铺体检"}
            await matcher.finish(render("guides/menu.j2", cases=flows, scenarios=scenarios(), names=names))
        await matcher.finish(render_turn(turn))


def do_audit(matcher: type[Matcher]) -> None:
    @matcher.handle()
    @answers_refusals("体检")
    async def audit(event: Event, speaker: Speaker = Speaking) -> None:
        await matcher.finish(render_turn(await pool().guides.start_audit(speaker.registered, chat_of(event))))


def may_be_flow_reply(line: Line) -> bool:
    """A flow may wait for this sender's reply here (memory only, for every message)."""
    return pool().guides.may_be_waiting(line.session_id)


async def has_active_case(bot: Bot, event: Event, state: T_State) -> bool:
    if event.get_type() != "message":
        return False
    text = event.get_plaintext().strip()
    # Commands go to their matchers; long messages are conversation, not flow replies.
    if not text or text.startswith("/") or len(text) > 40:
        return False
    shop = await blacklist().shop_or_none(member_key(bot, event))
    case = await pool().guides.active_case(shop, chat_of(event)) if shop is not None else None
    if case is None:
        return False
    state["guide_case"] = case
    return True


def do_answer(matcher: type[Matcher]) -> None:
    @matcher.handle()
    async def answer(event: Event, state: T_State) -> None:
        turn = await pool().guides.answer(state["guide_case"], event.get_plaintext().strip(), addressed=event.is_tome())
        if turn is not None:
            await matcher.finish(render_turn(turn))
