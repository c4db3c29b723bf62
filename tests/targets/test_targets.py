"""专栏13 targets: who may see and record them, progress computed from records, bad input refused in Chinese."""
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.contracts import services as contracts
from app.extensions import db
from app.listings.models import Patent
from app.targets import services
from app.targets.models import MajorPatentSelection, PatentIndustrialization, ServiceAgencyCertification
from app.timeutil import local_today
from tests.conftest import csrf_token, login, make_org, make_user
from tests.transaction_factories import make_broker

ROLES = ["anonymous", "enterprise", "university", "service_agency", "broker", "bureau", "admin"]
THIS_YEAR = local_today().year


@pytest.fixture
def world():
    agency_user = make_user("service_agency")
    w = {"enterprise": make_user("enterprise"), "university": make_user("university"),
         "service_agency": agency_user, "broker": make_broker(), "bureau": make_user("bureau"),
         "admin": make_user("admin"), "agency": agency_user.organization}
    uni_org = w["university"].organization
    w["invention"] = _patent("ZL202010000001.1", uni_org, "invention", "granted")
    w["invention2"] = _patent("ZL202010000002.X", uni_org, "invention", "granted")
    w["applied"] = _patent("CN202310000003.5", uni_org, "invention", "applied")
    w["utility"] = _patent("ZL202120000004.2", uni_org, "utility", "granted")
    return w


def _patent(number, org, kind, status, industrialized=False):
    p = Patent(number=number, title=f"专利{number[-3:]}", patent_type=kind, status=status, organization_id=org.id,
               industrialized=industrialized)
    db.session.add(p)
    db.session.flush()
    return p


def _as(client, w, role):
    if role != "anonymous":
        login(client, w[role])
    return client


def _post(client, url, data):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, "/login")})


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


PAGE = {"anonymous": 302, "enterprise": 403, "university": 403, "service_agency": 403, "broker": 403, "bureau": 200,
        "admin": 200}


@pytest.mark.parametrize("role", ROLES)
def test_targets_page_by_role(client, world, role):
    _as(client, world, role)
    resp = client.get("/bureau/targets")
    assert resp.status_code == PAGE[role], role
    if resp.status_code == 200:
        html = resp.get_data(as_text=True)
        for name in ("技术合同成交额", "培育技术经纪人", "授权发明专利产业化", "优秀科技服务机构", "重大贡献发明专利"):
            assert name in html
        assert "20亿元" in html and "/ 100 名" in html and "/ 200 项" in html and "/ 5 家" in html and "/ 10 项" in html


@pytest.mark.parametrize("role", ROLES)
def test_recording_by_role(client, world, role):
    _as(client, world, role)
    r1 = _post(client, "/bureau/targets/industrialized", {"patent_number": world["invention"].number,
                                                          "industrialized_on": "2025-06-01", "evidence": "年产阀门3万台"})
    r2 = _post(client, "/bureau/targets/agencies", {"organization_id": str(world["agency"].id), "year": str(THIS_YEAR)})
    r3 = _post(client, "/bureau/targets/major-patents", {"patent_number": world["invention"].number,
                                                         "year": str(THIS_YEAR), "citation": "形成行业标准"})
    allowed = role in ("bureau", "admin")
    for r in (r1, r2, r3):
        assert r.status_code == (302 if allowed or role == "anonymous" else 403), role
    expected = 1 if allowed else 0
    assert (_count(PatentIndustrialization), _count(ServiceAgencyCertification), _count(MajorPatentSelection)) == \
        (expected, expected, expected)


def test_progress_is_computed_from_records(world):
    bureau = world["bureau"]
    before = {r["key"]: r["current"] for r in services.progress()}
    assert before == {"contract_amount": 0, "trained_brokers": 0, "industrialized_patents": 0,
                      "certified_agencies": 0, "major_patents": 0}
    # contracts: only registered ones, this year
    buyer, seller = make_user("enterprise"), make_user("university")
    data = {"title": "技术开发合同", "contract_type": "development", "buyer_org_id": buyer.organization_id,
            "seller_org_id": seller.organization_id, "contract_amount_yuan": 300_000_000,
            "tech_amount_yuan": 250_000_000, "signed_on": local_today() - timedelta(days=3)}
    c = contracts.record(buyer, data)
    assert services.progress()[0]["current"] == 0
    contracts.register(bureau, c)
    # brokers: certified and trained (4a's trained_broker_count)
    make_broker(trained=True)
    make_broker(trained=False)
    # patents, agencies, major patents
    services.record_industrialization(bureau, world["invention"].number, "投产证明", date(2025, 5, 1))
    services.certify_agency(bureau, world["agency"].id, THIS_YEAR, "")
    services.certify_agency(bureau, world["agency"].id, THIS_YEAR - 1, "连续两年认定仍计为一家")
    services.select_major_patent(bureau, world["invention2"].number, THIS_YEAR, "主导制定行业标准")
    rows = {r["key"]: r for r in services.progress()}
    assert rows["contract_amount"]["current"] == 300_000_000 and rows["contract_amount"]["percent"] == 15.0
    assert rows["contract_amount"]["tech_amount"] == 250_000_000 and rows["contract_amount"]["contract_count"] == 1
    assert rows["trained_brokers"]["current"] == 1 and rows["trained_brokers"]["percent"] == 1.0
    assert rows["industrialized_patents"]["current"] == 1 and rows["industrialized_patents"]["percent"] == 0.5
    assert rows["certified_agencies"]["current"] == 1 and rows["certified_agencies"]["percent"] == 20.0
    assert rows["major_patents"]["current"] == 1
    assert db.session.get(Patent, world["invention"].id).industrialized is True
    # a different year's contract volume
    assert services.progress(THIS_YEAR - 1)[0]["current"] == 0


def test_page_shows_progress_and_unconfirmed_claims(client, world):
    _patent("ZL202010000009.9", world["university"].organization, "invention", "granted", industrialized=True)
    login(client, world["bureau"])
    resp = _post(client, "/bureau/targets/industrialized", {"patent_number": world["invention"].number.lower(),
                                                            "industrialized_on": "2025-06-01",
                                                            "evidence": "2025年6月投产，年产智能球阀3万台"})
    assert resp.status_code == 302
    html = client.get("/bureau/targets").get_data(as_text=True)
    assert 'data-target-current="1"' in html and "2025年6月投产" in html
    assert "待核实" in html and "ZL202010000009.9" in html
    assert "<progress" in html


@pytest.mark.parametrize(("url", "data", "message"), [
    ("industrialized", {"patent_number": "ZL999", "industrialized_on": "2025-01-01", "evidence": "证明"}, "专利号不存在：ZL999"),
    ("industrialized", {"patent_number": "UTILITY", "industrialized_on": "2025-01-01", "evidence": "证明"},
     "不是已授权的发明专利"),
    ("industrialized", {"patent_number": "APPLIED", "industrialized_on": "2025-01-01", "evidence": "证明"},
     "不是已授权的发明专利"),
    ("industrialized", {"patent_number": "INVENTION", "industrialized_on": "TOMORROW", "evidence": "证明"},
     "产业化日期不能晚于今天"),
    ("industrialized", {"patent_number": "INVENTION", "industrialized_on": "2025-01-01", "evidence": ""},
     "请填写产业化证明材料"),
    ("industrialized", {"patent_number": "INVENTION", "industrialized_on": "", "evidence": "证明"}, "请填写产业化日期"),
    ("agencies", {"organization_id": "999999", "year": "THIS"}, "所选机构不存在"),
    ("agencies", {"organization_id": "ENTERPRISE", "year": "THIS"}, "该单位不是科技服务机构"),
    ("agencies", {"organization_id": "UNVERIFIED_AGENCY", "year": "THIS"}, "该机构尚未通过单位认证"),
    ("agencies", {"organization_id": "AGENCY", "year": "2019"}, "年份应在2021到"),
    ("agencies", {"organization_id": "AGENCY", "year": "明年"}, "不是有效的整数"),
    ("major-patents", {"patent_number": "UTILITY", "year": "THIS", "citation": "理由"}, "不是已授权的发明专利"),
    ("major-patents", {"patent_number": "INVENTION", "year": "THIS", "citation": ""}, "请填写评选理由"),
    ("major-patents", {"patent_number": "INVENTION", "year": "2999", "citation": "理由"}, "年份应在2021到"),
])
def test_bad_input_is_refused_and_nothing_saved(client, world, url, data, message):
    subst = {"UTILITY": world["utility"].number, "APPLIED": world["applied"].number,
             "INVENTION": world["invention"].number, "TOMORROW": (local_today() + timedelta(days=1)).isoformat(),
             "THIS": str(THIS_YEAR), "ENTERPRISE": str(world["enterprise"].organization_id),
             "AGENCY": str(world["agency"].id),
             "UNVERIFIED_AGENCY": str(make_org("service_agency", verified=False).id)}
    data = {k: subst.get(v, v) for k, v in data.items()}
    login(client, world["bureau"])
    resp = _post(client, f"/bureau/targets/{url}", data)
    assert resp.status_code == 200
    assert message in resp.get_data(as_text=True)
    assert (_count(PatentIndustrialization), _count(ServiceAgencyCertification), _count(MajorPatentSelection)) == (0, 0, 0)
    assert db.session.get(Patent, world["invention"].id).industrialized is False


def test_duplicates_are_refused(client, world):
    login(client, world["bureau"])
    ind = {"patent_number": world["invention"].number, "industrialized_on": "2025-01-01", "evidence": "证明"}
    agency = {"organization_id": str(world["agency"].id), "year": str(THIS_YEAR)}
    major = {"patent_number": world["invention"].number, "year": str(THIS_YEAR), "citation": "理由"}
    for url, data in (("industrialized", ind), ("agencies", agency), ("major-patents", major)):
        assert _post(client, f"/bureau/targets/{url}", data).status_code == 302
    assert "已登记产业化" in _post(client, "/bureau/targets/industrialized", ind).get_data(as_text=True)
    assert f"已于{THIS_YEAR}年认定" in _post(client, "/bureau/targets/agencies", agency).get_data(as_text=True)
    assert "已入选重大贡献发明专利" in _post(client, "/bureau/targets/major-patents", major).get_data(as_text=True)
    assert (_count(PatentIndustrialization), _count(ServiceAgencyCertification), _count(MajorPatentSelection)) == (1, 1, 1)
