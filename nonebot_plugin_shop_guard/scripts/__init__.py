from nonebot import require

require("nonebot_plugin_shop_guard.runtime")

from nonebot.adapters import Message
from nonebot.params import CommandArg
from nonebot.plugin import PluginMetadata

from bot.cases.reply_scripts import by_scenario, find_scripts
from bot.commands.catalogue import command
from bot.identity.platforms import platform_words
from bot.identity.text import excerpt
from bot.messaging.render import render
from nonebot_plugin_shop_guard.runtime import Speaker, Speaking
from shop_guard_chat import SUPPORTED_ADAPTERS, command_matcher, send_burst

__plugin_meta__ = PluginMetadata(
    name="话术",
    description="和可疑买家沟通的现成话术，每条单独一条消息便于复制",
    usage=command("话术").usage,
    type="application",
    supported_adapters=SUPPORTED_ADAPTERS,
)

scripts_matcher = command_matcher("话术")


@scripts_matcher.handle()
async def send_scripts(speaker: Speaker = Speaking, args: Message = CommandArg()) -> None:
    word = args.extract_plain_text().strip()
    if not word:
        await scripts_matcher.finish(render("scripts/list.j2", groups=by_scenario()))
    chosen = find_scripts(word)
    if not chosen:
        await scripts_matcher.finish(render("scripts/unknown.j2", word=excerpt(word), groups=by_scenario()))
    # In the words of the asker's own platform (its chat tool); 淘宝's without a shop.
    words = platform_words(speaker.platform)
    messages: list[str | Message] = []
    for scenario in chosen:
        messages.append(render("scripts/heading.j2", scenario=scenario))
        # One message per script: a merchant copies a whole message with one long-press.
        messages.extend(render("scripts/script.j2", text=text, p=words) for text in scenario.scripts)
    await send_burst(scripts_matcher, messages)
