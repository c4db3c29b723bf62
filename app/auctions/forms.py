from wtforms import DateTimeLocalField, IntegerField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from app.auctions.models import MAX_EXTENSION_MINUTES
from app.forms_common import Form, WanYuanField, no_control_chars

_DT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]


class AuctionForm(Form):
    start_price_yuan = WanYuanField("起拍价（万元）", validators=[InputRequired("请填写起拍价")])
    reserve_price_yuan = WanYuanField("保留价（万元）", description="最高出价达到保留价才成交；不填则与起拍价相同。竞买人看不到保留价。")
    increment_yuan = WanYuanField("最小加价幅度（万元）", validators=[InputRequired("请填写最小加价幅度")])
    starts_at = DateTimeLocalField("开始时间（北京时间）", format=_DT_FORMATS,
                                   validators=[InputRequired("请填写开始时间")])
    ends_at = DateTimeLocalField("结束时间（北京时间）", format=_DT_FORMATS, validators=[InputRequired("请填写结束时间")])
    extension_minutes = IntegerField(
        "延时周期（分钟）", default=5,
        validators=[Optional(), NumberRange(0, MAX_EXTENSION_MINUTES, f"延时周期应为0到{MAX_EXTENSION_MINUTES}分钟")],
        description="结束前这么多分钟内有人出价，结束时间顺延到出价时间加这么多分钟；0 表示不延时")
    description = TextAreaField("拍卖说明", validators=[Optional(), Length(max=2000, message="不能超过2000个字"),
                                                       no_control_chars])


class BidForm(Form):
    amount_yuan = WanYuanField("出价（万元）", validators=[InputRequired("请填写出价金额")])


class CancelForm(Form):
    reason = TextAreaField("取消原因", validators=[Optional(), Length(max=1000, message="不能超过1000个字"),
                                                  no_control_chars])
