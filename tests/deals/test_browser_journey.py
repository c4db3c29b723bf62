"""In a real browser: an enterprise asks about an achievement, the owner accepts (the enterprise now sees the
confidential part), the inquiry becomes a deal, the bureau assigns the suggested broker, the broker takes it to 签约
with a note and a follow-up date; the parties get notifications. Screenshots in test-artifacts/screenshots/."""
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts.models import User
from app.accounts.services import hash_password
from app.brokers.models import BrokerProfile
from app.deals.models import Deal
from app.extensions import db
from app.listings.models import Achievement
from app.listings.services import _search_text
from app.models_base import utcnow
from app.reference import Industry
from tests.browser_fixtures import add_org, shot, sign_in

pytestmark = pytest.mark.e2e
PW = "Journey2026ok"
SECRET = "阀座堆焊层硬度HRC58-机密"


@pytest.fixture
def cast(live_server):
    app, _ = live_server
    with app.app_context():
        def user(email, name, role, o):
            u = User(email=email, name=name, password_hash=hash_password(PW), role=role, organization=o)
            db.session.add(u)
            return u

        ent = add_org("永嘉县瓯北阀门旅程有限公司", "enterprise", "91330324MAJRNY0001", town_code="oubei")
        uni = add_org("旅程理工大学", "university", "12330000JRNY00002X", contact_person="冯老师",
                      contact_phone="0577-88990011")
        agency = add_org("旅程技术转移中心", "service_agency", "91330324MAJRNY0003")
        user("ent@journey.cn", "企业 王总", "enterprise", ent)
        owner = user("uni@journey.cn", "高校 林老师", "university", uni)
        broker = user("broker@journey.cn", "经纪人 陈工", "broker", agency)
        user("bureau@journey.cn", "科技局 赵科长", "bureau", add_org("旅程科技局", "government", "11330324JRNY00004X"))
        db.session.flush()
        ach = Achievement(title="旅程硬密封蝶阀阀座堆焊技术", abstract="采用等离子堆焊在阀座表面形成耐磨层，寿命提高三倍。",
                          industry_code="pump_valve", maturity="pilot", transfer_mode="license", price_yuan=800_000,
                          keywords="蝶阀、堆焊", confidential=SECRET, organization=uni, created_by_id=owner.id,
                          status="approved", published_at=utcnow(), submitted_at=utcnow())
        ach.search_text = _search_text(ach)
        db.session.add(ach)
        p = BrokerProfile(user=broker, user_id=broker.id, organization_id=agency.id, years_experience=6,
                          introduction="泵阀行业技术转移", status="certified", certificate_no="JRNY-001",
                          level="senior", decline_reason="")
        p.industries = [db.session.get(Industry, "pump_valve")]
        db.session.add(p)
        db.session.commit()
        return ach.id


def _login(page, base, email):
    sign_in(page, base, email, PW)


def test_inquiry_to_deal_in_the_browser(live_server, page, cast):
    app, base = live_server
    ach_id = cast
    csp_errors = []
    page.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)

    _login(page, base, "ent@journey.cn")
    page.goto(f"{base}/achievements/{ach_id}")
    assert SECRET not in page.content()
    page.get_by_role("link", name="我要询价").click()
    page.get_by_label("询价内容").fill("我司年产蝶阀两万台，想许可使用该堆焊工艺，可否先试制样件？")
    page.get_by_label("意向报价（万元）").fill("-3")
    page.get_by_role("button", name="发送询价").click()
    expect(page.locator("body")).to_contain_text("金额不能为负数")
    page.get_by_label("意向报价（万元）").fill("60")
    page.get_by_role("button", name="发送询价").click()
    assert "询价已发送" in page.content() and "60万元" in page.content()
    shot(page, "inquiry-sent")

    _login(page, base, "uni@journey.cn")
    assert page.locator(".unread-badge").inner_text() == "1"
    page.get_by_role("link", name="消息").click()
    page.get_by_role("button", name="查看").first.click()
    page.get_by_label("留言").fill("可以试制，请提供工况参数。")
    page.get_by_role("button", name="发送留言").click()
    page.get_by_role("button", name="接受询价").click()
    expect(page.locator("body")).to_contain_text("已接受询价")
    _login(page, base, "ent@journey.cn")
    page.get_by_role("link", name="消息").click()
    page.get_by_role("button", name="查看").first.click()
    content = page.content()
    assert SECRET in content and "0577-88990011" in content and "可以试制" in content
    shot(page, "inquiry-accepted")
    page.get_by_role("button", name="申请技术经纪人").click()
    page.get_by_role("button", name="转为对接项目").click()
    expect(page.locator("body")).to_contain_text("已转为对接项目")
    _login(page, base, "bureau@journey.cn")
    page.goto(f"{base}/deals?broker=0")
    page.get_by_role("link", name="旅程硬密封蝶阀阀座堆焊技术").click()
    expect(page.locator("body")).to_contain_text("擅长该领域")
    page.locator(".suggestions").get_by_role("button", name="指派").first.click()
    expect(page.locator("body")).to_contain_text("已指派经纪人")
    _login(page, base, "broker@journey.cn")
    page.goto(f"{base}/deals")
    page.get_by_role("link", name="旅程硬密封蝶阀阀座堆焊技术").click()
    page.get_by_role("button", name="进入“洽谈”").click()
    expect(page.locator("body")).to_contain_text("项目已进入“洽谈”阶段")
    follow = (date.today() + timedelta(days=5)).isoformat()
    page.get_by_label("下次跟进日期").fill(follow)
    page.get_by_role("button", name="设定").click()
    page.get_by_placeholder("如：已电话沟通").fill("双方约定下周到企业车间试制")
    page.get_by_role("button", name="保存记录").click()
    page.get_by_role("button", name="进入“签约”").click()
    content = page.content()
    assert "项目已进入“签约”阶段" in content and "双方约定下周到企业车间试制" in content and follow in content
    assert SECRET not in content
    shot(page, "deal-signed")
    page.goto(f"{base}/broker/profile")
    expect(page.locator("body")).to_contain_text("旅程硬密封蝶阀阀座堆焊技术")
    with app.app_context():
        deal = db.session.scalars(select(Deal).where(Deal.achievement_id == ach_id)).one()
        assert deal.stage == "signed" and deal.broker.email == "broker@journey.cn"
        assert [e.kind for e in deal.events] == ["open", "assign", "stage", "follow_up", "note", "stage"]
    _login(page, base, "ent@journey.cn")
    assert int(page.locator(".unread-badge").inner_text()) >= 3  # reply, accepted, broker, stage changes
    assert csp_errors == []
