"""A small market for contract tests: a county enterprise buys from an out-of-county university through a broker."""
from datetime import timedelta

import pytest

from app.contracts.models import Contract
from app.extensions import db
from app.timeutil import local_today
from tests.conftest import make_listing, make_org, make_user
from tests.transaction_factories import make_broker, make_deal

SIGNED = (local_today() - timedelta(days=10)).isoformat()


@pytest.fixture
def world():
    buyer = make_user("enterprise")  # 瓯北街道, 永嘉县
    seller_org = make_org("university", region="浙江省杭州市", name="浙江某工业大学")
    seller = make_user("university", org=seller_org)
    ach = make_listing("achievement", seller, "approved")
    broker = make_broker()
    w = {
        "buyer": buyer, "seller": seller, "broker": broker, "achievement": ach,
        "other_broker": make_broker(),
        "outsider": make_user("enterprise"),
        "bureau": make_user("bureau"),
        "admin": make_user("admin"),
    }
    w["deal"] = make_deal("negotiating", broker=broker, buyer=buyer.organization, seller=seller_org, achievement=ach)
    return w


def form(w, **over) -> dict:
    """The contract form as a browser posts it (money in 万元)."""
    data = {"title": "金属硬密封球阀技术转让合同", "contract_type": "transfer",
            "buyer_org_id": str(w["buyer"].organization_id), "buyer_name": "", "buyer_credit_code": "", "buyer_region": "",
            "seller_org_id": str(w["seller"].organization_id), "seller_name": "", "seller_credit_code": "",
            "seller_region": "", "contract_amount_yuan": "120", "tech_amount_yuan": "100", "signed_on": SIGNED,
            "deal_id": "", "achievement_id": str(w["achievement"].id), "patent_numbers": "", "broker_id": ""}
    data.update(over)
    return data


def service_data(w, **over) -> dict:
    """The same as the service receives it (typed values, money in 元)."""
    data = {"title": "金属硬密封球阀技术转让合同", "contract_type": "transfer",
            "buyer_org_id": w["buyer"].organization_id, "seller_org_id": w["seller"].organization_id,
            "contract_amount_yuan": 1_200_000, "tech_amount_yuan": 1_000_000,
            "signed_on": local_today() - timedelta(days=10), "achievement_id": w["achievement"].id}
    data.update(over)
    return data


def make_contract(w, recorder=None, **over) -> Contract:
    from app.contracts import services
    c = services.record(recorder or w["buyer"], service_data(w, **over))
    db.session.flush()
    return c
