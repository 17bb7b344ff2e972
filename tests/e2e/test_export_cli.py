"""Each real export shape through the command line (python -m bot screen)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests import export_fixtures as fx

FORMATS: dict[str, tuple[Callable[[], bytes], str, str]] = {
    # name: (fixture, file name, the label the summary names)
    "taobao": (fx.taobao, "ExportOrderList202611.csv", "淘宝/天猫订单导出（ExportOrderList）"),
    "qianniu": (fx.qianniu, "千牛订单报表.xlsx", "千牛订单报表（多工作表）"),
    "pdd": (fx.pinduoduo, "拼多多订单.csv", "拼多多订单导出"),
    "jd": (fx.jd, "京东订单.csv", "京东订单导出"),
    "douyin": (fx.douyin, "抖店订单.csv", "抖店订单导出"),
}


# What each file must come to against the pool planted below.
EXPECTED: dict[str, dict[str, Any]] = {
    "taobao": {"platform": "taobao", "rows": 4, "matched": {"account": 1, "phone": 1, "address": 1}, "damaged": 1},
    "qianniu": {"platform": "taobao", "rows": 3, "matched": {"account": 1, "phone": 1, "address": 0}, "damaged": 0},
    "pdd": {"platform": "pdd", "rows": 3, "matched": {"account": 0, "phone": 0, "address": 1}, "damaged": 0},
    "jd": {"platform": "jd", "rows": 2, "matched": {"account": 1, "phone": 0, "address": 1}, "damaged": 0},
    "douyin": {"platform": "douyin", "rows": 2, "matched": {"account": 0, "phone": 1, "address": 0}, "damaged": 0},
}


@pytest.mark.parametrize("name", list(FORMATS))
def test_each_export_through_the_command_line(tmp_path: Path, name: str):
    fixture, file_name, label = FORMATS[name]
    path = tmp_path / file_name
    path.write_bytes(fixture())
    env = {**os.environ, "SHOP_GUARD_DATA_DIR": str(tmp_path / "data")}
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "bot", "screen", str(path)], cwd=str(tmp_path), env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert f"，{label}，共 {EXPECTED[name]['rows']} 笔订单" in done.stdout, done.stdout
    assert (tmp_path / (path.stem + ".screened.csv")).exists()
