from nonebot import get_plugin_config
from nonebot.adapters import Bot, Message
from nonebot.matcher import Matcher
from nonebot.params import CommandArg

from bot.commands.grammar import parse_api_key
from bot.messaging.render import render
from bot.settings import Settings
from nonebot_plugin_shop_guard.runtime import Speaker, Speaking, pool
from shop_guard_chat import answer, answers_refusals, network


def do_api_key(matcher: type[Matcher]) -> None:
    @matcher.handle()
    @answers_refusals("令牌")
    async def api_key(bot: Bot, speaker: Speaker = Speaking, args: Message = CommandArg()) -> None:
        # A key is a password: never in a group, where anyone reads it.
        if speaker.group_id is not None:
            await answer(matcher, "web/private_only.j2", command="令牌")
        replace = parse_api_key(args.extract_plain_text())
        shop = speaker.registered
        current = await pool().access.key_of(shop)
        if current is not None and not replace:
            # Replacing stops the shop's order system at once: asked for in words.
            await answer(matcher, "web/api_key_state.j2", shop=shop, key=current)
        key = await pool().access.rotate_key(shop, speaker.account)
        settings = get_plugin_config(Settings)
        await matcher.finish(
            network(bot).text(
                render("web/api_key.j2", key=key, shop=shop, url=settings.public_url, replaced=current is not None)
            )
        )


def do_dashboard_link(matcher: type[Matcher]) -> None:
    @matcher.handle()
    async def dashboard_link(bot: Bot, speaker: Speaker = Speaking) -> None:
        if speaker.group_id is not None:
            await answer(matcher, "web/private_only.j2", command="后台")
        settings = get_plugin_config(Settings)
        if not settings.web_enabled and not settings.web_public_url:
            await answer(matcher, "web/disabled.j2")
        token = await pool().access.login_token(speaker.account)
        link = f"{settings.public_url}/login?token={token}"
        await matcher.finish(network(bot).text(render("web/login_link.j2", link=link, minutes=10)))
