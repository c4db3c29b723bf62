from wtforms import DateField, HiddenField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from app.forms_common import Form, no_control_chars

_note = [Optional(), Length(max=2000, message="备注不能超过2000个字"), no_control_chars]


class AdvanceForm(Form):
    to_stage = HiddenField(validators=[InputRequired("请选择目标阶段")])
    note = TextAreaField("备注", validators=_note)
    reason = TextAreaField("终止原因", validators=[Optional(), Length(max=1000, message="终止原因不能超过1000个字"),
                                                no_control_chars])


class NoteForm(Form):
    note = TextAreaField("跟进记录", validators=[InputRequired("请填写跟进记录"),
                                             Length(max=2000, message="跟进记录不能超过2000个字"), no_control_chars])


class FollowUpForm(Form):
    next_follow_up = DateField("下次跟进日期", validators=[InputRequired("请填写下次跟进日期")], format="%Y-%m-%d")
    note = TextAreaField("说明", validators=_note)


class AssignForm(Form):
    broker_id = SelectField("经纪人", coerce=int, validators=[InputRequired("请选择经纪人")])
