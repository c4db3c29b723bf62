"""Form pieces shared by domains: money in 万元 stored as integer 元, choices from reference tables."""
from decimal import Decimal, InvalidOperation

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import ValidationError

from app.listings.models import MAX_MONEY_YUAN


class Form(FlaskForm):
    """Base of every form: WTForms' built-in messages in Chinese (its own zh catalogue; WTF_I18N_ENABLED=False)."""

    class Meta:
        locales = ["zh"]


class ActionForm(Form):
    """A button that changes state: carries only the CSRF token."""


class WanYuanField(StringField):
    """Amount typed in 万元 (e.g. 12.5), kept exactly as integer 元 in .data; empty = 面议 (None)."""

    def process_formdata(self, valuelist):
        self.data = None
        self.raw = (valuelist[0] if valuelist else "").strip().replace(",", "").replace("，", "")
        if not self.raw:
            return
        try:
            wan = Decimal(self.raw)
        except InvalidOperation:
            raise ValueError("请输入数字金额（单位：万元）") from None
        if not wan.is_finite():
            raise ValueError("请输入数字金额（单位：万元）")
        yuan = wan * 10_000
        if yuan != yuan.to_integral_value():
            raise ValueError("金额最多精确到元（万元后最多4位小数）")
        if yuan < 0:
            raise ValueError("金额不能为负数")
        if yuan > MAX_MONEY_YUAN:
            raise ValueError("金额超出合理范围（不超过100亿元）")
        self.data = int(yuan)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        text = format(Decimal(self.data) / 10_000, "f")
        # drop trailing zeros of the fraction only: 1,200,000元 is "120", not "12"
        return text.rstrip("0").rstrip(".") if "." in text else text


def no_control_chars(form, field):
    if field.data and any(ord(c) < 32 and c not in "\r\n\t" for c in field.data):
        raise ValidationError("包含不允许的控制字符")
