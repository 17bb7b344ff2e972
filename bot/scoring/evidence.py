"""What is known about one buyer, put together the same way for every door: the reports
on the buyer's own account, and those on other accounts that share a phone or address
with it (the buyer's own reports' hashes, and the clues given with the check or read
from an order). Pure: bot/blacklist/verdicts.py fetches, this assembles and judges.

Each linked report counts once, as a phone link when both its phone and its address
match (the stronger tie); each linked account is named once; and a check of an order
(`flags` given, even empty) gets the shared_identity flag when any account is linked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.identity.platforms import Platform
from bot.scoring.red_flags import RedFlag, flag
from bot.scoring.verdict import LinkedAccount, ReportFact, Verdict, judge


@dataclass(frozen=True, slots=True)
class LinkedReport:
    """A report found by a phone or address hash, with the account it is on."""

    fact: ReportFact
    platform: str
    buyer_key: str


@dataclass(slots=True)
class OwnReports:
    """A buyer in the pool: its id, whether an appeal is open, its active reports, and
    the phone and address hashes those reports carry."""

    buyer_id: int
    appeal_open: bool
    platform: str = ""
    buyer_key: str = ""
    facts: list[ReportFact] = field(default_factory=list)
    phones: set[str] = field(default_factory=set)
    addresses: set[str] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class Subject:
    """Whom a check is about: an account on a platform ("" where only the phone or the
    address is known, as in a 拼多多 export), and the hashes of the clues given with it."""

    platform: str
    buyer_key: str
    phones: frozenset[str] = frozenset()
    addresses: frozenset[str] = frozenset()


@dataclass(slots=True)
class Evidence:
    own: list[ReportFact]
    linked: list[LinkedReport]
    appeal_open: bool = False


def hashes_to_look_up(subject: Subject, own: OwnReports | None) -> tuple[set[str], set[str]]:
    """The phone and address hashes whose reports belong in this subject's evidence."""
    phones, addresses = set(subject.phones), set(subject.addresses)
    if own is not None:
        phones |= own.phones
        addresses |= own.addresses
    return phones, addresses


def assemble(subject: Subject, own: OwnReports | None, by_hash: Mapping[str, list[LinkedReport]]) -> Evidence:
    """The subject's evidence from its own reports and the reports found by hash."""
    phones, addresses = hashes_to_look_up(subject, own)
    # The buyer's own reports are in `own` already (a buyer not in the pool has none).
    own_id = own.buyer_id if own is not None else None
    linked: dict[int, LinkedReport] = {}
    # Phone links first: a report linked both ways counts once, as a phone link.
    for hashes in (phones, addresses):
        for digest in sorted(hashes):
            for found in by_hash.get(digest, ()):
                if found.fact.buyer_id != own_id:
                    linked.setdefault(found.fact.report_id, found)
    return Evidence(
        own.facts if own is not None else [],
        [linked[report_id] for report_id in sorted(linked)],
        own.appeal_open if own is not None else False,
    )


def linked_accounts(linked: Iterable[LinkedReport]) -> list[LinkedAccount]:
    """Each linked account once, by its strongest tie (phone before address)."""
    accounts: dict[tuple[str, str], str] = {}
    for found in linked:
        key = (found.platform, found.buyer_key)
        if accounts.get(key) != "phone":
            accounts[key] = found.fact.linked_by or "address"
    return [
        LinkedAccount(buyer_key, Platform(platform).label, by) for (platform, buyer_key), by in sorted(accounts.items())
    ]


def judge_evidence(evidence: Evidence, now: datetime, flags: Sequence[RedFlag] | None = None) -> Verdict:
    """The verdict on a buyer's evidence. flags=None: the blacklist alone (what a
    decision or an alert looks at); a sequence, even empty: a check of an order, where
    the order's red flags count too and a linked account is itself a flag."""
    accounts = linked_accounts(evidence.linked)
    red = list(flags or ())
    if accounts and flags is not None:
        red.append(flag("shared_identity"))
    facts = evidence.own + [found.fact for found in evidence.linked]
    return judge(facts, now, accounts, red, appeal_open=evidence.appeal_open)
