"""Which use case answers which ``infno``, and the few that are no more than a relay or a row.

The capabilities live in ``registration.py``, ``fee_lines.py``, ``settlement.py``,
``reversal.py`` and ``statements.py``; the gateway finds them here.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from services.treating_region.adapters import sign_ins
from services.treating_region.service_layer import (
    commands,
    fee_lines,
    registration,
    reversal,
    settlement,
    statements,
)
from services.treating_region.service_layer.commands import Command
from services.treating_region.service_layer.context import Output, TreatingContext, relay
from shared.clock import CHINA_TZ
from shared.envelope import NationalRequest, national_time
from shared.errors import E9003, E9010, RelayError
from shared.settlement import CumulativePayload

Handler = Callable[[TreatingContext, NationalRequest, Command], Awaitable[Output]]
C = TypeVar("C", bound=Command)


def handles(
    kind: type[C], use_case: Callable[[TreatingContext, NationalRequest, C], Awaitable[Output]]
) -> Handler:
    """A use case that takes one kind of command, as the gateway calls every handler."""

    async def handle(ctx: TreatingContext, request: NationalRequest, command: Command) -> Output:
        if not isinstance(command, kind):  # the entrypoint mapped the infno to another command
            raise RelayError(E9003, detail=f"infno {request.infno}")
        return await use_case(ctx, request, command)

    return handle


async def relay_as_sent(
    ctx: TreatingContext, request: NationalRequest, command: commands.Relay
) -> dict[str, Any]:
    """2501–2504: the insured region answers; nothing is kept here."""
    return await relay(ctx, request, command.payload)


async def person_info(
    ctx: TreatingContext, request: NationalRequest, command: commands.Relay
) -> dict[str, Any]:
    """1101 is how a hospital learns the insured region: real clients send ``insuplc_admdvs``
    absent, blank or as the treating area. Then the hub finds the region in the national
    person index (design §4)."""
    named = request.insuplc_admdvs
    insured = "" if named in (None, request.mdtrtarea_admvs) else named
    return await relay(ctx, request, command.payload, insured=insured)


async def cumulative(
    ctx: TreatingContext, request: NationalRequest, command: commands.CumulativeQuery
) -> dict[str, Any]:
    """5206: the insured region answers from the person's accumulators."""
    query = CumulativePayload(psn_no=command.psn_no, cum_ym=command.year_month)
    return await relay(ctx, request, {"data": query.model_dump(mode="json")})


async def sign_in(
    ctx: TreatingContext, request: NationalRequest, command: commands.SignIn
) -> dict[str, Any]:
    """签到: the ``sign_no`` the institution's operator sends on every later call."""
    now = datetime.now(CHINA_TZ)
    sign_no = uuid.uuid4().hex
    await sign_ins.sign_in(
        ctx.pool,
        sign_no=sign_no,
        fixmedins_code=request.fixmedins_code,
        opter_no=command.operator_no,
        mac=command.mac,
        ip=command.ip,
        at=now,
    )
    return {"signinoutb": {"sign_time": national_time(now), "sign_no": sign_no}}


async def sign_out(
    ctx: TreatingContext, request: NationalRequest, command: commands.SignOut
) -> dict[str, Any]:
    """签退: the sign-in is closed; a later call under it is refused where sign-in is required."""
    now = datetime.now(CHINA_TZ)
    closed = await sign_ins.sign_out(
        ctx.pool, sign_no=command.sign_no, fixmedins_code=request.fixmedins_code, at=now
    )
    if not closed:
        raise RelayError(E9010, detail=f"sign_no {command.sign_no[:64]}")
    return {"signoutoutb": {"sign_time": national_time(now)}}


_relayed = handles(commands.Relay, relay_as_sent)
_register = handles(commands.Register, registration.register)
_upload = handles(commands.UploadLines, fee_lines.upload)
_cancel_lines = handles(commands.CancelLines, fee_lines.cancel)
_settle = handles(commands.Settle, settlement.settle)
_cancel = handles(commands.CancelSettlement, settlement.cancel)

HANDLERS: dict[str, Handler] = {
    "1101": handles(commands.Relay, person_info),
    "9001": handles(commands.SignIn, sign_in),
    "9002": handles(commands.SignOut, sign_out),
    "2501": _relayed, "2502": _relayed, "2503": _relayed, "2504": _relayed,
    "5206": handles(commands.CumulativeQuery, cumulative),
    "2401": _register, "2201": _register,
    "2402": handles(commands.Discharge, registration.discharge),
    "2403": handles(commands.ChangeAdmission, registration.change_admission),
    "2404": handles(commands.VisitRef, registration.cancel_admission),
    "2405": handles(commands.VisitRef, registration.cancel_discharge),
    "2203": handles(commands.ChangeOutpatientVisit, registration.change_outpatient_visit),
    "2301": _upload, "2204": _upload, "2302": _cancel_lines, "2205": _cancel_lines,
    "2303": _settle, "2304": _settle, "2206": _settle, "2207": _settle,
    "2305": _cancel, "2208": _cancel,
    "2601": handles(commands.Reverse, reversal.reverse),
    "3201": handles(commands.ReconcileTotals, statements.reconcile_totals),
    "3202": handles(commands.ReconcileDetails, statements.reconcile_details),
    "9101": handles(commands.UploadFile, statements.upload),
    "9102": handles(commands.DownloadFile, statements.download),
    "3260": handles(commands.ClearingRows, statements.clearing_rows),
    "3261": handles(commands.ConfirmClearing, statements.confirm_clearing),
}  # fmt: skip
"""The use case of each ``infno`` the gateway serves."""
