"""The webhook services' rules without a network: addresses, places, sealing, message
parts within each service's limit, and what the services' answers mean."""

from __future__ import annotations

import json

import pytest

from bot.commands.grammar import parse_robot
from bot.errors import BadInput
from bot.identity.places import QQBOT_BAND, Network, place_of, qqbot_group_target, robot_target
from bot.identity.sealing import Sealer, Unsealable
from bot.messaging.robots import Outcome, Part, Service, outcome, parse_address, parts, request
from shop_guard_chat.webhooks import redact


def test_places_never_meet_a_qq_group_number():
    assert place_of(123456789).network == Network.qq
    assert place_of(robot_target(7)) == place_of(-7) and place_of(-7).network == Network.robot
    assert place_of(qqbot_group_target(7)).network == Network.qqbot and place_of(qqbot_group_target(7)).number == 7
    assert robot_target(7) != qqbot_group_target(7)
    with pytest.raises(ValueError):
        robot_target(QQBOT_BAND)


def test_sealed_credentials_open_only_with_the_same_secret():
    sealer = Sealer(b"a-deployment-secret-0123")
    sealed = sealer.seal("https://oapi.dingtalk.com/robot/send?access_token=abc")
    assert "abc" not in sealed and sealer.open(sealed).endswith("access_token=abc")
    with pytest.raises(Unsealable):
        Sealer(b"another-deployment-secret").open(sealed)
    assert sealer.digest("x", "a") == sealer.digest("x", "a") != Sealer(b"another-deployment-secret").digest("x", "a")


def test_the_address_is_rebuilt_from_what_was_checked():
    address = parse_address("https://oapi.dingtalk.com/robot/send?access_token=abcdef0123456789&x=1", None, ())
    assert address.service == Service.dingtalk
    assert address.url == "https://oapi.dingtalk.com/robot/send?access_token=abcdef0123456789"
    with pytest.raises(BadInput):
        parse_address("https://oapi.dingtalk.com/robot/send?access_token=abc", None, ())  # no real token
    local = parse_address("http://127.0.0.1:8080/relay/robot?key=abcdefgh", Service.feishu, ["127.0.0.1"])
    assert local.service == Service.feishu and local.url == "http://127.0.0.1:8080/relay/robot?key=abcdefgh"


def test_the_chat_grammar_finds_the_address_among_keyed_parts():
    request_ = parse_robot(
        "https://open.feishu.cn/open-apis/bot/v2/hook/abc12345 飞书 密钥: SECx 关键词：联防 日报:20:00"
    )
    assert request_.address.endswith("abc12345") and request_.kind == "飞书"
    assert (request_.secret, request_.keyword, request_.digest) == ("SECx", "联防", "20:00")
    with pytest.raises(BadInput):
        parse_robot("")
    with pytest.raises(BadInput):
        parse_robot("https://a.example 钉钉 多余")


@pytest.mark.parametrize("service", list(Service))
def test_a_long_message_is_split_within_the_services_limit_with_the_keyword_in_each(service):
    text = "\n".join(f'第 {i} 行 淘宝 tb****{i:02d}（高风险）"差评敲诈" ×2' for i in range(900))
    pieces = parts(service, text, keyword="联防预警")
    assert len(pieces) > 1
    for index, piece in enumerate(pieces, 1):
        assert piece.text is not None and "联防预警" in piece.text and piece.text.endswith(f"（{index}/{len(pieces)}）")
        _, body = request(service, "https://x.example/hook", piece, "SECsecret", 1_790_000_000_000)
        if service == Service.wecom:
            assert len(piece.text.encode()) <= 2048
        elif service == Service.feishu:
            assert len(body) <= 20 * 1024
        else:
            assert len(piece.text.encode()) <= 4000
    assert parts(service, "短消息") == [Part("短消息")]


def test_only_wecom_takes_the_chart():
    png = b"\x89PNG" + b"0" * 100
    assert parts(Service.wecom, "日报", image=png)[-1] == Part(image=png)
    assert all(p.image is None for p in parts(Service.dingtalk, "日报", image=png))
    _, body = request(Service.wecom, "https://q.example/send?key=k", Part(image=png), None, 0)
    assert json.loads(body)["msgtype"] == "image"


def test_each_services_signature_goes_where_the_service_reads_it():
    url, body = request(Service.dingtalk, "https://oapi.dingtalk.com/robot/send?access_token=t", Part("x"), "SEC", 1000)
    assert "&timestamp=1000&sign=" in url and "sign" not in json.loads(body)
    url, body = request(Service.feishu, "https://open.feishu.cn/open-apis/bot/v2/hook/t", Part("x"), "SEC", 1_000_000)
    assert json.loads(body)["timestamp"] == "1000" and json.loads(body)["sign"]
    url, body = request(Service.wecom, "https://q.example/send?key=k", Part("x"), None, 1000)
    assert url == "https://q.example/send?key=k"


@pytest.mark.parametrize(
    ("service", "status", "answer", "expected"),
    [
        (Service.wecom, 200, {"errcode": 0, "errmsg": "ok"}, Outcome.sent),
        (Service.wecom, 200, {"errcode": 45009, "errmsg": "api freq out of limit"}, Outcome.rate_limited),
        (Service.wecom, 200, {"errcode": 93000, "errmsg": "invalid webhook url"}, Outcome.refused),
        (Service.dingtalk, 200, {"errcode": 130101, "errmsg": "send too fast"}, Outcome.rate_limited),
        (Service.dingtalk, 200, {"errcode": 310000, "errmsg": "keywords not in content"}, Outcome.refused),
        (Service.feishu, 200, {"code": 0, "msg": "success"}, Outcome.sent),
        (Service.feishu, 200, {"StatusCode": 0, "StatusMessage": "success"}, Outcome.sent),
        (Service.feishu, 200, {"code": 11232, "msg": "frequency limited"}, Outcome.rate_limited),
        (Service.feishu, 200, {"code": 19024, "msg": "Key Words Not Found"}, Outcome.refused),
        (Service.feishu, 429, {}, Outcome.rate_limited),
        (Service.feishu, 502, {}, Outcome.failed),
        (Service.dingtalk, 404, {}, Outcome.refused),
    ],
)
def test_what_the_services_answers_mean(service, status, answer, expected):
    assert outcome(service, status, json.dumps(answer).encode())[0] == expected


def test_errors_never_carry_the_address():
    url = "https://oapi.dingtalk.com/robot/send?access_token=abcdef0123456789&timestamp=1&sign=xyz"
    message = f"ClientConnectorError: Cannot connect to {url} [Connection refused]"
    assert "abcdef0123456789" not in redact(message, url)
    assert "oapi.dingtalk.com" in redact(message, url)


def test_superusers_may_be_qq_numbers_or_openids_of_the_official_bot():
    from bot.pool import superuser_account

    assert superuser_account("10000") == "qq:10000"
    assert superuser_account("E8F0A1B2C3D4E5F60718293A4B5C6D7E") == "qqbot:E8F0A1B2C3D4E5F60718293A4B5C6D7E"
    assert superuser_account("qqbot:ABC") == "qqbot:ABC"
