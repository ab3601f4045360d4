"""HTTP edges shared by the services: the error envelope, exception mapping, health, serving."""

from __future__ import annotations

import gc
import logging
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
import uvicorn
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, model_validator
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.envelope import national_time
from shared.errors import E5999, E9001, E9002, E9005, ErrorSpec, RelayError
from shared.runtime import Runtime, health

log = logging.getLogger(__name__)

HTTP_STATUS_BY_CATEGORY = {
    "identity": 404,
    "filing": 409,
    "visit": 409,
    "settlement": 409,
    "relay": 503,
    "system": 503,
    "reconciliation": 409,
    "clearing": 409,
    "supervision": 409,
    "input": 422,
}


NOT_FOUND_CODES = frozenset(
    {"E1001", "E2006", "E3001", "E3009", "E4003", "E5001", "E6009", "E9012"}
)
"""Errors that mean "no such thing" when an admin or read API is asked for it."""


def plain(value: Any) -> Any:
    """A stored row (or rows) as JSON answers it: dates and times in ISO form, amounts as
    strings (never floats), nested values likewise."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


MAX_INPUT_NESTING = 32
"""Far deeper than any body an API here takes."""


def _bad_text(text: str) -> bool:
    return "\x00" in text or any("\ud800" <= c <= "\udfff" for c in text)


def unstorable(value: Any, path: str = "", depth: int = 0) -> str | None:
    """Where a JSON value holds text no database column can store: a NUL character (PostgreSQL
    refuses it) or a lone surrogate (not UTF-8); None when all of it can be stored. The path
    names only keys that are themselves storable (it goes into the answer)."""
    if depth > MAX_INPUT_NESTING:
        return path or "报文"
    if isinstance(value, str):
        return (path or "报文") if _bad_text(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            if _bad_text(str(key)):
                return path or "报文"
            found = unstorable(item, f"{path}.{key}" if path else str(key), depth + 1)
            if found:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = unstorable(item, f"{path}[{i}]", depth + 1)
            if found:
                return found
    return None


class StorableInput(BaseModel):
    """A request body whose text must reach the database: one holding a NUL character or a lone
    surrogate is refused (E9002 naming the field), never a failed write."""

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, data: Any) -> Any:
        found = unstorable(data)
        if found is not None:
            raise ValueError(f"字段 {found[:60]}：含有空字符或无效的 Unicode 字符")
        return data


class ErrorEnvelope(BaseModel):
    """Every error any service answers: the national envelope with ``infcode = -1``."""

    infcode: int
    inf_refmsgid: str
    refmsg_time: str
    respond_time: str
    err_code: str
    err_msg: str
    err_msg_en: str
    warn_msg: str | None = None
    output: None = None


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorEnvelope, "description": description}
    for status, description in (
        (400, "Unreadable request (E9001)"),
        (404, "No such person, filing, visit or region"),
        (409, "Refused by a filing, visit or settlement rule (E2xxx, E3xxx, E4xxx)"),
        (413, "Body too large (E9005)"),
        (422, "A field is missing or malformed (E9002)"),
        (503, "Relay or system unavailable (E5xxx)"),
    )
}
"""Declared on every app so that the OpenAPI page documents the uniform error."""


class StatusError(RelayError):
    """A catalogue error answered with the HTTP status the edge chooses rather than its
    category's: 401/403 for a missing right, 404 for what the caller may not learn exists."""

    def __init__(
        self,
        spec: ErrorSpec,
        *,
        status_code: int,
        detail: str = "",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(spec, detail=detail)
        self.status_code = status_code
        self.headers = headers or {}


def status_for(error: RelayError) -> int:
    if error.code in NOT_FOUND_CODES:
        return 404
    return HTTP_STATUS_BY_CATEGORY.get(error.spec.category, 400)


def new_refmsgid() -> str:
    return uuid.uuid4().hex


def error_body(error: RelayError, *, refmsgid: str | None = None) -> dict[str, Any]:
    """The uniform error: the national envelope with ``infcode=-1``, code and plain message."""
    now = national_time(datetime.now(UTC))
    return {
        "infcode": -1,
        "inf_refmsgid": refmsgid or new_refmsgid(),
        "refmsg_time": now,
        "respond_time": now,
        "err_code": error.code,
        "err_msg": error.plain_message(),
        "err_msg_en": error.english_message(),
        "warn_msg": None,
        "output": None,
    }


def json_response(body: Any, status_code: int = 200) -> Response:
    return Response(
        orjson.dumps(body, default=str), status_code=status_code, media_type="application/json"
    )


_PROBLEM_ZH = {
    "missing": "必填，未填写",
    "string_too_long": "超过最大长度 {max_length}",
    "string_too_short": "长度不足 {min_length}",
    "string_pattern_mismatch": "格式不符",
    "string_type": "应为字符串",
    "int_parsing": "应为整数",
    "decimal_parsing": "应为数值",
    "datetime_from_date_parsing": "应为时间 yyyy-MM-dd HH:mm:ss",
    "datetime_parsing": "应为时间 yyyy-MM-dd HH:mm:ss",
    "datetime_type": "应为时间 yyyy-MM-dd HH:mm:ss",
    "date_parsing": "应为日期 yyyy-MM-dd",
    "date_from_datetime_parsing": "应为日期 yyyy-MM-dd",
    "too_long": "条目过多（最多 {max_length} 条）",
    "too_short": "条目不足（至少 {min_length} 条）",
    "list_type": "应为数组",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "literal_error": "取值不在允许范围内",
    "greater_than_equal": "应不小于 {ge}",
    "less_than_equal": "应不大于 {le}",
    "finite_number": "应为有限数值",
}
"""Pydantic's problem types in words a hospital clerk reads (天津 §七(二): 简明扼要、通俗易懂)."""


def describe_validation_error(errors: list[Any], prefix: str = "") -> str:
    """Name the first offending field the way a hospital developer would look for it, and say
    what is wrong with it in Chinese (pydantic's English follows for developers)."""
    if not errors:
        return "报文无法识别"
    first = errors[0]
    parts = [str(part) for part in first.get("loc", ()) if part not in ("body",)]
    loc = ".".join([prefix, *parts] if prefix else parts)
    kind = str(first.get("type", ""))
    msg = str(first.get("msg", "invalid"))
    template = _PROBLEM_ZH.get(kind)
    if template is not None:
        try:
            problem = template.format(**(first.get("ctx") or {}))
        except (KeyError, IndexError):
            problem = template
    elif kind == "value_error":  # our own validators already say it in Chinese
        problem = msg.removeprefix("Value error, ")
    else:
        problem = "取值无效"
    english = "" if kind == "value_error" else f" ({msg})"
    return f"字段 {loc or '报文'}：{problem}{english}"


def install_error_handlers(app: FastAPI) -> None:
    """Admin and read APIs answer errors in the same envelope, with a fitting HTTP status."""

    async def on_relay_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RelayError)
        return json_response(error_body(exc), status_code=status_for(exc))

    async def on_status_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StatusError)
        response = json_response(error_body(exc), status_code=exc.status_code)
        response.headers.update(exc.headers)
        return response

    async def on_validation_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        error = RelayError(E9002, detail=describe_validation_error(list(exc.errors())))
        return json_response(error_body(error), status_code=422)

    async def on_http_error(_request: Request, exc: Exception) -> Response:
        """Starlette's own refusals (unreadable body, no such path or method) in our envelope."""
        assert isinstance(exc, StarletteHTTPException)
        spec = {400: E9001, 413: E9005}.get(exc.status_code, E9002)
        error = RelayError(spec, detail=str(exc.detail))
        status = exc.status_code if exc.status_code in (400, 404, 405, 413) else 400
        return json_response(error_body(error), status_code=status)

    async def on_unexpected(_request: Request, exc: Exception) -> Response:
        log.exception("unexpected error: %s", type(exc).__name__)
        return json_response(error_body(RelayError(E5999)), status_code=503)

    app.add_exception_handler(RelayError, on_relay_error)
    app.add_exception_handler(StatusError, on_status_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(Exception, on_unexpected)


def add_health_route(app: FastAPI) -> None:
    @app.get("/healthz", tags=["ops"], summary="Checks the database and the broker connection")
    async def healthz(request: Request) -> JSONResponse:
        runtime: Runtime = request.app.state.runtime
        status = await health(runtime)
        ok = all(v == "ok" for v in status.values())
        return JSONResponse(
            {"status": "ok" if ok else "degraded", **status}, status_code=200 if ok else 503
        )


def serve(app: FastAPI, host: str, port: int, log_level: str) -> None:
    # what is loaded by now lives as long as the process: keep it out of every collection
    gc.collect()
    gc.freeze()
    # uvloop and httptools: most of the relay's CPU is event-loop and parsing work (issue 6)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level=log_level.lower(),
        access_log=False,
        log_config=None,
        loop="uvloop",
        http="httptools",
        # HIS clients keep connections open between calls; closing them after uvicorn's default
        # 5 s races with a client reusing one (a spurious ReadError on the next request)
        timeout_keep_alive=75,
    )
