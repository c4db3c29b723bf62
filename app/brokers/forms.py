from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.brokers.models import LEVELS
from app.forms_common import Form, no_control_chars


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class BrokerApplyForm(Form):
    # choices are checked by the service (a Chinese message; WTForms' own one for a bad choice is English)
    industry_codes = MultiCheckboxField("擅长的产业领域", validate_choice=False,
                                        validators=[InputRequired("请至少选择一个擅长的产业领域")])
    years_experience = IntegerField("从业年限（年）", validators=[
        InputRequired("请填写从业年限"), NumberRange(0, 60, "从业年限应在0到60年之间")])
    introduction = TextAreaField("个人简介", validators=[
        InputRequired("请填写个人简介"), Length(10, 2000, "个人简介应为10到2000个字"), no_control_chars],
        description="服务过的项目、擅长的技术方向、资质等")


class CertifyForm(Form):
    certificate_no = StringField("证书编号", validators=[InputRequired("请填写证书编号"),
                                                     Length(max=32, message="证书编号不能超过32个字符")])
    level = SelectField("等级", choices=LEVELS, validators=[InputRequired("请选择等级")])


class DeclineForm(Form):
    reason = TextAreaField("不予认证的原因", validators=[InputRequired("请填写原因"),
                                                  Length(max=1000, message="不能超过1000个字")])


class TrainingForm(Form):
    course = StringField("课程名称", validators=[InputRequired("请填写课程名称"), Length(max=100, message="不能超过100个字")])
    hours = IntegerField("学时", validators=[InputRequired("请填写学时"), NumberRange(1, 1000, "学时应在1到1000之间")])
    training_date = DateField("培训日期", validators=[InputRequired("请填写培训日期")], format="%Y-%m-%d")
    passed = BooleanField("考核合格")


class BrokerFilterForm(Form):
    status = SelectField("状态", validators=[Optional()])
