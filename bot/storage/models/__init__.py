"""The tables, one module per aggregate (as zulip splits its models). Tortoise reads
them from MODULES (bot/storage/database.py); nothing imports this package for the
names."""

MODULES = [
    "bot.storage.models.shops",
    "bot.storage.models.reports",
    "bot.storage.models.trust",
    "bot.storage.models.appeals",
    "bot.storage.models.messaging",
    "bot.storage.models.groups",
    "bot.storage.models.cases",
    "bot.storage.models.screening",
    "bot.storage.models.access",
    "bot.storage.models.robots",
    "bot.storage.models.deployment",
]
