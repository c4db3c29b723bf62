"""Review workflow end to end through the pages, edit of an approved listing, archive instead of delete."""
from sqlalchemy import func, select

from app.extensions import db
from app.listings.models import Need, ReviewEvent
from tests.conftest import csrf_token, login, make_listing, make_user


def _form(**over):
    data = {"title": "注塑件缩痕问题", "description": "儿童玩具外壳注塑后表面出现缩痕，良品率只有八成，希望找到工艺改进方案。",
            "industry_code": "edu_toys", "town_code": "qiaoxia", "budget_yuan": "12.5", "deadline": "2027-03-31",
            "cooperation_mode": "service", "keywords": "注塑，缩痕"}
    data.update(over)
    return data


def test_need_review_workflow_end_to_end(app, client):
    owner = make_user("enterprise")
    bureau = make_user("bureau")
    login(client, owner)
    token = csrf_token(client, "/needs/new")
    resp = client.post("/needs/new", data={**_form(), "csrf_token": token, "submit": "1"})
    assert resp.status_code == 302
    need = db.session.scalar(select(Need).where(Need.title == "注塑件缩痕问题"))
    assert need.status == "pending"
    assert need.budget_yuan == 125_000  # 12.5万元 kept exactly as integer 元
    assert need.keywords == "注塑、缩痕"
    # not public while pending
    anon = app.test_client()
    assert anon.get(f"/needs/{need.id}").status_code == 404
    assert "注塑件缩痕问题" not in anon.get("/needs").get_data(as_text=True)

    # bureau rejects with a reason the owner sees
    bclient = app.test_client()
    login(bclient, bureau)
    assert "注塑件缩痕问题" in bclient.get("/bureau/review").get_data(as_text=True)
    resp = bclient.post(f"/needs/{need.id}/reject", data={"csrf_token": csrf_token(bclient, "/"), "reason": "请补充产品材质"})
    assert resp.status_code == 302
    db.session.refresh(need)
    assert need.status == "rejected"
    page = client.get("/my/listings").get_data(as_text=True)
    assert "请补充产品材质" in page

    # owner fixes and resubmits; bureau approves; now public
    resp = client.post(f"/needs/{need.id}/edit", data={**_form(description="ABS材质儿童玩具外壳注塑后表面出现缩痕，良品率只有八成。"),
                                                       "csrf_token": csrf_token(client, "/"), "submit": "1"})
    assert resp.status_code == 302
    db.session.refresh(need)
    assert need.status == "pending" and need.reject_reason == ""
    bclient.post(f"/needs/{need.id}/approve", data={"csrf_token": csrf_token(bclient, "/")})
    db.session.refresh(need)
    assert need.status == "approved" and need.published_at is not None
    assert anon.get(f"/needs/{need.id}").status_code == 200
    assert "注塑件缩痕问题" in anon.get("/needs").get_data(as_text=True)
    actions = db.session.scalars(select(ReviewEvent.action).where(
        ReviewEvent.listing_kind == "need", ReviewEvent.listing_id == need.id).order_by(ReviewEvent.id)).all()
    assert actions == ["create", "submit", "reject", "edit", "submit", "approve"]


def test_edit_of_approved_listing_waits_for_review_while_old_version_stays_public(app, client):
    owner = make_user("enterprise")
    need = make_listing("need", owner, "approved", title="老标题：阀门内漏")
    login(client, owner)
    resp = client.post(f"/needs/{need.id}/edit", data={**_form(title="新标题：阀门内漏与外漏", industry_code="pump_valve"),
                                                       "csrf_token": csrf_token(client, "/")})
    assert resp.status_code == 302
    db.session.refresh(need)
    assert need.status == "approved" and need.title == "老标题：阀门内漏"
    assert need.revision_status == "pending" and need.revision["title"] == "新标题：阀门内漏与外漏"
    anon = app.test_client()
    public = anon.get(f"/needs/{need.id}").get_data(as_text=True)
    assert "老标题：阀门内漏" in public and "新标题" not in public
    # owner's edit form shows the held revision, not the old text
    assert "新标题：阀门内漏与外漏" in client.get(f"/needs/{need.id}/edit").get_data(as_text=True)

    bclient = app.test_client()
    login(bclient, make_user("bureau"))
    assert "老标题：阀门内漏" in bclient.get("/bureau/review").get_data(as_text=True)
    bclient.post(f"/needs/{need.id}/approve", data={"csrf_token": csrf_token(bclient, "/")})
    db.session.refresh(need)
    assert need.title == "新标题：阀门内漏与外漏" and need.revision is None and need.revision_status is None
    assert "新标题：阀门内漏与外漏" in anon.get(f"/needs/{need.id}").get_data(as_text=True)
    assert need.budget_yuan == 125_000


def test_rejected_revision_keeps_public_version(app, client):
    owner = make_user("university")
    ach = make_listing("achievement", owner, "approved", title="原成果名称")
    login(client, owner)
    data = {"title": "改后的成果名称", "abstract": "采用新工艺改进密封面硬度与耐磨性，寿命提升一倍。", "industry_code": "pump_valve",
            "maturity": "pilot", "transfer_mode": "license", "price_yuan": "", "keywords": "", "leader": "",
            "application": "", "confidential": "", "csrf_token": csrf_token(client, "/")}
    client.post(f"/achievements/{ach.id}/edit", data=data)
    bclient = app.test_client()
    login(bclient, make_user("bureau"))
    bclient.post(f"/achievements/{ach.id}/reject", data={"csrf_token": csrf_token(bclient, "/"), "reason": "名称夸大"})
    db.session.refresh(ach)
    assert ach.status == "approved" and ach.title == "原成果名称"
    assert ach.revision_status == "rejected" and ach.reject_reason == "名称夸大"
    assert app.test_client().get(f"/achievements/{ach.id}").status_code == 200


def test_archive_instead_of_delete(app, client):
    owner = make_user("enterprise")
    need = make_listing("need", owner, "approved")
    login(client, owner)
    before = db.session.scalar(select(func.count()).select_from(Need))
    resp = client.post(f"/needs/{need.id}/archive", data={"csrf_token": csrf_token(client, "/")})
    assert resp.status_code == 302
    db.session.refresh(need)
    assert need.status == "archived" and need.archived_at is not None
    assert db.session.scalar(select(func.count()).select_from(Need)) == before  # still there
    assert app.test_client().get(f"/needs/{need.id}").status_code == 404
    assert client.get(f"/needs/{need.id}").status_code == 200  # owner still sees it
    # an archived listing cannot be edited or archived again
    resp = client.post(f"/needs/{need.id}/edit", data={**_form(), "csrf_token": csrf_token(client, "/")})
    assert resp.status_code == 409 or "已归档" in client.get("/my/listings").get_data(as_text=True)
    db.session.refresh(need)
    assert need.title == "DN50球阀内漏问题攻关"


def test_withdraw_pending_and_approved(client):
    owner = make_user("enterprise")
    pending = make_listing("need", owner, "pending")
    approved = make_listing("need", owner, "approved", title="已发布需求")
    login(client, owner)
    client.post(f"/needs/{pending.id}/withdraw", data={"csrf_token": csrf_token(client, "/")})
    client.post(f"/needs/{approved.id}/withdraw", data={"csrf_token": csrf_token(client, "/")})
    db.session.refresh(pending)
    db.session.refresh(approved)
    assert pending.status == "draft"
    assert approved.status == "withdrawn"


def test_unverified_organization_cannot_go_public(app, client):
    owner = make_user("enterprise", verified=False)
    need = make_listing("need", owner, "pending")
    bureau = make_user("bureau")
    login(client, bureau)
    client.post(f"/needs/{need.id}/approve", data={"csrf_token": csrf_token(client, "/")})
    db.session.refresh(need)
    assert need.status == "pending"
    # after verification the same approval goes through
    client.post(f"/bureau/organizations/{owner.organization_id}/verify", data={"csrf_token": csrf_token(client, "/")})
    client.post(f"/needs/{need.id}/approve", data={"csrf_token": csrf_token(client, "/")})
    db.session.refresh(need)
    assert need.status == "approved"


def test_reject_requires_reason(client):
    need = make_listing("need", status="pending")
    login(client, make_user("bureau"))
    client.post(f"/needs/{need.id}/reject", data={"csrf_token": csrf_token(client, "/"), "reason": "  "})
    db.session.refresh(need)
    assert need.status == "pending"


def test_achievement_with_patents(client):
    owner = make_user("institute")
    login(client, owner)
    token = csrf_token(client, "/achievements/new")
    data = {"title": "鞋底橡胶防滑配方", "abstract": "通过调整丁苯橡胶与白炭黑配比，湿态摩擦系数提升至0.55以上。",
            "industry_code": "fashion", "maturity": "small_pilot", "transfer_mode": "transfer", "price_yuan": "30",
            "keywords": "防滑、摩擦系数", "leader": "陈研究员", "application": "鞋底", "confidential": "硫化温度155℃",
            "csrf_token": token, "submit": "1"}
    resp = client.post("/achievements/new", data=data)
    assert resp.status_code == 302
    ach_url = resp.headers["Location"]
    ach_id = int(ach_url.rstrip("/").split("/")[-1])
    resp = client.post(f"/achievements/{ach_id}/patents", data={
        "csrf_token": csrf_token(client, ach_url), "number": "zl202110123456.7", "title": "一种高防滑鞋底橡胶",
        "patent_type": "invention", "status": "granted", "industrialized": "y"})
    assert resp.status_code == 302
    page = client.get(ach_url).get_data(as_text=True)
    assert "ZL202110123456.7" in page and "已实施" in page
    # the same number twice is refused
    client.post(f"/achievements/{ach_id}/patents", data={
        "csrf_token": csrf_token(client, ach_url), "number": "ZL202110123456.7", "title": "重复",
        "patent_type": "invention", "status": "granted"})
    assert client.get(ach_url).get_data(as_text=True).count("ZL202110123456.7") == 1
