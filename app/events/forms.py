from wtforms import DateTimeLocalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from app.events.models import MAX_CAPACITY
from app.forms_common import Form, no_control_chars

DT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]


class EventForm(Form):
    title = StringField("活动名称", validators=[InputRequired("请填写活动名称"), Length(max=100, message="活动名称不能超过100个字"),
                                              no_control_chars], description="如：2026泵阀专场供需对接会")
    industry_code = SelectField("产业聚焦", validators=[InputRequired("请选择活动聚焦的产业")])
    focus_keywords = StringField("聚焦关键词", validators=[Optional(), Length(max=200, message="不能超过200个字"),
                                                       no_control_chars],
                                 description="用顿号或逗号分隔，如：阀门、密封、泵；用于推荐合适的需求和成果")
    description = TextAreaField("活动介绍", validators=[Optional(), Length(max=5000, message="不能超过5000个字"),
                                                      no_control_chars])
    starts_at = DateTimeLocalField("开始时间（北京时间）", format=DT_FORMATS, validators=[InputRequired("请填写开始时间")])
    ends_at = DateTimeLocalField("结束时间（北京时间）", format=DT_FORMATS, validators=[InputRequired("请填写结束时间")])
    registration_deadline = DateTimeLocalField("报名截止时间（北京时间）", format=DT_FORMATS,
                                               validators=[InputRequired("请填写报名截止时间")])
    venue = StringField("活动地点", validators=[Optional(), Length(max=200, message="不能超过200个字"), no_control_chars])
    online_url = StringField("线上会议链接", validators=[Optional(), Length(max=300, message="不能超过300个字符")],
                             description="线下活动可不填；地点和链接至少填一项")
    capacity = IntegerField("名额（单位数）", validators=[InputRequired("请填写名额"),
                                                      NumberRange(1, MAX_CAPACITY, f"名额应为1到{MAX_CAPACITY}家单位")])


class RegisterForm(Form):
    attendees = IntegerField("参会人数", default=1, validators=[InputRequired("请填写参会人数"),
                                                              NumberRange(1, 20, "参会人数应为1到20人")])
    contact = StringField("联系人及电话", validators=[Optional(), Length(max=100, message="不能超过100个字"),
                                                 no_control_chars])


class OutcomeForm(Form):
    outcome = SelectField("对接结果", choices=[("intent", "有合作意向"), ("no_interest", "无意向")],
                          validators=[InputRequired("请选择对接结果")])
    note = StringField("备注", validators=[Optional(), Length(max=1000, message="不能超过1000个字"), no_control_chars])


class DealFromPairForm(Form):
    note = StringField("备注", validators=[Optional(), Length(max=1000, message="不能超过1000个字"), no_control_chars])


class AddPairForm(Form):
    need_id = SelectField("技术需求", coerce=int, validators=[InputRequired("请选择技术需求")])
    achievement_id = SelectField("科技成果", coerce=int, validators=[InputRequired("请选择科技成果")])


class CancelEventForm(Form):
    reason = TextAreaField("取消原因", validators=[InputRequired("请填写取消原因"), Length(max=1000, message="不能超过1000个字"),
                                               no_control_chars])
