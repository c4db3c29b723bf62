"""Chinese keyword search on the public pages, the same on SQLite and PostgreSQL."""
import pytest

from app.listings.search import terms
from tests.conftest import make_listing, make_user


@pytest.fixture
def corpus():
    uni = make_user("university")
    ent = make_user("enterprise")
    return {
        "ball": make_listing("achievement", uni, title="金属硬密封球阀", abstract="适用于高温高压管线的硬密封结构设计与加工工艺。",
                             keywords="硬密封"),
        "apart": make_listing("achievement", uni, title="智能阀门定位器", abstract="定位器内置压力传感器，配合新型密封件延长寿命。",
                              keywords="定位器"),
        "shoe": make_listing("achievement", uni, title="鞋底防滑橡胶配方", abstract="湿滑路面摩擦系数提升，适用于运动鞋大底。",
                             keywords="防滑、橡胶", industry_code="fashion"),
        "draft": make_listing("achievement", uni, status="draft", title="未公开的球阀成果",
                              abstract="草稿状态的球阀成果，不应出现在搜索中。"),
        "need": make_listing("need", ent, title="球阀内漏求解", description="厂里DN50球阀关不严，一直滴漏。"),
    }


def _titles(client, url):
    html = client.get(url).get_data(as_text=True)
    return html


def test_substring_finds_longer_word(client, corpus):
    html = _titles(client, "/achievements?q=球阀")
    assert "金属硬密封球阀" in html
    assert "未公开的球阀成果" not in html  # drafts are never public
    assert "鞋底防滑橡胶配方" not in html


def test_words_found_anywhere(client, corpus):
    html = _titles(client, "/achievements?q=阀门密封")
    assert "智能阀门定位器" in html  # 阀门 in title, 密封 in the abstract
    assert "鞋底防滑橡胶配方" not in html
    html = _titles(client, "/achievements?q=防滑 橡胶")
    assert "鞋底防滑橡胶配方" in html and "金属硬密封球阀" not in html


def test_search_combines_with_filters_and_counts(client, corpus):
    html = _titles(client, "/achievements?q=密封&industry=fashion")
    assert "共 0 条" in html
    html = _titles(client, "/achievements?q=密封&industry=pump_valve")
    assert "共 2 条" in html


def test_search_needs_and_organization_name(client, corpus):
    assert "球阀内漏求解" in _titles(client, "/needs?q=滴漏")
    org_name = corpus["ball"].organization.name
    assert "金属硬密封球阀" in _titles(client, f"/achievements?q={org_name}")


def test_like_wildcards_are_literal(client, corpus):
    assert "共 0 条" in _titles(client, "/achievements?q=%25")
    assert "共 0 条" in _titles(client, "/achievements?q=_")


def test_terms_drop_stopwords():
    assert terms("阀门的密封") == ["阀门", "密封"]
    assert terms("  ") == []


def test_budget_range_and_sort(client):
    ent = make_user("enterprise")
    make_listing("need", ent, title="小预算需求", budget_yuan=50_000)
    make_listing("need", ent, title="大预算需求", budget_yuan=3_000_000)
    make_listing("need", ent, title="面议需求", budget_yuan=None)
    html = _titles(client, "/needs?min=1&max=10")
    assert "小预算需求" in html and "大预算需求" not in html and "面议需求" not in html
    html = _titles(client, "/needs?min=100")
    assert "大预算需求" in html and "小预算需求" not in html and "面议需求" not in html
    html = _titles(client, "/needs?sort=budget_desc")
    assert html.index("大预算需求") < html.index("小预算需求") < html.index("面议需求")
    assert "300万元" in html and "面议" in html


def test_grams_are_the_pairs_of_each_word():
    from app.listings.search import grams
    assert grams(["阀门", "密封"]) == ["阀门", "密封"]
    assert grams(["硬密封", "泵"]) == ["硬密", "密封", "泵"]
    assert grams(["dn50"]) == ["dn", "n5", "50"]


def test_postgres_gram_index_finds_what_like_finds(app, corpus):
    """On PostgreSQL the GIN index over yj_grams(search_text) (migration 0010) must narrow the rows without losing
    any: for every query, the rows found with the gram condition equal those found by LIKE alone."""
    from sqlalchemy import select

    from app.extensions import db
    from app.listings.models import Achievement, Need
    from app.listings.search import keyword_condition
    if db.engine.dialect.name != "postgresql":
        pytest.skip("yj_grams exists on PostgreSQL only")
    queries = ["球阀", "阀门密封", "硬密封", "阀", "dn50", "防滑 橡胶", "密封件延长寿命", "不存在的词语", "50球"]
    for model in (Achievement, Need):
        for q in queries:
            with_grams = set(db.session.scalars(select(model.id).where(
                keyword_condition(model.search_text, q, "postgresql"))))
            like_only = set(db.session.scalars(select(model.id).where(
                keyword_condition(model.search_text, q, "sqlite"))))
            assert with_grams == like_only, (model.__tablename__, q)
    assert set(db.session.scalars(select(Need.id).where(keyword_condition(Need.search_text, "dn50", "postgresql")))) \
        == {corpus["need"].id}


def test_postgres_search_uses_the_gram_index(app, corpus):
    from sqlalchemy import select, text

    from app.extensions import db
    from app.listings.models import Achievement
    from app.listings.search import keyword_condition
    if db.engine.dialect.name != "postgresql":
        pytest.skip("yj_grams exists on PostgreSQL only")
    stmt = select(Achievement.id).where(keyword_condition(Achievement.search_text, "阀门密封", "postgresql"))
    sql = str(stmt.compile(db.engine, compile_kwargs={"literal_binds": True}))
    db.session.execute(text("SET LOCAL enable_seqscan = off"))  # a handful of rows: make the planner show its hand
    plan = "\n".join(r[0] for r in db.session.execute(text("EXPLAIN " + sql)))
    assert "ix_achievements_search_grams" in plan, plan


@pytest.mark.parametrize("sort", ["newest", "budget_desc", "budget_asc", "deadline"])
def test_id_first_pages_equal_one_plain_query(app, sort):
    """IdFirstPagination (ids first, then rows) gives the same pages, in the same order, and the same count as one
    SELECT … ORDER BY … LIMIT … OFFSET over the same filters."""
    from datetime import date, timedelta

    from sqlalchemy import func, select

    from app.extensions import db
    from app.listings.models import Need
    from app.listings.queries import Filters, public_listings
    ent = make_user("enterprise")
    for i in range(27):
        make_listing("need", ent, title=f"分页需求{i}", industry_code="pump_valve" if i % 3 else "fashion",
                     budget_yuan=None if i % 5 == 0 else (i % 4) * 100_000,  # ties and 面议 on purpose
                     deadline=None if i % 4 == 0 else date(2027, 1, 1) + timedelta(days=i % 6))
    make_listing("need", ent, status="draft", title="分页草稿", industry_code="pump_valve")
    order = {
        "newest": [], "budget_desc": [Need.budget_yuan.desc().nulls_last()],
        "budget_asc": [Need.budget_yuan.asc().nulls_last()], "deadline": [Need.deadline.asc().nulls_last()],
    }[sort] + [Need.published_at.desc(), Need.id.desc()]
    where = [Need.status == "approved", Need.hidden_stale_at.is_(None), Need.industry_code == "pump_valve"]
    expected_total = db.session.scalar(select(func.count()).select_from(Need).where(*where))
    assert expected_total == 18
    for page in (1, 2, 3):
        p = public_listings("need", Filters(industry="pump_valve", sort=sort, page=page), per_page=7)
        plain = db.session.scalars(select(Need.id).where(*where).order_by(*order).limit(7).offset((page - 1) * 7))
        assert [n.id for n in p.items] == list(plain)
        assert p.total == expected_total and p.pages == 3
        assert all(n.organization is not None for n in p.items)


def test_postgres_requests_plan_serially_and_the_recompute_in_parallel(app):
    """app._postgres_settings: web connections plan without parallel workers; the stats recompute asks for them back
    inside its own transaction only."""
    from sqlalchemy import text

    from app.extensions import db
    from app.stats.services import recompute_contract_stats
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL setting")
    assert db.session.scalar(text("SHOW max_parallel_workers_per_gather")) == "0"
    with db.engine.connect() as other:  # a fresh pooled connection has it too
        assert other.scalar(text("SHOW max_parallel_workers_per_gather")) == "0"
    db.session.begin_nested()
    recompute_contract_stats(commit=False)
    assert db.session.scalar(text("SHOW max_parallel_workers_per_gather")) != "0"
    db.session.rollback()
