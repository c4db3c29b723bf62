"""The contract state machine through the pages, by role: record, return, fix and resubmit, register, correct.
Every allowed and refused transition; a registered contract refuses edits; a correction is a new version."""
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from app.contracts import services
from app.contracts.models import Contract, ContractEvent
from app.deals.models import Deal
from app.extensions import db
from app.notifications.models import Notification
from tests.conftest import csrf_token, login
from tests.contracts.conftest import form, make_contract

ROLES = ["anonymous", "buyer", "seller", "broker", "other_broker", "outsider", "bureau", "admin"]


def _as(client, w, role):
    if role != "anonymous":
        login(client, w[role])
    return client


def _post(client, url, data=None, follow=False):
    data = dict(data or {})
    data.setdefault("csrf_token", csrf_token(client, "/login"))
    return client.post(url, data=data, follow_redirects=follow)


def _count():
    return db.session.scalar(select(func.count()).select_from(Contract))


def _kinds(user):
    return db.session.scalars(select(Notification.kind).where(Notification.user_id == user.id)).all()


# --- record ---

RECORD = {"anonymous": 302, "buyer": 302, "seller": 302, "broker": 302, "other_broker": 302, "outsider": 200,
          "bureau": 302, "admin": 302}


@pytest.mark.parametrize("role", ROLES)
def test_record_by_role(client, world, role):
    _as(client, world, role)
    before = _count()
    resp = _post(client, "/contracts/new", form(world))
    assert resp.status_code == RECORD[role], role
    if role == "anonymous":
        assert "/login" in resp.headers["Location"]
        assert _count() == before
    elif role == "outsider":
        assert "您所在单位须为合同的买方或卖方" in resp.get_data(as_text=True)
        assert _count() == before
    else:
        c = db.session.scalar(select(Contract).order_by(Contract.id.desc()))
        assert c.status == "submitted" and c.version == 1 and c.recorded_by_id == world[role].id
        assert (c.contract_amount_yuan, c.tech_amount_yuan) == (1_200_000, 1_000_000)
        assert c.buyer_name == world["buyer"].organization.name and c.buyer_in_county is True
        assert c.seller_region == "浙江省杭州市" and c.seller_in_county is False
        assert c.broker_id == (world[role].id if role in ("broker", "other_broker") else None)
        assert "contract_submitted" in _kinds(world["bureau"])


def test_record_page_prefilled_from_a_deal_and_linking_signs_the_deal(client, world):
    deal = world["deal"]
    login(client, world["broker"])
    html = client.get(f"/contracts/new?deal_id={deal.id}").get_data(as_text=True)
    assert f'<option selected value="{deal.id}">' in html or f'value="{deal.id}" selected' in html
    resp = _post(client, "/contracts/new", form(world, deal_id=str(deal.id), achievement_id=""))
    assert resp.status_code == 302
    c = db.session.scalar(select(Contract).order_by(Contract.id.desc()))
    assert c.deal_id == deal.id and c.broker_id == world["broker"].id
    assert c.achievement_id == deal.achievement_id  # taken from the deal
    db.session.refresh(deal)
    assert deal.stage == "signed"  # recording the contract moves the deal to 签约


def test_a_deal_of_others_or_of_other_parties_cannot_be_linked(client, world):
    login(client, world["other_broker"])
    resp = _post(client, "/contracts/new", form(world, deal_id=str(world["deal"].id)))
    assert "只能关联本人或本单位参与的对接项目" in resp.get_data(as_text=True)
    c2 = client.application.test_client()
    login(c2, world["broker"])
    resp = _post(c2, "/contracts/new", form(world, deal_id=str(world["deal"].id),
                                           buyer_org_id=str(world["outsider"].organization_id)))
    assert "合同买卖双方与关联对接项目的双方不一致" in resp.get_data(as_text=True)
    assert _count() == 0


# --- register / return by role ---

BUREAU_ONLY = {"anonymous": 302, "buyer": 403, "seller": 403, "broker": 403, "other_broker": 403, "outsider": 403,
               "bureau": 302, "admin": 302}


@pytest.mark.parametrize("role", ROLES)
def test_register_by_role(client, world, role):
    c = make_contract(world, deal_id=world["deal"].id, recorder=world["broker"])
    _as(client, world, role)
    resp = _post(client, f"/contracts/{c.id}/register")
    assert resp.status_code == BUREAU_ONLY[role], role
    db.session.refresh(c)
    if BUREAU_ONLY[role] == 302 and role != "anonymous":
        year = date.today().year
        assert c.status == "registered"
        assert re.fullmatch(rf"330324({year}|{year + 1}|{year - 1})\d{{5}}", c.registration_number)
        assert c.registered_on is not None and c.counted_on == c.registered_on
        assert c.registered_by_id == world[role].id
        db.session.refresh(world["deal"])
        assert world["deal"].stage == "registered"  # 4a's mark_registered
        assert "contract_registered" in _kinds(world["broker"])
    else:
        assert c.status == "submitted" and c.registration_number is None


@pytest.mark.parametrize("role", ROLES)
def test_return_by_role(client, world, role):
    c = make_contract(world)
    _as(client, world, role)
    resp = _post(client, f"/contracts/{c.id}/return", {"reason": "技术交易额缺少计算依据"})
    assert resp.status_code == BUREAU_ONLY[role], role
    db.session.refresh(c)
    if BUREAU_ONLY[role] == 302 and role != "anonymous":
        assert c.status == "returned" and c.return_reason == "技术交易额缺少计算依据"
        assert "contract_returned" in _kinds(world["buyer"])
    else:
        assert c.status == "submitted" and c.return_reason == ""


def test_return_needs_a_reason(client, world):
    c = make_contract(world)
    login(client, world["bureau"])
    resp = _post(client, f"/contracts/{c.id}/return", {"reason": ""}, follow=True)
    assert "请填写退回原因" in resp.get_data(as_text=True)
    db.session.refresh(c)
    assert c.status == "submitted"


def test_returned_contract_is_fixed_resubmitted_and_registered(app, world):
    c = make_contract(world)
    bureau, recorder = app.test_client(), app.test_client()
    login(bureau, world["bureau"])
    login(recorder, world["buyer"])
    _post(bureau, f"/contracts/{c.id}/return", {"reason": "请补充合同附件中的专利清单"})
    # the recorder sees the reason on the contract page and in their list
    page = recorder.get(f"/contracts/{c.id}").get_data(as_text=True)
    assert "请补充合同附件中的专利清单" in page and "修改并重新提交" in page
    # a returned contract cannot be registered as it is
    resp = _post(bureau, f"/contracts/{c.id}/register", follow=True)
    assert "只有待登记的合同可以登记" in resp.get_data(as_text=True)
    # fix and resubmit
    html = recorder.get(f"/contracts/{c.id}/edit").get_data(as_text=True)
    assert "请补充合同附件中的专利清单" in html
    resp = _post(recorder, f"/contracts/{c.id}/edit", form(world, tech_amount_yuan="90"))
    assert resp.status_code == 302
    db.session.refresh(c)
    assert c.status == "submitted" and c.tech_amount_yuan == 900_000
    assert c in services.registration_queue()
    _post(bureau, f"/contracts/{c.id}/register")
    db.session.refresh(c)
    assert c.status == "registered"
    actions = db.session.scalars(select(ContractEvent.action).where(ContractEvent.contract_id == c.id)
                                 .order_by(ContractEvent.id)).all()
    assert actions == ["record", "return", "resubmit", "register"]


def test_refused_transitions(app, world):
    bureau = app.test_client()
    login(bureau, world["bureau"])
    c = make_contract(world)
    _post(bureau, f"/contracts/{c.id}/register")
    db.session.refresh(c)
    assert c.status == "registered"
    # registering or returning a registered contract
    assert "该合同已登记" in _post(bureau, f"/contracts/{c.id}/register", follow=True).get_data(as_text=True)
    resp = _post(bureau, f"/contracts/{c.id}/return", {"reason": "再看看"}, follow=True)
    assert "只有待登记的合同可以退回" in resp.get_data(as_text=True)
    db.session.refresh(c)
    assert c.status == "registered" and c.return_reason == ""
    # returning a returned one
    r = make_contract(world, title="第二份合同")
    _post(bureau, f"/contracts/{r.id}/return", {"reason": "缺少附件"})
    resp = _post(bureau, f"/contracts/{r.id}/return", {"reason": "还是缺少附件"}, follow=True)
    assert "只有待登记的合同可以退回" in resp.get_data(as_text=True)
    db.session.refresh(r)
    assert r.return_reason == "缺少附件"
    # a correction of a contract that is not registered: fix it instead
    recorder = app.test_client()
    login(recorder, world["buyer"])
    resp = recorder.get(f"/contracts/{r.id}/correct", follow_redirects=True)
    assert "只有当前有效的已登记版本可以提交更正" in resp.get_data(as_text=True)
    with pytest.raises(Exception, match="未登记的合同可直接修改"):
        services.correct(world["buyer"], r, {}, "理由")


def test_registered_contract_refuses_edits(app, world):
    c = make_contract(world)
    services.register(world["bureau"], c)
    db.session.flush()
    client = app.test_client()
    login(client, world["buyer"])
    resp = client.get(f"/contracts/{c.id}/edit", follow_redirects=True)
    assert "已登记的合同不能修改；如需更正，请提交更正版本" in resp.get_data(as_text=True)
    resp = _post(client, f"/contracts/{c.id}/edit", form(world, contract_amount_yuan="999", tech_amount_yuan="1"),
                 follow=True)
    assert "已登记的合同不能修改" in resp.get_data(as_text=True)
    db.session.refresh(c)
    assert c.contract_amount_yuan == 1_200_000 and c.tech_amount_yuan == 1_000_000 and c.status == "registered"
    with pytest.raises(Exception, match="已登记的合同不能修改"):
        services.update(world["buyer"], c, {})


def test_correction_creates_a_version_that_is_registered_again(app, world):
    c = make_contract(world, deal_id=world["deal"].id, recorder=world["broker"])
    services.register(world["bureau"], c)
    db.session.flush()
    first_number, counted = c.registration_number, c.counted_on
    client = app.test_client()
    login(client, world["broker"])
    html = client.get(f"/contracts/{c.id}/correct").get_data(as_text=True)
    assert "第2版" in html and 'value="120"' in html  # prefilled from the registered version
    resp = _post(client, f"/contracts/{c.id}/correct",
                 form(world, contract_amount_yuan="150", tech_amount_yuan="130", deal_id=str(world["deal"].id),
                      correction_reason="补充协议增加了技术服务内容"))
    assert resp.status_code == 302
    new = db.session.scalar(select(Contract).where(Contract.supersedes_id == c.id))
    assert new.version == 2 and new.root_id == c.id and new.status == "submitted"
    assert new.correction_reason == "补充协议增加了技术服务内容"
    db.session.refresh(c)
    assert c.status == "registered"  # the registered version stays valid until the correction is registered
    # one open correction at a time; none on an old version
    resp = _post(client, f"/contracts/{c.id}/correct", form(world, correction_reason="再改一次"), follow=True)
    assert "该合同已有待登记的更正版本" in resp.get_data(as_text=True)

    services.register(world["bureau"], new)
    db.session.flush()
    db.session.refresh(c)
    assert c.status == "superseded" and c.registration_number == first_number
    assert new.status == "registered" and new.registration_number != first_number
    assert new.counted_on == counted  # counts on the first registration's date
    # the superseded version can be neither edited nor corrected
    resp = client.get(f"/contracts/{c.id}/edit", follow_redirects=True)
    assert "该版本已被更正，不能修改" in resp.get_data(as_text=True)
    with pytest.raises(Exception, match="请在最新版本上提交更正"):
        services.correct(world["broker"], c, {}, "再改")
    # history on the page: both versions, each event
    page = client.get(f"/contracts/{new.id}").get_data(as_text=True)
    assert "第1版" in page and "第2版" in page and first_number in page and new.registration_number in page
    assert "补充协议增加了技术服务内容" in page and "被新版本更正" in page
    old_page = client.get(f"/contracts/{c.id}").get_data(as_text=True)
    assert "该版本已被更正，不再计入统计" in old_page
    # the deal stays registered (mark_registered is idempotent)
    assert db.session.get(Deal, world["deal"].id).stage == "registered"
    # the list shows the latest version only
    listing = client.get("/contracts").get_data(as_text=True)
    assert f"/contracts/{new.id}\"" in listing and f"/contracts/{c.id}\"" not in listing


def test_registration_numbers_are_sequential_per_year(world):
    a, b, d = make_contract(world), make_contract(world, title="二"), make_contract(world, title="三")
    services.register(world["bureau"], a, today=date(2025, 3, 1))
    services.register(world["bureau"], b, today=date(2025, 3, 2))
    services.register(world["bureau"], d, today=date(2026, 1, 2))
    assert (a.registration_number, b.registration_number, d.registration_number) == (
        "330324202500001", "330324202500002", "330324202600001")


# --- who sees what ---

VIEW = {"anonymous": 302, "buyer": 200, "seller": 200, "broker": 200, "other_broker": 404, "outsider": 404,
        "bureau": 200, "admin": 200}


@pytest.mark.parametrize("role", ROLES)
def test_view_by_role(client, world, role):
    c = make_contract(world, recorder=world["broker"], title="保密的合同名称")
    _as(client, world, role)
    resp = client.get(f"/contracts/{c.id}")
    assert resp.status_code == VIEW[role], role
    if role != "anonymous":
        listed = "保密的合同名称" in client.get("/contracts").get_data(as_text=True)
        assert listed == (VIEW[role] == 200)


@pytest.mark.parametrize("role", ROLES)
def test_registration_queue_by_role(client, world, role):
    make_contract(world, title="排队中的合同")
    _as(client, world, role)
    resp = client.get("/bureau/contracts")
    expected = {"anonymous": 302, "bureau": 200, "admin": 200}.get(role, 403)
    assert resp.status_code == expected, role
    if resp.status_code == 200:
        assert "排队中的合同" in resp.get_data(as_text=True)


@pytest.mark.parametrize("role", ["other_broker", "outsider"])
def test_strangers_cannot_edit_or_correct(client, world, role):
    c = make_contract(world)
    login(client, world[role])
    assert client.get(f"/contracts/{c.id}/edit").status_code == 404
    resp = _post(client, f"/contracts/{c.id}/edit", form(world, title="被篡改"))
    assert resp.status_code == 404
    db.session.refresh(c)
    assert c.title != "被篡改"
    services.register(world["bureau"], c)
    assert client.get(f"/contracts/{c.id}/correct").status_code == 404


def test_deal_page_lists_its_contracts(app, world):
    deal = world["deal"]
    client = app.test_client()
    login(client, world["buyer"])
    html = client.get(f"/deals/{deal.id}").get_data(as_text=True)
    assert 'id="deal-contracts"' in html and f"/contracts/new?deal_id={deal.id}" in html
    c = make_contract(world, deal_id=deal.id, title="从对接项目录入的合同")
    services.register(world["bureau"], c)
    html = client.get(f"/deals/{deal.id}").get_data(as_text=True)
    assert "从对接项目录入的合同" in html and c.registration_number in html


def test_an_uncertified_broker_records_only_for_their_own_organization(client, world):
    from tests.transaction_factories import make_broker
    pending = make_broker(certified=False)
    login(client, pending)
    resp = _post(client, "/contracts/new", form(world))
    assert "您所在单位须为合同的买方或卖方（经认证的技术经纪人和科技局可代为录入）" in resp.get_data(as_text=True)
    resp = _post(client, "/contracts/new", form(world, broker_id=str(pending.id)))
    assert "所选技术经纪人不存在或未经科技局认证" in resp.get_data(as_text=True)
    assert _count() == 0
