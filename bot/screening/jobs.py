"""The screening queue: order exports are screened one job at a time (or `workers` at a
time) in a worker process of their own, with a memory cap and a time limit.

An uploaded file is hostile until read. Reading and screening run in a child process:
a reader that crashes, a file that makes it allocate without end, or one that takes
forever becomes a refusal for the shop that sent it, and the bot, its event loop and
every other group carry on. The child exits when its job is done, so its memory goes
back to the system. At most one file per shop waits or runs; a shop whose file waits is
told its place. The file waits in the data folder and the job in the database, so a
restart resumes it; the summary goes through the outbox like every proactive message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.clock import Clock, utc_now
from bot.errors import BadInput, Conflict, Limited
from bot.identity.fingerprints import Fingerprinter
from bot.identity.platforms import Platform
from bot.messaging.render import explain, render
from bot.screening.matching import screen
from bot.screening.processes import resident_bytes
from bot.screening.results import ReasonLines, outcome, summary, write_result
from bot.states import Channel, ScreeningState
from bot.storage.database import database
from bot.storage.models.screening import ScreeningJob
from bot.storage.models.shops import Shop
from bot.storage.screenings import (
    create_screening,
    finish_screening,
    queued_before,
    queued_count,
    screening_by_id,
    screening_progress,
    set_screening_input,
    start_screening,
    unfinished_screenings,
    waiting_screening_of,
)

log = logging.getLogger(__name__)

CHAT_LIMIT = 15  # buyers listed in one chat message; the counts cover the rest
OUTCOME_LIMIT = 50  # buyers kept with the job (the HTTP API and dashboard show them)


@dataclass(frozen=True)
class Submitted:
    job: ScreeningJob
    ahead: int  # files waiting before this one


@dataclass(frozen=True)
class _Params:
    """What the child needs: plain data only (it is pickled across the process edge)."""

    input_path: str
    file_name: str
    platform: str
    secret: bytes
    database_url: str
    now: datetime
    result_path: str
    memory_bytes: int
    cpu_seconds: int


class ScreeningJobs:
    def __init__(
        self,
        data_dir: Path,
        secret: bytes,
        database_url: str,
        clock: Clock = utc_now,
        workers: int = 1,
        queue_max: int = 20,
        memory_mb: int = 2048,
        seconds: float = 600,
    ):
        self.folder = data_dir / "screenings"
        self.secret = secret
        self.database_url = database_url
        self.clock = clock
        self.workers = workers
        self.queue_max = queue_max
        self.memory_bytes = memory_mb * 1024 * 1024
        self.seconds = seconds
        self._queue: asyncio.Queue[int] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._busy = 0

    # -- accepting files ---------------------------------------------------------------

    async def admit(self, shop: Shop) -> None:
        """Refuse before anything is downloaded: one file per shop, a bounded queue."""
        waiting = await waiting_screening_of(shop.id)
        if waiting is not None:
            raise Conflict("screen.busy", file_name=waiting.file_name, ahead=await queued_before(waiting.id))
        if await queued_count() >= self.queue_max:
            raise Limited("screen.queue_full", limit=self.queue_max)

    async def submit(
        self, shop: Shop, file_name: str, data: bytes, reply_to: tuple[Channel, int] | None = None
    ) -> Submitted:
        await self.admit(shop)
        job = await create_screening(
            shop_id=shop.id,
            platform=shop.platform,
            file_name=file_name[:120],
            reply_channel=reply_to[0] if reply_to else None,
            reply_target=reply_to[1] if reply_to else None,
            created_at=self.clock(),
        )
        suffix = Path(file_name).suffix.lower()[:8]
        path = self.folder / f"{job.id}.input{suffix}"
        await asyncio.to_thread(_write, path, data)
        job.input_path = str(path)
        await set_screening_input(job.id, job.input_path)
        ahead = await queued_before(job.id)
        self._start()
        await self._queue.put(job.id)
        return Submitted(job, ahead)

    async def resume(self) -> int:
        """After a restart: queue again every job that was waiting or running and whose
        file is still here. Returns how many."""
        resumed = 0
        for job in await unfinished_screenings():
            if job.input_path is None:
                continue
            if await asyncio.to_thread(os.path.exists, job.input_path):
                self._start()
                await self._queue.put(job.id)
                resumed += 1
        return resumed

    async def job(self, job_id: int) -> ScreeningJob | None:
        return await screening_by_id(job_id)

    async def idle(self) -> None:
        """Wait until every queued job is done (tests, shutdown)."""
        await self._queue.join()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    # -- the workers --------------------------------------------------------------------

    def _start(self) -> None:
        self._tasks = [t for t in self._tasks if not t.done()]
        while len(self._tasks) < self.workers:
            self._tasks.append(asyncio.create_task(self._work()))

    async def _work(self) -> None:
        while True:
            job_id = await self._queue.get()
            try:
                await self._run(job_id)
            except asyncio.CancelledError:
                raise
            except Exception:  # never lose the worker over one job
                log.exception("screening job %s failed", job_id)
            finally:
                self._queue.task_done()

    async def _run(self, job_id: int) -> None:
        job = await screening_by_id(job_id)
        if job is None or job.state not in (ScreeningState.queued, ScreeningState.running) or not job.input_path:
            return
        await start_screening(job.id, self.clock())
        result_path = self.folder / f"{job.id}.screened.csv"
        params = _Params(
            input_path=job.input_path,
            file_name=job.file_name,
            platform=job.platform,
            secret=self.secret,
            database_url=self.database_url,
            now=self.clock(),
            result_path=str(result_path),
            memory_bytes=self.memory_bytes,
            cpu_seconds=int(self.seconds) + 5,
        )

        async def progress(stage: str, done: int, total: int) -> None:
            await screening_progress(job.id, stage, done, total)

        kind, payload = await _in_child(params, self.seconds, self.memory_bytes, progress)
        values: dict[str, Any]
        if kind == "done":
            values = {"state": ScreeningState.done, "outcome": payload, "result_path": str(result_path)}
            text = render(
                "screen/finished.j2", job=job, summary=_summary(payload, CHAT_LIMIT), platform=Platform(job.platform)
            )
        elif kind == "refused":
            values = {"state": ScreeningState.refused, "error_code": payload["code"], "error_context": payload}
            text = render("screen/refused.j2", job=job, reason=payload["message"])
        else:
            values = {"state": ScreeningState.failed, "error_code": f"screen.{kind}", "error_context": payload}
            text = render(f"screen/{kind}.j2", job=job, minutes=max(1, round(self.seconds / 60)))
        reply = (job.reply_channel, job.reply_target, text) if job.reply_channel and job.reply_target else None
        await finish_screening(job, values, reply, self.clock())
        await asyncio.to_thread(_remove, Path(job.input_path))


def _summary(result: dict[str, Any], limit: int) -> str:
    return summary(result, limit)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


Progress = Callable[[str, int, int], Any]


async def _in_child(params: _Params, seconds: float, memory_bytes: int, progress: Progress) -> tuple[str, Any]:
    """Run the job in a new process; ("done", outcome), ("refused", {code, message}),
    ("too_slow", {}) after `seconds`, or ("crashed", {…}) when the child used more than
    `memory_bytes` (it is killed) or died without an answer (a reader crash).

    The memory is watched from here, by the child's resident size: a limit the child
    hits itself (RLIMIT_AS, kept as a backstop at twice the cap) can fail an allocation
    inside a library callback or thread and leave the child waiting forever."""
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_child_main, args=(send, params), daemon=True)
    await asyncio.to_thread(child.start)
    send.close()
    deadline = time.monotonic() + seconds
    answer: tuple[str, Any] | None = None
    last_progress = 0.0
    try:
        while answer is None:
            if time.monotonic() > deadline:
                answer = ("too_slow", {})
                break
            if child.pid is not None and resident_bytes(child.pid) > memory_bytes:
                answer = ("crashed", {"reason": "memory"})
                break
            if not await asyncio.to_thread(receive.poll, 0.1):
                if not child.is_alive() and not receive.poll():
                    break
                continue
            try:
                message = receive.recv()
            except (EOFError, OSError):
                break
            if message[0] == "progress":
                # At most twice a second: the database is not a progress bar.
                if time.monotonic() - last_progress > 0.5:
                    last_progress = time.monotonic()
                    await progress(*message[1:])
            else:
                answer = (message[0], message[1])
    finally:
        if child.is_alive():
            child.kill()
        await asyncio.to_thread(child.join, 10)
        receive.close()
    return answer or ("crashed", {"exitcode": child.exitcode})


_OUT_OF_MEMORY = 70


def _child_main(send: Any, params: _Params) -> None:
    """The worker process: limits first, then the whole screening, then one answer."""
    backstop = params.memory_bytes * 2 + 512 * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (backstop, backstop))
    resource.setrlimit(resource.RLIMIT_CPU, (params.cpu_seconds, params.cpu_seconds))
    try:
        data = Path(params.input_path).read_bytes()
        result = asyncio.run(_screen_in_child(send, params, data))
    except BadInput as refusal:
        # Rendered here: the explanation needs the refusal's own objects (columns…).
        send.send(("refused", {"code": refusal.code, "message": explain(refusal)}))
    except MemoryError:
        os._exit(_OUT_OF_MEMORY)
    else:
        send.send(("done", result))
    finally:
        send.close()


async def _screen_in_child(send: Any, params: _Params, data: bytes) -> dict[str, Any]:
    def progress(stage: str, done: int, total: int) -> None:
        send.send(("progress", stage, done, total))

    def out_of_memory(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        # Running out of memory inside a callback (asyncpg's protocol) would leave the
        # awaiting future unresolved and the worker idle until its time limit: end now.
        if isinstance(context.get("exception"), MemoryError):
            os._exit(_OUT_OF_MEMORY)
        loop.default_exception_handler(context)

    asyncio.get_running_loop().set_exception_handler(out_of_memory)

    await database.start(params.database_url, migrate=False)
    try:
        report = await screen(
            data, params.file_name, Platform(params.platform), Fingerprinter(params.secret), params.now, progress
        )
    finally:
        await database.stop()
    lines = ReasonLines()
    write_result(report, Path(params.result_path), lines)
    return outcome(report, lines, OUTCOME_LIMIT)
