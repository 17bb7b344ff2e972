"""`python -m bot`: start the bot from the project root.

OneBot v11 (QQ through NapCat / Lagrange / go-cqhttp) is always registered. When no
OneBot connection is configured and stdin is a terminal, the console adapter is opened
too, so that a new user can talk to the bot at once.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _dotenv() -> dict[str, str | None]:
    from dotenv import dotenv_values

    values: dict[str, str | None] = {}
    for name in (".env", f".env.{os.environ.get('ENVIRONMENT', 'prod')}"):
        path = Path.cwd() / name
        if path.exists():
            values.update(dotenv_values(path))
    return values


def _configured(name: str, dotenv: dict[str, str | None]) -> str | None:
    return os.environ.get(name) or os.environ.get(name.lower()) or dotenv.get(name) or dotenv.get(name.lower())


def main() -> None:
    argv = sys.argv[1:]
    tool = argv[0] if argv and argv[0] in ("screen", "import", "export") else None
    if tool and len(argv) > 1 and not argv[1].startswith("-"):
        # The file argument is relative to where the user stands, not the project root.
        argv[1] = str(Path(argv[1]).resolve())
    # .env and the plugins are found in the project root, whatever the cwd was.
    os.chdir(ROOT)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    if tool:
        from bot.cli import main as cli_main

        sys.exit(cli_main(argv))

    import nonebot
    from nonebot.adapters.onebot.v11 import Adapter as OneBotV11
    from nonebot.drivers import ASGIMixin

    dotenv = _dotenv()
    init_kwargs: dict[str, str] = {}
    if not _configured("DRIVER", dotenv):
        # aiohttp is a forward (client) driver: enough for OneBot forward WebSocket
        # and for the console, with nothing listening on a port by default.
        init_kwargs["driver"] = "~aiohttp"
    nonebot.init(**init_kwargs)
    driver = nonebot.get_driver()
    driver.register_adapter(OneBotV11)

    ws_urls = getattr(driver.config, "onebot_ws_urls", None)
    # A server driver (e.g. ~fastapi) waits for a reverse WebSocket from the QQ client.
    serves_reverse = isinstance(driver, ASGIMixin)
    if not ws_urls and not serves_reverse and sys.stdin.isatty():
        from nonebot.adapters.console import Adapter as Console

        driver.register_adapter(Console)
        nonebot.logger.info(
            "没有配置 OneBot 连接，已打开命令行聊天（console 适配器）；在 .env 里配置 ONEBOT_WS_URLS 连接 QQ"
        )
    elif not ws_urls and not serves_reverse:
        nonebot.logger.warning("没有配置 OneBot 连接（ONEBOT_WS_URLS），机器人不会收到任何消息；见 README 的 .env 设置")

    nonebot.load_plugins("plugins")
    nonebot.run()


if __name__ == "__main__":
    main()
