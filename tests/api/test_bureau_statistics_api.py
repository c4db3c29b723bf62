"""The bureau's statistics through /api/v1: the cockpit (totals, target, pace, months, breakdowns, flows, series),
the 专栏13 targets and the 附件1 indicators. Figures equal the pages' (the same services, and what the cockpit page
prints), money is exact decimal strings in 元, only the bureau may read them."""
from datetime import date
from decimal import Decimal

import pytest

from app.extensions import db
from app.stats import services as stats
from app.stats.models import Indicator, IndicatorValue, YearlyTarget
from app.targets import services as targets
from app.timeutil import local_today
from tests.api.conftest import bearer, is_problem, token_for
from tests.conftest import login, make_listing, make_org, make_user
from tests.stats.factories import make_contract
from tests.transaction_factories import make_broker

ENDPOINTS = ["/api/v1/statistics/cockpit", "/api/v1/statistics/targets", "/api/v1/statistics/indicators"]


def yuan(v: int) -> str:
    return f"{v}.00"


@pytest.fixture
def market():
    ach = make_listing("achievement", industry_code="fashion")
    uni = make_org("university", industry_code="electrical")
    outside = make_org("enterprise", town_code=None, industry_code="digital")
    make_contract(50_000_000, 40_000_000, counted_on=date(2026, 2, 10), achievement=ach)
    make_contract(20_000_000, counted_on=date(2026, 5, 20), ctype="transfer", seller=uni, seller_in_county=True)
    make_contract(4_000_000, counted_on=date(2026, 5, 21), buyer=outside, buyer_in_county=False, seller=uni,
                  seller_in_county=True)
    make_contract(7_000_000, counted_on=date(2025, 5, 20))
    make_contract(99_000_000, status="submitted")  # not registered: never counted
    db.session.add(YearlyTarget(year=2026, contract_volume_yuan=1_500_000_000, note="2026年目标"))
    stats.recompute_contract_stats(commit=False)
    return make_user("bureau")


def test_cockpit_equals_the_service_and_the_page(app, client, market):
    resp = client.get("/api/v1/statistics/cockpit?year=2026", headers=bearer(token_for(market)))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    api = resp.get_json()
    c = stats.cockpit(2026, local_today())
    assert api["year"] == 2026
    assert api["totals"] == {"count": 3, "contract_amount_yuan": yuan(74_000_000), "tech_amount_yuan": yuan(64_000_000)}
    assert api["totals"]["contract_amount_yuan"] == yuan(stats.registered_volume_direct(2026))
    assert (api["target_yuan"], api["target_note"]) == (yuan(c["target"]), c["target_note"]) == (
        "1500000000.00", "2026年目标")
    p = c["pace"]
    assert api["pace"] == {"projection_yuan": yuan(p["projection"]), "remaining_yuan": yuan(p["remaining"]),
                           "months_left": p["months_left"], "monthly_needed_yuan": yuan(p["monthly_needed"]),
                           "on_track": p["on_track"], "percent": pytest.approx(p["percent"])}
    assert [(m["month"], m["count"], m["contract_amount_yuan"]) for m in api["months"]] == [
        (m["key"], m["count"], yuan(m["amount"])) for m in c["months"]]
    names = {"industry": "industry_code", "town": "town_code", "contract_type": "contract_type",
             "seller_kind": "seller_kind", "source": "source"}
    for wire, dim in names.items():
        assert api["breakdowns"][wire] == [
            {"key": str(r["key"]), "label": r["label"], "count": r["count"], "contract_amount_yuan": yuan(r["amount"]),
             "tech_amount_yuan": yuan(r["tech"])} for r in c["breakdowns"][dim]], wire
    fashion = next(r for r in api["breakdowns"]["industry"] if r["key"] == "fashion")
    assert fashion["contract_amount_yuan"] == "50000000.00" and fashion["label"]
    assert {f["key"]: f["contract_amount_yuan"] for f in api["flows"]} == {
        "absorbed": yuan(70_000_000), "supplied": yuan(24_000_000)}
    assert [(s["year"], s["amount_yuan"], s["source"]) for s in api["series"]] == [
        (s["year"], yuan(s["amount"]), s["source"]) for s in c["series"]]
    assert (2025, yuan(7_000_000), "已登记合同") in [(s["year"], s["amount_yuan"], s["source"]) for s in api["series"]]
    # the cockpit page prints the same total (in 万元)
    page = app.test_client()
    login(page, market)
    assert "7400万元" in page.get("/bureau/cockpit?year=2026").get_data(as_text=True)


def test_cockpit_defaults_to_this_year_and_refuses_bad_years(client, market):
    h = bearer(token_for(market))
    assert client.get("/api/v1/statistics/cockpit", headers=h).get_json()["year"] == local_today().year
    for bad in ("2014", "2101", "abc", "2026.5"):
        problem = is_problem(client.get(f"/api/v1/statistics/cockpit?year={bad}", headers=h), 422)
        assert "year" in problem["errors"]


def test_targets_equal_progress(client, market):
    make_broker(trained=True)
    resp = client.get("/api/v1/statistics/targets?year=2026", headers=bearer(token_for(market)))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    api = resp.get_json()
    rows = targets.progress(2026)
    assert (api["year"], api["contract_count"], api["tech_amount_yuan"]) == (2026, 3, yuan(64_000_000))
    assert [t["key"] for t in api["targets"]] == list(targets.TARGETS)
    for got, want in zip(api["targets"], rows, strict=True):
        fmt = yuan if want["unit"] == "元" else str
        assert (got["name"], got["unit"], got["goal"], got["current"], got["done"]) == (
            want["name"], want["unit"], fmt(want["goal"]), fmt(want["current"]), want["done"])
        assert got["percent"] == pytest.approx(want["percent"])
    assert api["targets"][0]["goal"] == "2000000000.00" and api["targets"][0]["current"] == yuan(74_000_000)
    assert next(t for t in api["targets"] if t["key"] == "trained_brokers")["current"] == str(
        targets.trained_broker_count())


def test_indicators_equal_the_table_with_exact_decimals(client, market):
    ind = db.session.query(Indicator).order_by(Indicator.sort_order).first()
    db.session.add(IndicatorValue(indicator_code=ind.code, year=2022, value=Decimal("3.125"), note="统计公报"))
    db.session.flush()
    resp = client.get("/api/v1/statistics/indicators", headers=bearer(token_for(market)))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    api = resp.get_json()
    years = list(range(2021, local_today().year + 1))
    assert api["years"] == years
    table = stats.indicator_table(years)
    assert [r["code"] for r in api["indicators"]] == [r["indicator"].code for r in table]
    row = api["indicators"][0]
    assert row["code"] == ind.code
    assert {"year": 2022, "value": "3.125", "note": "统计公报"} in row["values"]
    assert row["latest"] == {"year": 2022, "value": "3.125", "note": "统计公报"}
    if ind.target_2025 is not None:
        assert Decimal(row["gap"]) == ind.target_2025 - Decimal("3.125")
        assert Decimal(row["target_2025"]) == ind.target_2025
    for r in api["indicators"]:
        for key in ("value_2015", "value_2019", "value_2020", "target_2025", "gap"):
            assert r[key] is None or isinstance(r[key], str)


@pytest.mark.parametrize("role", ["enterprise", "university", "institute", "service_agency", "broker"])
def test_only_the_bureau_reads_them(client, role):
    user = make_broker() if role == "broker" else make_user(role)
    h = bearer(token_for(user))
    for url in ENDPOINTS:
        is_problem(client.get(url, headers=h), 403)
        is_problem(client.get(url), 401)
    admin = bearer(token_for(make_user("admin")))
    assert all(client.get(url, headers=admin).status_code == 200 for url in ENDPOINTS)
