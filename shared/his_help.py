"""What a HIS vendor's developer reads when a transaction fails (design §9).

The catalogue (``shared.errors``) says, in a line a clerk can act on, what went wrong and what to
do. A developer integrating a hospital information system needs more: which of their fields or
steps makes the relay answer each code, and what their client should check or send next. One
entry per catalogue code, written from where the services raise it; where the cause is not the
hospital's, the entry says so and says what the HIS must still do.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.errors import CATALOGUE


@dataclass(frozen=True, slots=True)
class HisHelp:
    causes: tuple[str, ...]
    """Why a hospital's client gets this code, in plain Chinese (or 非 HIS 问题：…)."""
    checks: tuple[str, ...]
    """What the vendor checks or sends next: the field, the transaction, the query."""


HIS_HELP: dict[str, HisHelp] = {
    "E1001": HisHelp(
        causes=(
            "1101 的证件类型（psn_cert_type/mdtrt_cert_type）或号码（certno/mdtrt_cert_no）录错；"
            "insuplc_admdvs 留空时，全国参保索引中也查不到该证件号码。",
            "insuplc_admdvs 填错：参保地查不到该人，或 psn_no 不是该参保地的参保人员。",
            "后续交易的 psn_no 录错，或取自另一位患者的 1101 应答。",
        ),
        checks=(
            "核对证件类型和号码后重发 1101；不确定参保地时 insuplc_admdvs 留空，"
            "由国家平台按参保索引查找。",
            "后续交易的 psn_no 和 insuplc_admdvs 一律取自本患者 1101 应答的 baseinfo、insuinfo，"
            "不要手工录入。",
        ),
    ),
    "E1002": HisHelp(
        causes=(
            "1101 填写的 psn_name 与参保地登记的姓名不一致：错别字、多余空格、"
            "全半角字符或用了曾用名。",
        ),
        checks=("按证件上的姓名原样填写 psn_name；不能确认姓名时可不填，只按证件号码查询。",),
    ),
    "E1003": HisHelp(
        causes=(
            "非 HIS 问题：该码来自参保地运维的人员参保登记接口（/admin/persons），"
            "该人员编号或证件已登记，医院交易不会收到。",
        ),
        checks=(
            "HIS 无需处理；如在联调中看到，请确认调用的是网关交易（POST "
            "/fsi/api/rsfComIfsService/callService），而不是运维接口。",
        ),
    ),
    "E2001": HisHelp(
        causes=(
            "患者未办理异地就医备案，或备案的就医地不是本就医地（mdtrtarea_admvs）、"
            "备案起止日期不覆盖本次入院或就诊日期（begntime）。",
            "HIS 把参保地区划（insuplc_admdvs）或入院时间 begntime 填错；"
            "急诊未标记 emergency_flag，或 med_type 未按急诊（13/24）上传，"
            "未能按“视同已备案”处理。",
        ),
        checks=(
            "在入院登记（2401/2201）前提示患者办理备案，或由医院发送 2501 代办；"
            "出院结算前补办同样有效，补办后重新结算。",
            "核对 insuplc_admdvs、begntime、emergency_flag 和 med_type 是否按实际就诊填写。",
        ),
    ),
    "E2002": HisHelp(
        causes=(
            "2501/2503 备案内容不符合参保地规定：备案就医地 mdtrtarea_admdvs 不是已知区划或就是参"
            "保地本身、结束日期 enddate 早于开始日期 begndate、备案类别不在 11–13、21–23 之内。",
            "2503 的病种 opsp_dise_code 不在参保地门诊慢特病病种范围内；"
            "变更时在长期备案和临时备案之间转换。",
        ),
        checks=(
            "按 err_msg 括号内的提示改正对应字段；参保地的备案规定可查 GET /policies/{admdvs}。",
            "改正后用新的 msgid 重新发送 2501/2503。",
        ),
    ),
    "E2003": HisHelp(
        causes=(
            "备案起止日期 begndate、enddate 之间的有效期短于或长于参保地规定（临时备案有最短、"
            "最长月数，长期备案有最短月数）。",
        ),
        checks=(
            "按提示的期限调整 enddate（临时备案可不填 enddate，由参保地按默认有效期补齐），"
            "用新的 msgid 重发。",
        ),
    ),
    "E2004": HisHelp(
        causes=(
            "该人员已有同类有效备案：长期备案只能有一个，"
            "临时备案不能与同一就医地的原备案日期重叠；2503 的同一病种已有有效的门诊慢特病备案。",
        ),
        checks=(
            "先查询原备案（错误信息中给出原备案号），需要调整时发送 2502/2504 取消原备案后再备案"
            "，不要重复发送 2501/2503。",
        ),
    ),
    "E2005": HisHelp(
        causes=("要取消或变更的长期备案仍在参保地规定的锁定期内（错误信息给出可办理日期）。",),
        checks=("在提示日期之后再发送 2502；急需办理的，请患者携带材料到参保地经办窗口办理。",),
    ),
    "E2006": HisHelp(
        causes=("2502/2504 的 trt_dcla_detl_sn 录错，或该备案已取消、已冲正，或不属于该 psn_no。",),
        checks=(
            "核对 trt_dcla_detl_sn 和 psn_no，使用 2501/2503 应答中返回的备案号；"
            "已取消的备案无需再次取消。",
        ),
    ),
    "E2007": HisHelp(
        causes=(
            "入院或结算时 trum_flag（外伤）和 rel_ttp_flag（涉及第三方）同时为 1，"
            "按规定不能直接结算。",
        ),
        checks=(
            "先核实这两个标志是否如实勾选；确属第三方责任外伤的，按全自费结算，"
            "并可通过 /selfpaid-visits 上传自费明细供参保地手工报销。",
        ),
    ),
    "E2008": HisHelp(
        causes=(
            "按门诊慢特病（med_type 14）结算，但患者在参保地没有覆盖该病种和结算日期的门诊慢特病"
            "备案；或 opsp_dise_code 未填写、填写的病种与备案不一致。",
        ),
        checks=(
            "核对 opsp_dise_code；未备案的先发送 2503 办理门诊慢特病备案，再按 med_type 14 结算，"
            "否则改按普通门诊结算。",
        ),
    ),
    "E3001": HisHelp(
        causes=(
            "mdtrt_id 录错，或该就诊不是本机构（fixmedins_code）的、"
            "psn_no 与就诊登记的人员不一致。",
            "2305/2208 撤销结算时 setl_id 不属于该 mdtrt_id。",
        ),
        checks=(
            "使用 2401/2201 应答返回的 mdtrt_id 和同一患者的 psn_no；"
            "撤销结算的 setl_id 取自该就诊 2304/2207 的应答。",
            "未登记的就诊先发送 2401（住院）或 2201（门诊）。",
        ),
    ),
    "E3002": HisHelp(
        causes=(
            "交易顺序不对：例如未出院就结算、已结算又上传明细、在院时撤销出院，"
            "或已有费用明细就取消入院。",
            "住院与门诊交易用混：住院用 2301/2303/2304/2305/2403，"
            "门诊用 2204/2206/2207/2208/2203。",
            "同一就诊有另一笔交易正在处理（结算中、撤销结算中），状态刚刚变化。",
        ),
        checks=(
            "按 err_msg 中的就诊状态办理下一步：入院→2301 上传明细→2402 出院→2304 结算；"
            "要撤销前一步，先撤销后一步。",
            "就诊停在“结算中/撤销结算中”时，先用 GET /fsi/messages/{msgid} 查询上一笔结果，"
            "必要时发送 2601 冲正。",
        ),
    ),
    "E3003": HisHelp(
        causes=(
            "同一就诊内 feedetl_sn 重复：与已上传的明细重复，或同一批明细内部重复，"
            "或两批并发上传用了同一流水号。",
        ),
        checks=(
            "每条新明细使用新的 feedetl_sn；要替换原明细，先用 2302/2205 撤销原明细再上传。",
            "上传超时后重传时，先查询上一批的结果，不要换 msgid 重复上传同一批明细。",
        ),
    ),
    "E3004": HisHelp(
        causes=(
            "退费明细不合规：cnt 不是负数；init_feedetl_sn 找不到、已撤销，"
            "或与原明细的 med_list_codg 不同；累计退费数量超过原明细数量。",
        ),
        checks=(
            "退费明细填负数 cnt，init_feedetl_sn 填原明细的 feedetl_sn，"
            "med_list_codg 与原明细一致，退费数量不超过原数量。",
        ),
    ),
    "E3005": HisHelp(
        causes=(
            "明细金额 det_item_fee_sumamt 不等于单价 pric 乘以数量 cnt 四舍五入到分（自费明细上传"
            "同样校验）。",
        ),
        checks=(
            "按 det_item_fee_sumamt = pric × cnt（四舍五入到分）计算；"
            "检查 HIS 是否对单价或金额做了截断、折扣或合并。",
        ),
    ),
    "E3006": HisHelp(
        causes=(
            "fixmedins_code 不是 mdtrtarea_admvs 所在就医地的定点医药机构，或两者填写不匹配。",
            "本机构未开通该类异地联网结算（住院、门诊、药店购药或门诊慢特病）。",
        ),
        checks=(
            "核对 fixmedins_code 和 mdtrtarea_admvs；用 GET /institutions/{fixmedins_code} 查看本"
            "机构已开通的业务。",
            "未开通的业务请联系就医地医保经办机构开通，期间按自费处理。",
        ),
    ),
    "E3007": HisHelp(
        causes=(
            "结算请求中填写的 medfee_sumamt、fulamt_ownpay_amt、overlmt_selfpay、"
            "preselfpay_amt 或 inscp_scp_amt 与已上传费用明细的合计不一致：HIS 合计含有未上传、"
            "已撤销或被拒的明细，或漏算了退费。",
        ),
        checks=(
            "按已上传成功的明细（扣除已撤销的、计入退费）重新汇总："
            "medfee_sumamt 必须等于明细合计，其余四项可不填，由平台按明细计算。",
        ),
    ),
    "E3008": HisHelp(
        causes=("该就诊没有可结算的费用明细：明细未上传、上传被拒，或已全部撤销。",),
        checks=("先用 2301（住院）或 2204（门诊）上传费用明细，确认应答成功后再预结算、结算。",),
    ),
    "E3009": HisHelp(
        causes=("2302/2205 撤销的 feedetl_sn 不存在、已撤销，或已随结算锁定。",),
        checks=(
            "核对要撤销的 feedetl_sn（或用 0000 撤销全部未结算明细）；"
            "已结算的明细需先发送 2305/2208 撤销结算。",
        ),
    ),
    "E4001": HisHelp(
        causes=(
            "参保地复核结算金额时发现不平衡：各费用类别或明细的四项拆分金额之和不等于总额、"
            "金额为负或超过两位小数。",
            "结算金额由就医地平台按已上传明细汇总，多数情况下不是 HIS 填写错误。",
        ),
        checks=(
            "检查上传的明细金额是否精确到分、退费是否超过原明细；"
            "无明显问题时记下 msgid 报平台运维，不要改金额重发。",
        ),
    ),
    "E4002": HisHelp(
        causes=(
            "同一 msgid 已在参保地结算过，但这次发送的内容不同："
            "HIS 复用了 msgid 或修改了原报文后重发。",
        ),
        checks=("用 GET /fsi/messages/{msgid} 查询已有结算；新的结算或撤销一律使用新的 msgid。",),
    ),
    "E4003": HisHelp(
        causes=(
            "2305/2208 的 setl_id 录错，或该结算不属于该 psn_no、本身就是撤销记录。",
            "2601 冲正的 omsgid 不属于该 psn_no，或 oinfno 指向的不是结算交易。",
        ),
        checks=(
            "setl_id 取自 2304/2207 应答；psn_no 与原结算一致；2601 的 omsgid、"
            "oinfno 填原交易的 msgid 和 infno。",
        ),
    ),
    "E4004": HisHelp(
        causes=(
            "该结算已经撤销过：HIS 在上一笔 2305/2208 超时或未收到应答后，"
            "换了新的 msgid 再次撤销。",
        ),
        checks=(
            "不要再次撤销；用 GET /fsi/messages/{msgid} 查询上一笔撤销的结果并据此更新 HIS 状态。",
        ),
    ),
    "E4005": HisHelp(
        causes=(
            "参保地政策不支持本次结算：med_type 不在支持范围、"
            "门诊慢特病病种 opsp_dise_code 不在参保地范围内。",
            "医院等级未配置或有误，或平台未配置该参保地政策，这类情况不是 HIS 问题。",
        ),
        checks=(
            "核对 med_type 和 opsp_dise_code；其余情况记下 msgid 联系就医地医保经办机构核实机构等"
            "级和参保地政策。",
        ),
    ),
    "E4006": HisHelp(
        causes=(
            "患者在该险种的参保状态不是正常参保（暂停、终止等），"
            "或 insutype 填了患者未参加的险种（如居民医保的患者填了 310）。",
        ),
        checks=(
            "insutype 按 1101 应答 insuinfo 中参保状态正常的险种填写；确属参保状态异常的，"
            "请患者联系参保地经办机构，本次按自费处理。",
        ),
    ),
    "E4007": HisHelp(
        causes=(
            "该 msgid 已被 2601 冲正：HIS 冲正后又用原 msgid 重发了原交易，或原报文晚于冲正到达。",
        ),
        checks=(
            "原 msgid 已作废，不要再用；如仍需办理，用新的 msgid 重新发起（例如重新入院登记或结算"
            "）。",
        ),
    ),
    "E4008": HisHelp(
        causes=(
            "要冲正的交易之后已有后续业务：入院登记后已上传明细、上传的明细已结算或已退费、"
            "撤销结算后已有新的结算或明细变化、个人账户余额不足以扣回，或备案后已有结算。",
        ),
        checks=("先撤销后续业务（2302/2205 撤销明细、2305/2208 撤销结算），再发送 2601。",),
    ),
    "E4009": HisHelp(
        causes=("该就诊已有未撤销的结算：HIS 在结算超时或结果未知后，换了新的 msgid 再次结算。",),
        checks=(
            "先用 GET /fsi/messages/{msgid} 查询原结算；费用有变化时先发送 2305/2208 撤销原结算，"
            "再重新结算。",
        ),
    ),
    "E5001": HisHelp(
        causes=(
            "insuplc_admdvs 不是可路由的统筹区：填了省级区划、旧区划、错位数的代码，或未填写。",
            "mdtrtarea_admvs 不是已知的医保区划。",
        ),
        checks=(
            "insuplc_admdvs 取自 1101 应答（insuinfo.insuplc_admdvs），用统筹区六位代码；"
            "mdtrtarea_admvs 填本机构所在统筹区。",
        ),
    ),
    "E5002": HisHelp(
        causes=(
            "非 HIS 问题：报文已发往参保地，但在规定时间内没有收到应答，或与国家平台的连接中断，"
            "参保地可能已经办理。",
            "HIS 用同一 msgid 重发一笔结果仍未知的交易时，也会得到此码。",
        ),
        checks=(
            "不要用同一 msgid 改报文重发，也不要换新 msgid 再次结算；"
            "先用 GET /fsi/messages/{msgid} 查询结果。",
            "查询仍未知或需要作废时，发送 2601 冲正（omsgid 填原 msgid、oinfno 填原 infno），"
            "冲正成功后再按需重新办理。",
        ),
    ),
    "E5003": HisHelp(
        causes=(
            "非 HIS 问题：消息服务或就医地平台数据库暂不可用，报文未能发往参保地；"
            "本笔交易未发出，未产生结算。",
        ),
        checks=("稍后用同一 msgid 原样重试即可；持续失败时记下 msgid 联系平台运维。",),
    ),
    "E5004": HisHelp(
        causes=(
            "非 HIS 问题：地区之间转发报文时发送方身份校验失败（地区接入消息服务的用户配置有误）"
            "，交易未办理。",
        ),
        checks=("HIS 无需改报文；记下 msgid 和时间报平台运维，恢复后用新的 msgid 重新发起。",),
    ),
    "E5005": HisHelp(
        causes=("非 HIS 问题：报文在排队转发中已超过应答时限，国家平台或参保地未予办理。",),
        checks=(
            "用 GET /fsi/messages/{msgid} 确认该笔未办理后，用新的 msgid 重新发起；"
            "频繁出现时报平台运维。",
        ),
    ),
    "E5999": HisHelp(
        causes=("非 HIS 问题：平台内部错误，交易结果可能未知。",),
        checks=(
            "先用 GET /fsi/messages/{msgid} 查询结果，涉及结算的不要盲目重做（必要时发送 2601 冲"
            "正）；持续出现时把 msgid 告知平台运维。",
        ),
    ),
    "E6001": HisHelp(
        causes=(
            "非 HIS 问题：该码来自运维对账接口，对账日期格式有误或晚于当前业务日期；"
            "医院的 3201/3202 不会返回此码。",
        ),
        checks=(
            "HIS 无需处理；医院对账请用 3201/3202，并以 stmt_begndate、stmt_enddate 填写对账期间。",
        ),
    ),
    "E6002": HisHelp(
        causes=(
            "非 HIS 问题：对账或清算数据暂不可得，例如 3260/3261 时国家平台清算接口不可达，"
            "或本就医地未接入平台清算数据。",
        ),
        checks=("稍后用新的 msgid 重发 3260/3261；持续失败时联系就医地医保经办机构。",),
    ),
    "E6003": HisHelp(
        causes=(
            "清分月份有误或该月尚未结束；多为运维生成清分时出现，"
            "医院 3260/3261 的 clr_ym 格式错误通常会先得到 E9002。",
        ),
        checks=("3260/3261 的 clr_ym 按 yyyyMM 填写，且只查询已结束的月份。",),
    ),
    "E6004": HisHelp(
        causes=("3260/3261 查询或确认的月份，平台尚未生成清分数据（次月 26 日前生成）。",),
        checks=("在清分生成后再发送 3260；3261 必须在 3260 查到该月明细之后发送。",),
    ),
    "E6005": HisHelp(
        causes=(
            "非 HIS 问题：该码来自地区之间的月度清分确认，确认方区划或类型（treating/insured）"
            "在该月清分中没有明细。",
        ),
        checks=("HIS 无需处理；医院确认本机构清算明细请用 3261。",),
    ),
    "E6006": HisHelp(
        causes=("非 HIS 问题：该码来自运维的预付金接口，所填省级区划在本平台没有预付金。",),
        checks=("HIS 无需处理。",),
    ),
    "E6007": HisHelp(
        causes=(
            "3202 引用的对账明细文件无法读取：不是 ZIP 压缩的单个 UTF-8 TXT，"
            "不是 TAB 分隔的七列，或某行某列内容有误。",
        ),
        checks=(
            "按 err_msg 提示的行、列改正文件，用 9101 重新上传，再以新的 file_qury_no 发送 3202。",
        ),
    ),
    "E6008": HisHelp(
        causes=(
            "3261 确认的 fixmedins_setl_cnt 或 clr_sumamt 与平台该月清算明细不一致：未先查询，"
            "或 HIS 按自己的台账计算。",
        ),
        checks=(
            "先用 3260 查询该月清算明细并逐笔核对，再按 3260 应答 clrinfo 的笔数和金额发送 3261。",
        ),
    ),
    "E6009": HisHelp(
        causes=(
            "非 HIS 问题：该码来自医保部门之间的协查、审核扣款接口，"
            "所给 setl_id 或协查编号不是该地区可办理的异地结算。",
        ),
        checks=("HIS 无需处理；经办机构向医院核实结算时，提供 2304/2207 应答中的 setl_id。",),
    ),
    "E6010": HisHelp(
        causes=("非 HIS 问题：该结算不符合协查条件（非住院、费用未达协查起点，或已退费）。",),
        checks=("HIS 无需处理。",),
    ),
    "E6011": HisHelp(
        causes=("非 HIS 问题：该结算已由参保地提请过协查，重复提出或内容不同。",),
        checks=("HIS 无需处理；如经办机构要求补充材料，按要求提供。",),
    ),
    "E6012": HisHelp(
        causes=(
            "非 HIS 问题：医保部门之间的协查答复、补充、延期或确认不符合该协查当前状态或期限。",
        ),
        checks=(
            "HIS 无需处理；如就医地经办机构要求医院提供病历、费用清单等核查材料，按期限提供。",
        ),
    ),
    "E6013": HisHelp(
        causes=("非 HIS 问题：该期协查申请汇总表尚未发布（每月 26 日 0 时发布）。",),
        checks=("HIS 无需处理。",),
    ),
    "E6014": HisHelp(
        causes=(
            "非 HIS 问题：就医地经办机构登记的审核扣款有误（金额为 0 或超过基金支付额、缺少原因，"
            "或与已登记的扣款不同）。",
        ),
        checks=("HIS 无需处理；对扣款有异议的，通过就医地医保经办机构反映。",),
    ),
    "E6015": HisHelp(
        causes=(
            "非 HIS 问题：参保地办理零星报销时读取不到就医地的自费就诊数据（就医地系统暂不可达）。",
        ),
        checks=(
            "确认该自费就诊已通过 POST /selfpaid-visits 上传成功，并把返回的就诊编号告知患者；"
            "其余待就医地系统恢复后由参保地重办。",
        ),
    ),
    "E9001": HisHelp(
        causes=(
            "请求体不是 UTF-8 编码的 JSON 对象：编码用了 GBK、报文被截断、顶层不是对象，"
            "或嵌套层数过多。",
        ),
        checks=(
            "以 UTF-8 编码发送国家接口报文的 JSON 对象，Content-Type 为 application/json；"
            "检查 HIS 拼接报文的代码。",
        ),
    ),
    "E9002": HisHelp(
        causes=(
            "报文字段缺失或格式错误，err_msg 会指明字段：例如 2401/2201、"
            "2501–2504 未填 insuplc_admdvs，结算时 insuplc_admdvs 与就诊登记不一致、"
            "出院时间早于入院时间、2601 的 oinfno 与原交易不符。",
            "mdtrtarea_admvs 不是本平台受理的就医地，或一次上传/撤销混入了不同 mdtrt_id、"
            "psn_no 的明细。",
        ),
        checks=("按提示改正该字段；改正后用新的 msgid 重发（同一 msgid 换内容会得到 E9004）。",),
    ),
    "E9003": HisHelp(
        causes=("infno 不是本平台支持的交易编号：录错，或使用了平台尚未开放的交易。",),
        checks=("按接口规范核对 infno，与交易报文体（input）的结构一一对应。",),
    ),
    "E9004": HisHelp(
        causes=(
            "msgid 重复且内容不同：HIS 复用了 msgid、修改报文后用原 msgid 重发，"
            "或 msgid 与其他机构的报文相同。",
            "自费就诊上传时同一 ipt_otp_no 已上传过不同的明细。",
        ),
        checks=(
            "每笔新交易生成新的 msgid（机构编号 + 时间 + 顺序号，全局唯一）；要取回原应答，"
            "按原报文原样重发。",
        ),
    ),
    "E9005": HisHelp(
        causes=("请求体超过平台上限，多为一次上传的费用明细过多。",),
        checks=("把费用明细分成几批，用多笔 2301/2204 分别上传（每批新的 msgid）。",),
    ),
    "E9006": HisHelp(
        causes=(
            "同一 msgid 的交易仍在处理中：HIS 的超时比平台短，在前一笔未应答时用同一 msgid 重发；"
            "或 2601 冲正的原交易仍在处理。",
        ),
        checks=(
            "等待后用 GET /fsi/messages/{msgid} 查询结果；处理期间不要用同一 msgid 重发，"
            "也不要冲正。",
        ),
    ),
    "E9007": HisHelp(
        causes=(
            "x-tif-paasid、x-tif-timestamp、x-tif-nonce、x-tif-signature 请求头缺失，"
            "或签名计算错误、用错了令牌。",
        ),
        checks=(
            "每笔请求都带齐四个请求头；x-tif-signature = SHA-256(时间戳 + 令牌 + 随机数 + 时间戳)"
            "，十六进制，时间戳与 x-tif-timestamp 完全相同。",
        ),
    ),
    "E9008": HisHelp(
        causes=(
            "x-tif-timestamp 不是 10 位（秒）或 13 位（毫秒）的 Unix 时间戳，"
            "或与平台时间相差超过允许范围（默认 5 分钟，多为 HIS 服务器时钟不准）。",
            "x-tif-nonce 超过 128 个字符，或在同一时间戳下重复使用。",
        ),
        checks=("校准 HIS 服务器时钟；每笔请求生成新的随机数和当前时间戳，重发时也要重新生成。",),
    ),
    "E9009": HisHelp(
        causes=(
            "x-tif-paasid 与报文中的 fixmedins_code 不一致：用 A 机构的身份替 B 机构发送交易。",
            "2601 冲正了其他机构的报文，或签名机构不是本平台的异地联网定点机构。",
        ),
        checks=(
            "x-tif-paasid 和 fixmedins_code 都填本机构编号及其令牌；多院区各用各自的机构编号发送。",
        ),
    ),
    "E9010": HisHelp(
        causes=("就医地要求签到，但报文的 sign_no 未填写、填错，或该签到已签退、已失效。",),
        checks=(
            "先发送 9001 签到，把应答中的 sign_no 填入之后每笔交易；签退（9002）后需重新签到。",
        ),
    ),
    "E9011": HisHelp(
        causes=(
            "非 HIS 问题：调用了运维接口（/admin/...）却没有有效的运维令牌，"
            "医院交易不使用这些接口。",
        ),
        checks=(
            "HIS 只调用网关交易和 /fsi/messages/{msgid}、/selfpaid-visits 等医院接口，"
            "不要调用 /admin/ 接口。",
        ),
    ),
    "E9012": HisHelp(
        causes=(
            "GET /fsi/messages/{msgid} 查询的 msgid 不存在或不是本机构发送的；"
            "或查询的自费就诊编号不是本机构的。",
            "查询请求的 x-tif-paasid 与原交易的发送机构不同。",
        ),
        checks=(
            "核对 msgid；查询请求与网关交易一样签名，且 x-tif-paasid 为原发送机构；"
            "未收到的 msgid 说明报文未到达平台，可用原 msgid 重发。",
        ),
    ),
}


def help_for(code: str) -> HisHelp | None:
    """The help for a catalogue code; None for a code the catalogue does not have."""
    return HIS_HELP.get(code)


UNCOVERED: frozenset[str] = frozenset(CATALOGUE.keys() - HIS_HELP.keys())
"""Catalogue codes with no entry here (none: the tests keep it so); help_for answers None."""
