"""Pictures: reports per day (the digest) and per week (the dashboard) by category,
rendered locally with matplotlib.

The Chinese labels are drawn with a font shipped in bot/data/fonts: a subset of Noto
Sans CJK SC (SIL Open Font License, bot/data/fonts/OFL.txt) holding the glyphs of the
texts below, made by scripts/build_chart_font.py. Every install draws 差评敲诈, not
boxes and not category codes, whatever fonts the machine has."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from bot import DATA
from bot.messaging.render import SHANGHAI
from bot.scoring.categories import Category

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FONT = DATA / "fonts" / "chart-sc.otf"
DAILY_TITLE = "近 {days} 天举报（按类型）"
WEEKLY_TITLE = "近 {weeks} 周举报（按类型）"


def chart_texts() -> str:
    """Every character a chart may draw (the font subset must hold them all)."""
    labels = "".join(category.label for category in Category)
    titles = DAILY_TITLE + WEEKLY_TITLE + "周"
    return labels + titles + "0123456789-:/.,() abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


@lru_cache(maxsize=1)
def _font_family() -> str:
    from matplotlib import font_manager  # noqa: PLC0415 - matplotlib takes a second to import: at start-up, in a thread

    font_manager.fontManager.addfont(str(FONT))
    return font_manager.FontProperties(fname=str(FONT)).get_name()


def prepare() -> None:
    """Import matplotlib and load the font (about a second of CPU): at start-up, not in
    the first digest round, where it would compete with the chat for the interpreter."""
    _font_family()
    from matplotlib.figure import Figure  # noqa: F401, PLC0415 - loaded now, not in the first digest


def _figure(dates: list[str], counts: Counter[tuple[str, str]], title: str) -> Figure:
    # The object-oriented API, not pyplot: no global figure registry, so it is safe to
    # draw in a worker thread.
    from matplotlib.figure import Figure  # noqa: PLC0415 - matplotlib takes a second to import: at start-up, in a thread
    from matplotlib.ticker import MaxNLocator  # noqa: PLC0415 - matplotlib takes a second to import: at start-up, in a thread

    family = _font_family()
    figure = Figure(figsize=(8, 3.2), dpi=100)
    axes = figure.subplots()
    bottom = [0] * len(dates)
    for category in Category:
        values = [counts[(d, category.value)] for d in dates]
        if any(values):
            axes.bar(dates, values, bottom=bottom, label=category.label)
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    axes.set_title(title, fontfamily=family)
    axes.tick_params(axis="x", labelrotation=45, labelsize=7)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    if any(bottom):
        axes.legend(loc="upper left", prop={"family": family, "size": 7})
    figure.tight_layout()
    return figure


def daily_figure(rows: list[tuple[datetime, str]], now: datetime, days: int) -> Figure:
    """Reports per day over the last `days` days (Beijing dates), stacked by category."""
    today = now.astimezone(SHANGHAI).date()
    labels = [(today - timedelta(days=days - 1 - i)).strftime("%m-%d") for i in range(days)]
    counts: Counter[tuple[str, str]] = Counter()
    for created_at, category in rows:
        counts[(created_at.astimezone(SHANGHAI).strftime("%m-%d"), category)] += 1
    return _figure(labels, counts, DAILY_TITLE.format(days=days))


def reports_chart(rows: list[tuple[datetime, str]], now: datetime, days: int, path: Path) -> Path:
    """The digest's PNG. CPU work (~0.3 s): callers run it in a thread."""
    path.parent.mkdir(parents=True, exist_ok=True)
    daily_figure(rows, now, days).savefig(path)
    return path
