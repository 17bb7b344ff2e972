"""Importing a group's spreadsheet blacklist as one shop's reports, and exporting the
pool (masked) as CSV."""

from __future__ import annotations

import asyncio
import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bot.blacklist.blacklist import Blacklist
from bot.commands.requests import DESCRIPTION_MAX, SHOP_NAME_MAX, ReportRequest, normalise_order
from bot.errors import BadInput
from bot.identity.buyers import normalise_buyer_id
from bot.identity.platforms import Platform, parse_platform
from bot.identity.text import clean_text, excerpt, redact
from bot.messaging.render import SHANGHAI, label, local_time, yuan
from bot.scoring.categories import Category, category_in_text, parse_category
from bot.screening.rows import SCIENTIFIC_RE, hidden
from bot.screening.sheets import Column, inert, read_table, records
from bot.states import FilingOutcome
from bot.storage.models.shops import Shop
from bot.storage.reports import active_reports_for_export
from bot.storage.shops import NameTaken, create_shop, shop_of_account
from bot.storage.trust import vouch_as_moderator

BLACKLIST_COLUMNS = [
    Column(
        "buyer",
        "买家",
        (
            "买家",
            "买家ID",
            "买家id",
            "旺旺",
            "旺旺号",
            "旺旺ID",
            "买家会员名",
            "买家昵称",
            "买家账号",
            "买家帐号",
            "下单帐号",
            "下单账号",
            "会员名",
        ),
    ),
    Column("platform", "平台", ("平台", "来源平台")),
    Column("category", "类型", ("类型", "原因", "分类", "举报类型", "类别")),
    Column("note", "备注", ("备注", "说明", "描述", "详情", "情况")),
    Column("date", "日期", ("日期", "时间", "举报时间", "添加时间", "记录时间")),
    Column("order", "订单号", ("订单号", "订单编号", "主订单编号")),
    Column("phone", "手机", ("手机", "手机号", "电话", "联系手机", "联系电话", "收货人手机号", "收件人手机号")),
    Column("address", "地址", ("地址", "收货地址", "客户地址", "收件人地址", "详细地址")),
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
            return datetime.strptime(text, fmt).replace(tzinfo=SHANGHAI).astimezone(UTC)
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
    verified_by: str | None = None,
) -> ImportReport:
    """The rows count as one shop, unverified (an imported list is one source of
    hearsay) unless `verified_by` names who vouches for it (a 版主 on the command line)."""
    table = read_table(data, filename, BLACKLIST_COLUMNS, {"buyer"})
    shop_name = clean_text(shop_name)[:SHOP_NAME_MAX]
    shop = await _import_shop(shop_name, default_platform, verified_by)
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
            if filing.outcome is FilingOutcome.duplicate:
                report.existing += 1
            else:
                report.added += 1
        if progress:
            progress(done, len(entries))
    return report


async def _import_shop(name: str, platform: Platform, verified_by: str | None) -> Shop:
    account = f"import:{name}"
    shop = await shop_of_account(account)
    if shop is None:
        try:
            shop = await create_shop(account, platform.value, name)
        except NameTaken:  # a real shop has the name: the import says what it is
            shop = await create_shop(account, platform.value, f"{name}（导入）")
    if verified_by and shop.verified_at is None:
        await vouch_as_moderator(shop, verified_by, datetime.now(UTC))
        shop.verified_at = datetime.now(UTC)
    return shop


def _why(refusal: BadInput) -> str:
    """The row's refusal in words (templates/labels.toml [UnreadableRow])."""
    code = refusal.code.removeprefix("import.")
    return label(code, "UnreadableRow", str(refusal.context.get("word", "")))


def _request(record: dict[str, str], default_platform: Platform, now: datetime) -> tuple[ReportRequest, datetime]:
    buyer_id = normalise_buyer_id(record["buyer"])
    platform = default_platform
    if record.get("platform"):
        named = parse_platform(record["platform"])
        if named is None:
            raise BadInput("platform_unknown", word=excerpt(record["platform"], 20))
        platform = named
    reason = record.get("category", "")
    category = parse_category(reason) or category_in_text(reason) or Category.other
    note = clean_text(
        " ".join(x for x in (reason if parse_category(reason) is None else "", record.get("note", "")) if x)
    )
    reported_at = now
    if record.get("date"):
        dated = parse_date(record["date"])
        if dated is None:
            raise BadInput("import.date_unreadable", word=excerpt(record["date"]))
        reported_at = min(dated, now)
    order_text = record.get("order", "").strip()
    if SCIENTIFIC_RE.match(order_text):
        raise BadInput("import.excel_scientific", word=excerpt(order_text))
    order = normalise_order(order_text) if order_text and not hidden(order_text) else None
    # A masked or encrypted phone or address (138****5678, ##…, -) is not a value: never
    # hashed as if it were one (it would match every other mask).
    phone = record.get("phone") or None
    address = record.get("address") or None
    request = ReportRequest(
        platform=platform,
        buyer_id=buyer_id,
        category=category,
        order_no=order,
        description=note[:DESCRIPTION_MAX],
        phone=None if phone is None or hidden(phone) else phone,
        address=None if address is None or hidden(address) else address,
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
    """Every active report, masked, as CSV for Excel. Returns the number of rows. Free
    text is redacted again on the way out: whatever a report's description holds, no
    phone, ID-card number or street address leaves in clear, and none of what shops
    typed can be a formula (sheets.inert). Written a page at a time in
    a thread: the event loop never waits on the disk."""
    file = await asyncio.to_thread(open, path, "w", newline="", encoding="utf-8-sig")
    try:
        writer = csv.writer(file)
        await asyncio.to_thread(writer.writerow, EXPORT_HEADERS)
        page: list[list[object]] = []
        count = 0
        async for row in active_reports_for_export():
            page.append(
                [
                    row.id,
                    Platform(row.platform).label,
                    inert(row.buyer_key),
                    Category(row.category).label,
                    inert(redact(row.shop_name)),
                    inert(row.order_no or ""),
                    yuan(row.amount_fen),
                    inert(row.phone_mask or ""),
                    inert(row.address_mask or ""),
                    inert(redact(row.description)),
                    local_time(row.created_at),
                ]
            )
            if len(page) >= 5000:
                await asyncio.to_thread(writer.writerows, page)
                count, page = count + len(page), []
        await asyncio.to_thread(writer.writerows, page)
        return count + len(page)
    finally:
        await asyncio.to_thread(file.close)
