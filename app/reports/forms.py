from wtforms import SelectField

from app.forms_common import Form


class MonthlyReportForm(Form):
    year = SelectField("年份", coerce=int)
    month = SelectField("月份", coerce=int, choices=[(m, f"{m}月") for m in range(1, 13)])

    def __init__(self, *args, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        from app.reports.services import FIRST_YEAR
        self.year.choices = [(y, f"{y}年") for y in range(today.year, FIRST_YEAR - 1, -1)]
