from nonebot import on_command
from nonebot.adapters import Message
from nonebot.params import CommandArg
from nonebot.plugin import PluginMetadata

from bot.catalogue import command
from bot.render import render
from bot.reply_scripts import by_scenario, find_scripts
from plugins._chat import SUPPORTED_ADAPTERS

__plugin_meta__ = PluginMetadata(
    name="话术",
    description="和可疑买家沟通的现成话术，每条单独一条消息便于复制",
    usage=command("话术").usage,
    type="application",
    supported_adapters=SUPPORTED_ADAPTERS,
)

scripts_matcher = on_command("话术", aliases={command("话术").alias}, force_whitespace=True, priority=10, block=True)


@scripts_matcher.handle()
async def send_scripts(args: Message = CommandArg()) -> None:
    word = args.extract_plain_text().strip()
    if not word:
        await scripts_matcher.finish(render("scripts/list.j2", groups=by_scenario()))
    chosen = find_scripts(word)
    if not chosen:
        await scripts_matcher.finish(render("scripts/unknown.j2", word=word[:20], groups=by_scenario()))
    for scenario in chosen:
        await scripts_matcher.send(render("scripts/heading.j2", scenario=scenario))
        # One message per script: a merchant copies a whole message with one long-press.
        for text in scenario.scripts:
            await scripts_matcher.send(render("scripts/script.j2", text=text))
