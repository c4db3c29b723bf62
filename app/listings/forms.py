from wtforms import BooleanField, DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from app.forms_common import Form, WanYuanField, no_control_chars
from app.reference import COOPERATION_MODES, MATURITIES, PATENT_STATUSES, PATENT_TYPES, TRANSFER_MODES

_title = [InputRequired("请填写标题"), Length(max=100, message="标题不能超过100个字"), no_control_chars]
_text = [InputRequired("请填写描述"), Length(10, 5000, "描述应为10到5000个字"), no_control_chars]
_kw = [Optional(), Length(max=200, message="关键词总长度不能超过200个字"), no_control_chars]


class NeedForm(Form):
    # one key per rendered form: a double click or a retried post creates one listing (services.create)
    submission_key = HiddenField(validators=[Optional(), Length(max=64)])
    title = StringField("需求名称", validators=_title)
    description = TextAreaField("需求描述", validators=_text,
                                description="说明遇到的问题、现状、希望达到的指标，可写型号规格（如 DN50、PN16）")
    industry_code = SelectField("产业领域", validators=[InputRequired("请选择产业领域")])
    town_code = SelectField("所在街道/乡镇", validators=[Optional()])
    budget_yuan = WanYuanField("预算（万元）", description="不填表示面议")
    deadline = DateField("期望解决日期", validators=[Optional()], format="%Y-%m-%d")
    cooperation_mode = SelectField("期望合作方式", choices=COOPERATION_MODES, validators=[InputRequired("请选择合作方式")])
    keywords = StringField("关键词", validators=_kw, description="用顿号或逗号分隔")


class AchievementForm(Form):
    submission_key = HiddenField(validators=[Optional(), Length(max=64)])
    title = StringField("成果名称", validators=_title)
    abstract = TextAreaField("成果简介", validators=_text, description="技术路线、主要指标、应用效果")
    industry_code = SelectField("产业领域", validators=[InputRequired("请选择产业领域")])
    maturity = SelectField("成熟度", choices=MATURITIES, validators=[InputRequired("请选择成熟度")])
    transfer_mode = SelectField("转化方式", choices=TRANSFER_MODES, validators=[InputRequired("请选择转化方式")])
    price_yuan = WanYuanField("参考价格（万元）", description="不填表示面议")
    keywords = StringField("关键词", validators=_kw, description="用顿号或逗号分隔")
    leader = StringField("团队负责人", validators=[Optional(), Length(max=50, message="不能超过50个字"), no_control_chars])
    application = TextAreaField("应用领域", validators=[Optional(), Length(max=2000, message="不能超过2000个字"), no_control_chars])
    confidential = TextAreaField("保密信息", validators=[Optional(), Length(max=5000, message="不能超过5000个字"), no_control_chars],
                                 description="关键工艺参数等，只对本单位和科技局可见")


class PatentForm(Form):
    number = StringField("专利号", validators=[InputRequired("请填写专利号"), Length(max=32, message="专利号不能超过32个字符")])
    title = StringField("专利名称", validators=[InputRequired("请填写专利名称"), Length(max=200, message="不能超过200个字")])
    patent_type = SelectField("专利类型", choices=PATENT_TYPES)
    status = SelectField("法律状态", choices=PATENT_STATUSES)
    industrialized = BooleanField("已实施产业化")


class RejectForm(Form):
    reason = TextAreaField("退回原因", validators=[InputRequired("请填写退回原因"), Length(max=1000, message="不能超过1000个字")])
