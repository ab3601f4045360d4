"""Typed hospital requests per ``infno`` (design §3); the OpenAPI page documents each one."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator

from shared.envelope import NationalRequest, NationalResponse


class HospitalInput(BaseModel):
    """Tolerant about form: unknown keys ignored, blanks read as unset."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, frozen=True)

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and value.strip() == "" else value


class PersonQuery(HospitalInput):
    mdtrt_cert_type: str = Field(pattern=r"^0[1-3]$", description="01 电子凭证 02 身份证 03 社保卡")
    mdtrt_cert_no: str = Field(min_length=1, max_length=50, description="就诊凭证编号")
    card_sn: str | None = Field(default=None, max_length=50)
    begntime: str | None = None
    psn_cert_type: str | None = Field(default=None, pattern=r"^\d{2}$")
    certno: str | None = Field(default=None, max_length=30)
    psn_name: str | None = Field(default=None, max_length=50)


class Input1101(HospitalInput):
    data: PersonQuery


class Request1101(NationalRequest):
    """1101 人员信息获取."""

    infno: Literal["1101"]  # narrows the envelope's infno
    input: Input1101  # type: ignore[assignment]  # typed per infno


INPUT_MODELS: dict[str, type[HospitalInput]] = {"1101": Input1101}

HospitalRequest = Annotated[Request1101, Field(discriminator="infno")]
"""Grows into a union as transactions are added; the discriminator keeps errors precise."""


def request_schema() -> dict[str, Any]:
    """JSON schema of every typed request, for the gateway's OpenAPI request body."""
    return TypeAdapter(Request1101).json_schema(ref_template="#/components/schemas/{model}")


def response_schema() -> dict[str, Any]:
    return NationalResponse.model_json_schema(ref_template="#/components/schemas/{model}")
