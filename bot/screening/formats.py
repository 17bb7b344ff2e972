"""The order exports merchants really have, recognised from their headers (or, for the
千牛 workbook, its sheet names), with no option to pass.

What is known of each, from public importers of these exports (never from buyers' data):

- 淘宝/天猫 ExportOrderList*.csv: GBK, every cell quoted, order numbers as ="…", phones
  with a leading ', headers with trailing spaces, 收货地址 as 省 市 区 详细地址(邮编).
- 淘宝/天猫's newest order report: 买家会员名 and 买家会员昵称 side by side (the member name
  may be an opaque id), 联系手机 followed by 虚拟号过期时间: the phones are privacy
  numbers (虚拟号) that expire, never the buyer's own.
- 淘宝/天猫's item report (宝贝报表, one row per item: 子订单编号, 主订单编号, 标题, 商品属性,
  套餐信息…): no buyer, no receiver. Refused, saying which file to upload instead.
- 千牛 workbook: sheets 订单报表, 销售明细, 发货报表; the receiver's phone and address sit in
  发货报表, joined to the orders by 订单编号.
- 拼多多: no buyer account; 省/市/区/街道 columns; amounts as 用户实付金额(元); order numbers
  like 260517-607198974342268. The 2023 export has no receiver name and no 详细地址 either
  (省/市/区/街道/镇 only), a 是否审核中 column (an order the platform's risk control is
  still reviewing: not to be shipped yet) and " 用户购买手机号" with a leading space.
- 京东: one row per SKU, the order amount repeated on each; the buyer as 下单帐号, the phone
  masked as 1******6198, the address as 客户地址.
- 抖店: UTF-8 with BOM; 主订单编号 / 子订单编号 (one row per sub-order); ids with a leading
  tab; "-" for empty; receiver columns holding ##… or $$… placeholders; no buyer account
  (收件人, 收件人手机号, split address). 达人昵称 is the influencer who sold the item, not
  the buyer.
- ERPs, which many small shops export from, one file for all their shops' platforms (the
  platform of each order from 订单来源 or the shop's name):
  - 旺店通: 订单编号 is the ERP's own number; the platform's is 原始单号 (or 子单原始单号 in the
    item-level header set); the buyer is 客户网名; the region is one column, 省市县 or
    收货地区, beside 地址 / 收货地址.
  - 聚水潭: 线上订单号 (the platform's) and 内部订单号 (the ERP's); 收货手机.
  - 万里牛: 系统单号 (the ERP's) and 原订单号, several orders shipped together joined by |.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.errors import BadInput
from bot.identity.platforms import Platform
from bot.screening.sheets import without_unit


@dataclass(frozen=True)
class ExportFormat:
    code: str
    label: str  # what the summary names
    platform: Platform | None  # None: the shop's own platform (an ERP's: each order's own)
    # Rows of one order repeat the order's amount (JD SKUs) rather than splitting it.
    amount_repeats: bool = False
    # An ERP's export: one file for several shops and platforms; each order's platform is
    # read from its 订单来源 or shop name where given.
    erp: bool = False


TAOBAO = ExportFormat("taobao", "淘宝/天猫订单导出（ExportOrderList）", None)
TAOBAO_REPORT = ExportFormat("taobao_report", "淘宝/天猫订单报表（新版，含买家会员昵称）", None)
QIANNIU = ExportFormat("qianniu", "千牛订单报表（多工作表）", None)
PDD = ExportFormat("pdd", "拼多多订单导出", Platform.pdd)
PDD_2023 = ExportFormat("pdd_2023", "拼多多订单导出（2023 版，无收货人和详细地址）", Platform.pdd)
JD = ExportFormat("jd", "京东订单导出", Platform.jd, amount_repeats=True)
DOUYIN = ExportFormat("douyin", "抖店订单导出", Platform.douyin)
WANGDIANTONG = ExportFormat("wangdiantong", "旺店通 ERP 订单导出", None, erp=True)
JUSHUITAN = ExportFormat("jushuitan", "聚水潭 ERP 订单导出", None, erp=True)
WANLINIU = ExportFormat("wanliniu", "万里牛 ERP 订单导出", None, erp=True)
GENERIC = ExportFormat("generic", "通用订单表", None)

# The 千牛 workbook's sheets: orders, and the receivers' phones and addresses.
QIANNIU_ORDERS = "订单报表"
QIANNIU_SHIPPING = "发货报表"

# Columns only an item (sub-order) file has, and the column keys of an order file that
# names who bought (bot/screening/columns.py): a file with the first and none of the
# second lists items, not orders.
_ITEM_HEADERS = frozenset({"子订单编号", "商品属性", "套餐信息", "外部系统编号", "宝贝属性"})
_ORDER_KEYS = frozenset({"buyer", "buyer_nick", "phone", "address", "province", "region"})


def recognise(headers: list[str], sheets: list[str] = ()) -> ExportFormat:  # type: ignore[assignment]
    """The format of a file from its header row (normalised: no spaces) and sheets."""
    if QIANNIU_ORDERS in sheets and QIANNIU_SHIPPING in sheets:
        return QIANNIU
    names = {without_unit(h) for h in headers} | set(headers)
    if "客户网名" in names and ({"原始单号", "子单原始单号"} & names):
        return WANGDIANTONG
    if {"线上订单号", "内部订单号"} <= names:
        return JUSHUITAN
    if {"系统单号", "原订单号"} <= names:
        return WANLINIU
    if {"主订单编号", "子订单编号"} <= names:
        return DOUYIN
    if "下单帐号" in names or "下单账号" in names or ("客户地址" in names and "订单号" in names):
        return JD
    if "是否审核中" in names or "用户购买手机号" in names:
        return PDD_2023
    if "用户实付金额" in names or "商家实收金额" in names or ({"商品数量", "街道"} <= names and "订单号" in names):
        return PDD
    if "买家会员昵称" in names or "虚拟号过期时间" in names:
        return TAOBAO_REPORT
    if "买家会员名" in names or {"订单编号", "买家实际支付金额"} <= names:
        return TAOBAO
    return GENERIC


def refuse_item_file(headers: list[str], found: set[str]) -> None:
    """An item (sub-order) report lists items, not orders, and names nobody: screened,
    every item line would be an order of an unknown buyer. Refused with what to upload."""
    names = {without_unit(h) for h in headers} | set(headers)
    if names & _ITEM_HEADERS and not found & _ORDER_KEYS:
        raise BadInput("sheets.item_level", headers=sorted(names & _ITEM_HEADERS))


def platform_of(found: ExportFormat, shop_platform: Platform) -> Platform:
    """The platform the buyers are on: the format's own, except that a Taobao export may
    come from a 天猫 shop (and the 千牛 workbook from either); an ERP's orders without a
    platform of their own are the shop's."""
    if found.platform is not None:
        return found.platform
    if found in (TAOBAO, TAOBAO_REPORT, QIANNIU) and shop_platform not in (Platform.taobao, Platform.tmall):
        return Platform.taobao
    return shop_platform
