"""The conformance kit's routes (design §8b): test sessions and their reports, forced-outcome
rules, and the error codes' help for HIS vendors.

Sessions and rules are the operator's (in a vendor's own simulator, the vendor is the
operator); the scenario list and the error help are reference data, open to all.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.treating_region.adapters import conformance as store
from services.treating_region.domain.conformance import FORCED_ACTIONS, SCENARIOS, ForcedRule
from services.treating_region.service_layer import conformance
from services.treating_region.service_layer.conformance import Conformance
from shared.errors import CATALOGUE, E9002, E9012, RelayError
from shared.operator_access import OPERATOR_RESPONSES, operator_access
from shared.web import StatusError, plain

router = APIRouter(tags=["conformance"])
operator_router = APIRouter(
    tags=["conformance"], responses=OPERATOR_RESPONSES, dependencies=[Depends(operator_access)]
)

SessionId = Annotated[int, Path(ge=1, le=2**63 - 1, description="the session's number")]
RuleId = Annotated[int, Path(ge=1, le=2**63 - 1, description="the rule's number")]
INSTITUTION = r"^[HP]\d{11}$"


def _kit(request: Request) -> Conformance:
    kit: Conformance | None = request.app.state.gateway.conformance
    if kit is None:  # pragma: no cover — every deployment builds one (bootstrap)
        raise RelayError(E9002, detail="本平台未启用一致性测试")
    return kit


class SessionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fixmedins_code: str = Field(pattern=INSTITUTION, description="the institution under test")
    scenarios: list[str] = Field(
        default_factory=lambda: [n for n, s in SCENARIOS.items() if s.kind == "golden"],
        min_length=1,
        max_length=len(SCENARIOS),
        description="scenario names (GET /conformance/scenarios); the golden ones by default",
    )
    lost_reply_minutes: Decimal = Field(
        default=Decimal(10),
        gt=0,
        le=1440,
        decimal_places=2,
        description="how soon after a lost reply the HIS must query the outcome or send 2601",
    )
    slow_reply_seconds: Decimal = Field(
        default=Decimal(35),
        gt=0,
        le=600,
        decimal_places=2,
        description="how long the timeout scenario keeps a settlement's answer before E5002",
    )

    @field_validator("scenarios")
    @classmethod
    def _known(cls, names: list[str]) -> list[str]:
        unknown = [n for n in names if n not in SCENARIOS]
        if unknown:
            raise ValueError(f"未知场景 {', '.join(unknown[:5])}（见 GET /conformance/scenarios）")
        return list(dict.fromkeys(names))


class RuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fixmedins_code: str = Field(pattern=INSTITUTION)
    action: Literal["error", "refuse_at_hub", "lose_reply", "delay"] = Field(
        description="error: answer err_code without sending on; refuse_at_hub: E5003 (or E5001)"
        " as if the hub refused; lose_reply: run it, then answer E5002; delay: answer late"
    )
    infnos: list[Annotated[str, Field(pattern=r"^\d{4}$")]] = Field(
        default_factory=list, max_length=50, description="match these infnos (any if empty)"
    )
    msgid: str | None = Field(default=None, min_length=1, max_length=40)
    psn_no: str | None = Field(default=None, min_length=1, max_length=40)
    min_amount: Decimal | None = Field(
        default=None, ge=0, le=Decimal("999999999999.99"), decimal_places=2
    )
    max_amount: Decimal | None = Field(
        default=None, ge=0, le=Decimal("999999999999.99"), decimal_places=2
    )
    err_code: str | None = Field(default=None, pattern=r"^E\d{4}$")
    err_msg: str | None = Field(default=None, max_length=200)
    delay_s: Decimal | None = Field(
        default=None,
        gt=0,
        le=600,
        decimal_places=2,
        description="delay: seconds before the answer; lose_reply: seconds before the E5002",
    )
    times: int | None = Field(
        default=None, ge=1, le=1_000_000, description="how many calls (every match if absent)"
    )


def _rule_of(body: RuleIn) -> ForcedRule:
    if body.err_code is not None and body.err_code not in CATALOGUE:
        raise RelayError(E9002, detail=f"字段 err_code：{body.err_code} 不在错误码目录中")
    if body.action == "error" and body.err_code is None:
        raise RelayError(E9002, detail="字段 err_code：指定错误应答时必填")
    if body.action == "refuse_at_hub" and body.err_code not in (None, "E5001", "E5003"):
        raise RelayError(E9002, detail="字段 err_code：平台拒绝只能是 E5001 或 E5003")
    if body.action == "delay" and body.delay_s is None:
        raise RelayError(E9002, detail="字段 delay_s：延迟应答时必填（秒）")
    if (
        body.min_amount is not None
        and body.max_amount is not None
        and body.min_amount > body.max_amount
    ):
        raise RelayError(E9002, detail="字段 min_amount：不能大于 max_amount")
    assert body.action in FORCED_ACTIONS
    return ForcedRule(
        id=0,
        fixmedins_code=body.fixmedins_code,
        action=body.action,
        infnos=tuple(body.infnos),
        msgid=body.msgid,
        psn_no=body.psn_no,
        min_amount=body.min_amount,
        max_amount=body.max_amount,
        err_code=body.err_code,
        err_msg=body.err_msg,
        delay_s=body.delay_s,
        remaining=body.times,
    )


def _not_found(what: str) -> StatusError:
    return StatusError(E9012, status_code=404, detail=what)


def _session_out(session: store.Session) -> dict[str, Any]:
    out: dict[str, Any] = plain(asdict(session))
    return out


@router.get("/conformance/scenarios", summary="The kit's scenarios and what each expects of a HIS")
async def scenarios() -> list[dict[str, Any]]:
    return [
        {"name": name, "title": s.title, "kind": s.kind, "expects": s.expects}
        for name, s in SCENARIOS.items()
    ]


@router.get(
    "/conformance/errors",
    summary="Every error code the gateway can answer, its likely causes on the HIS side and "
    "what to check (HTML with an anchor per code, or JSON)",
    response_model=None,
)
async def errors(format: Annotated[Literal["json", "html"], Query()] = "html") -> Any:
    if format == "json":
        return conformance.help_json()
    return HTMLResponse(conformance.errors_html())


@operator_router.post(
    "/conformance/sessions",
    status_code=201,
    summary="Open a test session for an institution: its calls and reads are recorded and "
    "judged; the negative scenarios arm their forced outcomes",
)
async def open_session(request: Request, body: SessionIn) -> dict[str, Any]:
    if body.fixmedins_code not in request.app.state.institutions:
        raise _not_found(f"定点医药机构 {body.fixmedins_code}")
    session = await _kit(request).open(
        body.fixmedins_code,
        tuple(body.scenarios),
        body.lost_reply_minutes,
        body.slow_reply_seconds,
    )
    rules = await store.rules(request.app.state.runtime.pool, body.fixmedins_code)
    return {
        **_session_out(session),
        "armed": [plain(asdict(r)) for r in rules if r.session_id == session.id],
    }


async def _session(request: Request, session_id: int) -> store.Session:
    session = await store.get_session(request.app.state.runtime.pool, session_id)
    if session is None:
        raise _not_found(f"会话 {session_id}")
    return session


@operator_router.get("/conformance/sessions/{session_id}", summary="A test session")
async def get_session(request: Request, session_id: SessionId) -> dict[str, Any]:
    return _session_out(await _session(request, session_id))


@operator_router.post(
    "/conformance/sessions/{session_id}/close",
    summary="Close a session: nothing more is recorded, and the rules it armed are removed",
)
async def close_session(request: Request, session_id: SessionId) -> dict[str, Any]:
    session = await _kit(request).close(session_id)
    if session is None:
        raise _not_found(f"会话 {session_id}")
    return _session_out(session)


@operator_router.get(
    "/conformance/sessions/{session_id}/report",
    summary="The session's report: each scenario and check, pass or fail, with evidence and the "
    "help for every error code answered (JSON, or HTML to hand to the insurance office)",
    response_model=None,
)
async def report(
    request: Request,
    session_id: SessionId,
    format: Annotated[Literal["json", "html"], Query()] = "json",
) -> Any:
    session = await _session(request, session_id)
    events = await store.events(request.app.state.runtime.pool, session_id)
    # judged off the event loop: the gateway's calls go on meanwhile
    found = await asyncio.to_thread(conformance.report_json, session, events)
    if format == "json":
        return found
    return HTMLResponse(conformance.report_html(found))


@operator_router.get("/admin/conformance/rules", summary="Operators: the forced-outcome rules")
async def list_rules(
    request: Request,
    fixmedins_code: Annotated[str | None, Query(pattern=INSTITUTION)] = None,
) -> list[dict[str, Any]]:
    found = await store.rules(request.app.state.runtime.pool, fixmedins_code)
    return [plain(asdict(r)) for r in found]


@operator_router.post(
    "/admin/conformance/rules",
    status_code=201,
    summary="Operators: force the outcome of an institution's matching calls (marked in the "
    "log as forced, never a real fault)",
)
async def add_rule(request: Request, body: RuleIn) -> dict[str, Any]:
    if body.fixmedins_code not in request.app.state.institutions:
        raise _not_found(f"定点医药机构 {body.fixmedins_code}")
    added = await _kit(request).add_rule(_rule_of(body))
    out: dict[str, Any] = plain(asdict(added))
    return out


@operator_router.delete("/admin/conformance/rules/{rule_id}", summary="Operators: remove a rule")
async def remove_rule(request: Request, rule_id: RuleId) -> dict[str, Any]:
    if not await _kit(request).remove_rule(rule_id):
        raise _not_found(f"规则 {rule_id}")
    return {"removed": rule_id}
