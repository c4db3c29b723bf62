from flask import url_for
from markupsafe import Markup
from wtforms import DateField, Field, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError
from wtforms.widgets import html_params

from app.auctions.forms import WanYuanField
from app.contracts import lookup
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


class PickerWidget:
    """A search box (the label points at it) and the hidden id it fills; static/js/picker.js adds the suggestions
    from the lookup URL. Without JavaScript the typed text is resolved by the server (PickerField.pre_validate)."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        box = {"id": kwargs.pop("id"), "name": field.text_name, "value": field.display_text(), "type": "text",
               "autocomplete": "off", "role": "combobox", "aria-autocomplete": "list", "aria-expanded": "false",
               "aria-controls": f"{field.id}-list", "placeholder": field.placeholder, "maxlength": 300,
               "data-picker-text": "", **kwargs}
        hidden = {"type": "hidden", "name": field.name, "id": f"{field.id}-value", "value": field.id_value(),
                  "data-picker-id": ""}
        return Markup(
            f'<div class="picker" data-picker {html_params(data_lookup_url=url_for(field.lookup_endpoint))}>'
            f"<input {html_params(**box)}><input {html_params(**hidden)}>"
            f'<div class="list-group picker-list d-none" role="listbox" {html_params(id=f"{field.id}-list")}></div>'
            f'<div class="picker-status visually-hidden" role="status" aria-live="polite"></div></div>')


class PickerField(Field):
    """An id chosen by name from a large table (achievements, organizations). Posts `<name>` (the id, as the services
    take it) and `<name>_text` (what the box shows). The id wins while the text still is its label; a changed text
    is resolved on the server: a number, an exact name, or the only record containing it — else a field error."""

    widget = PickerWidget()

    def __init__(self, label=None, validators=None, *, lookup_endpoint, describe, resolve, placeholder="", **kw):
        super().__init__(label, validators, **kw)
        self.lookup_endpoint, self.describe, self.resolve = lookup_endpoint, describe, resolve
        self.placeholder = placeholder
        self.text = None  # the box as posted; None when the form was posted with the id alone

    @property
    def text_name(self) -> str:
        return f"{self.name}_text"

    def process(self, formdata, *args, **kwargs):
        super().process(formdata, *args, **kwargs)
        self.text = formdata.get(self.text_name) if formdata is not None and self.text_name in formdata else None

    def process_data(self, value):
        self.data = optional_int(value)

    def process_formdata(self, valuelist):
        if valuelist:
            self.data = optional_int(valuelist[0])

    def pre_validate(self, form):
        if self.text is None:
            return
        text = self.text.strip()
        if isinstance(self.data, int) and text == (self.describe(self.data) or ""):
            return  # the record chosen (or shown when the page was rendered), unchanged
        try:
            self.data = self.resolve(text)
        except lookup.Unresolved as err:
            self.data = None
            raise ValidationError(str(err)) from None

    def id_value(self) -> str:
        return "" if self.data is None else str(self.data)

    def display_text(self) -> str:
        if self.text is not None and self.errors:
            return self.text  # what was typed, to be fixed
        if self.data is None or self.data == "":
            return ""
        label = self.describe(self.data) if isinstance(self.data, int) else None
        return label if label is not None else str(self.data)


def _org_picker(who: str) -> PickerField:
    return PickerField(f"{who}单位", lookup_endpoint="contracts.lookup_organizations",
                       describe=lookup.describe_organization, resolve=lookup.resolve_organization,
                       placeholder="输入单位名称或统一社会信用代码查找",
                       description="输入名称或信用代码，从提示中选择平台上的单位；未启用脚本时，提交后按完整名称、"
                                   "信用代码或唯一相符的单位确定。不在平台上的单位请留空此项并填写下面三项")


def _party_fields(who: str):
    return {
        "org_id": _org_picker(who),
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
    achievement_id = PickerField("关联科技成果", lookup_endpoint="contracts.lookup_achievements",
                                 describe=lookup.describe_achievement, resolve=lookup.resolve_achievement,
                                 placeholder="输入成果名称、所属单位或成果编号查找",
                                 description="输入关键词，从提示中选择已发布的科技成果；未启用脚本时，可输入成果编号"
                                             "（成果页面地址中的数字），或输入名称关键词，提交后按唯一相符的成果确定。留空为不关联")
    patent_numbers = StringField("涉及专利号", validators=[Optional(), Length(max=500, message="不能超过500个字符")],
                                 description="多个专利号用逗号或顿号分隔")
    broker_id = SelectField("技术经纪人", coerce=optional_int, validate_choice=False)


class CorrectionForm(ContractForm):
    correction_reason = TextAreaField("更正原因", validators=[InputRequired("请填写更正原因"),
                                                          Length(max=1000, message="不能超过1000个字"), no_control_chars])


class ReturnForm(Form):
    reason = TextAreaField("退回原因", validators=[InputRequired("请填写退回原因"), Length(max=1000, message="不能超过1000个字")])
