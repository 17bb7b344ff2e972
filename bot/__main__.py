"""`python -m bot`: start the bot; `python -m bot screen|import|export …`: the command-line
tools on the same pool.

OneBot v11 (QQ through NapCat / Lagrange / go-cqhttp) is always registered; the official
QQ bot (nonebot-adapter-qq) when QQ_BOTS configures one. When neither is configured and
stdin is a terminal, the console adapter is opened too, so that a new user can talk to
the bot at once.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from bot.identity.text import excerpt
from bot.messaging.render import render

ROOT = Path(__file__).resolve().parent.parent
# From a source checkout, .env and the data folder are the project's wherever the command
# is typed; an installed bot uses the folder it is started in.
HOME = ROOT if (ROOT / "pyproject.toml").exists() else Path.cwd()

TOOLS = ("screen", "import", "export", "web", "robot", "backup", "restore", "doctor", "accept-key")
# The tools whose first argument is a file, relative to where the user stands.
_FILE_TOOLS = ("screen", "import", "export")
# sysexits.h: a configuration error. The systemd unit does not restart on it
# (RestartPreventExitStatus): the same settings would be refused again.
EX_CONFIG = 78


def _dotenv() -> dict[str, str | None]:
    from dotenv import dotenv_values  # noqa: PLC0415 - read only where the bot starts

    values: dict[str, str | None] = {}
    for name in (".env", f".env.{os.environ.get('ENVIRONMENT', 'prod')}"):
        path = Path.cwd() / name
        if path.exists():
            values.update(dotenv_values(path))
    return values


def _configured(name: str, dotenv: dict[str, str | None]) -> str | None:
    return os.environ.get(name) or os.environ.get(name.lower()) or dotenv.get(name) or dotenv.get(name.lower())


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ("-h", "--help", "help"):
        print(render("cli/usage.j2"))
        return 0
    if argv and argv[0] not in TOOLS:
        print(render("cli/unknown_command.j2", word=excerpt(argv[0], 30)), file=sys.stderr)
        return 2
    if argv and argv[0] in _FILE_TOOLS and len(argv) > 1 and not argv[1].startswith("-"):
        # The file argument is relative to where the user stands, not the project root.
        argv[1] = str(Path(argv[1]).resolve())
    os.chdir(HOME)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    if argv:
        from bot.cli import main as cli_main  # noqa: PLC0415 - after the project root is on sys.path

        return cli_main(argv)
    return run_bot()


def run_bot() -> int:
    import nonebot  # noqa: PLC0415 - the bot alone loads NoneBot, after sys.path is set
    from nonebot.adapters.onebot.v11.config import Config as OneBotConfig  # noqa: PLC0415 - the bot alone loads NoneBot, after sys.path is set
    from nonebot.adapters.qq.config import Config as QQConfig  # noqa: PLC0415 - the bot alone loads NoneBot, after sys.path is set
    from nonebot.drivers import ASGIMixin  # noqa: PLC0415 - the bot alone loads NoneBot, after sys.path is set

    from shop_guard_chat.onebot_v11 import Adapter as OneBotV11  # noqa: PLC0415 - the bot alone loads NoneBot, after sys.path is set
    from shop_guard_chat.qqbot import Adapter as QQBot  # noqa: PLC0415 - the bot alone loads NoneBot, after sys.path is set

    dotenv = _dotenv()
    init_kwargs: dict[str, str] = {}
    if not _configured("DRIVER", dotenv):
        # aiohttp is a forward (client) driver: enough for OneBot forward WebSocket
        # and for the console, with nothing listening on a port by default.
        init_kwargs["driver"] = "~aiohttp"
    nonebot.init(**init_kwargs)
    driver = nonebot.get_driver()
    driver.register_adapter(OneBotV11)

    # Read as the adapter reads it (the environment and .env alike), not from the global
    # config, which holds only what .env declares.
    ws_urls = nonebot.get_plugin_config(OneBotConfig).onebot_ws_urls
    qq_bots = nonebot.get_plugin_config(QQConfig).qq_bots
    if qq_bots:
        driver.register_adapter(QQBot)
        nonebot.logger.info(f"QQ 官方机器人：{', '.join(bot.id for bot in qq_bots)}")
    # A server driver (e.g. ~fastapi) waits for a reverse WebSocket from the QQ client.
    serves_reverse = isinstance(driver, ASGIMixin)
    if ws_urls:
        nonebot.logger.info(f"OneBot 正向 WebSocket：{', '.join(str(url) for url in ws_urls)}")
    elif serves_reverse:
        nonebot.logger.info("等待 OneBot 客户端通过反向 WebSocket 连接")
    elif sys.stdin.isatty() and not qq_bots:
        from shop_guard_chat.console import Adapter as Console  # noqa: PLC0415 - the bot alone loads NoneBot, after sys.path is set

        driver.register_adapter(Console)
        nonebot.logger.info(
            "没有配置 OneBot 连接，已打开命令行聊天（console 适配器）；在 .env 里配置 ONEBOT_WS_URLS 连接 QQ"
        )
    elif not qq_bots:
        nonebot.logger.warning("没有配置 OneBot 连接（ONEBOT_WS_URLS），机器人不会收到任何消息；见 README 的 .env 设置")

    refusal = _refusal_to_start()
    if refusal:
        # NoneBot's driver would end a refused start with a traceback of its own: the
        # reason is said alone, as the last thing on the screen.
        print(refusal, file=sys.stderr)
        return EX_CONFIG
    nonebot.load_plugin("nonebot_plugin_shop_guard")
    nonebot.run()
    return 0


def _refusal_to_start() -> str | None:
    """Open the pool once before NoneBot runs: the fingerprint key must fit it
    (bot/deployment/key_guard.py). The runtime plugin checks again when it starts (a
    host NoneBot project has only that)."""
    import asyncio  # noqa: PLC0415 - the bot's start only

    import nonebot  # noqa: PLC0415 - the bot alone loads NoneBot, after sys.path is set

    from bot.cli import open_settings  # noqa: PLC0415 - after nonebot.init(), as the CLI reads .env
    from bot.pool import refusal_to_start  # noqa: PLC0415 - after the project root is on sys.path

    settings, folder, _ = open_settings(init=False)
    return asyncio.run(refusal_to_start(settings, folder.path, warn=nonebot.logger.warning))


if __name__ == "__main__":
    sys.exit(main())
