"""Fields with the API's conventions: money as exact decimal strings in 元, timestamps in ISO 8601 with offset."""
import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

import marshmallow as ma

from app.listings.models import MAX_MONEY_YUAN

MONEY_PATTERN = r"^[0-9]{1,11}(\.[0-9]{1,2})?$"


class Money(ma.fields.String):
    """Integer 元 in the database; "125000.00" on the wire (two decimals, never a float).

    Input: "125000", "125000.0" or "125000.00"; amounts are kept to the whole 元, so a non-zero fraction is refused.
    """

    def __init__(self, **kw):
        # the pattern is checked in _deserialize (validators would see the int); metadata puts it in the document
        meta = {"example": "125000.00", "pattern": MONEY_PATTERN, "description": "金额（元），精确小数字符串，两位小数"}
        meta.update(kw.pop("metadata", {}))
        super().__init__(metadata=meta, **kw)

    def _serialize(self, value, attr, obj, **kw):
        if value is None:
            return None
        return f"{int(value)}.00"

    def _deserialize(self, value, attr, data, **kw):
        text = super()._deserialize(value, attr, data, **kw)
        if not re.fullmatch(MONEY_PATTERN, text):
            raise ma.ValidationError('金额须为以元为单位的数字字符串，例如 "125000.00"')
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise ma.ValidationError("金额格式不正确") from None
        if amount != amount.to_integral_value():
            raise ma.ValidationError("金额以元为单位，不能有角分")
        if amount > MAX_MONEY_YUAN:
            raise ma.ValidationError("金额超出合理范围（不超过100亿元）")
        return int(amount)


class UtcDateTime(ma.fields.DateTime):
    """Stored in UTC; SQLite hands back naive values, which are UTC too. Always written with its offset."""

    def _serialize(self, value, attr, obj, **kw):
        if value is None:
            return None
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat()
