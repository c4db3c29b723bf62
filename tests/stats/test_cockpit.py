"""The bureau's cockpit reads the summary table; every figure equals the registered contracts behind it."""
import io
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.contracts.models import Contract
from app.extensions import db
from app.stats import services
from app.stats.models import YearlyTarget
from tests.conftest import login, make_listing, make_org, make_user
from tests.stats.factories import make_contract


@pytest.fixture
def bureau_client(app, client):
    login(client, make_user("bureau"))
    return client


def test_only_registered_contracts_count_and_recompute_is_idempotent():
    make_contract(30_000_000)
    make_contract(12_345_678, 10_000_000, counted_on=date(2026, 7, 1), ctype="transfer")
    make_contract(99_000_000, status="submitted")  # recorded, not registered: never counted
    first = services.recompute_contract_stats()
    t1 = services.totals(services.Drill(year=2026))
    assert t1 == {"count": 2, "amount": 42_345_678, "tech": 40_000_000}
    assert services.recompute_contract_stats() == first
    assert services.totals(services.Drill(year=2026)) == t1


def test_cockpit_page_figures_drill_down_to_their_contracts(bureau_client):
    ach = make_listing("achievement", industry_code="fashion")
    make_contract(50_000_000, counted_on=date(2026, 2, 10), achievement=ach)
    make_contract(20_000_000, counted_on=date(2026, 5, 20))
    make_contract(7_000_000, counted_on=date(2025, 5, 20))
    services.recompute_contract_stats()
    html = bureau_client.get("/bureau/cockpit?year=2026").get_data(as_text=True)
    assert "7000万元" in html  # 5000万 + 2000万, shown in 万元
    # the fashion figure links to exactly the fashion contract
    drill = bureau_client.get("/bureau/cockpit/contracts?year=2026&industry_code=fashion").get_data(as_text=True)
    assert "5000万元" in drill and 'id="drill-count">1<' in drill
    month = bureau_client.get("/bureau/cockpit/contracts?year=2026&month=5").get_data(as_text=True)
    assert 'id="drill-count">1<' in month and "2000万元" in month


def test_drill_down_equals_summary_for_every_breakdown():
    uni = make_org("university", industry_code="electrical")
    inst = make_org("institute", industry_code="materials")
    outside_buyer = make_org("enterprise", town_code=None, industry_code="digital")
    make_contract(1_000_000, seller=uni, seller_in_county=True)
    make_contract(2_000_000, seller=inst, ctype="consulting", counted_on=date(2026, 9, 9))
    make_contract(4_000_000, buyer=outside_buyer, buyer_in_county=False, seller=uni, seller_in_county=True)
    services.recompute_contract_stats()
    c = services.cockpit(2026, date(2026, 11, 30))
    for dim, rows in c["breakdowns"].items():
        for r in rows:
            d = services.Drill(year=2026, **{dim: r["key"]})
            assert services.drill_totals(d) == {"count": r["count"], "amount": r["amount"], "tech": r["tech"]}, (dim, r)
    for f in c["flows"]:
        assert services.drill_totals(services.Drill(year=2026, flow=f["key"]))["amount"] == f["amount"]
    assert {f["key"]: f["amount"] for f in c["flows"]} == {"absorbed": 3_000_000, "supplied": 5_000_000}


def test_target_pace_and_projection():
    p = services.pace(ytd=900_000_000, target=2_000_000_000, today=date(2026, 7, 1), year=2026)
    assert p["months_left"] == 6 and p["remaining"] == 1_100_000_000
    assert p["monthly_needed"] == 183_333_333
    assert p["projection"] == 900_000_000 * 365 // 182  # 182nd day of the year
    assert not p["on_track"] and round(p["percent"]) == 45
    past = services.pace(ytd=2_100_000_000, target=2_000_000_000, today=date(2027, 1, 5), year=2026)
    assert past["months_left"] == 0 and past["on_track"] and past["projection"] == 2_100_000_000


def test_targets_come_from_the_plan_and_the_bureau(bureau_client):
    assert services.target_for(2025)[0] == 2_000_000_000  # 专栏13, seeded by the migration
    amount, note = services.target_for(2026)
    assert amount == 2_000_000_000 and "沿用2025年" in note
    from tests.conftest import csrf_token
    bureau_client.post("/bureau/yearly-targets", data={"csrf_token": csrf_token(bureau_client, "/bureau/yearly-targets"),
                                                       "year": "2026", "contract_volume_yuan": "250000", "note": "年度计划"})
    assert db.session.get(YearlyTarget, 2026).contract_volume_yuan == 2_500_000_000
    resp = bureau_client.post("/bureau/yearly-targets", data={
        "csrf_token": csrf_token(bureau_client, "/bureau/yearly-targets"), "year": "2027", "contract_volume_yuan": "-5"})
    assert "金额不能为负数" in resp.get_data(as_text=True) and db.session.get(YearlyTarget, 2027) is None


def test_year_series_starts_from_the_plan_baseline():
    make_contract(300_000_000, counted_on=date(2024, 6, 1))
    services.recompute_contract_stats()
    series = {s["year"]: s for s in services.year_series(2026)}
    assert series[2015]["amount"] == 71_000_000 and series[2019]["amount"] == 595_000_000
    assert series[2020]["amount"] == 1_000_000_000 and series[2020]["source"] == "规划预计数"
    assert series[2024]["amount"] == 300_000_000 and series[2026]["amount"] == 0


def test_excel_export_holds_the_page_figures(bureau_client):
    make_contract(12_000_000, counted_on=date(2026, 4, 1))
    make_contract(3_456_789, counted_on=date(2026, 4, 2), ctype="service")
    services.recompute_contract_stats()
    resp = bureau_client.get("/bureau/cockpit/export.xlsx?year=2026")
    assert resp.status_code == 200
    wb = load_workbook(io.BytesIO(resp.data))
    overview = list(wb["总览"].iter_rows(min_row=2, values_only=True))[0]
    assert overview[1] == 2 and overview[2] == 15_456_789
    april = [r for r in wb["按月"].iter_rows(min_row=2, values_only=True) if r[0] == 4][0]
    assert april[2] == 15_456_789
    by_type = {r[0]: r[2] for r in wb["按合同类型"].iter_rows(min_row=2, values_only=True)}
    assert by_type["技术服务"] == 3_456_789
    resp = bureau_client.get("/bureau/cockpit/contracts?year=2026&format=xlsx")
    wb = load_workbook(io.BytesIO(resp.data))
    amounts = [r[7] for r in wb["已登记技术合同"].iter_rows(min_row=2, values_only=True)]
    assert sorted(amounts) == [3_456_789, 12_000_000]


def test_cockpit_is_for_the_bureau_only(app, client):
    for role in ("enterprise", "university", "broker"):
        c = app.test_client()
        login(c, make_user(role))
        assert c.get("/bureau/cockpit").status_code == 403
        assert c.get("/bureau/cockpit/contracts?year=2026").status_code == 403
    assert app.test_client().get("/bureau/cockpit").status_code == 302


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(1, 10**9), st.integers(0, 100), st.integers(2021, 2026), st.integers(1, 12),
                          st.sampled_from(["development", "transfer", "license", "consulting", "service"]),
                          st.sampled_from(["registered", "submitted", "returned"])), max_size=12))
def test_totals_equal_a_direct_sum_for_random_contracts(rows):
    """Property: whatever the contracts, the cockpit's totals equal a direct SQL sum over registered contracts."""
    with db.session.begin_nested() as sp:
        buyer, seller, rec = make_org("enterprise"), make_org("university"), make_user("bureau")
        for amount, pct, year, month, ctype, status in rows:
            if status == "returned":
                status = "submitted"  # a returned contract needs a reason; for totals it is the same as submitted
            make_contract(amount, max(1, amount * pct // 100), counted_on=date(year, month, 1), ctype=ctype,
                          status=status, buyer=buyer, seller=seller, recorder=rec)
        services.recompute_contract_stats(commit=False)  # stay inside this example's savepoint
        for year in range(2021, 2027):
            direct_year = services.registered_volume_direct(year)
            assert services.totals(services.Drill(year=year))["amount"] == direct_year
            c = services.cockpit(year, date(2026, 12, 31))  # the page reads the rollup
            assert c["totals"]["amount"] == sum(m["amount"] for m in c["months"]) == direct_year
            for dim, rows in c["breakdowns"].items():
                assert sum(r["amount"] for r in rows) == direct_year, dim
        direct = db.session.scalar(select(func.count()).select_from(Contract).where(Contract.status == "registered"))
        assert services.totals(services.Drill())["count"] == direct
        sp.rollback()



def test_an_export_over_the_limit_asks_to_narrow_it(bureau_client, monkeypatch):
    from app.stats import exports
    make_contract(1_000_000, counted_on=date(2026, 4, 1))
    make_contract(2_000_000, counted_on=date(2026, 5, 1))
    monkeypatch.setattr(exports, "MAX_EXPORT_ROWS", 1)
    resp = bureau_client.get("/bureau/cockpit/contracts?year=2026&format=xlsx", follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "超过单次导出上限1份" in html and 'id="drill-count">2<' in html
    one_month = bureau_client.get("/bureau/cockpit/contracts?year=2026&month=4&format=xlsx")
    rows = list(load_workbook(io.BytesIO(one_month.data))["已登记技术合同"].iter_rows(min_row=2, values_only=True))
    assert [r[7] for r in rows] == [1_000_000] and rows[0][2] == "技术开发"


def test_drill_down_pages_its_contracts_by_the_counted_total(bureau_client):
    for i in range(51):
        make_contract(1_000_000 + i, counted_on=date(2026, 6, 1))
    first = bureau_client.get("/bureau/cockpit/contracts?year=2026").get_data(as_text=True)
    assert 'id="drill-count">51<' in first and "page=2" in first
    second = bureau_client.get("/bureau/cockpit/contracts?year=2026&page=2").get_data(as_text=True)
    assert second.count('href="/contracts/') == 1
