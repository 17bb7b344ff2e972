"""The shape DESIGN.md §6 asks for, kept by tests: which package of the core may import
which, the database only through bot.storage, a core that imports no chat framework, no
import cycle, plugins that say what they are, usage texts and sentences in templates/."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import nonebot

from tests.conftest import ROOT

# What each part of bot/ may import of bot/ (besides itself). The floor first: the
# top-level modules (errors, clock, states, settings, the package's paths) import nothing
# of the bot; identity and scoring are pure; storage speaks their words; the domains
# stand on storage; pool, cli and __main__ put it all together.
FLOOR = {"bot", "bot.errors", "bot.clock", "bot.states", "bot.settings"}
ALLOWED: dict[str, set[str]] = {
    "bot.errors": set(),
    "bot.clock": set(),
    "bot.states": set(),
    "bot.settings": set(),
    "bot.loopwatch": set(),
    "bot.identity": FLOOR,
    "bot.scoring": FLOOR | {"bot.identity"},
    "bot.commands": FLOOR | {"bot.identity", "bot.scoring", "bot.cases.flows"},
    "bot.storage": FLOOR | {"bot.identity", "bot.scoring"},
    "bot.messaging": FLOOR | {"bot.identity", "bot.scoring", "bot.storage"},
    "bot.blacklist": FLOOR | {"bot.identity", "bot.scoring", "bot.commands", "bot.storage"},
    "bot.cases": FLOOR | {"bot.identity", "bot.scoring", "bot.storage", "bot.messaging"},
    "bot.trust": FLOOR
    | {"bot.identity", "bot.scoring", "bot.commands", "bot.storage", "bot.messaging", "bot.blacklist", "bot.cases"},
    "bot.screening": FLOOR
    | {"bot.identity", "bot.scoring", "bot.commands", "bot.storage", "bot.messaging", "bot.blacklist"},
    # Running it as a deployment: the data folder, the key guard, backups, the doctor.
    "bot.deployment": FLOOR | {"bot.identity", "bot.storage", "bot.messaging", "bot.trust"},
    # The assembly and the command line: everything.
    "bot.pool": {"*"},
    "bot.cli": {"*"},
    # The robot subcommand of the command line (issue #28), beside cli for an easy merge.
    "bot.robot_cli": {"*"},
    "bot.__main__": {"*"},
}
# Where Tortoise may be imported: the storage package (tables, queries, migrations).
STORAGE = "bot/storage/"


def _python_files(*folders: str) -> list[Path]:
    return sorted(path for folder in folders for path in (ROOT / folder).rglob("*.py"))


def _module(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def _imports(path: Path, top_level_only: bool = False) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else ast.walk(tree)
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            # `from bot.storage import shops`: the module imported is bot.storage.shops.
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _part(module: str) -> str:
    """The part of bot/ a module belongs to: its package, or itself at the top level."""
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else module


def _in(module: str, allowed: set[str]) -> bool:
    # "bot" is the package's own file (its paths), not everything under it.
    return "*" in allowed or any(module == a or (a != "bot" and module.startswith(a + ".")) for a in allowed)


def _known_bot_modules() -> set[str]:
    return {_module(path) for path in _python_files("bot")}


def test_each_package_imports_only_the_layers_below_it():
    known = _known_bot_modules()
    offenders = []
    for path in _python_files("bot"):
        module = _module(path)
        if module == "bot" or "migrations" in module:
            continue
        part = _part(module)
        allowed = ALLOWED.get(part)
        assert allowed is not None, f"{part} is not in tests/test_structure.py's ALLOWED"
        for imported in _imports(path):
            if imported not in known or _part(imported) == part:
                continue
            if not _in(imported, allowed):
                offenders.append(f"{module} imports {imported}")
    assert offenders == []


def test_bot_has_few_top_level_modules_and_named_packages():
    modules = sorted(p.name for p in (ROOT / "bot").glob("*.py"))
    packages = sorted(p.name for p in (ROOT / "bot").iterdir() if (p / "__init__.py").exists())
    assert len(modules) <= 12, modules
    assert packages == [
        "blacklist",
        "cases",
        "commands",
        "deployment",
        "identity",
        "messaging",
        "scoring",
        "screening",
        "storage",
        "trust",
    ]
    # Every part of bot/ has its rule above.
    assert {_part(_module(p)) for p in _python_files("bot") if "migrations" not in p.parts} - {"bot"} <= set(ALLOWED)


def test_no_import_cycle_between_modules():
    """Imports at module level (what runs when a module is imported) form no cycle; a
    lazy import inside a function is allowed where it says why (ruff PLC0415)."""
    known = _known_bot_modules() | {
        _module(p) for p in _python_files("web", "nonebot_plugin_shop_guard", "shop_guard_chat")
    }
    graph = {
        _module(path): {m for m in _imports(path, top_level_only=True) if m in known and m != _module(path)}
        for path in _python_files("bot", "web", "nonebot_plugin_shop_guard", "shop_guard_chat")
    }
    # A package imports its own submodules' names in __init__ only by design (none do).
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if nxt.startswith(node + ".") and node in ("bot", "web", "nonebot_plugin_shop_guard", "shop_guard_chat"):
                continue  # `from bot import TEMPLATES` is the package's own file
            if state.get(nxt) == 1:
                cycles.append([*trail[trail.index(nxt) :], nxt] if nxt in trail else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_only_the_storage_package_imports_tortoise():
    offenders = [
        str(path.relative_to(ROOT))
        for path in _python_files("bot", "nonebot_plugin_shop_guard", "shop_guard_chat", "web")
        if not str(path.relative_to(ROOT)).startswith(STORAGE)
        and any(name == "tortoise" or name.startswith("tortoise.") for name in _imports(path))
    ]
    assert offenders == []


def test_no_orm_call_outside_storage():
    """Model methods that reach the database (save, delete, refresh, filter, create…) are
    called only in bot/storage/."""
    orm = re.compile(
        r"await [a-z_.]+\.(save|delete|refresh_from_db|fetch_related)\(|await [A-Z]\w+\.(filter|get|get_or_none|create|all|exists)\("
    )
    offenders = []
    for path in _python_files("bot", "nonebot_plugin_shop_guard", "shop_guard_chat", "web"):
        if str(path.relative_to(ROOT)).startswith(STORAGE):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if orm.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_the_core_imports_without_nonebot():
    # The web front door too (DESIGN.md §6: it imports the core, never NoneBot).
    modules = sorted(
        _module(path)
        for path in _python_files("bot", "web")
        if path.name != "__main__.py" and "migrations" not in path.parts
    )
    program = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m == 'nonebot' or m.startswith('nonebot.')))\n"
    )
    done = subprocess.run([sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr
    assert len(modules) > 40


def test_every_plugin_declares_its_type_and_adapters():
    import nonebot_plugin_shop_guard

    for name in nonebot_plugin_shop_guard.names():
        plugin = nonebot.get_plugin_by_module_name(f"nonebot_plugin_shop_guard.{name}")
        assert plugin is not None and plugin.metadata is not None, name
        assert plugin.metadata.type in ("application", "library"), name
        assert plugin.metadata.supported_adapters == {"~onebot.v11", "~console", "~qq"}, name


def test_usage_texts_come_only_from_the_command_catalogue():
    """A refusal never carries a usage of its own: the chat layer adds the one in
    templates/commands.toml (they used to differ for /处理, /联合 and /证据)."""
    offenders = []
    for path in _python_files("bot", "nonebot_plugin_shop_guard", "shop_guard_chat"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and any(k.arg == "usage" for k in node.keywords):
                called = ast.unparse(node.func)
                if called not in ("render", "explain") and "PluginMetadata" not in called:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {called}")
    assert offenders == []


# Words in Python that are vocabulary, not sentences the bot says: column headers and
# export formats merchants' files use, regular expressions over addresses, the API's own
# documentation, and what the command line and the log tell the operator.
_VOCABULARY_FILES = {
    "bot/screening/columns.py",  # headers of the exports, as the back offices write them
    "bot/screening/formats.py",  # names of the export formats, and their headers
    "bot/screening/pool_files.py",  # headers of a blacklist spreadsheet and of the export
    "bot/identity/text.py",  # province and street words of the address redaction
    "bot/identity/regions.py",
    "bot/messaging/charts.py",  # the chart's titles, which the font subset must hold
    "web/openapi.py",  # the API's documentation
}
_OPERATOR_OBJECTS = ("logger.", "log.", "logging.")
_OPERATOR_CALLS = {"warn", "info", "PluginMetadata", "add_argument", "add_parser", "ArgumentParser"}
_SENTENCE = re.compile(r"[，。：！？；]|[\u4e00-\u9fff]{10,}")


def test_every_sentence_the_bot_says_is_in_templates():
    """Replies, web pages and API messages come from templates/ (DESIGN.md §5), so their
    words change without code: a Chinese sentence in Python is one that cannot."""
    offenders = []
    for path in _python_files("bot", "nonebot_plugin_shop_guard", "shop_guard_chat", "web"):
        relative = str(path.relative_to(ROOT))
        if relative in _VOCABULARY_FILES or "migrations" in path.parts:
            continue
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        spoken_by_operator: set[int] = set()
        for node in ast.walk(tree):
            called = ast.unparse(node.func) if isinstance(node, ast.Call) else ""
            if called and (
                any(name in called for name in _OPERATOR_OBJECTS)
                or called.rsplit(".", 1)[-1] in _OPERATOR_CALLS
                or called.startswith("re.")  # a pattern of what merchants type
            ):
                spoken_by_operator.update(id(inner) for inner in ast.walk(node))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docstrings
                and id(node) not in spoken_by_operator
                and _SENTENCE.search(node.value)
                and re.search(r"[\u4e00-\u9fff]", node.value)
            ):
                offenders.append(f"{relative}:{node.lineno}: {node.value[:40]!r}")
    assert offenders == []
