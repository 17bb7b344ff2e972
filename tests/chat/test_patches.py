"""NoneBot's internals are changed in one module only (shop_guard_chat/nonebot_patches.py), each change
undone by undo(), and applied again by apply()."""

import ast

import nonebot.adapters.onebot.v11.adapter as onebot_v11_parsing
import nonebot.internal.adapter.message as nonebot_messages
import nonebot.internal.params as nonebot_params
import nonebot.message as nonebot_dispatch
from nonebot import compat as nonebot_compat
from nonebot.matcher import Matcher

from shop_guard_chat import nonebot_patches as patches
from tests.conftest import ROOT


def test_undo_puts_nonebots_own_code_back_and_apply_patches_it_again():
    assert patches._applied, "the entry plugin applies the patches when it loads"
    patches.undo()
    try:
        assert Matcher.simple_run.__module__ == "nonebot.internal.matcher.matcher"
        assert nonebot_params.run_sync.__module__ == "nonebot.utils"
        assert nonebot_messages.type_validate_python is nonebot_compat.type_validate_python
        assert onebot_v11_parsing.type_validate_python is nonebot_compat.type_validate_python
        assert nonebot_dispatch.check_and_run_matcher.__module__ == "nonebot.message"
    finally:
        patches.apply()
    assert Matcher.simple_run.__module__ == nonebot_params.run_sync.__module__ == "shop_guard_chat.nonebot_patches"
    assert nonebot_dispatch.check_and_run_matcher.__module__ == "shop_guard_chat.nonebot_patches"
    assert nonebot_messages.type_validate_python is patches._validate_python


def test_the_terminal_chat_patch_is_undone_with_the_others():
    from nonechat.components.chatroom.history import ChatHistory

    original = ChatHistory.action_new_message
    patches.apply_console()
    try:
        assert ChatHistory.action_new_message.__module__ == "shop_guard_chat.nonebot_patches"
        patches.apply_console()  # once only
        assert ChatHistory.action_new_message.__closure__[0].cell_contents is original
    finally:
        patches.undo()
        patches.apply()
    assert ChatHistory.action_new_message is original


def test_no_other_module_assigns_to_nonebot():
    """Only shop_guard_chat/nonebot_patches.py writes attributes of NoneBot's modules or classes."""
    offenders = []
    for path in sorted(
        p for folder in ("nonebot_plugin_shop_guard", "shop_guard_chat", "bot") for p in (ROOT / folder).rglob("*.py")
    ):
        if path.name == "nonebot_patches.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        nonebot_names = {
            alias.asname or alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom | ast.Import)
            for alias in node.names
            if (isinstance(node, ast.ImportFrom) and (node.module or "").startswith("nonebot"))
            or alias.name.startswith("nonebot")
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                offenders += [
                    f"{path.relative_to(ROOT)}:{node.lineno}"
                    for target in node.targets
                    if isinstance(target, ast.Attribute)
                    and isinstance(target.value, ast.Name)
                    and target.value.id in nonebot_names
                ]
    assert offenders == []
