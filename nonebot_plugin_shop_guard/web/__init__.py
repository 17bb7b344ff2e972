from nonebot import require

require("nonebot_plugin_shop_guard.runtime")

from nonebot import get_driver, get_plugin_config, logger
from nonebot.plugin import PluginMetadata

from bot.commands.catalogue import command
from bot.settings import Settings
from nonebot_plugin_shop_guard.runtime import pool
from shop_guard_chat import SUPPORTED_ADAPTERS, command_matcher
from web import WebServer, create_app

from .flows import do_api_key, do_dashboard_link

__plugin_meta__ = PluginMetadata(
    name="接口与后台",
    description="店铺系统用的 HTTP API 和网页后台：私聊 /令牌 拿 API 密钥，/后台 拿一次性登录链接",
    usage="\n".join(command(name).usage for name in ("令牌", "后台")),
    type="application",
    config=Settings,
    supported_adapters=SUPPORTED_ADAPTERS,
)

settings = get_plugin_config(Settings)
driver = get_driver()
_server = None


@driver.on_startup
async def start_web() -> None:
    """NoneBot's ~aiohttp driver serves no HTTP: the API and the dashboard run on an
    aiohttp runner of their own, in this process, on WEB_HOST:WEB_PORT."""
    global _server
    if not settings.web_enabled:
        return
    server = WebServer(create_app(pool(), settings, pool().data_dir), settings.web_host, settings.web_port)
    try:
        await server.start()
    except OSError as exc:  # the port is taken: the chat goes on without the web
        logger.error(
            f"网页后台没有启动（{settings.web_host}:{settings.web_port}：{exc.strerror}）；设置 WEB_PORT 换个端口"
        )
        return
    _server = server
    logger.info(f"HTTP API 与网页后台：{settings.public_url}/（本机 {settings.web_host}:{settings.web_port}）")


@driver.on_shutdown
async def stop_web() -> None:
    if _server is not None:
        await _server.stop()


do_api_key(command_matcher("令牌"))
do_dashboard_link(command_matcher("后台"))
