"""The HTTP API through aiohttp's test client (SQLite and PostgreSQL): every endpoint,
auth, limits and refusals, and every response checked against the OpenAPI document."""

from __future__ import annotations

import asyncio
import io
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestClient, TestServer
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_spec

from bot.commands.grammar import parse_check, parse_report
from bot.commands.requests import CheckRequest
from bot.errors import Refused
from bot.pool import Pool, assemble
from bot.settings import Settings
from bot.storage.database import database
from bot.storage.models.access import ApiKey
from bot.storage.models.cases import JointCase
from bot.storage.models.reports import Report
from bot.trust.moderation import Actor
from tests.conftest import SECRET, verified_shop
from tests.export_fixtures import EXPORT
from web import create_app
from web.openapi import document

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
DOCUMENT = document()


def test_the_openapi_document_is_valid_openapi_3_1():
    validate_spec(DOCUMENT)
    assert DOCUMENT["openapi"] == "3.1.0"


def conforms(template: str, method: str, status: int, body: Any) -> None:
    """The response body matches what the document promises for it."""
    responses = DOCUMENT["paths"][template][method]["responses"]
    assert str(status) in responses, f"{method.upper()} {template} answered {status}, undocumented"
    content = responses[str(status)].get("content", {})
    if "application/json" not in content:
        return
    pointer = "/".join(
        part.replace("~", "~0").replace("/", "~1")
        for part in ("paths", template, method, "responses", str(status), "content", "application/json", "schema")
    )
    Draft202012Validator({**DOCUMENT, "$ref": f"#/{pointer}"}).validate(body)


def sent_conforms(template: str, method: str, body: Any) -> None:
    """A request body the API accepted matches what the document asks of clients."""
    content = DOCUMENT["paths"][template][method].get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return
    pointer = "/".join(
        part.replace("~", "~0").replace("/", "~1")
        for part in ("paths", template, method, "requestBody", "content", "application/json", "schema")
    )
    Draft202012Validator({**DOCUMENT, "$ref": f"#/{pointer}"}).validate(body)


@dataclass
class Site:
    client: TestClient
    services: Pool

    async def call(
        self, method: str, path: str, template: str, status: int, key: str | None = None, **kwargs: Any
    ) -> Any:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        response = await self.client.request(method, path, headers=headers, **kwargs)
        assert response.status == status, (method, path, response.status, await response.text())
        if status < 400 and "json" in kwargs:
            sent_conforms(template, method.lower(), kwargs["json"])
        if response.content_type == "application/json":
            body = await response.json()
            conforms(template, method.lower(), status, body)
            return body
        return await response.read()

    async def shop_key(self, account: str, name: str, verified: bool = True, platform: str = "淘宝") -> tuple[Any, str]:
        blacklist = self.services.blacklist
        if verified:
            shop = await verified_shop(blacklist, account, name, platform)
        else:
            from bot.commands.grammar import parse_bind

            shop = (await blacklist.bind(account, parse_bind(f"{platform} {name}"))).shop
        return shop, await self.services.access.rotate_key(shop, account)


def _settings(**overrides: Any) -> Settings:
    return Settings(**{"superusers": {"90000"}, "api_calls_per_minute": 1000, "web_appeals_per_hour": 3, **overrides})


@pytest.fixture
async def site(pool, tmp_path, clock):
    settings = _settings()
    services = assemble(settings, tmp_path, SECRET, database.current_url, clock)
    async with TestClient(TestServer(create_app(services, settings, tmp_path))) as client:
        yield Site(client, services)
    await services.screenings.stop()


async def test_check_answers_a_batch_in_order_with_the_chat_s_words(site: Site):
    blacklist = site.services.blacklist
    a, key = await site.shop_key("qq:1", "甲店")
    b, _ = await site.shop_key("qq:2", "乙店")
    await blacklist.report(a, parse_report("tb_bad 差评师 3720000000000001 30 手机:13812345678"))
    await blacklist.report(b, parse_report("tb_bad 差评师 3720000000000002"))
    await blacklist.report(b, parse_report("tb_alias 恶意退货 3720000000000003 手机:13812345678"))
    buyers: list[dict[str, Any]] = [
        {"buyer_id": "nobody_here"},
        {"platform": "淘宝", "buyer_id": "TB_BAD", "clues": ["索要改评费"]},
        {"buyer_id": "tb_alias"},
        {"platform": "pdd", "buyer_id": "tb_bad"},
    ]
    body = await site.call("POST", "/api/v1/check", "/api/v1/check", 200, key, json={"buyers": buyers})
    results = body["results"]
    assert [(r["platform"], r["buyer_id"], r["level"]) for r in results] == [
        ("taobao", "nobody_here", "无记录"),
        ("taobao", "tb_bad", "高风险"),
        ("taobao", "tb_alias", "高风险"),
        ("pdd", "tb_bad", "无记录"),
    ]
    bad = results[1]
    assert bad["shops"] == {"total": 2, "verified": 2, "unverified": 0}
    # The linked account's report (same phone) counts too, as in the chat.
    assert bad["categories"][0] == {"category": "extortion", "label": "差评敲诈", "count": 2}
    assert any(line.startswith("2 家店铺举报：差评敲诈 ×2") for line in bad["reasons"]), bad["reasons"]
    assert any("不要付钱" in line for line in bad["advice"])
    assert bad["linked"] == [{"platform": "淘宝", "buyer_id": "tb_alias", "by": "phone"}]
    # The same verdicts as the chat's /查, one buyer at a time.
    for item, result in zip(buyers, results, strict=True):
        words = " ".join([item.get("platform", "淘宝"), item["buyer_id"], *item.get("clues", [])])
        single = await blacklist.check(parse_check(words), "qq:1", a)
        assert (single.verdict.level.value, single.verdict.score) == (result["level"], result["score"])


async def test_check_refusals_and_limits(site: Site):
    shop, key = await site.shop_key("qq:1", "甲店", verified=False)
    path = "/api/v1/check"
    body = await site.call("POST", path, path, 400, key, data="{not json")
    assert body["error"] == "api.bad_json" and body["message"]
    body = await site.call("POST", path, path, 400, key, json={"buyers": [{"buyer_id": "x"}] * 1001})
    assert body["error"] == "api.too_many_buyers" and "一次最多查 1000 个买家" in body["message"]
    body = await site.call("POST", path, path, 400, key, json={"buyers": [{"buyer_id": "ok"}, {"buyer_id": "😀"}]})
    assert body["error"] == "buyer_id_bad_chars" and body["index"] == 1
    body = await site.call("POST", path, path, 400, key, json={"buyers": [{"buyer_id": "x", "clues": ["跳舞"]}]})
    assert body["error"] == "clue_unknown"
    # Phone clues are for verified shops only, as in the chat.
    body = await site.call("POST", path, path, 403, key, json={"buyers": [{"buyer_id": "x", "phone": "13812345678"}]})
    assert body["error"] == "clues_verified_only"
    body = await site.call("POST", path, path, 401, None, json={"buyers": [{"buyer_id": "x"}]})
    assert body["error"] == "unauthorized"
    await site.call("POST", path, path, 401, "sg_not-a-key", json={"buyers": [{"buyer_id": "x"}]})
    # A rotated key: the old one stops working at once; only the hash is stored.
    new = await site.services.access.rotate_key(shop, "qq:1")
    await site.call("POST", path, path, 401, key, json={"buyers": [{"buyer_id": "x"}]})
    await site.call("POST", path, path, 200, new, json={"buyers": [{"buyer_id": "x"}]})
    stored = await ApiKey.get(shop_id=shop.id)
    assert new not in (stored.key_hash, stored.prefix) and stored.prefix == new[:10]
    response = await site.client.get("/api/v1/nothing-here")
    assert response.status == 404 and (await response.json())["error"] == "not_found"


async def test_phone_lookups_are_answered_item_by_item_within_the_day_s_allowance(site: Site, clock):
    """A 拼多多 shop's export has no buyer accounts: it checks by phone. The allowance
    (200 a day per shop by default) is stated in the body and in X-RateLimit-* headers
    whose reset is Beijing midnight, as is Retry-After; a batch over what is left is
    answered item by item, the rest refused one by one, never the whole batch with 429."""
    from datetime import UTC, datetime

    shop, key = await site.shop_key("qq:1", "多多店", platform="拼多多")
    reporter, _ = await site.shop_key("qq:2", "乙店", platform="拼多多")
    await site.services.blacklist.report(
        reporter, parse_report("拼多多 pdd_bad 差评师 260517-607198974342268 手机:13900001111")
    )
    site.services.blacklist.clue_lookups_per_day = 3
    clock.now = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)  # 20:00 in Beijing: 4 hours to midnight
    path = "/api/v1/check"
    buyers = [
        {"phone": "13900001111"},
        {"buyer_id": "pdd_bad"},
        {"phone": "13800000002"},
        {"phone": "13800000003", "address": "浙江省杭州市西湖区文三路100号"},
        {"phone": "13800000004"},
        {"buyer_id": "someone"},
    ]
    response = await site.client.post(path, headers={"Authorization": f"Bearer {key}"}, json={"buyers": buyers})
    assert response.status == 200
    body = await response.json()
    conforms(path, "post", 200, body)
    results = body["results"]
    assert [r.get("error") or r["level"] for r in results] == [
        "需警惕",  # the phone links pdd_bad's report (one shop: at most 需警惕)
        "需警惕",
        "无记录",
        "无记录",
        "clue_lookups_used_up",
        "无记录",
    ]
    assert results[0]["buyer_id"] == "" and results[0]["clues"] == [{"kind": "phone", "mask": "139****1111"}]
    assert results[4]["index"] == 4 and "每家认证店铺每天 3 次" in results[4]["message"]
    assert body["lookups"]["limit"] == 3 and body["lookups"]["remaining"] == 0
    assert body["lookups"]["reset_seconds"] == 4 * 3600
    assert response.headers["X-RateLimit-Limit"] == "3" and response.headers["X-RateLimit-Remaining"] == "0"
    assert response.headers["X-RateLimit-Reset"] == response.headers["Retry-After"] == str(4 * 3600)
    # The count is stored: another process (a new pool on the same database) sees it.
    again = assemble(
        _settings(clue_lookups_per_day=3), Path(str(site.services.data_dir)), SECRET, database.current_url, clock
    )
    assert (await again.blacklist.lookup_allowance(shop)).remaining == 0
    # Without clues a batch is not limited, and says what is left.
    response = await site.client.post(
        path, headers={"Authorization": f"Bearer {key}"}, json={"buyers": [{"buyer_id": "x"}]}
    )
    assert response.status == 200 and response.headers["X-RateLimit-Remaining"] == "0"
    assert "Retry-After" in response.headers
    # The next day (Beijing time), the allowance is whole again.
    clock.now = datetime(2026, 11, 1, 16, 0, 1, tzinfo=UTC)
    body = await site.call("POST", path, path, 200, key, json={"buyers": [{"phone": "13800000004"}]})
    assert body["lookups"]["remaining"] == 2 and body["results"][0]["level"] == "无记录"
    # A privacy number is refused as such (the batch's input error, before any lookup).
    body = await site.call("POST", path, path, 400, key, json={"buyers": [{"phone": "18400913965-7576"}]})
    assert body["error"] == "phone_virtual" and body["index"] == 0


async def test_the_rate_limit_answers_429_with_retry_after(pool, tmp_path, clock):
    settings = _settings(api_calls_per_minute=2)
    services = assemble(settings, tmp_path, SECRET, database.current_url, clock)
    async with TestClient(TestServer(create_app(services, settings, tmp_path))) as client:
        site = Site(client, services)
        _, key = await site.shop_key("qq:1", "甲店")
        for _ in range(2):
            await site.call("GET", "/api/v1/reports", "/api/v1/reports", 200, key)
        response = await client.get("/api/v1/reports", headers={"Authorization": f"Bearer {key}"})
        assert response.status == 429 and int(response.headers["Retry-After"]) >= 1
        assert (await response.json())["error"] == "rate_limited"


async def test_two_web_processes_on_one_database_keep_one_rate(pool, tmp_path, clock):
    """Two `python -m bot web` processes behind one proxy (two apps on one database): a
    key's calls to either count against one API_CALLS_PER_MINUTE; the next minute opens
    a new window."""
    settings = _settings(api_calls_per_minute=3)
    first = assemble(settings, tmp_path, SECRET, database.current_url, clock)
    second = assemble(settings, tmp_path, SECRET, database.current_url, clock)
    clock.now = clock.now.replace(second=10)
    async with (
        TestClient(TestServer(create_app(first, settings, tmp_path))) as one,
        TestClient(TestServer(create_app(second, settings, tmp_path))) as other,
    ):
        _, key = await Site(one, first).shop_key("qq:1", "甲店")
        headers = {"Authorization": f"Bearer {key}"}
        statuses = [(await c.get("/api/v1/reports", headers=headers)).status for c in (one, other, one, other)]
        assert statuses == [200, 200, 200, 429]
        refused = await one.get("/api/v1/reports", headers=headers)
        assert refused.status == 429 and refused.headers["Retry-After"] == "50"
        clock.now += timedelta(seconds=50)
        assert (await other.get("/api/v1/reports", headers=headers)).status == 200
    await first.screenings.stop()
    await second.screenings.stop()


async def test_reports_follow_the_chat_rules(site: Site):
    shop, key = await site.shop_key("qq:1", "甲店", platform="拼多多")
    _other, other_key = await site.shop_key("qq:2", "乙店")
    path = "/api/v1/reports"
    filed = await site.call(
        "POST",
        path,
        path,
        201,
        key,
        json={
            "buyer_id": "pdd_buyer1",
            "category": "恶拍",
            "order_no": "241001-123456789",
            "amount": 29.9,
            "phone": "13812345678",
        },
    )
    # The shop's own platform when none is given; the phone masked, never echoed.
    assert filed["report"]["platform"] == "pdd" and filed["report"]["phone"] == "138****5678"
    assert filed["level_after"] == "需警惕" and filed["report"]["amount_fen"] == 2990
    again = await site.call(
        "POST",
        path,
        path,
        200,
        key,
        json={"buyer_id": "pdd_buyer1", "category": "恶拍", "order_no": "241001-123456789"},
    )
    assert again["outcome"] == "duplicate"
    for payload, code in (
        ({"buyer_id": "x", "category": "恶拍", "order_no": "13812345678"}, "phone_as_order"),
        ({"buyer_id": "x", "category": "跳舞"}, "category_unknown"),
        ({"buyer_id": "x", "category": "恶拍", "amount": "三十"}, "amount_invalid"),
        # The same refusal as the chat's: the request type says what is missing.
        ({"category": "恶拍"}, "buyer_id_missing"),
        ({"buyer_id": "x"}, "category_missing"),
        ({"buyer_id": "x", "category": "恶拍", "phone": "x" * 41}, "phone_invalid"),
    ):
        body = await site.call("POST", path, path, 400, key, json=payload)
        assert body["error"] == code, body
    listed = await site.call("GET", path, path, 200, key)
    assert [r["buyer_id"] for r in listed["reports"]] == ["pdd_buyer1"]
    assert "13812345678" not in str(listed)
    report_id = listed["reports"][0]["id"]
    # Another shop's report: the same answer as a missing one.
    await site.call("DELETE", f"{path}/{report_id}", f"{path}/{{id}}", 404, other_key)
    done = await site.call("DELETE", f"{path}/{report_id}", f"{path}/{{id}}", 200, key)
    assert done["report"]["state"] == "retracted" and done["level_after"] == "无记录"
    body = await site.call("DELETE", f"{path}/{report_id}", f"{path}/{{id}}", 409, key)
    assert body["error"] == "report_already_retracted"
    assert await Report.filter(shop_id=shop.id, state="retracted").count() == 1


async def test_a_screening_runs_as_a_job_with_progress_and_a_masked_result(site: Site):
    shop, key = await site.shop_key("qq:1", "甲店")
    await site.services.blacklist.report(shop, parse_report("tb_bad 差评师 3720000000000009"))
    form = FormData()
    form.add_field("file", io.BytesIO(EXPORT), filename="订单.csv", content_type="text/csv")
    job = await site.call("POST", "/api/v1/screenings", "/api/v1/screenings", 202, key, data=form)
    assert job["state"] == "queued" and job["file_name"] == "订单.csv"
    await asyncio.wait_for(site.services.screenings.idle(), 60)
    status = await site.call("GET", f"/api/v1/screenings/{job['id']}", "/api/v1/screenings/{id}", 200, key)
    # 8 lines, all read (坏人;DROP is no buyer id: its row is screened without one).
    assert status["state"] == "done" and status["outcome"]["rows"] == 8
    assert any(entry["buyer_id"] == "tb_bad" for entry in status["outcome"]["top"])
    csv = await site.call(
        "GET", f"/api/v1/screenings/{job['id']}/result.csv", "/api/v1/screenings/{id}/result.csv", 200, key
    )
    text = csv.decode("utf-8-sig")
    assert "tb_bad" in text and "13812345678" not in text and not re.search(r"1[3-9]\d{9}", text)
    _, other_key = await site.shop_key("qq:2", "乙店")
    await site.call("GET", f"/api/v1/screenings/{job['id']}", "/api/v1/screenings/{id}", 404, other_key)
    body = await site.call("POST", "/api/v1/screenings", "/api/v1/screenings", 400, key, json={})
    assert body["error"] == "api.upload_missing"


async def test_joint_cases_with_the_chat_rules(site: Site):
    blacklist = site.services.blacklist
    keys = []
    for n in range(3):
        shop, key = await site.shop_key(f"qq:{n + 1}", f"店{n}")
        await blacklist.report(shop, parse_report(f"tb_case 差评师 37200000000001{n}{n} {n + 1}0"))
        keys.append(key)
    case = await JointCase.get()
    listed = await site.call("GET", "/api/v1/cases", "/api/v1/cases", 200, keys[0])
    assert listed["cases"] == [
        {"id": case.id, "status": "收集证据", "joined": False, "platform": "taobao", "buyer_id": None}
    ]
    path, template = f"/api/v1/cases/{case.id}", "/api/v1/cases/{id}"
    summary = await site.call("GET", path, template, 200, keys[0])
    assert summary["joined"] is False and summary["buyer_id"] == "tb***se" and "shops" not in summary
    await site.call("GET", f"{path}/letter", "/api/v1/cases/{id}/letter", 403, keys[0])
    joined = await site.call("POST", f"{path}/join", "/api/v1/cases/{id}/join", 200, keys[0])
    assert joined["joined"] is True and [s["name"] for s in joined["shops"]] == ["店0"]
    form = FormData()
    form.add_field("description", "买家在旺旺里要30元改评")
    form.add_field("file", io.BytesIO(PNG), filename="shot.png", content_type="image/png")
    added = await site.call("POST", f"{path}/evidence", "/api/v1/cases/{id}/evidence", 201, keys[0], data=form)
    assert added == {"stored": 1, "duplicates": 0}
    letter = await site.call("GET", f"{path}/letter?police=1", "/api/v1/cases/{id}/letter", 200, keys[0])
    assert "报案材料" in letter.decode() and "店0" in letter.decode()
    _, outsider = await site.shop_key("qq:9", "路人店")
    body = await site.call("GET", path, template, 404, outsider)
    assert body["error"] == "joint.not_allowed"


async def test_appeals_need_no_key_and_are_limited_per_address(site: Site):
    shop, _ = await site.shop_key("qq:1", "甲店")
    await site.services.blacklist.report(shop, parse_report("tb_wronged 差评师 3720000000000001"))
    path = "/api/v1/appeals"
    opened = await site.call(
        "POST", path, path, 201, None, json={"platform": "淘宝", "buyer_id": "tb_wronged", "reason": "订单都已确认收货"}
    )
    state = await site.call(
        "GET", f"{path}/{opened['appeal']}?receipt={opened['receipt']}", f"{path}/{{id}}", 200, None
    )
    assert state["state"] == "open"
    await site.call("GET", f"{path}/{opened['appeal']}?receipt=guess", f"{path}/{{id}}", 404, None)
    # A second web appellant's words join the open appeal (and their receipt reads it).
    joined = await site.call("POST", path, path, 201, None, json={"buyer_id": "tb_wronged", "reason": "我也是"})
    assert joined["appeal"] == opened["appeal"] and joined["joined"] and "并入" in joined["message"]
    await site.call("GET", f"{path}/{opened['appeal']}?receipt={joined['receipt']}", f"{path}/{{id}}", 200, None)
    # Upheld: the next web appeal on the buyer, from anyone, is refused with the date.
    await site.services.appeals.uphold(Actor("qq:90000"), opened["appeal"], "证据确凿")
    body = await site.call("POST", path, path, 429, None, json={"buyer_id": "tb_wronged", "reason": "换个浏览器"})
    assert body["error"] == "appeals.too_soon" and "之后才能再次申诉" in body["message"]
    body = await site.call("POST", path, path, 429, None, json={"buyer_id": "tb_nobody", "reason": "冤枉"})
    assert body["error"] == "rate_limited"


async def test_the_core_batch_equals_one_check_at_a_time(pool, blacklist):
    shops = [await verified_shop(blacklist, f"qq:{n}", f"店{n}") for n in range(3)]
    for n, shop in enumerate(shops):
        await blacklist.report(
            shop, parse_report(f"tb_x{n % 2} 差评师 37200000000000{n}1 地址:浙江省杭州市西湖区文三路{n % 2}号")
        )
    requests = [
        parse_check("tb_x0"),
        parse_check("tb_x1 没咨询"),
        parse_check("someone 手机:13812345678 地址:浙江省杭州市西湖区文三路1号"),
        CheckRequest(parse_check("tb_x0").platform, "tb_x0"),
    ]
    many = await blacklist.check_many(requests, "qq:0", shops[0])
    for request, result in zip(requests, many.results, strict=True):
        single = await blacklist.check(request, "qq:0", shops[0])
        assert not isinstance(result, Refused) and result.verdict == single.verdict
