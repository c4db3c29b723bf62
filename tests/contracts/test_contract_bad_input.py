"""Bad input on contracts: a clear Chinese message and nothing saved, through the page and the service."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.contracts import services
from app.contracts.models import Contract
from app.errors import ValidationError
from app.extensions import db
from app.listings.models import Patent
from app.timeutil import local_today
from tests.conftest import csrf_token, login
from tests.contracts.conftest import form, make_contract, service_data

TOMORROW = (local_today() + timedelta(days=1)).isoformat()


def _count():
    return db.session.scalar(select(func.count()).select_from(Contract))


MANUAL_SELLER = {"seller_org_id": "", "seller_name": "上海某研究院", "seller_credit_code": "12310000MB2F123456",
                 "seller_region": "上海市"}


@pytest.mark.parametrize(("over", "message"), [
    ({"contract_amount_yuan": "0"}, "合同金额必须大于0"),
    ({"contract_amount_yuan": "-5"}, "金额不能为负数"),
    ({"contract_amount_yuan": ""}, "请填写合同金额"),
    ({"contract_amount_yuan": "一百万"}, "请输入数字金额"),
    ({"contract_amount_yuan": "99999999"}, "金额超出合理范围"),
    ({"tech_amount_yuan": "0"}, "技术交易额必须大于0"),
    ({"tech_amount_yuan": "-1"}, "金额不能为负数"),
    ({"tech_amount_yuan": "120.0001"}, "技术交易额不能大于合同金额"),
    ({"tech_amount_yuan": "500"}, "技术交易额不能大于合同金额"),
    ({"signed_on": TOMORROW}, "签订日期不能晚于今天"),
    ({"signed_on": "1999-12-31"}, "签订日期不能早于2000年"),
    ({"signed_on": "2025-02-30"}, "不是有效的日期值"),
    ({"signed_on": ""}, "请填写签订日期"),
    ({"buyer_org_id": "999999"}, "买方单位不存在"),
    ({"seller_org_id": "abc"}, "卖方单位不存在"),
    ({"contract_type": ""}, "请选择合同类型"),
    ({"contract_type": "gift"}, "不是有效的选择"),
    ({"title": ""}, "请填写合同名称"),
    ({"title": "合" * 201}, "合同名称不能超过200个字"),
    ({"deal_id": "999999"}, "关联的对接项目不存在"),
    ({"achievement_id": "999999"}, "关联的科技成果不存在"),
    ({"patent_numbers": "ZL201910000000.1、ZL000"}, "专利号不存在：ZL201910000000.1、ZL000"),
    ({"broker_id": "999999"}, "所选技术经纪人不存在"),
    ({"seller_org_id": "BUYER"}, "买方和卖方不能是同一单位"),
    ({**MANUAL_SELLER, "seller_name": ""}, "请选择平台单位，或填写卖方单位名称"),
    ({**MANUAL_SELLER, "seller_credit_code": ""}, "请填写卖方的统一社会信用代码"),
    ({**MANUAL_SELLER, "seller_credit_code": "12345"}, "统一社会信用代码应为18位数字或大写字母"),
    ({**MANUAL_SELLER, "seller_region": ""}, "请填写卖方所在地区"),
    ({"title": "合同\x00名称"}, "包含不允许的控制字符"),
])
def test_record_refuses_bad_input(client, world, over, message):
    if over.get("seller_org_id") == "BUYER":
        over = {**over, "seller_org_id": str(world["buyer"].organization_id)}
    login(client, world["buyer"])
    before = _count()
    resp = client.post("/contracts/new", data={**form(world, **over), "csrf_token": csrf_token(client, "/contracts/new")})
    assert resp.status_code == 200
    assert message in resp.get_data(as_text=True)
    assert _count() == before


def test_party_not_on_the_platform_is_entered_by_name_code_and_region(client, world):
    login(client, world["buyer"])
    resp = client.post("/contracts/new", data={**form(world, **MANUAL_SELLER),
                                               "csrf_token": csrf_token(client, "/contracts/new")})
    assert resp.status_code == 302
    c = db.session.scalar(select(Contract))
    assert c.seller_org_id is None and c.seller_name == "上海某研究院" and c.seller_region == "上海市"
    assert c.seller_credit_code == "12310000MB2F123456" and c.seller_in_county is False
    html = client.get(f"/contracts/{c.id}").get_data(as_text=True)
    assert "未在平台注册" in html and "县外" in html


def test_manual_party_in_yongjia_counts_as_county_and_a_known_credit_code_links_the_organization(world):
    c = make_contract(world, seller_org_id=None, seller_name="永嘉某泵阀研究所", seller_credit_code="12330324MB1234567X",
                      seller_region="浙江省温州市永嘉县")
    assert c.seller_in_county is True and c.seller_org_id is None
    org = world["seller"].organization
    d = make_contract(world, seller_org_id=None, seller_name="随手写的名字", seller_credit_code=org.credit_code,
                      seller_region="随便")
    assert d.seller_org_id == org.id and d.seller_name == org.name


def test_edit_with_bad_input_keeps_the_saved_contract(client, world):
    c = make_contract(world)
    login(client, world["buyer"])
    resp = client.post(f"/contracts/{c.id}/edit", data={**form(world, contract_amount_yuan="0", tech_amount_yuan="-1"),
                                                         "csrf_token": csrf_token(client, "/login")})
    assert resp.status_code == 200
    db.session.refresh(c)
    assert (c.contract_amount_yuan, c.tech_amount_yuan) == (1_200_000, 1_000_000)


def test_correction_with_bad_input_creates_no_version(client, world):
    c = make_contract(world)
    services.register(world["bureau"], c)
    login(client, world["buyer"])
    before = _count()
    resp = client.post(f"/contracts/{c.id}/correct", data={**form(world, tech_amount_yuan="999"),
                                                            "correction_reason": "金额有误",
                                                            "csrf_token": csrf_token(client, "/login")})
    assert resp.status_code == 200 and "技术交易额不能大于合同金额" in resp.get_data(as_text=True)
    resp = client.post(f"/contracts/{c.id}/correct", data={**form(world), "correction_reason": "",
                                                            "csrf_token": csrf_token(client, "/login")})
    assert "请填写更正原因" in resp.get_data(as_text=True)
    assert _count() == before


@pytest.mark.parametrize(("over", "field", "message"), [
    ({"contract_amount_yuan": 0}, "contract_amount_yuan", "合同金额必须大于0"),
    ({"contract_amount_yuan": -100}, "contract_amount_yuan", "合同金额必须大于0"),
    ({"contract_amount_yuan": 1.5}, "contract_amount_yuan", "合同金额格式不正确"),
    ({"tech_amount_yuan": 1_200_001}, "tech_amount_yuan", "技术交易额不能大于合同金额"),
    ({"signed_on": local_today() + timedelta(days=1)}, "signed_on", "签订日期不能晚于今天"),
    ({"buyer_org_id": 10**9}, "buyer_org_id", "买方单位不存在"),
    ({"contract_type": "gift"}, "contract_type", "请选择合同类型"),
])
def test_service_refuses_bad_input(world, over, field, message):
    before = _count()
    with pytest.raises(ValidationError) as exc:
        services.record(world["buyer"], service_data(world, **over))
    assert message in exc.value.field_errors[field]
    assert _count() == before


def test_patents_are_linked_by_number(world):
    p = Patent(number="ZL202110000001.X", title="一种球阀密封结构", patent_type="invention", status="granted",
               organization_id=world["seller"].organization_id, achievement_id=world["achievement"].id)
    db.session.add(p)
    db.session.flush()
    c = make_contract(world, patent_numbers="zl202110000001.x")
    assert [x.number for x in c.patents] == ["ZL202110000001.X"]
