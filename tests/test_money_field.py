"""Amounts typed in 万元 are kept exactly as integer 元 and shown back unchanged in the edit form."""
import pytest
from werkzeug.datastructures import MultiDict

from app.forms_common import Form, WanYuanField


class MoneyForm(Form):
    class Meta:
        csrf = False

    amount = WanYuanField("金额")


@pytest.mark.parametrize(("typed", "yuan", "shown"), [
    ("120", 1_200_000, "120"), ("100", 1_000_000, "100"), ("12.5", 125_000, "12.5"), ("0.0001", 1, "0.0001"),
    ("1,000", 10_000_000, "1000"), ("0", 0, "0"), ("", None, ""), ("3.10", 31_000, "3.1"),
])
def test_round_trip(app, typed, yuan, shown):
    with app.test_request_context():
        form = MoneyForm(formdata=MultiDict({"amount": typed}))
        assert form.validate()
        assert form.amount.data == yuan
        assert MoneyForm(formdata=None, data={"amount": yuan}).amount._value() == shown
