"""Importing a group's spreadsheet blacklist as one shop's reports, and exporting the
pool (masked) as CSV."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from bot import queries
from bot.arguments import DESCRIPTION_MAX, ReportRequest, clean_text
from bot.blacklist import Blacklist
from bot.categories import Category, category_in_text, parse_category
from bot.errors import BadInput
from bot.identity import Platform, normalise_buyer_id, parse_platform
from bot.models import Shop
from bot.render import SHANGHAI, local_time, yuan
from bot.sheets import Column, read_table, records

BLACKLIST_COLUMNS = [
    Column(
        "buyer",
        "买家",
        ("买家", "买家ID", "买家id", "旺旺", "旺旺号", "旺旺ID", "买家会员名", "买家昵称", "买家账号", "会员名"),
    ),
    Column("platform", "平台", ("平台", "来源平台")),
    Column("category", "类型", ("类型", "原因", "分类", "举报类型", "类别")),
    Column("note", "备注", ("备注", "说明", "描述", "详情", "情况")),
    Column("date", "日期", ("日期", "时间", "举报时间", "添加时间", "记录时间")),
    Column("order", "订单号", ("订单号", "订单编号")),
    Column("phone", "手机", ("手机", "手机号", "电话")),
    Column("address", "地址", ("地址", "收货地址")),
]

_DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%Y年%m月%d日",
    "%Y%m%d",
)


def parse_date(text: str) -> datetime | None:
    """A date as groups write it, read as Beijing time; None when it cannot be read."""
    text = text.strip()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=SHANGHAI).astimezone(timezone.utc)
        except ValueError:
            continue
    return None


@dataclass
class ImportReport:
    shop: Shop
    rows: int = 0
    added: int = 0
    existing: int = 0
    unreadable: list[tuple[int, str]] = field(default_factory=list)


async def import_blacklist(
    data: bytes,
    filename: str,
    shop_name: str,
    blacklist: Blacklist,
    default_platform: Platform = Platform.taobao,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    table = read_table(data, filename, BLACKLIST_COLUMNS, {"buyer"})
    shop, _ = await queries.bind_shop(f"import:{shop_name}", default_platform.value, shop_name)
    entries = list(records(table))
    report = ImportReport(shop, rows=len(entries))
    now = blacklist.clock()
    for done, (line, record) in enumerate(entries, 1):
        try:
            request, reported_at = _request(record, default_platform, now)
            filing = await blacklist.report(shop, request, reported_at=reported_at)
        except BadInput as refusal:
            report.unreadable.append((line, _why(refusal)))
        else:
            if filing.outcome == "duplicate":
                report.existing += 1
            else:
                report.added += 1
        if progress:
            progress(done, len(entries))
    return report


_WHY = {
    "errors/buyer_id_missing.j2": "买家ID为空",
    "errors/buyer_id_too_long.j2": "买家ID太长",
    "errors/buyer_id_bad_chars.j2": "买家ID含有不支持的字符",
    "errors/phone_invalid.j2": "手机号格式不对",
    "errors/address_invalid.j2": "地址太短或太长",
    "errors/order_invalid.j2": "订单号格式不对",
}


def _why(refusal: BadInput) -> str:
    return refusal.context.get("why") or _WHY.get(refusal.template, refusal.template)


def _request(record: dict[str, str], default_platform: Platform, now: datetime) -> tuple[ReportRequest, datetime]:
    buyer_id = normalise_buyer_id(record["buyer"])
    platform = default_platform
    if record.get("platform"):
        platform = parse_platform(record["platform"])
        if platform is None:
            raise BadInput("import/row.j2", why=f"不认识的平台「{record['platform'][:10]}」")
    reason = record.get("category", "")
    category = parse_category(reason) or category_in_text(reason) or Category.other
    note = clean_text(
        " ".join(x for x in (reason if parse_category(reason) is None else "", record.get("note", "")) if x)
    )
    reported_at = now
    if record.get("date"):
        reported_at = parse_date(record["date"])
        if reported_at is None:
            raise BadInput("import/row.j2", why=f"日期「{record['date'][:20]}」看不懂")
        reported_at = min(reported_at, now)
    order = re.sub(r"\s", "", record.get("order", "")).lower() or None
    if order is not None and not re.fullmatch(r"[0-9a-z][0-9a-z\-_]{5,63}", order):
        raise BadInput("errors/order_invalid.j2")
    request = ReportRequest(
        platform=platform,
        buyer_id=buyer_id,
        category=category,
        order_no=order,
        description=note[:DESCRIPTION_MAX],
        phone=record.get("phone") or None,
        address=record.get("address") or None,
    )
    return request, reported_at


EXPORT_HEADERS = [
    "举报编号",
    "平台",
    "买家ID",
    "类型",
    "举报店铺",
    "订单号",
    "金额",
    "手机（打码）",
    "收货地（省市）",
    "说明",
    "举报时间（北京时间）",
]


async def export_pool(path: Path) -> int:
    """Every active report, masked, as CSV for Excel. Returns the number of rows."""
    count = 0
    with open(path, "w", newline="", encoding="utf-8-sig") as file:
        writer = csv.writer(file)
        writer.writerow(EXPORT_HEADERS)
        async for row in queries.active_reports_for_export():
            writer.writerow(
                [
                    row.id,
                    Platform(row.platform).label,
                    row.buyer_key,
                    Category(row.category).label,
                    row.shop_name,
                    row.order_no or "",
                    yuan(row.amount_fen),
                    row.phone_mask or "",
                    row.address_mask or "",
                    row.description,
                    local_time(row.created_at),
                ]
            )
            count += 1
    return count
