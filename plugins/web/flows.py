from nonebot import get_plugin_config
from nonebot.adapters import Bot, Event
from nonebot.matcher import Matcher

from bot.errors import Refused
from bot.settings import Settings
from plugins._chat import answer, group_of, member_key, network, refuse
from plugins.runtime import blacklist, pool


def do_api_key(matcher: type[Matcher]) -> None:
    @matcher.handle()
    async def api_key(bot: Bot, event: Event) -> None:
        # A key is a password: never in a group, where anyone reads it.
        if group_of(bot, event) is not None:
            await answer(matcher, "web/private_only.j2", command="令牌")
        try:
            shop = await blacklist().shop_of(member_key(bot, event))
            key = await pool().access.rotate_key(shop, member_key(bot, event))
        except Refused as refusal:
            await refuse(matcher, refusal, "令牌")
        settings = get_plugin_config(Settings)
        await matcher.finish(network(bot).text(_render("web/api_key.j2", key=key, shop=shop, url=settings.public_url)))


def do_dashboard_link(matcher: type[Matcher]) -> None:
    @matcher.handle()
    async def dashboard_link(bot: Bot, event: Event) -> None:
        if group_of(bot, event) is not None:
            await answer(matcher, "web/private_only.j2", command="后台")
        settings = get_plugin_config(Settings)
        if not settings.web_enabled and not settings.web_public_url:
            await answer(matcher, "web/disabled.j2")
        token = await pool().access.login_token(member_key(bot, event))
        link = f"{settings.public_url}/login?token={token}"
        await matcher.finish(network(bot).text(_render("web/login_link.j2", link=link, minutes=10)))


def _render(template: str, **context: object) -> str:
    from bot.messaging.render import render

    return render(template, **context)
