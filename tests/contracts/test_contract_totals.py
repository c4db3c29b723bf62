"""Totals come only from registered contracts (the current registered version of each), by registration date.
They change only when the bureau registers; each registration counts once; a correction replaces, never adds."""
from datetime import date

import pytest

from app.contracts import services
from app.contracts.services import contract_totals
from app.errors import InvalidTransition
from app.extensions import db
from tests.conftest import csrf_token, login, make_org
from tests.contracts.conftest import form, make_contract


def _reg(w, c, day):
    services.register(w["bureau"], c, today=day)
    db.session.flush()
    return c


def test_only_registered_contracts_count(world):
    assert contract_totals()["count"] == 0
    submitted = make_contract(world, title="待登记")
    returned = make_contract(world, title="被退回")
    services.return_(world["bureau"], returned, "缺附件")
    t = contract_totals()
    assert (t["count"], t["contract_amount_yuan"], t["tech_amount_yuan"]) == (0, 0, 0)
    _reg(world, submitted, date(2025, 4, 3))
    t = contract_totals()
    assert (t["count"], t["contract_amount_yuan"], t["tech_amount_yuan"]) == (1, 1_200_000, 1_000_000)


def test_each_registration_counts_once(world):
    c = _reg(world, make_contract(world), date(2025, 4, 3))
    with pytest.raises(InvalidTransition, match="该合同已登记"):
        services.register(world["bureau"], c, today=date(2025, 4, 4))
    t = contract_totals(2025)
    assert t["count"] == 1 and t["contract_amount_yuan"] == 1_200_000


def test_a_correction_replaces_the_amounts_only_once_registered_and_keeps_the_year(world):
    c = _reg(world, make_contract(world), date(2025, 12, 20))
    new = services.correct(world["buyer"], c, {**_data(world), "contract_amount_yuan": 2_000_000,
                                               "tech_amount_yuan": 1_500_000}, "补充协议")
    db.session.flush()
    # pending correction: the registered version still counts, alone
    t = contract_totals(2025)
    assert (t["count"], t["contract_amount_yuan"]) == (1, 1_200_000)
    _reg(world, new, date(2026, 1, 5))  # registered in the next year
    t25, t26, all_ = contract_totals(2025), contract_totals(2026), contract_totals()
    assert (t25["count"], t25["contract_amount_yuan"], t25["tech_amount_yuan"]) == (1, 2_000_000, 1_500_000)
    assert t26["count"] == 0 and t26["contract_amount_yuan"] == 0
    assert all_["count"] == 1 and all_["contract_amount_yuan"] == 2_000_000
    assert t25["by_month"]["2025-12"]["contract_amount_yuan"] == 2_000_000
    # a returned correction changes nothing
    third = services.correct(world["buyer"], new, {**_data(world), "contract_amount_yuan": 9_000_000,
                                                   "tech_amount_yuan": 1}, "再次更正")
    services.return_(world["bureau"], third, "依据不足")
    assert contract_totals()["contract_amount_yuan"] == 2_000_000


def _data(w):
    from tests.contracts.conftest import service_data
    return service_data(w)


def test_breakdowns_by_type_month_and_county_flow(world):
    county_uni = make_org("institute", name="永嘉县泵阀研究院")  # region defaults to 永嘉县
    outside_buyer = make_org("enterprise", region="江苏省苏州市", town_code=None, name="苏州某阀门公司")
    _reg(world, make_contract(world, contract_type="transfer"), date(2025, 1, 15))
    _reg(world, make_contract(world, contract_type="development", contract_amount_yuan=3_000_000,
                              tech_amount_yuan=2_000_000), date(2025, 1, 31))
    _reg(world, make_contract(world, recorder=world["broker"], contract_type="service", buyer_org_id=outside_buyer.id,
                              seller_org_id=county_uni.id, contract_amount_yuan=500_000, tech_amount_yuan=500_000),
         date(2025, 7, 1))
    _reg(world, make_contract(world, contract_type="license"), date(2024, 11, 11))  # another year
    t = contract_totals(2025)
    assert t["year"] == 2025
    assert (t["count"], t["contract_amount_yuan"], t["tech_amount_yuan"]) == (3, 4_700_000, 3_500_000)
    assert t["by_type"]["transfer"] == {"label": "技术转让", "count": 1, "contract_amount_yuan": 1_200_000,
                                        "tech_amount_yuan": 1_000_000}
    assert t["by_type"]["development"]["contract_amount_yuan"] == 3_000_000
    assert t["by_type"]["license"]["count"] == 0 and t["by_type"]["consulting"]["count"] == 0
    assert list(t["by_month"]) == [f"2025-{m:02d}" for m in range(1, 13)]
    assert t["by_month"]["2025-01"]["count"] == 2 and t["by_month"]["2025-01"]["contract_amount_yuan"] == 4_200_000
    assert t["by_month"]["2025-07"]["tech_amount_yuan"] == 500_000 and t["by_month"]["2025-02"]["count"] == 0
    # absorbed: buyer in the county; supplied: seller in the county
    assert t["absorbed"]["count"] == 2 and t["absorbed"]["contract_amount_yuan"] == 4_200_000
    assert t["supplied"]["count"] == 1 and t["supplied"]["contract_amount_yuan"] == 500_000
    everything = contract_totals()
    assert everything["count"] == 4 and set(everything["by_month"]) == {"2024-11", "2025-01", "2025-07"}
    # money stays integer 元, exact
    assert all(isinstance(v, int) for v in (everything["contract_amount_yuan"], everything["tech_amount_yuan"]))


def test_totals_change_only_when_the_bureau_registers_through_the_pages(app, world):
    recorder, bureau = app.test_client(), app.test_client()
    login(recorder, world["buyer"])
    login(bureau, world["bureau"])
    recorder.post("/contracts/new", data={**form(world, contract_amount_yuan="250.5", tech_amount_yuan="200"),
                                          "csrf_token": csrf_token(recorder, "/contracts/new")})
    assert contract_totals()["count"] == 0
    page = bureau.get("/bureau/contracts").get_data(as_text=True)
    assert "金属硬密封球阀技术转让合同" in page
    from sqlalchemy import select

    from app.contracts.models import Contract
    c = db.session.scalar(select(Contract))
    bureau.post(f"/contracts/{c.id}/return", data={"reason": "缺盖章页", "csrf_token": csrf_token(bureau, "/login")})
    assert contract_totals()["count"] == 0
    recorder.post(f"/contracts/{c.id}/edit", data={**form(world, contract_amount_yuan="250.5", tech_amount_yuan="200"),
                                                   "csrf_token": csrf_token(recorder, "/login")})
    assert contract_totals()["count"] == 0
    bureau.post(f"/contracts/{c.id}/register", data={"csrf_token": csrf_token(bureau, "/login"), "from": "queue"})
    t = contract_totals()
    assert (t["count"], t["contract_amount_yuan"], t["tech_amount_yuan"]) == (1, 2_505_000, 2_000_000)
    # the queue page shows the figures of the year, not typed in anywhere
    page = bureau.get("/bureau/contracts").get_data(as_text=True)
    assert "250.5万元" in page and "没有待登记的合同" in page


def test_totals_summed_in_the_database_equal_the_contracts_added_up_one_by_one():
    """contract_totals groups in SQL; the figures must be those of adding every registered contract in Python."""
    import random

    from sqlalchemy import select

    from app.contracts.models import Contract
    from tests.stats.factories import make_contract as make_registered
    rnd = random.Random(7)
    for _ in range(40):
        make_registered(rnd.randrange(1, 3_000_000_000), counted_on=date(rnd.choice([2024, 2025]), rnd.randint(1, 12),
                                                                        rnd.randint(1, 28)),
                        ctype=rnd.choice(["development", "transfer", "consulting", "service"]),
                        status=rnd.choice(["registered", "registered", "submitted"]),
                        buyer_in_county=rnd.random() < 0.5, seller_in_county=rnd.random() < 0.5)
    rows = db.session.scalars(select(Contract).where(Contract.status == "registered")).all()
    for year in (2024, 2025, None):
        mine = [r for r in rows if year is None or r.counted_on.year == year]
        t = contract_totals(year)
        assert (t["count"], t["contract_amount_yuan"], t["tech_amount_yuan"]) == (
            len(mine), sum(r.contract_amount_yuan for r in mine), sum(r.tech_amount_yuan for r in mine))
        for r in mine:
            key = f"{r.counted_on.year}-{r.counted_on.month:02d}"
            assert t["by_month"][key]["count"] == sum(1 for x in mine if x.counted_on.strftime("%Y-%m") == key)
        assert t["absorbed"]["contract_amount_yuan"] == sum(r.contract_amount_yuan for r in mine if r.buyer_in_county)
        assert t["supplied"]["tech_amount_yuan"] == sum(r.tech_amount_yuan for r in mine if r.seller_in_county)
        for code in ("development", "transfer"):
            assert t["by_type"][code]["contract_amount_yuan"] == sum(
                r.contract_amount_yuan for r in mine if r.contract_type == code)
