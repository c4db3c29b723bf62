"""Issue 5 §6/§7 on the real stack: a monthly report requested in the web app is queued on Redis, stays 排队中
while no worker runs, and /jobs/<id> follows it to 已完成 once a worker builds it; then the bureau downloads it."""
import io

import pytest
from openpyxl import load_workbook

from app.extensions import db
from app.jobs.models import Job
from tests.conftest import FreshContextClient, csrf_token, login, make_user
from tests.integration.conftest import wait_for


@pytest.mark.parametrize("stack", [False], indirect=True)
def test_monthly_report_built_by_the_worker_is_followed_and_downloaded(stack, tmp_path):
    app = stack["app"]
    app.test_client_class = FreshContextClient
    reports_dir = tmp_path / "reports"
    app.config["REPORTS_DIR"] = str(reports_dir)
    stack["env"]["REPORTS_DIR"] = str(reports_dir)  # the worker, started below, writes where the app reads
    with app.app_context():
        email = make_user("bureau").email
        db.session.commit()
        db.session.close()
        client = app.test_client()
        login(client, email)
        resp = client.post("/bureau/reports", data={"csrf_token": csrf_token(client, "/bureau/reports"),
                                                    "year": 2026, "month": 1})
        assert resp.status_code == 302
        job_id = int(resp.headers["Location"].rsplit("job=", 1)[1])
        assert client.get(f"/jobs/{job_id}").get_json()["status"] == "queued"  # on Redis, no worker yet
        assert f'data-job-url="/jobs/{job_id}"' in client.get(resp.headers["Location"]).get_data(as_text=True)

        stack["start_worker"]()
        assert wait_for(lambda: client.get(f"/jobs/{job_id}").get_json()["finished"], timeout=60), \
            stack["log"].read_text()[-3000:]
        body = client.get(f"/jobs/{job_id}").get_json()
        assert body["status"] == "done" and body["percent"] == 100, body
        assert "reports.monthly" in stack["log"].read_text()
        with client.get(body["result_url"]) as dl:
            assert dl.status_code == 200
            wb = load_workbook(io.BytesIO(dl.data))
        assert wb["概览"]["A1"].value == "永嘉县技术市场月度报告 · 2026年1月"
        db.session.rollback()
        assert db.session.get(Job, job_id).result_path.startswith("monthly-2026-01-")
