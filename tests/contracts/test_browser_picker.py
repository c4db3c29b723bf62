"""In a real browser: the contract form's pickers (static/js/picker.js). Typing in the achievement box shows
suggestions from the lookup; choosing one (by mouse or keyboard) fills the hidden id the form posts, and the
contract is saved with it. (The 1,000-row market is in test_contract_pickers.py; the browser shares one served
database with the other browser tests, so only a few rows here, in words no journey searches for.)"""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts.models import User
from app.accounts.services import hash_password
from app.contracts.models import Contract
from app.extensions import db
from app.listings.models import Achievement
from app.listings.services import _search_text
from app.models_base import utcnow
from app.timeutil import local_today
from tests.browser_fixtures import add_org, shot, sign_in

pytestmark = pytest.mark.e2e
PW = "Picker2026ok"
TITLE = "选择器旅程：电液联动执行器"


@pytest.fixture(scope="module")
def cast(live_server):
    app, _ = live_server
    with app.app_context():
        ent = add_org("永嘉县选择器阀门有限公司", "enterprise", "91330324MAPICK0001", town_code="oubei")
        uni = add_org("选择器理工大学", "university", "12330000PICK00002X", region="浙江省杭州市")
        db.session.add(User(email="ent@picker.cn", name="企业 何经理", password_hash=hash_password(PW),
                            role="enterprise", organization=ent))
        owner = User(email="uni@picker.cn", name="高校 许老师", password_hash=hash_password(PW), role="university",
                     organization=uni)
        db.session.add(owner)
        db.session.flush()
        rows = []
        for i, title in enumerate([f"选择器旅程：电液联动样机{i}" for i in range(5)] + [TITLE]):
            a = Achievement(title=title, abstract="选择器旅程的测试成果。", industry_code="pump_valve",
                            maturity="pilot", transfer_mode="transfer", price_yuan=100_000 + i, keywords="选择器",
                            organization=uni, created_by_id=owner.id, status="approved", published_at=utcnow(),
                            submitted_at=utcnow())
            a.search_text = _search_text(a)
            rows.append(a)
        db.session.add_all(rows)
        db.session.commit()
        return {"achievement": rows[-1].id, "uni": uni.id, "ent": ent.id}


def _login(page, base, email):
    sign_in(page, base, email, PW)


def test_typing_in_the_picker_and_choosing_a_suggestion_fills_the_id(live_server, page, cast):
    app, base = live_server
    csp = []
    page.on("console", lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None)
    _login(page, base, "ent@picker.cn")
    page.goto(f"{base}/contracts/new")
    page.get_by_label("合同名称").fill("电液联动执行器技术转让合同")
    page.get_by_label("合同类型").select_option("transfer")

    # the parties: the buyer chosen with the keyboard, the seller with the mouse
    buyer = page.get_by_label("买方（受让方/委托方）单位")
    buyer.press_sequentially("选择器阀门")
    expect(page.locator("#buyer_org_id-list [role=option]")).to_have_count(1)
    buyer.press("ArrowDown")
    buyer.press("Enter")
    expect(buyer).to_have_value("永嘉县选择器阀门有限公司（企业）")
    expect(page.locator("#buyer_org_id-value")).to_have_value(str(cast["ent"]))
    page.get_by_label("卖方（让与方/受托方）单位").press_sequentially("选择器理工")
    page.locator("#seller_org_id-list [role=option]", has_text="选择器理工大学").click()
    expect(page.locator("#seller_org_id-value")).to_have_value(str(cast["uni"]))

    page.get_by_label("合同金额（万元）").fill("66")
    page.get_by_label("技术交易额（万元）").fill("60")
    page.get_by_label("签订日期").fill(local_today().isoformat())

    # the achievement: a keyword, then the suggestion
    box = page.get_by_label("关联科技成果")
    box.press_sequentially("电液联动")
    option = page.locator("#achievement_id-list [role=option]", has_text=TITLE)
    expect(page.locator("#achievement_id-list [role=option]")).to_have_count(6)
    expect(option).to_be_visible()
    shot(page, "contract-achievement-picker")
    option.click()
    expect(box).to_have_value(f"{TITLE}（选择器理工大学）")
    expect(page.locator("#achievement_id-value")).to_have_value(str(cast["achievement"]))
    expect(page.locator("#achievement_id-list")).to_be_hidden()
    # typing again forgets the choice until a suggestion is chosen (or the server resolves the text)
    box.press("End")
    box.press_sequentially("x")
    expect(page.locator("#achievement_id-value")).to_have_value("")
    box.press("Backspace")
    expect(page.locator("#achievement_id-value")).to_have_value(str(cast["achievement"]))

    page.get_by_role("button", name="提交登记").click()
    expect(page.locator("body")).to_contain_text("合同已录入，等待科技局认定登记")
    with app.app_context():
        c = db.session.scalar(select(Contract).where(Contract.title == "电液联动执行器技术转让合同"))
        assert (c.achievement_id, c.buyer_org_id, c.seller_org_id) == (cast["achievement"], cast["ent"], cast["uni"])

    # the edit page shows the labels of the saved choices, rendered by the server
    page.goto(f"{base}/contracts/{c.id}/edit")
    expect(page.get_by_label("关联科技成果")).to_have_value(f"{TITLE}（选择器理工大学）")
    expect(page.get_by_label("卖方（让与方/受托方）单位")).to_have_value("选择器理工大学（高校）")
    assert csp == []
