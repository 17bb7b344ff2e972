from nonebot.adapters import Message
from nonebot.params import CommandArg
from nonebot.plugin import PluginMetadata

from bot.commands.catalogue import command, commands, find
from bot.identity.text import excerpt
from bot.scoring.red_flags import typed_flags
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
async def show_help(args: Message = CommandArg()) -> None:
    word = args.extract_plain_text().strip().split(" ")[0] if args.extract_plain_text().strip() else ""
    if not word:
        await answer(help_matcher, "help/list.j2", commands=commands())
    spec = find(word)
    if spec is None:
        await answer(help_matcher, "help/unknown.j2", word=excerpt(word), commands=commands())
    await answer(help_matcher, "help/command.j2", command=spec, flags=typed_flags())
