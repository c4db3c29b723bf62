"""Every page as each role sees it, on the benchmark market (100,000 listings, 1,000,000 contracts): time and queries.

    .venv/bin/python -m bench.pages [--database bench_load] [--budget-ms 300]

bench.load drives a few public pages under load; this walks all the others once each, signed in as the bureau and
as the busiest broker, enterprise and university of the market (the user with the most deals or contracts), so a
page that reads a whole table, or runs a query per row, shows up by name. For each page: the status, the server-side
time of the second visit (test client: templates compiled, connections pooled; median of --repeat) and the number of
SQL statements. Pages over --budget-ms are listed at the end. Needs the database of `python -m bench.load
--prepare-only` (or of an earlier bench.load run).
"""
import argparse
import json
import statistics
import sys
import time

from bench import common
from bench.common import log

# the roles and how to pick their busiest user on the benchmark market
ROLES = {
    "bureau": "SELECT id FROM users WHERE role = 'bureau' ORDER BY id LIMIT 1",
    "broker": "SELECT broker_id FROM deals WHERE broker_id IS NOT NULL GROUP BY broker_id ORDER BY count(*) DESC, "
              "broker_id LIMIT 1",
    "enterprise": "SELECT u.id FROM users u JOIN contracts c ON c.buyer_org_id = u.organization_id "
                  "WHERE u.role = 'enterprise' GROUP BY u.id ORDER BY count(*) DESC, u.id LIMIT 1",
    "university": "SELECT u.id FROM users u JOIN contracts c ON c.seller_org_id = u.organization_id "
                  "WHERE u.role = 'university' GROUP BY u.id ORDER BY count(*) DESC, u.id LIMIT 1",
}
# pages with an id in their address: one real row of each, picked from the market
SAMPLES = {
    "/needs/{}": "SELECT id FROM needs WHERE status = 'approved' ORDER BY id DESC LIMIT 1",
    "/achievements/{}": "SELECT id FROM achievements WHERE status = 'approved' ORDER BY id DESC LIMIT 1",
    "/deals/{}": "SELECT id FROM deals ORDER BY id DESC LIMIT 1",
    "/contracts/{}": "SELECT id FROM contracts ORDER BY id DESC LIMIT 1",
    "/brokers/performance/{}": "SELECT broker_id FROM deals WHERE broker_id IS NOT NULL GROUP BY broker_id "
                               "ORDER BY count(*) DESC LIMIT 1",
    "/auctions/{}": "SELECT id FROM auctions ORDER BY id DESC LIMIT 1",
    "/events/{}": "SELECT id FROM matchmaking_events ORDER BY id DESC LIMIT 1",
    "/calls/{}": "SELECT id FROM challenge_calls ORDER BY id DESC LIMIT 1",
}
SKIP = ("/static", "/api/", "/healthz", "/readyz", "/logout")


def addresses(app, conn) -> list[str]:
    plain = sorted({r.rule for r in app.url_map.iter_rules()
                    if "GET" in r.methods and not r.arguments and not r.rule.startswith(SKIP)})
    with_ids = []
    for pattern, sql in SAMPLES.items():
        try:
            row = conn.execute(sql).fetchone()
        except Exception:  # a table this version does not have
            conn.rollback()
            continue
        if row:
            with_ids.append(pattern.format(row[0]))
    return plain + with_ids


def measure(app, user_id: int, paths: list[str], repeat: int) -> list[dict]:
    from sqlalchemy import event

    from app.extensions import db
    statements = []

    def count(*_args):
        statements.append(1)
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
    from app.accounts.models import User
    with app.app_context():
        session_id = db.session.get(User, user_id).get_id()  # the id with its password stamp (User.get_id)
    client = app.test_client()
    with client.session_transaction() as s:
        s["_user_id"] = session_id
        s["_fresh"] = True
    out = []
    for path in paths:
        client.get(path)  # first visit: templates compiled, kept figures computed
        times, status = [], None
        for _ in range(repeat):
            statements.clear()
            t = time.perf_counter()
            status = client.get(path).status_code
            times.append((time.perf_counter() - t) * 1000)
        out.append({"path": path, "status": status, "ms": round(statistics.median(times), 1),
                    "queries": len(statements)})
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.pages", description=__doc__.split("\n")[0])
    ap.add_argument("--database", default="bench_load")
    ap.add_argument("--roles", default=",".join(ROLES))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--budget-ms", type=float, default=300.0)
    ap.add_argument("--json", help="also write the figures here")
    args = ap.parse_args(argv)

    app = common.make_app(args.database)
    with common.connect(args.database) as conn:
        paths = addresses(app, conn)
        users = {role: conn.execute(ROLES[role]).fetchone() for role in args.roles.split(",")}
    result, over = {}, []
    print(f"{'role':10} {'status':>6} {'ms':>8} {'queries':>7}  page")
    for role, row in users.items():
        if not row:
            log(f"{role}: no such user on this market, skipped")
            continue
        rows = measure(app, row[0], paths, args.repeat)
        result[role] = rows
        for r in rows:
            flag = "  ← over budget" if r["ms"] > args.budget_ms and r["status"] == 200 else ""
            print(f"{role:10} {r['status']:>6} {r['ms']:>8.1f} {r['queries']:>7}  {r['path']}{flag}", flush=True)
            if flag:
                over.append(f"{role} {r['path']} {r['ms']} ms")
    print(f"\npages answering 200 over {args.budget_ms:.0f} ms: {len(over)}")
    for line in over:
        print("  " + line)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"budget_ms": args.budget_ms, "pages": result, "over_budget": over}, f, ensure_ascii=False,
                      indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
