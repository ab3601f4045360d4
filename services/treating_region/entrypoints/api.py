"""The hospital gateway (design §3): one URL, the national envelope, never an HTTP 500."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import FastAPI, Path, Query, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response
from pydantic import ValidationError

from services.treating_region import bootstrap
from services.treating_region.adapters import messages
from services.treating_region.adapters.catalogue_loader import load_catalogues, load_institutions
from services.treating_region.adapters.messages import StoredMessage
from services.treating_region.domain.catalogue import CatalogueEntry
from services.treating_region.entrypoints.access import SignatureCheck
from services.treating_region.entrypoints.schemas import (
    INPUT_MODELS,
    request_schema,
    response_schema,
)
from services.treating_region.service_layer.commands import Command
from services.treating_region.service_layer.gateway import Answer
from services.treating_region.settings import Settings
from shared.envelope import NationalRequest, national_time
from shared.errors import E3006, E5999, E9001, E9002, E9003, E9005, E9012, RelayError
from shared.logging import msgid_var
from shared.operator_access import OPERATOR_RESPONSES, OperatorDep, install_operator_access
from shared.regions import parse_region_list
from shared.runtime import close_runtime
from shared.web import (
    ERROR_RESPONSES,
    ErrorEnvelope,
    StatusError,
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


MAX_NESTING = 32
"""The national envelope nests four levels deep; far deeper is no hospital message."""


def _unstorable(value: Any, path: str, depth: int = 0) -> str | None:
    """Where the body holds what no database column can store: a NUL character (PostgreSQL
    refuses it in text), or nesting far deeper than any national message."""
    if depth > MAX_NESTING:
        raise RelayError(E9001, detail=f"嵌套超过 {MAX_NESTING} 层")
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _unstorable(item, f"{path}.{key}" if path else str(key), depth + 1)
            if found or "\x00" in key:
                return found or path
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = _unstorable(item, f"{path}[{i}]", depth + 1)
            if found:
                return found
    return None


def _parse(body: bytes, max_bytes: int) -> tuple[NationalRequest, Command]:
    """Strict about meaning, tolerant about form: any content type, UTF-8 JSON object.

    JSON numbers are read as Decimal, so an amount sent as a number never becomes a float.
    Everything a column could not take is refused here, naming the field, before anything is
    written (never "outcome unknown" for input the gateway could have refused).
    """
    if len(body) > max_bytes:
        raise RelayError(E9005, detail=f"{len(body)} 字节，上限 {max_bytes}")
    try:
        raw = json.loads(body.decode("utf-8"), parse_float=Decimal)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RelayError(E9001, detail=f"不是 UTF-8 JSON（{type(exc).__name__}）") from exc
    except RecursionError as exc:
        raise RelayError(E9001, detail=f"嵌套超过 {MAX_NESTING} 层") from exc
    if not isinstance(raw, dict):
        raise RelayError(E9001, detail="报文应为 JSON 对象")
    nul = _unstorable(raw, "")
    if nul is not None:
        raise RelayError(E9002, detail=f"字段 {nul}：含有空字符（\\u0000）")
    try:
        request = NationalRequest.model_validate(raw)
    except ValidationError as exc:
        raise RelayError(E9002, detail=describe_validation_error(list(exc.errors()))) from exc
    model = INPUT_MODELS.get(request.infno)
    if model is None:
        raise RelayError(E9003, detail=f"infno {request.infno}")
    try:
        typed = model.model_validate(request.input)
    except ValidationError as exc:
        detail = describe_validation_error(list(exc.errors()), prefix="input")
        raise RelayError(E9002, detail=detail) from exc
    return request.model_copy(update={"input": typed.as_sent()}), typed.to_command()


def _message_out(stored: StoredMessage) -> dict[str, Any]:
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


def _no_message(msgid: str) -> StatusError:
    """One answer for a msgid never received and for another institution's: a hospital does not
    learn which msgids exist (they are guessable: institution code, time, sequence)."""
    return StatusError(E9012, status_code=404, detail=f"msgid {msgid}")


MsgidPath = Annotated[str, Path(max_length=40)]

HOSPITAL_READ_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {
        "model": ErrorEnvelope,
        "description": "x-tif headers missing, not verifying or stale (E9007, E9008)",
    },
}


def _entry_out(entry: CatalogueEntry) -> dict[str, Any]:
    return {
        "med_list_codg": entry.med_list_codg,
        "name": entry.name,
        "med_chrgitm_type": entry.med_chrgitm_type,
        "chrgitm_lv": entry.chrgitm_lv,
        "selfpay_prop": str(entry.selfpay_prop),
        "pric_uplmt_amt": str(entry.pric_uplmt_amt) if entry.pric_uplmt_amt is not None else None,
        "unit": entry.unit,
        "ref_price": str(entry.ref_price) if entry.ref_price is not None else None,
    }


def create_app(settings: Settings) -> FastAPI:
    # bad catalogue or institution data stops start-up here
    catalogues = load_catalogues(parse_region_list(settings.regions))
    signatures = SignatureCheck(settings.hospital_secret) if settings.require_signature else None
    # reads are always signed, whatever require_signature says: the signature is how the relay
    # knows whose messages the caller may read
    read_signatures = SignatureCheck(settings.hospital_secret)
    institutions = load_institutions()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime, gateway = await bootstrap.build(settings, catalogues, institutions)
        app.state.runtime = runtime
        app.state.gateway = gateway
        try:
            yield
        finally:
            await close_runtime(runtime)

    app = FastAPI(
        title="Treating region (就医地) — hospital gateway",
        version="0.1.0",
        lifespan=lifespan,
        responses=ERROR_RESPONSES,
    )
    install_error_handlers(app)
    install_operator_access(app, settings)
    add_health_route(app)

    @app.post(
        GATEWAY_PATH,
        tags=["gateway"],
        summary="Every hospital transaction, in the national envelope",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/HospitalRequest"}}
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
            national, command = _parse(await request.body(), settings.max_body_bytes)
            msgid_var.set(national.msgid)
            nonce = (
                signatures.verify(request.headers, national.fixmedins_code)
                if signatures is not None
                else None
            )
            answer = await request.app.state.gateway.call(national, command, nonce)
        except RelayError as exc:
            return json_response(error_body(exc))
        except Exception:
            log.exception("gateway failure")
            return json_response(error_body(RelayError(E5999)))
        return json_response(_envelope(answer))

    @app.get(
        "/fsi/messages/{msgid}",
        tags=["gateway"],
        summary="A hospital reads what became of its own message (signed with the x-tif "
        "headers, as on the gateway; another institution's msgid is not found)",
        responses=HOSPITAL_READ_RESPONSES,
    )
    async def own_message(request: Request, msgid: MsgidPath) -> dict[str, Any]:
        """The hospital's way to learn an outcome after E5002 (design §3: a hospital reads only
        its own messages). The signature and its timestamp are checked; the nonce is not
        recorded, as a read changes nothing."""
        paasid = request.headers.get("x-tif-paasid", "")
        try:
            read_signatures.verify(request.headers, paasid)
        except RelayError as exc:
            raise StatusError(exc.spec, status_code=401, detail=exc.detail) from exc
        stored = await messages.find(request.app.state.runtime.pool, msgid)
        if stored is None or stored.fixmedins_code != paasid:
            raise _no_message(msgid)
        return _message_out(stored)

    @app.get(
        "/admin/messages/{msgid}",
        tags=["operator"],
        summary="Operators: what became of any hospital message (ok, error, unknown, late "
        "reply); personal data masked unless unmasked=true with the PII token",
        responses=OPERATOR_RESPONSES,
    )
    async def message_status(
        request: Request, operator: OperatorDep, msgid: MsgidPath
    ) -> dict[str, Any]:
        stored = await messages.find(request.app.state.runtime.pool, msgid)
        if stored is None:
            raise _no_message(msgid)
        return operator.view(_message_out(stored))

    @app.get(
        "/catalogue/{admdvs}/items/{med_list_codg}",
        tags=["catalogue"],
        summary="One item of a treating region's catalogue (就医地目录)",
    )
    async def catalogue_item(admdvs: str, med_list_codg: str) -> dict[str, Any]:
        entry = catalogues.get(admdvs, {}).get(med_list_codg)
        if entry is None:
            raise RelayError(E9002, detail=f"{admdvs} 的就医地目录中没有 {med_list_codg}")
        return _entry_out(entry)

    @app.get(
        "/catalogue/{admdvs}/items",
        tags=["catalogue"],
        summary="Search a treating region's catalogue by name, code, category or class",
    )
    async def catalogue_search(
        admdvs: str,
        q: Annotated[str | None, Query(max_length=50)] = None,
        med_chrgitm_type: Annotated[str | None, Query(pattern=r"^(0[1-9]|1[0-4])$")] = None,
        chrgitm_lv: Annotated[str | None, Query(pattern=r"^0[1-3]$")] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
    ) -> list[dict[str, Any]]:
        if admdvs not in catalogues:
            raise RelayError(E9002, detail=f"没有 {admdvs} 的就医地目录")
        found = []
        for entry in catalogues[admdvs].values():
            if q and q not in entry.name and not entry.med_list_codg.startswith(q):
                continue
            if med_chrgitm_type and entry.med_chrgitm_type != med_chrgitm_type:
                continue
            if chrgitm_lv and entry.chrgitm_lv != chrgitm_lv:
                continue
            found.append(_entry_out(entry))
            if len(found) >= limit:
                break
        return found

    @app.get("/institutions", tags=["catalogue"], summary="Designated institutions of a region")
    async def institution_list(
        admdvs: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    ) -> list[dict[str, Any]]:
        return [asdict(i) for i in institutions.values() if admdvs in (None, i.admdvs)]

    @app.get(
        "/institutions/{fixmedins_code}",
        tags=["catalogue"],
        summary="A designated institution: its level and networked services",
    )
    async def institution(fixmedins_code: str) -> dict[str, Any]:
        inst = institutions.get(fixmedins_code)
        if inst is None:
            raise RelayError(E3006, detail=fixmedins_code)
        return asdict(inst)

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
