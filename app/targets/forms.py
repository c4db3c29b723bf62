from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from app.contracts.forms import optional_int
from app.forms_common import Form, no_control_chars


class IndustrializationForm(Form):
    patent_number = StringField("专利号", validators=[InputRequired("请填写专利号"), Length(max=32, message="专利号不能超过32个字符")])
    industrialized_on = DateField("产业化日期", validators=[InputRequired("请填写产业化日期")], format="%Y-%m-%d")
    evidence = TextAreaField("证明材料", validators=[InputRequired("请填写产业化证明材料"),
                                                    Length(max=2000, message="不能超过2000个字"), no_control_chars],
                             description="如：产品名称、投产时间、销售发票或检测报告编号")


class AgencyForm(Form):
    organization_id = SelectField("科技服务机构", coerce=optional_int, validate_choice=False,
                                  validators=[InputRequired("请选择科技服务机构")])
    year = IntegerField("认定年度", validators=[InputRequired("请填写年份")])
    note = TextAreaField("认定说明", validators=[Optional(), Length(max=2000, message="不能超过2000个字"), no_control_chars])


class MajorPatentForm(Form):
    patent_number = StringField("专利号", validators=[InputRequired("请填写专利号"), Length(max=32, message="专利号不能超过32个字符")])
    year = IntegerField("评选年度", validators=[InputRequired("请填写年份")])
    citation = TextAreaField("评选理由", validators=[InputRequired("请填写评选理由"), Length(max=2000, message="不能超过2000个字"),
                                                    no_control_chars])
