"""Typed hospital requests per ``infno`` (design §3); the OpenAPI page documents each one.

Strict about meaning, tolerant about form: unknown keys are ignored, blanks are unset, amounts
may be strings or numbers with any decimals (the gateway parses JSON numbers as Decimal, so no
float ever touches money), flags may be ``"1"``, ``1`` or ``true``.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, Union

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    TypeAdapter,
    ValidationInfo,
    create_model,
    field_validator,
)

from services.treating_region.service_layer import commands
from shared.certificates import canonical_certno, cert_no_problem, two_digit_code
from shared.envelope import OPAQUE_KEY, NationalRequest, NationalResponse, WireModel, china_time
from shared.money import parse_amount


def _amount(value: Any) -> Decimal:
    return parse_amount(value)


def _flag(value: Any) -> bool:
    if value is None:
        return False
    return str(value).strip().lower() in ("1", "true", "y")


def _fits(integer_digits: int, places: int, what: str) -> Any:
    """A number its column can hold exactly: refused here, naming the field, not by the
    database after the message was claimed."""
    limit = Decimal(10) ** integer_digits
    step = Decimal(1).scaleb(-places)

    def parse(value: Any) -> Decimal:
        number = parse_amount(value)
        if abs(number) >= limit:
            raise ValueError(f"{what}超出范围，绝对值应小于 {limit:,.0f}")
        if number != number.quantize(step):
            raise ValueError(f"{what}最多 {places} 位小数")
        return number

    return parse


Amount = Annotated[Decimal, BeforeValidator(_amount)]
Price = Annotated[Decimal, BeforeValidator(_fits(10, 6, "单价"))]
"""Numeric(16, 6) in the fee-line table."""
Quantity = Annotated[Decimal, BeforeValidator(_fits(12, 4, "数量")), Field(allow_inf_nan=False)]
"""Numeric(16, 4) in the fee-line table."""
Flag = Annotated[bool, BeforeValidator(_flag)]
Time = Annotated[datetime, BeforeValidator(china_time)]
Code = Annotated[str, Field(min_length=1, max_length=50)]
PsnNo = Annotated[str, Field(min_length=1, max_length=30)]
MdtrtId = Annotated[str, Field(min_length=1, max_length=30)]
CertType = Annotated[
    str,
    BeforeValidator(two_digit_code),
    Field(
        pattern=r"^0[1-3]$", description='就诊凭证类型 01 电子凭证 02 身份证 03 社保卡 ("2" = "02")'
    ),
]
TwoDigitCode = Annotated[str, BeforeValidator(two_digit_code), Field(pattern=r"^\d{2}$")]
ChargeCategory = Annotated[
    str, BeforeValidator(two_digit_code), Field(pattern=r"^(0[1-9]|1[0-4])$")
]
OpaqueKey = Annotated[str, Field(pattern=OPAQUE_KEY)]

STRING_MAX_LENGTH = 500
"""No field is unbounded: every string a hospital sends may end up stored."""


class HospitalInput(WireModel):
    model_config = ConfigDict(
        extra="ignore", str_strip_whitespace=True, frozen=True, str_max_length=STRING_MAX_LENGTH
    )

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and value.strip() == "" else value

    def as_sent(self) -> dict[str, Any]:
        """The input as the hospital meant it (blanks unset), in its wire form."""
        return self.model_dump(mode="json", exclude_none=True)


class Transaction(HospitalInput):
    """The ``input`` of one ``infno``: what the gateway reads, and the command it means."""

    def to_command(self) -> commands.Command:
        """The wire renamed into the service layer's command (national names stay outside)."""
        return commands.Relay(self.as_sent())


# ---- 1101 人员信息获取
class CertifiedInput(HospitalInput):
    """A request naming a certificate: the number must be able to be one of its type
    (``mdtrt_cert_type`` is declared first, so it is read by the time the number is)."""

    @field_validator("mdtrt_cert_no", check_fields=False)
    @classmethod
    def _cert_no_fits_its_type(cls, value: Any, info: ValidationInfo) -> Any:
        cert_type = info.data.get("mdtrt_cert_type")
        if cert_type and value:
            problem = cert_no_problem(cert_type, value)
            if problem:
                raise ValueError(problem)
        return canonical_certno(value) if isinstance(value, str) else value


class PersonQuery(CertifiedInput):
    mdtrt_cert_type: CertType
    mdtrt_cert_no: str = Field(min_length=1, max_length=128, description="就诊凭证编号")
    card_sn: str | None = Field(default=None, max_length=50)
    begntime: str | None = Field(default=None, max_length=30)
    psn_cert_type: TwoDigitCode | None = Field(
        default=None, description='人员证件类型 ("1" = "01")'
    )
    certno: Annotated[str, AfterValidator(canonical_certno)] | None = Field(
        default=None, max_length=30
    )
    psn_name: str | None = Field(default=None, max_length=50)


class Input1101(Transaction):
    data: PersonQuery


# ---- visits
class Diagnosis(HospitalInput):
    diag_type: str | None = None
    diag_srt_no: str | None = None
    diag_code: str | None = Field(default=None, max_length=30)
    diag_name: str | None = Field(default=None, max_length=200)
    vali_flag: str | None = None


class CareFlags(HospitalInput):
    emergency_flag: Flag = Field(default=False, description="急诊 (视同已备案, design §6)")
    trum_flag: Flag = Field(default=False, description="外伤标志")
    rel_ttp_flag: Flag = Field(default=False, description="涉及第三方标志")


class Admission(CareFlags, CertifiedInput):
    psn_no: PsnNo
    insutype: str = Field(pattern=r"^(310|390)$")
    begntime: Time
    mdtrt_cert_type: CertType
    mdtrt_cert_no: str = Field(min_length=1, max_length=128)
    med_type: str = Field(pattern=r"^(21|22|23|24|25|26|28|52)$", description="住院类 医疗类别")
    ipt_no: str = Field(min_length=1, max_length=30, description="住院号")
    atddr_no: str | None = None
    chfpdr_name: str | None = None
    adm_diag_dscr: str | None = None
    adm_dept_codg: str | None = None
    adm_dept_name: str | None = None
    adm_bed: str | None = None
    dscg_maindiag_code: str | None = None
    dscg_maindiag_name: str | None = None


class Input2401(Transaction):
    mdtrtinfo: Admission
    diseinfo: list[Diagnosis] = Field(default_factory=list, max_length=50)

    def to_command(self) -> commands.Register:
        admission = self.mdtrtinfo
        return commands.Register(
            psn_no=admission.psn_no,
            insutype=admission.insutype,
            med_type=admission.med_type,
            begins_at=admission.begntime,
            emergency=admission.emergency_flag,
            trauma=admission.trum_flag,
            third_party=admission.rel_ttp_flag,
            number=admission.ipt_no,
            inpatient=True,
            as_sent=admission.as_sent(),
        )


class Discharge(HospitalInput):
    mdtrt_id: MdtrtId
    psn_no: PsnNo
    endtime: Time
    dscg_way: str | None = None
    dscg_dept_codg: str | None = None
    dscg_dept_name: str | None = None
    dise_codg: str | None = None
    dise_name: str | None = None


class Input2402(Transaction):
    dscginfo: Discharge
    diseinfo: list[Diagnosis] = Field(default_factory=list, max_length=50)

    def to_command(self) -> commands.Discharge:
        return commands.Discharge(
            mdtrt_id=self.dscginfo.mdtrt_id,
            psn_no=self.dscginfo.psn_no,
            ends_at=self.dscginfo.endtime,
        )


class AdmissionChange(HospitalInput):
    mdtrt_id: MdtrtId
    psn_no: PsnNo
    begntime: Time | None = None
    med_type: str | None = Field(default=None, pattern=r"^(21|22|23|24|25|26|28|52)$")
    ipt_no: str | None = None
    adm_diag_dscr: str | None = None
    emergency_flag: Flag | None = None
    trum_flag: Flag | None = None
    rel_ttp_flag: Flag | None = None


class Input2403(Transaction):
    adminfo: AdmissionChange
    diseinfo: list[Diagnosis] = Field(default_factory=list, max_length=50)

    def to_command(self) -> commands.ChangeAdmission:
        change = self.adminfo
        return commands.ChangeAdmission(
            mdtrt_id=change.mdtrt_id,
            psn_no=change.psn_no,
            begins_at=change.begntime,
            med_type=change.med_type,
            number=change.ipt_no,
            emergency=change.emergency_flag,
            trauma=change.trum_flag,
            third_party=change.rel_ttp_flag,
        )


class VisitRef(HospitalInput):
    mdtrt_id: MdtrtId
    psn_no: PsnNo


class Input2404(Transaction):
    data: VisitRef

    def to_command(self) -> commands.VisitRef:
        return commands.VisitRef(mdtrt_id=self.data.mdtrt_id, psn_no=self.data.psn_no)


class Input2405(Input2404):
    pass


class Registration(CareFlags, CertifiedInput):
    psn_no: PsnNo
    insutype: str = Field(pattern=r"^(310|390)$")
    begntime: Time
    mdtrt_cert_type: CertType
    mdtrt_cert_no: str = Field(min_length=1, max_length=128)
    ipt_otp_no: str = Field(min_length=1, max_length=30, description="门诊号")
    med_type: str = Field(default="11", pattern=r"^(11|12|13|14|15|16|41|51)$")
    atddr_no: str | None = None
    dr_name: str | None = None
    dept_code: str | None = None
    dept_name: str | None = None
    caty: str | None = None


class Input2201(Transaction):
    data: Registration

    def to_command(self) -> commands.Register:
        registration = self.data
        return commands.Register(
            psn_no=registration.psn_no,
            insutype=registration.insutype,
            med_type=registration.med_type,
            begins_at=registration.begntime,
            emergency=registration.emergency_flag,
            trauma=registration.trum_flag,
            third_party=registration.rel_ttp_flag,
            number=registration.ipt_otp_no,
            inpatient=False,
            as_sent=registration.as_sent(),
        )


class OutpatientVisit(HospitalInput):
    mdtrt_id: MdtrtId
    psn_no: PsnNo
    med_type: str = Field(pattern=r"^(11|12|13|14|15|16|41|51)$")
    begntime: Time | None = None
    main_cond_dscr: str | None = None
    dise_codg: str | None = None
    dise_name: str | None = None
    opsp_dise_code: str | None = Field(default=None, max_length=10, description="门诊慢特病病种")
    emergency_flag: Flag | None = None
    trum_flag: Flag | None = None
    rel_ttp_flag: Flag | None = None


class Input2203(Transaction):
    mdtrtinfo: OutpatientVisit
    diseinfo: list[Diagnosis] = Field(default_factory=list, max_length=50)

    def to_command(self) -> commands.ChangeOutpatientVisit:
        visit = self.mdtrtinfo
        return commands.ChangeOutpatientVisit(
            mdtrt_id=visit.mdtrt_id,
            psn_no=visit.psn_no,
            med_type=visit.med_type,
            chronic_disease=visit.opsp_dise_code,
            begins_at=visit.begntime,
            emergency=visit.emergency_flag,
            trauma=visit.trum_flag,
            third_party=visit.rel_ttp_flag,
        )


# ---- fee lines
class FeeDetail(HospitalInput):
    feedetl_sn: str = Field(min_length=1, max_length=30)
    init_feedetl_sn: str | None = Field(default=None, max_length=30)
    mdtrt_id: MdtrtId
    drord_no: str | None = None
    psn_no: PsnNo
    med_type: str | None = None
    fee_ocur_time: Time | None = None
    med_list_codg: Code
    medins_list_codg: str | None = Field(default=None, max_length=50)
    det_item_fee_sumamt: Amount
    cnt: Quantity = Field(description="negative for a refund (with init_feedetl_sn)")
    pric: Price
    med_chrgitm_type: ChargeCategory | None = None
    bilg_dept_codg: str | None = None
    bilg_dept_name: str | None = None
    bilg_dr_codg: str | None = None
    bilg_dr_name: str | None = None
    hosp_appr_flag: str | None = None
    chrg_bchno: str | None = None
    memo: str | None = None

    def to_line(self) -> commands.FeeLineIn:
        return commands.FeeLineIn(
            feedetl_sn=self.feedetl_sn,
            refund_of=self.init_feedetl_sn,
            mdtrt_id=self.mdtrt_id,
            psn_no=self.psn_no,
            med_list_codg=self.med_list_codg,
            hospital_code=self.medins_list_codg,
            occurred_at=self.fee_ocur_time,
            amount=self.det_item_fee_sumamt,
            cnt=self.cnt,
            pric=self.pric,
            category=self.med_chrgitm_type,
        )


class Input2301(Transaction):
    feedetail: list[FeeDetail] = Field(min_length=1, max_length=5000)

    def to_command(self) -> commands.UploadLines:
        return commands.UploadLines(
            tuple(line.to_line() for line in self.feedetail), inpatient=True
        )


class Input2204(Input2301):
    def to_command(self) -> commands.UploadLines:
        return commands.UploadLines(
            tuple(line.to_line() for line in self.feedetail), inpatient=False
        )


class LineCancel(HospitalInput):
    feedetl_sn: str = Field(min_length=1, max_length=30, description='"0000" cancels every line')
    mdtrt_id: MdtrtId
    psn_no: PsnNo


class Input2302(Transaction):
    data: list[LineCancel] = Field(min_length=1, max_length=5000)

    @field_validator("data", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, dict) else value

    def to_command(self) -> commands.CancelLines:
        return commands.CancelLines(
            tuple(
                commands.LineRef(line.feedetl_sn, line.mdtrt_id, line.psn_no) for line in self.data
            )
        )


class Input2205(Input2302):
    pass


# ---- settlement
class SettleRequest(CertifiedInput):
    psn_no: PsnNo
    mdtrt_id: MdtrtId
    mdtrt_cert_type: CertType | None = None
    mdtrt_cert_no: str | None = Field(default=None, max_length=128)
    insutype: str | None = Field(default=None, pattern=r"^(310|390)$")
    medfee_sumamt: Amount
    psn_setlway: TwoDigitCode | None = Field(default="01", description="01 按项目 02 按定额")
    acct_used_flag: Flag = False
    mid_setl_flag: Flag = False
    invono: str | None = None
    fulamt_ownpay_amt: Amount | None = None
    overlmt_selfpay: Amount | None = None
    preselfpay_amt: Amount | None = None
    inscp_scp_amt: Amount | None = None
    chrg_bchno: str | None = None


class Input2303(Transaction):
    data: SettleRequest

    def to_command(self) -> commands.Settle:
        settle = self.data
        return commands.Settle(
            psn_no=settle.psn_no,
            mdtrt_id=settle.mdtrt_id,
            insutype=settle.insutype,
            use_account=settle.acct_used_flag,
            medfee_sumamt=settle.medfee_sumamt,
            fulamt_ownpay_amt=settle.fulamt_ownpay_amt,
            overlmt_selfpay=settle.overlmt_selfpay,
            preselfpay_amt=settle.preselfpay_amt,
            inscp_scp_amt=settle.inscp_scp_amt,
        )


class Input2304(Input2303):
    pass


class Input2206(Input2303):
    pass


class Input2207(Input2303):
    pass


class SettlementRef(HospitalInput):
    psn_no: PsnNo
    mdtrt_id: MdtrtId
    setl_id: str = Field(min_length=1, max_length=30)


class Input2305(Transaction):
    data: SettlementRef

    def to_command(self) -> commands.CancelSettlement:
        return commands.CancelSettlement(
            psn_no=self.data.psn_no, mdtrt_id=self.data.mdtrt_id, setl_id=self.data.setl_id
        )


class Input2208(Input2305):
    pass


# ---- filings through the hospital
class ReferralIn(HospitalInput):
    psn_no: PsnNo
    insutype: str | None = None
    diag_code: str | None = None
    diag_name: str | None = None
    reflin_medins_no: str | None = None
    reflin_medins_name: str | None = None
    mdtrtarea_admdvs: str | None = Field(default=None, pattern=r"^\d{6}$")
    refl_rea: str | None = None
    begndate: str = Field(min_length=10, max_length=19)
    enddate: str | None = Field(default=None, min_length=10, max_length=19)


class Input2501(Transaction):
    refmedin: ReferralIn


class FilingRef(HospitalInput):
    psn_no: PsnNo
    trt_dcla_detl_sn: str = Field(min_length=1, max_length=32)
    memo: str | None = None


class Input2502(Transaction):
    data: FilingRef


class ChronicIn(HospitalInput):
    psn_no: PsnNo
    insutype: str | None = None
    opsp_dise_code: str = Field(min_length=1, max_length=10)
    opsp_dise_name: str | None = None
    begndate: str = Field(min_length=10, max_length=19)
    enddate: str | None = Field(default=None, min_length=10, max_length=19)


class Input2503(Transaction):
    data: ChronicIn


class Input2504(Transaction):
    data: FilingRef


class ReversalRequest(HospitalInput):
    psn_no: PsnNo
    omsgid: OpaqueKey = Field(description="原发送方报文ID (1–40 printable ASCII characters)")
    oinfno: str = Field(
        pattern=r"^(2304|2207|2305|2208|2401|2201|2301|2204|2501|2503)$",
        description="原交易编号: settle, cancel, admission/registration, fee upload or filing",
    )
    mdtrt_id: MdtrtId | None = Field(default=None, description="the visit, to reopen it")


class Input2601(Transaction):
    data: ReversalRequest

    def to_command(self) -> commands.Reverse:
        reversal = self.data
        return commands.Reverse(
            psn_no=reversal.psn_no,
            omsgid=reversal.omsgid,
            oinfno=reversal.oinfno,
            mdtrt_id=reversal.mdtrt_id,
        )


class CumulativeQuery(HospitalInput):
    psn_no: PsnNo
    cum_ym: str = Field(pattern=r"^\d{6}$")


class Input5206(Transaction):
    data: CumulativeQuery

    def to_command(self) -> commands.CumulativeQuery:
        return commands.CumulativeQuery(psn_no=self.data.psn_no, year_month=self.data.cum_ym)


# ---- 9001 签到 / 9002 签退
class SignInData(HospitalInput):
    opter_no: str = Field(min_length=1, max_length=50, description="操作员编号")
    mac: str | None = Field(default=None, max_length=50, description="签到MAC地址")
    ip: str | None = Field(default=None, max_length=50, description="签到IP地址")


class Input9001(Transaction):
    signIn: SignInData  # the national spelling

    def to_command(self) -> commands.SignIn:
        return commands.SignIn(
            operator_no=self.signIn.opter_no, mac=self.signIn.mac, ip=self.signIn.ip
        )


class SignOutData(HospitalInput):
    sign_no: str = Field(min_length=1, max_length=64, description="签到编号")
    opter_no: str = Field(min_length=1, max_length=50, description="操作员编号")


class Input9002(Transaction):
    signOut: SignOutData  # the national spelling

    def to_command(self) -> commands.SignOut:
        return commands.SignOut(sign_no=self.signOut.sign_no)


# ---- 3201 对总账 / 9101 文件上传 / 3202 对明细账 / 9102 文件下载
Day = Annotated[datetime, BeforeValidator(china_time)]
Admdvs = Annotated[str, Field(pattern=r"^\d{6}$")]


class StatementPeriod(HospitalInput):
    setl_optins: Admdvs | None = Field(
        default=None, description="结算经办机构 (the insured region); absent: every one"
    )
    insutype: str | None = Field(default=None, pattern=r"^\d{3}$", description="险种类型")
    clr_type: TwoDigitCode | None = Field(default=None, description="清算类别 11/21/41/99")
    stmt_begndate: Day = Field(description="对账开始日期")
    stmt_enddate: Day = Field(description="对账结束日期")

    def period(self) -> commands.Period:
        return commands.Period(
            begins=self.stmt_begndate.date(),
            ends=self.stmt_enddate.date(),
            insuplc_admdvs=self.setl_optins,
            insutype=self.insutype,
            clr_type=self.clr_type,
        )


class TotalsStatement(StatementPeriod):
    medfee_sumamt: Amount = Field(description="医疗费总额")
    fund_pay_sumamt: Amount = Field(description="基金支付总额")
    acct_pay: Amount = Field(description="个人账户支付金额")
    fixmedins_setl_cnt: int = Field(ge=0, le=100_000_000, description="定点医药机构结算笔数")


class Input3201(Transaction):
    data: TotalsStatement

    def to_command(self) -> commands.ReconcileTotals:
        return commands.ReconcileTotals(
            period=self.data.period(),
            medfee_sumamt=self.data.medfee_sumamt,
            fund_pay_sumamt=self.data.fund_pay_sumamt,
            acct_pay=self.data.acct_pay,
            settlements=self.data.fixmedins_setl_cnt,
        )


class DetailStatement(StatementPeriod):
    file_qury_no: str = Field(min_length=1, max_length=40, description="文件查询号 (from 9101)")


class Input3202(Transaction):
    data: DetailStatement

    def to_command(self) -> commands.ReconcileDetails:
        return commands.ReconcileDetails(
            period=self.data.period(), file_qury_no=self.data.file_qury_no
        )


def _file_bytes(value: Any) -> Any:
    """A file as clients send it: a byte array (``[80, 75, …]``, Java's ``byte[]`` in JSON) or
    base64 text."""
    if isinstance(value, list):
        if not all(isinstance(b, int) and 0 <= b <= 255 for b in value):
            raise ValueError("字节数组的每个元素应为 0–255 的整数")
        return bytes(value)
    if isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("应为 base64 编码的文件内容或字节数组") from None
    return value


class FileUpload(WireModel):
    """Not a ``HospitalInput``: a file's content is longer than any other field may be."""

    content: Annotated[
        bytes,
        BeforeValidator(_file_bytes),
        # in its wire form (the message as sent, its hash) the content is base64 text
        PlainSerializer(lambda data: base64.b64encode(data).decode(), when_used="json"),
    ] = Field(alias="in", min_length=1, description="文件内容: a byte array, or base64 text")
    filename: str = Field(min_length=1, max_length=200, description="文件名")


class Input9101(Transaction):
    fsUploadIn: FileUpload  # the national spelling

    def to_command(self) -> commands.UploadFile:
        return commands.UploadFile(
            filename=self.fsUploadIn.filename, content=self.fsUploadIn.content
        )


class FileDownload(HospitalInput):
    file_qury_no: str = Field(min_length=1, max_length=40, description="文件查询号")
    filename: str | None = Field(default=None, max_length=200)


class Input9102(Transaction):
    fsDownloadIn: FileDownload  # the national spelling

    def to_command(self) -> commands.DownloadFile:
        return commands.DownloadFile(file_qury_no=self.fsDownloadIn.file_qury_no)


# ---- 3260 清算明细查询 / 3261 清算确认
def _year_month(value: Any) -> Any:
    """``202601``, ``2026-01`` or ``2026/01``: one month."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str):
        return value.strip().replace("-", "").replace("/", "")
    return value


YearMonth = Annotated[str, BeforeValidator(_year_month), Field(pattern=r"^\d{4}(0[1-9]|1[0-2])$")]


class ClearingMonth(HospitalInput):
    clr_ym: YearMonth = Field(description="清算年月 yyyyMM")


class Input3260(Transaction):
    data: ClearingMonth

    def to_command(self) -> commands.ClearingRows:
        return commands.ClearingRows(month=self.data.clr_ym)


class ClearingConfirmation(ClearingMonth):
    fixmedins_setl_cnt: int = Field(ge=0, le=100_000_000, description="确认的结算笔数")
    clr_sumamt: Amount = Field(description="确认的清算金额（基金 + 个人账户）")


class Input3261(Transaction):
    data: ClearingConfirmation

    def to_command(self) -> commands.ConfirmClearing:
        return commands.ConfirmClearing(
            month=self.data.clr_ym,
            entries=self.data.fixmedins_setl_cnt,
            amount=self.data.clr_sumamt,
        )


INPUT_MODELS: dict[str, type[Transaction]] = {
    "1101": Input1101, "2401": Input2401, "2402": Input2402, "2403": Input2403,
    "2404": Input2404, "2405": Input2405, "2201": Input2201, "2203": Input2203,
    "2301": Input2301, "2302": Input2302, "2204": Input2204, "2205": Input2205,
    "2303": Input2303, "2304": Input2304, "2305": Input2305, "2206": Input2206,
    "2207": Input2207, "2208": Input2208, "2501": Input2501, "2502": Input2502,
    "2503": Input2503, "2504": Input2504, "5206": Input5206, "2601": Input2601,
    "9001": Input9001, "9002": Input9002, "3201": Input3201, "3202": Input3202,
    "9101": Input9101, "9102": Input9102, "3260": Input3260, "3261": Input3261,
}  # fmt: skip


def _request_model(infno: str, model: type[Transaction]) -> type[NationalRequest]:
    """``Request<infno>``: the envelope with ``infno`` fixed and ``input`` typed."""
    fixed: Any = Literal[infno]  # a literal built at run time, one per transaction
    created: type[NationalRequest] = create_model(
        f"Request{infno}",
        __base__=NationalRequest,
        infno=(fixed, Field(description=model.__doc__ or infno)),
        input=(model, ...),
    )
    return created


REQUEST_MODELS = {infno: _request_model(infno, model) for infno, model in INPUT_MODELS.items()}


def request_schema() -> dict[str, Any]:
    """JSON schema of every typed request: a union discriminated on ``infno``."""
    models = tuple(REQUEST_MODELS.values())
    union: Any = Union[models]  # noqa: UP007  # a union built from a tuple of classes
    adapter: TypeAdapter[Any] = TypeAdapter(Annotated[union, Field(discriminator="infno")])
    schema = adapter.json_schema(ref_template="#/components/schemas/{model}")
    schema["title"] = "HospitalRequest"
    return schema


def response_schema() -> dict[str, Any]:
    return NationalResponse.model_json_schema(ref_template="#/components/schemas/{model}")
