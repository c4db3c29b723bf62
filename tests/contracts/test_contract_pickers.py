"""The contract form's pickers on a real-size market: the JSON lookups (who may ask, what they find, % and _ typed
as plain characters, at most 20 rows), the form posting ids beyond what a select could hold, the labels rendered by
the server, a typed text resolved without JavaScript, and bogus or unpublished ids refused with nothing saved."""
import re

import pytest
from sqlalchemy import func, select

from app.accounts.models import Organization
from app.contracts import lookup, services
from app.contracts.models import Contract
from app.extensions import db
from app.listings.models import Achievement
from app.listings.services import _search_text
from app.models_base import utcnow
from tests.conftest import ACH_FIELDS, csrf_token, login, make_listing, make_org, make_user
from tests.contracts.conftest import form, make_contract

ACH_URL = "/contracts/lookup/achievements"
ORG_URL = "/contracts/lookup/organizations"


def _count():
    return db.session.scalar(select(func.count()).select_from(Contract))


def _post(client, url, data):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, "/login")})


def _items(client, url, q):
    resp = client.get(url, query_string={"q": q})
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    assert resp.headers["Cache-Control"] == "no-store"
    return resp.get_json()["items"]


def _achievements(owner, titles, status="approved"):
    """Many achievements at once (one flush), as a real market holds them."""
    rows = []
    for title in titles:
        a = Achievement(**{**ACH_FIELDS, "title": title}, organization=owner.organization, created_by_id=owner.id,
                        status=status, published_at=utcnow() if status == "approved" else None,
                        submitted_at=utcnow())
        a.search_text = _search_text(a)
        rows.append(a)
    db.session.add_all(rows)
    db.session.flush()
    return rows


# --- the lookups ---

def test_lookups_need_a_user_who_may_record_contracts(client, world):
    for url in (ACH_URL, ORG_URL):
        resp = client.get(url, query_string={"q": "球阀"})
        assert resp.status_code == 401 and resp.get_json() == {"error": "请先登录"}
    loner = make_user("broker")
    loner.role = "enterprise"  # neither a broker, nor the bureau, nor of any organization
    db.session.flush()
    assert not services.can_record(loner)
    login(client, loner)
    for url in (ACH_URL, ORG_URL):
        resp = client.get(url, query_string={"q": "球阀"})
        assert resp.status_code == 403 and "录入技术合同" in resp.get_json()["error"]
    for role in ("buyer", "seller", "broker", "bureau"):
        c = client.application.test_client()
        login(c, world[role])
        assert [i["id"] for i in _items(c, ACH_URL, "球阀")] == [world["achievement"].id], role


def test_achievement_lookup_finds_approved_ones_by_title_or_owner(client, world):
    seller = world["seller"]
    other = make_listing("achievement", make_user("institute"), "approved", title="离心泵叶轮抗汽蚀设计")
    make_listing("achievement", seller, "pending", title="待审核的球阀成果")
    make_listing("achievement", seller, "archived", title="已归档的球阀成果")
    login(client, world["broker"])
    assert _items(client, ACH_URL, "叶轮") == [{"id": other.id, "label": f"离心泵叶轮抗汽蚀设计（{other.organization.name}）"}]
    assert [i["id"] for i in _items(client, ACH_URL, "球阀")] == [world["achievement"].id]
    assert [i["id"] for i in _items(client, ACH_URL, "浙江某工业")] == [world["achievement"].id]  # by owner
    assert _items(client, ACH_URL, "没有这样的成果") == []
    # a 成果编号 (the number in the page address) puts that achievement first
    assert _items(client, ACH_URL, f"#{other.id}")[0]["id"] == other.id


def test_organization_lookup_finds_units_by_name_or_credit_code_but_not_the_bureau(client, world):
    login(client, world["broker"])
    seller_org = world["seller"].organization
    assert _items(client, ORG_URL, "工业大学") == [{"id": seller_org.id, "label": "浙江某工业大学（高校）"}]
    assert [i["id"] for i in _items(client, ORG_URL, seller_org.credit_code[-8:].lower())] == [seller_org.id]
    bureau_org = world["bureau"].organization
    assert bureau_org.kind == "government"
    assert _items(client, ORG_URL, bureau_org.name) == []


def test_lookups_take_percent_and_underscore_as_plain_characters(client, world):
    owner = world["seller"]
    pct, under = _achievements(owner, ["效率提升50%的泵阀", "型号A_B的阀门"])
    _achievements(owner, ["效率提升50的泵阀", "型号AxB的阀门"])
    make_org(name="百分之百%科技有限公司")
    make_org(name="下划线_科技有限公司")
    make_org(name="下划线X科技有限公司")
    login(client, world["broker"])
    assert [i["id"] for i in _items(client, ACH_URL, "50%")] == [pct.id]
    assert [i["id"] for i in _items(client, ACH_URL, "A_B")] == [under.id]
    assert [i["label"] for i in _items(client, ORG_URL, "%")] == ["百分之百%科技有限公司（企业）"]
    assert [i["label"] for i in _items(client, ORG_URL, "线_")] == ["下划线_科技有限公司（企业）"]


def test_lookups_return_at_most_twenty(client, world):
    _achievements(world["seller"], [f"批量成果{i:03d}" for i in range(30)])
    for i in range(25):
        make_org(name=f"批量单位{i:03d}")
    login(client, world["bureau"])
    assert len(_items(client, ACH_URL, "批量成果")) == lookup.LIMIT == 20
    assert len(_items(client, ORG_URL, "批量单位")) == 20
    assert len(_items(client, ACH_URL, "")) == 20  # an empty box lists the newest, still only twenty
    long = _items(client, ACH_URL, "批" * 5000)  # a silly query is cut, not an error
    assert long == []


# --- the form ---

def test_an_achievement_beyond_the_first_thousand_is_linked_and_the_page_stays_small(client, world):
    owner = world["seller"]
    _achievements(owner, [f"A{i:04d} 早排在前的成果" for i in range(1000)])
    (late,) = _achievements(owner, ["龥 排在最后的科技成果"])
    login(client, world["buyer"])
    html = client.get("/contracts/new").get_data(as_text=True)
    assert "A0001 早排在前的成果" not in html and len(html) < 100_000
    assert 'data-lookup-url="/contracts/lookup/achievements"' in html
    assert [i["id"] for i in _items(client, ACH_URL, "排在最后")] == [late.id]
    resp = _post(client, "/contracts/new", form(world, achievement_id=str(late.id),
                                                achievement_id_text=lookup.achievement_label(late)))
    assert resp.status_code == 302
    c = db.session.scalar(select(Contract).order_by(Contract.id.desc()))
    assert c.achievement_id == late.id


@pytest.mark.parametrize(("over", "message"), [
    ({"achievement_id": "999999", "achievement_id_text": "999999"}, "关联的科技成果不存在"),
    ({"achievement_id": "abc"}, "关联的科技成果不存在"),
    ({"achievement_id": "", "achievement_id_text": "没有这样的成果"}, "未找到与输入文字相符的已发布科技成果"),
    ({"buyer_org_id": "999999", "buyer_org_id_text": "#999999"}, "买方单位不存在"),
    ({"seller_org_id": "", "seller_org_id_text": "没有这样的单位"}, "平台上没有与输入文字相符的单位"),
])
def test_a_bogus_choice_is_a_field_error_and_nothing_is_saved(client, world, over, message):
    login(client, world["buyer"])
    before = _count()
    resp = _post(client, "/contracts/new", form(world, **over))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and message in html
    field = next(k for k in over if not k.endswith("_text"))
    assert f'class="form-control is-invalid" data-picker-text="" id="{field}"' in html  # marked on its own box
    assert _count() == before


def test_an_unpublished_achievement_cannot_be_linked_unless_already_linked(client, world):
    draft = make_listing("achievement", world["seller"], "pending", title="尚未发布的成果")
    login(client, world["buyer"])
    resp = _post(client, "/contracts/new", form(world, achievement_id=str(draft.id)))
    assert "只能关联已发布的科技成果" in resp.get_data(as_text=True) and _count() == 0
    # a contract linked while the achievement was public keeps it when edited after it was archived
    c = make_contract(world)
    world["achievement"].status = "archived"
    db.session.flush()
    edit = client.get(f"/contracts/{c.id}/edit").get_data(as_text=True)
    label = lookup.achievement_label(world["achievement"])
    assert f'value="{label}"' in edit and f'value="{world["achievement"].id}"' in edit
    resp = _post(client, f"/contracts/{c.id}/edit", form(world, title="改过的名称", achievement_id_text=label))
    assert resp.status_code == 302
    db.session.refresh(c)
    assert c.title == "改过的名称" and c.achievement_id == world["achievement"].id
    # … but another contract cannot take it up now
    resp = _post(client, "/contracts/new", form(world))
    assert "只能关联已发布的科技成果" in resp.get_data(as_text=True)


def test_labels_of_the_current_choices_are_rendered_by_the_server(client, world):
    deal = world["deal"]
    login(client, world["broker"])
    html = client.get(f"/contracts/new?deal_id={deal.id}").get_data(as_text=True)
    buyer, seller = world["buyer"].organization, world["seller"].organization
    for name, value, label in (("buyer_org_id", buyer.id, lookup.organization_label(buyer)),
                               ("seller_org_id", seller.id, lookup.organization_label(seller)),
                               ("achievement_id", world["achievement"].id,
                                lookup.achievement_label(world["achievement"]))):
        assert re.search(rf'<input [^>]*name="{name}_text"[^>]*value="{re.escape(label)}"', html), name
        assert re.search(rf'<input [^>]*name="{name}"[^>]*value="{value}"', html) or \
            re.search(rf'<input [^>]*value="{value}"[^>]*name="{name}"', html), name
    assert '<label class="form-label" for="achievement_id">关联科技成果</label>' in html
    assert "<script>" not in html and 'src="/static/js/picker.js"' in html


def test_without_javascript_a_typed_text_is_resolved_when_exactly_one_matches(client, world):
    login(client, world["buyer"])
    ach, seller_org = world["achievement"], world["seller"].organization
    _achievements(world["seller"], ["阀门测试台A", "阀门测试台B"])
    # a keyword that only one achievement holds; a credit code for the seller; the label typed for the buyer
    resp = _post(client, "/contracts/new", form(
        world, achievement_id="", achievement_id_text="硬密封球阀", seller_org_id="",
        seller_org_id_text=seller_org.credit_code.lower(), buyer_org_id="",
        buyer_org_id_text=lookup.organization_label(world["buyer"].organization)))
    assert resp.status_code == 302, resp.get_data(as_text=True)
    c = db.session.scalar(select(Contract).order_by(Contract.id.desc()))
    assert (c.achievement_id, c.seller_org_id, c.buyer_org_id) == (ach.id, seller_org.id,
                                                                   world["buyer"].organization_id)
    # a number is a 成果编号; several matches ask for more
    resp = _post(client, "/contracts/new", form(world, achievement_id="", achievement_id_text=f"#{ach.id}"))
    assert resp.status_code == 302
    resp = _post(client, "/contracts/new", form(world, achievement_id="", achievement_id_text="阀门测试台"))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "有多个科技成果与输入的文字相符" in html
    assert 'value="阀门测试台"' in html  # what was typed stays in the box to be fixed
    # a changed text wins over the id still in the hidden field (the edit page without JavaScript)
    resp = _post(client, "/contracts/new", form(world, achievement_id=str(ach.id), achievement_id_text="阀门测试台A"))
    assert resp.status_code == 302
    c = db.session.scalar(select(Contract).order_by(Contract.id.desc()))
    assert db.session.get(Achievement, c.achievement_id).title == "阀门测试台A"
    # an emptied box unlinks; an emptied party box means a party typed by hand
    resp = _post(client, "/contracts/new", form(world, achievement_id=str(ach.id), achievement_id_text=""))
    assert resp.status_code == 302
    assert db.session.scalar(select(Contract).order_by(Contract.id.desc())).achievement_id is None
    resp = _post(client, "/contracts/new", form(world, seller_org_id=str(seller_org.id), seller_org_id_text=""))
    assert "请选择平台单位，或填写卖方单位名称" in resp.get_data(as_text=True)


def test_a_unit_named_like_another_is_found_by_its_whole_name(world):
    make_org(name="永嘉泵阀")
    make_org(name="永嘉泵阀研究院")
    exact = db.session.scalar(select(Organization).where(Organization.name == "永嘉泵阀"))
    assert lookup.resolve_organization("永嘉泵阀") == exact.id
    with pytest.raises(lookup.Unresolved, match="有多个单位"):
        lookup.resolve_organization("泵阀")


def test_the_form_loads_its_deals_labels_with_the_deals(client):
    """A deal's label reads its need, achievement or parties: loaded together, not one query per deal."""
    from tests.conftest import recorded_statements
    from tests.transaction_factories import make_deal

    bureau = make_user("bureau")

    def add_deals(n):
        for _ in range(n):
            make_deal(buyer=make_org("enterprise"), seller=make_org("university"))
            make_deal()
        db.session.commit()

    add_deals(3)
    login(client, bureau)
    client.get("/contracts/new")
    with recorded_statements() as few:
        assert client.get("/contracts/new").status_code == 200
    add_deals(6)
    with recorded_statements() as more:
        assert client.get("/contracts/new").status_code == 200
    assert len(more) == len(few)
