"""Command-line tools on the same pool the bot uses (same .env, same data folder):

python -m bot screen <订单导出.csv|xlsx> [--platform 淘宝] [--limit 50]
python -m bot import <黑名单.csv|xlsx> --shop <店铺名> [--platform 淘宝]
python -m bot export <输出.csv>
python -m bot web [--host 127.0.0.1] [--port 8080]
python -m bot robot add|list|remove …  (bot/robot_cli.py)
python -m bot doctor
python -m bot backup <备份.tar.gz>
python -m bot restore <备份.tar.gz> [--force]
python -m bot accept-key [--yes]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Any

from tqdm import tqdm

from bot import robot_cli
from bot.clock import utc_now
from bot.deployment.backup import backup, restore
from bot.deployment.data_folder import DataFolder, data_folder
from bot.deployment.doctor import Health, OneBotSetup, examine
from bot.deployment.key_guard import accept_key
from bot.errors import Misconfigured, Refused
from bot.identity.accounts import qq_account
from bot.identity.fingerprints import KEY_FILE, load_secret
from bot.identity.platforms import Platform, parse_platform
from bot.identity.text import excerpt
from bot.messaging.render import explain, label, render
from bot.pool import close_pool, open_pool
from bot.screening.matching import screen
from bot.screening.pool_files import export_pool, import_blacklist
from bot.screening.results import ReasonLines, outcome, summary, write_result
from bot.screening.sheets import refuse_if_too_large
from bot.settings import Settings
from bot.storage.database import database, sqlite_url

COMMANDS = ("screen", "import", "export", "web", "robot", "doctor", "backup", "restore", "accept-key")


def _platform(word: str) -> Platform:
    platform = parse_platform(word)
    if platform is None:
        raise argparse.ArgumentTypeError(render("cli/platform_unknown.j2", word=excerpt(word)))
    return platform


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="电商联防机器人：命令行工具")
    sub = parser.add_subparsers(dest="command", required=True)
    screen = sub.add_parser("screen", help="筛查一份订单导出（CSV/XLSX），结果写在原文件旁边")
    screen.add_argument("file", type=Path)
    screen.add_argument("--platform", type=_platform, default=Platform.taobao, help="订单所在平台（默认淘宝）")
    screen.add_argument("--limit", type=int, default=50, help="屏幕上最多列出多少笔需要留意的订单")
    imp = sub.add_parser("import", help="把群里的黑名单表格导入为某个店铺的举报（重复导入不会重复记录）")
    imp.add_argument("file", type=Path)
    imp.add_argument("--shop", required=True, help="这些举报记在哪个店铺名下")
    imp.add_argument(
        "--platform", type=_platform, default=Platform.taobao, help="表格没有「平台」列时的平台（默认淘宝）"
    )
    imp.add_argument(
        "--verified-by",
        metavar="版主QQ号",
        help="版主为这份名单担保：导入的店铺算作已认证（默认不认证：一份导入的名单只算一个未认证来源）",
    )
    exp = sub.add_parser("export", help="把共享黑名单（打码）导出为 CSV")
    exp.add_argument("file", type=Path)
    web = sub.add_parser("web", help="只运行 HTTP API 和网页后台（多个进程共用 PostgreSQL 时）；Ctrl+C 停止")
    web.add_argument("--host", help="默认 WEB_HOST（127.0.0.1）")
    web.add_argument("--port", type=int, help="默认 WEB_PORT（8080）")
    robot_cli.add_parser(sub)
    _deployment_commands(sub)
    return parser


def _deployment_commands(sub: Any) -> None:
    sub.add_parser("doctor", help="检查部署的设置：OneBot 连接、网页外部地址、数据库、指纹密钥、数据目录、图表字体")
    backup = sub.add_parser(
        "backup", help="把数据库、指纹密钥、证据图片和设置说明写进一个备份文件（机器人运行时也可以）"
    )
    backup.add_argument("file", type=Path, help="备份文件，例如 shop-guard-备份.tar.gz")
    restore = sub.add_parser("restore", help="从备份文件恢复（先停掉机器人）")
    restore.add_argument("file", type=Path)
    restore.add_argument("--force", action="store_true", help="这里已经有数据时也覆盖（旧的 SQLite 文件改名留着）")
    accept = sub.add_parser("accept-key", help="原来的指纹密钥确实找不回时：让数据库改认现在的密钥")
    accept.add_argument("--yes", action="store_true", help="确定：旧的手机号/地址指纹从此作废")


async def _serve(settings: Any, data_dir: Path, host: str | None, port: int | None) -> int:
    """The web front door alone: the same pool, its own screening workers; chat messages
    it causes wait in the outbox for a bot process to send."""
    from web import WebServer, create_app  # noqa: PLC0415 - the HTTP front door, for `python -m bot web` only

    pool = await open_pool(settings, data_dir, warn=lambda m: print(m, file=sys.stderr), info=print)
    await pool.screenings.resume()
    server = WebServer(create_app(pool, settings, data_dir), host or settings.web_host, port or settings.web_port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await server.start()
        print(render("cli/web_serving.j2", host=server.host, port=server.port), flush=True)
        await stop.wait()
    finally:
        await server.stop()
        await close_pool(pool)
    return 0


def open_settings(init: bool = True) -> tuple[Settings, DataFolder, OneBotSetup]:
    """NoneBot is initialised (no driver) only to read .env as the running bot does:
    the same settings, the same data folder, the same OneBot connection. `python -m bot`
    has initialised it already (init=False)."""
    import nonebot  # noqa: PLC0415 - bot/ imports without NoneBot; only the CLI reads .env through it
    from nonebot.adapters.onebot.v11.config import Config as OneBotConfig  # noqa: PLC0415 - as above

    if init:
        nonebot.init(driver="~none", log_level="WARNING")
    nonebot.require("nonebot_plugin_localstore")
    import nonebot_plugin_localstore as localstore  # noqa: PLC0415 - loadable only after nonebot.init()

    settings = nonebot.get_plugin_config(Settings)
    # Where the runtime plugin finds it (nonebot_plugin_shop_guard/runtime): the same rule.
    folder = data_folder(settings.shop_guard_data_dir, Path.cwd(), localstore.BASE_DATA_DIR / "storage")
    config = nonebot.get_driver().config
    onebot = nonebot.get_plugin_config(OneBotConfig)
    setup = OneBotSetup(
        [str(url) for url in onebot.onebot_ws_urls],
        onebot.onebot_access_token,
        _serves_reverse(),
        f"{config.host}:{config.port}",
    )
    return settings, folder, setup


def _serves_reverse() -> bool:
    """The bot's DRIVER (the environment, then .env; `python -m bot` defaults to the
    ~aiohttp client) is a server one: the QQ client connects to the bot."""
    from dotenv import dotenv_values  # noqa: PLC0415 - NoneBot's own dependency, read here only

    dotenv = dotenv_values(Path.cwd() / ".env") if (Path.cwd() / ".env").exists() else {}
    driver = os.environ.get("DRIVER") or dotenv.get("DRIVER") or dotenv.get("driver") or ""
    return any(name in driver for name in ("fastapi", "quart", "~websockets", "~httpx+~websockets"))


class Bar:
    """A tqdm progress bar per stage, on a terminal only."""

    def __init__(self) -> None:
        self._bar: Any = None
        self._stage: str | None = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self._stage:
            self.close()
            self._stage = stage
            self._bar = tqdm(
                total=total, desc=label(stage, "ScreeningStage"), unit="行", file=sys.stderr, disable=None, leave=False
            )
        self._bar.n = done
        self._bar.refresh()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


async def _run(args: argparse.Namespace) -> int:
    settings, folder, onebot = open_settings()
    data_dir = folder.path
    if folder.legacy and args.command != "doctor":
        print(render("deployment/legacy_folder.j2", folder=folder.path, moved_to=folder.moved_to), file=sys.stderr)
    if folder.stranded and args.command != "doctor":
        print(render("deployment/stranded_folder.j2", folder=folder.path, stranded=folder.stranded), file=sys.stderr)
    try:
        if args.command in DEPLOYMENT_COMMANDS:
            return await _deployment(args, settings, folder, onebot)
        if args.command == "web":
            return await _serve(settings, data_dir, args.host, args.port)
    except Refused as refusal:
        print(render(refusal.template, **refusal.context), file=sys.stderr)
        return EX_CONFIG if isinstance(refusal, Misconfigured) else 1
    if args.command in ("screen", "import") and not args.file.is_file():
        print(render("cli/no_file.j2", path=args.file), file=sys.stderr)
        return 2
    try:
        pool = await open_pool(settings, data_dir, warn=lambda m: print(m, file=sys.stderr), info=lambda m: None)
    except Misconfigured as refusal:
        print(render(refusal.template, **refusal.context), file=sys.stderr)
        return EX_CONFIG
    blacklist = pool.blacklist
    try:
        if args.command == "robot":
            return await robot_cli.run(args, pool)
        if args.command in ("screen", "import"):
            # The limits come before the work: a file over them is not even read.
            refuse_if_too_large(args.file.name, args.file.stat().st_size)
        if args.command == "screen":
            bar = Bar()
            report = await screen(
                args.file.read_bytes(), args.file.name, args.platform, blacklist.fingerprinter, blacklist.clock(), bar
            )
            bar.close()
            result_path = args.file.with_name(args.file.stem + ".screened.csv")
            lines = ReasonLines()
            write_result(report, result_path, lines)
            print(summary(outcome(report, lines, args.limit), args.limit, str(result_path)))
        elif args.command == "import":
            bar = Bar()
            imported = await import_blacklist(
                args.file.read_bytes(),
                args.file.name,
                args.shop,
                blacklist,
                args.platform,
                lambda d, t: bar("导入", d, t),
                verified_by=qq_account(args.verified_by) if args.verified_by else None,
            )
            bar.close()
            print(render("cli/imported.j2", report=imported))
        else:
            count = await export_pool(args.file)
            print(render("cli/exported.j2", count=count, path=args.file))
    except Refused as refusal:
        print(explain(refusal), file=sys.stderr)
        return 1
    finally:
        await close_pool(pool)
    return 0


DEPLOYMENT_COMMANDS = ("doctor", "backup", "restore", "accept-key")
# sysexits.h: a configuration error (the key does not fit the database…).
EX_CONFIG = 78


async def _deployment(args: argparse.Namespace, settings: Settings, folder: DataFolder, onebot: OneBotSetup) -> int:
    """doctor, backup, restore, accept-key: the deployment's own commands (bot/deployment)."""
    data_dir = folder.path
    if args.command == "doctor":
        findings = await examine(settings, folder, onebot)
        lines = [
            (
                found.health.value,
                render(f"deployment/doctor/{found.check}.j2", health=found.health.value, **found.context),
            )
            for found in findings
        ]
        problems = sum(found.health is Health.problem for found in findings)
        warnings = sum(found.health is Health.warning for found in findings)
        print(render("deployment/doctor.j2", lines=lines, problems=problems, warnings=warnings))
        return 1 if problems else 0
    if args.command == "restore":
        if not args.file.is_file():
            print(render("cli/no_file.j2", path=args.file), file=sys.stderr)
            return 2
        restored = await restore(args.file, settings, data_dir, utc_now(), force=args.force)
        print(render("cli/restored.j2", restored=restored, folder=data_dir))
        return 0
    if args.command == "accept-key":
        context = {"key_file": data_dir / KEY_FILE, "configured": bool(settings.identity_hash_secret)}
        if not args.yes:
            print(render("cli/accept_key.j2", done=False, **context))
            return 1
        await database.start(settings.database_url or sqlite_url(data_dir))
        try:
            _, fingerprints = await accept_key(settings.identity_hash_secret, data_dir, utc_now())
        finally:
            await database.stop()
        print(render("cli/accept_key.j2", done=True, fingerprints=fingerprints, **context))
        return 0
    # backup: through the key guard, so that an archive never pairs a pool with a key
    # that does not fit it.
    pool = await open_pool(settings, data_dir, warn=lambda m: print(m, file=sys.stderr), info=lambda m: None)
    try:
        secret = load_secret(settings.identity_hash_secret, data_dir)
        assert secret is not None  # the guard has made or found it
        made = await backup(args.file, settings, data_dir, secret, utc_now())
    finally:
        await close_pool(pool)
    print(render("cli/backup_made.j2", made=made))
    return 0


def main(argv: list[str]) -> int:
    return asyncio.run(_run(_parser().parse_args(argv)))
