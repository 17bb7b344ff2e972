from nonebot import require

require("nonebot_plugin_shop_guard.runtime")

from nonebot.adapters import Message
from nonebot.params import CommandArg
from nonebot.plugin import PluginMetadata

from bot.commands.catalogue import command, commands, find
from bot.identity.platforms import Platform, platform_words
from bot.identity.text import excerpt
from bot.scoring.red_flags import typed_flags
from nonebot_plugin_shop_guard.runtime import Speaker, Speaking, blacklist
from shop_guard_chat import SUPPORTED_ADAPTERS, answer, command_matcher

__plugin_meta__ = PluginMetadata(
    name="帮助",
    description="列出命令，或说明某个命令的用法",
    usage=command("帮助").usage,
    type="application",
    supported_adapters=SUPPORTED_ADAPTERS,
)

help_matcher = command_matcher("帮助")


@help_matcher.handle()
async def show_help(speaker: Speaker = Speaking, args: Message = CommandArg()) -> None:
    word = args.extract_plain_text().strip().split(" ")[0] if args.extract_plain_text().strip() else ""
    if not word:
        await answer(help_matcher, "help/list.j2", commands=commands())
    spec = find(word)
    if spec is None:
        await answer(help_matcher, "help/unknown.j2", word=excerpt(word), commands=commands())
    # The examples in the asker's platform's words (a 拼多多 shop's /查 example names
    # 拼多多); someone whose platform is not known sees how to name one, with 淘宝.
    words = platform_words(speaker.platform or Platform.taobao)
    await answer(
        help_matcher,
        "help/command.j2",
        command=spec,
        flags=typed_flags(),
        p=words,
        clue_lookups=blacklist().clue_lookups_per_day,
    )
