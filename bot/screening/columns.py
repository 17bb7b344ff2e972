"""The column catalogue: every header an order export names its columns with, and the
screening rules read from bot/data/red_flags.toml."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache

from bot.scoring.red_flags import DATA as RED_FLAGS_FILE
from bot.screening.sheets import Column

# parse_orders() unpacks each row in this order.
ORDER_COLUMNS = [
    Column("order", "订单编号", ("订单编号", "订单号", "主订单编号", "订单ID", "订单id", "子订单编号")),
    Column(
        "buyer",
        "买家会员名",
        (
            "买家会员名",
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
            "手机号",
            "手机",
            "联系电话",
            "收货人电话",
            "收件人电话",
            "客户电话",
        ),
    ),
    Column("title", "宝贝标题", ("宝贝标题", "商品名称", "商品标题", "商品", "选购商品")),
    Column("quantity", "宝贝总数量", ("宝贝总数量", "宝贝数量", "商品数量", "订购数量", "购买数量", "数量")),
    Column("created", "订单创建时间", ("订单创建时间", "下单时间", "创建时间", "订单提交时间")),
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
