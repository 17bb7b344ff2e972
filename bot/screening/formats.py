"""The order exports merchants really have, recognised from their headers (or, for the
千牛 workbook, its sheet names), with no option to pass.

What is known of each, from public importers of these exports (never from buyers' data):

- 淘宝/天猫 ExportOrderList*.csv: GBK, every cell quoted, order numbers as ="…", phones
  with a leading ', headers with trailing spaces, 收货地址 as 省 市 区 详细地址(邮编).
- 千牛 workbook: sheets 订单报表, 销售明细, 发货报表; the receiver's phone and address sit in
  发货报表, joined to the orders by 订单编号.
- 拼多多: no buyer account and no receiver phone; 省/市/区/街道 columns; amounts as
  用户实付金额(元); order numbers like 260517-607198974342268.
- 京东: one row per SKU, the order amount repeated on each; the buyer as 下单帐号, the phone
  masked as 1******6198, the address as 客户地址.
- 抖店: UTF-8 with BOM; 主订单编号 / 子订单编号 (one row per sub-order); ids with a leading
  tab; "-" for empty; receiver columns holding ##… or $$… placeholders.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.identity.platforms import Platform
from bot.screening.sheets import without_unit


@dataclass(frozen=True)
class ExportFormat:
    code: str
    label: str  # what the summary names
    platform: Platform | None  # None: the shop's own platform
    # Rows of one order repeat the order's amount (JD SKUs) rather than splitting it.
    amount_repeats: bool = False


TAOBAO = ExportFormat("taobao", "淘宝/天猫订单导出（ExportOrderList）", None)
QIANNIU = ExportFormat("qianniu", "千牛订单报表（多工作表）", None)
PDD = ExportFormat("pdd", "拼多多订单导出", Platform.pdd)
JD = ExportFormat("jd", "京东订单导出", Platform.jd, amount_repeats=True)
DOUYIN = ExportFormat("douyin", "抖店订单导出", Platform.douyin)
GENERIC = ExportFormat("generic", "通用订单表", None)

# The 千牛 workbook's sheets: orders, and the receivers' phones and addresses.
QIANNIU_ORDERS = "订单报表"
QIANNIU_SHIPPING = "发货报表"


def recognise(headers: list[str], sheets: list[str] = ()) -> ExportFormat:  # type: ignore[assignment]
    """The format of a file from its header row (normalised: no spaces) and sheets."""
    if QIANNIU_ORDERS in sheets and QIANNIU_SHIPPING in sheets:
        return QIANNIU
    names = {without_unit(h) for h in headers} | set(headers)
    if {"主订单编号", "子订单编号"} <= names:
        return DOUYIN
    if "下单帐号" in names or "下单账号" in names or ("客户地址" in names and "订单号" in names):
        return JD
    if "用户实付金额" in names or "商家实收金额" in names or ({"商品数量", "街道"} <= names and "订单号" in names):
        return PDD
    if "买家会员名" in names or {"订单编号", "买家实际支付金额"} <= names:
        return TAOBAO
    return GENERIC


def platform_of(found: ExportFormat, shop_platform: Platform) -> Platform:
    """The platform the buyers are on: the format's own, except that a Taobao export may
    come from a 天猫 shop (and the 千牛 workbook from either)."""
    if found.platform is not None:
        return found.platform
    if found in (TAOBAO, QIANNIU) and shop_platform not in (Platform.taobao, Platform.tmall):
        return Platform.taobao
    return shop_platform
