"""The OpenAPI 3.1 document of the API (/api/v1/openapi.json). tests/test_api.py checks
every real response of every endpoint against it, so it stays true."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from bot.scoring.verdict import Level
from bot.states import AppealState, FilingOutcome, ReportState, ScreeningState


def _values(kind: type[StrEnum]) -> list[str]:
    """An enum's stored values: the document says what the code can answer, always."""
    return [member.value for member in kind]


LEVELS = _values(Level)


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    words = {
        400: "输入不对（error 是拒绝代码，message 是中文说明）",
        401: "缺少或无效的 API 密钥",
        403: "不允许（例如未认证的店铺附带手机号）",
        404: "不存在，或不属于这个店铺",
        409: "与当前状态冲突",
        411: "请求体没有 Content-Length（分块传输的请求体不接收）",
        413: "请求体超过这个接口的上限（按 Content-Length 判断，读取之前就拒绝）",
        429: "请求太频繁（看 Retry-After）或超出配额",
    }
    return {str(s): _json(_ref("Error"), words[s]) for s in statuses}


# The shop's phone and address lookups of the day, in the check's headers (the window is
# the day of Asia/Shanghai: it ends at Beijing midnight).
LOOKUP_HEADERS = {
    "X-RateLimit-Limit": {"description": "每家认证店铺每天按手机号/地址查的次数", "schema": {"type": "integer"}},
    "X-RateLimit-Remaining": {"description": "今天还剩的次数", "schema": {"type": "integer"}},
    "X-RateLimit-Reset": {"description": "距离重置（北京时间 0 点）的秒数", "schema": {"type": "integer"}},
    "Retry-After": {
        "description": "次数用完时：距离重置的秒数，与 X-RateLimit-Reset 相同",
        "schema": {"type": "integer"},
    },
}

NULLABLE_STRING = {"type": ["string", "null"]}
NULLABLE_INT = {"type": ["integer", "null"]}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error", "message"],
        "properties": {
            "error": {"type": "string", "description": "稳定的拒绝代码，例如 buyer_id_missing、joint.not_allowed"},
            "message": {"type": "string", "description": "给人看的中文说明（与聊天回复相同）"},
            "index": {"type": "integer", "description": "批量请求里出错的那一项的序号"},
        },
    },
    "Lookups": {
        "type": "object",
        "description": "认证店铺当天按手机号/地址查询的次数（北京时间 0 点重置）",
        "required": ["limit", "remaining", "resets_at", "reset_seconds"],
        "properties": {
            "limit": {"type": "integer"},
            "remaining": {"type": "integer"},
            "resets_at": {"type": "string", "format": "date-time"},
            "reset_seconds": {"type": "integer"},
        },
    },
    "CheckItem": {
        "type": "object",
        "properties": {
            "platform": {
                "type": "string",
                "description": "淘宝、天猫、拼多多、京东、抖音（或英文代码）；不写时是店铺所在平台",
            },
            "buyer_id": {
                "type": "string",
                "description": "买家账号；订单里没有买家账号时（拼多多、抖店）可以不写，只写 phone 或 address",
            },
            "phone": {
                "type": "string",
                "description": (
                    "只用于加密指纹比对，不保存；仅限已认证店铺，每家店每天有次数上限（见 lookups 和 X-RateLimit-*）；"
                    "隐私号（带分机号的虚拟号）会被拒绝"
                ),
            },
            "address": {"type": "string", "description": "同上"},
            "clues": {"type": "array", "items": {"type": "string"}, "description": "红旗词，与 /查 相同"},
        },
    },
    "CheckResult": {
        "type": "object",
        "required": [
            "platform",
            "buyer_id",
            "level",
            "score",
            "evidence_score",
            "roots_independent",
            "shops",
            "categories",
            "reasons",
            "advice",
            "linked",
            "linked_count",
            "appeal_open",
        ],
        "properties": {
            "platform": {"type": ["string", "null"]},
            "buyer_id": {"type": "string", "description": "只按手机号/地址查时为空字符串"},
            "clues": {
                "type": "array",
                "description": "比对过的手机号/地址（只有打码后的样子）",
                "items": {
                    "type": "object",
                    "required": ["kind", "mask"],
                    "properties": {
                        "kind": {"type": "string", "enum": ["phone", "address"]},
                        "mask": {"type": "string"},
                    },
                },
            },
            "level": {"type": "string", "enum": LEVELS},
            "score": {
                "type": "integer",
                "minimum": 0,
                "maximum": 100,
                "description": "计分的举报（认证店铺、有订单号、不在待审核中）的分数：等级旁显示的数字",
            },
            "evidence_score": {
                "type": "integer",
                "minimum": 0,
                "maximum": 100,
                "description": "全部举报（含不计分的）的分数，只决定「需警惕」，仅供参考",
            },
            "roots_independent": {
                "type": "boolean",
                "description": "计分店铺的认证是否来自两个独立来源（不同担保人且不同群，或其中一家由版主认证）",
            },
            "shops": {
                "type": "object",
                "required": ["total", "verified", "unverified"],
                "properties": {
                    "total": {"type": "integer"},
                    "verified": {"type": "integer", "description": "举报计分的店铺数"},
                    "unverified": {"type": "integer", "description": "举报不计分的店铺数（未认证、无订单号或待审核）"},
                },
            },
            "categories": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["category", "label", "count"],
                    "properties": {
                        "category": {"type": "string"},
                        "label": {"type": "string"},
                        "count": {"type": "integer"},
                    },
                },
            },
            "reasons": {"type": "array", "items": {"type": "string"}},
            "advice": {"type": "array", "items": {"type": "string"}},
            "linked": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["platform", "buyer_id", "by"],
                    "properties": {
                        "platform": {"type": "string"},
                        "buyer_id": {"type": "string"},
                        "by": {"type": "string", "enum": ["phone", "address"]},
                    },
                },
                "description": "关联账号（只对已认证店铺列出）",
            },
            "linked_count": {"type": "integer"},
            "appeal_open": {"type": "boolean"},
        },
    },
    "Report": {
        "type": "object",
        "required": ["id", "platform", "buyer_id", "category", "state", "created_at"],
        "properties": {
            "id": {"type": "integer"},
            "platform": {"type": "string"},
            "buyer_id": {"type": "string"},
            "category": {"type": "string"},
            "order_no": NULLABLE_STRING,
            "amount_fen": NULLABLE_INT,
            "description": {"type": "string"},
            "phone": {**NULLABLE_STRING, "description": "打码后的手机号"},
            "address": {**NULLABLE_STRING, "description": "打码后的地址"},
            "state": {"type": "string", "enum": _values(ReportState)},
            "created_at": {"type": "string", "format": "date-time"},
        },
    },
    "NewReport": {
        "type": "object",
        "required": ["buyer_id", "category"],
        "properties": {
            "platform": {"type": "string"},
            "buyer_id": {"type": "string"},
            "category": {"type": "string", "description": "中文类型或代码，与 /举报 相同"},
            "order_no": {"type": "string"},
            "amount": {"type": ["number", "string"], "description": "元"},
            "description": {"type": "string"},
            "phone": {"type": "string"},
            "address": {"type": "string"},
        },
    },
    "ReportChange": {
        "type": "object",
        "required": ["report", "level_before", "level_after", "score_after"],
        "properties": {
            "report": _ref("Report"),
            "outcome": {"type": "string", "enum": _values(FilingOutcome)},
            "level_before": {"type": "string", "enum": LEVELS},
            "level_after": {"type": "string", "enum": LEVELS},
            "score_after": {"type": "integer"},
        },
    },
    "Screening": {
        "type": "object",
        "required": ["id", "file_name", "platform", "state", "done", "total", "created_at"],
        "properties": {
            "id": {"type": "integer"},
            "file_name": {"type": "string"},
            "platform": {"type": "string"},
            "state": {"type": "string", "enum": _values(ScreeningState)},
            "stage": NULLABLE_STRING,
            "done": {"type": "integer"},
            "total": {"type": "integer"},
            "outcome": {
                "type": ["object", "null"],
                "description": "完成后：行数、各等级人数、最值得留意的买家（打码）",
            },
            "error": NULLABLE_STRING,
            "message": NULLABLE_STRING,
            "ahead": {"type": "integer", "description": "排在前面的文件数（提交时）"},
            "created_at": {"type": "string", "format": "date-time"},
        },
    },
    "CaseListing": {
        "type": "object",
        "required": ["cases"],
        "properties": {
            "cases": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "status", "joined", "platform", "buyer_id"],
                    "properties": {
                        "id": {"type": "integer"},
                        "status": {"type": "string"},
                        "joined": {"type": "boolean"},
                        "platform": {"type": "string"},
                        "buyer_id": {**NULLABLE_STRING, "description": "加入后才有"},
                    },
                },
            }
        },
    },
    "Case": {
        "type": "object",
        "required": ["id", "joined", "platform", "buyer_id", "status"],
        "description": "受邀未加入时只有概况（买家打码、店铺数）；加入后有各店订单和证据",
        "properties": {
            "id": {"type": "integer"},
            "joined": {"type": "boolean"},
            "platform": {"type": "string"},
            "buyer_id": {"type": "string"},
            "status": {"type": "string"},
            "shops_joined": {"type": "integer"},
            "shops_invited": {"type": "integer"},
            "may_join": {"type": "boolean"},
            "proposal": {"type": ["object", "null"]},
            "shops": {"type": "array", "items": {"type": "object"}},
            "evidence": {"type": "array", "items": {"type": "object"}},
        },
    },
    "AppealOpened": {
        "type": "object",
        "required": ["appeal", "state", "joined", "receipt", "message"],
        "properties": {
            "appeal": {"type": "integer"},
            "state": {"type": "string", "enum": _values(AppealState)},
            "joined": {"type": "boolean", "description": "这个买家已有处理中的申诉，理由已并入它"},
            "receipt": {"type": "string", "description": "查询结果用的凭据，只显示这一次"},
            "message": {"type": "string"},
        },
    },
    "AppealState": {
        "type": "object",
        "required": ["appeal", "state"],
        "properties": {"appeal": {"type": "integer"}, "state": {"type": "string", "enum": _values(AppealState)}},
    },
}

ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
KEYED: list[dict[str, list[str]]] = [{"bearer": []}]


def document() -> dict[str, Any]:
    upload = {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            }
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "电商联防机器人 API",
            "version": "1",
            "description": "店铺的订单/ERP 系统查买家、举报、筛查订单、联合投诉；买家提交申诉。"
            "API 密钥在机器人私聊里发 /令牌 获取，放在 Authorization: Bearer <密钥>。",
        },
        "servers": [{"url": "/"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": SCHEMAS,
        },
        "paths": {
            "/api/v1/check": {
                "post": {
                    "summary": "批量查买家（最多 1000 个，结果按请求顺序）",
                    "security": KEYED,
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["buyers"],
                                    "properties": {
                                        "buyers": {"type": "array", "items": _ref("CheckItem"), "maxItems": 1000}
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": {
                            **_json(
                                {
                                    "type": "object",
                                    "required": ["results"],
                                    "properties": {
                                        "results": {
                                            "type": "array",
                                            "description": (
                                                "每个买家一个结果；超出当天手机号/地址查询次数的那几项单独拒绝"
                                                "（error 为 clue_lookups_used_up，index 是它的序号），其余照常回答"
                                            ),
                                            "items": {"oneOf": [_ref("CheckResult"), _ref("Error")]},
                                        },
                                        "lookups": _ref("Lookups"),
                                    },
                                },
                                "每个买家一个结果",
                            ),
                            "headers": LOOKUP_HEADERS,
                        },
                        **_errors(400, 401, 403, 411, 413, 429),
                    },
                }
            },
            "/api/v1/reports": {
                "post": {
                    "summary": "举报一个买家（与 /举报 相同的规则）",
                    "security": KEYED,
                    "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("NewReport")}}},
                    "responses": {
                        "201": _json(_ref("ReportChange"), "新举报或重新生效"),
                        "200": _json(_ref("ReportChange"), "同一笔订单已经举报过，只记一次"),
                        **_errors(400, 401, 403, 409, 411, 413, 429),
                    },
                },
                "get": {
                    "summary": "本店铺的举报（最新的在前，最多 500 条）",
                    "security": KEYED,
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["reports"],
                                "properties": {"reports": {"type": "array", "items": _ref("Report")}},
                            },
                            "举报列表",
                        ),
                        **_errors(401, 429),
                    },
                },
            },
            "/api/v1/reports/{id}": {
                "delete": {
                    "summary": "撤回本店铺的一条举报",
                    "security": KEYED,
                    "parameters": [ID],
                    "responses": {"200": _json(_ref("ReportChange"), "已撤回"), **_errors(401, 404, 409, 429)},
                }
            },
            "/api/v1/screenings": {
                "post": {
                    "summary": "上传订单导出（CSV/XLSX）筛查：返回任务",
                    "security": KEYED,
                    "requestBody": upload,
                    "responses": {"202": _json(_ref("Screening"), "已排队"), **_errors(400, 401, 409, 411, 413, 429)},
                }
            },
            "/api/v1/screenings/{id}": {
                "get": {
                    "summary": "筛查任务的进度和结果摘要",
                    "security": KEYED,
                    "parameters": [ID],
                    "responses": {"200": _json(_ref("Screening"), "任务"), **_errors(401, 404, 429)},
                }
            },
            "/api/v1/screenings/{id}/result.csv": {
                "get": {
                    "summary": "下载筛查结果（每笔订单一行，手机号和地址打码）",
                    "security": KEYED,
                    "parameters": [ID],
                    "responses": {
                        "200": {"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}},
                        **_errors(401, 404, 429),
                    },
                }
            },
            "/api/v1/cases": {
                "get": {
                    "summary": "本店铺受邀或已加入的联合案件",
                    "security": KEYED,
                    "responses": {"200": _json(_ref("CaseListing"), "案件列表"), **_errors(401, 429)},
                }
            },
            "/api/v1/cases/{id}": {
                "get": {
                    "summary": "查看案件（受邀：概况；已加入：各店订单和证据）",
                    "security": KEYED,
                    "parameters": [ID],
                    "responses": {"200": _json(_ref("Case"), "案件"), **_errors(401, 404, 429)},
                }
            },
            "/api/v1/cases/{id}/join": {
                "post": {
                    "summary": "加入案件（举报仍然有效的已认证店铺）",
                    "security": KEYED,
                    "parameters": [ID],
                    "responses": {"200": _json(_ref("Case"), "已加入"), **_errors(401, 403, 404, 409, 411, 413, 429)},
                }
            },
            "/api/v1/cases/{id}/evidence": {
                "post": {
                    "summary": "给已加入的案件添加证据（说明文字和最多 9 张图片）",
                    "security": KEYED,
                    "parameters": [ID],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "multipart/form-data": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "description": {"type": "string"},
                                        "file": {"type": "string", "format": "binary"},
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "201": _json(
                            {
                                "type": "object",
                                "required": ["stored", "duplicates"],
                                "properties": {"stored": {"type": "integer"}, "duplicates": {"type": "integer"}},
                            },
                            "已记录",
                        ),
                        **_errors(400, 401, 403, 404, 411, 413, 429),
                    },
                }
            },
            "/api/v1/cases/{id}/letter": {
                "get": {
                    "summary": "联合投诉书（police=1：报案材料）",
                    "security": KEYED,
                    "parameters": [
                        ID,
                        {"name": "police", "in": "query", "required": False, "schema": {"type": "string"}},
                    ],
                    "responses": {
                        "200": {"description": "文本", "content": {"text/plain": {"schema": {"type": "string"}}}},
                        **_errors(401, 403, 404, 429),
                    },
                }
            },
            "/api/v1/appeals": {
                "post": {
                    "summary": "申诉一个买家的列入（不需要密钥，按来源地址限频）",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["buyer_id", "reason"],
                                    "properties": {
                                        "platform": {"type": "string"},
                                        "buyer_id": {"type": "string"},
                                        "reason": {"type": "string"},
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "201": _json(_ref("AppealOpened"), "已收到"),
                        **_errors(400, 404, 409, 411, 413, 429),
                    },
                }
            },
            "/api/v1/appeals/{id}": {
                "get": {
                    "summary": "申诉结果（凭提交时的 receipt）",
                    "parameters": [
                        ID,
                        {"name": "receipt", "in": "query", "required": True, "schema": {"type": "string"}},
                    ],
                    "responses": {"200": _json(_ref("AppealState"), "申诉状态"), **_errors(404)},
                }
            },
            "/api/v1/openapi.json": {
                "get": {"summary": "本文档", "responses": {"200": {"description": "OpenAPI 3.1"}}}
            },
        },
    }
