"""Benchmark: reading screenshots (issue #30), on screenshots drawn by tests/screenshots.py
(淘宝/拼多多/京东/抖音 chats and order pages, scaled, grainy, JPEG-compressed).

    .venv/bin/python bench/ocr_bench.py                 # reading, then /查 through the bot
    .venv/bin/python bench/ocr_bench.py --count 40 --skip-bot   # reading only, quicker

1. Reading, through the bot's OCR worker process (bot/screening/ocr.py, one thread): the
   seconds per screenshot (p50/p99), beside a baseline measured in the same run on the
   same pictures: the OCR models called directly in this process, with nothing else (no
   worker, limits, or reading of the lines). Accuracy: the buyer id and the order number
   read exactly (target ≥ 95 %), the extortion chats found, and false 差评敲诈 on ordinary
   customer-service chats (target 0).
2. /查 from a group while screenshots are read (`python -m bot` over a real OneBot v11
   WebSocket, bench/load_bench.py's client, a pool of --buyers/--reports): p50/p99 with
   two merchants sending screenshots privately one after the other the whole time,
   against the same /查 idle in the same run, in turns (--rounds of --seconds each way:
   the rest of the machine weighs on both alike), target p99 ≤ 2× idle; and the worst
   stall of the bot's event loop (its own loop watch).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from check_bench import SECRET, percentile

from bot.identity.buyers import normalise_buyer_id
from bot.screening.ocr import OcrWorker
from tests.screenshots import Shot, render, sample


@dataclass
class Outcome:
    shot: Shot
    seconds: float
    buyer: bool  # the planted buyer among those read
    buyer_first: bool  # and read first
    order: bool
    extortion: bool  # read as 差评敲诈


def seconds_line(label: str, times: list[float]) -> str:
    return f"{label:<44} p50 {statistics.median(times):6.2f} s   p99 {percentile(times, 0.99):6.2f} s   n={len(times)}"


async def reading(count: int) -> list[Outcome]:
    shots = [sample(index) for index in range(count)]
    pictures = [render(shot) for shot in shots]
    worker = OcrWorker(SECRET, seconds=60, threads=1)
    outcomes = []
    try:
        await worker.read(pictures[0])  # the worker started and the models loaded
        for shot, data in zip(shots, pictures, strict=True):
            started = time.perf_counter()
            read = await worker.read(data)
            seconds = time.perf_counter() - started
            buyer = normalise_buyer_id(shot.buyer_id)
            outcomes.append(
                Outcome(
                    shot,
                    seconds,
                    buyer in read.buyer_ids,
                    read.buyer_ids[:1] == [buyer],
                    shot.order_no in read.orders,
                    read.category is not None,
                )
            )
    finally:
        await worker.stop()
    baseline = models_alone(pictures)
    times = [o.seconds for o in outcomes]
    print(seconds_line("reading, worker process (per screenshot)", times))
    print(seconds_line("baseline: the models alone, in-process", baseline))
    print(
        f"  overhead of the worker and the reading: p50 {statistics.median(times) - statistics.median(baseline):+.3f} s"
    )
    sizes = sorted({(o.shot.platform, o.shot.layout) for o in outcomes})
    for platform, layout in sizes:
        mine = [o for o in outcomes if (o.shot.platform, o.shot.layout) == (platform, layout)]
        print(
            f"  {platform:<7} {layout:<5} n={len(mine):<3} buyer and order exact "
            f"{sum(o.buyer and o.order for o in mine) / len(mine):6.1%}   p50 {statistics.median(o.seconds for o in mine):.2f} s"
        )
    both = sum(o.buyer and o.order for o in outcomes) / len(outcomes)
    first = sum(o.buyer_first and o.order for o in outcomes) / len(outcomes)
    print(f"buyer id and order number read exactly: {both:.1%} (target >= 95 %); the buyer read first: {first:.1%}")
    extortions = [o for o in outcomes if o.shot.extortion]
    ordinary = [o for o in outcomes if o.shot.layout == "chat" and not o.shot.extortion]
    orders = [o for o in outcomes if o.shot.layout == "order"]
    print(
        f"差评敲诈 found in {sum(o.extortion for o in extortions)}/{len(extortions)} extortion chats; "
        f"false 差评敲诈 on {sum(o.extortion for o in ordinary)}/{len(ordinary)} ordinary chats "
        f"and {sum(o.extortion for o in orders)}/{len(orders)} order pages (target 0)"
    )
    misses = [o for o in outcomes if not (o.buyer and o.order)]
    for o in misses[:10]:
        print(f"  missed: {o.shot.platform} {o.shot.layout} seed {o.shot.seed} scale {o.shot.scale} "
              f"jpeg {o.shot.jpeg_quality} noise {o.shot.noise}: buyer {o.buyer} order {o.order}")  # fmt: skip
    return outcomes


def models_alone(pictures: list[bytes]) -> list[float]:
    """The same pictures through RapidOCR directly, one thread, as the worker runs it."""
    import cv2
    from PIL import Image
    from rapidocr_onnxruntime import RapidOCR

    cv2.setNumThreads(1)
    engine = RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1)
    engine(Image.open(io.BytesIO(pictures[0])).convert("RGB"))
    times = []
    for data in pictures:
        started = time.perf_counter()
        engine(Image.open(io.BytesIO(data)).convert("RGB"))
        times.append(time.perf_counter() - started)
    return times


# -- /查 through the bot while screenshots are read ----------------------------------------------


async def through_the_bot(args: argparse.Namespace) -> None:
    from load_bench import Bot, Client, bot_env, checks, line, prepare_pool, serve

    workdir = Path(args.dir or tempfile.mkdtemp(prefix="shop-guard-ocr-"))
    data = workdir / "data"
    if not (data / "storage" / "shop_guard.sqlite3").exists():
        await prepare_pool(args, data)
    files = {}
    for index in range(8):
        path = workdir / f"shot{index}.png"
        path.write_bytes(render(sample(index + 1, layout="chat")))
        files[path.name] = path
    client = Client()
    runner = await serve(client, args.port, files)
    bot = Bot([sys.executable, "-m", "bot"], bot_env(data, args.port, args, {}), workdir / "bot.log")
    await bot.start()
    try:
        await asyncio.wait_for(client.connected.wait(), 120)
        await asyncio.sleep(1)
        await checks(client, args.buyers, count=50)  # warm up
        read_times: list[float] = []
        answers: list[str] = []
        stop = asyncio.Event()

        async def merchant(user_id: int) -> None:
            """Sends a screenshot privately, waits for its answer, sends the next."""
            n = 0
            while not stop.is_set():
                name = f"shot{(user_id + n) % len(files)}.png"
                answered: asyncio.Future[str] = asyncio.get_running_loop().create_future()
                client.waiting[("private", user_id)] = answered
                started = time.perf_counter()
                await image(client, user_id, f"http://127.0.0.1:{args.port}/{name}")
                answers.append(await asyncio.wait_for(answered, 120))
                read_times.append(time.perf_counter() - started)
                n += 1

        # Idle and busy in turns, so that what the rest of the machine does (other
        # processes share the cores) falls on both alike.
        idle: list[float] = []
        during: list[float] = []
        idle_stall = busy_stall = 0.0
        for _ in range(args.rounds):
            t0 = time.time()
            idle += await checks(client, args.buyers, seconds=args.seconds, group_id=9_000_001)
            idle_stall = max(idle_stall, bot.worst_stall(t0, time.time()))
            stop.clear()
            senders = [asyncio.create_task(merchant(60_000 + k)) for k in range(2)]
            await asyncio.sleep(1)  # both screenshots on their way
            t0 = time.time()
            during += await checks(client, args.buyers, seconds=args.seconds, group_id=9_000_777)
            busy_stall = max(busy_stall, bot.worst_stall(t0, time.time()))
            stop.set()
            await asyncio.gather(*senders)
        print(line("idle: /查 one at a time", idle, f"   worst loop stall {idle_stall:.0f} ms"))
        print(line("reading screenshots: /查 meanwhile", during, f"   worst loop stall {busy_stall:.0f} ms"))
        ratio = percentile(during, 0.99) / percentile(idle, 0.99)
        print(f"  p99 ratio to idle {ratio:.2f}x (target <= 2x), {args.rounds} rounds of {args.seconds:.0f} s each")
        print(seconds_line("a screenshot sent privately, to its answer", read_times))
        verdicts = [text for text in answers if "截图识别" in text and "【" in text]
        print(f"  answers: {len(answers)}, with a verdict: {len(verdicts)}")
        for text in [t for t in answers if t not in verdicts][:2]:
            print(f"  an answer without a verdict: {text[:100]!r}")
        print(f"bot peak RSS {bot.peak_rss_mb():.0f} MB (the OCR worker is a process of its own)")
    finally:
        await bot.stop()
        await runner.cleanup()
    print(f"workdir: {workdir}")


async def image(client: Any, user_id: int, url: str) -> None:
    """A private message that is one picture, as a OneBot client sends it."""
    client.message_id += 1
    await client.ws.send_json({
        "time": int(time.time()), "self_id": 3_000_000_001, "post_type": "message", "message_type": "private",
        "sub_type": "friend", "message_id": client.message_id, "user_id": user_id,
        "message": [{"type": "image", "data": {"file": url.rsplit("/", 1)[1], "url": url}}],
        "raw_message": f"[CQ:image,file={url}]", "font": 0,
        "sender": {"user_id": user_id, "nickname": f"商家{user_id}"},
    })  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=120, help="screenshots read (the set is the same every run)")
    parser.add_argument("--skip-bot", action="store_true", help="reading only, no /查 through the bot")
    parser.add_argument("--buyers", type=int, default=20_000)
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=4, help="turns of idle, then screenshots being read")
    parser.add_argument("--seconds", type=float, default=15, help="/查 measured in each half of a round")
    parser.add_argument("--database-url")
    parser.add_argument("--port", type=int, default=18_865)
    parser.add_argument("--dir", help="reuse a work folder (its pool) from an earlier run")
    args = parser.parse_args()
    print(
        f"load before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} (1/5/15 min), {os.cpu_count()} cores"
    )
    asyncio.run(reading(args.count))
    if not args.skip_bot:
        asyncio.run(through_the_bot(args))
    print(f"load after: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} (1/5/15 min)")


if __name__ == "__main__":
    main()
