"""The hospital gateway (design §3): one URL, the national envelope, never an HTTP 500."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response
from pydantic import ValidationError

from services.treating_region import bootstrap
from services.treating_region.adapters import messages
from services.treating_region.entrypoints.schemas import (
    INPUT_MODELS,
    request_schema,
    response_schema,
)
from services.treating_region.service_layer.gateway import Answer
from services.treating_region.settings import Settings
from shared.envelope import NationalRequest, national_time
from shared.errors import E5999, E9001, E9002, E9003, E9005, RelayError
from shared.logging import msgid_var
from shared.runtime import close_runtime
from shared.web import (
    add_health_route,
    describe_validation_error,
    error_body,
    install_error_handlers,
    json_response,
)

log = logging.getLogger(__name__)

GATEWAY_PATH = "/fsi/api/rsfComIfsService/callService"


def _envelope(answer: Answer) -> dict[str, Any]:
    if answer.error is not None:
        return error_body(answer.error, refmsgid=answer.inf_refmsgid)
    now = national_time(datetime.now(UTC))
    return {
        "infcode": 0,
        "inf_refmsgid": answer.inf_refmsgid,
        "refmsg_time": now,
        "respond_time": now,
        "err_code": None,
        "err_msg": "成功",
        "warn_msg": None,
        "output": answer.output,
    }


def _parse(body: bytes, max_bytes: int) -> NationalRequest:
    """Strict about meaning, tolerant about form: any content type, UTF-8 JSON object."""
    if len(body) > max_bytes:
        raise RelayError(E9005, detail=f"{len(body)} bytes > {max_bytes}")
    try:
        raw = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise RelayError(E9001, detail=str(exc).split(":")[0]) from exc
    if not isinstance(raw, dict):
        raise RelayError(E9001, detail="the body must be a JSON object")
    try:
        request = NationalRequest.model_validate(raw)
    except ValidationError as exc:
        raise RelayError(E9002, detail=describe_validation_error(list(exc.errors()))) from exc
    model = INPUT_MODELS.get(request.infno)
    if model is None:
        raise RelayError(E9003, detail=request.infno)
    try:
        typed = model.model_validate(request.input)
    except ValidationError as exc:
        detail = describe_validation_error(list(exc.errors()))
        raise RelayError(E9002, detail=f"input.{detail}") from exc
    clean = typed.model_dump(mode="json", exclude_none=True)
    return request.model_copy(update={"input": clean})


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime, gateway = await bootstrap.build(settings)
        app.state.runtime = runtime
        app.state.gateway = gateway
        try:
            yield
        finally:
            await close_runtime(runtime)

    app = FastAPI(
        title="Treating region (就医地) — hospital gateway", version="0.1.0", lifespan=lifespan
    )
    install_error_handlers(app)
    add_health_route(app)

    @app.post(
        GATEWAY_PATH,
        tags=["gateway"],
        summary="Every hospital transaction, in the national envelope",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Request1101"}}
                },
            },
            "responses": {
                "200": {
                    "description": "infcode 0 with output, or infcode -1 with err_code/err_msg",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/NationalResponse"}
                        }
                    },
                }
            },
        },
    )
    async def call_service(request: Request) -> Response:
        try:
            national = _parse(await request.body(), settings.max_body_bytes)
            msgid_var.set(national.msgid)
            answer = await request.app.state.gateway.call(national)
        except RelayError as exc:
            return json_response(error_body(exc))
        except Exception:
            log.exception("gateway failure")
            return json_response(error_body(RelayError(E5999)))
        return json_response(_envelope(answer))

    @app.get(
        "/admin/messages/{msgid}",
        tags=["gateway"],
        summary="What became of a hospital message (ok, error, unknown, late reply)",
    )
    async def message_status(request: Request, msgid: str) -> dict[str, Any]:
        stored = await messages.find(request.app.state.runtime.engine, msgid)
        if stored is None:
            raise RelayError(E9002, detail=f"no message {msgid}")
        return {
            "msgid": stored.msgid,
            "infno": stored.infno,
            "status": stored.status,
            "err_code": stored.err_code,
            "err_detail": stored.err_detail,
            "output": stored.output,
            "received_at": stored.received_at.isoformat(),
            "answered_at": stored.answered_at.isoformat() if stored.answered_at else None,
        }

    def custom_openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for generated in (request_schema(), response_schema()):
            components.update(generated.pop("$defs", {}))
            components[generated["title"]] = generated
        app.openapi_schema = schema
        return schema

    app.openapi = custom_openapi  # type: ignore[method-assign]  # FastAPI's documented override
    return app
