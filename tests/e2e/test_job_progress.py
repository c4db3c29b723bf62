"""In a real browser: the progress bar of a long job follows the job's state (static/js/jobs.js polling /jobs/<id>)
under the strict CSP, and the result link appears when it is done."""
import pytest
from playwright.sync_api import expect

from app.accounts.models import User
from app.accounts.services import bureau_organization, hash_password
from app.extensions import db
from app.jobs import services as jobs
from tests.browser_fixtures import shot

pytestmark = pytest.mark.e2e


def test_progress_bar_follows_the_job(live_server, page):
    app, base = live_server
    with app.app_context():
        user = User(email="jobs-e2e@kjj.yj.gov.cn", name="科技局刘科长", password_hash=hash_password("Bureau2026ok"),
                    role="bureau", organization=bureau_organization())
        db.session.add(user)
        db.session.commit()
        job_id = jobs.create("matching.rebuild_all", user).id
    csp_errors = []
    page.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(f"{base}/login")
    page.get_by_label("邮箱").fill("jobs-e2e@kjj.yj.gov.cn")
    page.get_by_label("密码").fill("Bureau2026ok")
    page.get_by_role("button", name="登录").click()
    page.goto(f"{base}/jobs/{job_id}/progress")
    assert page.locator("[data-job-status]").inner_text() == "排队中"

    with app.app_context():
        jobs.started(job_id, total=8)
        jobs.progress(job_id, 4, 8)
    expect(page.locator("[data-job-percent]")).to_have_text("50%")  # polling from Python: the CSP forbids eval
    assert page.locator("progress").evaluate("p => p.value") == 50
    assert page.locator("[data-job-status]").inner_text() == "进行中"
    assert "4/8" in page.locator("[data-job-count]").inner_text()
    shot(page, "job-progress-running")

    with app.app_context():
        jobs.progress(job_id, 8, 8)
        jobs.finished(job_id, message="已重建索引，更新 8 条信息的推荐")
    expect(page.locator("[data-job-status]")).to_have_text("已完成")
    assert page.locator("progress").evaluate("p => p.value") == 100
    link = page.locator("[data-job-result]")
    assert link.is_visible() and link.get_attribute("href") == "/bureau/unsolved-needs"
    assert "更新 8 条信息的推荐" in page.locator("[data-job-message]").inner_text()
    shot(page, "job-progress-done")
    assert csp_errors == []
