"""The red flags a whole file shows that one order alone cannot: many unpaid orders by
one buyer, gifts and bundles, remote and mismatched provinces, shared phones."""

from __future__ import annotations

import re
from collections import Counter, defaultdict

from bot.scoring.red_flags import RedFlag, flag
from bot.screening.columns import rules
from bot.screening.rows import OrderRow


def file_flags(orders: list[OrderRow]) -> list[tuple[RedFlag, ...]]:
    """The red flags each order shows, judged from the file alone. Orders with the same
    flags share one tuple (most share the empty one)."""
    r = rules()
    # Unpaid orders by one buyer, or to one address where the file names no buyers.
    repeat_unpaid = {who for who, n in Counter(o.identity for o in orders if o.unpaid).items() if n >= r.unpaid_orders}
    buyers_by_phone: dict[str, set[str]] = defaultdict(set)
    buyers_by_address: dict[str, set[str]] = defaultdict(set)
    for o in orders:
        if not o.buyer_id:
            continue  # without accounts, "several accounts behind one phone" cannot be seen
        if o.phone_digest is not None:
            buyers_by_phone[o.phone_digest].add(o.buyer_id)
        if o.address_digest is not None and not o.address_shared_ok:
            buyers_by_address[o.address_digest].add(o.buyer_id)
    shared_phones = {digest for digest, buyers in buyers_by_phone.items() if len(buyers) > 1}
    shared_addresses = {digest for digest, buyers in buyers_by_address.items() if len(buyers) > 1}
    many_unpaid, gift_only, single, remote, other_province, shared, shared_address = (
        flag("many_unpaid"),
        flag("gift_only"),
        flag("single_from_bundle"),
        flag("remote_address"),
        flag("phone_other_province"),
        flag("shared_identity"),
        flag("shared_address"),
    )
    # A shop sells a handful of items: judge each distinct title once.
    titles: dict[str, tuple[bool, bool]] = {}
    for title in {t for o in orders for t in o.titles}:
        gift = any(w in title for w in r.gift_words) and not re.search(r"[,，;；+＋]", title)
        titles[title] = (gift, bool(r.bundle_pattern.search(title)))
    combinations: dict[tuple[RedFlag, ...], tuple[RedFlag, ...]] = {}
    result: list[tuple[RedFlag, ...]] = []
    for o in orders:
        found: list[RedFlag] = []
        if o.identity in repeat_unpaid:
            found.append(many_unpaid)
        # Gift-only: every line of the order is a gift; a single item of a bundle: one
        # line, one piece.
        if o.titles and all(titles[t][0] for t in o.titles):
            found.append(gift_only)
        if len(o.titles) == 1 and titles[o.titles[0]][1] and o.quantity == 1:
            found.append(single)
        if o.address_province in r.remote_provinces:
            found.append(remote)
        if o.phone_province and o.address_province and o.phone_province != o.address_province:
            found.append(other_province)
        if o.phone_digest in shared_phones:
            found.append(shared)
        elif o.address_digest in shared_addresses:
            found.append(shared_address)
        combination = tuple(found)
        result.append(combinations.setdefault(combination, combination))
    return result
