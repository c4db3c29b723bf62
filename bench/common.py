"""Shared by the benchmarks: a private PostgreSQL database, migrated, with the demo market and bulk data.

Bulk data is generated inside PostgreSQL (`INSERT … SELECT … generate_series`): titles and descriptions are the
demo market's own texts with variations, so the Chinese search and the pages look at realistic content.
"""
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PG_HOST = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
WORK = Path(os.environ.get("BENCH_WORKDIR", "/tmp/yjtm-bench"))
# the app made in this process (bench.cockpit) would print an access line per measured request among the figures;
# the gunicorn servers of bench.load keep production's logging (to their log files)
os.environ.setdefault("LOG_LEVEL", "WARNING")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def load_average() -> float:
    return os.getloadavg()[0]


def db_url(name: str) -> str:
    return f"{PG_HOST}/{name}"


def recreate_database(name: str) -> str:
    """Drop (forcing out leftover connections of an earlier run) and create the benchmark's own database."""
    if not name.startswith("bench_"):
        raise SystemExit(f"refusing to drop {name!r}: benchmark databases are named bench_*")
    with psycopg.connect(db_url("postgres"), autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        c.execute(f'CREATE DATABASE "{name}"')
    return db_url(name)


def drop_database(name: str) -> None:
    with psycopg.connect(db_url("postgres"), autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def flask_env(name: str) -> dict:
    """Environment for `flask …` on the benchmark database: no Redis (tasks in-process), a private matching index."""
    workdir = WORK / name
    workdir.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "APP_CONFIG", "TEST_DATABASE_URL")}
    env.update(DATABASE_URL=db_url(name), FLASK_APP="app:create_app", APP_CONFIG="development",
               MATCHING_INDEX_PATH=str(workdir / "matching.idx"), REPORTS_DIR=str(workdir / "reports"))
    return env


def flask(name: str, *args: str) -> None:
    subprocess.run([str(Path(sys.executable).parent / "flask"), *args], cwd=ROOT, env=flask_env(name), check=True,
                   stdout=subprocess.DEVNULL)


def migrate_and_demo(name: str) -> None:
    t = time.perf_counter()
    flask(name, "db", "upgrade")
    flask(name, "demo", "load")
    log(f"migrated and loaded the demo market in {time.perf_counter() - t:.1f} s")


@contextmanager
def connect(name: str):
    with psycopg.connect(db_url(name)) as c:
        c.execute("SET synchronous_commit = off")
        c.execute("SET maintenance_work_mem = '256MB'")
        yield c


def vacuum(name: str, *tables: str) -> None:
    """VACUUM ANALYZE after a bulk load: statistics for the planner and the visibility map for index-only scans
    (what autovacuum does by itself a little later on a live server)."""
    with psycopg.connect(db_url(name), autocommit=True) as c:
        for t in tables:
            c.execute(f"VACUUM (ANALYZE) {t}")


# --- listings ---------------------------------------------------------------------------------------------------

# Variations of the demo titles: what a real market of 100,000 listings looks like is many near-repeats.
PREFIXES = ["", "新一代", "高效", "低成本", "智能化", "绿色", "数字化", "轻量化", "国产化", "出口型", "小批量", "规模化",
            "模块化", "节能型", "高可靠"]
SUFFIXES = ["", "（二期）", "及产业化", "联合攻关", "技术合作", "中试验证", "工艺优化", "推广应用"]
EXTRA = ["项目周期一般为6至12个月，可分阶段验收。", "欢迎高校、科研院所和科技服务机构联系洽谈。",
         "要求合作方具备相关领域的研发团队和试验条件。", "成果可在永嘉县内企业开展中试和示范应用。",
         "可提供现场调研、样品测试和小批量试制支持。", "合作方式可面议，优先考虑长期合作伙伴。"]


def _pg_array(values: list[str]) -> str:
    return "ARRAY[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]::text[]"


def _listing_sql(table: str, n: int) -> str:
    need = table == "needs"
    own = ("description, town_code, budget_yuan, deadline, cooperation_mode" if need
           else "abstract, maturity, transfer_mode, price_yuan, leader, application, confidential")
    own_values = (
        "d.description || ' 项目实施地点：' || tw.name || '。' || x.extra, tw.code, "
        "CASE WHEN x.r3 < 0.1 THEN NULL ELSE (5 + floor(power(x.r3, 2) * 495))::bigint * 10000 END, "
        "current_date + (30 + floor(x.r4 * 700))::int, d.cooperation_mode"
        if need else
        "d.abstract || ' ' || x.extra, d.maturity, d.transfer_mode, "
        "CASE WHEN x.r3 < 0.15 THEN NULL ELSE (2 + floor(power(x.r3, 2) * 998))::bigint * 10000 END, "
        "d.leader, d.application, d.confidential")
    text_col = "description" if need else "abstract"
    return f"""
    WITH demo AS (
        SELECT row_number() OVER (ORDER BY t.id) AS rn, t.*, o.name AS org_name
        FROM {table} t JOIN organizations o ON o.id = t.organization_id WHERE t.status = 'approved'),
    cnt AS (SELECT count(*) AS k FROM demo),
    towns_n AS (SELECT row_number() OVER (ORDER BY sort_order) AS rn, code, name FROM towns),
    tcnt AS (SELECT count(*) AS k FROM towns_n),
    s AS (SELECT g, random() AS r1, random() AS r2, random() AS r3, random() AS r4 FROM generate_series(1, {n}) g),
    p AS (SELECT {_pg_array(PREFIXES)} AS prefixes, {_pg_array(SUFFIXES)} AS suffixes, {_pg_array(EXTRA)} AS extras),
    rows AS (
        SELECT s.*, d.id AS demo_id,
               left(p.prefixes[1 + (s.g / cnt.k) % cardinality(p.prefixes)] || d.title
                    || p.suffixes[1 + (s.g / (cnt.k * cardinality(p.prefixes))) % cardinality(p.suffixes)], 100) AS title,
               p.extras[1 + floor(s.r2 * cardinality(p.extras))::int] AS extra,
               1 + floor(s.r1 * tcnt.k)::int AS town_rn,
               now() - make_interval(secs => floor(s.r4 * 730 * 86400)) AS pub
        FROM s CROSS JOIN cnt CROSS JOIN tcnt CROSS JOIN p
        JOIN demo d ON d.rn = 1 + s.g % cnt.k)
    INSERT INTO {table} (title, keywords, status, reject_reason, submitted_at, published_at, search_text,
                         organization_id, created_by_id, reviewed_by_id, industry_code, created_at, updated_at,
                         confirmed_at, {own})
    SELECT x.title, d.keywords, 'approved', '', x.pub, x.pub, '', d.organization_id, d.created_by_id,
           d.reviewed_by_id, d.industry_code, x.pub, x.pub, now(), {own_values}
    FROM rows x JOIN demo d ON d.id = x.demo_id JOIN towns_n tw ON tw.rn = x.town_rn;
    UPDATE {table} t SET search_text = lower(t.title || ' ' || t.keywords || ' ' || t.{text_col} || ' ' || o.name)
    FROM organizations o WHERE o.id = t.organization_id AND t.search_text = '';
    """


def bulk_listings(name: str, total: int) -> None:
    """total approved listings, half needs and half achievements, from the demo texts, over all towns/industries."""
    t = time.perf_counter()
    with connect(name) as c:
        for table, n in (("needs", total // 2), ("achievements", total - total // 2)):
            c.execute(_listing_sql(table, n))
        c.commit()
    vacuum(name, "needs", "achievements")
    log(f"inserted {total:,} approved listings in {time.perf_counter() - t:.1f} s")


# --- brokers and their deals ------------------------------------------------------------------------------------

def bulk_brokers(name: str, n: int, deals_per_broker: int = 10) -> None:
    """n certified brokers (users + profiles), each with deals at every stage and their logs (open, assign, stage)."""
    if n <= 0:
        return
    t = time.perf_counter()
    with connect(name) as c:
        c.execute(f"""
        WITH bureau AS (SELECT id, password_hash FROM users WHERE role = 'bureau' ORDER BY id LIMIT 1),
             agencies AS (SELECT array_agg(id ORDER BY id) AS ids FROM organizations WHERE kind = 'service_agency')
        INSERT INTO users (email, name, phone, password_hash, role, organization_id, active, created_at, updated_at)
        SELECT 'broker' || g || '@bench.yjtm.cn', '经纪人' || g || '号', '', bureau.password_hash, 'broker',
               agencies.ids[1 + g % cardinality(agencies.ids)], true, now(), now()
        FROM generate_series(1, {n}) g, bureau, agencies""")
        c.execute("""
        INSERT INTO broker_profiles (user_id, organization_id, years_experience, introduction, status, certificate_no,
                                     level, decline_reason, submitted_at, reviewed_at, reviewed_by_id, created_at,
                                     updated_at)
        SELECT u.id, u.organization_id, u.id % 20, '从事技术转移服务，熟悉泵阀、鞋服和电气行业。', 'certified',
               'BENCH-' || u.id, (ARRAY['junior', 'intermediate', 'senior'])[1 + u.id % 3], '', now(), now(),
               (SELECT id FROM users WHERE role = 'bureau' ORDER BY id LIMIT 1), now(), now()
        FROM users u WHERE u.email LIKE '%@bench.yjtm.cn'""")
        c.execute(f"""
        WITH b AS (SELECT row_number() OVER (ORDER BY id) AS rn, id FROM users WHERE email LIKE '%@bench.yjtm.cn'),
             bureau AS (SELECT id FROM users WHERE role = 'bureau' ORDER BY id LIMIT 1),
             buyers AS (SELECT array_agg(id ORDER BY id) AS ids FROM organizations WHERE kind = 'enterprise'),
             sellers AS (SELECT array_agg(id ORDER BY id) AS ids FROM organizations
                         WHERE kind IN ('university', 'institute')),
             s AS (SELECT g, random() AS r1, random() AS r2, random() AS r3 FROM generate_series(1, {n * deals_per_broker}) g)
        INSERT INTO deals (buyer_org_id, seller_org_id, broker_id, source, source_id, stage, terminate_reason,
                           next_follow_up, created_by_id, created_at, updated_at)
        SELECT buyers.ids[1 + floor(s.r1 * cardinality(buyers.ids))::int],
               sellers.ids[1 + floor(s.r2 * cardinality(sellers.ids))::int], b.id, 'direct', NULL,
               (ARRAY['intent', 'negotiating', 'signed', 'registered', 'completed', 'terminated'])[1 + s.g % 6],
               CASE WHEN s.g % 6 = 5 THEN '双方价格未谈拢' ELSE '' END,
               current_date + (floor(s.r3 * 60) - 20)::int, bureau.id,
               now() - make_interval(days => (floor(s.r3 * 300))::int + 30), now()
        FROM s JOIN b ON b.rn = 1 + s.g % {n} CROSS JOIN bureau CROSS JOIN buyers CROSS JOIN sellers""")
        # the log: opened at 意向, assigned by the bureau, the broker's first note a few hours later, stage steps
        c.execute("""
        WITH bureau AS (SELECT id FROM users WHERE role = 'bureau' ORDER BY id LIMIT 1),
             d AS (SELECT * FROM deals WHERE broker_id IN (SELECT id FROM users WHERE email LIKE '%@bench.yjtm.cn'))
        INSERT INTO deal_events (deal_id, actor_id, kind, from_stage, to_stage, note, created_at)
        SELECT d.id, bureau.id, 'open', NULL, 'intent', '', d.created_at FROM d, bureau
        UNION ALL SELECT d.id, bureau.id, 'assign', NULL, NULL, '指派经纪人', d.created_at + interval '1 minute' FROM d, bureau
        UNION ALL SELECT d.id, d.broker_id, 'note', NULL, NULL, '已电话联系双方', d.created_at + make_interval(hours => 2 + d.id % 40) FROM d
        UNION ALL SELECT d.id, d.broker_id, 'stage', 'intent', 'negotiating', '', d.created_at + interval '5 days'
                  FROM d WHERE d.stage IN ('negotiating', 'signed', 'registered', 'completed', 'terminated')
        UNION ALL SELECT d.id, d.broker_id, 'stage', 'negotiating', 'signed', '', d.created_at + make_interval(days => 10 + d.id % 30)
                  FROM d WHERE d.stage IN ('signed', 'registered', 'completed')""")
        c.commit()
        c.execute("ANALYZE users; ANALYZE broker_profiles; ANALYZE deals; ANALYZE deal_events")
        c.commit()
    log(f"inserted {n} certified brokers with {n * deals_per_broker:,} deals in {time.perf_counter() - t:.1f} s")


# --- contracts ---------------------------------------------------------------------------------------------------

def bulk_contracts(name: str, n: int, batch: int = 250_000) -> None:
    """n registered technology contracts from 2021 to today: demo titles, demo organizations as parties (some from
    outside the platform), a fifth credited to a broker directly and a tenth through a bench deal."""
    t = time.perf_counter()
    with connect(name) as c:
        done = 0
        while done < n:
            k = min(batch, n - done)
            c.execute(f"""
            WITH orgs AS (SELECT array_agg(id ORDER BY id) AS ids, array_agg(name ORDER BY id) AS names,
                                 array_agg(credit_code ORDER BY id) AS codes, array_agg(region ORDER BY id) AS regions,
                                 array_agg(town_code IS NOT NULL ORDER BY id) AS local
                          FROM organizations WHERE kind <> 'government'),
                 buyers AS (SELECT array_agg(id ORDER BY id) AS ids FROM organizations WHERE kind = 'enterprise'),
                 titles AS (SELECT array_agg(title ORDER BY id) AS t FROM achievements WHERE id <= 1000),
                 achs AS (SELECT array_agg(id ORDER BY id) AS ids FROM achievements WHERE status = 'approved' AND id <= 5000),
                 brokers AS (SELECT coalesce(array_agg(id ORDER BY id), ARRAY[]::int[]) AS ids FROM users WHERE role = 'broker'),
                 deals_ AS (SELECT coalesce(array_agg(id ORDER BY id), ARRAY[]::int[]) AS ids FROM deals
                            WHERE stage IN ('signed', 'registered', 'completed')),
                 bureau AS (SELECT id FROM users WHERE role = 'bureau' ORDER BY id LIMIT 1),
                 s AS (SELECT g, random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5,
                              random() AS r6 FROM generate_series({done + 1}, {done + k}) g),
                 x AS (SELECT s.*,
                              array_position(orgs.ids, buyers.ids[1 + floor(s.r1 * cardinality(buyers.ids))::int]) AS bi,
                              1 + floor(s.r2 * cardinality(orgs.ids))::int AS si,
                              (2000 + floor(power(s.r3, 4) * 100000))::bigint AS amount,
                              date '2021-01-01' + floor(s.r4 * (current_date - date '2021-01-01'))::int AS counted
                       FROM s, orgs, buyers)
            INSERT INTO contracts (version, status, title, contract_type,
                                   buyer_org_id, buyer_name, buyer_credit_code, buyer_region, buyer_in_county,
                                   seller_org_id, seller_name, seller_credit_code, seller_region, seller_in_county,
                                   contract_amount_yuan, tech_amount_yuan, signed_on, deal_id, achievement_id, broker_id,
                                   recorded_by_id, correction_reason, submitted_at, return_reason, registration_number,
                                   registered_on, counted_on, registered_by_id, created_at, updated_at)
            SELECT 1, 'registered',
                   titles.t[1 + x.g % cardinality(titles.t)] || (ARRAY['技术开发合同', '技术转让合同', '技术许可合同',
                       '技术咨询合同', '技术服务合同'])[1 + x.g % 5],
                   (ARRAY['development', 'transfer', 'license', 'consulting', 'service'])[1 + x.g % 5],
                   orgs.ids[x.bi], orgs.names[x.bi], orgs.codes[x.bi], orgs.regions[x.bi], orgs.local[x.bi],
                   CASE WHEN x.r5 < 0.15 THEN NULL ELSE orgs.ids[x.si] END,
                   CASE WHEN x.r5 < 0.15 THEN '浙江某科技有限公司' || (x.g % 997) ELSE orgs.names[x.si] END,
                   CASE WHEN x.r5 < 0.15 THEN '' ELSE orgs.codes[x.si] END,
                   CASE WHEN x.r5 < 0.15 THEN '浙江省杭州市' ELSE orgs.regions[x.si] END,
                   CASE WHEN x.r5 < 0.15 THEN false ELSE orgs.local[x.si] END,
                   x.amount, greatest(1, floor(x.amount * (0.6 + 0.4 * x.r6)))::bigint,
                   x.counted - (x.g % 30),
                   CASE WHEN x.r6 < 0.1 AND cardinality(deals_.ids) > 0
                        THEN deals_.ids[1 + x.g % cardinality(deals_.ids)] END,
                   CASE WHEN x.r5 BETWEEN 0.15 AND 0.55 THEN achs.ids[1 + x.g % cardinality(achs.ids)] END,
                   CASE WHEN x.r6 >= 0.8 AND cardinality(brokers.ids) > 0
                        THEN brokers.ids[1 + x.g % cardinality(brokers.ids)] END,
                   bureau.id, '', x.counted - (x.g % 7), '', 'B330324' || lpad(x.g::text, 10, '0'),
                   x.counted, x.counted, bureau.id, now(), now()
            FROM x, orgs, titles, achs, brokers, deals_, bureau""")
            c.commit()
            done += k
            log(f"  contracts: {done:,} / {n:,}")
    vacuum(name, "contracts")
    log(f"inserted {n:,} registered contracts in {time.perf_counter() - t:.1f} s")


def make_app(name: str):
    """The Flask app (development config) on the benchmark database."""
    from app import create_app
    from config import DevelopmentConfig, _db_url

    class BenchConfig(DevelopmentConfig):
        SQLALCHEMY_DATABASE_URI = _db_url(db_url(name), "")
        REDIS_URL = None
        MATCHING_INDEX_PATH = str(WORK / name / "matching.idx")

    return create_app(BenchConfig)


@contextmanager
def app_for(name: str):
    """The Flask app on the benchmark database, in an app context."""
    app = make_app(name)
    with app.app_context():
        yield app
        from app.extensions import db
        db.session.remove()
        db.engine.dispose()


def load_market(name: str, listings: int, brokers: int, contracts: int) -> float:
    """A fresh benchmark database: migrations, the demo market, then the bulk rows. Returns the seconds it took."""
    t = time.perf_counter()
    recreate_database(name)
    migrate_and_demo(name)
    bulk_listings(name, listings)
    bulk_brokers(name, brokers)
    bulk_contracts(name, contracts)
    return round(time.perf_counter() - t, 1)


def recompute(name: str) -> dict:
    """Full recompute of the summary tables, timed: contract statistics and broker performance."""
    with app_for(name):
        from app.stats.brokers import recompute_broker_stats
        from app.stats.services import recompute_contract_stats
        t = time.perf_counter()
        rows = recompute_contract_stats()
        t_contracts = time.perf_counter() - t
        t = time.perf_counter()
        brokers = recompute_broker_stats()
        t_brokers = time.perf_counter() - t
    return {"contract_stats_s": round(t_contracts, 2), "contract_stat_rows": rows,
            "broker_stats_s": round(t_brokers, 2), "brokers": brokers,
            "full_recompute_s": round(t_contracts + t_brokers, 2)}
