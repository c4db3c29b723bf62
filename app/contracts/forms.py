from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from app.auctions.forms import WanYuanField
from app.contracts.models import CONTRACT_TYPES
from app.forms_common import Form, no_control_chars


def optional_int(value):
    """Select values: "" → None; digits → int; anything else kept as text for the service to refuse clearly."""
    if value in (None, "", "None"):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    return int(text) if text.isdigit() else text


def _party_fields(who: str):
    return {
        "org_id": SelectField(f"{who}单位", coerce=optional_int, validate_choice=False,
                              description="选择平台上的单位；不在平台上的单位请选“手工填写”并填写下面三项"),
        "name": StringField(f"{who}名称（手工填写）", validators=[Optional(), Length(max=100, message="不能超过100个字"),
                                                           no_control_chars]),
        "credit_code": StringField(f"{who}统一社会信用代码（手工填写）",
                                   validators=[Optional(), Length(max=18, message="统一社会信用代码应为18位")]),
        "region": StringField(f"{who}所在地区（手工填写）", validators=[Optional(), Length(max=100, message="不能超过100个字"),
                                                               no_control_chars],
                              description="如：浙江省温州市永嘉县、浙江省杭州市；含“永嘉”的计为县内单位"),
    }


class ContractForm(Form):
    title = StringField("合同名称", validators=[InputRequired("请填写合同名称"), Length(max=200, message="合同名称不能超过200个字"),
                                              no_control_chars])
    contract_type = SelectField("合同类型", choices=[("", "请选择")] + CONTRACT_TYPES,
                                validators=[InputRequired("请选择合同类型")])
    _b = _party_fields("买方（受让方/委托方）")
    buyer_org_id, buyer_name, buyer_credit_code, buyer_region = _b["org_id"], _b["name"], _b["credit_code"], _b["region"]
    _s = _party_fields("卖方（让与方/受托方）")
    seller_org_id, seller_name, seller_credit_code, seller_region = (_s["org_id"], _s["name"], _s["credit_code"],
                                                                     _s["region"])
    del _b, _s
    contract_amount_yuan = WanYuanField("合同金额（万元）", validators=[InputRequired("请填写合同金额")])
    tech_amount_yuan = WanYuanField("技术交易额（万元）", validators=[InputRequired("请填写技术交易额")],
                                    description="合同金额中属于技术的部分，不能大于合同金额")
    signed_on = DateField("签订日期", validators=[InputRequired("请填写签订日期")], format="%Y-%m-%d")
    deal_id = SelectField("关联对接项目", coerce=optional_int, validate_choice=False)
    achievement_id = SelectField("关联科技成果", coerce=optional_int, validate_choice=False)
    patent_numbers = StringField("涉及专利号", validators=[Optional(), Length(max=500, message="不能超过500个字符")],
                                 description="多个专利号用逗号或顿号分隔")
    broker_id = SelectField("技术经纪人", coerce=optional_int, validate_choice=False)


class CorrectionForm(ContractForm):
    correction_reason = TextAreaField("更正原因", validators=[InputRequired("请填写更正原因"),
                                                          Length(max=1000, message="不能超过1000个字"), no_control_chars])


class ReturnForm(Form):
    reason = TextAreaField("退回原因", validators=[InputRequired("请填写退回原因"), Length(max=1000, message="不能超过1000个字")])
