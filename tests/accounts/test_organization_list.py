"""The bureau's list of units: a page at a time, found by name or credit code (a literal % is only a character)."""
from app.extensions import db
from tests.conftest import login, make_org, make_user


def test_units_are_paged_and_found_by_name_or_code(client):
    for i in range(55):
        make_org("enterprise", name=f"永嘉翻页测试企业{i:02d}", verified=False)
    target = make_org("enterprise", name="瓯北镇50%阀门厂", verified=False)
    db.session.commit()
    login(client, make_user("bureau"))
    first = client.get("/bureau/organizations?show=unverified").get_data(as_text=True)
    assert first.count("认证通过") == 50 and "show=unverified" in first and "page=2" in first
    found = client.get("/bureau/organizations?show=all&q=50%25").get_data(as_text=True)
    assert "瓯北镇50%阀门厂" in found and "永嘉翻页测试企业" not in found and "共 1 家" in found
    by_code = client.get(f"/bureau/organizations?show=all&q={target.credit_code}").get_data(as_text=True)
    assert "瓯北镇50%阀门厂" in by_code and "共 1 家" in by_code
