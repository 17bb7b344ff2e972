"""The bot as NoneBot projects load it: `nb run` from the checkout reads pyproject's
[tool.nonebot] (nb-cli registers its adapters, then nonebot.load_from_toml), and a host
project lists "nonebot_plugin_shop_guard" among its own plugins. Each in a fresh
process, as nb-cli starts one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.conftest import ROOT

# What nb-cli's run script does (nb_cli/template/scripts/project/_prepare.py.jinja):
# import and register each adapter of [tool.nonebot.adapters], then load_from_toml.
NB_RUN = textwrap.dedent(
    """
    import importlib, json, tomllib
    import nonebot
    nonebot.init(driver="~none")
    driver = nonebot.get_driver()
    with open("pyproject.toml", "rb") as file:
        section = tomllib.load(file)["tool"]["nonebot"]
    adapters = section.get("adapters", {})
    for adapter in (adapters.values() if isinstance(adapters, dict) else [adapters]):
        for info in adapter:
            driver.register_adapter(importlib.import_module(info["module_name"]).Adapter)
    nonebot.load_from_toml("pyproject.toml")
    print(json.dumps({
        "plugins": sorted(plugin.id_ for plugin in nonebot.get_loaded_plugins()),
        "adapters": {name: type(adapter).__module__ for name, adapter in nonebot.get_adapters().items()},
    }))
    """
)


def _load(cwd: Path, tmp_path: Path) -> dict[str, object]:
    # The project's packages on sys.path, as a regular install puts them: NoneBot finds a
    # plugin's modules through sys.path (this checkout's editable install hides them
    # behind an import hook of setuptools, which NoneBot's plugin loader cannot see).
    env = {
        **os.environ,
        "SHOP_GUARD_DATA_DIR": str(tmp_path / "data"),
        "PYTHONPATH": os.pathsep.join((str(cwd), str(ROOT))),
    }
    done = subprocess.run([sys.executable, "-c", NB_RUN], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_nb_run_loads_the_bot_from_the_checkout(tmp_path: Path):
    loaded = _load(ROOT, tmp_path)
    plugins = loaded["plugins"]
    assert isinstance(plugins, list)
    assert "nonebot_plugin_shop_guard" in plugins
    assert {"nonebot_plugin_shop_guard:entry", "nonebot_plugin_shop_guard:check"} <= set(plugins)
    # The adapter with the message entry's door in front of its parser.
    assert loaded["adapters"] == {"OneBot V11": "shop_guard_chat.onebot_v11"}


def test_a_host_project_loads_it_beside_its_own_plugins(tmp_path: Path):
    host = tmp_path / "host"
    (host / "src" / "plugins" / "echo").mkdir(parents=True)
    (host / "src" / "plugins" / "echo" / "__init__.py").write_text(
        "from nonebot import on_message\n\necho = on_message(priority=50, block=False)\n", encoding="utf-8"
    )
    # The README's lines for a host project (nb-cli's format; the stock adapter).
    (host / "pyproject.toml").write_text(
        textwrap.dedent(
            """
            [tool.nonebot]
            plugin_dirs = ["src/plugins"]
            builtin_plugins = []

            [tool.nonebot.adapters]
            nonebot-adapter-onebot = [{ name = "OneBot V11", module_name = "nonebot.adapters.onebot.v11" }]

            [tool.nonebot.plugins]
            "@local" = ["nonebot_plugin_shop_guard"]
            """
        ),
        encoding="utf-8",
    )
    loaded = _load(host, tmp_path)
    plugins = loaded["plugins"]
    assert isinstance(plugins, list)
    assert "echo" in plugins and "nonebot_plugin_shop_guard:entry" in plugins
