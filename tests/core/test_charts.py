"""The digest chart draws Chinese category names on any machine (issue: a machine
without a CJK font drew category codes)."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta

from fontTools.ttLib import TTFont
from matplotlib import font_manager

from bot.messaging.charts import FONT, chart_texts, daily_figure, reports_chart
from bot.scoring.categories import Category

NOW = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)


def test_the_shipped_font_holds_every_character_a_chart_draws():
    cmap = TTFont(str(FONT)).getBestCmap()
    assert [ch for ch in set(chart_texts()) if ch != " " and ord(ch) not in cmap] == []


def test_the_legend_is_in_chinese_and_drawn_with_the_shipped_font(tmp_path):
    rows = [(NOW - timedelta(days=1), Category.extortion.value), (NOW, Category.return_fraud.value)]
    figure = daily_figure(rows, NOW, 14)
    legend = figure.axes[0].get_legend()
    labels = [text.get_text() for text in legend.get_texts()]
    assert labels == ["差评敲诈", "恶意退货"]
    for text in [*legend.get_texts(), figure.axes[0].title]:
        assert font_manager.findfont(text.get_fontproperties(), fallback_to_default=False) == str(FONT)
    # No "Glyph … missing from font" while drawing: every character has its glyph.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = reports_chart(rows, NOW, 14, tmp_path / "chart.png")
    assert path.read_bytes().startswith(b"\x89PNG")
