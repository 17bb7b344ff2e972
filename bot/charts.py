"""The digest's picture: reports per day by category, rendered locally with matplotlib."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

from bot.categories import Category
from bot.render import SHANGHAI


@lru_cache(maxsize=1)
def _cjk_font() -> str | None:
    """A font that can draw Chinese, if the machine has one; otherwise the legend uses
    the category codes rather than boxes."""
    from matplotlib import font_manager

    for font in font_manager.fontManager.ttflist:
        if any(
            key in font.name
            for key in (
                "Noto Sans CJK",
                "Noto Sans SC",
                "WenQuanYi",
                "SimHei",
                "Source Han",
                "Microsoft YaHei",
                "PingFang",
            )
        ):
            return font.name
    return None


def reports_chart(rows: list[tuple[datetime, str]], now: datetime, days: int, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    today = now.astimezone(SHANGHAI).date()
    dates = [today - timedelta(days=days - 1 - i) for i in range(days)]
    counts: Counter = Counter()
    for created_at, category in rows:
        counts[(created_at.astimezone(SHANGHAI).date(), category)] += 1
    font = _cjk_font()
    figure, axes = plt.subplots(figsize=(8, 3.2), dpi=100)
    bottom = [0] * days
    for category in Category:
        values = [counts[(d, category.value)] for d in dates]
        if any(values):
            label = category.label if font else category.value
            axes.bar([d.strftime("%m-%d") for d in dates], values, bottom=bottom, label=label)
            bottom = [b + v for b, v in zip(bottom, values)]
    if font:
        plt.rcParams["font.family"] = font
    axes.set_title("14 days: reports by category" if not font else "近 14 天举报（按类型）")
    axes.tick_params(axis="x", labelrotation=45, labelsize=7)
    axes.yaxis.get_major_locator().set_params(integer=True)
    if any(bottom):
        axes.legend(fontsize=7, loc="upper left")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
    return path
