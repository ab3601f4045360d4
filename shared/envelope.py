"""Wire models shared by the services: the national envelope (design §3), the relay envelope (§4).

Hospital input is read strictly about meaning and tolerantly about form: unknown keys are
ignored, unset optional fields may be ``null``, ``""`` or absent.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.clock import CHINA_TZ
from shared.infno import canonical_infno

NATIONAL_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
MSGID_LENGTH = 30
"""The spec's form of a msgid (institution code 12 + yyyyMMddHHmmss + 4-digit sequence)."""
MSGID_MAX_LENGTH = 40
"""What the gateway accepts: real clients send 28–30 characters, some with letters in the
sequence, so a msgid is an opaque key of 1–40 printable ASCII characters (design §3)."""
OPAQUE_KEY = rf"^[\x21-\x2e\x30-\x7e]{{1,{MSGID_MAX_LENGTH}}}$"
"""Printable ASCII but ``/``, which no URL path could carry back (``GET /fsi/messages/{msgid}``)."""

_SPEC_FORM = re.compile(r"^([HP]\d{11})\d{14}[0-9A-Za-z]{2,4}$")


def spec_form_owner(msgid: str) -> str | None:
    """The institution a msgid of the spec's form names (code 12 + time 14 + sequence); None
    for an opaque key, which names no one."""
    found = _SPEC_FORM.match(msgid)
    return found.group(1) if found else None


def national_time(moment: datetime) -> str:
    """Times on the national wire: ``yyyy-MM-dd HH:mm:ss`` in China time (UTC+8)."""
    return moment.astimezone(CHINA_TZ).strftime(NATIONAL_TIME_FORMAT)


EARLIEST_YEAR, LATEST_YEAR = 1900, 2999
"""Times of care and of messages outside these years are typing errors, not history."""


def china_time(value: Any) -> Any:
    """A time as HIS clients write it, as an aware datetime in China time (design §3).

    ``yyyy-MM-dd HH:mm:ss``, ``yyyy-MM-dd``, ISO 8601 with ``T`` (fractions too), ``/`` for
    ``-``, or compact ``yyyyMMdd[HHmmss]``. A naive time is China time (UTC+8), never UTC; a
    time with an offset (``+08:00``, ``Z``) is converted. What is not a time is left for the
    model to refuse, naming the field.
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        text = value.strip().replace("/", "-")
        if text.isdigit() and len(text) in (8, 14):
            text = f"{text[:4]}-{text[4:6]}-{text[6:8]}" + (
                f" {text[8:10]}:{text[10:12]}:{text[12:14]}" if len(text) == 14 else ""
            )
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return value
    else:
        return value
    if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        raise ValueError(f"年份 {moment.year} 不在 {EARLIEST_YEAR}–{LATEST_YEAR} 之内")
    if moment.tzinfo is None:
        return moment.replace(tzinfo=CHINA_TZ)
    return moment.astimezone(CHINA_TZ)


class WireModel(BaseModel):
    """Tolerant about form: a number where a string is declared is that string (``1`` → ``"1"``)."""

    model_config = ConfigDict(
        frozen=True, str_strip_whitespace=True, extra="ignore", coerce_numbers_to_str=True
    )


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and value.strip() == "":
        return None
    return value


class NationalRequest(WireModel):
    """The national request envelope every hospital transaction travels in."""

    infno: str = Field(pattern=r"^[0-9A-Z]{1,10}$", description="交易编号 (2203A = 2203)")
    msgid: str = Field(
        pattern=OPAQUE_KEY,
        description="发送方报文ID: an opaque key of 1–40 printable ASCII characters (the spec's "
        "form is institution code 12 + yyyyMMddHHmmss + 4-digit sequence)",
    )
    mdtrtarea_admvs: str = Field(pattern=r"^\d{6}$", description="就医地医保区划")
    insuplc_admdvs: str | None = Field(
        default=None,
        pattern=r"^\d{6}$",
        description="参保地医保区划; on 1101 it may be unknown (absent, blank or the treating "
        "area): the relay finds it in the national person index",
    )
    recer_sys_code: str | None = Field(default=None, max_length=50, description="接收方系统代码")
    infver: str | None = Field(default=None, max_length=20, description="接口版本号")
    opter_type: str | None = Field(default=None, max_length=3, description="经办人类别 1/2/3")
    opter: str | None = Field(default=None, max_length=50)
    opter_name: str | None = Field(default=None, max_length=50)
    inf_time: str | None = Field(
        default=None, max_length=30, description="交易时间 yyyy-MM-dd HH:mm:ss"
    )
    fixmedins_code: str = Field(pattern=r"^[HP]\d{11}$", description="定点医药机构编号")
    fixmedins_name: str | None = Field(default=None, max_length=200)
    sign_no: str | None = Field(
        default=None, max_length=64, description="签到编号: what 9001 sign-in answered"
    )
    input: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _infno_variant(cls, raw: Any) -> Any:
        """Before the fields (``infno`` is the discriminator of the typed requests)."""
        if isinstance(raw, dict) and "infno" in raw:
            return {**raw, "infno": canonical_infno(raw["infno"])}
        return raw

    _blank = field_validator(
        "insuplc_admdvs",
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
