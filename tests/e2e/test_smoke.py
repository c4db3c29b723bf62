"""Smoke journey in a real browser: log in, post a need, see it in the own-listings area."""
import pytest
from playwright.sync_api import expect

from app.accounts.models import Organization, User
from app.accounts.services import hash_password
from app.extensions import db
from app.models_base import utcnow
from tests.browser_fixtures import shot

pytestmark = pytest.mark.e2e


@pytest.fixture
def enterprise_user(live_server):
    app, _ = live_server
    with app.app_context():
        org = Organization(name="永嘉县瓯江泵业有限公司", kind="enterprise", credit_code="91330324MA2E2E0001",
                           town_code="oubei", industry_code="pump_valve", verified_at=utcnow())
        user = User(email="e2e@oujiang.cn", name="王厂长", password_hash=hash_password("Pump2026ok"),
                    role="enterprise", organization=org)
        db.session.add_all([org, user])
        db.session.commit()
    return "e2e@oujiang.cn", "Pump2026ok"


def test_login_post_need_and_see_it(live_server, page, enterprise_user):
    _, base = live_server
    email, password = enterprise_user
    csp_errors = []
    page.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(f"{base}/login")
    page.get_by_label("邮箱").fill(email)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/my/listings")
    expect(page.locator("body")).to_contain_text("我的发布")
    page.get_by_role("button", name="我的工作").click()  # the navigation's dropdown
    page.locator("#nav").get_by_role("link", name="发布技术需求").click()
    page.get_by_label("需求名称").fill("离心泵汽蚀噪声大")
    page.get_by_label("需求描述").fill("车间IS80-65-160离心泵运行时噪声大、振动明显，叶轮三个月就出现麻点，希望找到抗汽蚀改进方案。")
    page.get_by_label("产业领域").select_option(label="系统流程装备（泵阀）")
    page.get_by_label("预算（万元）").fill("30")
    page.get_by_label("关键词").fill("汽蚀、叶轮、噪声")
    shot(page, "need-form")
    page.get_by_role("button", name="保存并提交审核").click()
    expect(page.locator("body")).to_contain_text("已提交，等待科技局审核")
    expect(page.locator("body")).to_contain_text("30万元")
    page.get_by_role("button", name="我的工作").click()
    page.locator("#nav").get_by_role("link", name="我的发布").click()
    row = page.get_by_role("row", name="离心泵汽蚀噪声大")
    assert row.count() == 1
    assert "待审核" in row.inner_text()
    shot(page, "my-listings")
    assert csp_errors == []  # layout and scripts work under the strict CSP
