import re

from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import Email, EqualTo, InputRequired, Length, Optional, Regexp, ValidationError

from app.forms_common import Form

CREDIT_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


def password_rules(form, field):
    pw = field.data or ""
    if len(pw) < 8 or not re.search(r"[A-Za-z]", pw) or not re.search(r"\d", pw):
        raise ValidationError("密码至少8位，且须同时包含字母和数字")


class LoginForm(Form):
    email = EmailField("邮箱", validators=[InputRequired("请输入邮箱"), Length(max=120)])
    password = PasswordField("密码", validators=[InputRequired("请输入密码"), Length(max=128)])
    remember = BooleanField("记住我")


class RegisterForm(Form):
    org_kind = SelectField("单位类型", choices=[("enterprise", "企业"), ("university", "高校"), ("institute", "科研院所")],
                           validators=[InputRequired("请选择单位类型")])
    org_name = StringField("单位名称", validators=[InputRequired("请填写单位名称"), Length(2, 100, "单位名称应为2到100个字")])
    credit_code = StringField("统一社会信用代码", validators=[InputRequired("请填写统一社会信用代码")])
    town_code = SelectField("所在街道/乡镇", validators=[Optional()])
    region = StringField("所在地区", default="浙江省温州市永嘉县", validators=[InputRequired("请填写所在地区"), Length(max=100)])
    industry_code = SelectField("主要产业领域", validators=[Optional()])
    name = StringField("联系人姓名", validators=[InputRequired("请填写姓名"), Length(max=50, message="姓名不能超过50个字")])
    phone = StringField("联系电话", validators=[Optional(), Length(max=30), Regexp(r"^[0-9+\- ]{5,30}$", message="电话号码格式不正确")])
    email = EmailField("邮箱（登录名）", validators=[InputRequired("请填写邮箱"), Email("邮箱格式不正确", check_deliverability=False), Length(max=120)])
    password = PasswordField("密码", validators=[InputRequired("请设置密码"), password_rules])
    password2 = PasswordField("确认密码", validators=[EqualTo("password", "两次输入的密码不一致")])
    description = TextAreaField("单位简介", validators=[Optional(), Length(max=2000, message="简介不能超过2000个字")])

    def validate_credit_code(self, field):
        field.data = (field.data or "").strip().upper()
        if not CREDIT_CODE.match(field.data):
            raise ValidationError("统一社会信用代码应为18位数字或大写字母")


class PasswordChangeForm(Form):
    current = PasswordField("当前密码", validators=[InputRequired("请输入当前密码")])
    password = PasswordField("新密码", validators=[InputRequired("请输入新密码"), password_rules])
    password2 = PasswordField("确认新密码", validators=[EqualTo("password", "两次输入的密码不一致")])
