"""Reading screenshots (issue #30): the lines OCR finds become a buyer, orders, masked
phones, amounts, contacts and the buyer's demand; a hostile picture is refused from its
header before OCR; the worker process is bounded in time and memory. The screenshots are
drawn by tests/screenshots.py, never taken."""

from __future__ import annotations

import io
import pickle

import pytest
from PIL import Image

from bot.errors import BadInput, Limited
from bot.identity.fingerprints import Fingerprinter
from bot.identity.platforms import Platform
from bot.scoring.categories import Category
from bot.screening.ocr import OcrWorker, check_picture
from bot.screening.screenshots import TextLine, read_lines
from tests.conftest import SECRET
from tests.screenshots import Shot, render

FINGERPRINTER = Fingerprinter(SECRET)

EXTORTION_CHAT = Shot(
    platform="taobao",
    layout="chat",
    buyer_id="tb_demo8832",
    order_no="3928473829384756123",
    messages=[
        ("buyer", "你好，东西收到了"),
        ("shop", "亲，有什么问题可以说"),
        ("buyer", "我已经给了差评，你自己看着办"),
        ("buyer", "给我返现20元我就改好评"),
        ("buyer", "加我QQ 123456789 详谈"),
        ("shop", "亲，有问题我们可以在平台上沟通"),
    ],
    amount="29.90",
)
ORDER_PAGE = Shot(
    platform="jd",
    layout="order",
    buyer_id="jd_buyer2024",
    order_no="298765432109",
    phone="13812345678",
    amount="59.00",
)


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("L", (width, height), 255).save(out, "PNG")
    return out.getvalue()


def _gif(frames: int) -> bytes:
    out = io.BytesIO()
    images = [Image.new("RGB", (64, 64), (80 * n, 200 - 60 * n, 0)) for n in range(frames)]
    images[0].save(out, "GIF", save_all=True, append_images=images[1:], duration=100)
    return out.getvalue()


@pytest.fixture
async def worker():
    reader = OcrWorker(SECRET, seconds=60)
    yield reader
    await reader.stop()


# -- reading what OCR found ------------------------------------------------------------------


def line(text: str, left: float, top: float, right: float | None = None, height: float = 30) -> TextLine:
    return TextLine(text, left, top, right if right is not None else left + 20 * len(text), top + height)


def test_a_demand_is_read_from_the_buyers_side_only():
    """「好评返现2元」 from the shop (right-hand side) is an offer; the same words from the
    buyer tied to changing a review are a demand."""
    title = line("tb_quiet01", 300, 30, height=40)
    offer = read_lines(
        [title, line("收到货满意的话给个五星好评，返现2元哦", 300, 300), line("好的", 90, 400, 140)],
        750,
        900,
        FINGERPRINTER,
    )
    assert offer.category is None and offer.demand is None and offer.flags == ()
    demand = read_lines(
        [title, line("亲，有什么问题", 400, 300), line("给我返现20元我就改好评", 90, 400)], 750, 900, FINGERPRINTER
    )
    assert demand.category is Category.extortion and demand.demand_fen == 2000
    assert demand.flags == ("demands_money",) and demand.buyer_ids == ["tb_quiet01"]


@pytest.mark.parametrize(
    "said",
    [
        "上次的差评是误会，我已经改成好评了",  # a change made, no money
        "好评返现的2元什么时候给",  # cashback promised for a good review
        "再不发货我就给差评了",  # a threat, no money
        "东西坏了一个，退我10元差价可以吗",  # money, no review
    ],
)
def test_ordinary_customer_service_words_are_no_demand(said: str):
    reading = read_lines(
        [line("tb_quiet01", 300, 30, height=40), line("亲，在的", 450, 250), line(said, 90, 350)],
        750,
        900,
        FINGERPRINTER,
    )
    assert reading.category is None and "demands_money" not in reading.flags


def test_two_unrelated_bubbles_make_no_demand_but_a_split_one_does():
    base = [line("tb_quiet01", 300, 30, height=40), line("亲，在的", 450, 250)]
    unrelated = [line("上次的差评是误会，我已经改成好评了", 90, 350), line("这次买3件一共89元对吗", 90, 450)]
    assert read_lines(base + unrelated, 750, 900, FINGERPRINTER).category is None
    split = [line("给我20元红包", 90, 350), line("我马上把差评删了", 90, 450)]
    assert read_lines(base + split, 750, 900, FINGERPRINTER).category is Category.extortion


def test_a_phone_leaves_the_reading_only_hashed_and_masked():
    reading = read_lines(
        [line("订单详情", 300, 30), line("收货人：张先生 13812345678", 30, 200), line("买家：tb_phone1", 30, 300)],
        750,
        900,
        FINGERPRINTER,
    )
    assert reading.phone_masks == ["138****5678"]
    assert reading.phones[0].digest == FINGERPRINTER.phone("13812345678").digest
    # Nothing of the reading (what crosses from the worker to the bot) holds the digits.
    assert b"12345678" not in pickle.dumps(reading) and "12345678" not in repr(reading)
    assert reading.buyer_ids == ["tb_phone1"]


def test_contacts_and_phones_already_masked_are_read():
    reading = read_lines(
        [
            line("dy_contact9", 300, 30, height=40),
            line("亲，在的", 450, 250),
            line("别在这说，加微信 wx_demo2024", 90, 350),
            line("或者扣扣：88776655", 90, 450),
            line("收货人：王** 139****2178", 30, 800),
        ],
        750,
        900,
        FINGERPRINTER,
    )
    assert [(c.kind, c.value) for c in reading.contacts] == [("qq", "88776655"), ("wechat", "wx_demo2024")]
    assert reading.flags == ("move_to_qq",) and reading.phone_masks == ["139****2178"] and reading.phones == ()


def test_labels_are_each_platforms_and_a_value_may_stand_apart():
    reading = read_lines(
        [
            line("订单详情", 300, 30),
            line("订单编号：", 30, 300, 150),
            line("6386114444723563608", 180, 302),
            line("用户昵称：小鹿nhrru59432", 30, 370),
            line("实付金额：￥262.57", 30, 440),
            line("买家已付款，等待发货", 30, 510),  # 「买家」 without a colon names nobody
        ],
        750,
        900,
        FINGERPRINTER,
        Platform.douyin,
    )
    assert reading.buyer_ids == ["小鹿nhrru59432"] and reading.orders == ("6386114444723563608",)
    assert reading.paid_fen == 26257 and reading.platform is Platform.douyin


# -- the picture's limits, before OCR ----------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\0" * (11 * 1024 * 1024), "screenshots.too_large"),
        (_png(9000, 1000), "screenshots.too_many_pixels"),  # 9 million pixels, a few KB
        (_png(500, 9000), "screenshots.too_many_pixels"),  # a side past 8000
        (_gif(2), "screenshots.animated"),
        (b"%PDF-1.7 not a picture", "screenshots.not_a_picture"),
        (_png(10, 10), "screenshots.too_small"),
    ],
)
def test_limits_are_read_from_the_header(data: bytes, code: str):
    with pytest.raises(BadInput) as refused:
        check_picture(data)
    assert refused.value.code == code


def test_a_huge_picture_is_refused_without_being_decoded():
    """A 30,000 × 30,000 PNG (900 million pixels, ~1 MB of zeros compressed) would take
    2.7 GB decoded: refused from its header in milliseconds."""
    import time
    import zlib

    width = height = 30_000

    def chunk(kind: bytes, body: bytes) -> bytes:
        return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    rows = zlib.compress(b"\0" * (width + 1) * 200)  # only the start: never read
    bomb = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    started = time.perf_counter()
    with pytest.raises(BadInput) as refused:
        check_picture(bomb)
    assert refused.value.code == "screenshots.too_many_pixels"
    assert time.perf_counter() - started < 0.5


async def test_the_worker_refuses_before_ocr(worker: OcrWorker):
    for data, code in ((_gif(3), "screenshots.animated"), (_png(9000, 1000), "screenshots.too_many_pixels")):
        with pytest.raises(BadInput) as refused:
            await worker.read(data)
        assert refused.value.code == code
    assert worker.pictures_read == 0  # the models never ran


# -- reading real screenshots in the worker --------------------------------------------------------


async def test_a_chat_screenshot_reads_as_extortion(worker: OcrWorker):
    reading = await worker.read(render(EXTORTION_CHAT), Platform.jd)
    assert reading.buyer_ids == ["tb_demo8832"]
    assert reading.orders == ("3928473829384756123",)
    assert reading.platform is Platform.taobao  # 千牛 in the chrome, whatever the default
    assert reading.category is Category.extortion and reading.demand_fen == 2000
    assert "改好评" in (reading.demand or "")
    assert set(reading.flags) == {"demands_money", "move_to_qq"}
    assert [(c.kind, c.value) for c in reading.contacts] == [("qq", "123456789")]
    assert reading.paid_fen == 2990
    assert worker.pictures_read == 1


async def test_an_order_page_reads_buyer_order_amount_and_a_masked_phone(worker: OcrWorker):
    shot = Shot(**{**ORDER_PAGE.__dict__, "scale": 0.75, "jpeg_quality": 70, "noise": 20.0})
    reading = await worker.read(render(shot), Platform.jd)
    assert reading.buyer_ids == ["jd_buyer2024"] and reading.orders == ("298765432109",)
    assert reading.phone_masks == ["138****5678"] and reading.paid_fen == 5900
    assert reading.category is None and reading.flags == ()
    assert "12345678" not in repr(reading)


async def test_a_long_screenshot_is_read_in_slices(worker: OcrWorker):
    """A phone's long screenshot (1080 × ~6300): read in slices, the title and the last
    line both found, no line twice."""
    messages = [("buyer" if n % 2 else "shop", f"第{n}条消息，亲在的") for n in range(60)]
    messages.append(("buyer", "不给15块钱我就不删差评"))
    shot = Shot(platform="pdd", layout="chat", buyer_id="pdd_long77", order_no="240926-782642422717061",
                messages=messages, width=1080)  # fmt: skip
    data = render(shot)
    assert Image.open(io.BytesIO(data)).height > 6000
    reading = await worker.read(data)
    assert reading.buyer_ids == ["pdd_long77"] and reading.orders == ("240926-782642422717061",)
    assert reading.category is Category.extortion and reading.platform is Platform.pdd
    # 61 bubbles, the title, the app's name, the time and the order card's two lines.
    assert reading.lines == 66


async def test_a_worker_past_its_time_or_memory_is_killed_and_the_next_picture_read():
    slow = OcrWorker(SECRET, seconds=0.3)
    try:
        with pytest.raises(BadInput) as refused:
            await slow.read(render(EXTORTION_CHAT))
        assert refused.value.code == "screenshots.too_slow"
        slow.seconds = 60
        assert (await slow.read(render(EXTORTION_CHAT))).buyer_ids == ["tb_demo8832"]
    finally:
        await slow.stop()
    small = OcrWorker(SECRET, memory_mb=60, seconds=60)  # the models alone take more
    try:
        with pytest.raises(BadInput) as refused:
            await small.read(render(EXTORTION_CHAT))
        assert refused.value.code == "screenshots.unreadable" and small.pictures_read == 0
    finally:
        await small.stop()


async def test_the_queue_is_bounded(worker: OcrWorker):
    import asyncio

    worker.queue_max = 1
    data = render(EXTORTION_CHAT)
    first = asyncio.create_task(worker.read(data))
    await asyncio.sleep(0)
    second = asyncio.create_task(worker.read(data))
    await asyncio.sleep(0)
    with pytest.raises(Limited):
        await worker.read(data)
    assert (await first).buyer_ids == (await second).buyer_ids == ["tb_demo8832"]


async def test_an_idle_worker_exits_and_the_next_picture_starts_one():
    import asyncio

    idle = OcrWorker(SECRET, seconds=60, idle_seconds=0.5)
    try:
        await idle.read(render(EXTORTION_CHAT))
        first = idle._process
        assert first is not None and first.is_alive()
        await asyncio.sleep(1.5)
        assert idle._process is None and not first.is_alive()  # its memory is back
        assert (await idle.read(render(EXTORTION_CHAT))).buyer_ids == ["tb_demo8832"]
    finally:
        await idle.stop()
