"""Browser journeys across roles (issue 7): the whole path from a factory's problem to a registered contract that
moves the bureau's cockpit; a university listing an achievement with a patent; a rejected listing fixed and
resubmitted. Screenshots go to test-artifacts/screenshots/."""
from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts.models import User
from app.accounts.services import hash_password
from app.brokers.models import BrokerProfile
from app.extensions import db
from app.listings.models import Achievement, Need
from app.listings.services import _search_text
from app.models_base import utcnow
from app.reference import Industry
from tests.browser_fixtures import add_org, shot, sign_in

pytestmark = pytest.mark.e2e
PW = "Journey2026ok"
NEED = "球阀关不严，管道一直滴漏"
ACH = "全程旅程：金属硬密封球阀密封副优化"


@pytest.fixture(scope="module")
def people(live_server):
    """The cast, once for the module: the served app's database lives for the whole run."""
    app, _ = live_server
    with app.app_context():
        def user(email, name, role, o):
            u = User(email=email, name=name, password_hash=hash_password(PW), role=role, organization=o)
            db.session.add(u)
            return u

        ent = add_org("永嘉县全程泵阀有限公司", "enterprise", "91330324MAFULL0001", town_code="oubei",
                      region="浙江省温州市永嘉县")
        uni = add_org("全程理工大学", "university", "12330000FULL00002X", region="浙江省杭州市")
        agency = add_org("全程技术转移中心", "service_agency", "91330324MAFULL0003", region="浙江省温州市永嘉县")
        user("ent@full.cn", "企业 陈厂长", "enterprise", ent)
        owner = user("uni@full.cn", "高校 吴教授", "university", uni)
        broker = user("broker@full.cn", "经纪人 潘工", "broker", agency)
        user("bureau@full.cn", "科技局 林科长", "bureau", add_org("全程科技局", "government", "11330324FULL00004X"))
        db.session.flush()
        ach = Achievement(title=ACH, abstract="采用激光熔覆硬质合金密封面与球体配研工艺，解决高温工况下球阀内漏、滴漏问题，泄漏等级达到ANSI VI级。",
                          industry_code="pump_valve", maturity="pilot", transfer_mode="license", price_yuan=1_200_000,
                          keywords="球阀、密封、泄漏", organization=uni, created_by_id=owner.id, status="approved",
                          published_at=utcnow(), submitted_at=utcnow())
        ach.search_text = _search_text(ach)
        db.session.add(ach)
        p = BrokerProfile(user=broker, user_id=broker.id, organization_id=agency.id, years_experience=8,
                          introduction="泵阀技术转移", status="certified", certificate_no="FULL-001", level="senior",
                          decline_reason="")
        p.industries = [db.session.get(Industry, "pump_valve")]
        db.session.add(p)
        db.session.commit()
    return app


def _login(page, base, email):
    sign_in(page, base, email, PW)


def _cockpit_total(page, base) -> int:
    page.goto(f"{base}/bureau/cockpit?year={date.today().year}")
    return int(page.locator("#ytd-amount").get_attribute("data-yuan"))


def test_from_a_factory_problem_to_a_registered_contract_on_the_cockpit(live_server, page, people):
    app, base = live_server
    csp = []
    page.on("console", lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None)

    _login(page, base, "bureau@full.cn")
    before = _cockpit_total(page, base)

    # 1. the enterprise posts its problem in its own words
    _login(page, base, "ent@full.cn")
    page.goto(f"{base}/needs/new")
    page.get_by_label("需求名称").fill(NEED)
    page.get_by_label("需求描述").fill("车间DN80球阀用了半年就关不严，管道一直滴，高温时漏得更厉害，想找耐高温的密封改进办法。")
    page.get_by_label("产业领域").select_option(label="系统流程装备（泵阀）")
    page.get_by_label("预算（万元）").fill("80")
    page.get_by_role("button", name="保存并提交审核").click()
    expect(page.locator("body")).to_contain_text("已提交，等待科技局审核")
    need_url = page.url

    # 2. the bureau approves it from the review queue
    _login(page, base, "bureau@full.cn")
    page.goto(f"{base}/bureau/review")
    page.locator("tr", has_text=NEED).get_by_role("button", name="通过").click()
    expect(page.locator("body")).to_contain_text("已审核通过")

    # 3. recommended achievements appear, with the words that explain them
    _login(page, base, "ent@full.cn")
    page.goto(need_url)
    box = page.locator(".suggestion", has_text=ACH)
    expect(box).to_contain_text("匹配词")
    shot(page, "journey-need-recommendations")
    box.get_by_role("link", name=ACH).click()

    # 4. the enterprise asks about it; 5. the owner accepts
    page.get_by_role("link", name="我要询价").click()
    page.get_by_label("询价内容").fill("我司想许可使用该密封工艺，能否先做两台样阀？")
    page.get_by_label("意向报价（万元）").fill("90")
    page.get_by_role("button", name="发送询价").click()
    expect(page.locator("body")).to_contain_text("询价已发送")
    inquiry_url = page.url
    _login(page, base, "uni@full.cn")
    page.goto(inquiry_url)
    page.get_by_role("button", name="接受询价").click()
    expect(page.locator("body")).to_contain_text("已接受询价")

    # the enterprise turns the accepted inquiry into a deal; a certified broker takes it on
    _login(page, base, "ent@full.cn")
    page.goto(inquiry_url)
    page.get_by_role("button", name="转为对接项目").click()
    expect(page.locator("body")).to_contain_text("已转为对接项目")
    _login(page, base, "broker@full.cn")
    page.goto(f"{base}/deals?scope=claimable")
    page.get_by_role("link", name=ACH).first.click()
    page.get_by_role("button", name="由我跟进").click()
    page.get_by_role("button", name="进入“洽谈”").click()
    expect(page.locator("body")).to_contain_text("项目已进入“洽谈”阶段")
    deal_id = int(page.url.rstrip("/").split("/")[-1])

    # 6. the broker records the contract
    page.goto(f"{base}/contracts/new?deal_id={deal_id}")
    page.get_by_label("合同类型").select_option("license")
    page.get_by_label("合同金额（万元）").fill("88")
    page.get_by_label("技术交易额（万元）").fill("80")
    page.get_by_label("签订日期").fill(date.today().isoformat())
    page.get_by_role("button", name="提交登记").click()
    expect(page.locator("body")).to_contain_text("合同已录入，等待科技局认定登记")
    shot(page, "journey-contract-recorded")

    # 7. the bureau registers it; 8. the cockpit rises by the contract amount — not before
    _login(page, base, "bureau@full.cn")
    assert _cockpit_total(page, base) == before
    page.goto(f"{base}/bureau/contracts")
    page.locator("tr", has_text="永嘉县全程泵阀有限公司").get_by_role("button", name="登记").click()
    expect(page.locator("body")).to_contain_text("已登记，登记号 330324")
    assert _cockpit_total(page, base) == before + 880_000
    shot(page, "journey-cockpit-after-registration")
    assert csp == []


def test_university_lists_an_achievement_with_a_patent(live_server, page, people):
    app, base = live_server
    _login(page, base, "uni@full.cn")
    page.goto(f"{base}/achievements/new")
    page.get_by_label("成果名称").fill("离心泵叶轮抗汽蚀水力设计")
    page.get_by_label("成果简介").fill("通过优化叶片进口安放角和前盖板型线，降低必需汽蚀余量20%，减少叶轮点蚀与噪声。")
    page.get_by_label("产业领域").select_option(label="系统流程装备（泵阀）")
    page.get_by_label("成熟度").select_option(label="中试")
    page.get_by_label("转化方式").select_option(label="许可")
    page.get_by_label("参考价格（万元）").fill("45")
    page.get_by_role("button", name="保存并提交审核").click()
    expect(page.locator("body")).to_contain_text("已提交，等待科技局审核")
    page.locator("summary", has_text="添加专利").click()
    page.get_by_label("专利号").fill("ZL202210987654.3")
    page.get_by_label("专利名称").fill("一种抗汽蚀离心泵叶轮")
    page.get_by_role("button", name="添加").click()
    expect(page.locator("body")).to_contain_text("专利已添加")
    expect(page.locator("body")).to_contain_text("ZL202210987654.3")
    shot(page, "journey-achievement-with-patent")
    with app.app_context():
        a = db.session.scalar(select(Achievement).where(Achievement.title == "离心泵叶轮抗汽蚀水力设计"))
        assert a.status == "pending" and a.price_yuan == 450_000 and [p.number for p in a.patents] == ["ZL202210987654.3"]


def test_a_rejected_listing_is_fixed_and_resubmitted(live_server, page, people):
    app, base = live_server
    _login(page, base, "ent@full.cn")
    page.goto(f"{base}/needs/new")
    page.get_by_label("需求名称").fill("注塑件缩痕")
    page.get_by_label("需求描述").fill("外壳注塑后表面有缩痕，想改进。")
    page.get_by_label("产业领域").select_option(label="教玩装备")
    page.get_by_role("button", name="保存并提交审核").click()
    need_url = page.url
    _login(page, base, "bureau@full.cn")
    page.goto(f"{base}/bureau/review")
    row = page.locator("tr", has_text="注塑件缩痕")
    row.get_by_placeholder("退回原因").fill("请写明材料、壁厚和目前的良品率")
    row.get_by_role("button", name="退回").click()
    expect(page.locator("body")).to_contain_text("已退回")
    _login(page, base, "ent@full.cn")
    page.goto(need_url)
    expect(page.locator("body")).to_contain_text("请写明材料、壁厚和目前的良品率")
    page.get_by_role("link", name="编辑").click()
    page.get_by_label("需求描述").fill("ABS儿童玩具外壳，壁厚2.5mm，注塑后表面有缩痕，良品率只有82%，希望提高到95%以上。")
    page.get_by_role("button", name="保存并提交审核").click()
    expect(page.locator("body")).to_contain_text("已保存")
    _login(page, base, "bureau@full.cn")
    page.goto(f"{base}/bureau/review")
    page.locator("tr", has_text="注塑件缩痕").get_by_role("button", name="通过").click()
    expect(page.locator("body")).to_contain_text("已审核通过")
    page.context.clear_cookies()
    page.goto(need_url)
    expect(page.locator("body")).to_contain_text("良品率只有82%")
    shot(page, "journey-resubmitted-need-public")
    with app.app_context():
        n = db.session.scalar(select(Need).where(Need.title == "注塑件缩痕"))
        assert n.status == "approved" and n.reject_reason == ""
