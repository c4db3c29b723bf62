from wtforms import DecimalField, IntegerField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from app.forms_common import Form, WanYuanField


class YearlyTargetForm(Form):
    year = IntegerField("年份", validators=[InputRequired("请填写年份"), NumberRange(2021, 2100, "年份应在2021到2100之间")])
    contract_volume_yuan = WanYuanField("技术合同成交额目标（万元）")
    note = StringField("说明", validators=[Optional(), Length(max=200, message="不能超过200个字")])


class IndicatorValueForm(Form):
    year = IntegerField("年份", validators=[InputRequired("请填写年份"), NumberRange(2015, 2100, "年份应在2015到2100之间")])
    value = DecimalField("数值", places=4, validators=[InputRequired("请填写数值"),
                                                      NumberRange(-1_000_000_000, 1_000_000_000, "数值超出合理范围")])
    note = StringField("说明", validators=[Optional(), Length(max=500, message="不能超过500个字")])
