"""Benchmark: one alert for 2,000 subscribed groups.

    .venv/bin/python bench/outbox_bench.py [--groups 2000] [--database-url postgres://…]

1. The report that makes a buyer cross into 高风险, with its outbox rows for every group
   committed in the same transaction, beside the same crossing with no subscribed group
   (baseline, same run). Target: the outbox rows cost ≤ 200 ms.
2. The sender draining those rows with a no-op transport and pacing off: its own
   overhead per message (claim, mark sent), beside the no-op transport alone.
   Target: ≤ 1 ms per message.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.blacklist.blacklist import Blacklist
from bot.commands.grammar import parse_bind, parse_report
from bot.identity.fingerprints import Fingerprinter
from bot.messaging.alerts import Alerts
from bot.messaging.outbox import Sender
from bot.states import Channel
from bot.storage.database import database, sqlite_url
from bot.storage.models.messaging import OutboxMessage, Subscription
from bot.storage.trust import vouch_as_moderator


class NoOp:
    async def send(
        self, target_id: int, text: str, image: str | None, channel: Channel = Channel.group, mention: int | None = None
    ) -> None:
        return None


_orders = itertools.count(3_720_000_000_000_001)


async def crossing(blacklist: Blacklist, shops, buyer: str) -> float:
    # Verified shops' reports with an order number: what counts toward 高风险.
    await blacklist.report(shops[0], parse_report(f"{buyer} 差评师 {next(_orders)}"))
    started = time.perf_counter()
    filing = await blacklist.report(shops[1], parse_report(f"{buyer} 差评师 {next(_orders)}"))
    elapsed = time.perf_counter() - started
    assert filing.verdict.level.value == "高风险"
    return elapsed


async def run(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="shop-guard-outbox-bench-"))
    url = args.database_url or sqlite_url(workdir)
    await database.start(url)
    await OutboxMessage.all().delete()
    await Subscription.all().delete()
    alerts = Alerts(workdir)
    blacklist = Blacklist(Fingerprinter(b"benchmark-secret-0123456789abcdef"), on_decided=alerts.on_decided)
    shops = [(await blacklist.bind(f"bench:{i}", parse_bind(f"淘宝 店{i}"))).shop for i in range(2)]
    for shop in shops:
        await vouch_as_moderator(shop, "bench", datetime.now(UTC))

    baseline = await crossing(blacklist, shops, f"bench_none_{time.time_ns()}")
    await Subscription.bulk_create(
        [Subscription(group_id=100000 + i, subscribed_by="bench") for i in range(args.groups)]
    )
    with_rows = await crossing(blacklist, shops, f"bench_many_{time.time_ns()}")
    queued = await OutboxMessage.filter(status="pending").count()
    print(f"database: {'PostgreSQL' if url.startswith('postgres') else 'SQLite'}")
    print(f"crossing report, {queued:,} outbox rows   {with_rows * 1000:7.1f} ms")
    print(f"crossing report, no group (baseline)  {baseline * 1000:7.1f} ms")
    print(
        f"outbox rows cost                      {(with_rows - baseline) * 1000:7.1f} ms  (target <= 200 ms: "
        f"{'met' if with_rows - baseline <= 0.2 else 'NOT met'}); ratio {with_rows / baseline:.1f}x"
    )

    sender = Sender(NoOp(), "bench", group_interval=0, global_interval=0)
    started = time.perf_counter()
    sent = 0
    while batch := await sender.run_once(limit=200):
        sent += batch
    drained = time.perf_counter() - started
    transport = NoOp()
    started = time.perf_counter()
    for i in range(sent):
        await transport.send(i, "x", None)
    bare = time.perf_counter() - started
    per_message = drained / max(sent, 1) * 1000
    print(
        f"sender: {sent:,} messages in {drained:.2f} s = {per_message:.3f} ms/message  (target <= 1 ms: "
        f"{'met' if per_message <= 1 else 'NOT met'})"
    )
    print(
        f"no-op transport alone: {bare / max(sent, 1) * 1e6:.2f} µs/message (baseline); ratio {drained / max(bare, 1e-9):,.0f}x"
    )
    await database.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--groups", type=int, default=2000)
    parser.add_argument("--database-url", help="default: a new SQLite file")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
