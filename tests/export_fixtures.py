"""Small order exports in the shapes merchants download, written by hand from the header
lists and quirks that public importers of these exports document. Every buyer, phone and
address here is made up.

Each fixture plants the same three things to find: a buyer account the pool knows
(tb_known / jd_known), a phone the pool knows (13900001111), and an address the pool knows
(浙江省杭州市西湖区文三路100号).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

KNOWN_PHONE = "13900001111"
KNOWN_ADDRESS = "浙江省杭州市西湖区文三路100号"
# Hidden values planted in the files: none of them may ever be hashed.
HIDDEN = ("138****5678", "1******6198", "##A1B2C3D4", "$$k8J2mQ", "137****0000")


def _csv(rows: list[list[str]], encoding: str, quote_all: bool = False) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def taobao() -> bytes:
    """ExportOrderList*.csv: GBK, every cell quoted, ="…" order numbers and empty ="",
    phones with a leading ', headers with trailing spaces, 收货地址 as 省 市 区 详细(邮编),
    statuses with a full-width or an ASCII comma, and one order number Excel turned into
    3.51531E+16."""
    header = [
        "订单编号",
        "买家会员名",
        "买家支付宝账号",
        "买家应付货款",
        "买家实际支付金额",
        "订单状态",
        "买家留言",
        "收货人姓名",
        "收货地址 ",
        "运送方式",
        "联系电话 ",
        "联系手机",
        "订单创建时间",
        "订单付款时间 ",
        "宝贝标题 ",
        "宝贝种类",
        "物流单号 ",
        "宝贝总数量",
        "支付单号",
        "确认收货时间",
    ]

    def row(order, buyer, status, address, mobile, title, quantity="1"):
        return [
            f'="{order}"', buyer, "", "29.90", "29.90", status, "", "张三", address, "快递", '=""', mobile,
            "2026-11-20 10:00:00", "2026-11-20 10:01:00", title, "1", '=""', quantity, '=""', "",
        ]  # fmt: skip

    rows = [
        header,
        row("35153131473293571", "tb_known", "买家已付款，等待卖家发货", "北京 北京市 朝阳区 建国路1号(100020)", "'13700001234", "手工皂"),
        row("35153131473293572", "tb_phone_alias", "交易成功", "广东省 深圳市 南山区 科技路2号(518000)", f"'{KNOWN_PHONE}", "手工皂"),
        row("35153131473293573", "tb_address_alias", "买家已付款,等待卖家发货", "浙江省 杭州市 西湖区 文三路100号(310000)", "'13600001234", "手工皂"),
        row("35153131473293574", "tb_masked", "交易成功", "江苏省 南京市 鼓楼区 中山路3号(210000)", "138****5678", "手工皂"),
        row("3.51531E+16", "tb_damaged", "交易成功", "江苏省 南京市 鼓楼区 中山路4号(210000)", "'13500001234", "手工皂"),
    ]  # fmt: skip
    return _csv(rows, "gbk", quote_all=True)


def qianniu() -> bytes:
    """The 千牛 workbook: 订单报表 with the orders, 销售明细, and 发货报表 with the receivers'
    phones and addresses, joined by 订单编号."""
    import openpyxl

    book = openpyxl.Workbook()
    orders = book.active
    orders.title = "订单报表"
    orders.append(["订单编号", "买家会员名", "买家实际支付金额", "订单状态", "宝贝标题", "宝贝总数量"])
    orders.append(["35153131473293581", "tb_known", "29.9", "交易成功", "手工皂", 1])
    orders.append(["35153131473293582", "qn_phone_alias", "19.9", "交易成功", "手工皂", 1])
    orders.append(["35153131473293583", "qn_plain", "19.9", "等待买家付款", "手工皂", 1])
    details = book.create_sheet("销售明细")
    details.append(["订单编号", "商品名称", "数量"])
    details.append(["35153131473293581", "手工皂", 1])
    shipping = book.create_sheet("发货报表")
    shipping.append(["订单编号", "收货人姓名", "收货地址", "联系手机"])
    shipping.append(["35153131473293581", "李四", "上海市 上海市 浦东新区 世纪大道5号", "13800001234"])
    shipping.append(["35153131473293582", "王五", "广东省 广州市 天河区 天河路6号", KNOWN_PHONE])
    shipping.append(["35153131473293583", "赵六", "137****0000", "137****0000"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def pinduoduo() -> bytes:
    """No buyer account and no receiver phone; 省/市/区/街道 and 详细地址; amounts and
    quantities with their units in the header; stray tabs in text cells."""
    rows = [
        ["订单号", "商品", "商品id", "商品规格", "商品数量(件)", "商家实收金额(元)", "用户实付金额(元)",
         "订单状态", "订单成交时间", "收货人", "省", "市", "区", "街道", "详细地址"],
        ["260517-607198974342261", "手工皂\t", "1001", "默认", "1", "9.9", "9.9", "待发货", "2026-05-17",
         "孙七", "浙江省", "杭州市", "西湖区", "", "文三路100号"],
        ["260517-607198974342262", "手工皂", "1001", "默认", "1", "9.9", "9.9", "待发货", "2026-05-17",
         "周八", "广东省", "深圳市", "南山区", "粤海街道", "科技路7号"],
        ["260517-607198974342263", "【赠品】试用装\t", "1002", "默认", "1", "0.01", "0.01", "待发货",
         "2026-05-17", "吴九", "新疆维吾尔自治区", "乌鲁木齐市", "天山区", "", "解放路8号"],
    ]  # fmt: skip
    return _csv(rows, "utf-8")


def jd() -> bytes:
    """One row per SKU with the order amount repeated; the buyer as 下单帐号, the phone
    masked, the address as 客户地址."""
    rows = [
        ["订单号", "商品ID", "商品名称", "订购数量", "支付方式", "下单时间", "京东价", "订单金额",
         "结算金额", "应付金额", "订单状态", "订单类型", "下单帐号", "客户姓名", "客户地址", "联系电话"],
        ["300012345678", "1001", "手工皂", "1", "在线支付", "2026-11-20 10:00:00", "29.90", "59.80",
         "59.80", "59.80", "等待出库", "普通订单", "jd_known", "郑十", "北京北京市朝阳区建国路9号", "1******6198"],
        ["300012345678", "1002", "洗脸巾", "1", "在线支付", "2026-11-20 10:00:00", "29.90", "59.80",
         "59.80", "59.80", "等待出库", "普通订单", "jd_known", "郑十", "北京北京市朝阳区建国路9号", "1******6198"],
        ["300012345679", "1001", "手工皂", "2", "在线支付", "2026-11-20 11:00:00", "29.90", "59.80",
         "59.80", "59.80", "等待出库", "普通订单", "jd_address_alias", "钱一", KNOWN_ADDRESS, "1******6198"],
    ]  # fmt: skip
    return _csv(rows, "utf-8")


def douyin() -> bytes:
    """UTF-8 with BOM; 主订单编号/子订单编号 (one row per sub-order); ids with a leading tab
    inside the quotes; "-" for empty; receiver columns holding ##… and $$… placeholders."""
    rows = [
        ["主订单编号", "子订单编号", "选购商品", "商品数量", "订单应付金额", "订单状态", "收件人", "收件人手机号",
         "省", "市", "区", "街道", "详细地址", "下单时间", "买家留言"],
        ["\t6923456789012345671", "\t6923456789012345671", "手工皂", "1", "19.9", "待发货", "##A1B2C3D4",
         "$$k8J2mQ", "浙江省", "杭州市", "西湖区", "-", "$$Xy12", "2026-11-20 10:00:00", "-"],
        ["\t6923456789012345671", "\t6923456789012345672", "【赠品】小样", "1", "0", "待发货", "##A1B2C3D4",
         "$$k8J2mQ", "浙江省", "杭州市", "西湖区", "-", "$$Xy12", "2026-11-20 10:00:00", "-"],
        ["\t6923456789012345673", "\t6923456789012345673", "手工皂", "1", "19.9", "待发货", "陈二",
         KNOWN_PHONE, "广东省", "深圳市", "南山区", "-", "科技路10号", "2026-11-20 11:00:00", "-"],
    ]  # fmt: skip
    return b"\xef\xbb\xbf" + _csv(rows, "utf-8", quote_all=True)


# A small Taobao export (GBK), used by the screening, API and dashboard tests.
HEADER = "订单编号,买家会员名,买家实际支付金额,订单状态,收货地址,联系手机,宝贝标题,宝贝总数量,订单创建时间"
ROWS = [
    '="3720000000000001",tb_bad,29.90,交易成功,浙江省 杭州市 西湖区 文三路1号,13812345678,手工皂,1,2026-11-20 10:00:00',
    '="3720000000000002",gift_hunter,0.01,等待买家发货,新疆维吾尔自治区 乌鲁木齐市 天山区 1号,13912345678,【赠品】试用装,1,2026-11-20',
    '="3720000000000003",unpaid_guy,10.00,等待买家付款,广东省 深圳市 南山区 1号,13712345678,手工皂,1,2026-11-20',
    '="3720000000000004",unpaid_guy,10.00,等待买家付款,广东省 深圳市 南山区 1号,13712345678,手工皂,1,2026-11-20',
    '="3720000000000005",unpaid_guy,10.00,等待买家付款,广东省 深圳市 南山区 1号,13712345678,手工皂,1,2026-11-20',
    '="3720000000000006",alias_b,10.00,交易成功,广东省 深圳市 南山区 1号,13712345678,手工皂 任选3件,1,2026-11-20',
    '="3720000000000007",normal,10.00,交易成功,浙江省 杭州市 西湖区 2号,138****5678,手工皂,2,2026-11-20',
    '="3720000000000008",坏人;DROP,10.00,交易成功,浙江省 杭州市 西湖区 2号,,手工皂,2,2026-11-20',
]
EXPORT = ("\n".join([HEADER, *ROWS]) + "\n").encode("gbk")


# A group's blacklist spreadsheet (GBK), with rows that cannot be read.
BLACKLIST = """旺旺,平台,原因,备注,日期
tb_bad,淘宝,差评师,要30元改评,2026-10-01
tb_bad2,,差评敲诈20元,,2026/09/15
pdd_x,拼多多,恶拍,,2026-11-01
,淘宝,差评师,,2026-11-01
tb_y,亚马逊,差评师,,2026-11-01
tb_z,淘宝,人品不好,骂人,昨天
""".encode("gbk")


# -- the newer shapes (issue 26): ERPs, the newest Taobao report, 拼多多 2023, the full 抖店
# export, and a Taobao item report. Header rows as public importers of these exports name
# them; every value made up.

# Privacy numbers (虚拟号) planted in the files: never hashed, never matched.
VIRTUAL = ("18400913965", "18400913966", "18400913967")
# A courier's phone in the 拼多多 2023 export (配送员手机号): not the buyer's, never read.
COURIER_PHONE = "13500009999"


def wangdiantong_orders() -> bytes:
    """旺店通, the order list: 订单编号 is the ERP's own number, 原始单号 the platform's; the
    buyer is 客户网名; the region is one column, 省市县, beside 地址; each order's platform
    from 订单来源; one order's two items on two rows; values written as ="…" or '…."""
    header = [
        "订单编号", "店铺名称", "订单来源", "仓库", "原始单号", "原始子单号", "订单状态", "订单类型",
        "交易时间", "付款时间", "客户网名", "收件人", "省市县", "地址", "手机", "电话", "邮编",
        "物流公司", "物流单号", "买家留言", "货品名称", "数量", "已付",
    ]  # fmt: skip

    def row(erp, source, order, buyer, region, address, mobile, title):
        return [
            erp, "小王的手工皂", source, "默认仓", order, f"{order}01", "已审核", "网店销售",
            "2026-11-20 10:00:00", "2026-11-20 10:01:00", buyer, "张三", region, address, mobile, "",
            "310000", "中通快递", "", "", title, "1", "29.90",
        ]  # fmt: skip

    rows = [
        header,
        row("JY2026112000001", "淘宝", '="3720000000000031"', "tb_known", "北京 北京市 朝阳区", "建国路1号", "'13700001234", "手工皂"),
        row("JY2026112000001", "淘宝", '="3720000000000031"', "tb_known", "北京 北京市 朝阳区", "建国路1号", "'13700001234", "洗脸巾"),
        row("JY2026112000002", "拼多多", "260517-607198974342291", "pdd_known", "广东省 深圳市 南山区", "科技路2号", "13600001234", "手工皂"),
        row("JY2026112000003", "淘宝", '="3720000000000033"', "wdt_phone", "江苏省 南京市 鼓楼区", "中山路3号", f"'{KNOWN_PHONE}", "手工皂"),
    ]  # fmt: skip
    return _csv(rows, "gbk")


def wangdiantong_items() -> bytes:
    """旺店通, the header set with items: 子单原始单号 (the platform's sub-order number),
    收货地区 and 收货地址, 收件人手机, the shop in 店铺."""
    header = [
        "订单编号", "店铺", "订单来源", "仓库", "子单原始单号", "订单状态", "订单类型", "交易时间",
        "付款时间", "客户网名", "收件人", "收货地区", "收货地址", "收件人手机", "邮编", "物流公司",
        "物流单号", "订单支付金额", "货品名称", "下单数量",
    ]  # fmt: skip
    rows = [
        header,
        ["JY2026112100001", "小王的手工皂", "淘宝", "默认仓", '="3720000000000041"', "已发货", "网店销售",
         "2026-11-21 10:00:00", "2026-11-21 10:01:00", "wdt_address", "李四", "浙江省 杭州市 西湖区",
         "文三路100号", "13800001234", "310000", "圆通速递", "", "19.90", "手工皂", "1"],
        ["JY2026112100002", "小王的手工皂", "淘宝", "默认仓", '="3720000000000042"', "已发货", "网店销售",
         "2026-11-21 11:00:00", "2026-11-21 11:01:00", "tb_known", "王五", "上海 上海市 浦东新区",
         "世纪大道5号", "13800005678", "200120", "圆通速递", "", "19.90", "手工皂", "1"],
        # The same ERP order's second item, under its own sub-order number: one order.
        ["JY2026112100002", "小王的手工皂", "淘宝", "默认仓", '="3720000000000043"', "已发货", "网店销售",
         "2026-11-21 11:00:00", "2026-11-21 11:01:00", "tb_known", "王五", "上海 上海市 浦东新区",
         "世纪大道5号", "13800005678", "200120", "圆通速递", "", "9.90", "洗脸巾", "1"],
    ]  # fmt: skip
    return _csv(rows, "utf-8")


def jushuitan() -> bytes:
    """聚水潭: 线上订单号 (the platform's) and 内部订单号 (the ERP's), 收货手机; the platform
    from the shop's name; a buyer written '… and a phone ="…"."""
    header = [
        "内部订单号", "线上订单号", "店铺", "订单状态", "下单时间", "付款时间", "买家账号", "收货人",
        "收货手机", "省", "市", "区县", "收货地址", "商品名称", "数量", "应付金额", "已付金额",
        "快递公司", "快递单号", "买家留言",
    ]  # fmt: skip
    rows = [
        header,
        ["1001", "3720000000000051", "淘宝-小王家", "已发货", "2026-11-22 10:00:00", "2026-11-22 10:01:00",
         "'tb_known", "赵六", "13700005678", "北京", "北京市", "朝阳区", "建国路7号", "手工皂", "1",
         "29.90", "29.90", "韵达快递", "", ""],
        ["1002", "260518-607198974342292", "拼多多-小王家", "已发货", "2026-11-22 11:00:00",
         "2026-11-22 11:01:00", "pdd_known", "钱七", "13700009876", "广东省", "深圳市", "南山区",
         "科技路8号", "手工皂", "1", "9.90", "9.90", "韵达快递", "", ""],
        ["1003", "3720000000000053", "淘宝-小王家", "已发货", "2026-11-22 12:00:00", "2026-11-22 12:01:00",
         "jst_phone", "孙八", f'="{KNOWN_PHONE}"', "江苏省", "南京市", "鼓楼区", "中山路9号", "手工皂",
         "1", "29.90", "29.90", "韵达快递", "", ""],
    ]  # fmt: skip
    return _csv(rows, "utf-8")


def wanliniu() -> bytes:
    """万里牛: 系统单号 (the ERP's) and 原订单号, two orders shipped together joined by |."""
    header = [
        "系统单号", "原订单号", "店铺名称", "订单状态", "下单时间", "买家昵称", "收件人", "手机", "省",
        "市", "区", "地址", "商品名称", "数量", "实付金额",
    ]  # fmt: skip
    rows = [
        header,
        ["XS20261123001", "3720000000000061|3720000000000062", "淘宝-小王家", "已发货", "2026-11-23 10:00:00",
         "tb_known", "周九", "13600005678", "北京", "北京市", "朝阳区", "建国路11号", "手工皂", "2", "59.80"],
        ["XS20261123002", "3720000000000063", "淘宝-小王家", "已发货", "2026-11-23 11:00:00", "wln_address",
         "吴十", "13600009876", "浙江省", "杭州市", "西湖区", "文三路100号", "手工皂", "1", "29.90"],
    ]  # fmt: skip
    return _csv(rows, "gbk")


def taobao_report() -> bytes:
    """The newest Taobao order report: 买家会员名 (an opaque id where the platform hides the
    member name) beside 买家会员昵称, and 联系手机 followed by 虚拟号过期时间: its phones
    are privacy numbers, with an extension or without one."""
    header = [
        "订单编号", "买家会员名", "买家会员昵称", "支付单号", "支付详情", "买家应付货款", "买家应付邮费",
        "买家支付积分", "总金额", "返点积分", "买家实际支付金额", "买家实际支付积分", "订单状态",
        "买家留言", "收货人姓名", "收货地址", "运送方式", "联系电话", "联系手机", "虚拟号过期时间",
        "订单创建时间", "订单付款时间", "宝贝标题", "宝贝种类", "物流单号", "物流公司", "订单备注",
        "宝贝总数量", "店铺Id", "店铺名称", "订单关闭原因",
    ]  # fmt: skip

    def row(order, member, nick, address, mobile):
        return [
            f'="{order}"', member, nick, '=""', "", "29.90", "0.00", "0", "29.90", "0", "29.90", "0",
            "买家已付款，等待卖家发货", "", "张*", address, "快递", '=""', mobile, "2026-12-20 10:00:00",
            "2026-11-20 10:00:00", "2026-11-20 10:01:00", "手工皂", "1", "", "", "", "1", "12345",
            "小王的手工皂", "",
        ]  # fmt: skip

    rows = [
        header,
        row("3720000000000071", "AAHk3+Lm9Qx=:x9Qw", "tb_known", "北京 北京市 朝阳区 建国路1号(100020)", f"{VIRTUAL[0]}-7576"),
        row("3720000000000072", "AAGz1/9+Qw==:k2", "", "浙江省 杭州市 西湖区 文三路100号(310000)", VIRTUAL[1]),
        row("3720000000000073", "tb_plain_member", "tb_plain", "江苏省 南京市 鼓楼区 中山路3号(210000)", f"{VIRTUAL[2]}_6603"),
    ]  # fmt: skip
    return _csv(rows, "gbk", quote_all=True)


def taobao_items() -> bytes:
    """The Taobao item report (宝贝报表): one row per item, no buyer, no receiver."""
    rows = [
        ["子订单编号", "主订单编号", "标题", "价格", "购买数量", "外部系统编号", "商品属性", "套餐信息", "备注",
         "订单状态", "商家编码", "支付单号", "买家应付货款", "买家实际支付金额", "退款状态", "退款金额",
         "订单创建时间", "订单付款时间"],
        ['="3720000000000081"', '="3720000000000081"', "手工皂", "29.90", "1", "", "颜色分类:白色", "", "",
         "交易成功", "SOAP-01", "", "29.90", "29.90", "", "0", "2026-11-20 10:00:00", "2026-11-20 10:01:00"],
    ]  # fmt: skip
    return _csv(rows, "gbk", quote_all=True)


def pinduoduo_2023() -> bytes:
    """The 2023 拼多多 export: no buyer nickname, no receiver name, no 详细地址 (省/市/区/街道/镇
    only), 是否审核中, " 用户购买手机号" with its leading space, and a courier's phone."""
    header = [
        "商品", "订单号", "订单状态", "商品数量(件)", "是否审核中", "支付时间", "承诺发货时间", "发货时间",
        "确认收货时间", "商品id", "商品规格", "样式ID", "商家编码-规格维度", "商家编码-商品维度", "商家备注",
        "买家留言", "售后状态", "订单成交时间", "商品总价(元)", "邮费(元)", "店铺优惠折扣(元)",
        "平台优惠折扣(元)", "用户实付金额(元)", "商家实收金额(元)", "快递单号", "快递公司", "省", "市",
        "区", "街道/镇", "配送员手机号", "是否抽奖或0元试用", "是否顺丰加价", " 用户购买手机号", "订单来源",
    ]  # fmt: skip

    def row(order, review, province, city, district, street, phone):
        return [
            "手工皂", order, "待发货", "1", review, "2026-05-17 10:00:00", "2026-05-19 10:00:00", "", "",
            "1001", "默认", "2001", "", "", "", "", "无售后或售后取消", "2026-05-17 10:00:00", "9.90", "0.00",
            "0.00", "0.00", "9.90", "9.90", "", "", province, city, district, street, COURIER_PHONE, "否",
            "否", phone, "普通订单",
        ]  # fmt: skip

    rows = [
        header,
        row("260517-607198974342301", "否", "浙江省", "杭州市", "西湖区", "文新街道", ""),
        row("260517-607198974342302", "是", "广东省", "深圳市", "南山区", "粤海街道", ""),
        row("260517-607198974342303", "否", "江苏省", "南京市", "鼓楼区", "湖南路街道", KNOWN_PHONE),
    ]  # fmt: skip
    return _csv(rows, "utf-8")


def douyin_full() -> bytes:
    """The full 抖店 export: 收件人, 收件人手机号 (a privacy number with its extension on one
    order), the address split; 达人昵称 names the influencer who sold, not the buyer."""
    header = [
        "主订单编号", "子订单编号", "选购商品", "商品规格", "商品数量", "商品ID", "商家编码", "商品单价",
        "订单应付金额", "运费", "支付方式", "收件人", "收件人手机号", "省", "市", "区", "街道", "详细地址",
        "是否修改过地址", "买家留言", "订单提交时间", "流量来源", "流量渠道", "订单状态", "售后状态",
        "快递公司", "达人ID", "达人昵称", "商家备注",
    ]  # fmt: skip

    def row(order, receiver, phone, province, city, district, street, detail):
        return [
            f"\t{order}", f"\t{order}", "手工皂", "默认", "1", "3001", "", "19.9", "19.9", "0", "微信", receiver,
            phone, province, city, district, street, detail, "否", "-", "2026-11-20 10:00:00", "直播", "达人直播",
            "待发货", "-", "-", "88001", "tb_known", "-",
        ]  # fmt: skip

    rows = [
        header,
        row("6923456789012345681", "陈*", f"{VIRTUAL[0]}-7576", "浙江省", "杭州市", "西湖区", "-", "文三路100号"),
        row("6923456789012345682", "林*", KNOWN_PHONE, "广东省", "深圳市", "南山区", "粤海街道", "科技路12号"),
    ]  # fmt: skip
    return b"\xef\xbb\xbf" + _csv(rows, "utf-8", quote_all=True)


# The five platform exports every door is tried with (chat upload, command line, the core).
FORMATS: dict[str, tuple[Callable[[], bytes], str, str]] = {
    # name: (fixture, file name, the label the summary names)
    "taobao": (taobao, "ExportOrderList202611.csv", "淘宝/天猫订单导出（ExportOrderList）"),
    "qianniu": (qianniu, "千牛订单报表.xlsx", "千牛订单报表（多工作表）"),
    "pdd": (pinduoduo, "拼多多订单.csv", "拼多多订单导出"),
    "jd": (jd, "京东订单.csv", "京东订单导出"),
    "douyin": (douyin, "抖店订单.csv", "抖店订单导出"),
}

# What each of those files must come to against the pool the tests plant.
EXPECTED: dict[str, dict[str, Any]] = {
    "taobao": {"platform": "taobao", "rows": 4, "matched": {"account": 1, "phone": 1, "address": 1}, "damaged": 1},
    "qianniu": {"platform": "taobao", "rows": 3, "matched": {"account": 1, "phone": 1, "address": 0}, "damaged": 0},
    "pdd": {"platform": "pdd", "rows": 3, "matched": {"account": 0, "phone": 0, "address": 1}, "damaged": 0},
    "jd": {"platform": "jd", "rows": 2, "matched": {"account": 1, "phone": 0, "address": 1}, "damaged": 0},
    "douyin": {"platform": "douyin", "rows": 2, "matched": {"account": 0, "phone": 1, "address": 0}, "damaged": 0},
}
