"""Load benchmark (issue 7 item 4): 100,000 listings and 1,000,000 contracts in PostgreSQL, gunicorn, wrk per page.

    .venv/bin/python -m bench.load [--listings 100000 --contracts 1000000 --seconds 20 --connections 32]
    .venv/bin/python -m bench.load --reuse            # measure again on the database of the last run

Everything is on loopback and bounded: each page gets a short warm-up and `--seconds` of load; the whole run takes
a few minutes. The database `bench_load` is the benchmark's own (dropped and recreated); it is kept after the run
so the queries can be examined (`--drop` removes it).

Goals (issue 7): zero errors; listing, search and detail p95 ≤ 100 ms at 32 concurrent connections; throughput of
every page at least a third of the minimal Flask endpoint's on the same server. Two minimal endpoints are measured:
`ceiling`, a bare Flask app (bench/ceiling.py) under the same gunicorn settings, the stricter; and `app_minimal`,
the platform's own /healthz on the same server as the pages (every request through the platform's middleware:
request id, security headers, session handling, the page cache's pass).
"""
import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

from bench import common
from bench.common import log

ROOT = common.ROOT
DEMO_PASSWORD = "Yongjia2026"
BUREAU = "bureau@demo.yjtm.cn"
USER_AGENT = "yjtm-bench/1.0"
P95_GOAL_MS = 100.0
P95_PAGES = ("listing", "search", "detail")


# --- gunicorn -----------------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn on 127.0.0.1:<free port>, stopped by its own pid."""

    def __init__(self, wsgi: str, env: dict, workers: int, worker_class: str, threads: int, logfile: Path):
        self.port = free_port()
        cmd = [str(Path(sys.executable).parent / "gunicorn"), "-c", str(ROOT / "bench" / "gunicorn_conf.py"),
               "--workers", str(workers), "--worker-class", worker_class, "--bind", f"127.0.0.1:{self.port}",
               "--backlog", "2048", wsgi]
        if worker_class == "gthread":
            cmd[1:1] = ["--threads", str(threads)]
        self.log = open(logfile, "w")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, path: str = "/", timeout: float = 60) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"gunicorn exited with {self.proc.returncode}; see {self.log.name}")
            try:
                if get(self.port, path)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise SystemExit(f"gunicorn not ready after {timeout} s; see {self.log.name}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


# --- HTTP on loopback ---------------------------------------------------------------------------------------------

def get(port: int, path: str, headers: dict | None = None) -> tuple[int, dict, str]:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        c.request("GET", path, headers={"User-Agent": USER_AGENT, **(headers or {})})
        r = c.getresponse()
        return r.status, r.headers, r.read().decode("utf-8", "replace")
    finally:
        c.close()


def post_form(port: int, path: str, data: dict, headers: dict) -> tuple[int, dict, str]:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        c.request("POST", path, body=urllib.parse.urlencode(data),
                  headers={"User-Agent": USER_AGENT, "Content-Type": "application/x-www-form-urlencoded", **headers})
        r = c.getresponse()
        return r.status, r.headers, r.read().decode("utf-8", "replace")
    finally:
        c.close()


def session_cookie(headers) -> str | None:
    """The session cookie from Set-Cookie (production cookies are Secure: a client would not send them over plain
    HTTP, so the benchmark carries the value itself)."""
    for v in headers.get_all("Set-Cookie") or []:
        m = re.match(r"\s*(session=[^;]*)", v)
        if m:
            return m.group(1)
    return None


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf(html: str) -> str:
    m = CSRF_RE.search(html)
    if not m:
        raise SystemExit("no CSRF token on the page")
    return m.group(1) or m.group(2)


def login_and_token(port: int) -> tuple[str, str]:
    """Log the demo bureau user in (session cookie for the cockpit) and create an API token on /account/tokens."""
    status, h, html = get(port, "/login")
    cookie = session_cookie(h)
    status, h, _ = post_form(port, "/login", {"email": BUREAU, "password": DEMO_PASSWORD, "csrf_token": csrf(html)},
                             {"Cookie": cookie})
    if status != 302:
        raise SystemExit(f"bureau login failed: HTTP {status}")
    cookie = session_cookie(h) or cookie
    status, h, html = get(port, "/account/tokens", {"Cookie": cookie})
    cookie = session_cookie(h) or cookie
    status, h, html = post_form(port, "/account/tokens", {"name": f"bench {int(time.time())}", "csrf_token": csrf(html)},
                                {"Cookie": cookie})
    m = re.search(r"yjtm_[A-Za-z0-9_\-]{20,}", html)
    if status != 200 or not m:
        raise SystemExit(f"API token not created: HTTP {status}")
    return session_cookie(h) or cookie, m.group(0)


# --- wrk ----------------------------------------------------------------------------------------------------------

LUA = r"""
-- generated by bench/load.py: fixed headers, paths in turn, non-2xx counted, figures printed as JSON
local paths = {%(paths)s}
%(headers)s
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) non2xx = 0; i = 0 end
function request()
  i = i %% #paths + 1
  return wrk.format(nil, paths[i])
end
function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end
function done(summary, latency, requests)
  local n = 0
  for _, t in ipairs(threads) do n = n + (t:get("non2xx") or 0) end
  local e = summary.errors
  io.write(string.format('BENCHJSON {"requests": %%d, "duration_us": %%d, "socket_errors": %%d, "http_4xx_5xx": %%d, ' ..
    '"non_2xx": %%d, "timeouts": %%d, "p50_us": %%d, "p95_us": %%d, "p99_us": %%d, "max_us": %%d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status, n, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


def lua_script(path: Path, paths: list[str], headers: dict) -> Path:
    def q(s: str) -> str:
        return json.dumps(s, ensure_ascii=True)  # a JSON string is a valid Lua string literal here
    path.write_text(LUA % {
        "paths": ", ".join(q(p) for p in paths),
        "headers": "\n".join(f"wrk.headers[{q(k)}] = {q(v)}" for k, v in headers.items()),
    })
    return path


def run_wrk(port: int, script: Path, seconds: int, connections: int, threads: int) -> dict:
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script),
           f"http://127.0.0.1:{port}/"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("BENCHJSON ")), None)
    if line is None:
        raise SystemExit(f"wrk printed no figures:\n{out.stdout}\n{out.stderr}")
    r = json.loads(line[len("BENCHJSON "):])
    secs = r["duration_us"] / 1e6
    return {"rps": round(r["requests"] / secs, 1), "requests": r["requests"],
            "p50_ms": round(r["p50_us"] / 1000, 1), "p95_ms": round(r["p95_us"] / 1000, 1),
            "p99_ms": round(r["p99_us"] / 1000, 1), "max_ms": round(r["max_us"] / 1000, 1),
            "errors": r["non_2xx"] + r["socket_errors"], "non_2xx": r["non_2xx"],
            "socket_errors": r["socket_errors"], "timeouts": r["timeouts"]}


def wait_for_quiet(max_load: float, wait: int) -> float:
    """Wait (at most `wait` s) until the 1-minute load average is below max_load: the machine is shared."""
    deadline = time.time() + wait
    la = common.load_average()
    while la >= max_load and time.time() < deadline:
        time.sleep(5)
        la = common.load_average()
    if la >= max_load:
        log(f"load average still {la:.2f} (≥ {max_load}): figures are taken on a busy machine")
    return la


def measure(port: int, name: str, paths: list[str], headers: dict, args, workdir: Path) -> dict:
    for p in paths[:3]:  # every page must really answer 200 before it is measured (no login page, no 429)
        status, _, _ = get(port, p, headers)
        if status != 200:
            raise SystemExit(f"{name}: GET {p} answered {status}, not 200")
    script = lua_script(workdir / f"wrk_{name}.lua", paths, {"User-Agent": USER_AGENT, **headers})
    run_wrk(port, script, args.warmup, args.connections, args.threads)  # warm-up, not counted
    la = wait_for_quiet(args.max_load, args.wait_load) if args.wait_load else common.load_average()
    r = run_wrk(port, script, args.seconds, args.connections, args.threads)
    r["load_avg_before"] = round(la, 2)
    r["load_avg_after"] = round(common.load_average(), 2)
    log(f"{name:<9} {r['rps']:>8.1f} req/s  p50 {r['p50_ms']:>7.1f}  p95 {r['p95_ms']:>7.1f}  "
        f"p99 {r['p99_ms']:>7.1f} ms  errors {r['errors']}  (load {r['load_avg_before']})")
    return r


# --- the run ------------------------------------------------------------------------------------------------------

def prepare(args) -> dict:
    name = args.database
    figures = {"load_s": common.load_market(name, args.listings, args.brokers, args.contracts)}
    figures["recompute"] = common.recompute(name)
    log(f"recompute: {figures['recompute']}")
    # The matching index is not rebuilt for the bulk listings: `flask demo load` built it for the demo market;
    # a rebuild over 100,000 listings takes minutes and no page measured here reads it (anonymous detail pages
    # show no suggestions).
    figures["matching_index"] = "skipped for the bulk listings (demo listings only)"
    return figures


# Visitors do not all ask the same thing: the listing and search pages are driven over a set of addresses in turn.
SEARCH_WORDS = ["阀门密封", "球阀", "泵", "密封件", "电机节能", "鞋底", "防滑橡胶", "数控机床", "注塑模具", "传感器",
                "锂电池", "光伏", "污水处理", "包装机械", "食品检测", "教育装备", "智能制造", "新材料", "耐磨涂层",
                "阀门 铸造", "3d打印", "物联网", "节能减排", "热处理", "不锈钢"]
LISTING_FILTERS = [
    "/needs?industry=pump_valve&town=oubei&sort=budget_desc",
    "/needs?industry=pump_valve&sort=newest",
    "/needs?town=oubei&min=10&max=500",
    "/needs?sort=deadline",
    "/needs?industry=pump_valve&town=oubei&sort=budget_desc&page=2",
    "/achievements?maturity=pilot&sort=price_desc",
    "/achievements?industry=pump_valve&transfer_mode=license",
    "/achievements?sort=newest&page=3",
]


def search_paths() -> list[str]:
    return [f"/{kind}?q={urllib.parse.quote(w)}" for w in SEARCH_WORDS for kind in ("achievements", "needs")]


def detail_paths(name: str, n: int = 500) -> list[str]:
    with common.connect(name) as c:
        ids = [r[0] for r in c.execute("SELECT id FROM needs WHERE status = 'approved' AND hidden_stale_at IS NULL "
                                       "ORDER BY random() LIMIT %s", (n,))]
    return [f"/needs/{i}" for i in ids]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n")[0])
    ap.add_argument("--listings", type=int, default=100_000)
    ap.add_argument("--contracts", type=int, default=1_000_000)
    ap.add_argument("--brokers", type=int, default=500)
    ap.add_argument("--seconds", type=int, default=20, help="measured seconds per page (at most ~20)")
    ap.add_argument("--warmup", type=int, default=3, help="unmeasured seconds per page before it")
    ap.add_argument("--connections", type=int, default=32, help="the goals are stated at 32")
    ap.add_argument("--threads", type=int, default=2, help="wrk threads")
    ap.add_argument("--workers", type=int, default=4, help="gunicorn workers (2 × cores)")
    ap.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    ap.add_argument("--gthreads", type=int, default=2, help="threads per worker with --worker-class gthread")
    ap.add_argument("--database", default="bench_load")
    ap.add_argument("--redis-url", default="redis://127.0.0.1:6379/11",
                    help="rate-limit store as in production ('' for in-memory)")
    ap.add_argument("--reuse", action="store_true", help="measure on the existing database, do not load it again")
    ap.add_argument("--prepare-only", action="store_true", help="load the database and stop (measure later with --reuse)")
    ap.add_argument("--pages", default="", help="comma-separated subset, e.g. search,listing")
    ap.add_argument("--max-load", type=float, default=1.5)
    ap.add_argument("--wait-load", type=int, default=0,
                    help="before each page wait up to this many seconds for the load average to fall below --max-load")
    ap.add_argument("--uncached", action=argparse.BooleanOptionalAction, default=True,
                    help="also measure the public pages with the public page cache off (default: yes)")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--drop", action="store_true", help="drop the benchmark database at the end")
    args = ap.parse_args(argv)
    args.seconds = max(1, min(args.seconds, 20))

    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install -y wrk   (Debian package `wrk`)", file=sys.stderr)
        return 2
    name = args.database
    workdir = common.WORK / name
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.time()
    log(f"load average at start: {common.load_average():.2f} ({os.cpu_count()} cores)")

    result = {"command": "python -m bench.load " + " ".join(argv if argv is not None else sys.argv[1:]),
              "settings": {"listings": args.listings, "contracts": args.contracts, "brokers": args.brokers,
                           "connections": args.connections, "seconds": args.seconds, "wrk_threads": args.threads,
                           "gunicorn": f"{args.workers} × {args.worker_class}"
                                       + (f" × {args.gthreads} threads" if args.worker_class == "gthread" else ""),
                           "cores": os.cpu_count()}}
    if not args.reuse:
        result["prepare"] = prepare(args)
        if args.prepare_only:
            print(json.dumps(result, ensure_ascii=False, indent=2))
            return 0

    env = {k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_URL",)}
    env.update(APP_CONFIG="production", SECRET_KEY=secrets.token_hex(32), DATABASE_URL=common.db_url(name),
               MATCHING_INDEX_PATH=str(workdir / "matching.idx"), REPORTS_DIR=str(workdir / "reports"),
               BENCH_API_RATE_LIMIT="1000000 per minute",
               LOG_LEVEL="INFO")  # as in production: one JSON access line per request (to gunicorn*.log)
    if args.redis_url:
        env["REDIS_URL"] = args.redis_url
    else:
        env.pop("REDIS_URL", None)

    wanted = {p for p in args.pages.split(",") if p}
    pages = {}
    # Each public page is measured twice: as deployed (anonymous visitors served by the public page cache,
    # app/pagecache.py) and with that cache off, which is what every first visit and every signed-in user costs.
    runs = [("", "30")] + ([("_nocache", "0")] if args.uncached else [])
    searches, details = search_paths(), detail_paths(name)  # the same addresses for both runs
    for suffix, cache_seconds in runs:
        server = Server("app:create_app()", {**env, "PUBLIC_PAGE_CACHE_SECONDS": cache_seconds}, args.workers,
                        args.worker_class, args.gthreads, workdir / f"gunicorn{suffix}.log")
        try:
            server.wait_ready()
            plan = [
                ("home", ["/"], {}),
                ("listing", LISTING_FILTERS, {}),
                ("search", searches, {}),
                ("detail", details, {}),
            ]
            if not suffix:  # signed in: never from the page cache, measured once
                cookie, token = login_and_token(server.port)
                plan += [("app_minimal", ["/healthz"], {}),
                         ("listing_signed_in", LISTING_FILTERS, {"Cookie": cookie}),
                         ("search_signed_in", searches, {"Cookie": cookie}),
                         ("cockpit", ["/bureau/cockpit"], {"Cookie": cookie}),
                         ("api", ["/api/v1/achievements?per_page=20"], {"Authorization": f"Bearer {token}"})]
            for page, paths, headers in plan:
                if wanted and page not in wanted:
                    continue
                shown = paths[0] if len(paths) == 1 else f"{paths[0]} … ({len(paths)} addresses in turn)"
                pages[page + suffix] = {"path": shown, **measure(server.port, page + suffix, paths, headers, args,
                                                                 workdir)}
        finally:
            server.stop()

    if not wanted or "ceiling" in wanted:
        ceiling = Server("bench.ceiling:app", env, args.workers, args.worker_class, args.gthreads,
                         workdir / "gunicorn-ceiling.log")
        try:
            ceiling.wait_ready()
            pages["ceiling"] = {"path": "/ (bench/ceiling.py)", **measure(ceiling.port, "ceiling", ["/"], {}, args,
                                                                          workdir)}
        finally:
            ceiling.stop()

    result["pages"] = pages
    result["goals"] = goals(pages, args.connections)
    result["elapsed_s"] = round(time.time() - started, 1)
    print_table(pages, result["goals"])
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2))
    if args.drop:
        common.drop_database(name)
    return 0


def goals(pages: dict, connections: int) -> dict:
    out = {}
    out["zero_errors"] = {"met": all(p["errors"] == 0 for p in pages.values()),
                          "errors": {k: p["errors"] for k, p in pages.items()}}
    for k in pages:
        if k.removesuffix("_nocache").removesuffix("_signed_in") in P95_PAGES:
            out[f"{k}_p95_le_{int(P95_GOAL_MS)}ms"] = {
                "met": pages[k]["p95_ms"] <= P95_GOAL_MS and connections >= 32, "p95_ms": pages[k]["p95_ms"],
                **({"note": f"measured at {connections} connections, the goal is stated at 32"}
                   if connections < 32 else {})}
    for ref in ("ceiling", "app_minimal"):
        if ref not in pages:
            continue
        third = pages[ref]["rps"] / 3
        for k, p in pages.items():
            if k not in ("ceiling", "app_minimal"):
                out[f"{k}_rps_ge_third_of_{ref}"] = {"met": p["rps"] >= third, "rps": p["rps"],
                                                     "needed": round(third, 1)}
    return out


def print_table(pages: dict, goal: dict) -> None:
    print()
    print(f"{'page':<17} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7} {'load':>5}  path")
    for k, p in pages.items():
        print(f"{k:<17} {p['rps']:>8.1f} {p['p50_ms']:>8.1f} {p['p95_ms']:>8.1f} {p['p99_ms']:>8.1f} "
              f"{p['errors']:>7} {p['load_avg_before']:>5.2f}  {p['path']}")
    print()
    for k, g in goal.items():
        print(f"  {'MET   ' if g['met'] else 'NOT MET'} {k}: " + ", ".join(f"{a}={b}" for a, b in g.items() if a != 'met'))
    print()


if __name__ == "__main__":
    sys.exit(main())
