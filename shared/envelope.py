"""Wire models shared by the services: the national envelope (design §3), the relay envelope (§4).

Hospital input is read strictly about meaning and tolerantly about form: unknown keys are
ignored, unset optional fields may be ``null``, ``""`` or absent.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

NATIONAL_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
MSGID_LENGTH = 30


CHINA_TZ = timezone(timedelta(hours=8), "CST")


def china_today() -> date:
    """The business date: settlements and ages are counted in China time."""
    return datetime.now(CHINA_TZ).date()


def national_time(moment: datetime) -> str:
    """Times on the national wire: ``yyyy-MM-dd HH:mm:ss`` in China time (UTC+8)."""
    return moment.astimezone(CHINA_TZ).strftime(NATIONAL_TIME_FORMAT)


class WireModel(BaseModel):
    model_config = ConfigDict(frozen=True, str_strip_whitespace=True, extra="ignore")


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and value.strip() == "":
        return None
    return value


class NationalRequest(WireModel):
    """The national request envelope every hospital transaction travels in."""

    infno: str = Field(pattern=r"^\d{4}$", description="交易编号")
    msgid: str = Field(
        min_length=MSGID_LENGTH,
        max_length=MSGID_LENGTH,
        description="发送方报文ID: institution code (12) + yyyyMMddHHmmss + 4-digit sequence",
    )
    mdtrtarea_admvs: str = Field(pattern=r"^\d{6}$", description="就医地医保区划")
    insuplc_admdvs: str = Field(pattern=r"^\d{6}$", description="参保地医保区划")
    recer_sys_code: str | None = Field(default=None, description="接收方系统代码")
    infver: str | None = Field(default=None, description="接口版本号")
    opter_type: str | None = Field(default=None, description="经办人类别 1/2/3")
    opter: str | None = None
    opter_name: str | None = None
    inf_time: str | None = Field(default=None, description="交易时间 yyyy-MM-dd HH:mm:ss")
    fixmedins_code: str = Field(pattern=r"^[HP]\d{11}$", description="定点医药机构编号")
    fixmedins_name: str | None = None
    sign_no: str | None = None
    input: dict[str, Any] = Field(default_factory=dict)

    _blank = field_validator(
        "recer_sys_code",
        "infver",
        "opter_type",
        "opter",
        "opter_name",
        "inf_time",
        "fixmedins_name",
        "sign_no",
        mode="before",
    )(_blank_to_none)

    @field_validator("msgid")
    @classmethod
    def _msgid_shape(cls, value: str) -> str:
        if not (value[:1] in ("H", "P") and value[1:].isdigit()):
            raise ValueError("msgid must be the institution code + yyyyMMddHHmmss + 4 digits")
        return value


class NationalResponse(WireModel):
    """The national response envelope; ``infcode`` 0 is success, -1 an error from the catalogue."""

    infcode: int
    inf_refmsgid: str
    refmsg_time: str
    respond_time: str
    err_code: str | None = None
    err_msg: str | None = None
    warn_msg: str | None = None
    output: dict[str, Any] | None = None


class MessageKind(StrEnum):
    REQUEST = "request"
    REPLY = "reply"
    EVENT = "event"


class Hop(WireModel):
    name: str
    at: datetime


class RelayEnvelope(WireModel):
    """What travels over RabbitMQ between the services (design §4); read tolerantly."""

    relay_id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    msgid: str
    infno: str
    kind: MessageKind
    sender_admdvs: str
    mdtrtarea_admvs: str
    insuplc_admdvs: str
    fixmedins_code: str | None = None
    route: str | None = None
    hops: tuple[Hop, ...] = ()
    deadline: datetime
    reply_to: str | None = None
    payload: dict[str, Any] = Field(default_factory=dict)
    err_code: str | None = None
    err_detail: str | None = None

    @field_validator("deadline")
    @classmethod
    def _deadline_is_aware(cls, value: datetime) -> datetime:
        """A deadline without an offset is read as UTC, so comparisons never mix kinds."""
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)

    def with_hop(self, name: str, **changes: Any) -> RelayEnvelope:
        hops = (*self.hops, Hop(name=name, at=datetime.now(UTC)))
        return self.model_copy(update={"hops": hops, **changes})

    def expired(self, now: datetime | None = None) -> bool:
        return (now or datetime.now(UTC)) >= self.deadline

    def reply(
        self,
        sender_admdvs: str,
        *,
        payload: dict[str, Any] | None = None,
        err_code: str | None = None,
        err_detail: str | None = None,
    ) -> RelayEnvelope:
        """The answer to this request: same ids, back towards whoever waits for it."""
        return self.model_copy(
            update={
                "kind": MessageKind.REPLY,
                "sender_admdvs": sender_admdvs,
                "payload": payload or {},
                "err_code": err_code,
                "err_detail": err_detail,
            }
        )
