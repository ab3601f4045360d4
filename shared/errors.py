"""The one error catalogue of the relay (design §9).

Every failure a hospital can see is one of these, returned with ``infcode=-1``; no stack traces,
no HTTP 500s. Categories::

    E1xxx  identity and insurance status       (参保身份)
    E2xxx  filing                               (备案)
    E3xxx  visit, fee lines and catalogue       (就诊、费用明细、目录)
    E4xxx  settlement and policy                (结算、政策)
    E5xxx  relay and system                     (转发、系统)
    E6xxx  reconciliation and clearing          (对账、清算)
    E9xxx  malformed input                      (报文格式)

Services raise ``RelayError(E1001, detail=...)``; only the edges (HTTP handlers, consumers)
translate it to a wire envelope.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ErrorSpec:
    code: str
    category: str
    message_zh: str
    message_en: str
    action: str
    """What to do, in plain Chinese a hospital clerk can act on (天津 §七(二))."""
    action_en: str


CATALOGUE: dict[str, ErrorSpec] = {}


def _spec(
    code: str, category: str, message_zh: str, message_en: str, action_en: str, action: str
) -> ErrorSpec:
    if code in CATALOGUE:
        raise ValueError(f"duplicate error code {code}")
    spec = ErrorSpec(code, category, message_zh, message_en, action, action_en)
    CATALOGUE[code] = spec
    return spec


# E1xxx identity and insurance status
E1001 = _spec(
    "E1001",
    "identity",
    "参保地未查询到该人员的参保信息",
    "The insured region has no person with this certificate number.",
    "Check the certificate type and number, and the insured region code (insuplc_admdvs).",
    "请核对就诊凭证类型和号码，以及参保地医保区划（insuplc_admdvs）；不知道参保地时可不填，由平台查询。",
)
E1002 = _spec(
    "E1002",
    "identity",
    "人员姓名与证件号码不一致",
    "The name does not match the certificate number.",
    "Check the patient's name as written on the certificate.",
    "请按证件上的姓名填写患者姓名。",
)

E1003 = _spec(
    "E1003",
    "identity",
    "该人员编号或证件已参保登记",
    "A person with this psn_no or certificate is already enrolled.",
    "Read the existing person instead of enrolling again.",
    "该人员已参保登记，请直接查询，无需重复登记。",
)

# E2xxx filing
E2001 = _spec(
    "E2001",
    "filing",
    "未查询到有效的异地就医备案信息，不能直接结算",
    "No valid cross-region filing covers this treatment, so it cannot be settled directly.",
    "The patient can file through the national insurance app or the insured region's counter "
    "(filing before discharge settlement still counts), then retry.",
    "请参保人通过国家医保服务平台APP或参保地经办窗口办理异地就医备案（出院结算前补办也有效），办理后重新结算。",
)

E2002 = _spec(
    "E2002",
    "filing",
    "备案类别、就医地或日期不符合规定",
    "The filing's category, destination or dates break the insured region's rules.",
    "Correct the named item; the region's rules are at GET /policies/{admdvs}.",
    "请按提示修改备案类别、就医地或日期；参保地规定见 GET /policies/{admdvs}。",
)
E2003 = _spec(
    "E2003",
    "filing",
    "备案有效期不符合参保地规定",
    "The filing's validity is shorter or longer than the insured region allows.",
    "Choose dates within the limits the message names.",
    "请在提示的期限范围内选择备案起止日期。",
)
E2004 = _spec(
    "E2004",
    "filing",
    "已有有效的同类备案，请变更原备案",
    "The person already holds an active filing of this kind.",
    "Change or cancel the existing filing instead of filing again.",
    "请变更或取消原有备案，不要重复备案。",
)
E2005 = _spec(
    "E2005",
    "filing",
    "备案在锁定期内，暂不能变更或取消",
    "The filing cannot be changed or cancelled yet (lock period).",
    "Wait until the date the message names, or bring the supporting materials to the counter.",
    "请在提示的日期之后再变更或取消，或携带相关材料到参保地经办窗口办理。",
)
E2006 = _spec(
    "E2006",
    "filing",
    "备案不存在或已取消",
    "No active filing with this id.",
    "List the person's filings and use an active one.",
    "请查询该人员的备案，使用有效的备案记录。",
)
E2007 = _spec(
    "E2007",
    "filing",
    "涉及第三方责任的外伤不能直接结算",
    "Trauma involving a liable third party is not settled directly.",
    "Settle at full cost and claim from the third party or through manual reimbursement.",
    "请按全自费结算，向第三方追偿或回参保地手工报销。",
)
E2008 = _spec(
    "E2008",
    "filing",
    "未办理该病种的门诊慢特病备案",
    "No chronic-disease (门诊慢特病) filing covers this disease.",
    "File the disease with the insured region (2503) before settling as med_type 14.",
    "请先在参保地办理该病种的门诊慢特病备案（2503），再按门诊慢特病（14）结算。",
)

# E3xxx visit, fee lines and catalogue
E3001 = _spec(
    "E3001",
    "visit",
    "就诊信息不存在",
    "No visit with this mdtrt_id at this institution.",
    "Check mdtrt_id; register the admission (2401) or the outpatient visit (2201) first.",
    "请核对就诊ID（mdtrt_id）；请先办理入院登记（2401）或门诊挂号（2201）。",
)
E3002 = _spec(
    "E3002",
    "visit",
    "就诊当前状态不允许该操作",
    "The visit's state does not allow this transaction.",
    "Follow admission → fee lines → discharge → settlement; cancel the later step first.",
    "请按入院→上传费用明细→出院→结算的顺序办理；要撤销前一步，请先撤销后一步。",
)
E3003 = _spec(
    "E3003",
    "visit",
    "费用明细流水号重复",
    "A fee line with this feedetl_sn already exists in this visit.",
    "Use a new feedetl_sn for a new line; cancel (2302) the old one to replace it.",
    "新明细请使用新的明细流水号（feedetl_sn）；要替换原明细，请先撤销（2302）。",
)
E3004 = _spec(
    "E3004",
    "visit",
    "退费明细与原明细不符",
    "The refund line does not match an earlier line (init_feedetl_sn, item or amount).",
    "A refund carries a negative cnt, the original line's feedetl_sn and its item.",
    "退费明细的数量应为负数，并填写原明细流水号（init_feedetl_sn）和相同的项目。",
)
E3005 = _spec(
    "E3005",
    "visit",
    "明细金额不等于单价乘以数量",
    "A fee line's amount is not its price times its count.",
    "Send det_item_fee_sumamt = pric × cnt rounded to the cent.",
    "请使明细金额（det_item_fee_sumamt）等于单价乘以数量，四舍五入到分。",
)
E3006 = _spec(
    "E3006",
    "visit",
    "定点医药机构未开通该类异地联网结算",
    "The institution is unknown here or not networked for this kind of care.",
    "Check fixmedins_code and the institution's networked services.",
    "请核对定点医药机构编号（fixmedins_code）、就医地（mdtrtarea_admvs）及机构开通的异地联网结算业务。",
)
E3007 = _spec(
    "E3007",
    "visit",
    "结算金额与费用明细不一致",
    "The amounts in the settlement request do not match the uploaded fee lines.",
    "Re-send the totals computed from the fee lines, or re-upload the lines.",
    "请按已上传的费用明细重新计算金额后再结算，或重新上传明细。",
)
E3008 = _spec(
    "E3008",
    "visit",
    "无可结算的费用明细",
    "There are no fee lines to settle.",
    "Upload fee lines (2301/2204) before settling.",
    "请先上传费用明细（2301/2204）再结算。",
)

E3009 = _spec(
    "E3009",
    "visit",
    "费用明细不存在或已撤销",
    "No active fee line with this feedetl_sn in this visit.",
    "List the visit's lines; a settled line can only go with the settlement's cancel.",
    "请查询该就诊的费用明细；已结算的明细只能随结算一起撤销。",
)

# E4xxx settlement and policy
E4001 = _spec(
    "E4001",
    "settlement",
    "结算金额不平衡",
    "The settlement's amounts do not balance.",
    "Check that the four split amounts add up to the total for every category and line.",
    "请核对每个类别和每条明细的四项拆分金额之和是否等于总额。",
)
E4002 = _spec(
    "E4002",
    "settlement",
    "该报文ID已结算且内容不一致",
    "This msgid was already settled with different content.",
    "Query the existing settlement; use a new msgid for a new settlement.",
    "请查询已有的结算；新的结算请使用新的报文ID（msgid）。",
)
E4003 = _spec(
    "E4003",
    "settlement",
    "结算记录不存在",
    "No settlement with this id for this person.",
    "Check setl_id and psn_no.",
    "请核对结算ID（setl_id）和人员编号（psn_no）。",
)
E4004 = _spec(
    "E4004",
    "settlement",
    "该结算已撤销，不能重复撤销",
    "This settlement has already been cancelled.",
    "Query the settlement; nothing more to do.",
    "该结算已撤销，无需再次撤销，可查询结算结果。",
)
E4005 = _spec(
    "E4005",
    "settlement",
    "参保地政策不支持该结算",
    "The insured region's policy does not cover this settlement.",
    "Check med_type, hospital level and the chronic-disease code.",
    "请核对医疗类别（med_type）、医院等级和门诊慢特病病种编码。",
)
E4006 = _spec(
    "E4006",
    "settlement",
    "参保状态异常，不能结算",
    "The person's insurance is not active.",
    "The person should contact the insured region about their insurance status.",
    "请参保人联系参保地医保经办机构核实参保状态。",
)

E4007 = _spec(
    "E4007",
    "settlement",
    "该报文已被冲正，不再受理",
    "This message was reversed (2601); it is no longer accepted.",
    "Start again with a new msgid if the care is still to be settled.",
    "该报文已冲正；如仍需办理，请使用新的报文ID（msgid）重新发起。",
)
E4008 = _spec(
    "E4008",
    "settlement",
    "该交易已有后续业务，不能冲正",
    "Later transactions depend on this one, so it cannot be reversed (2601).",
    "Undo the later transactions first (cancel the settlement or the fee lines), then reverse.",
    "请先撤销后续业务（撤销结算或费用明细），再冲正。",
)
E4009 = _spec(
    "E4009",
    "settlement",
    "该就诊已有有效结算，不能重复结算",
    "This visit already has a settlement that stands; it cannot be settled twice.",
    "Cancel the settlement (2305/2208) first if the bill changed.",
    "如费用有变化，请先撤销原结算（2305/2208），再重新结算。",
)

# E5xxx relay and system
E5001 = _spec(
    "E5001",
    "relay",
    "参保地区划代码未知，无法路由",
    "The insured region code is unknown to the national hub.",
    "Check insuplc_admdvs against the patient's insurance card.",
    "请按患者的医保凭证核对参保地医保区划（insuplc_admdvs）。",
)
E5002 = _spec(
    "E5002",
    "relay",
    "参保地未在规定时间内应答，交易结果未知",
    "The insured region did not answer in time; the outcome is unknown.",
    "Do not repeat the transaction blindly: query it by msgid or send a 2601 reversal.",
    "请勿直接重复交易：请按报文ID（msgid）查询结果，或发送 2601 冲正。",
)
E5003 = _spec(
    "E5003",
    "relay",
    "参保地系统暂不可用",
    "The insured region's system is unavailable.",
    "Retry later; no settlement was made.",
    "请稍后重试；本次未产生结算。",
)
E5004 = _spec(
    "E5004",
    "relay",
    "报文发送方身份校验失败",
    "The sender of the relay message is not who it claims to be.",
    "Check that each region sends with its own broker user and names itself as the sender.",
    "请核对本地区接入消息服务的用户：每个统筹区须以本区用户发送，并如实填写发送方区划。",
)
E5005 = _spec(
    "E5005",
    "relay",
    "报文已超过应答时限，未办理",
    "The request passed its deadline before it could be processed; nothing was done.",
    "Query the transaction by msgid; it was not processed.",
    "请按报文ID（msgid）查询；该笔交易未办理。",
)
E5999 = _spec(
    "E5999",
    "system",
    "系统内部错误",
    "Internal error.",
    "Retry later; if it persists, report the msgid to the operator.",
    "请稍后重试；如仍失败，请把报文ID（msgid）告知平台运维人员。",
)

# E6xxx reconciliation and clearing
E6001 = _spec(
    "E6001",
    "reconciliation",
    "对账日期有误",
    "The reconciliation date is malformed or not over yet.",
    "Give a business date as yyyy-MM-dd that is not later than today's business date.",
    "请以 yyyy-MM-dd 填写对账日期，且不得晚于当前业务日期。",
)
E6002 = _spec(
    "E6002",
    "reconciliation",
    "对账数据暂不可得",
    "A side's ledger could not be read for the reconciliation.",
    "Retry once the named region's service answers; nothing was recorded.",
    "请待所列地区的医保系统恢复后重新对账；本次未记录任何结果。",
)
E6003 = _spec(
    "E6003",
    "clearing",
    "清分月份有误或尚未结束",
    "The clearing month is malformed or not over yet.",
    "Give the month as yyyyMM; a month is cleared once it is over.",
    "请以 yyyyMM 填写清分月份；月度清分须在该月结束后进行。",
)
E6004 = _spec(
    "E6004",
    "clearing",
    "该月清分数据尚未生成",
    "The month's clearing data has not been generated yet.",
    "Generate the month's clearing first (it is generated by the 26th of the next month).",
    "请先生成该月清分数据（次月 26 日前生成）后再确认或查询。",
)
E6005 = _spec(
    "E6005",
    "clearing",
    "确认方不在该月清分中",
    "The confirming party has no line in the month's clearing, or the side is unknown.",
    "Check the party code (province, or pool for intra-region care) and the side "
    "(treating or insured).",
    "请核对确认方区划（跨省为省级区划，区内为统筹区）"
    "及确认方类型（treating 就医地 / insured 参保地）。",
)
E6006 = _spec(
    "E6006",
    "clearing",
    "预付金省份有误",
    "The province has no prepayment fund on this platform.",
    "Give the insured province's code (two digits and 0000, e.g. 650000).",
    "请填写参保省的省级区划（如 650000）。",
)
E6007 = _spec(
    "E6007",
    "reconciliation",
    "对账明细文件无法读取",
    "The reconciliation detail file cannot be read.",
    "Correct the named line and column (a ZIP of one TAB-separated UTF-8 TXT, seven columns), "
    "upload it again with 9101 and send 3202 with the new file number.",
    "请按提示更正所列行、列（ZIP 压缩的 UTF-8 文本，TAB 分隔，七列），"
    "用 9101 重新上传后以新的文件查询号发送 3202。",
)
E6008 = _spec(
    "E6008",
    "clearing",
    "确认的清算明细与平台不一致",
    "The count or amount confirmed is not what the month's clearing holds.",
    "Query the month's clearing rows (3260), check them, and confirm their count and amount.",
    "请先以 3260 查询该月清算明细，核对后按其笔数和金额确认。",
)

E6009 = _spec(
    "E6009",
    "supervision",
    "未找到可协查或扣款的异地结算",
    "No cross-region settlement with this setl_id between these regions is on the platform.",
    "Check setl_id and the region code: a region acts only on settlements of its own insured "
    "(insured side) or of its own institutions (treating side).",
    "请核对结算ID（setl_id）和区划：参保地只能对本地参保人员的结算、就医地只能对本地定点机构的结算办理。",
)
E6010 = _spec(
    "E6010",
    "supervision",
    "该结算不符合协查条件",
    "The settlement may not be co-investigated (not an inpatient stay, or below the threshold).",
    "Only an inpatient settlement of at least 30,000 yuan (cross-province) or 20,000 yuan "
    "(intra-region) may be co-investigated.",
    "协查仅限一次住院医疗总费用跨省不低于 3 万元、区内不低于 2 万元的住院结算。",
)
E6011 = _spec(
    "E6011",
    "supervision",
    "该结算已提请协查，不能再次提出",
    "A co-investigation of this settlement was already raised (or closed for missing "
    "information, after which it may not be raised again).",
    "Query the existing request by its number; complete it if it was returned for "
    "missing information.",
    "请按协查编号查询原申请；申请信息不全被退回的，请在期限内补充原申请。",
)
E6012 = _spec(
    "E6012",
    "supervision",
    "协查答复、补充或确认不被受理",
    "The answer, completion or confirmation does not fit the request's state or rules.",
    "Correct what the detail names; an answer already given is not changed.",
    "请按提示更正所列内容；已上传的协查结果不能更改。",
)
E6013 = _spec(
    "E6013",
    "supervision",
    "协查申请汇总表尚未发布",
    "The period's batch of requests is not published yet (0:00 on the 26th).",
    "Answer the requests once the batch of their period is published on the 26th.",
    "协查申请汇总表于每月 26 日 0 时发布，请在发布后办理该期协查。",
)
E6014 = _spec(
    "E6014",
    "supervision",
    "审核扣款不被受理",
    "The audit deduction is malformed, exceeds what the funds paid, or differs from the one "
    "already recorded for this settlement.",
    "Give an amount above zero and not more than the funds paid less earlier deductions, with "
    "a reason; a settlement's deduction is recorded once.",
    "扣款金额应大于 0 且不超过该结算基金支付额减去已扣款额，并填写扣款原因；"
    "同一结算只登记一次审核扣款。",
)

E6015 = _spec(
    "E6015",
    "supervision",
    "就医地自费就诊数据暂不可得",
    "The treating region's record of the self-paid visit could not be read.",
    "Retry once the treating region answers; nothing was settled.",
    "请待就医地系统恢复后重新提交零星报销；本次未作任何结算。",
)

# E9xxx malformed input
E9001 = _spec(
    "E9001",
    "input",
    "报文不是有效的 JSON",
    "The request body is not valid UTF-8 JSON.",
    "Send the national envelope as a UTF-8 JSON object.",
    "请以 UTF-8 编码的 JSON 对象发送国家接口报文。",
)
E9002 = _spec(
    "E9002",
    "input",
    "报文字段缺失或格式错误",
    "A field of the request is missing or malformed.",
    "Correct the named field and resend with a new msgid.",
    "请按提示更正该字段，并使用新的报文ID（msgid）重新发送。",
)
E9003 = _spec(
    "E9003",
    "input",
    "不支持的交易编号",
    "This transaction number (infno) is not supported.",
    "Check infno against the interface specification.",
    "请按接口规范核对交易编号（infno）。",
)
E9004 = _spec(
    "E9004",
    "input",
    "报文ID重复且内容不一致",
    "This msgid was already used for a different request.",
    "Use a new msgid for a new request; resend the same body to get the stored answer.",
    "新的交易请使用新的报文ID（msgid）；要取回原应答，请原样重发原报文。",
)
E9005 = _spec(
    "E9005",
    "input",
    "报文过大",
    "The request body is too large.",
    "Split the fee details across several uploads.",
    "请把费用明细分成几次上传。",
)
E9007 = _spec(
    "E9007",
    "input",
    "请求签名缺失或校验失败",
    "The x-tif signature headers are missing or do not verify.",
    "Sign every request: x-tif-signature = SHA-256 of timestamp + token + nonce + timestamp.",
    "每笔请求都要签名：x-tif-signature = SHA-256(时间戳 + 令牌 + 随机数 + 时间戳)。",
)
E9008 = _spec(
    "E9008",
    "input",
    "请求时间戳已过期或随机数重复",
    "The x-tif timestamp is stale, or the nonce was already used.",
    "Send the current time in milliseconds and a fresh nonce with every request.",
    "请发送当前时间的 Unix 时间戳（秒或毫秒）和新的随机数（x-tif-nonce）。",
)
E9009 = _spec(
    "E9009",
    "input",
    "接入机构与报文中的定点医药机构不一致",
    "The signing institution (x-tif-paasid) is not the fixmedins_code of the message.",
    "An institution may only send for itself.",
    "机构只能以本机构身份发送交易。",
)
E9010 = _spec(
    "E9010",
    "input",
    "未签到或签到已失效",
    "No open 9001 sign-in of this institution carries this sign_no.",
    "Sign in with 9001 first and send the sign_no it answered on every later call.",
    "请先调用 9001 签到，并在之后的每笔交易中填写返回的 sign_no。",
)
E9011 = _spec(
    "E9011",
    "input",
    "运维令牌缺失或无效",
    "The operator token is missing or wrong.",
    "Send Authorization: Bearer <operator token>; personal data in clear also needs the PII "
    "token and unmasked=true.",
    "运维接口请在请求头携带 Authorization: Bearer <运维令牌>；"
    "查看未脱敏的个人信息另需个人信息查看令牌，并加 unmasked=true。",
)
E9012 = _spec(
    "E9012",
    "input",
    "未找到该报文",
    "No message with this msgid from this institution.",
    "Check the msgid; a hospital reads only its own messages, signed as on the gateway.",
    "请核对报文ID（msgid）；医院只能查询本机构发送的报文，查询请求需按接口规范签名。",
)
E9006 = _spec(
    "E9006",
    "input",
    "同一报文ID的交易仍在处理中",
    "A request with this msgid is still being processed.",
    "Wait, then query by msgid; do not resend with the same msgid meanwhile.",
    "请稍候按报文ID（msgid）查询结果；处理期间不要用同一报文ID重发。",
)


class RelayError(Exception):
    """A failure with a catalogue code; the edges turn it into ``infcode=-1``."""

    def __init__(self, spec: ErrorSpec, *, detail: str = "") -> None:
        self.spec = spec
        self.detail = detail
        super().__init__(f"{spec.code}: {spec.message_en}" + (f" ({detail})" if detail else ""))

    @property
    def code(self) -> str:
        return self.spec.code

    def plain_message(self) -> str:
        """The one-line message a hospital clerk sees: code, the reason and what to do, in
        Chinese (天津 §七(二): 简明扼要、通俗易懂)."""
        detail = f"（{self.detail}）" if self.detail else ""
        return f"[{self.spec.code}] {self.spec.message_zh}{detail}。{self.spec.action}"

    def english_message(self) -> str:
        """The same for developers: reason, detail, what to do."""
        detail = f" ({self.detail})" if self.detail else ""
        return f"{self.spec.message_en}{detail} {self.spec.action_en}"


def lookup(code: str) -> ErrorSpec:
    """The spec for a code that came over the wire; unknown codes become E5999."""
    return CATALOGUE.get(code, E5999)
