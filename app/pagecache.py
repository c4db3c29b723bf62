"""Public page cache: anonymous visitors' GETs of the public pages are served from memory for a few seconds.

Most of the market's traffic is anonymous browsing (home, browse with filters, search, listing detail) and every such
visitor sees the same page for the same address. Rendering one costs 5–10 ms of CPU (queries, Jinja); a copy costs
microseconds. This is what a reverse proxy's micro-cache would do, kept in the app so that invalidation is exact:

* Only GET of the paths in CACHEABLE, only without a Cookie carrying the session and without Authorization, so a
  signed-in user, a flashed message or a form with a CSRF token never comes from (or goes into) the cache.
* Only 200 text/html answers that set no cookie are stored, at most PUBLIC_PAGE_CACHE_SECONDS old and within a byte
  budget per process (least recently used out first).
* Every commit that changes a table the public pages show (WATCHED["public"]) bumps a generation — in Redis when
  REDIS_URL is set, else a file in the instance folder. With Redis, each bump is also pushed to every process
  (app/pagecache_push.py) and read from memory; otherwise (and while the push is down) each process reads it at most
  every PUBLIC_PAGE_CACHE_CHECK_SECONDS. A copy from an older generation is never served. Generation unreadable
  (Redis down) → no cache, every request rendered as before.

* With Redis, a rendered copy is also kept there (compressed, for the same TTL, under its generation) and a process
  that has no copy of its own takes that one before rendering: an address is rendered once per change for the whole
  server, not once per worker process (SharedCopies). Redis unreachable → each process renders its own, as before.

The same generations serve the copies kept inside the app: memo() for values everyone sees alike (home figures,
reference lists, cockpit figures, browse results; share=True also through Redis), and KeptCopies with
generation_now() — current on each request: as pushed, else one MGET — for per-user copies that must never be stale: who is signed
in (app/accounts/identity.py, generation "accounts") and the unread badge ("notifications").

PUBLIC_PAGE_CACHE_SECONDS = 0 turns it all off (the test configuration does, except in tests/test_pagecache.py and
tests/accounts/test_identity.py). Answers carry `X-Page-Cache: hit` or `miss`.
"""
import functools
import hashlib
import json
import logging
import math
import os
import re
import secrets
import threading
import time
import zlib
from collections import OrderedDict
from pathlib import Path

from flask import Flask, current_app, g, has_app_context
from markupsafe import Markup
from sqlalchemy import event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from app import pagecache_push
from app.ops.logs import REQUEST_ID_HEADER, access_log, request_id_for, request_id_var, write_access_line

log = logging.getLogger(__name__)

CACHEABLE = re.compile(r"^/(?:|needs|achievements|needs/\d+|achievements/\d+)$")
# Generations and the tables whose committed changes bump them. "public": what the cached pages show (listings,
# their organizations, patents, the reference lists). "stats": what the cockpit's figures are made of (summary
# tables, targets, the plan's indicators). Committed ORM changes and UPDATE/DELETE/INSERT statements both count.
# "accounts": who is signed in (users, API tokens; app/accounts/identity.py). "notifications": the menu's unread badge.
# "contracts": the registered contracts' totals summed over the contracts themselves (contracts.services).
WATCHED = {
    "public": frozenset({"needs", "achievements", "organizations", "patents", "industries", "towns"}),
    "stats": frozenset({"contract_stats", "contract_rollups", "yearly_targets", "indicators", "indicator_values"}),
    "accounts": frozenset({"users", "api_tokens"}),
    "notifications": frozenset({"notifications"}),
    "contracts": frozenset({"contracts"}),
}
# Columns whose change alone bumps nothing: bookkeeping no cached copy shows (a token's last use is written at most
# once a minute per process, app/api/tokens.py; bumping "accounts" for it would empty every process's identities).
UNWATCHED_COLUMNS = {"api_tokens": frozenset({"last_used_at"})}


@functools.lru_cache(maxsize=8)
def _redis(url: str):
    """One client (and connection pool) per Redis URL for the generations and the shared copies; short timeouts:
    it sits on the path of every cached page, and Redis away must cost little (the cache is then bypassed)."""
    import redis
    return redis.Redis.from_url(url, socket_timeout=0.2, socket_connect_timeout=0.2)


# after a failed read, a second without trying that Redis: a Redis that hangs must not add its timeout to each page
REDIS_RETRY_SECONDS = 1.0
_redis_down_until: dict[str, float] = {}


def _random_start() -> int:
    return secrets.randbits(52) + 1  # far from any number a restarted counter would count up to


def _watcher(url: str) -> pagecache_push.Watcher:
    return pagecache_push.watcher(url, Generation._read_redis)


class Generation:
    """The shared generation: Redis INCR when configured, else the content of a file every process can see."""

    def __init__(self, redis_url: str | None, path: Path, name: str = "public", push: bool = True):
        """push: take the values pushed to this process by Redis when they can be trusted (app/pagecache_push.py)
        rather than read them on every call."""
        self.redis_url = redis_url
        self.push = push
        self.path = path
        self.key = f"yjtm:pagecache:{name}"

    def _client(self):
        return _redis(self.redis_url)

    def read(self):
        """The current generation, or None when it cannot be read (then nothing is served from the cache)."""
        return Generation.read_many([self])[0]

    def pushed(self):
        """The value pushed to this process, without I/O, or None when there is none to trust right now."""
        values = Generation._pushed_many([self])
        return values[0] if values is not None else None

    @staticmethod
    def _pushed_many(generations: list["Generation"]) -> list | None:
        url = generations[0].redis_url
        if (not url or not all(gen.push and gen.redis_url == url for gen in generations)
                or time.monotonic() < _redis_down_until.get(url, 0.0)):
            return None
        return _watcher(url).values([gen.key for gen in generations])

    def _read_file(self):
        try:
            return self.path.read_text() if self.path.exists() else "0"
        except OSError:
            return None

    @staticmethod
    def _read_redis(url: str, keys: list[str]) -> list[int]:
        """The counters read from Redis now (raises when it cannot be read). Missing counters (a new or restarted
        Redis) begin at a random value, never at 0 again: a copy kept under a number from before the restart must
        not become valid when the new counter reaches that number."""
        values = _redis(url).mget(keys)
        if None in values:
            missing = [k for k, v in zip(keys, values, strict=True) if v is None]
            pipe = _redis(url).pipeline()
            for key in missing:
                pipe.set(key, _random_start(), nx=True)
            for key in missing:
                pipe.get(key)
            started = dict(zip(missing, pipe.execute()[len(missing):], strict=True))
            values = [started.get(k, v) for k, v in zip(keys, values, strict=True)]
        return [int(v) for v in values]

    @staticmethod
    def read_many(generations: list["Generation"]) -> list:
        """The generations' values (None: unreadable, so no copies): as pushed to this process when that can be
        trusted (app/pagecache_push.py), else with one Redis round trip when they share a Redis URL. Redis down or
        the file unreadable: bypass the copies rather than serve stale ones."""
        urls = {gen.redis_url for gen in generations}
        if urls == {None}:
            return [gen._read_file() for gen in generations]
        if len(urls) > 1:
            return [gen.read() for gen in generations]
        url = urls.pop()
        if time.monotonic() < _redis_down_until.get(url, 0.0):
            return [None] * len(generations)
        pushed = Generation._pushed_many(generations)
        if pushed is not None:
            return pushed
        try:
            return Generation._read_redis(url, [gen.key for gen in generations])
        except Exception:  # as read(): unreadable means no copies
            _redis_down_until[url] = time.monotonic() + REDIS_RETRY_SECONDS
            return [None] * len(generations)

    def bump(self) -> None:
        try:
            if self.redis_url:
                if self.push:  # this process: not from the pushed values until read again after this bump
                    _watcher(self.redis_url).invalidate()
                pipe = self._client().pipeline()
                pipe.set(self.key, _random_start(), nx=True)  # a missing counter starts at random (_read_redis)
                pipe.incr(self.key)
                pipe.publish(pagecache_push.CHANNEL, self.key)  # every other process: read again
                pipe.execute()
                # Redis writes the message to the subscribers in the same pass over its clients as this answer, in
                # no set order; an answer to a later command comes after that pass. So after this round trip every
                # process on this host has the message on its socket before this request ends (and so before any
                # request that could follow it).
                self._client().ping()
            else:
                # a value no other bump writes (mtimes can repeat within a clock tick), replaced atomically
                self.path.parent.mkdir(parents=True, exist_ok=True)
                tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.{threading.get_ident()}")
                tmp.write_text(f"{time.time_ns()}-{os.getpid()}-{threading.get_ident()}")
                os.replace(tmp, self.path)
        except Exception:
            # the TTL still bounds how long a changed page is served
            log.warning("page cache generation could not be bumped", exc_info=True)


class SharedCopies:
    """The second level: copies in Redis that every web process reads. Four gunicorn workers each rendered every
    address once per change; with 500 detail pages or 50 searches in turn those misses (each one blocking the
    requests queued behind it) made the p95 (bench/load.py). A copy is JSON (status, headers, when rendered) and the
    zlib-compressed body, never pickle: nothing read back from Redis is executed."""

    PREFIX = "yjtm:page:"

    def __init__(self, redis_url: str, max_body: int):
        self.redis_url = redis_url
        self.max_body = max_body

    def _client(self):
        return _redis(self.redis_url)

    def _key(self, gen, key) -> str:
        return self.PREFIX + hashlib.sha1(repr((gen, key)).encode("utf-8", "replace")).hexdigest()

    def get(self, gen, key):
        """(status, headers, body, age in seconds) of the shared copy, or None (none, unreadable, Redis down)."""
        try:
            raw = self._client().get(self._key(gen, key))
            if not raw:
                return None
            meta, _, packed = raw.partition(b"\n")
            m = json.loads(meta)
            return m["s"], [tuple(h) for h in m["h"]], zlib.decompress(packed), max(0.0, time.time() - m["t"])
        except Exception:
            log.debug("shared page copy unreadable", exc_info=True)
            return None

    def put(self, gen, key, status: str, headers: list, body: bytes, ttl: float) -> None:
        if len(body) > self.max_body:
            return
        try:
            meta = json.dumps({"s": status, "h": headers, "t": time.time()}).encode()
            self._client().set(self._key(gen, key), meta + b"\n" + zlib.compress(body, 1), ex=max(1, math.ceil(ttl)))
        except Exception:  # a copy not shared is rendered again by the next process; never fail the visit
            log.debug("shared page copy not stored", exc_info=True)


class PublicPageCache:
    """WSGI middleware in front of the Flask app (see the module docstring)."""

    def __init__(self, wsgi_app, generation: Generation, ttl: float, check_every: float, max_bytes: int,
                 session_cookie: str, others: dict[str, Generation] | None = None,
                 remember_cookie: str = "remember_token", shared: SharedCopies | None = None):
        self.wsgi_app = wsgi_app
        self.shared = shared
        self.generations = {"public": generation, **(others or {})}
        self.ttl = ttl
        self.check_every = check_every
        self.max_bytes = max_bytes
        # a visitor carrying either cookie may be signed in (Flask-Login restores a user from "remember me")
        self.personal_cookies = (session_cookie + "=", remember_cookie + "=")
        self._entries: OrderedDict = OrderedDict()  # key -> (generation, stored_at, status, headers, body)
        self.values = KeptCopies(MEMO_MAX, ttl)  # memo()
        self._bytes = 0
        self._gen_read: dict[str, tuple] = {}  # name -> (value, read_at)
        self._lock = threading.Lock()  # gthread workers share one cache per process

    # -- the shared generations, as pushed, else each read at most every check_every seconds ------------------------
    def current_generation(self, name: str = "public"):
        pushed = self.generations[name].pushed()  # exact and free when the push is up: no need to wait a second
        if pushed is not None:
            return pushed
        now = time.monotonic()
        value, read_at = self._gen_read.get(name, (None, float("-inf")))
        if now - read_at >= self.check_every:
            value = self.generations[name].read()
            self._gen_read[name] = (value, now)
        return value

    def cacheable(self, environ) -> bool:
        return (environ.get("REQUEST_METHOD") == "GET"
                and CACHEABLE.match(environ.get("PATH_INFO", "")) is not None
                and "HTTP_AUTHORIZATION" not in environ
                and not any(c in environ.get("HTTP_COOKIE", "") for c in self.personal_cookies))

    def __call__(self, environ, start_response):
        if not self.cacheable(environ):
            return self.wsgi_app(environ, start_response)
        gen = self.current_generation()
        if gen is None:
            return self.wsgi_app(environ, start_response)
        key = (environ.get("wsgi.url_scheme"), environ.get("HTTP_HOST", ""), environ.get("PATH_INFO", ""),
               environ.get("QUERY_STRING", ""))
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and (entry[0] != gen or now - entry[1] > self.ttl):
                self._drop(key)
                entry = None
            if entry is not None:
                self._entries.move_to_end(key)
        if entry is None and self.shared is not None:
            got = self.shared.get(gen, key)
            if got is not None and got[3] <= self.ttl:
                status, headers, body, age = got
                entry = (gen, now - age, status, headers, body)
                self._store(key, entry)
        if entry is not None:
            _, _, status, headers, body = entry
            rid = request_id_for(environ.get("HTTP_" + REQUEST_ID_HEADER.upper().replace("-", "_")))
            start_response(status, headers + [("X-Page-Cache", "hit"), (REQUEST_ID_HEADER, rid)])
            self._log_hit(environ, status, rid, now)
            return [body]
        return self._render_and_store(environ, start_response, key, gen, now)

    def _store(self, key, entry) -> None:
        with self._lock:
            self._drop(key)
            self._entries[key] = entry
            self._bytes += len(entry[4])
            while self._bytes > self.max_bytes and self._entries:
                self._drop(next(iter(self._entries)))

    @staticmethod
    def _log_hit(environ, status: str, rid: str, started: float) -> None:
        """The same access line as a rendered request (app/ops/logs.py), marked as served from the cache."""
        if not access_log.isEnabledFor(logging.INFO):
            return
        token = request_id_var.set(rid)
        try:
            write_access_line(logging.INFO, "GET", environ.get("PATH_INFO", ""), int(status[:3]),
                              round((time.monotonic() - started) * 1000, 1), None, environ.get("REMOTE_ADDR"),
                              cache="hit")
        finally:
            request_id_var.reset(token)

    def _render_and_store(self, environ, start_response, key, gen, now):
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            headers = list(headers) + [("X-Page-Cache", "miss")]
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        result = self.wsgi_app(environ, capture)
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        status, headers = captured.get("status", ""), captured.get("headers", [])
        names = {k.lower(): v for k, v in headers}
        if (status.startswith("200") and "set-cookie" not in names
                and names.get("content-type", "").startswith("text/html")
                and "no-store" not in names.get("cache-control", "") and len(body) <= self.max_bytes // 8):
            stored = [(k, v) for k, v in headers if k.lower() != REQUEST_ID_HEADER.lower()]
            self._store(key, (gen, now, status, stored, body))
            if self.shared is not None:
                self.shared.put(gen, key, status, stored, body, self.ttl)
        return [body]

    def _drop(self, key) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= len(entry[4])


def init_app(app: Flask) -> None:
    ttl = float(app.config["PUBLIC_PAGE_CACHE_SECONDS"])
    _watch_commits()
    if ttl <= 0:
        return
    push = bool(app.config.get("PUBLIC_PAGE_CACHE_PUSH", True))
    generations = {name: Generation(app.config.get("REDIS_URL"), Path(app.instance_path) / f"pagecache.{name}", name,
                                    push=push)
                   for name in WATCHED}
    app.extensions["pagecache_generations"] = generations
    cache = PublicPageCache(app.wsgi_app, generations["public"], ttl=ttl,
                            check_every=float(app.config.get("PUBLIC_PAGE_CACHE_CHECK_SECONDS", 1)),
                            max_bytes=int(app.config["PUBLIC_PAGE_CACHE_MAX_BYTES"]),
                            session_cookie=app.config.get("SESSION_COOKIE_NAME", "session"),
                            others={k: v for k, v in generations.items() if k != "public"},
                            remember_cookie=app.config.get("REMEMBER_COOKIE_NAME", "remember_token"),
                            shared=SharedCopies(app.config["REDIS_URL"], max_body=256 * 1024)
                            if app.config.get("REDIS_URL") and app.config["PUBLIC_PAGE_CACHE_SHARED"]
                            else None)
    app.extensions["pagecache"] = cache
    app.wsgi_app = cache


def mark(session, name: str) -> None:
    """Bump generation `name` when this session commits (for changes the ORM does not see: bulk statements)."""
    session.info.setdefault("pagecache_dirty", set()).add(name)


def _watch_commits() -> None:
    """Session listeners, once per process: a commit that changed a row of a WATCHED table bumps that generation of
    the current app (web requests, Celery tasks and CLI commands all commit inside an app context)."""
    if getattr(_watch_commits, "installed", False):
        return
    _watch_commits.installed = True

    @event.listens_for(Session, "after_flush")
    def _after_flush(session, _ctx):
        tables = {getattr(obj, "__tablename__", None) for obj in (*session.new, *session.deleted)}
        tables |= {getattr(obj, "__tablename__", None) for obj in session.dirty if _watched_change(obj)}
        for name, watched in WATCHED.items():
            if not tables.isdisjoint(watched):
                mark(session, name)

    @event.listens_for(Session, "after_commit")
    def _after_commit(session):
        dirty = session.info.pop("pagecache_dirty", None)
        if dirty and has_app_context():
            generations = current_app.extensions.get("pagecache_generations", {})
            for name in dirty:
                if name in generations:
                    generations[name].bump()
                g.get("_generations_now", {}).pop(name, None)  # this request's reading is out of date now

    @event.listens_for(Session, "do_orm_execute")
    def _bulk_statement(state):
        # an UPDATE, DELETE or INSERT statement (not objects) never reaches after_flush: mark its table's generation
        # here, so no caller has to remember (a contract's registration, the cockpit's recompute, read notifications)
        if state.is_update or state.is_delete or state.is_insert:
            table = getattr(getattr(state.statement, "table", None), "name", None)
            for name, watched in WATCHED.items():
                if table in watched:
                    mark(state.session, name)

    def _watched_change(obj) -> bool:
        unwatched = UNWATCHED_COLUMNS.get(getattr(obj, "__tablename__", None))
        if not unwatched:
            return True
        # after_flush still sees the flushed objects' attribute history
        state = sa_inspect(obj)
        return any(attr.history.has_changes() for attr in state.attrs if attr.key not in unwatched)

    @event.listens_for(Session, "after_rollback")
    def _after_rollback(session):
        # a rolled-back change never reached the pages; a later commit marks itself again
        session.info.pop("pagecache_dirty", None)


def generation_now(name: str):
    """Generation `name` as it is now, once per request (as pushed, else read from Redis; never up to
    PUBLIC_PAGE_CACHE_CHECK_SECONDS old like the public pages' when the push is down): for copies that must never
    outlive a change by even a second, such as who is signed in.
    None when the cache is off or the generation unreadable (then the caller asks the database)."""
    if not has_app_context():
        return None
    generations = current_app.extensions.get("pagecache_generations")
    if not generations or name not in generations:
        return None
    read = g.setdefault("_generations_now", {})
    if name not in read:  # all of them at once: one Redis round trip per request
        wanted = [n for n in generations if n not in read]
        read.update(zip(wanted, Generation.read_many([generations[n] for n in wanted]), strict=True))
    return read[name]


class KeptCopies:
    """Values by key, each valid only under the generation it was computed under (pair with generation_now for
    copies that must never be stale) and for at most max_age seconds: a bump lost while Redis was unreachable
    leaves a copy wrong for no longer than that. Least recently used out first. Per-user values live here, not in
    memo()."""

    def __init__(self, max_entries: int, max_age: float = 30.0):
        self.max_entries = max_entries
        self.max_age = max_age
        self._rows: OrderedDict = OrderedDict()
        self._lock = threading.Lock()  # gthread workers share a process

    def get(self, generation, key):
        with self._lock:
            hit = self._rows.get(key)
            if hit is None or hit[0] != generation or time.monotonic() - hit[1] > self.max_age:
                return None
            self._rows.move_to_end(key)
            return hit[2]

    def put(self, generation, key, value, age: float = 0.0) -> None:
        """age: how old the value already is (a copy taken from Redis expires when the original does)."""
        with self._lock:
            self._rows[key] = (generation, time.monotonic() - age, value)
            self._rows.move_to_end(key)
            while len(self._rows) > self.max_entries:
                self._rows.popitem(last=False)


def kept(name: str, max_entries: int) -> KeptCopies:
    """The current app's KeptCopies called `name` (per app: two apps in one process never share copies), each copy
    kept at most PUBLIC_PAGE_CACHE_SECONDS (30 when the page cache is off)."""
    store = current_app.extensions.setdefault("kept_copies", {})
    if name not in store:
        # a second thread making one too only costs a miss
        store[name] = KeptCopies(max_entries, float(current_app.config["PUBLIC_PAGE_CACHE_SECONDS"]) or 30.0)
    return store[name]


MEMO_MAX = 512


def memo(name: str, compute, generation: str = "public", share: bool = False):
    """A value every user sees alike (plain data, no ORM objects), kept per process while `generation` is unchanged
    and at most PUBLIC_PAGE_CACHE_SECONDS; computed every time when the cache is off.

    share=True (rendered HTML only): also kept in Redis like the shared page copies, so that a value is computed once
    per change for the whole server, not once per worker process (each first miss blocks the requests behind it)."""
    cache = current_app.extensions.get("pagecache")
    if cache is None or generation not in cache.generations:
        return compute()
    gen = cache.current_generation(generation)
    if gen is None:
        return compute()
    hit = cache.values.get((generation, gen), name)
    if hit is not None:
        return hit
    shared = cache.shared if share else None
    got = shared.get((generation, gen), ("memo", name)) if shared is not None else None
    if got is not None and got[3] <= cache.ttl:
        value, age = Markup(got[2].decode("utf-8")), got[3]
    else:
        value, age = compute(), 0.0
        if shared is not None:
            shared.put((generation, gen), ("memo", name), "200 OK", [], str(value).encode("utf-8"), cache.ttl)
    cache.values.put((generation, gen), name, value, age)
    return value
