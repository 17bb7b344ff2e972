"""电商联防机器人: the application. Where things live:

- identity/    who a buyer is (platforms, buyer ids, fingerprints, redaction, accounts), where
               a subscriber's messages go (places), credentials sealed at rest
- scoring/     the verdict formula, categories, red flags, and which reports count
- commands/    the command catalogue, the request types with their limits, the chat grammar
- storage/     tables, migrations and one module of queries per aggregate (the only door
               to the database)
- blacklist/   binding, reporting, checking: the one function that judges a buyer
- trust/       版主, vouching, bans, appeals, group rules, web credentials, robots and
               account links (who may register them)
- screening/   order exports, the blacklist's import and export, chat and order
               screenshots (OCR in a worker process, the reading, checks and proposed
               reports)
- messaging/   templates, alerts, digests, the paced outbox, the webhook robots' rules
- cases/       guided handling flows, joint cases, evidence, reply scripts
- deployment/  the one data folder, the fingerprint key's guard, backup and restore, the
               doctor (python -m bot backup|restore|doctor|accept-key)

The core knows nothing about chat or HTTP (DESIGN.md §6): nonebot_plugin_shop_guard/ and
web/ are its front doors; tests/core/test_structure.py says which package may import which.
"""

from pathlib import Path

_HERE = Path(__file__).resolve().parent
# Shipped with the code: the phone-prefix table, the red flags, the chart font.
DATA = _HERE / "data"
# Every word the bot says. In the repository templates/ sits beside bot/; an installed
# wheel carries it as bot/templates (pyproject.toml).
TEMPLATES = _HERE / "templates" if (_HERE / "templates").is_dir() else _HERE.parent / "templates"
