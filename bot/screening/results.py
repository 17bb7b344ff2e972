"""What a screening came to: the one-line reasons, the outcome kept with the job, the
summary message and the result file."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from bot.identity.platforms import Platform
from bot.identity.text import is_mobile, redact
from bot.messaging.render import environment, render
from bot.scoring.verdict import Level, Verdict
from bot.screening.matching import ScreenReport
from bot.screening.rows import OrderRow, paused_gc
from bot.screening.sheets import inert


class ReasonLines:
    """Renders the one-line reason of each order (templates/screen/reason.j2). Orders
    with the same evidence share a line, so a 100,000-row file renders a few thousand."""

    def __init__(self) -> None:
        self._template = environment().get_template("screen/reason.j2")
        self._cache: dict[tuple, str] = {}
        # Orders of one case share one Verdict object (screen() memoises them).
        self._by_verdict: dict[int, tuple[Verdict, str]] = {}

    def __call__(self, verdict: Verdict) -> str:
        known = self._by_verdict.get(id(verdict))
        if known is not None and known[0] is verdict:
            return known[1]
        line = self._line(verdict)
        self._by_verdict[id(verdict)] = (verdict, line)
        return line

    def _line(self, verdict: Verdict) -> str:
        if verdict.level is Level.none:
            return ""
        key = (
            verdict.shops,
            verdict.linked_shops,
            tuple(verdict.categories),
            verdict.last_reported_days,
            tuple(f.code for f in verdict.flags),
        )
        line = self._cache.get(key)
        if line is None:
            line = self._cache[key] = self._template.render(v=verdict).strip()
        return line


def _who(row: OrderRow) -> str:
    """The buyer as the summary names them: the account, else (a file without accounts)
    the masked phone or address, else the order."""
    if row.buyer_id:
        return row.buyer_id
    if row.phone_mask:
        return f"手机 {row.phone_mask}"
    if row.address_mask:
        return f"收货地 {row.address_mask}"
    return f"订单 {row.order_no}"


def outcome(report: ScreenReport, lines: ReasonLines, limit: int) -> dict[str, Any]:
    """What a screening came to, as plain data (it crosses from the worker process and
    is kept with the job): the counts and the `limit` buyers most worth a look, one
    line per buyer with their orders, masked like everything that leaves screening."""
    top: dict[str, dict[str, Any]] = {}
    buyers: set[str] = set()
    for order in report.flagged:
        who = order.row.identity
        buyers.add(who)
        entry = top.get(who)
        if entry is not None:
            entry["orders"] += 1
            if len(entry["order_nos"]) < 3:
                entry["order_nos"].append(_masked_order(order.row.order_no))
        elif len(top) < limit:
            top[who] = {
                "buyer_id": _who(order.row),
                "level": order.verdict.level.value,
                "score": order.verdict.score,
                "orders": 1,
                "order_nos": [_masked_order(order.row.order_no)],
                "reason": lines(order.verdict),
            }
    return {
        "platform": report.platform.value,
        "format": report.format.label,
        "rows": report.rows,
        "seconds": round(report.seconds, 2),
        "levels": {level.value: report.levels[level] for level in Level if report.levels[level]},
        "flagged_orders": len(report.flagged),
        "flagged_buyers": len(buyers),
        "top": list(top.values()),
        "matched": {key: report.matched.get(key, 0) for key in ("account", "phone", "address")},
        "has_buyers": report.has_buyers,
        "phones": report.phones,
        "damaged": report.damaged,
        "skipped": len(report.skipped),
        "skipped_examples": [[line, why] for line, why in report.skipped[:5]],
        # The rows not read for another reason than a damaged order number.
        "unreadable": [[line, why] for line, why in report.skipped if "科学计数法" not in why][:5],
        "missing_optional": [column.label for column in report.missing_optional if column.key != "buyer"],
        "virtual_phones": report.virtual_phones,
        "unreadable_buyers": report.unreadable_buyers,
        "under_review": len(report.under_review),
        "under_review_examples": [_masked_order(order_no) for order_no in report.under_review[:5]],
        # An ERP's file: the orders of each platform (the platform's label → count).
        "platforms": {Platform(p).label: n for p, n in sorted(report.platforms.items(), key=lambda x: -x[1])},
    }


def summary(result: dict[str, Any], limit: int, result_name: str | None = None) -> str:
    """The message (chat) or printout (command line) of a screening's outcome."""
    return render(
        "screen/summary.j2",
        o=result,
        platform=Platform(result["platform"]),
        levels=[level.value for level in Level],
        limit=limit,
        result_name=result_name,
    )


def _masked_order(order_no: str) -> str:
    if order_no.isdigit() and len(order_no) not in (11, 13, 15):
        # Plain digits are a phone only as 1…, 86 1… or 0086 1…: most order numbers
        # are longer, and this runs once per row of the result file.
        return order_no
    return redact(order_no) if len(order_no) <= 20 and is_mobile(order_no) else order_no


RESULT_HEADERS = ["行号", "订单编号", "买家", "等级", "分数", "理由", "手机（打码）", "收货地（省市）"]


def write_result(report: ScreenReport, path: Path, reasons: ReasonLines) -> None:
    """CSV for Excel (UTF-8 with BOM). Phones and addresses appear only masked; an order
    number that is really a phone number is masked too (buyer ids that look like one
    never get this far: they are refused as unreadable rows). What came from the file
    cannot be a formula (sheets.inert); the line and the score stay numbers."""
    # The byte-order mark written by hand: "utf-8-sig" encodes each row through a Python
    # codec, plain "utf-8" in C (0.1 s of a 100,000-row file).
    with paused_gc(), open(path, "w", newline="", encoding="utf-8") as file:
        file.write("\ufeff")
        writer = csv.writer(file)
        writer.writerow(RESULT_HEADERS)
        writer.writerows(
            [
                o.row.line,
                inert(_masked_order(o.row.order_no)),
                inert(o.row.buyer_id) if o.row.buyer_id else "（文件里没有）",
                o.verdict.level.value,
                o.verdict.score,
                reasons(o.verdict),
                inert(o.row.phone_mask or ""),
                inert(o.row.address_mask or ""),
            ]
            for o in report.orders
        )
