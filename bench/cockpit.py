"""Cockpit benchmark (issue 5 § Benchmark): 1,000,000 registered contracts and 500 brokers in PostgreSQL.

    .venv/bin/python -m bench.cockpit [--contracts 1000000 --brokers 500 --requests 200]
    .venv/bin/python -m bench.cockpit --reuse         # measure again on the database of the last run

Prints one JSON object: the time of a full recompute (contract statistics + broker performance; goal ≤ 30 s) and
the cockpit page's response time p50/p95 over --requests sequential requests of a logged-in bureau user through the
Flask test client (goal p95 ≤ 100 ms: the page reads the summary tables), plus the broker leaderboard for reference.
The database `bench_cockpit` is the benchmark's own (dropped and recreated; kept unless --drop).
"""
import argparse
import json
import os
import statistics
import sys
import time

from bench import common
from bench.common import log

RECOMPUTE_GOAL_S = 30.0
COCKPIT_P95_GOAL_MS = 100.0


def percentile(values: list[float], p: float) -> float:
    s = sorted(values)
    k = max(0, min(len(s) - 1, round(p / 100 * len(s) + 0.5) - 1))  # nearest rank
    return s[k]


def time_page(name: str, path: str, n: int) -> dict:
    """n sequential GETs of path as the demo bureau user (test client: server-side time, no network)."""
    from sqlalchemy import select
    app = common.make_app(name)
    from app.accounts.models import User
    from app.extensions import db
    with app.app_context():
        # the id with its password stamp, as Flask-Login keeps it (User.get_id)
        session_id = db.session.scalar(select(User).where(User.email == "bureau@demo.yjtm.cn")).get_id()
    client = app.test_client()
    with client.session_transaction() as s:
        s["_user_id"] = session_id
        s["_fresh"] = True

    def one() -> float:
        with app.app_context():  # each request in its own app context, as in production (no cached user)
            t = time.perf_counter()
            r = client.get(path)
            ms = (time.perf_counter() - t) * 1000
        if r.status_code != 200:
            raise SystemExit(f"GET {path} answered {r.status_code}")
        return ms

    for _ in range(5):  # warm-up: templates compiled, connections in the pool
        one()
    times = [one() for _ in range(n)]
    with app.app_context():
        db.engine.dispose()
    return {"requests": n, "p50_ms": round(statistics.median(times), 1), "p95_ms": round(percentile(times, 95), 1),
            "max_ms": round(max(times), 1)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.cockpit", description=__doc__.split("\n")[0])
    ap.add_argument("--contracts", type=int, default=1_000_000)
    ap.add_argument("--brokers", type=int, default=500)
    ap.add_argument("--listings", type=int, default=10_000, help="achievements/needs the contracts point at")
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--database", default="bench_cockpit")
    ap.add_argument("--reuse", action="store_true", help="measure on the existing database, do not load it again")
    ap.add_argument("--drop", action="store_true", help="drop the benchmark database at the end")
    args = ap.parse_args(argv)
    name = args.database
    out = {"command": "python -m bench.cockpit " + " ".join(argv if argv is not None else sys.argv[1:]),
           "cores": os.cpu_count(), "load_avg_start": round(common.load_average(), 2)}
    if not args.reuse:
        out["load_s"] = common.load_market(name, args.listings, args.brokers, args.contracts)
    with common.connect(name) as c:
        out["registered_contracts"] = c.execute("SELECT count(*) FROM contracts WHERE status = 'registered'").fetchone()[0]
        out["certified_brokers"] = c.execute("SELECT count(*) FROM broker_profiles WHERE status = 'certified'").fetchone()[0]
        out["deals"] = c.execute("SELECT count(*) FROM deals").fetchone()[0]
    out["load_avg_before_recompute"] = round(common.load_average(), 2)
    log("full recompute …")
    out["recompute"] = common.recompute(name)
    log(f"recompute: {out['recompute']}")
    out["load_avg_before_pages"] = round(common.load_average(), 2)
    out["cockpit"] = time_page(name, "/bureau/cockpit", args.requests)
    log(f"cockpit: {out['cockpit']}")
    out["broker_leaderboard"] = time_page(name, "/bureau/brokers/performance", max(20, args.requests // 4))
    log(f"broker leaderboard: {out['broker_leaderboard']}")
    out["load_avg_end"] = round(common.load_average(), 2)
    out["goals"] = {
        "full_recompute_le_30s": {"met": out["recompute"]["full_recompute_s"] <= RECOMPUTE_GOAL_S,
                                  "seconds": out["recompute"]["full_recompute_s"]},
        "cockpit_p95_le_100ms": {"met": out["cockpit"]["p95_ms"] <= COCKPIT_P95_GOAL_MS,
                                 "p95_ms": out["cockpit"]["p95_ms"]},
    }
    print(json.dumps(out, ensure_ascii=False, indent=2))
    if args.drop:
        common.drop_database(name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
