"""The hospital gateway's routes (design §3): one URL, the national envelope, never an HTTP 500;
and the reads of a message's outcome (the hospital its own, the operator any)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from pydantic import ValidationError

from services.treating_region.adapters import messages
from services.treating_region.adapters.messages import StoredMessage
from services.treating_region.entrypoints.access import SignatureCheck, signed_reader
from services.treating_region.entrypoints.schemas import INPUT_MODELS
from services.treating_region.service_layer.commands import Command
from services.treating_region.service_layer.conformance import Conformance
from services.treating_region.service_layer.gateway import Answer
from shared.envelope import NationalRequest, national_time
from shared.errors import E5999, E9001, E9002, E9003, E9005, E9012, RelayError
from shared.infno import canonical_infno
from shared.logging import msgid_var
from shared.operator_access import OPERATOR_RESPONSES, OperatorDep
from shared.web import (
    ErrorEnvelope,
    StatusError,
    describe_validation_error,
    error_body,
    json_response,
)

log = logging.getLogger(__name__)

router = APIRouter()

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


def _read(body: bytes, max_bytes: int) -> dict[str, Any]:
    """Any content type, a UTF-8 JSON object; JSON numbers are read as Decimal, so an amount
    sent as a number never becomes a float."""
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
    return raw


def _parse(raw: dict[str, Any]) -> tuple[NationalRequest, Command]:
    """Strict about meaning, tolerant about form. Everything a column could not take is refused
    here, naming the field, before anything is written (never "outcome unknown" for input the
    gateway could have refused)."""
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
        "forced": stored.forced,
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


@router.post(
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
    state = request.app.state
    signatures: SignatureCheck | None = state.signatures
    raw: dict[str, Any] | None = None
    national: NationalRequest | None = None
    signed = False
    try:
        raw = _read(await request.body(), state.max_body_bytes)
        national, command = _parse(raw)
        msgid_var.set(national.msgid)
        nonce = (
            signatures.verify(request.headers, national.fixmedins_code)
            if signatures is not None
            else None
        )
        signed = True
        answer = await state.gateway.call(national, command, nonce)
    except RelayError as exc:
        if raw is not None:
            await _observe(request, raw, national, signed, exc, None, None)
        return json_response(error_body(exc))
    except Exception:
        log.exception("gateway failure")
        return json_response(error_body(RelayError(E5999)))
    await _observe(request, raw, national, True, answer.error, answer.output, answer.forced)
    return json_response(_envelope(answer))


async def _observe(
    request: Request,
    raw: dict[str, Any],
    national: NationalRequest | None,
    signed: bool,
    error: RelayError | None,
    output: dict[str, Any] | None,
    forced: str | None,
) -> None:
    """A call of an institution under a conformance session, kept for its report (design §8b):
    only one its signature proves (or any, where the deployment does not ask for signatures),
    keyed as the gateway read it. Never in the way of the answer."""
    conformance: Conformance | None = request.app.state.gateway.conformance
    if conformance is None:
        return
    try:
        if national is not None:
            code, msgid, infno = national.fixmedins_code, national.msgid, national.infno
        else:
            code = str(raw.get("fixmedins_code") or "").strip().upper()
            msgid = str(raw.get("msgid") or "").strip()
            infno = str(canonical_infno(raw.get("infno")) or "")
        session_id = await conformance.watching(code)
        if session_id is None:
            return
        signatures: SignatureCheck | None = request.app.state.signatures
        if not signed and signatures is not None:
            try:  # refused before the gateway checked the signature: who sent it?
                signatures.verify(request.headers, code)
            except RelayError:
                return
        if error is not None:  # what the clerk read, so the report can quote it
            output = {"err_msg": error_body(error)["err_msg"]}
        await conformance.observe_call(
            session_id,
            raw,
            msgid=msgid,
            infno=infno,
            err_code=error.code if error else None,
            output=output,
            forced=forced,
        )
    except Exception:  # the kit's record never costs the hospital its answer
        log.exception("conformance record failed")


@router.get(
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
    paasid = signed_reader(request)
    stored = await messages.find(request.app.state.runtime.pool, msgid)
    if stored is None or stored.fixmedins_code != paasid:
        raise _no_message(msgid)
    conformance: Conformance | None = request.app.state.gateway.conformance
    if conformance is not None:
        await conformance.observe_read(paasid, msgid, stored.infno)
    return _message_out(stored)


@router.get(
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
