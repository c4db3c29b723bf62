"""The monthly report: the workbook holds the cockpit's figures for the month, the job moves queued → running →
done, the file is written atomically, and only the bureau builds and downloads reports."""
import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.errors import ValidationError
from app.extensions import db
from app.jobs import services as jobs
from app.jobs.models import Job
from app.reports import services as reports
from app.stats import brokers as broker_kpis
from app.stats import services as stats
from app.timeutil import local_today
from tests.conftest import csrf_token, login, make_listing, make_user
from tests.stats.factories import make_contract
from tests.transaction_factories import make_broker

TODAY = date(2026, 4, 2)


@pytest.fixture(autouse=True)
def reports_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "REPORTS_DIR", str(tmp_path / "reports"))
    return tmp_path / "reports"


@pytest.fixture
def data():
    """2026: February 1 contract, March 2 (one fashion), July 1; 2025: 1. A broker credited with March's 800万."""
    broker = make_broker()
    fashion = make_listing("achievement", industry_code="fashion")
    make_contract(10_000_000, counted_on=date(2026, 2, 3))
    c = make_contract(8_000_000, 6_000_000, counted_on=date(2026, 3, 5), ctype="transfer")
    c.broker_id = broker.id
    make_contract(2_500_000, counted_on=date(2026, 3, 28), achievement=fashion)
    make_contract(40_000_000, counted_on=date(2026, 7, 1))
    make_contract(3_000_000, counted_on=date(2025, 3, 9))
    make_contract(99_000_000, counted_on=date(2026, 3, 9), status="submitted")  # never counted
    db.session.flush()
    stats.recompute_contract_stats()
    broker_kpis.recompute_broker_stats()
    return {"broker": broker}


def _sheet(wb, name) -> dict:
    """A two-column sheet as {first cell: second cell}."""
    return {r[0]: r[1] for r in wb[name].iter_rows(values_only=True) if r and r[0] is not None}


def test_workbook_holds_the_cockpit_figures_of_the_month(app, client, data, reports_dir):
    path = reports.build_monthly_report(2026, 3, today=TODAY)
    assert path.parent == reports_dir and path.is_file()
    assert [p.name for p in reports_dir.iterdir()] == [path.name]  # no temporary file left behind
    wb = load_workbook(path)
    assert wb.sheetnames == ["概览", "按月", "分类统计", "专栏13目标", "经纪人排行", "供需与对接"]
    o = _sheet(wb, "概览")
    assert o["本月登记技术合同（份）"] == 2
    assert o["本月合同成交额（元）"] == 10_500_000
    assert o["本月技术交易额（元）"] == 8_500_000
    assert o["年初至本月末合同成交额（元）"] == 20_500_000  # February + March, not July
    assert o["年度目标（元）"] == 2_000_000_000
    assert o["目标完成率（%）"] == round(20_500_000 * 100 / 2_000_000_000, 2)

    # the same figures as the bureau's pages
    c = stats.cockpit(2026, TODAY)
    assert [list(r[1:]) for r in wb["按月"].iter_rows(min_row=3, values_only=True)] == [
        [m["count"], m["amount"], m["tech"]] for m in c["months"]]
    login(client, make_user("bureau"))
    page = client.get("/bureau/cockpit/contracts?year=2026&month=3").get_data(as_text=True)
    assert 'id="drill-count">2<' in page and "1050万元" in page
    cockpit_page = client.get("/bureau/cockpit?year=2026").get_data(as_text=True)
    assert "6050万元" in cockpit_page  # the year's total there; the report's year-to-date stops at March

    rows = list(wb["分类统计"].iter_rows(min_row=3, values_only=True))
    fashion = next(r for r in rows if r[0] == "产业" and r[1] == stats.LABELS["industry_code"]["fashion"])
    assert fashion[2:5] == (1, 2_500_000, 2_500_000)
    month_fashion = stats.totals(stats.Drill(year=2026, month=3, industry_code="fashion"))
    assert fashion[3] == month_fashion["amount"]
    for dim in reports.DIMENSIONS.values():  # every breakdown adds up to the month's and the year-to-date total
        mine = [r for r in rows if r[0] == dim]
        assert sum(r[3] for r in mine) == 10_500_000 and sum(r[6] for r in mine) == 20_500_000, dim

    board = list(wb["经纪人排行"].iter_rows(min_row=3, max_row=3, values_only=True))[0]
    assert board[1] == data["broker"].name and board[8] == 8_000_000
    assert any("得分公式" == r[0] for r in wb["经纪人排行"].iter_rows(values_only=True) if r)
    targets = {r[0]: r for r in wb["专栏13目标"].iter_rows(min_row=3, values_only=True)}
    assert targets["技术合同成交额（2026年）"][1] == 60_500_000 and targets["技术合同成交额（2026年）"][2] == 2_000_000_000


def test_month_activity(data):
    from datetime import UTC, datetime
    n = make_listing("need")
    n.published_at = datetime(2026, 2, 28, 17, 0, tzinfo=UTC)  # 1 March 01:00 in Beijing: March
    old = make_listing("need")
    old.published_at = datetime(2026, 2, 28, 15, 0, tzinfo=UTC)  # 28 February 23:00 in Beijing: not March
    db.session.flush()
    act = dict(reports.activity(2026, 3))
    assert act["本月新发布技术需求（项）"] == 1


def test_job_moves_from_queued_to_running_to_done(app, data, monkeypatch):
    seen = []
    real = jobs._update

    def spy(job_id, **values):
        real(job_id, **values)
        job = db.session.get(Job, job_id)
        seen.append((job.status, job.progress, job.total))

    monkeypatch.setattr(jobs, "_update", spy)
    job = jobs.create(reports.KIND, make_user("bureau"), year=2026, month=3)
    assert job.status == "queued" and job.percent == 0
    reports.build_monthly_report(2026, 3, job_id=job.id, today=TODAY)
    statuses = [s for s, _, _ in seen]
    assert statuses[0] == "running" and statuses[-1] == "done"
    assert set(statuses[:-1]) == {"running"}
    running = [p for s, p, _ in seen if s == "running"]
    assert running == sorted(running) and running[0] == 0 and running[-1] == len(reports.STEPS) - 1
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert job.percent == 100 and job.result_path == f"monthly-2026-03-{job.id}.xlsx" and job.finished_at


def test_bureau_builds_a_report_from_the_page_follows_it_and_downloads_it(app, client, data):
    bureau = make_user("bureau")
    login(client, bureau)
    html = client.get("/bureau/reports").get_data(as_text=True)
    assert "生成报表" in html and "js/jobs.js" in html
    resp = client.post("/bureau/reports", data={"csrf_token": csrf_token(client, "/bureau/reports"),
                                                "year": 2026, "month": 3})
    assert resp.status_code == 302
    job_id = int(re.search(r"job=(\d+)", resp.headers["Location"]).group(1))
    status = client.get(f"/jobs/{job_id}", headers={"Accept": "application/json"}).get_json()
    assert status["status"] == "done" and status["percent"] == 100 and status["finished"]
    assert status["result_url"] == f"/bureau/reports/{job_id}/download"
    listing = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "2026年3月" in listing and f"/bureau/reports/{job_id}/download" in listing
    with client.get(status["result_url"]) as dl:
        assert dl.status_code == 200 and "attachment" in dl.headers["Content-Disposition"]
        wb = load_workbook(io.BytesIO(dl.data))
    assert _sheet(wb, "概览")["本月合同成交额（元）"] == 10_500_000


def test_a_running_job_shows_a_progress_bar_that_polls(app, client):
    bureau = make_user("bureau")
    job = jobs.create(reports.KIND, bureau, year=2026, month=3)
    jobs.started(job.id, total=6)
    jobs.progress(job.id, 3, 6)
    login(client, bureau)
    html = client.get("/bureau/reports").get_data(as_text=True)
    assert f'data-job-url="/jobs/{job.id}"' in html and 'value="50"' in html
    assert client.get(f"/jobs/{job.id}").get_json()["percent"] == 50


def test_future_months_and_bad_input_are_refused(app, client):
    login(client, make_user("bureau"))
    token = csrf_token(client, "/bureau/reports")
    before = db.session.scalars(select(Job.id).where(Job.kind == reports.KIND)).all()
    today = local_today()  # the bureau's month (Beijing), not the machine's
    if today.month < 12:
        resp = client.post("/bureau/reports", data={"csrf_token": token, "year": today.year, "month": today.month + 1})
        assert resp.status_code == 200 and "只能生成2021年1月至本月的报表" in resp.get_data(as_text=True)
    else:  # next month is next year, which the form does not offer
        resp = client.post("/bureau/reports", data={"csrf_token": token, "year": today.year + 1, "month": 1})
        assert resp.status_code == 200
    with pytest.raises(ValidationError, match="只能生成2021年1月至本月的报表"):
        reports.check_month(2026, 12, today=date(2026, 11, 30))
    reports.check_month(2026, 12, today=date(2026, 12, 1))  # the month has begun in Beijing
    assert client.post("/bureau/reports", data={"csrf_token": token, "year": 1999, "month": 1}).status_code == 200
    assert db.session.scalars(select(Job.id).where(Job.kind == reports.KIND)).all() == before


def test_beat_run_builds_last_month_and_a_failure_is_written_on_the_job(app, monkeypatch):
    from tasks import dispatch
    dispatch("reports.monthly")
    job = db.session.scalar(select(Job).where(Job.kind == reports.KIND).order_by(Job.id.desc()))
    year, month = reports.previous_month()
    assert job.status == "done" and job.created_by_id is None
    assert job.result_path == f"monthly-{year}-{month:02d}-{job.id}.xlsx"

    def boom(*a, **k):
        raise RuntimeError("磁盘已满")
    monkeypatch.setattr(reports, "activity", boom)
    job = jobs.create(reports.KIND, None, year=year, month=month)
    dispatch("reports.monthly", year, month, job.id)
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert job.status == "failed" and "RuntimeError" in job.message and not job.result_path


@pytest.mark.parametrize("role", ["broker", "enterprise", "university"])
def test_only_the_bureau_reaches_reports_and_downloads(app, client, data, role):
    job = jobs.create(reports.KIND, make_user("bureau"), year=2026, month=3)
    reports.build_monthly_report(2026, 3, job_id=job.id, today=TODAY)
    user = make_broker() if role == "broker" else make_user(role)
    login(client, user)
    assert client.get("/bureau/reports").status_code == 403
    assert client.get(f"/bureau/reports/{job.id}/download").status_code == 403
    assert client.get(f"/jobs/{job.id}").status_code == 403  # not the creator, not the bureau


def test_download_serves_only_report_files(app, client, reports_dir):
    login(client, make_user("bureau"))
    job = jobs.create(reports.KIND, None, year=2026, month=3)
    jobs.finished(job.id, result_path="../../config.py")  # a path that is not a report file name
    assert client.get(f"/bureau/reports/{job.id}/download").status_code == 404
    other = jobs.create("stats.recompute", None)
    jobs.finished(other.id)
    assert client.get(f"/bureau/reports/{other.id}/download").status_code == 404
    assert client.get("/bureau/reports/999999/download").status_code == 404
