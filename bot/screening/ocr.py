"""Reading the text of a screenshot (OCR, offline: the Chinese models ship inside the
rapidocr-onnxruntime wheel), in a worker process of its own.

A picture from chat is hostile until read. The worker checks it from its header first
(bytes, format, pixels, sides, a single frame: bot/commands/requests.py's limits), before
a pixel is decoded or the models are loaded; then decodes and reads it on one core (the
other is the chat's), at a lower priority than the bot. The bot watches it from outside:
a picture that takes longer than its time or makes the worker grow past its memory gets
the worker killed and a refusal for the merchant who sent it, and the next picture
starts a new worker. The event loop only waits.

The worker turns the lines it read into a Reading (bot/screening/screenshots.py) itself,
so that phone numbers are hashed and masked, and the text redacted, before anything
leaves it: no phone number in clear reaches the bot's process, its log or its database.
One picture is read at a time; a few wait; more are refused (busy). An idle worker exits
after a while, giving its memory (~0.5 GB while reading) back.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import multiprocessing
import os
import resource
import time
from dataclasses import dataclass
from typing import Any

from bot.commands.requests import (
    SCREENSHOT_FORMATS,
    SCREENSHOT_MAX_BYTES,
    SCREENSHOT_MAX_PIXELS,
    SCREENSHOT_MAX_SIDE,
    SCREENSHOT_MIN_SIDE,
)
from bot.errors import BadInput, Limited, Refused
from bot.identity.fingerprints import Fingerprinter
from bot.identity.platforms import Platform
from bot.screening.processes import resident_bytes
from bot.screening.screenshots import Reading, TextLine, read_lines

log = logging.getLogger(__name__)

# Tall screenshots are read in slices (the models scale a picture to 2000 pixels at most:
# a 1080×7000 screenshot whole would be read at a sixth of its size).
_TILE_HEIGHT = 1600
_TILE_OVERLAP = 160
_READ_WHOLE_UP_TO = 2000


@dataclass(frozen=True)
class PictureSize:
    format: str
    width: int
    height: int


def check_picture(data: bytes) -> PictureSize:
    """The limits, from the header alone: nothing is decoded here (Pillow reads the
    size and the frame count lazily). BadInput names what is wrong."""
    if len(data) > SCREENSHOT_MAX_BYTES:
        raise BadInput("screenshots.too_large", limit_mb=SCREENSHOT_MAX_BYTES // 1024 // 1024)
    from PIL import Image, UnidentifiedImageError  # noqa: PLC0415 - only the worker process decodes pictures

    try:
        image = Image.open(io.BytesIO(data), formats=SCREENSHOT_FORMATS)
    except Image.DecompressionBombError as exc:
        raise BadInput("screenshots.too_many_pixels", width=0, height=0, limit=SCREENSHOT_MAX_PIXELS) from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise BadInput("screenshots.not_a_picture") from exc
    width, height = image.size
    if width * height > SCREENSHOT_MAX_PIXELS or max(width, height) > SCREENSHOT_MAX_SIDE:
        raise BadInput(
            "screenshots.too_many_pixels",
            width=width,
            height=height,
            limit=SCREENSHOT_MAX_PIXELS,
            side=SCREENSHOT_MAX_SIDE,
        )
    if min(width, height) < SCREENSHOT_MIN_SIDE:
        raise BadInput("screenshots.too_small", width=width, height=height)
    try:
        animated = bool(getattr(image, "is_animated", False))
    except (OSError, ValueError, EOFError) as exc:
        raise BadInput("screenshots.not_a_picture") from exc
    if animated:
        raise BadInput("screenshots.animated")
    return PictureSize(str(image.format), width, height)


# -- the worker process ---------------------------------------------------------------------------


def _tiles(height: int, width: int) -> list[tuple[int, int]]:
    """(top, bottom) of the slices a picture is read in."""
    if height <= _READ_WHOLE_UP_TO or height <= 1.8 * width:
        return [(0, height)]
    tiles, top = [], 0
    while True:
        bottom = min(height, top + _TILE_HEIGHT)
        tiles.append((top, bottom))
        if bottom >= height:
            return tiles
        top = bottom - _TILE_OVERLAP


def _ocr_lines(engine: Any, image: Any) -> list[TextLine]:
    """Every line the models read, placed in the whole picture; a line cut by a slice's
    edge is taken from the slice that holds it whole."""
    lines: list[TextLine] = []
    tiles = _tiles(image.height, image.width)
    for index, (top, bottom) in enumerate(tiles):
        part = image if len(tiles) == 1 else image.crop((0, top, image.width, bottom))
        found, _ = engine(part)
        for box, text, _score in found or ():
            xs, ys = [p[0] for p in box], [p[1] for p in box]
            line = TextLine(str(text), min(xs), min(ys) + top, max(xs), max(ys) + top)
            if index > 0 and line.top - top < 3:
                continue  # cut by the slice's top edge: whole in the slice above
            if index < len(tiles) - 1 and bottom - line.bottom < 3:
                continue
            if any(o.text == line.text and abs(o.top - line.top) < _TILE_OVERLAP for o in lines):
                continue  # in the overlap, read twice
            lines.append(line)
    return lines


class _EngineMissing(Exception):
    """The models could not load (a system library opencv needs is missing)."""


def _engine(threads: int) -> Any:
    import cv2  # noqa: PLC0415 - the models load in the worker process only
    from rapidocr_onnxruntime import RapidOCR  # noqa: PLC0415 - idem

    cv2.setNumThreads(threads)
    return RapidOCR(intra_op_num_threads=threads, inter_op_num_threads=1)


def _read(
    engine_box: list[Any], threads: int, fingerprinter: Fingerprinter, data: bytes, platform: str | None
) -> Reading:
    size = check_picture(data)
    from PIL import Image  # noqa: PLC0415 - only the worker process decodes pictures

    pixels = Image.open(io.BytesIO(data), formats=SCREENSHOT_FORMATS).convert("RGB")
    if not engine_box:
        try:
            engine_box.append(_engine(threads))
        except (ImportError, OSError) as exc:  # a system library missing (libGL): the operator's to fix
            raise _EngineMissing(str(exc)) from exc
    lines = _ocr_lines(engine_box[0], pixels)
    return read_lines(lines, size.width, size.height, fingerprinter, Platform(platform) if platform else None)


def _worker_main(connection: Any, secret: bytes, threads: int, memory_backstop: int) -> None:
    """Answers ("done", Reading), ("refused", code, context) or ("failed", kind) to each
    ("read", bytes, platform), until the bot closes its end."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_backstop, memory_backstop))
    with contextlib.suppress(OSError):
        os.nice(10)  # the chat comes first
    fingerprinter = Fingerprinter(secret)
    engine_box: list[Any] = []
    while True:
        try:
            _, data, platform = connection.recv()
        except (EOFError, OSError):
            return
        try:
            answer: tuple[Any, ...] = ("done", _read(engine_box, threads, fingerprinter, data, platform))
        except Refused as refusal:
            answer = ("refused", refusal.code, refusal.context)
        except MemoryError:
            os._exit(70)
        except _EngineMissing as exc:
            answer = ("failed", f"the OCR models could not load: {exc}")
        except Exception as exc:  # a decoder's or the models' error: this picture only
            answer = ("failed", type(exc).__name__)
        del data
        connection.send(answer)


# -- the bot's side -----------------------------------------------------------------------------


class OcrWorker:
    """The bot's end of the OCR worker: one picture at a time, `queue_max` waiting."""

    def __init__(
        self,
        secret: bytes,
        memory_mb: int = 1536,
        seconds: float = 30,
        threads: int = 1,
        queue_max: int = 6,
        idle_seconds: float = 600,
    ):
        self.secret = secret
        self.memory_bytes = memory_mb * 1024 * 1024
        self.seconds = seconds
        self.threads = threads
        self.queue_max = queue_max
        self.idle_seconds = idle_seconds
        self._lock = asyncio.Lock()
        self._waiting = 0
        self._process: Any = None
        self._connection: Any = None
        self._idle: asyncio.TimerHandle | None = None
        self._retiring: asyncio.Task[None] | None = None
        # Pictures the models read (a picture refused from its header is not counted).
        self.pictures_read = 0

    async def read(self, data: bytes, platform: Platform | None = None) -> Reading:
        if len(data) > SCREENSHOT_MAX_BYTES:
            raise BadInput("screenshots.too_large", limit_mb=SCREENSHOT_MAX_BYTES // 1024 // 1024)
        if self._waiting >= self.queue_max:
            raise Limited("screenshots.busy", limit=self.queue_max)
        self._waiting += 1
        try:
            await self._lock.acquire()
        finally:
            self._waiting -= 1
        try:
            return await self._read(data, platform)
        finally:
            self._lock.release()

    async def _read(self, data: bytes, platform: Platform | None) -> Reading:
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None
        await self._start()
        connection, process = self._connection, self._process
        answer: tuple[Any, ...] | None = None
        outcome = "stopped"
        ready = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_reader(connection.fileno(), ready.set)
        try:
            answer, outcome = await self._answer(connection, process, ready, data, platform)
        finally:
            with contextlib.suppress(ValueError, OSError):
                loop.remove_reader(connection.fileno())
            if answer is None:
                # Too slow, too big, dead, or the bot is stopping: a worker left half-way
                # through a picture would answer the next one with this one's lines.
                log.warning("screenshot worker stopped: %s", outcome)
                await self._kill()
        if answer is None:
            raise BadInput("screenshots.too_slow" if outcome == "too_slow" else "screenshots.unreadable")
        self._idle = loop.call_later(self.idle_seconds, self._retire_later)
        if answer[0] == "done":
            self.pictures_read += 1
            return answer[1]
        if answer[0] == "refused":
            raise BadInput(answer[1], **answer[2])
        log.warning("screenshot not read: %s", answer[1])
        raise BadInput("screenshots.unreadable")

    async def _answer(
        self, connection: Any, process: Any, ready: asyncio.Event, data: bytes, platform: Platform | None
    ) -> tuple[tuple[Any, ...] | None, str]:
        """The worker's answer to one picture, or None and why: "too_slow", "memory",
        "crashed" (it died, or its end of the pipe closed: the bot is stopping)."""
        try:
            await asyncio.to_thread(connection.send, ("read", data, platform.value if platform else None))
            deadline = time.monotonic() + self.seconds
            while True:
                if time.monotonic() > deadline:
                    return None, "too_slow"
                if resident_bytes(process.pid) > self.memory_bytes:
                    return None, "memory"
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(ready.wait(), 0.2)
                ready.clear()
                if connection.poll():
                    return connection.recv(), "done"
                if not process.is_alive():
                    return None, "crashed"
        except (EOFError, OSError, ValueError):
            return None, "crashed"

    def _retire_later(self) -> None:
        self._retiring = asyncio.create_task(self._retire())

    async def _start(self) -> None:
        if self._process is not None and self._process.is_alive():
            return
        await self._kill()
        context = multiprocessing.get_context("spawn")
        mine, theirs = context.Pipe(duplex=True)
        backstop = self.memory_bytes * 2 + 1024 * 1024 * 1024
        process = context.Process(
            target=_worker_main, args=(theirs, self.secret, self.threads, backstop), daemon=True, name="shop-guard-ocr"
        )
        await asyncio.to_thread(process.start)
        theirs.close()
        self._process, self._connection = process, mine

    async def _retire(self) -> None:
        """An idle worker exits (its next picture starts a new one)."""
        if not self._lock.locked():
            await self._kill()

    async def _kill(self) -> None:
        process, connection = self._process, self._connection
        self._process = self._connection = None
        if connection is not None:
            connection.close()
        if process is not None:
            if process.is_alive():
                process.kill()
            await asyncio.to_thread(process.join, 10)

    async def stop(self) -> None:
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None
        await self._kill()
