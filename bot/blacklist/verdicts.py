"""The one verdict: every door that judges a buyer comes here. `/查` and the dashboard
ask about one buyer, the API's batch check about a thousand, screening about every
order of an export, and each decision about the buyer it changed; all of them gather
the evidence with the same few statements and judge it with the same function
(bot/scoring/evidence.py), so that they cannot disagree.

Screening fetches in stretches while it reads a file (bot/screening/matching.py) and
then judges with `judge_subject`, the same assembly as here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import datetime

from bot.scoring.evidence import (
    LinkedReport,
    OwnReports,
    Subject,
    assemble,
    hashes_to_look_up,
    judge_evidence,
)
from bot.scoring.red_flags import RedFlag
from bot.scoring.verdict import Verdict
from bot.storage.reports import own_reports_by_ids, own_reports_by_keys, reports_by_hashes

# A batch of a thousand buyers gives way to the chat this often.
YIELD_EVERY = 200


def judge_subject(
    subject: Subject,
    own: OwnReports | None,
    by_hash: Mapping[str, list[LinkedReport]],
    now: datetime,
    flags: Sequence[RedFlag] | None,
) -> Verdict:
    return judge_evidence(assemble(subject, own, by_hash), now, flags)


async def _by_hash(pairs: Sequence[tuple[Subject, OwnReports | None]]) -> dict[str, list[LinkedReport]]:
    phones: set[str] = set()
    addresses: set[str] = set()
    for subject, own in pairs:
        found_phones, found_addresses = hashes_to_look_up(subject, own)
        phones |= found_phones
        addresses |= found_addresses
    if not phones and not addresses:
        return {}
    # A single buyer's own reports are in `own`: left out of the lookup, not sent back.
    # (In a batch one buyer's reports may link another's: they stay.)
    owners = [own.buyer_id for _, own in pairs if own is not None]
    return await reports_by_hashes(sorted(phones), sorted(addresses), owners if len(pairs) == 1 else ())


async def verdicts(
    subjects: Sequence[Subject], now: datetime, flags: Sequence[Sequence[RedFlag] | None] | None = None
) -> list[Verdict]:
    """The verdict on each subject, in order. flags: each subject's red flags (a check
    of an order), or None for all: the blacklist alone."""
    keys: dict[str, set[str]] = {}
    for subject in subjects:
        if subject.buyer_key:
            keys.setdefault(subject.platform, set()).add(subject.buyer_key)
    own: dict[tuple[str, str], OwnReports] = {}
    for platform, buyer_keys in keys.items():
        for key, reports in (await own_reports_by_keys(platform, sorted(buyer_keys))).items():
            own[(platform, key)] = reports
    pairs = [(subject, own.get((subject.platform, subject.buyer_key))) for subject in subjects]
    by_hash = await _by_hash(pairs)
    results = []
    for index, (subject, found) in enumerate(pairs):
        results.append(judge_subject(subject, found, by_hash, now, None if flags is None else flags[index]))
        if index % YIELD_EVERY == YIELD_EVERY - 1:
            await asyncio.sleep(0)
    return results


async def verdict_on(subject: Subject, now: datetime, flags: Sequence[RedFlag] | None = None) -> Verdict:
    return (await verdicts([subject], now, None if flags is None else [flags]))[0]


async def verdict_of_buyer(buyer_id: int, now: datetime) -> Verdict:
    """The blacklist's verdict on a buyer of the pool (no clues, no flags): what every
    decision logs as the level before and after, and what alerts follow."""
    found = (await own_reports_by_ids([buyer_id])).get(buyer_id)
    subject = Subject("", "")  # known by its id: its own reports are `found`
    return judge_subject(subject, found, await _by_hash([(subject, found)]), now, None)
