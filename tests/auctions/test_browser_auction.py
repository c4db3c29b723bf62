"""In a real browser: an owner schedules an auction, two enterprises bid (the other bidder's page refreshes without
reload), the closing task sells it, the winner records the contract from the deal, the bureau registers it and the
专栏13 figure moves only then. Screenshots in test-artifacts/screenshots/."""
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts.models import User
from app.accounts.services import hash_password
from app.auctions import services
from app.auctions.models import Auction
from app.contracts.models import Contract
from app.extensions import db
from app.listings.models import Achievement
from app.listings.services import _search_text
from app.models_base import utcnow
from app.timeutil import local_today, to_local
from tests.browser_fixtures import add_org, shot, sign_in

pytestmark = pytest.mark.e2e
PW = "Auction2026ok"
TITLE = "拍卖旅程：智能电动执行机构控制算法"


@pytest.fixture
def cast(live_server):
    app, _ = live_server
    with app.app_context():
        def org(*args, **kw):  # this cast works in electrical equipment
            return add_org(*args, industry_code="electrical", **kw)

        def user(email, name, role, o):
            db.session.add(User(email=email, name=name, password_hash=hash_password(PW), role=role, organization=o))

        uni = org("拍卖旅程大学", "university", "12330000AUCT00001X", region="浙江省杭州市")
        user("uni@auction.cn", "高校 孙老师", "university", uni)
        user("a@auction.cn", "甲企业 周总", "enterprise",
             org("永嘉县甲电气拍卖有限公司", "enterprise", "91330324MAAUCT0002", town_code="oubei"))
        user("b@auction.cn", "乙企业 吴总", "enterprise",
             org("永嘉县乙阀门拍卖有限公司", "enterprise", "91330324MAAUCT0003", town_code="qiaotou"))
        user("bureau@auction.cn", "科技局 郑科长", "bureau", org("拍卖旅程科技局", "government", "11330324AUCT00004X"))
        db.session.flush()
        owner = db.session.scalar(select(User).where(User.email == "uni@auction.cn"))
        ach = Achievement(title=TITLE, abstract="基于模型预测控制的电动执行机构定位算法，定位精度0.1%。",
                          industry_code="electrical", maturity="pilot", transfer_mode="transfer", price_yuan=800_000,
                          keywords="执行机构、控制算法", organization=uni, created_by_id=owner.id, status="approved",
                          published_at=utcnow(), submitted_at=utcnow())
        ach.search_text = _search_text(ach)
        db.session.add(ach)
        db.session.commit()
        return ach.id


def _login(pg, base, email):
    sign_in(pg, base, email, PW)


def _bid(pg, wan):
    pg.get_by_label("出价（万元）").fill(wan)
    pg.get_by_role("button", name="确认出价").click()
    pg.wait_for_load_state()
    return pg.content()


def test_auction_to_registered_contract_in_the_browser(live_server, browser, page, cast):
    app, base = live_server
    problems = []
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)

    # the owner schedules the auction of its approved achievement, starting now
    _login(page, base, "uni@auction.cn")
    page.goto(f"{base}/auctions")
    page.get_by_role("button", name="发起拍卖").click()
    assert "发起竞价拍卖" in page.content() and TITLE in page.content()
    now = to_local(utcnow())
    page.get_by_label("起拍价（万元）").fill("50")
    page.get_by_label("最小加价幅度（万元）").fill("5")
    page.get_by_label("保留价（万元）").fill("60")
    page.get_by_label("开始时间（北京时间）").fill(now.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("结束时间（北京时间）").fill((now + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="发布拍卖").click()
    expect(page.locator("body")).to_contain_text("拍卖已发布，竞价已开始")
    auction_url = page.url

    # bidder A watches the page; bidder B bids in another browser
    watcher_ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    watcher = watcher_ctx.new_page()
    watcher.set_default_timeout(15_000)
    watcher.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    _login(watcher, base, "a@auction.cn")
    watcher.goto(auction_url)
    price = watcher.locator('[data-field="current_price_text"]')
    assert price.inner_text() == "暂无出价"

    _login(page, base, "b@auction.cn")
    page.goto(auction_url)
    assert "出价不能低于起拍价50万元" in _bid(page, "40")
    assert "出价成功" in _bid(page, "50")
    # A's page shows the new price and count without a reload (polled /state)
    expect(watcher.locator('[data-field="current_price_text"]')).to_have_text("50万元", timeout=10_000)
    assert watcher.locator('[data-field="bid_count"]').inner_text() == "1"
    shot(watcher, "auction-live-update")
    assert "即至少55万元" in _bid(watcher, "52")
    assert "出价成功" in _bid(watcher, "55")
    expect(page.locator('[data-field="current_price_text"]')).to_have_text("55万元", timeout=10_000)
    assert "出价成功" in _bid(page, "60")
    expect(watcher.locator('[data-field="current_price_text"]')).to_have_text("60万元", timeout=10_000)
    assert watcher.locator('[data-field="bid_count"]').inner_text() == "3"

    # time passes; the periodic task closes it (twice, as a retried task would)
    with app.app_context():
        auction = db.session.scalar(select(Auction).join(Achievement).where(Achievement.title == TITLE))
        auction.ends_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
        assert services.close_due_auctions()["sold"] == 1
        db.session.commit()
        assert services.close_due_auctions()["sold"] == 0
        db.session.commit()
        auction_id, deal_id = auction.id, auction.deal_id
        assert deal_id is not None

    watcher.reload()
    assert "已成交" in watcher.content()
    page.reload()
    content = page.content()
    assert "已成交" in content and "查看对接项目" in content
    shot(page, "auction-sold")
    assert int(page.locator(".unread-badge").inner_text()) >= 1  # outbid, then won

    # the winner records the contract from the deal
    page.goto(f"{base}/contracts/new?deal_id={deal_id}")
    page.get_by_label("合同类型").select_option("transfer")
    page.get_by_label("合同金额（万元）").fill("60")
    page.get_by_label("技术交易额（万元）").fill("80")
    page.get_by_label("签订日期").fill(local_today().isoformat())
    page.get_by_role("button", name="提交登记").click()
    expect(page.locator("body")).to_contain_text("技术交易额不能大于合同金额")
    page.get_by_label("技术交易额（万元）").fill("60")
    page.get_by_role("button", name="提交登记").click()
    expect(page.locator("body")).to_contain_text("合同已录入，等待科技局认定登记")
    assert "县内" in page.content() and "县外" in page.content()  # county buyer, out-of-county seller

    # the bureau: the target does not move until it registers
    _login(page, base, "bureau@auction.cn")
    page.goto(f"{base}/bureau/targets")
    before = int(page.locator("#target-contract_amount [data-target-current]").get_attribute("data-target-current"))
    page.goto(f"{base}/bureau/contracts")
    row = page.locator("tr", has_text=TITLE)
    row.get_by_role("button", name="登记").click()
    expect(page.locator("body")).to_contain_text("已登记，登记号 330324")
    page.goto(f"{base}/bureau/targets")
    after = int(page.locator("#target-contract_amount [data-target-current]").get_attribute("data-target-current"))
    assert after - before == 600_000
    shot(page, "targets-after-registration")

    with app.app_context():
        c = db.session.scalar(select(Contract).where(Contract.deal_id == deal_id))
        assert c.status == "registered" and c.contract_amount_yuan == 600_000
        from app.deals.models import Deal
        assert db.session.get(Deal, deal_id).stage == "registered"
        assert db.session.get(Auction, auction_id).status == "closed_sold"
    watcher_ctx.close()
    assert problems == []
