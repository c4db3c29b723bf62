"""Registered contracts made directly (the contracts domain's own tests cover recording and registration)."""
from datetime import date
from itertools import count

from app.contracts.models import Contract
from app.extensions import db
from tests.conftest import make_org, make_user

_seq = count(1)


def make_contract(amount: int, tech: int | None = None, *, counted_on=date(2026, 3, 15), ctype="development",
                  status="registered", buyer=None, seller=None, buyer_in_county=True, seller_in_county=False,
                  achievement=None, deal=None, recorder=None):
    n = next(_seq)
    buyer = buyer or make_org("enterprise", town_code="oubei", industry_code="pump_valve")
    seller = seller or make_org("university", town_code=None, industry_code="pump_valve")
    recorder = recorder or make_user("bureau")
    c = Contract(title=f"技术开发合同{n}", contract_type=ctype, buyer_org_id=buyer.id, buyer_name=buyer.name,
                 buyer_region="浙江省温州市永嘉县" if buyer_in_county else "浙江省杭州市", buyer_in_county=buyer_in_county,
                 seller_org_id=seller.id, seller_name=seller.name, seller_region="浙江省杭州市",
                 seller_in_county=seller_in_county, contract_amount_yuan=amount, tech_amount_yuan=tech or amount,
                 signed_on=counted_on, status=status, recorded_by_id=recorder.id,
                 achievement_id=achievement.id if achievement else None, deal_id=deal.id if deal else None,
                 version=1)
    if status in ("registered", "superseded"):
        c.registration_number = f"330324{counted_on.year}{n:05d}"
        c.registered_on = counted_on
        c.counted_on = counted_on
    db.session.add(c)
    db.session.flush()
    return c
