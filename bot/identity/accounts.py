"""Chat accounts as the core stores them: "<network>:<id>", e.g. "qq:12345". A QQ number
is the same person across every bot instance and group, so accounts are keyed by network,
not by bot. Imported lists are "import:<name>", the terminal chat "console:<user>"."""

from __future__ import annotations

QQ = "qq"
# The actor of the decisions the rules make themselves (a hold, a verification lost to
# removals): shown as 系统.
SYSTEM = "system"


def qq_number(account: str) -> int | None:
    """The QQ number of an account; None for a console user or an imported list, who
    have no private chat."""
    network, _, number = account.partition(":")
    return int(number) if network == QQ and number.isdigit() else None


def qq_account(number: int | str) -> str:
    return f"{QQ}:{number}"


def account(network: str, user_id: str) -> str:
    return f"{network}:{user_id}"
