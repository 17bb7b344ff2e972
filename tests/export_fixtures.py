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
