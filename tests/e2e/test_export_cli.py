"""Each real export shape through the command line (python -m bot screen)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import export_fixtures as fx

FORMATS, EXPECTED = fx.FORMATS, fx.EXPECTED


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
