"""The column catalogue: every header an order export names its columns with, and the
screening rules read from bot/data/red_flags.toml."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache

from bot.scoring.red_flags import DATA as RED_FLAGS_FILE
from bot.screening.sheets import Column

# parse_orders() unpacks each row in this order. A column takes the first of its names
# the header row has: the platform's order number before an ERP's own (旺店通 writes both,
# its own as 订单编号), the buyer's account before their nickname.
ORDER_COLUMNS = [
    Column(
        "order",
        "订单编号",
        (
            "原始单号",  # 旺店通: the platform's number (订单编号 there is the ERP's)
            "子单原始单号",
            "线上订单号",  # 聚水潭
            "原订单号",  # 万里牛: several joined by |
            "订单编号",
            "订单号",
            "主订单编号",
            "订单ID",
            "订单id",
            "子订单编号",
        ),
    ),
    Column(
        "buyer",
        "买家会员名",
        (
            "买家会员名",
            "客户网名",  # 旺店通
            "买家昵称",
            "买家ID",
            "买家id",
            "买家账号",
            "买家帐号",
            "下单帐号",
            "下单账号",
            "买家用户名",
            "用户昵称",
            "买家",
            "会员名",
        ),
    ),
    Column(
        "amount",
        "买家实际支付金额",
        (
            "买家实际支付金额",
            "实付金额",
            "用户实付金额",
            "商品实付金额",
            "买家实付金额",
            "应付金额",
            "订单金额",
            "支付金额",
            "实收款",
        ),
    ),
    Column("status", "订单状态", ("订单状态", "交易状态", "状态")),
    Column(
        "address",
        "收货地址",
        ("收货地址", "收货人地址", "收件人地址", "客户地址", "详细地址", "收件地址", "地址"),
    ),
    Column("province", "省", ("省", "省份", "收货省份", "收件人省")),
    Column("city", "市", ("市", "城市", "收货城市", "收件人市")),
    Column("district", "区", ("区", "区县", "收件人区")),
    Column("street", "街道", ("街道", "街道/镇", "镇/街道", "乡镇", "街道镇")),
    Column(
        "phone",
        "联系手机",
        (
            "联系手机",
            "收货人手机号",
            "收货人手机",
            "收件人手机号",
            "收件人手机",
            "收货手机",  # 聚水潭
            "手机号",
            "手机",
            "用户购买手机号",  # 拼多多 2023, written " 用户购买手机号"
            "联系电话",
            "收货人电话",
            "收件人电话",
            "客户电话",
        ),
    ),
    Column("title", "宝贝标题", ("宝贝标题", "商品名称", "商品标题", "商品", "选购商品", "货品名称")),
    Column(
        "quantity", "宝贝总数量", ("宝贝总数量", "宝贝数量", "商品数量", "订购数量", "购买数量", "数量", "下单数量")
    ),
    Column("created", "订单创建时间", ("订单创建时间", "下单时间", "创建时间", "订单提交时间", "交易时间")),
    # The newest Taobao report's nickname beside 买家会员名 (which may be an opaque id).
    Column("buyer_nick", "买家会员昵称", ("买家会员昵称",)),
    # 旺店通's region in one column ("浙江省 杭州市 西湖区"), beside 地址 / 收货地址.
    Column("region", "省市县", ("省市县", "收货地区", "省市区", "所在地区")),
    # An ERP's order source and shop: each order's platform.
    Column("source", "订单来源", ("订单来源", "来源平台", "平台", "平台名称")),
    Column("shop_name", "店铺", ("店铺", "店铺名称", "来源店铺")),
    # 拼多多 2023: 是 while the platform's risk control reviews the order (do not ship).
    Column("under_review", "是否审核中", ("是否审核中",)),
    # The newest Taobao report: its phones are privacy numbers (虚拟号) that expire.
    Column("virtual_expiry", "虚拟号过期时间", ("虚拟号过期时间",)),
    # An ERP's own number: the rows of one ERP order (one per item) are one order.
    Column("erp_order", "内部订单号", ("内部订单号", "系统单号", "订单编号")),
]


REQUIRED = {"order"}


# The 千牛 workbook's 发货报表: each order's receiver, joined to 订单报表 by order number.
SHIPPING_COLUMNS = [
    ORDER_COLUMNS[0],
    *(c for c in ORDER_COLUMNS if c.key in ("address", "province", "city", "district", "street", "phone")),
]


@dataclass(frozen=True)
class ScreeningRules:
    unpaid_orders: int
    unpaid_status_words: tuple[str, ...]
    remote_provinces: frozenset[str]
    gift_words: tuple[str, ...]
    bundle_pattern: re.Pattern[str]
    shared_exempt: re.Pattern[str]  # any of the words: one pass over an address


@lru_cache(maxsize=1)
def rules() -> ScreeningRules:
    with RED_FLAGS_FILE.open("rb") as file:
        data = tomllib.load(file)["screening"]
    return ScreeningRules(
        unpaid_orders=int(data["unpaid_orders"]),
        unpaid_status_words=tuple(data["unpaid_status_words"]),
        remote_provinces=frozenset(data["remote_provinces"]),
        gift_words=tuple(data["gift_words"]),
        bundle_pattern=re.compile(data["bundle_pattern"]),
        shared_exempt=re.compile("|".join(re.escape(word) for word in data["shared_exempt_words"])),
    )
