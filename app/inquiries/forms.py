from wtforms import TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from app.forms_common import Form, WanYuanField, no_control_chars


class InquiryForm(Form):
    message = TextAreaField("询价内容", validators=[InputRequired("请填写留言内容"),
                                                 Length(max=2000, message="留言不能超过2000个字"), no_control_chars],
                            description="说明贵单位的用途、规模、希望的合作方式等")
    offered_price_yuan = WanYuanField("意向报价（万元）", description="可不填，表示面议")


class ReplyForm(Form):
    body = TextAreaField("留言", validators=[InputRequired("请填写留言内容"),
                                           Length(max=2000, message="留言不能超过2000个字"), no_control_chars])


class DeclineInquiryForm(Form):
    reason = TextAreaField("婉拒原因（可不填）", validators=[Optional(), Length(max=1000, message="不能超过1000个字"),
                                                     no_control_chars])
