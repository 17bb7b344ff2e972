"""Regenerate bot/data/fonts/chart-sc.otf: the glyphs the charts draw (bot.charts.
chart_texts), cut out of Noto Sans CJK SC, so that every install draws Chinese labels
without a system CJK font or an 85 MB font package.

    apt-get download fonts-noto-cjk && dpkg-deb -x fonts-noto-cjk_*.deb noto
    python scripts/build_chart_font.py noto/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc

Noto Sans CJK is under the SIL Open Font License 1.1 (bot/data/fonts/OFL.txt), which
allows subsetting and redistribution; the subset is renamed, as the licence asks of
modified versions.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection, TTFont

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.messaging.charts import FONT, chart_texts  # noqa: E402

FAMILY = "ShopGuard Chart SC"


def load(path: Path) -> TTFont:
    if path.suffix.lower() == ".ttc":
        for font in TTCollection(str(path)).fonts:
            if font["name"].getDebugName(1) == "Noto Sans CJK SC":
                return font
        raise SystemExit(f"no Noto Sans CJK SC in {path}")
    return TTFont(str(path))


def main(source: str) -> None:
    font = load(Path(source))
    options = subset.Options()
    options.name_IDs = ["*"]
    options.layout_features = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=chart_texts())
    subsetter.subset(font)
    names = font["name"]
    for record in names.names:
        if record.nameID in (1, 4, 16):
            record.string = FAMILY
        elif record.nameID == 6:
            record.string = FAMILY.replace(" ", "")
    FONT.parent.mkdir(parents=True, exist_ok=True)
    font.save(str(FONT))
    print(f"{FONT} ({FONT.stat().st_size:,} bytes, {len(set(chart_texts()))} characters)")


if __name__ == "__main__":
    main(sys.argv[1])
