"""Chat and order screenshots drawn here, never taken: the layouts of 千牛/旺旺, 拼多多's
merchant chat, 京东咚咚 and 抖店飞鸽, and each platform's order page, with made-up buyers,
orders and phone numbers, then spoilt as phones spoil them (scaled, noisy, JPEG). The
tests and bench/ocr_bench.py read what these draw; no real screenshot is in the
repository.

Drawn with Noto Sans CJK (fonts-noto-cjk, Debian), which .ci/run installs."""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_FILE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
BOLD_FONT_FILE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc")
# The Simplified Chinese face inside the collection (JP, KR, SC, TC, HK: SC is the third).
SC = 2

PLATFORMS = ("taobao", "pdd", "jd", "douyin")


@lru_cache(maxsize=64)
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(BOLD_FONT_FILE if bold else FONT_FILE), size, index=SC)


@dataclass
class Shot:
    """What a screenshot shows. side "buyer" is the other party (left), "shop" the merchant
    (right); the order page shows the order's facts instead of a conversation."""

    platform: str
    layout: str  # "chat" or "order"
    buyer_id: str
    order_no: str
    messages: list[tuple[str, str]] = field(default_factory=list)
    phone: str | None = None  # drawn in clear on the order page (the receiver's number)
    amount: str = "29.90"
    extortion: bool = False  # what the reading should find
    width: int = 750
    scale: float = 1.0
    jpeg_quality: int | None = None
    noise: float = 0.0  # standard deviation of the grain, in grey levels
    seed: int = 0


@dataclass(frozen=True)
class Chrome:
    """A platform's chrome: the app's name, the title bar's colour, the order page's words."""

    app: str
    bar: tuple[int, int, int]
    buyer_label: str
    order_label: str
    paid_label: str
    card: str
    order_title: str = "订单详情"


_CHROME = {
    "taobao": Chrome("千牛接待台", (255, 106, 0), "买家昵称：", "订单编号：", "实付款：", "订单号："),
    "pdd": Chrome("拼多多商家工作台", (224, 46, 36), "买家：", "订单号：", "商家实收：", "订单号："),
    "jd": Chrome("京东咚咚", (226, 35, 26), "用户账号：", "订单号：", "应付金额：", "订单编号："),
    "douyin": Chrome("抖店飞鸽", (22, 24, 35), "用户昵称：", "订单编号：", "实付金额：", "订单编号："),
}


def _wrap(text: str, face: ImageFont.FreeTypeFont, width: int) -> list[str]:
    lines, current = [], ""
    for ch in text:
        if face.getlength(current + ch) > width and current:
            lines.append(current)
            current = ch
        else:
            current += ch
    return [*lines, current] if current else lines


def _chat(shot: Shot, rng: random.Random) -> Image.Image:
    chrome = _CHROME[shot.platform]
    width = shot.width
    face = font(26)
    bubbles = []
    for side, text in shot.messages:
        lines = _wrap(text, face, int(width * 0.58))
        bubbles.append((side, lines))
    height = 150 + sum(60 + 40 * len(lines) for _, lines in bubbles) + 140
    image = Image.new("RGB", (width, height), (245, 245, 245))
    draw = ImageDraw.Draw(image)
    # The title bar: the app, then the buyer's name as the chat's title.
    draw.rectangle((0, 0, width, 110), fill=(255, 255, 255))
    draw.rectangle((0, 0, width, 6), fill=chrome.bar)
    draw.text((24, 36), "<", font=font(34), fill=(60, 60, 60))
    title_face = font(32, bold=True)
    title_width = title_face.getlength(shot.buyer_id)
    draw.text(((width - title_width) / 2, 22), shot.buyer_id, font=title_face, fill=(20, 20, 20))
    draw.text(((width - font(20).getlength(chrome.app)) / 2, 70), chrome.app, font=font(20), fill=(150, 150, 150))
    draw.line((0, 110, width, 110), fill=(225, 225, 225), width=2)
    y = 140
    hour, minute = rng.randrange(8, 22), rng.randrange(60)
    draw.text((width // 2 - 40, y), f"{hour:02d}:{minute:02d}", font=font(20), fill=(160, 160, 160))
    y += 50
    for side, lines in bubbles:
        text_width = max(face.getlength(line) for line in lines)
        box_width, box_height = text_width + 36, 40 * len(lines) + 24
        if side == "buyer":
            draw.ellipse((20, y, 76, y + 56), fill=(200, 200, 210))
            left: float = 92
            fill = (255, 255, 255)
        else:
            draw.ellipse((width - 76, y, width - 20, y + 56), fill=(255, 200, 150))
            left = width - 92 - box_width
            fill = (205, 230, 255) if shot.platform != "douyin" else (220, 240, 220)
        draw.rounded_rectangle((left, y, left + box_width, y + box_height), 14, fill=fill)
        for index, line in enumerate(lines):
            draw.text((left + 18, y + 10 + 40 * index), line, font=face, fill=(30, 30, 30))
        y += box_height + 36
    # The order card the chat tools pin under the conversation.
    draw.rectangle((0, y, width, y + 110), fill=(255, 255, 255))
    draw.text((24, y + 16), f"{chrome.card}{shot.order_no}", font=font(24), fill=(80, 80, 80))
    draw.text((24, y + 60), f"{chrome.paid_label}¥{shot.amount}", font=font(24), fill=(80, 80, 80))
    return image


def _order(shot: Shot, rng: random.Random) -> Image.Image:
    chrome = _CHROME[shot.platform]
    width = shot.width
    image = Image.new("RGB", (width, 900), (246, 246, 246))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width, 100), fill=chrome.bar)
    title = chrome.order_title
    draw.text(((width - font(32, True).getlength(title)) / 2, 28), title, font=font(32, True), fill=(255, 255, 255))
    draw.rectangle((0, 120, width, 300), fill=(255, 255, 255))
    draw.text((30, 140), "交易成功" if rng.random() < 0.5 else "已发货", font=font(30, True), fill=(40, 40, 40))
    receiver = rng.choice(["张先生", "李女士", "王**", "赵小姐"])
    phone = shot.phone or f"1{rng.choice('3578')}{rng.randrange(10)}****{rng.randrange(10000):04d}"
    draw.text((30, 196), f"收货人：{receiver}  {phone}", font=font(24), fill=(60, 60, 60))
    draw.text((30, 240), "收货地址：浙江省杭州市****", font=font(24), fill=(60, 60, 60))
    draw.rectangle((0, 320, width, 840), fill=(255, 255, 255))
    rows = [
        (chrome.order_label, shot.order_no),
        (chrome.buyer_label, shot.buyer_id),
        ("下单时间：", f"2026-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d} {rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}"),
        ("商品总价：", f"¥{shot.amount}"),
        ("运费：", "¥0.00"),
        (chrome.paid_label, f"¥{shot.amount}"),
        ("支付方式：", rng.choice(["支付宝", "微信支付", "银行卡"])),
    ]  # fmt: skip
    rng.shuffle(rows) if rng.random() < 0.3 else None
    y = 350
    for label, value in rows:
        draw.text((30, y), label, font=font(24), fill=(130, 130, 130))
        draw.text((30 + font(24).getlength(label) + 8, y), value, font=font(24), fill=(40, 40, 40))
        y += 66
    return image


def spoil(image: Image.Image, shot: Shot, rng: random.Random) -> Image.Image:
    """As a phone spoils a screenshot: scaled, a little blurred, grainy."""
    if shot.scale != 1.0:
        size = (max(1, round(image.width * shot.scale)), max(1, round(image.height * shot.scale)))
        image = image.resize(size, Image.Resampling.BILINEAR)
        if shot.scale < 1:
            image = image.filter(ImageFilter.GaussianBlur(0.4))
    if shot.noise:
        grain = Image.effect_noise(image.size, shot.noise).convert("RGB")
        image = Image.blend(image, grain, 0.12)
    return image


def render(shot: Shot) -> bytes:
    """The screenshot's file (PNG, or JPEG when jpeg_quality is set)."""
    rng = random.Random(shot.seed)
    image = _chat(shot, rng) if shot.layout == "chat" else _order(shot, rng)
    image = spoil(image, shot, rng)
    out = io.BytesIO()
    if shot.jpeg_quality:
        image.save(out, "JPEG", quality=shot.jpeg_quality)
    else:
        image.save(out, "PNG")
    return out.getvalue()


# -- made-up buyers, orders and conversations -------------------------------------------------

_LETTERS = "abcdefghjkmnpqrstuvwxyz"
_NICK_WORDS = ["小鹿", "阿福", "橘子", "晴天", "木木", "星星", "大熊", "糖糖", "夏天", "一只猫"]


def buyer_id(platform: str, rng: random.Random) -> str:
    letters = "".join(rng.choice(_LETTERS) for _ in range(rng.randrange(3, 6)))
    digits = str(rng.randrange(10, 99999))
    kind = rng.randrange(3)
    if kind == 0:
        prefix = {"taobao": "tb", "pdd": "pdd", "jd": "jd", "douyin": "dy"}[platform]
        return f"{prefix}_{letters}{digits}"
    if kind == 1:
        return f"{rng.choice(_NICK_WORDS)}{letters}{digits}"
    return f"{letters}{digits}"


def order_no(platform: str, rng: random.Random) -> str:
    if platform == "pdd":
        return f"{rng.randrange(230101, 261231)}-{rng.randrange(10**14, 10**15)}"
    if platform == "jd":
        return str(rng.randrange(10**11, 10**12))
    if platform == "douyin":
        return str(rng.randrange(6 * 10**18, 7 * 10**18))
    return str(rng.randrange(10**18, 4 * 10**18))


ORDINARY = [
    ("buyer", "你好，请问什么时候发货？"),
    ("shop", "亲，今天下午四点前下单当天发货哦"),
    ("buyer", "这个有大码的吗"),
    ("shop", "亲，有的，拍下备注尺码就可以"),
    ("buyer", "快递到了，包装有点破，东西没坏"),
    ("shop", "非常抱歉亲，给您备注了，下次加固包装"),
    ("buyer", "能便宜点吗，买两件"),
    ("shop", "亲，两件可以包邮哦"),
    ("buyer", "我想退货，尺码不合适"),
    ("shop", "好的亲，七天无理由退货，运费险会赔付的"),
    ("shop", "收到货满意的话给个五星好评，返现2元哦"),
    ("buyer", "已经给了好评，东西不错"),
    ("buyer", "物流怎么三天没动了"),
    ("shop", "亲，帮您催一下快递，稍等"),
    ("buyer", "退款什么时候到账"),
    ("shop", "亲，退款已处理，1-3个工作日到账"),
    ("buyer", "颜色和图片有点色差"),
    ("shop", "亲，不同屏幕显示会有一点差别，介意的话可以退换"),
    # Innocent lines that hold the words of a demand: money, reviews, cashback.
    ("buyer", "好评返现的2元什么时候给"),
    ("shop", "亲，确认收货后24小时内返到支付宝"),
    ("buyer", "上次的差评是误会，我已经改成好评了"),
    ("shop", "谢谢亲的理解"),
    ("buyer", "东西坏了一个，退我10元差价可以吗"),
    ("shop", "可以的亲，已经给您申请了"),
    ("buyer", "再不发货我就给差评了"),
    ("shop", "亲，马上安排，今天一定发出"),
    ("shop", "亲，能帮忙把差评改一下吗？补偿您5元红包"),
    ("buyer", "行吧，我看看"),
]

DEMANDS = [
    "给我返现{amount}元我就改好评",
    "转我{amount}元，差评马上删",
    "不给{amount}块钱我就不删差评",
    "赔我{amount}元红包，我就改成好评",
    "你给{amount}元补偿，我把差评改了",
]

PRESSURE = [
    "我已经给了差评，你自己看着办",
    "加我QQ {qq} 详谈",
    "别在旺旺说，加微信 {wechat}",
    "东西有问题，我要投诉你们",
]


def conversation(rng: random.Random, extortion: bool) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """A chat of four to six lines: ordinary customer service, or an extortion with its
    demand (and often a QQ or WeChat id). Returns the lines and what was planted."""
    planted: dict[str, str] = {}
    lines = []
    start = rng.randrange(0, len(ORDINARY) - 4, 2)
    lines.extend(ORDINARY[start : start + rng.choice((2, 4))])
    if extortion:
        amount = str(rng.choice((10, 15, 20, 30, 50, 88)))
        planted["amount"] = amount
        lines.append(("buyer", PRESSURE[0]))
        lines.append(("buyer", rng.choice(DEMANDS).format(amount=amount)))
        if rng.random() < 0.6:
            qq = str(rng.randrange(10**7, 10**10))
            planted["qq"] = qq
            lines.append(("buyer", PRESSURE[1].format(qq=qq)))
        lines.append(("shop", "亲，有问题我们可以在平台上沟通"))
    else:
        more = rng.randrange(0, len(ORDINARY) - 2, 2)
        lines.extend(ORDINARY[more : more + 2])
    return lines, planted


def sample(index: int, platform: str | None = None, layout: str | None = None, extortion: bool | None = None) -> Shot:
    """The index-th screenshot of the bench's set (the same every run): the platforms and
    layouts in turn, every third chat an extortion, spoilt a different way each time."""
    rng = random.Random(1000 + index)
    platform = platform or PLATFORMS[index % len(PLATFORMS)]
    layout = layout or ("chat" if index % 3 else "order")
    if extortion is None:
        extortion = layout == "chat" and index % 2 == 0
    messages, planted = conversation(rng, extortion) if layout == "chat" else ([], {})
    width = rng.choice((720, 750, 828, 1080))
    shot = Shot(
        platform=platform,
        layout=layout,
        buyer_id=buyer_id(platform, rng),
        order_no=order_no(platform, rng),
        messages=messages,
        phone=f"1{rng.choice('3589')}{rng.randrange(10**8, 10**9)}" if layout == "order" else None,
        amount=planted.get("amount", f"{rng.randrange(5, 300)}.{rng.randrange(100):02d}"),
        extortion=extortion,
        width=width,
        scale=rng.choice((0.6, 0.75, 1.0, 1.0, 1.25)),
        jpeg_quality=rng.choice((None, 55, 70, 85)),
        noise=rng.choice((0.0, 20.0, 40.0)),
        seed=index,
    )
    return shot
