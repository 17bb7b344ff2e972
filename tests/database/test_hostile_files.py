"""Files as an attacker sends them (issue: a 1.7 KB XLSX made the reader allocate 512 GB
and killed the bot; a zip bomb took 27 s and 3.3 GB; 3 million tiny CSV rows took 2 GB).
Each is refused by a limit checked before or while reading, with its own message; what
gets past the limits costs a worker process, never the bot."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import pytest

from bot.errors import BadInput
from bot.identity.fingerprints import Fingerprinter
from bot.messaging.render import render
from bot.screening.jobs import ScreeningJobs
from bot.screening.rows import parse_orders
from bot.screening.sheets import CELL_MAX_CHARS, MAX_COLUMNS, MAX_ROWS, _inspect_xlsx
from bot.states import Channel
from bot.storage.models.messaging import OutboxMessage
from bot.storage.models.screening import ScreeningJob
from tests.conftest import SECRET

FINGERPRINTER = Fingerprinter(SECRET)
HEADER_CELLS = (
    '<c r="A1" t="inlineStr"><is><t>订单编号</t></is></c><c r="B1" t="inlineStr"><is><t>买家会员名</t></is></c>'
)


def xlsx(sheet_data: str, dimension: str | None = None, padding: int = 0, dimension_attributes: str = "") -> bytes:
    """A minimal workbook written by hand, so that it can say what openpyxl never would."""
    dimension_xml = f'<dimension ref="{dimension}"/>' if dimension else ""
    if dimension_attributes:
        dimension_xml = f"<dimension {dimension_attributes}/>"
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"{dimension_xml}<sheetData>{sheet_data}</sheetData>{' ' * padding}</worksheet>"
    )
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="订单" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": sheet,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def refusal(data: bytes, name: str) -> BadInput:
    started = time.perf_counter()
    with pytest.raises(BadInput) as caught:
        parse_orders(data, name, FINGERPRINTER)
    # Refused by a limit, before the work: in well under a second, whatever the file
    # would have cost to read.
    assert time.perf_counter() - started < 3
    text = render(caught.value.template, **caught.value.context)
    assert text and "Traceback" not in text
    return caught.value


def test_a_workbook_that_reaches_for_the_last_cell_is_refused_before_the_reader():
    data = xlsx(f'<row r="1">{HEADER_CELLS}</row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')
    assert len(data) < 2000
    refused = refusal(data, "bomb.xlsx")
    assert refused.code == "sheets.dimension_too_large"
    assert f"{MAX_ROWS:,} 行或 {MAX_COLUMNS} 列" in render(refused.template, **refused.context)


@pytest.mark.parametrize(
    "sheet_data",
    [
        f'<row r="1">{HEADER_CELLS}</row><row r="2"><c r="AAA2"><v>1</v></c></row>',  # a far column
        f'<row r="1">{HEADER_CELLS}</row><row r="2"><c r="A310001"><v>1</v></c></row>',  # a cell lying about its row
        f'<row r="1">{HEADER_CELLS}</row><row r="5000000"><c r="A5000000"><v>1</v></c></row>',
    ],
)
def test_any_reference_beyond_the_limits_is_refused(sheet_data):
    assert refusal(xlsx(sheet_data), "far.xlsx").code == "sheets.dimension_too_large"


def test_a_declared_dimension_beyond_the_limits_is_refused():
    data = xlsx(f'<row r="1">{HEADER_CELLS}</row>', dimension="A1:XFD1048576")
    assert refusal(data, "dimension.xlsx").code == "sheets.dimension_too_large"


@pytest.mark.parametrize(
    ("sheet_data", "dimension"),
    [
        # The same far cell in every quoting and spacing XML allows, and in any case.
        (f"<row r='1'>{HEADER_CELLS}</row><row r='1048576'><c r='XFD1048576'><v>1</v></c></row>", None),
        (f'<row r="1">{HEADER_CELLS}</row><row r = "2"><c r = "XFD2"><v>1</v></c></row>', None),
        (f'<row r="1">{HEADER_CELLS}</row><row r="2"><c r\t=\n\'A1048576\'><v>1</v></c></row>', None),
        (f'<row r="1">{HEADER_CELLS}</row><row r="2"><c r="xfd2"><v>1</v></c></row>', None),
        (f'<row r="1">{HEADER_CELLS}</row><row r="2"><c r=" XFD2"><v>1</v></c></row>', None),
        # Spelt with a character reference: no export writes that.
        (f'<row r="1">{HEADER_CELLS}</row><row r="2"><c r="&#88;FD2"><v>1</v></c></row>', None),
        # The declared dimension, likewise.
        (f'<row r="1">{HEADER_CELLS}</row>', "ref = 'A1:XFD1048576'"),
        (f'<row r="1">{HEADER_CELLS}</row>', 'ref="A1 : xfd1048576"'),
        (f'<row r="1">{HEADER_CELLS}</row>', 'ref="A1:&#88;FD1048576"'),
    ],
)
def test_references_are_read_in_any_quoting_and_spacing(sheet_data, dimension):
    """Only the pre-scan runs here: on a reader that missed them these files would ask
    the reader for the whole rectangle up to XFD1048576."""
    data = xlsx(sheet_data, dimension_attributes=dimension or "")
    with pytest.raises(BadInput) as caught:
        _inspect_xlsx(data, "")
    assert caught.value.code == "sheets.dimension_too_large"


def test_a_formula_is_found_in_any_quoting():
    sheet_data = f"<row r='1'>{HEADER_CELLS}</row><row r='2'><c r = 'B2'><f>1+1</f><v>2</v></c></row>"
    with pytest.raises(BadInput) as caught:
        _inspect_xlsx(xlsx(sheet_data), "")
    assert caught.value.code == "sheets.formula" and caught.value.context["cell"] == "B2"


def test_a_part_that_inflates_far_beyond_its_size_is_refused():
    # 20 MB of spaces packs into ~20 KB: a zip bomb's ratio, refused before inflating.
    data = xlsx(f'<row r="1">{HEADER_CELLS}</row>', padding=20 * 1024 * 1024)
    assert len(data) < 100_000
    refused = refusal(data, "zipbomb.xlsx")
    assert refused.code == "sheets.unpacked_too_large"
    assert "解压后太大" in render(refused.template, **refused.context)


def test_millions_of_tiny_csv_rows_are_refused_at_the_row_limit():
    data = ("订单编号,买家会员名\n" + "1,a\n" * 3_000_000).encode()
    refused = refusal(data, "rows.csv")
    assert refused.code == "sheets.too_many_rows"
    assert "超过 300,000 行" in render(refused.template, **refused.context)


def test_a_csv_field_beyond_the_cell_limit_gets_its_own_refusal():
    data = ("订单编号,买家会员名\n1," + "x" * 131_073 + "\n").encode()
    refused = refusal(data, "cell.csv")
    assert refused.code == "sheets.cell_too_long" and refused.context["limit"] == CELL_MAX_CHARS
    assert "第 2 行有一个格子的内容太长" in render(refused.template, **refused.context)


def test_a_row_with_thousands_of_columns_is_refused():
    data = ("订单编号,买家会员名" + ",x" * 5000 + "\n1,a\n").encode()
    assert refusal(data, "wide.csv").code == "sheets.too_many_columns"


def test_an_unparseable_file_is_not_echoed():
    """Something that is not an order table (what an internal service would answer) is
    refused without showing its first line."""
    data = b'{"admin_token": "s3cr3t", "internal": true}\n'
    refused = refusal(data, "x.csv")
    text = render(refused.template, **refused.context)
    assert refused.code == "sheets.missing_columns"
    assert "admin_token" not in text and "s3cr3t" not in text and "没有认出任何订单表的列名" in text


# -- the worker process ---------------------------------------------------------------------


def _export(rows: int) -> bytes:
    lines = ["订单编号,买家会员名,联系手机,收货地址"]
    lines += [f'="37200{n:011d}",buyer_{n},139{n % 10**8:08d},浙江省 杭州市 西湖区 文{n}路' for n in range(rows)]
    return ("\n".join(lines) + "\n").encode()


async def _shop(blacklist, owner: str = "qq:1"):
    from bot.commands.grammar import parse_bind

    return (await blacklist.bind(owner, parse_bind(f"淘宝 店{owner[-1]}"))).shop


async def test_a_worker_that_runs_out_of_memory_fails_that_job_only(pool, blacklist, tmp_path: Path):
    from bot.storage.database import database

    assert database.url is not None
    jobs = ScreeningJobs(tmp_path, SECRET, database.url, blacklist.clock, memory_mb=150, seconds=60)
    shop = await _shop(blacklist)
    submitted = await jobs.submit(shop, "huge.csv", _export(150_000), (Channel.group, 5))
    await jobs.idle()
    job = await ScreeningJob.get(id=submitted.job.id)
    assert (job.state, job.error_code) == ("failed", "screen.crashed")
    message = await OutboxMessage.get(kind="screening")
    assert (message.channel, message.target_id) == ("group", 5)
    assert "「huge.csv」没能筛查：读这个文件时出了问题" in message.text
    assert not any(tmp_path.joinpath("screenings").glob("*.input*"))  # the file is not kept
    # The same service, with room to work, screens the next file.
    jobs.memory_bytes = 2048 * 1024 * 1024
    submitted = await jobs.submit(shop, "ok.csv", _export(2_000), (Channel.group, 5))
    await jobs.idle()
    job = await ScreeningJob.get(id=submitted.job.id)
    assert job.state == "done" and job.outcome is not None and job.outcome["rows"] == 2_000
    await jobs.stop()


async def test_a_worker_that_takes_too_long_is_stopped(pool, blacklist, tmp_path: Path):
    from bot.storage.database import database

    assert database.url is not None
    jobs = ScreeningJobs(tmp_path, SECRET, database.url, blacklist.clock, seconds=0.3)
    shop = await _shop(blacklist)
    submitted = await jobs.submit(shop, "slow.csv", _export(50_000), (Channel.private, 42))
    await jobs.idle()
    job = await ScreeningJob.get(id=submitted.job.id)
    assert (job.state, job.error_code) == ("failed", "screen.too_slow")
    assert "超过 1 分钟还没读完" in (await OutboxMessage.get(kind="screening")).text
    await jobs.stop()


async def test_one_file_per_shop_and_the_queue_tells_each_its_place(pool, blacklist, tmp_path: Path):
    from bot.errors import Conflict, Limited
    from bot.storage.database import database

    assert database.url is not None
    jobs = ScreeningJobs(tmp_path, SECRET, database.url, blacklist.clock, queue_max=2)
    first, second, third, fourth = [await _shop(blacklist, f"qq:{n}") for n in range(1, 5)]
    # Nothing runs until the workers start: all three wait, in order.
    jobs._start = lambda: None  # type: ignore[method-assign]
    assert (await jobs.submit(first, "a.csv", _export(10))).ahead == 0
    with pytest.raises(Conflict) as busy:
        await jobs.submit(first, "b.csv", _export(10))
    assert "已经有一份订单表「a.csv」在筛查" in render(busy.value.template, **busy.value.context)
    assert (await jobs.submit(second, "c.csv", _export(10))).ahead == 1
    with pytest.raises(Limited) as full:
        await jobs.submit(third, "d.csv", _export(10))
    assert "排队筛查的文件太多了" in render(full.value.template, **full.value.context)
    # After a restart the waiting files are screened, each once.
    del jobs._start
    restarted = ScreeningJobs(tmp_path, SECRET, database.url, blacklist.clock)
    assert await restarted.resume() == 2
    await restarted.idle()
    assert [j.state for j in await ScreeningJob.all().order_by("id")] == ["done", "done"]
    assert (await restarted.submit(fourth, "e.csv", _export(10))).ahead == 0
    await restarted.idle()
    await restarted.stop()
