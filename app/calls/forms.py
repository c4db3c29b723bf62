from wtforms import (
    DateTimeLocalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.calls.models import MAX_DURATION_MONTHS
from app.events.forms import DT_FORMATS
from app.forms_common import Form, WanYuanField, no_control_chars


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CallForm(Form):
    title = StringField("榜单名称", validators=[InputRequired("请填写榜单名称"), Length(max=100, message="不能超过100个字"),
                                              no_control_chars], description="如：阀门内漏在线检测技术攻关")
    owner_org_id = SelectField("发榜单位", coerce=int, validators=[Optional()],
                               description="从需求发榜时为需求所属企业")
    industry_code = SelectField("产业领域", validators=[InputRequired("请选择产业领域")])
    problem = TextAreaField("需攻克的问题", validators=[InputRequired("请描述要攻克的问题"),
                                                    Length(max=5000, message="不能超过5000个字"), no_control_chars])
    indicators = TextAreaField("技术指标要求", validators=[InputRequired("请填写技术指标"),
                                                     Length(max=5000, message="不能超过5000个字"), no_control_chars],
                               description="揭榜方案必须达到的指标，如检测灵敏度、响应时间、适用口径")
    reward_yuan = WanYuanField("榜额（万元）", validators=[InputRequired("请填写榜额")],
                               description="发榜单位愿意支付的研发经费或奖励")
    deadline = DateTimeLocalField("揭榜截止时间（北京时间）", format=DT_FORMATS, validators=[InputRequired("请填写揭榜截止时间")])
    eligible_kinds = MultiCheckboxField("可揭榜单位", choices=[("enterprise", "企业"), ("university", "高校"),
                                                           ("institute", "科研院所")],
                                        default=["enterprise", "university", "institute"])


class ApplicationForm(Form):
    plan = TextAreaField("技术方案", validators=[InputRequired("请说明技术方案"), Length(max=5000, message="不能超过5000个字"),
                                             no_control_chars], description="技术路线、如何达到榜单指标、已有基础")
    team = TextAreaField("承担团队", validators=[InputRequired("请介绍承担团队"), Length(max=5000, message="不能超过5000个字"),
                                             no_control_chars], description="负责人、主要成员及分工")
    price_yuan = WanYuanField("报价（万元）", validators=[InputRequired("请填写报价")])
    duration_months = IntegerField("完成周期（月）", validators=[
        InputRequired("请填写完成周期"), NumberRange(1, MAX_DURATION_MONTHS, f"完成周期应为1到{MAX_DURATION_MONTHS}个月")])


class SelectForm(Form):
    application_id = IntegerField("申请", validators=[InputRequired("请选择揭榜申请")])
    note = StringField("说明", validators=[Optional(), Length(max=1000, message="不能超过1000个字"), no_control_chars])


class CloseForm(Form):
    reason = TextAreaField("不选定的原因", validators=[InputRequired("请填写原因"), Length(max=1000, message="不能超过1000个字"),
                                                  no_control_chars])
