"""The shape DESIGN.md §6 asks for, kept by tests: the database only through bot.queries,
a core that imports no chat framework, plugins that say what they are, usage texts in
one place."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import nonebot

ROOT = Path(__file__).resolve().parent.parent
# Where Tortoise may be imported: the tables, the queries, the database lifecycle and
# the migrations Tortoise writes.
STORAGE = ("bot/queries/", "bot/models.py", "bot/database.py", "bot/migrations/")


def _python_files(*folders: str) -> list[Path]:
    return sorted(path for folder in folders for path in (ROOT / folder).rglob("*.py"))


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_only_the_storage_modules_import_tortoise():
    offenders = [
        str(path.relative_to(ROOT))
        for path in _python_files("bot", "plugins", "web")
        if not str(path.relative_to(ROOT)).startswith(STORAGE)
        and any(name == "tortoise" or name.startswith("tortoise.") for name in _imports(path))
    ]
    assert offenders == []


def test_the_core_imports_without_nonebot():
    # The web front door too (DESIGN.md §6: it imports the core, never NoneBot).
    modules = sorted(
        ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for path in _python_files("bot", "web")
        if path.name != "__main__.py" and "migrations" not in path.parts
    )
    program = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name.removesuffix('.__init__'))\n"
        "print(sorted(m for m in sys.modules if m == 'nonebot' or m.startswith('nonebot.')))\n"
    )
    done = subprocess.run([sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr
    assert len(modules) > 20


def test_every_plugin_declares_its_type_and_adapters():
    import plugins

    for name in plugins.names():
        plugin = nonebot.get_plugin_by_module_name(f"plugins.{name}")
        assert plugin is not None and plugin.metadata is not None, name
        assert plugin.metadata.type in ("application", "library"), name
        assert plugin.metadata.supported_adapters == {"~onebot.v11", "~console"}, name


def test_usage_texts_come_only_from_the_command_catalogue():
    """A refusal never carries a usage of its own: the chat layer adds the one in
    templates/commands.toml (they used to differ for /处理, /联合 and /证据)."""
    offenders = []
    for path in _python_files("bot", "plugins"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and any(k.arg == "usage" for k in node.keywords):
                called = ast.unparse(node.func)
                if called != "render" and "PluginMetadata" not in called:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {called}")
    assert offenders == []
