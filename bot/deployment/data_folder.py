"""The one data folder: the SQLite pool, the fingerprint key, the dashboard's signing
key, evidence pictures, screening files. The bot, its command-line tools, the systemd
unit and the tests all find it the same way: SHOP_GUARD_DATA_DIR (in .env or the
environment), relative to the folder the bot runs in (the checkout for `python -m
bot`), else `data/` there.

Before this setting, nonebot-plugin-localstore chose the folder (the user's data folder,
or LOCALSTORE_DATA_DIR, plus "storage"). A deployment whose pool is still there keeps
being found there, with a line in the log saying how to move it, until it is moved or
SHOP_GUARD_DATA_DIR names it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.identity.fingerprints import KEY_FILE
from bot.storage.database import SQLITE_FILE

DEFAULT = "data"


@dataclass(frozen=True)
class DataFolder:
    path: Path
    # The folder is the old default, kept because the pool is there and not in `moved_to`.
    legacy: bool = False
    moved_to: Path | None = None
    # The configured folder holds no pool, but the old default folder does (a .env
    # copied from .env.example over an older deployment): said at every start.
    stranded: Path | None = None


def holds_a_pool(folder: Path) -> bool:
    """A SQLite pool or a fingerprint key lives there."""
    return (folder / SQLITE_FILE).exists() or (folder / KEY_FILE).exists()


def data_folder(configured: str | None, home: Path, legacy: Path | None = None) -> DataFolder:
    """Where the data is: the configured folder (relative to `home`), else home/data,
    unless only the old default folder `legacy` holds a pool."""
    if configured:
        path = (home / Path(configured).expanduser()).resolve()
        if legacy is not None and legacy.resolve() != path and holds_a_pool(legacy) and not holds_a_pool(path):
            return DataFolder(path, stranded=legacy.resolve())
        return DataFolder(path)
    default = (home / DEFAULT).resolve()
    if legacy is not None and legacy.resolve() != default and holds_a_pool(legacy) and not holds_a_pool(default):
        return DataFolder(legacy.resolve(), legacy=True, moved_to=default)
    return DataFolder(default)
